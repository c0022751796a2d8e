//! Drift check: the modeled app-server types against the JSON schema bundles of every
//! supported codex version (LIVE CAPTURE, vendored in `fixtures/app-server-schema/<version>/`,
//! see the README there).
//!
//! Data-driven: the walk starts from our method enums and follows our own `schemars` schema
//! side by side with codex's, so no field list is restated here. Each supported version
//! (`codex_agent_testkit::real_codex::SUPPORTED_CODEX_VERSIONS`) is checked on its own. For every
//! modeled type it checks that
//!
//! * the type has the schema's name (when both sides name it),
//! * every modeled field exists in the schema (in the stable bundle, or for experimental-only
//!   fields in the experimental one), except the few codex sends without declaring them,
//! * every field the schema requires is modeled, and modeled as required, and every field
//!   modeled as required is required by the schema,
//! * field types agree (string, integer, boolean, array, object),
//! * every modeled enum value, object-union key and tagged variant exists in the schema, and,
//!   for enums that claim completeness (all but [`PARTIAL`]), every schema value is modeled,
//! * every method this crate models exists in the schema with the same params type, and the
//!   result types are codex's `*Response` types.
//!
//! Across versions, what we model must exist in at least one version, and what any version
//! requires or offers must be modeled so that its messages parse ([`Severity`]): a field
//! added in a later version is modeled as optional, a field one version stopped requiring is
//! optional here, and a union that changed shape keeps both shapes.
//!
//! Every failure names the versions, the type and the field.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use codex_agent_protocol::app_server::{
    ClientNotification, ClientRequest, ClientRequestResult, JsonRpcError, RequestId,
    ServerNotification, ServerRequest, ServerRequestResult,
};
use codex_agent_testkit::real_codex::SUPPORTED_CODEX_VERSIONS;
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value};

use super::fixtures;

/// Unions that deliberately model a subset of codex's values (the rest parse as `Unknown`).
const PARTIAL: &[&str] = &["ThreadItem"];

/// Fields codex 0.169 sends that its schema does not declare: `(type prefix, field)`.
const WIRE_ONLY: &[(&str, &str)] = &[
    // Every thread item carries these (see the transcripts), but `ThreadItem` lists neither.
    ("ThreadItem[", "startedAtMs"),
    ("ThreadItem[", "completedAtMs"),
];

/// Our roots that have another name in the schema: `(ours, codex's)`.
const ROOT_RENAMES: &[(&str, &str)] = &[("JsonRpcError", "JSONRPCErrorError")];

/// One schema bundle: `codex_app_server_protocol.schemas.json` of `stable` or `experimental`.
struct Bundle {
    root: Value,
}

impl Bundle {
    /// The bundle of codex `version`, `kind` being `stable` or `experimental`.
    fn load(version: &str, kind: &str) -> Self {
        let path = fixtures()
            .join("app-server-schema")
            .join(version)
            .join(kind)
            .join("codex_app_server_protocol.schemas.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self {
            root: serde_json::from_str(&text).expect("the schema bundle is JSON"),
        }
    }

    /// A definition by name: root definitions first, then `definitions.v2`.
    fn def(&self, name: &str) -> Option<&Value> {
        let defs = &self.root["definitions"];
        defs.get(name)
            .or_else(|| defs["v2"].get(name))
            .filter(|v| name != "v2" || !v.is_object() || v.get("type").is_some())
    }

    /// Follows a `$ref` such as `#/definitions/v2/Thread`.
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut current = schema;
        for _ in 0..16 {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                return current;
            };
            let mut target = &self.root;
            for part in reference.trim_start_matches("#/").split('/') {
                target = &target[part];
            }
            current = target;
        }
        current
    }
}

/// The last segment of a `$ref`.
fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
}

/// Strips what only says "may be null" or wraps one schema: `anyOf [X, null]`, `allOf [X]`,
/// `type: [T, "null"]`.
fn unwrap(schema: &Value) -> Value {
    let mut s = schema.clone();
    loop {
        let Some(obj) = s.as_object() else { return s };
        if let Some(Value::Array(all)) = obj.get("allOf")
            && all.len() == 1
            && obj.get("properties").is_none()
        {
            s = all[0].clone();
            continue;
        }
        if let Some(Value::Array(any)) = obj.get("anyOf").or_else(|| obj.get("oneOf")) {
            let non_null: Vec<&Value> = any
                .iter()
                .filter(|a| a.get("type") != Some(&Value::from("null")))
                .collect();
            if non_null.len() == 1 && non_null.len() < any.len() && obj.get("properties").is_none()
            {
                s = non_null[0].clone();
                continue;
            }
        }
        if let Some(Value::Array(types)) = obj.get("type") {
            let non_null: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
            if non_null.len() == 1 {
                let mut o = obj.clone();
                o.insert("type".into(), non_null[0].clone());
                s = Value::Object(o);
                continue;
            }
        }
        return s;
    }
}

fn simple_type(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

/// Properties and required fields of an object schema, alternatives included: a field is
/// required when the object, or every alternative, requires it, and a field several
/// alternatives give different `enum`s (a discriminator such as `mode`) gets their union.
fn object_view(bundle: &Bundle, schema: &Value) -> (BTreeMap<String, Value>, BTreeSet<String>) {
    let schema = bundle.resolve(schema);
    let mut props: BTreeMap<String, Value> = BTreeMap::new();
    let mut required: BTreeSet<String> = BTreeSet::new();
    if let Some(Value::Object(p)) = schema.get("properties") {
        props.extend(p.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let Some(Value::Array(r)) = schema.get("required") {
        required.extend(r.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        let Some(Value::Array(alts)) = schema.get(key) else {
            continue;
        };
        let mut in_all: Option<BTreeSet<String>> = None;
        for alt in alts {
            let alt = bundle.resolve(alt);
            if let Some(Value::Object(p)) = alt.get("properties") {
                for (k, v) in p {
                    match (props.get_mut(k), v.get("enum")) {
                        (Some(existing), Some(Value::Array(values))) => {
                            if let Some(Value::Array(merged)) = existing.get_mut("enum") {
                                merged.extend(values.iter().cloned());
                            }
                        }
                        (Some(_), _) => {}
                        (None, _) => {
                            props.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            let req: BTreeSet<String> = alt
                .get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            in_all = Some(match in_all {
                None => req,
                Some(prev) => prev.intersection(&req).cloned().collect(),
            });
        }
        required.extend(in_all.unwrap_or_default());
    }
    (props, required)
}

/// String values and single-key object alternatives of an enum-like schema.
fn enum_view<'a>(
    bundle: &'a Bundle,
    schema: &'a Value,
) -> (BTreeSet<String>, BTreeMap<String, &'a Value>) {
    let schema = bundle.resolve(schema);
    let mut strings = BTreeSet::new();
    let mut objects = BTreeMap::new();
    if let Some(Value::Array(values)) = schema.get("enum") {
        strings.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(alts)) = schema.get(key) else {
            continue;
        };
        for alt in alts {
            let alt = bundle.resolve(alt);
            if let Some(Value::Array(values)) = alt.get("enum") {
                strings.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            if let (Some(Value::Object(p)), Some(Value::Array(req))) =
                (alt.get("properties"), alt.get("required"))
                && p.len() == 1
                && req.len() == 1
            {
                let (k, v) = p.iter().next().expect("one property");
                objects.insert(k.clone(), v);
            }
        }
    }
    (strings, objects)
}

/// Variants of a union tagged by its `tag` field (`type`, `mode`, …), by tag value.
fn tagged_view<'a>(
    bundle: &'a Bundle,
    schema: &'a Value,
    tag: &str,
) -> BTreeMap<String, &'a Value> {
    let schema = bundle.resolve(schema);
    let mut out = BTreeMap::new();
    for key in ["oneOf", "anyOf"] {
        let Some(Value::Array(alts)) = schema.get(key) else {
            continue;
        };
        for alt in alts {
            let alt = bundle.resolve(alt);
            if let Some(Value::Array(values)) = alt.pointer(&format!("/properties/{tag}/enum"))
                && let [Value::String(value)] = values.as_slice()
            {
                out.insert(value.clone(), alt);
            }
        }
    }
    out
}

/// How a finding of one version's check counts when several versions are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    /// Wrong against this version, whatever the others say (a type mismatch, a required
    /// field modeled as optional, a schema value we do not model): our types must parse
    /// every supported version's messages.
    Strict,
    /// Something we model that this version does not have, or a field we keep optional that
    /// this version requires: fine as long as one supported version agrees with us, so a
    /// drift only when every version reports it.
    Lenient,
}

struct Drift {
    ours: Map<String, Value>,
    stable: Bundle,
    experimental: Bundle,
    findings: Vec<(Severity, String)>,
    visited: HashSet<String>,
}

impl Drift {
    fn new(ours: Map<String, Value>, stable: Bundle, experimental: Bundle) -> Self {
        Self {
            ours,
            stable,
            experimental,
            findings: Vec::new(),
            visited: HashSet::new(),
        }
    }

    fn strict(&mut self, message: String) {
        self.findings.push((Severity::Strict, message));
    }

    fn lenient(&mut self, message: String) {
        self.findings.push((Severity::Lenient, message));
    }

    /// Every finding's message, one per line.
    fn report(&self) -> String {
        let messages: Vec<&str> = self.findings.iter().map(|(_, m)| m.as_str()).collect();
        messages.join("\n")
    }

    fn our_def(&self, name: &str) -> Value {
        self.ours
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("our schema has no definition `{name}`"))
    }

    /// Compares our definition `ours` with codex's `theirs`, once per pair.
    fn compare_defs(&mut self, ours: &str, theirs: &str, context: &str, check_name: bool) {
        if check_name && ours != theirs {
            self.strict(format!(
                "{context}: our type `{ours}` is `{theirs}` in the schema"
            ));
        }
        if !self.visited.insert(format!("{ours}={theirs}")) {
            return;
        }
        self.visited.insert(ours.to_owned());
        let our = self.our_def(ours);
        let stable = self.stable.def(theirs).cloned();
        let experimental = self.experimental.def(theirs).cloned();
        let Some(their) = stable.clone().or_else(|| experimental.clone()) else {
            self.lenient(format!("{ours}: the schema has no definition `{theirs}`"));
            return;
        };
        self.compare_schema(ours, &our, &their, experimental.as_ref());
    }

    fn compare_schema(
        &mut self,
        path: &str,
        ours: &Value,
        theirs: &Value,
        theirs_exp: Option<&Value>,
    ) {
        if ours.get("discriminator").is_some() {
            self.compare_tagged(path, ours, theirs, theirs_exp);
        } else if ours.get("enum").is_some() || ours.get("oneOf").is_some() {
            self.compare_enum(path, ours, theirs, theirs_exp);
        } else if ours.get("properties").is_some() || simple_type(ours) == Some("object") {
            self.compare_object(path, ours, theirs, theirs_exp);
        }
    }

    fn compare_object(
        &mut self,
        path: &str,
        ours: &Value,
        theirs: &Value,
        theirs_exp: Option<&Value>,
    ) {
        let our_props: Map<String, Value> = ours
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let our_required: BTreeSet<String> = ours
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let (props, stable_required) = object_view(&self.stable, theirs);
        let (exp_props, exp_required) = match theirs_exp {
            Some(e) => object_view(&self.experimental, e),
            None => (BTreeMap::new(), BTreeSet::new()),
        };
        // Required means required in both bundles: the types must parse experimental
        // messages too.
        let required: BTreeSet<String> = match theirs_exp {
            Some(_) => stable_required
                .intersection(&exp_required)
                .cloned()
                .collect(),
            None => stable_required.clone(),
        };
        for (field, our_sub) in &our_props {
            let at = format!("{path}.{field}");
            let their_sub = match (props.get(field), exp_props.get(field)) {
                (Some(s), e) => Some((s.clone(), false, e.cloned())),
                (None, Some(s)) => Some((s.clone(), true, None)),
                (None, None) => None,
            };
            match their_sub {
                Some((their_sub, experimental, exp_sub)) => {
                    self.compare_sub_with(&at, our_sub, &their_sub, experimental, exp_sub.as_ref());
                }
                None if WIRE_ONLY
                    .iter()
                    .any(|(prefix, f)| path.starts_with(prefix) && f == field) => {}
                None => self.lenient(format!("{at}: modeled field is not in the schema")),
            }
        }
        for field in &required {
            if !our_props.contains_key(field) {
                self.strict(format!(
                    "{path}.{field}: required by the schema but not modeled"
                ));
            } else if !our_required.contains(field) {
                self.lenient(format!(
                    "{path}.{field}: required by the schema but optional here"
                ));
            }
        }
        for field in &our_required {
            if !stable_required.contains(field) && !exp_required.contains(field) {
                self.strict(format!(
                    "{path}.{field}: required here but optional in the schema"
                ));
            }
        }
    }

    fn compare_sub(&mut self, path: &str, ours: &Value, theirs: &Value, experimental: bool) {
        self.compare_sub_with(path, ours, theirs, experimental, None);
    }

    /// As `compare_sub`, with the experimental bundle's version of an inline `theirs`.
    fn compare_sub_with(
        &mut self,
        path: &str,
        ours: &Value,
        theirs: &Value,
        experimental: bool,
        theirs_exp: Option<&Value>,
    ) {
        let ours = unwrap(ours);
        let theirs = unwrap(theirs);
        if ours == Value::Bool(true)
            || ours.as_object().is_some_and(Map::is_empty)
            || theirs == Value::Bool(true)
        {
            return;
        }
        let bundle = if experimental {
            &self.experimental
        } else {
            &self.stable
        };
        if let Some(our_name) = ref_name(&ours).map(str::to_owned) {
            if let Some(their_name) = ref_name(&theirs) {
                let their_name = their_name.to_owned();
                self.compare_defs(&our_name, &their_name, path, true);
            } else {
                self.visited.insert(our_name.clone());
                let our = self.our_def(&our_name);
                let their = theirs.clone();
                let experimental_twin = theirs_exp.map(unwrap);
                self.compare_schema(
                    &format!("{path} ({our_name})"),
                    &our,
                    &their,
                    experimental_twin.as_ref(),
                );
            }
            return;
        }
        let their_resolved = unwrap(bundle.resolve(&theirs));
        match (simple_type(&ours), simple_type(&their_resolved)) {
            (Some("array"), Some("array")) => {
                if let (Some(o), Some(t)) = (ours.get("items"), their_resolved.get("items")) {
                    let (o, t) = (o.clone(), t.clone());
                    self.compare_sub(&format!("{path}[]"), &o, &t, experimental);
                }
            }
            (Some("object"), Some("object")) => {
                if let (Some(o @ Value::Object(_)), Some(t @ Value::Object(_))) = (
                    ours.get("additionalProperties"),
                    their_resolved.get("additionalProperties"),
                ) {
                    let (o, t) = (o.clone(), t.clone());
                    self.compare_sub(&format!("{path}{{}}"), &o, &t, experimental);
                }
            }
            (Some(o), Some(t)) if o == t || (o == "integer" && t == "number") => {}
            (Some(o), Some(t)) => self.strict(format!("{path}: `{o}` here, `{t}` in the schema")),
            _ => {}
        }
    }

    /// A tagged union (`discriminator.propertyName` names the tag). Alternatives of ours
    /// without the tag are earlier, untagged shapes of the same type: each is compared with
    /// the schema when the schema is a plain object rather than a tagged union.
    fn compare_tagged(
        &mut self,
        path: &str,
        ours: &Value,
        theirs: &Value,
        theirs_exp: Option<&Value>,
    ) {
        let tag = ours
            .pointer("/discriminator/propertyName")
            .and_then(Value::as_str)
            .expect("a discriminator names its property")
            .to_owned();
        let mut our_variants: Vec<(String, Value)> = Vec::new();
        let mut our_untagged: Vec<(String, Value)> = Vec::new();
        for alt in ours["oneOf"].as_array().expect("tagged unions have oneOf") {
            match alt
                .pointer(&format!("/properties/{tag}/enum/0"))
                .and_then(Value::as_str)
            {
                Some(value) => our_variants.push((value.to_owned(), alt.clone())),
                None => our_untagged.push((
                    alt["title"]
                        .as_str()
                        .expect("untagged alternatives have a title")
                        .to_owned(),
                    alt.clone(),
                )),
            }
        }
        let theirs_v: BTreeMap<String, Value> = tagged_view(&self.stable, theirs, &tag)
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect();
        let exp_v: BTreeMap<String, Value> = theirs_exp
            .map(|e| {
                tagged_view(&self.experimental, e, &tag)
                    .into_iter()
                    .map(|(k, v)| (k, v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (value, alt) in &our_variants {
            let at = format!("{path}[{value}]");
            match theirs_v.get(value).or_else(|| exp_v.get(value)) {
                Some(their_alt) => {
                    let their_alt = their_alt.clone();
                    let exp_alt = exp_v.get(value).cloned();
                    self.compare_object(&at, alt, &their_alt, exp_alt.as_ref());
                }
                None => self.lenient(format!("{at}: variant is not in the schema")),
            }
        }
        let their_object = theirs_v.is_empty()
            && exp_v.is_empty()
            && self.stable.resolve(theirs).get("properties").is_some();
        for (title, alt) in &our_untagged {
            let at = format!("{path}[{title}]");
            if their_object {
                self.compare_object(&at, alt, theirs, theirs_exp);
            } else {
                self.lenient(format!("{at}: untagged variant is not in the schema"));
            }
        }
        if their_object && our_untagged.is_empty() {
            self.strict(format!(
                "{path}: the schema's object without `{tag}` is not modeled"
            ));
        }
        let base = path.split(' ').next().unwrap_or(path);
        if !PARTIAL.contains(&base) {
            for value in theirs_v.keys() {
                if !our_variants.iter().any(|(v, _)| v == value) {
                    self.strict(format!("{path}: schema variant `{value}` is not modeled"));
                }
            }
        }
    }

    fn compare_enum(
        &mut self,
        path: &str,
        ours: &Value,
        theirs: &Value,
        theirs_exp: Option<&Value>,
    ) {
        let mut our_strings = BTreeSet::new();
        let mut our_objects: BTreeMap<String, Value> = BTreeMap::new();
        if let Some(Value::Array(values)) = ours.get("enum") {
            our_strings.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        for alt in ours
            .get("oneOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(Value::Array(values)) = alt.get("enum") {
                our_strings.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            if let Some(Value::Object(p)) = alt.get("properties") {
                for (k, v) in p {
                    our_objects.insert(k.clone(), v.clone());
                }
            }
        }
        let (strings, objects) = enum_view(&self.stable, theirs);
        let objects: BTreeMap<String, Value> =
            objects.into_iter().map(|(k, v)| (k, v.clone())).collect();
        let (exp_strings, exp_objects) = match theirs_exp {
            Some(e) => {
                let (s, o) = enum_view(&self.experimental, e);
                (
                    s,
                    o.into_iter()
                        .map(|(k, v)| (k, v.clone()))
                        .collect::<BTreeMap<_, _>>(),
                )
            }
            None => (BTreeSet::new(), BTreeMap::new()),
        };
        for s in &our_strings {
            if !strings.contains(s) && !exp_strings.contains(s) {
                self.lenient(format!("{path}: value `{s}` is not in the schema"));
            }
        }
        for (k, our_payload) in &our_objects {
            match (objects.get(k), exp_objects.get(k)) {
                (Some(t), _) => {
                    let t = t.clone();
                    self.compare_sub(&format!("{path}.{k}"), our_payload, &t, false);
                }
                (None, Some(t)) => {
                    let t = t.clone();
                    self.compare_sub(&format!("{path}.{k}"), our_payload, &t, true);
                }
                (None, None) => {
                    self.lenient(format!("{path}: object value `{k}` is not in the schema"));
                }
            }
        }
        let base = path.split(' ').next().unwrap_or(path);
        if !PARTIAL.contains(&base) {
            for s in &strings {
                if !our_strings.contains(s) {
                    self.strict(format!("{path}: schema value `{s}` is not modeled"));
                }
            }
            for k in objects.keys() {
                if !our_objects.contains_key(k) {
                    self.strict(format!("{path}: schema object value `{k}` is not modeled"));
                }
            }
        }
    }

    /// Method alternatives of a method enum: method → params schema (if any).
    fn methods(bundle: &Bundle, schema: &Value) -> BTreeMap<String, Option<Value>> {
        bundle
            .resolve(schema)
            .get("oneOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|alt| {
                let method = alt
                    .pointer("/properties/method/enum/0")?
                    .as_str()?
                    .to_owned();
                Some((method, alt.pointer("/properties/params").cloned()))
            })
            .collect()
    }

    /// Compares one of our method enums with codex's; for requests, also the result enum
    /// against codex's `*Response` types.
    fn compare_methods(&mut self, name: &str, result: Option<&str>) {
        let ours = Self::methods(&self.stable, &self.our_def(name));
        let theirs = Self::methods(
            &self.stable,
            self.stable
                .def(name)
                .expect("the schema defines the method enum"),
        );
        let theirs_exp = Self::methods(
            &self.experimental,
            self.experimental
                .def(name)
                .expect("the experimental schema defines it"),
        );
        let our_results: BTreeMap<String, Value> = result
            .map(|r| {
                self.visited.insert(r.to_owned());
                self.our_def(r)["oneOf"]
                    .as_array()
                    .expect("result enums have oneOf")
                    .iter()
                    .map(|alt| {
                        (
                            alt["title"].as_str().expect("titled").to_owned(),
                            alt["allOf"][0].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.visited.insert(name.to_owned());
        for (method, our_params) in &ours {
            let at = format!("{name}[{method}]");
            let Some(their_params) = theirs.get(method).or_else(|| theirs_exp.get(method)) else {
                self.lenient(format!("{at}: method is not in the schema"));
                continue;
            };
            match (our_params, their_params) {
                (Some(o), Some(t)) => {
                    let (o_name, t_name) = (
                        ref_name(o).expect("params are named").to_owned(),
                        ref_name(t).expect("named").to_owned(),
                    );
                    self.compare_defs(&o_name, &t_name, &at, true);
                    if let Some(our_result) = our_results.get(method) {
                        let r_name = ref_name(our_result).expect("results are named").to_owned();
                        let their_result = t_name.replace("Params", "Response");
                        self.compare_defs(&r_name, &their_result, &format!("{at} result"), true);
                    }
                }
                (None, None) => {}
                _ => self.strict(format!("{at}: params presence differs from the schema")),
            }
        }
    }
}

fn our_definitions() -> Map<String, Value> {
    fn add<T: JsonSchema>(generator: &mut SchemaGenerator) {
        generator.subschema_for::<T>();
    }
    let mut generator = SchemaSettings::draft07().into_generator();
    add::<ClientRequest>(&mut generator);
    add::<ClientRequestResult>(&mut generator);
    add::<ClientNotification>(&mut generator);
    add::<ServerRequest>(&mut generator);
    add::<ServerRequestResult>(&mut generator);
    add::<ServerNotification>(&mut generator);
    add::<JsonRpcError>(&mut generator);
    add::<RequestId>(&mut generator);
    generator.definitions().clone()
}

/// Checks our types against one version's bundles.
fn check_version(ours: &Map<String, Value>, version: &str) -> Drift {
    let mut drift = Drift::new(
        ours.clone(),
        Bundle::load(version, "stable"),
        Bundle::load(version, "experimental"),
    );
    drift.compare_methods("ClientRequest", Some("ClientRequestResult"));
    drift.compare_methods("ServerRequest", Some("ServerRequestResult"));
    drift.compare_methods("ServerNotification", None);
    drift.compare_methods("ClientNotification", None);
    for (ours, theirs) in ROOT_RENAMES {
        drift.compare_defs(ours, theirs, "root", false);
    }
    drift.compare_defs("RequestId", "RequestId", "root", true);
    drift
}

/// The drift errors of several versions' checks: every strict finding, and the lenient
/// findings every version reports. Each line names the versions it applies to.
fn combine(per_version: &[(&str, Vec<(Severity, String)>)]) -> Vec<String> {
    let mut by_message: BTreeMap<(Severity, &str), Vec<&str>> = BTreeMap::new();
    for (version, findings) in per_version {
        for (severity, message) in findings {
            let versions = by_message.entry((*severity, message.as_str())).or_default();
            if !versions.contains(version) {
                versions.push(version);
            }
        }
    }
    by_message
        .into_iter()
        .filter(|((severity, _), versions)| {
            *severity == Severity::Strict || versions.len() == per_version.len()
        })
        .map(|((_, message), versions)| format!("[{}] {message}", versions.join(", ")))
        .collect()
}

#[test]
fn modeled_types_agree_with_every_vendored_schema() {
    let ours = our_definitions();
    let versions = SUPPORTED_CODEX_VERSIONS;
    let mut reached: HashSet<String> = HashSet::new();
    let mut per_version = Vec::new();
    for version in versions {
        let drift = check_version(&ours, version);
        reached.extend(drift.visited);
        per_version.push((*version, drift.findings));
    }

    // Every type in our schema was compared with something.
    let unreached: Vec<&String> = ours.keys().filter(|k| !reached.contains(*k)).collect();
    assert!(
        unreached.is_empty(),
        "types the drift check never reached: {unreached:?}"
    );
    let errors = combine(&per_version);
    assert!(
        errors.is_empty(),
        "{} drift errors (codex {}):\n{}",
        errors.len(),
        versions.join(", "),
        errors.join("\n")
    );
}

#[test]
fn findings_count_across_versions_by_severity() {
    let lenient = |m: &str| (Severity::Lenient, m.to_owned());
    let strict = |m: &str| (Severity::Strict, m.to_owned());
    let errors = combine(&[
        (
            "1.0.0",
            vec![
                lenient("A: only in 2"),
                lenient("B: in neither"),
                strict("C: wrong in 1"),
            ],
        ),
        (
            "2.0.0",
            vec![lenient("B: in neither"), lenient("D: only in 1")],
        ),
    ]);
    assert_eq!(
        errors,
        ["[1.0.0] C: wrong in 1", "[1.0.0, 2.0.0] B: in neither"]
    );
}

#[test]
fn the_drift_check_catches_drift() {
    // SYNTHETIC — a schema that disagrees with our `TurnSteerParams` in every checked way.
    let mut drift = Drift::new(
        our_definitions(),
        Bundle {
            root: serde_json::json!({ "definitions": { "v2": {
            "TurnSteerParams": {
                "type": "object",
                "properties": {
                    "threadId": { "type": "integer" },
                    "expectedTurnId": { "type": "string" },
                    "input": { "type": "array", "items": { "$ref": "#/definitions/v2/UserInput" } },
                    "mustHave": { "type": "string" }
                },
                "required": ["threadId", "input", "mustHave"]
            },
            "UserInput": { "oneOf": [
                { "properties": { "type": { "enum": ["text"] }, "text": { "type": "string" } }, "required": ["type", "text"] }
            ] }
        } } }),
        },
        Bundle {
            root: serde_json::json!({ "definitions": {} }),
        },
    );
    drift.compare_defs("TurnSteerParams", "TurnSteerParams", "test", true);
    let joined = drift.report();
    for expected in [
        "TurnSteerParams.threadId: `string` here, `integer` in the schema",
        "TurnSteerParams.clientUserMessageId: modeled field is not in the schema",
        "TurnSteerParams.mustHave: required by the schema but not modeled",
        "TurnSteerParams.expectedTurnId: required here but optional in the schema",
        "UserInput[image]: variant is not in the schema",
        "UserInput[text].text_elements: modeled field is not in the schema",
    ] {
        assert!(
            joined.contains(expected),
            "missing `{expected}` in:\n{joined}"
        );
    }
}

#[test]
fn the_drift_check_follows_both_shapes_of_a_changed_union() {
    // SYNTHETIC — `AgentMessageDisplay` as an older codex might have it (an untagged object)
    // and as a newer one might (a `mode` union), each disagreeing with our type.
    let untagged = serde_json::json!({ "definitions": { "v2": {
        "AgentMessageDisplay": {
            "type": "object",
            "properties": {
                "action": { "type": "integer" },
                "mustHave": { "type": "string" }
            },
            "required": ["action", "mustHave"]
        }
    } } });
    let tagged = serde_json::json!({ "definitions": { "v2": {
        "AgentMessageDisplay": { "oneOf": [
            {
                "type": "object",
                "properties": {
                    "mode": { "type": "string", "enum": ["show"] },
                    "version": { "type": "integer" },
                    "trustedContacts": { "$ref": "#/definitions/v2/TrustedContacts" }
                },
                "required": ["mode", "version", "trustedContacts"]
            },
            {
                "type": "object",
                "properties": { "mode": { "type": "string", "enum": ["fade"] } },
                "required": ["mode"]
            }
        ] },
        "TrustedContacts": { "type": "string", "enum": ["check", "skip"] }
    } } });
    let mut reports = Vec::new();
    for root in [untagged, tagged] {
        let mut drift = Drift::new(
            our_definitions(),
            Bundle { root },
            Bundle {
                root: serde_json::json!({ "definitions": {} }),
            },
        );
        drift.compare_defs("AgentMessageDisplay", "AgentMessageDisplay", "test", true);
        reports.push(drift.report());
    }
    for (report, expected) in [
        (
            &reports[0],
            [
                "AgentMessageDisplay[Action].action: `string` here, `integer` in the schema",
                "AgentMessageDisplay[Action].mustHave: required by the schema but not modeled",
                "AgentMessageDisplay[show]: variant is not in the schema",
            ],
        ),
        (
            &reports[1],
            [
                "AgentMessageDisplay[Action]: untagged variant is not in the schema",
                "AgentMessageDisplay[hide]: variant is not in the schema",
                "AgentMessageDisplay: schema variant `fade` is not modeled",
            ],
        ),
    ] {
        for line in expected {
            assert!(report.contains(line), "missing `{line}` in:\n{report}");
        }
    }
    // The tagged variant both sides have is compared field by field, and agrees.
    for agrees in [
        "[show]: variant",
        "[show].version",
        "[show].trustedContacts",
    ] {
        assert!(!reports[1].contains(agrees), "{agrees} in:\n{}", reports[1]);
    }
    assert!(
        reports[1]
            .contains("AgentMessageDisplay[show].annotation: modeled field is not in the schema")
    );
}
