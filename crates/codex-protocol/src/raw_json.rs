//! [`RawJson`]: a JSON value kept as its text.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, DeserializeSeed, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Deeper nesting is refused, so that every `RawJson` parses with `serde_json` (whose limit
/// is 128).
const MAX_DEPTH: u32 = 127;

/// A JSON value kept as its text, for payloads this crate passes through without looking
/// inside: MCP tool arguments, structured results and `_meta`, dynamic tool arguments. The
/// text is compact when it was read by a deserializer (as in every parsed event) or made from
/// a `Value`, and as given (trimmed) from [`RawJson::from_json`].
///
/// Held as one string, a payload costs its length and nothing more; a
/// [`serde_json::Value`] object costs a B-tree node of about 630 bytes per object however
/// small it is, plus an allocation per key and string. Read it with [`RawJson::parse`] into
/// your own type, [`RawJson::to_value`] for a `Value`, or [`RawJson::as_str`] for the text.
///
/// The text is always one valid JSON document without surrounding whitespace: it is written
/// by this type (from a deserializer or a `Value`) or checked by [`RawJson::from_json`].
/// Deserializing works from any `serde` format, not only `serde_json`; serializing writes the
/// value (through a `Value`, so object keys come out sorted, as a `Value`'s do). Equality is
/// the equality of the values: `{"a":1,"b":2}` equals `{"b":2,"a":1}`. `Debug` and `Display`
/// print the text.
///
/// ```
/// use codex_agent_protocol::RawJson;
/// use serde_json::json;
///
/// let args = RawJson::from_json(r#"{"city":"Paris","days":3}"#)?;
/// assert_eq!(args.as_str(), r#"{"city":"Paris","days":3}"#);
/// assert_eq!(args.to_value()["city"], "Paris");
/// assert_eq!(args, json!({"days": 3, "city": "Paris"}));
///
/// #[derive(serde::Deserialize)]
/// struct Forecast<'a> {
///     city: &'a str,
///     days: u8,
/// }
/// let forecast: Forecast<'_> = args.parse()?;
/// assert_eq!((forecast.city, forecast.days), ("Paris", 3));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Eq)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// `null`.
    #[must_use]
    pub fn null() -> Self {
        Self("null".into())
    }

    /// The text of `value`.
    #[must_use]
    pub fn from_value(value: &Value) -> Self {
        // Writing a `Value` to a `String` cannot fail (its keys are strings); a `Value`
        // nested deeper than `serde_json` reads is the only input whose text would not parse
        // back, and those are built by hand, never read.
        Self(value.to_string().into_boxed_str())
    }

    /// `text`, after checking that it is one JSON document; surrounding whitespace is dropped,
    /// the rest is kept as it is.
    ///
    /// # Errors
    ///
    /// `serde_json`'s error when `text` is not one valid JSON document.
    pub fn from_json(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        serde_json::from_str::<de::IgnoredAny>(&text)?;
        let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
        if trimmed.len() == text.len() {
            Ok(Self(text.into_boxed_str()))
        } else {
            Ok(Self(trimmed.into()))
        }
    }

    /// The JSON text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The JSON text, owned.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// Whether this is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        &*self.0 == "null"
    }

    /// The value as a [`serde_json::Value`] (parsed on each call).
    #[must_use]
    pub fn to_value(&self) -> Value {
        // The text is valid JSON by construction (see the type's docs).
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// Parses the value into a `T`, which may borrow from `self`.
    ///
    /// # Errors
    ///
    /// `serde_json`'s error when the value does not fit `T`.
    pub fn parse<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl Default for RawJson {
    /// `null`.
    fn default() -> Self {
        Self::null()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || self.to_value() == other.to_value()
    }
}

impl PartialEq<Value> for RawJson {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl PartialEq<RawJson> for Value {
    fn eq(&self, other: &RawJson) -> bool {
        other == self
    }
}

impl From<Value> for RawJson {
    fn from(value: Value) -> Self {
        Self::from_value(&value)
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> Self {
        Self::from_value(value)
    }
}

impl From<RawJson> for Value {
    fn from(raw: RawJson) -> Self {
        raw.to_value()
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut out = Vec::new();
        Transcode {
            out: &mut out,
            depth: 0,
        }
        .deserialize(deserializer)?;
        // Only ASCII punctuation and `serde_json`'s own output were written.
        let text = String::from_utf8(out).map_err(de::Error::custom)?;
        Ok(Self(text.into_boxed_str()))
    }
}

impl JsonSchema for RawJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Value::schema_name()
    }

    fn inline_schema() -> bool {
        Value::inline_schema()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        Value::json_schema(generator)
    }
}

/// Writes the value a deserializer yields as compact JSON text: punctuation here, strings and
/// numbers by `serde_json`'s writer.
struct Transcode<'a> {
    out: &'a mut Vec<u8>,
    depth: u32,
}

impl Transcode<'_> {
    fn nested<E: de::Error>(&mut self) -> Result<Transcode<'_>, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format_args!(
                "JSON nested deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(Transcode {
            out: &mut *self.out,
            depth: self.depth + 1,
        })
    }
}

/// Appends `value` as `serde_json` writes it (writing to a `Vec` fails only for values JSON
/// cannot hold, which the callers do not pass).
fn write_json<E: de::Error>(out: &mut Vec<u8>, value: &(impl Serialize + ?Sized)) -> Result<(), E> {
    serde_json::to_writer(out, value).map_err(E::custom)
}

/// Visitor methods that write their argument with [`write_json`].
macro_rules! write_as_json {
    ($($method:ident: $ty:ty),*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<(), E> {
            write_json(self.out, &v)
        }
    )*};
}

impl<'de> DeserializeSeed<'de> for Transcode<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Transcode<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    write_as_json!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128, visit_u128: u128, visit_str: &str);

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // As `serde_json::Value` does: a number that JSON cannot hold is `null`.
        match serde_json::Number::from_f64(v) {
            Some(n) => write_json(self.out, &n),
            None => self.visit_unit(),
        }
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<(), E> {
        write_json(self.out, v)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(mut self, deserializer: D) -> Result<(), D::Error> {
        self.nested()?.deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        mut self,
        deserializer: D,
    ) -> Result<(), D::Error> {
        self.nested()?.deserialize(deserializer)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.out.push(b'[');
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            if seq.next_element_seed(self.nested()?)?.is_none() {
                self.out.truncate(mark);
                break;
            }
            first = false;
        }
        self.out.push(b']');
        Ok(())
    }

    fn visit_map<A: de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.out.push(b'{');
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            if map.next_key_seed(KeyText(self.out))?.is_none() {
                self.out.truncate(mark);
                break;
            }
            self.out.push(b':');
            map.next_value_seed(self.nested()?)?;
            first = false;
        }
        self.out.push(b'}');
        Ok(())
    }
}

/// Writes a map key as a JSON string.
struct KeyText<'a>(&'a mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for KeyText<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl KeyText<'_> {
    /// A key that is not a string, as the string of its JSON text.
    fn quoted<E: de::Error>(self, v: impl Serialize) -> Result<(), E> {
        let text = serde_json::to_string(&v).map_err(E::custom)?;
        write_json(self.0, &text)
    }
}

impl Visitor<'_> for KeyText<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        write_json(self.0, v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.quoted(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.quoted(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.quoted(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn through_serde_json(text: &str) -> String {
        serde_json::from_str::<RawJson>(text)
            .expect("valid JSON reads")
            .into_string()
    }

    #[test]
    fn keeps_the_text_compact_and_in_wire_order() {
        assert_eq!(
            through_serde_json(
                r#" { "b" : [1, -2, 3.5, true, null], "a": {"x": "y"}, "e": {} , "s": []} "#
            ),
            r#"{"b":[1,-2,3.5,true,null],"a":{"x":"y"},"e":{},"s":[]}"#
        );
        for scalar in [
            "null",
            "true",
            "false",
            "0",
            "-7",
            "18446744073709551615",
            "1e-7",
            "\"\"",
        ] {
            let back: Value =
                serde_json::from_str(&through_serde_json(scalar)).expect("the text parses");
            assert_eq!(
                back,
                serde_json::from_str::<Value>(scalar).expect("a scalar"),
                "{scalar}"
            );
        }
    }

    #[test]
    fn escapes_what_json_requires_and_nothing_else() {
        let text =
            "quote \" backslash \\ nl \n cr \r tab \t bs \u{8} ff \u{c} nul \u{0} us \u{1f} é✓ 🎉";
        let raw = RawJson::from_value(&json!({ "k\"ey": text }));
        let reparsed = through_serde_json(raw.as_str());
        assert_eq!(
            reparsed,
            serde_json::to_string(&json!({ "k\"ey": text })).expect("as written")
        );
        assert_eq!(
            RawJson::from_json(&*reparsed)
                .expect("as written")
                .to_value()["k\"ey"],
            text
        );
    }

    #[test]
    fn reads_from_any_deserializer_and_round_trips_through_value() {
        let value = json!({"n": [1, 2.25, -3], "o": {"deep": {"er": null}}, "s": "x\ty"});
        let raw: RawJson = serde_json::from_value(value.clone()).expect("as written");
        assert_eq!(raw, value);
        assert_eq!(raw.to_value(), value);
        assert_eq!(serde_json::to_value(&raw).expect("as written"), value);
        assert_eq!(Value::from(raw.clone()), value);
        assert_eq!(RawJson::from(value.clone()), raw);
    }

    #[test]
    fn equality_is_of_values() {
        let a = RawJson::from_json(r#"{"a":1,"b":2}"#).expect("as written");
        let b = RawJson::from_json(r#"{"b":2,"a":1}"#).expect("as written");
        assert_eq!(a, b);
        assert_ne!(a, RawJson::from_json(r#"{"a":1}"#).expect("as written"));
        assert_eq!(RawJson::default(), Value::Null);
        assert!(RawJson::null().is_null());
        assert!(!a.is_null());
    }

    #[test]
    fn from_json_checks_and_trims() {
        assert_eq!(
            RawJson::from_json(" [1] \n").expect("as written").as_str(),
            "[1]"
        );
        for bad in ["", "{", "[1,]", "1 2", "nul", "\"unterminated"] {
            assert!(RawJson::from_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refuses_nesting_serde_json_could_not_read_back() {
        let mut deep = Value::Null;
        for _ in 0..200 {
            deep = Value::Array(vec![deep]);
        }
        let err = serde_json::from_value::<RawJson>(deep).expect_err("too deep");
        assert!(err.to_string().contains("nested deeper than 127"), "{err}");
        let mut nested = Value::Null;
        for depth in 0..140 {
            // Whatever is accepted parses back.
            if let Ok(raw) = serde_json::from_value::<RawJson>(nested.clone()) {
                assert_eq!(raw.to_value(), nested, "depth {depth}");
                assert!(
                    serde_json::from_str::<Value>(raw.as_str()).is_ok(),
                    "depth {depth}"
                );
            } else {
                assert!(depth > 100, "depth {depth} refused");
            }
            nested = Value::Array(vec![nested]);
        }
    }

    #[test]
    fn parse_borrows() {
        #[derive(Deserialize)]
        struct City<'a> {
            city: &'a str,
        }
        let raw = RawJson::from_json(r#"{"city":"Paris"}"#).expect("as written");
        assert_eq!(raw.parse::<City<'_>>().expect("as written").city, "Paris");
        assert!(raw.parse::<Vec<u8>>().is_err());
        assert_eq!(
            format!("{raw:?} {raw}"),
            r#"{"city":"Paris"} {"city":"Paris"}"#
        );
    }
}
