//! Building blocks shared by the wire types: open string enums, zero-copy keys, a map
//! replayer for tag-first dispatch, and the collector behind strict mode.
//!
//! The hot path (one exec JSONL line → [`crate::exec::ThreadEvent`]) is a single pass over the
//! input: the `type` tag is read first (codex always writes it before the payload, after at
//! most an `id`), and the rest of the object is handed to the payload's derived deserializer
//! without buffering. Only keys that arrive *before* the tag are buffered, as JSON values.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{DeserializeSeed, Error as _, MapAccess};
use serde_json::{Map, Value};

/// Declares an open string enum: known wire values plus `Unknown(String)` for values a newer
/// codex may send. It (de)serializes as a plain JSON string and never fails on an unknown one.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every value this crate knows, in wire spelling.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The wire spelling of this value.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(other) => other,
                }
            }

            /// Whether this is a value the crate does not know.
            #[must_use]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }

            /// Maps a wire string to a value (unknown strings become `Unknown`).
            #[must_use]
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let key = $crate::wire::Key::deserialize(deserializer)?;
                Ok(Self::from_wire(key.as_str()))
            }
        }

        impl $crate::wire::Unknowns for $name {
            fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
                if let Self::Unknown(value) = self {
                    out.push(format!("{path}={value}"));
                }
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "description": concat!(
                        "Open set: the known values are listed; a newer codex may send others, ",
                        "which parse as `Unknown`."
                    ),
                    "anyOf": [
                        { "type": "string", "enum": [$($wire),*] },
                        { "type": "string" }
                    ]
                })
            }
        }
    };
}

pub(crate) use wire_enum;

/// Implements `Deserialize` for a struct of named fields plus `extra: Map<String, Value>`,
/// with the meaning of serde's derive and `#[serde(flatten)] extra` (known keys to their
/// fields, `duplicate field` and `missing field` errors worded as serde words them, every
/// other key into `extra`), without serde's flatten machinery, which buffers each key as
/// `Content` and replays the leftovers through a second deserializer: on the command items
/// that was a tenth of the parse, and most of it on the small events and items (usage, file
/// changes, MCP calls, to-do lists). Every exec payload with an `extra` map uses it.
///
/// Each field is `name: "wire name" required` (absent is an error) or `name: "wire name"
/// default` (absent is `Default::default()`, as `#[serde(default)]` and serde's `Option`
/// fields have it). Keep the struct's `#[serde]` attributes: `Serialize` and the JSON schema
/// still read them. `Name skipping ["key"] { … }` also drops the listed keys (a tag the
/// caller has read already) instead of keeping them in `extra`.
macro_rules! deserialize_with_extra {
    (@missing $err:ty, $field:ident, $wire:literal, required) => {
        match $field {
            Some(value) => value,
            None => return Err(<$err as serde::de::Error>::missing_field($wire)),
        }
    };
    (@missing $err:ty, $field:ident, $wire:literal, default) => {
        $field.unwrap_or_default()
    };
    ($ty:ident { $($field:ident : $wire:literal $presence:ident),* $(,)? }) => {
        $crate::wire::deserialize_with_extra!($ty skipping [] { $($field : $wire $presence),* });
    };
    ($ty:ident skipping [$($skip:literal),*] { $($field:ident : $wire:literal $presence:ident),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct FieldsVisitor;

                impl<'de> serde::de::Visitor<'de> for FieldsVisitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($ty)))
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        $(let mut $field = None;)*
                        let mut extra = serde_json::Map::new();
                        while let Some(key) = map.next_key::<$crate::wire::Key<'de>>()? {
                            match key.as_str() {
                                $($wire => {
                                    if $field.is_some() {
                                        return Err(
                                            <A::Error as serde::de::Error>::duplicate_field($wire),
                                        );
                                    }
                                    $field = Some(map.next_value()?);
                                })*
                                $($skip => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                })*
                                _ => {
                                    let value = map.next_value::<serde_json::Value>()?;
                                    extra.insert(key.into_string(), value);
                                }
                            }
                        }
                        Ok($ty {
                            $($field: $crate::wire::deserialize_with_extra!(
                                @missing A::Error, $field, $wire, $presence
                            ),)*
                            extra,
                        })
                    }
                }

                deserializer.deserialize_map(FieldsVisitor)
            }
        }
    };
}

pub(crate) use deserialize_with_extra;

/// A map key or short string read without copying when the input allows it.
#[derive(Debug)]
pub(crate) struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Feeds a key to a seed, borrowing when possible.
fn seed_key<'de, K, E>(seed: K, key: Key<'de>) -> Result<K::Value, E>
where
    K: DeserializeSeed<'de>,
    E: serde::de::Error,
{
    match key.0 {
        Cow::Borrowed(s) => seed.deserialize(BorrowedStrDeserializer::<E>::new(s)),
        Cow::Owned(s) => seed.deserialize(StringDeserializer::<E>::new(s)),
    }
}

/// The object fields that came before the `type` tag, and what to do with an `id` key.
#[derive(Debug, Default)]
pub(crate) struct Prelude {
    /// Fields seen before the tag, in order.
    pub(crate) buffered: Vec<(String, Value)>,
}

/// What a tag-first visitor saw before the tag.
pub(crate) struct Tagged<'de> {
    pub(crate) tag: Key<'de>,
    pub(crate) prelude: Prelude,
    /// The first `id`, when the caller asked for it to be taken out (items).
    pub(crate) id: Option<String>,
}

/// Reads keys until the `tag` key. With `take_id`, the first `id` key is removed and returned
/// separately (exec items carry their id beside the tag).
pub(crate) fn read_until_tag<'de, A: MapAccess<'de>>(
    map: &mut A,
    tag: &'static str,
    take_id: bool,
) -> Result<Tagged<'de>, A::Error> {
    let mut prelude = Prelude::default();
    let mut id = None;
    while let Some(key) = map.next_key::<Key<'de>>()? {
        if key.as_str() == tag {
            let tag = map.next_value::<Key<'de>>().map_err(|e| {
                A::Error::custom(format_args!("field `{tag}` must be a string ({e})"))
            })?;
            return Ok(Tagged { tag, prelude, id });
        }
        if take_id && id.is_none() && key.as_str() == "id" {
            id = Some(map.next_value::<String>().map_err(|e| {
                A::Error::custom(format_args!("field `id` must be a string ({e})"))
            })?);
            continue;
        }
        let value = map.next_value::<Value>()?;
        prelude.buffered.push((key.0.into_owned(), value));
    }
    Err(A::Error::missing_field(tag))
}

/// A [`MapAccess`] that first replays buffered fields, then continues with the live map.
/// With an `id` slot, the first `id` key seen while the slot is empty fills the slot instead
/// of reaching the payload.
pub(crate) struct Replay<'a, A> {
    buffered: std::vec::IntoIter<(String, Value)>,
    pending: Option<Value>,
    inner: A,
    id_slot: Option<&'a mut Option<String>>,
}

impl<'a, A> Replay<'a, A> {
    pub(crate) fn new(prelude: Prelude, inner: A, id_slot: Option<&'a mut Option<String>>) -> Self {
        Self {
            buffered: prelude.buffered.into_iter(),
            pending: None,
            inner,
            id_slot,
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        if let Some((key, value)) = self.buffered.next() {
            self.pending = Some(value);
            return seed
                .deserialize(StringDeserializer::<A::Error>::new(key))
                .map(Some);
        }
        loop {
            let Some(key) = self.inner.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            if key.as_str() == "id"
                && let Some(slot) = self.id_slot.as_deref_mut()
                && slot.is_none()
            {
                *slot = Some(self.inner.next_value::<String>().map_err(|e| {
                    A::Error::custom(format_args!("field `id` must be a string ({e})"))
                })?);
                continue;
            }
            return seed_key::<K, A::Error>(seed, key).map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.pending.take() {
            Some(value) => seed.deserialize(value).map_err(A::Error::custom),
            None => self.inner.next_value_seed(seed),
        }
    }
}

/// Collects the rest of a map (after the prelude) into a JSON object, for `Unknown` variants.
pub(crate) fn collect_rest<'de, A: MapAccess<'de>>(
    prelude: Prelude,
    map: &mut A,
) -> Result<Map<String, Value>, A::Error> {
    let mut out: Map<String, Value> = prelude.buffered.into_iter().collect();
    while let Some(key) = map.next_key::<String>()? {
        let value = map.next_value::<Value>()?;
        out.insert(key, value);
    }
    Ok(out)
}

/// Walks a value and reports everything this crate does not model: `Unknown` variants and
/// fields kept in `extra` maps. Strict mode rejects a message whose report is not empty.
pub trait Unknowns {
    /// Appends one entry per unknown, as a path under `path` (for example
    /// `item.type=future_item` or `usage.new_field`).
    fn collect_unknowns(&self, path: &str, out: &mut Vec<String>);

    /// Every unknown in this value; empty when it is fully modeled.
    fn unknowns(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_unknowns("", &mut out);
        out
    }
}

/// Joins a path and a field name with a dot.
pub(crate) fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Reports every key of an `extra` map.
pub(crate) fn extra_unknowns(path: &str, extra: &Map<String, Value>, out: &mut Vec<String>) {
    out.extend(extra.keys().map(|k| join(path, k)));
}

impl<T: Unknowns> Unknowns for Option<T> {
    fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.collect_unknowns(path, out);
        }
    }
}

impl<T: Unknowns> Unknowns for Vec<T> {
    fn collect_unknowns(&self, path: &str, out: &mut Vec<String>) {
        for (i, v) in self.iter().enumerate() {
            v.collect_unknowns(&format!("{path}[{i}]"), out);
        }
    }
}
