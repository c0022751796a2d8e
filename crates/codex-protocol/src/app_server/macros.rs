//! Declarative macros that generate the app-server wire types, and the helpers their
//! expansions call.
//!
//! * [`wire_struct!`] — a camelCase struct whose unknown fields land in `extra`.
//! * [`string_enum!`] — an open set of string values with `Unknown(Value)`.
//! * [`open_enum!`] — strings plus single-key objects (`"accept"` or
//!   `{"acceptWithExecpolicyAmendment": {…}}`), with `Unknown(Value)`.
//! * [`tagged_enum!`] — objects discriminated by a `type` field, with `Unknown(Value)`.
//! * [`method_enum!`] / [`request_enum!`] — JSON-RPC bodies keyed by `method`, with
//!   `Unknown { method, params }`, and for requests the companion enum of typed results.
//!
//! Every generated type implements `Serialize`, `Deserialize`, `schemars::JsonSchema` and
//! [`Unknowns`](crate::Unknowns). Unknown input never fails to parse; it is kept verbatim and
//! serialized back unchanged.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The wire name of a struct field for strict-mode paths: the explicit name when the field
/// declares one, otherwise the camelCase of the Rust name.
macro_rules! wire_name {
    ($field:ident) => {
        $crate::app_server::unknowns::camel_case(stringify!($field))
    };
    ($field:ident $wire:literal) => {
        ::std::borrow::Cow::<'static, str>::Borrowed($wire)
    };
}

/// Declares a camelCase wire struct. Fields may give an explicit wire name with
/// `pub field: Type => "wire_name"`. Adds `pub extra: Map<String, Value>` (flattened) that
/// keeps every field this crate does not model, and implements [`Unknowns`](crate::Unknowns).
macro_rules! wire_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty $(=> $wire:literal)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "camelCase")]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[$fmeta])*
                $(#[serde(rename = $wire)])?
                pub $field: $ty,
            )*
            /// Fields this crate does not model, kept verbatim so that serializing again loses
            /// nothing. Strict mode reports each key.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl $crate::Unknowns for $name {
            fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
                $crate::app_server::unknowns::Walk::walk(self, path, out);
            }
        }

        impl $crate::app_server::unknowns::Walk for $name {
            fn walk(&self, path: &str, out: &mut Vec<String>) {
                $(
                    $crate::app_server::unknowns::collect_field(
                        &self.$field,
                        path,
                        &$crate::app_server::macros::wire_name!($field $($wire)?),
                        out,
                    );
                )*
                $crate::app_server::unknowns::extra_unknowns(path, &self.extra, out);
            }
        }
    };
}

/// Declares an open set of string values. Unknown strings (and any non-string value) parse
/// as `Unknown(Value)` and serialize back verbatim.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(serde_json::Value),
        }

        impl $name {
            /// Every value this crate models, in wire spelling.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The wire spelling, or `None` for an `Unknown` that is not a string.
            #[must_use]
            pub fn as_str(&self) -> Option<&str> {
                match self {
                    $( Self::$variant => Some($wire), )+
                    Self::Unknown(raw) => raw.as_str(),
                }
            }

            /// Whether this is a value this crate does not know.
            #[must_use]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant => serializer.serialize_str($wire), )+
                    Self::Unknown(raw) => serde::Serialize::serialize(raw, serializer),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                Ok(match raw.as_str() {
                    $( Some($wire) => Self::$variant, )+
                    _ => Self::Unknown(raw),
                })
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "enum": [$($wire),+],
                    "description": "Open set: a newer codex may send other values, which parse as `Unknown`.",
                })
            }
        }

        impl $crate::Unknowns for $name {
            fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
                $crate::app_server::unknowns::Walk::walk(self, path, out);
            }
        }

        impl $crate::app_server::unknowns::Walk for $name {
            fn walk(&self, path: &str, out: &mut Vec<String>) {
                if let Self::Unknown(raw) = self {
                    $crate::app_server::unknowns::unknown_value(path, raw, out);
                }
            }
        }
    };
}

/// Declares an open externally-tagged union: unit variants are strings, data variants are
/// single-key objects `{"<name>": payload}`. Anything else parses as `Unknown(Value)`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$umeta:meta])* $unit:ident = $uwire:literal, )*
            ;
            $( $(#[$ometa:meta])* $obj:ident($owire:literal, $payload:ty), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$umeta])* $unit, )*
            $( $(#[$ometa])* $obj($payload), )+
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(serde_json::Value),
        }

        impl $name {
            /// Every string value and object key this crate models, in wire spelling.
            pub const KNOWN: &'static [&'static str] = &[$($uwire,)* $($owire),+];

            /// The wire name: the string for unit values, the single key for object values;
            /// for `Unknown`, the string it holds, if any.
            #[must_use]
            pub fn name(&self) -> Option<&str> {
                match self {
                    $( Self::$unit => Some($uwire), )*
                    $( Self::$obj(_) => Some($owire), )+
                    Self::Unknown(raw) => raw.as_str(),
                }
            }

            /// Whether this is a value this crate does not know.
            #[must_use]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$unit => serializer.serialize_str($uwire), )*
                    $( Self::$obj(payload) => {
                        $crate::app_server::macros::serialize_single_key(serializer, $owire, payload)
                    } )+
                    Self::Unknown(raw) => serde::Serialize::serialize(raw, serializer),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                match raw {
                    serde_json::Value::String(s) => Ok(match s.as_str() {
                        $( $uwire => Self::$unit, )*
                        _ => Self::Unknown(serde_json::Value::String(s)),
                    }),
                    serde_json::Value::Object(map) => {
                        match $crate::app_server::macros::single_key(map) {
                            Ok((key, value)) => match key.as_str() {
                                $( $owire => $crate::app_server::macros::from_value::<$payload, D::Error>(
                                    value,
                                    stringify!($name),
                                    $owire,
                                ).map(Self::$obj), )+
                                _ => Ok(Self::Unknown($crate::app_server::macros::rebuild(key, value))),
                            },
                            Err(map) => Ok(Self::Unknown(serde_json::Value::Object(map))),
                        }
                    }
                    other => Ok(Self::Unknown(other)),
                }
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let units: Vec<&str> = vec![$($uwire),*];
                let mut alternatives = Vec::new();
                if !units.is_empty() {
                    alternatives.push(serde_json::json!({ "type": "string", "enum": units }));
                }
                $(
                    alternatives.push(serde_json::json!({
                        "type": "object",
                        "properties": { $owire: generator.subschema_for::<$payload>() },
                        "required": [$owire],
                        "additionalProperties": false,
                    }));
                )+
                schemars::json_schema!({
                    "oneOf": alternatives,
                    "description": "Open set: a newer codex may send other values, which parse as `Unknown`.",
                })
            }
        }

        impl $crate::Unknowns for $name {
            fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
                $crate::app_server::unknowns::Walk::walk(self, path, out);
            }
        }

        impl $crate::app_server::unknowns::Walk for $name {
            fn walk(&self, path: &str, out: &mut Vec<String>) {
                match self {
                    $( Self::$obj(payload) => $crate::app_server::unknowns::Walk::walk(payload,
                        &$crate::app_server::unknowns::join(path, $owire),
                        out,
                    ), )+
                    Self::Unknown(raw) => $crate::app_server::unknowns::unknown_value(path, raw, out),
                    _ => {}
                }
            }
        }
    };
}

/// Declares a union of objects discriminated by their `type` field. Each variant holds a
/// [`wire_struct!`] payload (the `type` field itself is not part of the payload). Unknown
/// `type` values parse as `Unknown(Value)` holding the whole object.
///
/// `pub enum Name by ("kind", kind, KNOWN_KINDS) { … }` declares a union discriminated by
/// another field (`kind` here), with the accessor and the list of known values named after it.
macro_rules! tagged_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident by ($tag:literal, $tag_fn:ident, $known:ident) {
            $( $(#[$vmeta:meta])* $variant:ident($wire:literal, $payload:ty), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant($payload), )+
            #[doc = concat!(
                "A variant this version of the crate does not know, kept verbatim: the whole \
                 JSON object, `", $tag, "` included."
            )]
            Unknown(serde_json::Value),
        }

        impl $name {
            #[doc = concat!("Every `", $tag, "` value this crate models, in wire spelling.")]
            pub const $known: &'static [&'static str] = &[$($wire),+];

            #[doc = concat!(
                "The wire `", $tag, "` (for `Unknown`, the `", $tag,
                "` it carried, or `\"\"`)."
            )]
            #[must_use]
            pub fn $tag_fn(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $wire, )+
                    Self::Unknown(raw) => raw.get($tag).and_then(serde_json::Value::as_str).unwrap_or(""),
                }
            }

            /// Whether this is a variant this crate does not know.
            #[must_use]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                /// The payload with the tag in front of its own fields.
                #[derive(serde::Serialize)]
                struct Tagged<'a, T> {
                    #[serde(rename = $tag)]
                    tag: &'static str,
                    #[serde(flatten)]
                    payload: &'a T,
                }
                match self {
                    $( Self::$variant(payload) => serde::Serialize::serialize(
                        &Tagged { tag: $wire, payload },
                        serializer,
                    ), )+
                    Self::Unknown(raw) => serde::Serialize::serialize(raw, serializer),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let (tag, map) = $crate::app_server::macros::split_tag::<D>(deserializer, $tag)?;
                match tag.as_str() {
                    $( $wire => $crate::app_server::macros::from_value::<$payload, D::Error>(
                        serde_json::Value::Object(map),
                        stringify!($name),
                        $wire,
                    ).map(Self::$variant), )+
                    _ => Ok(Self::Unknown($crate::app_server::macros::retag($tag, tag, map))),
                }
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let alternatives = vec![
                    $( $crate::app_server::macros::tagged_variant_schema::<$payload>(
                        generator,
                        stringify!($variant),
                        $tag,
                        $wire,
                    ), )+
                ];
                schemars::json_schema!({
                    "oneOf": alternatives,
                    "discriminator": { "propertyName": $tag },
                    "description": concat!(
                        "Open union: a newer codex may send other `", $tag,
                        "` values, which parse as `Unknown`."
                    ),
                })
            }
        }

        impl $crate::Unknowns for $name {
            fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
                $crate::app_server::unknowns::Walk::walk(self, path, out);
            }
        }

        impl $crate::app_server::unknowns::Walk for $name {
            fn walk(&self, path: &str, out: &mut Vec<String>) {
                match self {
                    $( Self::$variant(payload) => $crate::app_server::unknowns::Walk::walk(payload, path, out), )+
                    Self::Unknown(raw) => $crate::app_server::unknowns::unknown_value(
                        &$crate::app_server::unknowns::join(path, $tag),
                        raw.get($tag).unwrap_or(&serde_json::Value::Null),
                        out,
                    ),
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($wire:literal, $payload:ty), )+
        }
    ) => {
        $crate::app_server::macros::tagged_enum! {
            $(#[$meta])*
            pub enum $name by ("type", type_name, KNOWN_TYPES) {
                $( $(#[$vmeta])* $variant($wire, $payload), )+
            }
        }
    };
}

/// Declares a JSON-RPC body enum keyed by `method` (notifications), with typed params per
/// variant and `Unknown { method, params }`.
macro_rules! method_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($method:literal, $params:ty), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant($params), )+
            /// A method this version of the crate does not know, kept verbatim.
            Unknown {
                /// The method name.
                method: String,
                /// The raw params, when present.
                params: Option<serde_json::Value>,
            },
        }

        impl $name {
            /// Every method this crate models.
            pub const KNOWN_METHODS: &'static [&'static str] = &[$($method),+];

            /// The method name on the wire.
            #[must_use]
            pub fn method(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $method, )+
                    Self::Unknown { method, .. } => method,
                }
            }

            /// Whether this is a method this crate does not know.
            #[must_use]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown { .. })
            }

            /// Builds a body from a method name and its raw params. Unknown methods become
            /// `Unknown`; a known method with missing or malformed params is an error.
            pub(crate) fn from_parts(method: String, params: Option<serde_json::Value>) -> Result<Self, String> {
                match method.as_str() {
                    $( $method => $crate::app_server::macros::params_from::<$params>($method, params).map(Self::$variant), )+
                    _ => Ok(Self::Unknown { method, params }),
                }
            }

            /// Writes the `params` entry (when there is one) into a message map.
            pub(crate) fn serialize_params<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self {
                    $( Self::$variant(params) => map.serialize_entry("params", params), )+
                    Self::Unknown { params: Some(params), .. } => map.serialize_entry("params", params),
                    Self::Unknown { params: None, .. } => Ok(()),
                }
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let alternatives = vec![
                    $( $crate::app_server::macros::method_schema(
                        $method,
                        &generator.subschema_for::<$params>(),
                    ), )+
                ];
                schemars::json_schema!({
                    "oneOf": alternatives,
                    "description": "Open set of methods: others parse as `Unknown`.",
                })
            }
        }

        impl $crate::Unknowns for $name {
            fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
                $crate::app_server::unknowns::Walk::walk(self, path, out);
            }
        }

        impl $crate::app_server::unknowns::Walk for $name {
            fn walk(&self, path: &str, out: &mut Vec<String>) {
                match self {
                    $( Self::$variant(params) => $crate::app_server::unknowns::Walk::walk(params,
                        &$crate::app_server::unknowns::join(path, "params"),
                        out,
                    ), )+
                    Self::Unknown { method, .. } => {
                        out.push(format!("{}={method}", $crate::app_server::unknowns::join(path, "method")));
                    }
                }
            }
        }
    };
}

/// Declares a JSON-RPC request body enum (like [`method_enum!`]) and the companion enum of
/// typed results, one variant per method.
macro_rules! request_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident;
        $(#[$rmeta:meta])*
        pub enum $result:ident;
        {
            $( $(#[$vmeta:meta])* $variant:ident($method:literal, $params:ty => $response:ty), )+
        }
    ) => {
        $crate::app_server::macros::method_enum! {
            $(#[$meta])*
            pub enum $name {
                $( $(#[$vmeta])* $variant($method, $params), )+
            }
        }

        $(#[$rmeta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $result {
            $(
                #[doc = concat!("Result of `", $method, "`.")]
                $variant($response),
            )+
            /// The result of a method this crate does not know, kept verbatim.
            Unknown {
                /// The method of the request this answers.
                method: String,
                /// The raw result.
                result: serde_json::Value,
            },
        }

        impl $result {
            /// Parses the `result` of a response to a `method` request. Unknown methods give
            /// `Unknown`; a known method with a malformed result is a
            /// [`ParseError::Shape`]($crate::ParseError::Shape).
            ///
            /// # Errors
            ///
            /// [`ParseError::Shape`]($crate::ParseError::Shape) when the result does not have
            /// the shape the method's result type requires.
            pub fn from_result(method: &str, result: serde_json::Value) -> Result<Self, $crate::ParseError> {
                match method {
                    $( $method => $crate::app_server::macros::result_from::<$response>($method, &result).map(Self::$variant), )+
                    _ => Ok(Self::Unknown { method: method.to_owned(), result }),
                }
            }

            /// The method of the request this result answers.
            #[must_use]
            pub fn method(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $method, )+
                    Self::Unknown { method, .. } => method,
                }
            }

            /// Whether this answers a method this crate does not know.
            #[must_use]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown { .. })
            }
        }

        impl serde::Serialize for $result {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(result) => serde::Serialize::serialize(result, serializer), )+
                    Self::Unknown { result, .. } => serde::Serialize::serialize(result, serializer),
                }
            }
        }

        impl schemars::JsonSchema for $result {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($result).into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let alternatives = vec![
                    $( $crate::app_server::macros::result_schema(
                        $method,
                        &generator.subschema_for::<$response>(),
                    ), )+
                ];
                schemars::json_schema!({
                    "oneOf": alternatives,
                    "description": "The `result` of a response; each alternative's `title` is the method it answers.",
                })
            }
        }

        impl $crate::Unknowns for $result {
            fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
                $crate::app_server::unknowns::Walk::walk(self, path, out);
            }
        }

        impl $crate::app_server::unknowns::Walk for $result {
            fn walk(&self, path: &str, out: &mut Vec<String>) {
                match self {
                    $( Self::$variant(result) => $crate::app_server::unknowns::Walk::walk(result, path, out), )+
                    Self::Unknown { method, .. } => {
                        out.push(format!("{}={method}", $crate::app_server::unknowns::join(path, "method")));
                    }
                }
            }
        }
    };
}

pub(crate) use {
    method_enum, open_enum, request_enum, string_enum, tagged_enum, wire_name, wire_struct,
};

/// Serializes `{key: payload}`.
pub(crate) fn serialize_single_key<S: serde::Serializer, T: Serialize>(
    serializer: S,
    key: &'static str,
    payload: &T,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, payload)?;
    map.end()
}

/// Splits an object into its single `(key, value)`, or gives the map back when it has zero or
/// several keys.
pub(crate) fn single_key(map: Map<String, Value>) -> Result<(String, Value), Map<String, Value>> {
    if map.len() != 1 {
        return Err(map);
    }
    let mut iter = map.into_iter();
    match iter.next() {
        Some(pair) => Ok(pair),
        None => Err(Map::new()),
    }
}

/// Rebuilds `{key: value}`.
pub(crate) fn rebuild(key: String, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key, value);
    Value::Object(map)
}

/// Reads an object and takes out its string tag field (`field`: `type`, `kind`, …).
pub(crate) fn split_tag<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    field: &'static str,
) -> Result<(String, Map<String, Value>), D::Error> {
    let map = <Map<String, Value> as serde::Deserialize>::deserialize(deserializer)?;
    take_tag::<D::Error>(map, field)
}

/// Takes the string tag field `field` out of an object.
pub(crate) fn take_tag<E: serde::de::Error>(
    mut map: Map<String, Value>,
    field: &'static str,
) -> Result<(String, Map<String, Value>), E> {
    match map.remove(field) {
        Some(Value::String(tag)) => Ok((tag, map)),
        Some(other) => Err(E::custom(format_args!(
            "field `{field}` must be a string, found {other}"
        ))),
        None => Err(E::missing_field(field)),
    }
}

/// Puts the tag field `field` back into an object that became `Unknown`.
pub(crate) fn retag(field: &str, tag: String, mut map: Map<String, Value>) -> Value {
    map.insert(field.to_owned(), Value::String(tag));
    Value::Object(map)
}

/// Deserializes a variant payload, naming the union and variant in the error.
pub(crate) fn from_value<T: DeserializeOwned, E: serde::de::Error>(
    value: Value,
    union: &str,
    variant: &str,
) -> Result<T, E> {
    serde_json::from_value(value).map_err(|e| E::custom(format_args!("{union} `{variant}`: {e}")))
}

/// Deserializes the params of a known method.
pub(crate) fn params_from<T: DeserializeOwned>(
    method: &str,
    params: Option<Value>,
) -> Result<T, String> {
    let Some(params) = params else {
        return Err(format!("`{method}` requires `params`"));
    };
    serde_json::from_value(params).map_err(|e| format!("params of `{method}`: {e}"))
}

/// Deserializes the result of a known method.
pub(crate) fn result_from<T: DeserializeOwned>(
    method: &str,
    result: &Value,
) -> Result<T, crate::ParseError> {
    // Deserializing from a reference keeps the value for the error excerpt.
    T::deserialize(result)
        .map_err(|e| shape_error(format!("result of `{method}`: {e}"), &result.to_string()))
}

/// The [`ParseError`](crate::ParseError) for a `serde_json` error raised while reading `input`.
pub(crate) fn serde_error(err: &serde_json::Error, input: &str) -> crate::ParseError {
    crate::ParseError::from_serde(err, input)
}

/// A [`ParseError::Shape`](crate::ParseError::Shape) with an excerpt from the start of `input`.
pub(crate) fn shape_error(reason: impl Into<String>, input: &str) -> crate::ParseError {
    crate::ParseError::Shape {
        line: None,
        reason: reason.into(),
        excerpt: crate::error::excerpt_around(input, 0, 0),
    }
}

/// The schema of one tagged-union variant: the payload's own object schema, inlined, with the
/// discriminator `field` (`type`, `kind`, …) added.
pub(crate) fn tagged_variant_schema<T: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
    variant: &str,
    field: &str,
    tag: &str,
) -> Value {
    let mut schema = T::json_schema(generator).to_value();
    if let Value::Object(obj) = &mut schema {
        obj.insert("title".to_owned(), Value::String(variant.to_owned()));
        let properties = obj
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(properties) = properties {
            properties.insert(
                field.to_owned(),
                serde_json::json!({ "type": "string", "enum": [tag] }),
            );
        }
        let required = obj
            .entry("required")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(required) = required {
            required.insert(0, Value::String(field.to_owned()));
        }
    }
    schema
}

/// The schema of one method alternative: `{method: <const>, params: <schema>}`.
pub(crate) fn method_schema(method: &str, params: &schemars::Schema) -> Value {
    serde_json::json!({
        "type": "object",
        "title": method,
        "properties": {
            "method": { "type": "string", "enum": [method] },
            "params": params,
        },
        "required": ["method", "params"],
    })
}

/// The schema of one result alternative, titled with the method it answers.
pub(crate) fn result_schema(method: &str, result: &schemars::Schema) -> Value {
    serde_json::json!({ "title": method, "allOf": [result] })
}

/// `deserialize_with` for optional fields of any JSON type: absent stays `None` (through
/// `#[serde(default)]`), and an explicit `null` becomes `Some(Value::Null)` so that it is
/// written back.
pub(crate) fn present_value<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(deserializer).map(Some)
}
