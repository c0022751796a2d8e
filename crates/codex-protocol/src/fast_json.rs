//! A fast path for reading JSON lines into this crate's types, checked against `serde_json`.
//!
//! [`parse_with`] runs a `serde` deserializer for one JSON document held in a `&str`, made for
//! the shapes codex writes: it borrows every string without escapes, and decodes escaped strings
//! into one buffer per line, allocated once at the size of the rest of the line, finding the
//! end of each run between two escapes eight bytes at a time and copying the run at once, and
//! mapping each escape through a table. (Copying eight bytes at a time and cutting back, as an
//! earlier version did, measured slower on command output full of quotes, backslashes and tabs:
//! 98 against 95 ms for the bench stream's typed parse; a `match` on the escape, 97.) A buffer
//! kept from line to line in a thread-local was about 3% faster; it is not worth state that
//! outlives the call.
//!
//! [`Cursor`] reads the same tokens by hand, for [`crate::exec`]'s shortcut that reads the
//! common exec events straight into their fields.
//!
//! It never decides what is an error. Whenever anything is not exactly what it handles (a
//! syntax error, a visitor's error, a number with a fraction or exponent or a sign, a surrogate
//! escape, nesting deeper than [`MAX_DEPTH`], an enum, bytes), it gives up and returns `None`,
//! and the caller parses the same line with `serde_json`, whose value or error is then the
//! answer. So the only property to keep is: when this returns `Some`, the value is the one
//! `serde_json` returns for the same text. The tests check that on every fixture line, on
//! edge cases and on mutated lines, and the `exec_line` fuzz target checks it on whatever the
//! fuzzer finds.
//!
//! Each `deserialize_*` method calls the visitor method `serde_json` calls for the same token
//! (`null` as `visit_none` for options, strings as `visit_borrowed_str` or `visit_str`,
//! non-negative integers as `visit_u64`, other numbers through `serde_json::Number`), so
//! visitors see the same calls in the same order.

use std::fmt;

use serde::de::{self, DeserializeSeed, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};

/// Nesting deeper than this is left to `serde_json` (whose own limit is 128).
pub(crate) const MAX_DEPTH: u32 = 100;

/// Reads `text` as one JSON document into a `T`, or `None` when the fast path gives up (see
/// the [module docs](self)): the caller then parses `text` with `serde_json`.
#[cfg(any(test, fuzzing))]
pub(crate) fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Option<T> {
    fast(text).ok()
}

/// The fast path alone: the whole of `text` as one `T`, or [`GiveUp`].
#[inline]
fn fast<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T> {
    let mut de = Deserializer {
        input: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
        scratch: String::new(),
    };
    let value = T::deserialize(&mut de)?;
    de.skip_ws();
    if de.pos == de.input.len() {
        Ok(value)
    } else {
        Err(GiveUp)
    }
}

/// Reads `text` as one JSON document into a `T`: the fast path, and `serde_json` when it gives
/// up, with `serde_json`'s error mapped by `error`. The value or error is the one
/// `serde_json::from_str` gives.
///
/// The error is mapped here rather than by the caller so that the value is moved fewer
/// times: an event is a couple of hundred bytes, and each `Option`/`Result` conversion on
/// its way out copied it (moving it once made the typed parse about 5% faster).
///
/// # Errors
///
/// As `serde_json::from_str`, mapped by `error`.
#[inline]
pub(crate) fn parse_with<'de, T: Deserialize<'de>, E>(
    text: &'de str,
    error: impl FnOnce(serde_json::Error) -> E,
) -> std::result::Result<T, E> {
    if let Ok(value) = fast(text) {
        return Ok(value);
    }
    serde_json::from_str(text).map_err(error)
}

/// Why the fast path gave up; never shown to anyone.
#[derive(Debug)]
pub(crate) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        GiveUp
    }
}

type Result<T> = std::result::Result<T, GiveUp>;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask whose lowest set bit (if any) is the high bit of the first byte of `word` (little
/// endian) that ends a run of plain string bytes: `"`, `\` or a control character. Bits above
/// the lowest may be false positives, never the lowest.
#[inline]
fn specials(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (word.wrapping_sub(ONES * 0x20) & !word))
        & HIGHS
}

#[inline]
fn is_special(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

/// The index of the first special byte at or after `at`, or `bytes.len()`.
#[inline]
fn find_special(bytes: &[u8], mut at: usize) -> usize {
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let mask = specials(u64::from_le_bytes(*chunk));
        if mask != 0 {
            return at + (mask.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < bytes.len() && !is_special(bytes[at]) {
        at += 1;
    }
    at
}

/// What the byte after a backslash stands for in a JSON string, for the one-byte escapes; 0
/// for `u` (four hex digits follow) and for bytes that are no escape.
const UNESCAPE: [u8; 256] = {
    let mut table = [0; 256];
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'/' as usize] = b'/';
    table[b'b' as usize] = 0x08;
    table[b'f' as usize] = 0x0c;
    table[b'n' as usize] = b'\n';
    table[b'r' as usize] = b'\r';
    table[b't' as usize] = b'\t';
    table
};

/// Four hex digits.
fn hex4(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.get(..4)?;
    let mut value = 0;
    for &digit in digits {
        value = value * 16 + char::from(digit).to_digit(16)?;
    }
    Some(value)
}

/// A decoded string: borrowed from the input, or in the scratch buffer.
enum Text<'de, 's> {
    Borrowed(&'de str),
    Copied(&'s str),
}

struct Deserializer<'de> {
    input: &'de [u8],
    text: &'de str,
    pos: usize,
    depth: u32,
    scratch: String,
}

impl<'de> Deserializer<'de> {
    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.input.get(self.pos).copied()
    }

    /// Consumes `byte` (after whitespace) or gives up.
    #[inline]
    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.input.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// The string whose opening quote is at `self.pos`.
    fn string(&mut self) -> Result<Text<'de, '_>> {
        let start = self.pos + 1;
        let mut at = find_special(self.input, start);
        match self.input.get(at) {
            Some(b'"') => {
                self.pos = at + 1;
                // Both ends are ASCII quotes, so both are character boundaries.
                return self.text.get(start..at).map(Text::Borrowed).ok_or(GiveUp);
            }
            Some(b'\\') => {}
            _ => return Err(GiveUp),
        }
        let (input, text) = (self.input, self.text);
        let scratch = &mut self.scratch;
        scratch.clear();
        // One allocation per line at most: no string of the line decodes to more bytes than
        // the rest of the line holds.
        scratch.reserve(input.len() - start);
        // Every piece appended below is cut at ASCII bytes (the special ones), which are
        // character boundaries, so each slice of `text` is a `str` without a second check.
        scratch.push_str(text.get(start..at).ok_or(GiveUp)?);
        loop {
            // `input[at]` is a backslash.
            let escaped = *input.get(at + 1).ok_or(GiveUp)?;
            at += 2;
            // A table rather than a `match`: about 2% faster on command output, where which
            // escape comes next is as good as random (95 against 97 ms, bench stream).
            let plain = UNESCAPE[usize::from(escaped)];
            if plain != 0 {
                scratch.push(char::from(plain));
            } else if escaped == b'u' {
                let code = hex4(&input[at..]).ok_or(GiveUp)?;
                at += 4;
                let code = if (0xD800..0xDC00).contains(&code) {
                    // A surrogate pair: the low half must follow at once.
                    if input.get(at..at + 2) != Some(b"\\u") {
                        return Err(GiveUp);
                    }
                    let low = hex4(&input[at + 2..]).ok_or(GiveUp)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(GiveUp);
                    }
                    at += 6;
                    0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    code
                };
                scratch.push(char::from_u32(code).ok_or(GiveUp)?);
            } else {
                return Err(GiveUp);
            }
            let end = find_special(input, at);
            scratch.push_str(text.get(at..end).ok_or(GiveUp)?);
            at = end;
            match input.get(at) {
                Some(b'"') => break,
                Some(b'\\') => {}
                _ => return Err(GiveUp),
            }
        }
        self.pos = at + 1;
        Ok(Text::Copied(self.scratch.as_str()))
    }

    /// The number starting at `self.pos`: non-negative integers that fit a `u64` here, every
    /// other number through `serde_json::Number`, as `serde_json` reads it.
    fn number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let start = self.pos;
        let input = self.input;
        let mut at = start;
        let mut value: Option<u64> = Some(0);
        while let Some(&digit @ b'0'..=b'9') = input.get(at) {
            value = value
                .and_then(|v| v.checked_mul(10))
                .and_then(|v| v.checked_add(u64::from(digit - b'0')));
            at += 1;
        }
        let plain = at > start
            && (input[start] != b'0' || at == start + 1)
            && !matches!(input.get(at), Some(b'.' | b'e' | b'E' | b'-' | b'+'));
        if let (true, Some(value)) = (plain, value) {
            self.pos = at;
            return visitor.visit_u64(value);
        }
        while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'-' | b'+') = input.get(at) {
            at += 1;
        }
        let number: serde_json::Number =
            serde_json::from_str(self.text.get(start..at).ok_or(GiveUp)?).map_err(|_| GiveUp)?;
        self.pos = at;
        de::Deserializer::deserialize_any(number, visitor).map_err(|_| GiveUp)
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.pos += 1;
        Ok(())
    }
}

/// A reader driven by hand over one JSON document, for the parsers that read a shape they know
/// without `serde`'s visitors ([`crate::exec`]'s shortcut for the events that fill long turns).
/// It reads tokens and decodes strings exactly as the deserializer does; every method returns
/// `None` where the deserializer would give up, or where the next token is not the one asked
/// for, and the caller then leaves the line to the deserializer.
pub(crate) struct Cursor<'de>(Deserializer<'de>);

impl<'de> Cursor<'de> {
    /// A cursor at the start of `text`.
    #[inline]
    pub(crate) fn new(text: &'de str) -> Self {
        Self(Deserializer {
            input: text.as_bytes(),
            text,
            pos: 0,
            depth: 0,
            scratch: String::new(),
        })
    }

    /// Consumes `byte`, after whitespace.
    #[inline]
    pub(crate) fn byte(&mut self, byte: u8) -> Option<()> {
        self.0.expect(byte).ok()
    }

    /// A string without escapes, borrowed from the input (codex escapes no key and no tag).
    #[inline]
    pub(crate) fn plain_str(&mut self) -> Option<&'de str> {
        if self.0.peek() != Some(b'"') {
            return None;
        }
        match self.0.string().ok()? {
            Text::Borrowed(text) => Some(text),
            Text::Copied(_) => None,
        }
    }

    /// A string, decoded, in a `String` of its own length (as `serde`'s `String` visitor makes
    /// it).
    #[inline]
    pub(crate) fn string(&mut self) -> Option<String> {
        if self.0.peek() != Some(b'"') {
            return None;
        }
        Some(match self.0.string().ok()? {
            Text::Borrowed(text) | Text::Copied(text) => text.to_owned(),
        })
    }

    /// `null`, or a number that `serde_json` reads as a non-negative integer fitting an
    /// `i32`.
    #[inline]
    pub(crate) fn i32_or_null(&mut self) -> Result<Option<i32>> {
        if self.0.peek() == Some(b'n') {
            self.0.literal(b"null")?;
            return Ok(None);
        }
        let value = self.0.number(U64)?;
        i32::try_from(value).map(Some).map_err(|_| GiveUp)
    }

    /// A number that `serde_json` reads as a non-negative integer.
    #[inline]
    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.0.peek()?;
        self.0.number(U64).ok()
    }

    /// `true` or `false`.
    #[inline]
    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.0.peek()? {
            b't' => self.0.literal(b"true").ok().map(|()| true),
            b'f' => self.0.literal(b"false").ok().map(|()| false),
            _ => None,
        }
    }

    /// Consumes an array's `[`: `true` when an element follows, `false` past the `]` of an
    /// empty array.
    #[inline]
    pub(crate) fn array(&mut self) -> Option<bool> {
        self.byte(b'[')?;
        if self.0.peek()? == b']' {
            self.0.pos += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After an entry of an object (`close` is `}`) or an element of an array (`]`): `true`
    /// past a comma (another follows), `false` past `close`.
    #[inline]
    pub(crate) fn comma_or(&mut self, close: u8) -> Option<bool> {
        let next = self.0.peek()?;
        let more = if next == b',' {
            true
        } else if next == close {
            false
        } else {
            return None;
        };
        self.0.pos += 1;
        Some(more)
    }

    /// The value at the cursor read into a `T` by `T`'s own `Deserialize` on the deserializer,
    /// the call the `serde` path makes for the same field, so the value is the same by
    /// construction. (Its nesting limit counts from here rather than from the document's
    /// root: a value the cursor takes is at most [`MAX_DEPTH`] plus the few levels above it
    /// deep, still under `serde_json`'s own limit.)
    #[inline]
    pub(crate) fn value<T: Deserialize<'de>>(&mut self) -> Option<T> {
        T::deserialize(&mut self.0).ok()
    }

    /// Whether nothing but whitespace is left.
    #[inline]
    pub(crate) fn at_end(&mut self) -> bool {
        self.0.skip_ws();
        self.0.pos == self.0.input.len()
    }
}

/// A visitor that takes non-negative integers only (what [`Deserializer::number`] reads
/// itself) and refuses every other number.
struct U64;

impl Visitor<'_> for U64 {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> std::result::Result<u64, E> {
        Ok(value)
    }
}

/// `deserialize_*` methods that give up, each with the arguments it takes before the visitor.
macro_rules! give_up {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* _visitor: V) -> Result<V::Value> {
            Err(GiveUp)
        })*
    };
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek().ok_or(GiveUp)? {
            b'"' => match self.string()? {
                Text::Borrowed(text) => visitor.visit_borrowed_str(text),
                Text::Copied(text) => visitor.visit_str(text),
            },
            b'{' => {
                self.enter()?;
                let value = visitor.visit_map(Entries {
                    de: &mut *self,
                    first: true,
                })?;
                self.depth -= 1;
                self.expect(b'}')?;
                Ok(value)
            }
            b'[' => {
                self.enter()?;
                let value = visitor.visit_seq(Elements {
                    de: &mut *self,
                    first: true,
                })?;
                self.depth -= 1;
                self.expect(b']')?;
                Ok(value)
            }
            b'0'..=b'9' | b'-' => self.number(visitor),
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            _ => Err(GiveUp),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    give_up! {
        deserialize_enum(_name: &'static str, _variants: &'static [&'static str])
        deserialize_bytes() deserialize_byte_buf() deserialize_f32() deserialize_i128()
        deserialize_u128()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f64 char str string unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// An object's entries.
struct Entries<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.de.peek() {
            Some(b'}') => return Ok(None),
            Some(b',') if !self.first => {
                self.de.pos += 1;
                if self.de.peek() != Some(b'"') {
                    return Err(GiveUp);
                }
            }
            Some(b'"') if self.first => {}
            _ => return Err(GiveUp),
        }
        self.first = false;
        seed.deserialize(MapKey { de: &mut *self.de }).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.de.expect(b':')?;
        seed.deserialize(&mut *self.de)
    }
}

/// An array's elements.
struct Elements<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.de.peek() {
            Some(b']') => return Ok(None),
            Some(b',') if !self.first => self.de.pos += 1,
            Some(_) if self.first => {}
            _ => return Err(GiveUp),
        }
        self.first = false;
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// An object key: always a string.
struct MapKey<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> de::Deserializer<'de> for MapKey<'_, 'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.de.string()? {
            Text::Borrowed(text) => visitor.visit_borrowed_str(text),
            Text::Copied(text) => visitor.visit_str(text),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    give_up! {
        deserialize_newtype_struct(_name: &'static str)
        deserialize_enum(_name: &'static str, _variants: &'static [&'static str])
        deserialize_unit_struct(_name: &'static str)
        deserialize_tuple(_len: usize)
        deserialize_tuple_struct(_name: &'static str, _len: usize)
        deserialize_struct(_name: &'static str, _fields: &'static [&'static str])
        deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32() deserialize_i64()
        deserialize_i128() deserialize_u8() deserialize_u16() deserialize_u32() deserialize_u64()
        deserialize_u128() deserialize_f32() deserialize_f64() deserialize_char()
        deserialize_bytes() deserialize_byte_buf() deserialize_option() deserialize_unit()
        deserialize_seq() deserialize_map()
    }
}

/// For the fuzz targets and the tests: panics when the fast path returns a value for `text`
/// that differs from `serde_json`'s (or prints differently with `Debug`) (for a [`ThreadEvent`](crate::exec::ThreadEvent) and for
/// a [`serde_json::Value`]), or returns one where `serde_json` fails. Returns whether the fast
/// path took the line as an event.
#[cfg(any(test, fuzzing))]
pub(crate) fn check_against_serde(text: &str) -> bool {
    fn agree<'de, T>(text: &'de str) -> bool
    where
        T: Deserialize<'de> + PartialEq + fmt::Debug,
    {
        let Some(fast) = from_str::<T>(text) else {
            return false;
        };
        match serde_json::from_str::<T>(text) {
            // `Debug` as well: a `RawJson` compares as a value, but its text must be the same.
            Ok(slow) => assert!(
                fast == slow && format!("{fast:?}") == format!("{slow:?}"),
                "the fast path disagrees with serde_json on {text:?}:\n{fast:?}\n{slow:?}"
            ),
            Err(error) => {
                panic!("the fast path accepted {text:?}, which serde_json rejects: {error}")
            }
        }
        true
    }
    agree::<serde_json::Value>(text);
    // The exec parser's shortcut for item events, which reads through a `Cursor`.
    if let Some(direct) = crate::exec::fast_event::event(text) {
        match serde_json::from_str::<crate::exec::ThreadEvent>(text) {
            Ok(slow) => assert!(
                direct == slow && format!("{direct:?}") == format!("{slow:?}"),
                "the exec shortcut disagrees with serde_json on {text:?}:\n{direct:?}\n{slow:?}"
            ),
            Err(error) => {
                panic!("the exec shortcut accepted {text:?}, which serde_json rejects: {error}")
            }
        }
    }
    agree::<crate::exec::ThreadEvent>(text)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// Every `.jsonl` file under `fixtures/<dir>`, recursively.
    fn jsonl_files(dir: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures")
                .join(dir),
        ];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("the fixtures are readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "jsonl") {
                    out.push(path);
                }
            }
        }
        out.sort();
        out
    }

    fn lines(files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .flat_map(|path| {
                std::fs::read_to_string(path)
                    .expect("a readable fixture")
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn takes_every_live_exec_line_and_agrees_with_serde_json() {
        let files: Vec<PathBuf> = jsonl_files("codex-0.169.0")
            .into_iter()
            .filter(|p| {
                p.parent().is_some_and(|d| d.ends_with("codex-0.169.0"))
                    && !p.to_string_lossy().ends_with(".requests.jsonl")
            })
            .collect();
        assert!(files.len() >= 20, "the live exec transcripts: {files:?}");
        let mut taken = 0;
        for line in lines(&files) {
            assert!(
                check_against_serde(&line),
                "the fast path gave up on a live exec line: {line}"
            );
            taken += 1;
        }
        assert!(taken > 100, "only {taken} lines");
        for line in codex_agent_testkit::synthetic::exec_stream(14 * 3) {
            assert!(check_against_serde(&line), "gave up on {line}");
        }
    }

    #[test]
    fn agrees_with_serde_json_on_every_captured_json_line() {
        // Requests, app-server traffic and rollouts: shapes far beyond exec events.
        let files = jsonl_files("");
        let all = lines(&files);
        assert!(all.len() > 500, "only {} lines", all.len());
        let mut values = 0;
        for line in &all {
            check_against_serde(line);
            values += usize::from(from_str::<serde_json::Value>(line).is_some());
        }
        // Almost every captured line is plain JSON the fast path reads itself.
        assert!(values * 10 > all.len() * 9, "{values} of {}", all.len());
    }

    #[test]
    fn edge_cases_agree_with_serde_json() {
        let mut cases: Vec<String> = [
            r#"{"type":"error","message":"a \"b\" \\ \/ \b\f\n\r\t \u0000 \u00e9 \u2713 \ud83d\ude00"}"#,
            r#"{"type":"error","message":"\ud83d"}"#,
            r#"{"type":"error","message":"\ud83d\u0041"}"#,
            r#"{"type":"error","message":"\ude00"}"#,
            r#"{"type":"error","message":"\x"}"#,
            r#"{"type":"error","message":"\u12"}"#,
            r#"{"type":"error","message":"\u12g4"}"#,
            "{\"type\":\"error\",\"message\":\"raw \t tab\"}",
            "{\"type\":\"error\",\"message\":\"raw \u{1} control\"}",
            r#"{"type":"error","message":"unterminated"#,
            r#"{"type":"error","message":"x\"#,
            r#"{"type":"error","message":"x\u"#,
            r#"{"type":"error","message":"x","message":"y"}"#,
            r#"{"type":"error","message":"x",}"#,
            r#"{"type":"error" "message":"x"}"#,
            r#"{"type":"error","message":"x"} x"#,
            " \t\r\n{ \"type\" : \"error\" , \"message\" : \"x\" } \r\n",
            r#"{"type":"error","message":"x","extra":[1,2,]}"#,
            r#"{"type":"error","message":"x","extra":[,1]}"#,
            r#"{"type":"error","message":"x","extra":[1 2]}"#,
            r#"{"type":"error","message":"x","extra":{}}"#,
            r#"{"type":"error","message":"x","extra":[]}"#,
            r#"{"type":"error","message":"x","extra":[true,false,null,tru,nul]}"#,
            r#"{"type":"error","message":"x","extra":[true,false,null]}"#,
            r#"{"type":"error","message":"x","a\"b\u00e9":1}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":18446744073709551615,"cached_input_tokens":0,"output_tokens":1}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":18446744073709551616,"cached_input_tokens":0,"output_tokens":1}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":-1,"cached_input_tokens":0,"output_tokens":1}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":1.0,"cached_input_tokens":0,"output_tokens":1}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":01,"cached_input_tokens":0,"output_tokens":1}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1,"x":[0,-0,-0.0,1e3,1E-3,2.5,-7,1.7976931348623157e308,1e309,123456789012345678901234567890,0.1e,1.,-,+1,.5]}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1,"x":[0,-0,-0.0,1e3,1E-3,2.5,-7,1.7976931348623157e308,123456789012345678901234567890]}}"#,
            r#"{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"c","aggregated_output":"","exit_code":-1,"status":"completed"}}"#,
            r#"{"type":"item.completed","item":{"type":"command_execution","id":"i","id":"j","command":"c","aggregated_output":"","exit_code":null,"status":"completed"}}"#,
            r#"{"item":{"id":"i","type":"agent_message","text":"t"},"type":"item.completed"}"#,
            r#"{"type":"brand.new","payload":{"a":[1,{"b":null}]}}"#,
            r#"{"type":7}"#,
            "[1,2,3]",
            r#""a string""#,
            "",
            "   ",
            "{",
            "}",
            "nul",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // Nesting around the depth limit, on both sides of it.
        for depth in [1, 50, 99, 100, 101, 127, 128, 129, 200] {
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            cases.push(format!(r#"{{"type":"x","deep":{nested}}}"#));
        }
        // An escape at every position of a string, around the eight-byte chunks.
        for len in 0..24 {
            for at in 0..=len {
                let mut text = "é".repeat(len % 3) + &"a".repeat(len);
                let boundary = text
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .nth(at)
                    .unwrap_or(text.len());
                text.insert_str(boundary, "\\\"");
                cases.push(format!(r#"{{"type":"error","message":"{text}"}}"#));
            }
        }
        for case in &cases {
            check_against_serde(case);
        }
        // The common shapes are taken, not left to serde_json.
        assert!(check_against_serde(&cases[0]));
        assert!(check_against_serde(&cases[16]));
    }

    #[test]
    fn the_exec_shortcut_takes_the_item_events_codex_writes() {
        let files: Vec<PathBuf> = jsonl_files("codex-0.169.0")
            .into_iter()
            .filter(|p| {
                p.parent().is_some_and(|d| d.ends_with("codex-0.169.0"))
                    && !p.to_string_lossy().ends_with(".requests.jsonl")
            })
            .collect();
        let mut all = lines(&files);
        all.extend(codex_agent_testkit::synthetic::exec_stream(14 * 3));
        let mut taken = 0;
        for line in &all {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let ours = match value["type"].as_str() {
                Some("thread.started" | "turn.started" | "turn.completed") => true,
                Some("item.started" | "item.updated" | "item.completed") => matches!(
                    value["item"]["type"].as_str(),
                    Some(
                        "command_execution"
                            | "agent_message"
                            | "reasoning"
                            | "file_change"
                            | "todo_list"
                            | "mcp_tool_call"
                    )
                ),
                _ => false,
            };
            let direct = crate::exec::fast_event::event(line);
            assert_eq!(direct.is_some(), ours, "the shortcut on {line}");
            check_against_serde(line);
            taken += usize::from(ours);
        }
        assert!(taken > 100, "only {taken} lines");
    }

    #[test]
    fn the_exec_shortcut_takes_every_shape_codex_writes() {
        let taken = [
            r#"{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"ls","aggregated_output":"a\"b\\c\té\u00e9\ud83d\ude00\n","exit_code":0,"status":"completed"}}"#,
            r#"{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}"#,
            r#"{"type":"item.updated","item":{"type":"command_execution","id":"i\"d","status":"brand_new","command":"ls","aggregated_output":""}}"#,
            r#"{"item":{"id":"item_2","type":"agent_message","text":"hi"},"type":"item.completed"}"#,
            " { \"type\" : \"item.completed\" , \"item\" : { \"id\" : \"r\" , \"type\" : \"reasoning\" , \"text\" : \"t\" } } \r\n",
            r#"{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"ls","aggregated_output":"","exit_code":2147483647,"status":"failed"}}"#,
            r#"{"type":"thread.started","thread_id":"01a1"}"#,
            r#"{"thread_id":"01\u00e9","type":"thread.started"}"#,
            r#"{"type":"turn.started"}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":18446744073709551615}}"#,
            r#"{"type":"turn.completed","usage":{"output_tokens":3,"reasoning_output_tokens":2,"cache_write_input_tokens":1,"input_tokens":1,"cached_input_tokens":0}}"#,
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[{"text":"a","completed":true},{"completed":false,"text":"b\"c"}]}}"#,
            r#"{"type":"item.started","item":{"id":"t","type":"todo_list","items":[ ]}}"#,
            r#"{"type":"item.completed","item":{"id":"f","type":"file_change","changes":[{"path":"/a","kind":"add"},{"kind":"rename","path":"/b"}],"status":"completed"}}"#,
            r#"{"type":"item.completed","item":{"id":"f","type":"file_change","changes":[],"status":"new_status"}}"#,
            // Keys no event or item type has: kept in `extra`, the last of a repeated one.
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t"},"extra":1}"#,
            r#"{"type":"turn.started","extra":{"a":[1,-2.5,null,"\u00e9"]},"more":true}"#,
            r#"{"new":0,"type":"thread.started","thread_id":"t","new":1}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1},"x":"y"}"#,
            r#"{"type":"item.completed","item":{"new":"before type","id":"i","type":"command_execution","command":"c","aggregated_output":"","exit_code":0,"status":"completed","newer":{"k":[]}}}"#,
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[],"x":1,"x":2}}"#,
            r#"{"type":"item.started","item":{"id":"f","type":"file_change","changes":[],"status":"in_progress","x":null}}"#,
            r#"{"type":"item.started","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","arguments":{"b":[1,2.5,"\u00e9"],"a":null},"result":null,"error":null,"status":"in_progress"}}"#,
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","result":{"content":[{"type":"text","text":"x"},{"type":"image","data":"AA==","mimeType":"image/png"},{"type":"new"}],"structured_content":{"k":1},"_meta":{"m":true}},"status":"completed"}}"#,
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","arguments":"not an object","error":{"message":"boom","code":7},"status":"failed","later":1}}"#,
        ];
        for line in taken {
            assert!(
                crate::exec::fast_event::event(line).is_some(),
                "not taken: {line}"
            );
            check_against_serde(line);
        }
    }

    #[test]
    fn the_exec_shortcut_gives_up_on_every_other_shape() {
        let command = |rest: &str| {
            format!(
                r#"{{"type":"item.completed","item":{{"id":"item_1","type":"command_execution","command":"ls","aggregated_output":"out",{rest}}}}}"#
            )
        };
        let given_up = [
            command(r#""exit_code":-1,"status":"failed""#),
            command(r#""exit_code":2147483648,"status":"failed""#),
            command(r#""exit_code":1.0,"status":"failed""#),
            command(r#""exit_code":01,"status":"failed""#),
            command(r#""exit_code":1e2,"status":"failed""#),
            command(r#""exit_code":"1","status":"failed""#),
            command(r#""exit_code":nul,"status":"failed""#),
            command(r#""exit_code":0,"status":"fail\u0065d""#),
            command(r#""exit_code":0,"status":7"#),
            command(r#""exit_code":0,"status":"completed","cwd":"/w""#),
            command(r#""exit_code":0,"status":"completed","text":"t""#),
            command(r#""exit_code":0,"exit_code":1,"status":"completed""#),
            command(r#""exit_code":0"#),
            command(r#""exit_code":0,"status":"completed","#),
            command(r#""exit_code":0 "status":"completed""#),
            command(r#""exit_code":0,"st\u0061tus":"completed""#),
            r#"{"type":"item.completed","item":{"type":"command_execution","command":"ls","aggregated_output":"","status":"completed"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":7,"type":"agent_message","text":"t"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t","status":"interrupted"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t","phase":"final_answer"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":null}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"reasoning","text":"t","content":"c"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"web_search","query":"q"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_messag\u0065","text":"t"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t"},"type":"item.started"}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t"}} x"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t"}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t",}}"#.to_owned(),
            r#"{"type":"item.completed"}"#.to_owned(),
            r#"{"item":{"id":"i","type":"agent_message","text":"t"}}"#.to_owned(),
            r#"{"type":"turn.started","item":{"id":"i","type":"agent_message","text":"t"}}"#.to_owned(),
            r#"{"type":"turn.started","status":"x"}"#.to_owned(),
            r#"{"type":"turn.started","type":"turn.started"}"#.to_owned(),
            r#"{"type":"turn.started","x":1.5e400}"#.to_owned(),
            r#"{"type":"turn.started","x":[1,]}"#.to_owned(),
            r#"{"type":"turn.started","\u0078":1}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t","content":"c"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"t","type":"agent_message"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"c","aggregated_output":"","status":"completed","duration_ms":5}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"i","type":"command_execution","command":"c","aggregated_output":"","status":"completed","process_id":"5"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","status":"completed","duration_ms":5}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","status":"completed","result":null,"result":null}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","status":"completed","error":null,"error":null}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","status":"completed","arguments":{},"arguments":{}}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","status":"completed"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","status":"completed","result":{"content":7}}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","status":"completed","error":"boom"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","status":"completed","arguments":[1,]}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"m","type":"mcp_tool_call","server":"s","tool":"t","status":"completed","text":"x"}}"#.to_owned(),
            r#"{"type":"thread.started"}"#.to_owned(),
            r#"{"type":"thread.started","thread_id":null}"#.to_owned(),
            r#"{"type":"thread.started","thread_id":"a","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}"#.to_owned(),
            r#"{"type":"turn.completed"}"#.to_owned(),
            r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1},"status":"completed"}"#.to_owned(),
            r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1,"model_context_window":5}}"#.to_owned(),
            r#"{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0}}"#.to_owned(),
            r#"{"type":"turn.completed","usage":{"input_tokens":1,"input_tokens":2,"cached_input_tokens":0,"output_tokens":1}}"#.to_owned(),
            r#"{"type":"turn.completed","usage":{"input_tokens":-1,"cached_input_tokens":0,"output_tokens":1}}"#.to_owned(),
            r#"{"type":"turn.completed","usage":{"input_tokens":1.5,"cached_input_tokens":0,"output_tokens":1}}"#.to_owned(),
            r#"{"type":"turn.completed","usage":{"input_tokens":18446744073709551616,"cached_input_tokens":0,"output_tokens":1}}"#.to_owned(),
            r#"{"type":"turn.completed","usage":{}}"#.to_owned(),
            r#"{"type":"turn.completed","usage":[]}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[{"text":"a","completed":1}]}}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[{"text":"a"}]}}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[{"text":"a","completed":true,"x":1}]}}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[{"text":"a","completed":true},]}}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[,]}}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[{"text":"a","completed":tru}]}}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":{}}}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[],"status":"completed"}}"#.to_owned(),
            r#"{"type":"item.updated","item":{"id":"t","type":"todo_list"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"f","type":"file_change","changes":[{"path":"/a","kind":"add","diff":"d"}],"status":"completed"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"f","type":"file_change","changes":[{"path":"/a"}],"status":"completed"}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"f","type":"file_change","changes":[{"path":"/a","kind":"add"}]}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"f","type":"file_change","changes":[{"path":"/a","kind":"add"}] ,"status":"completed","items":[]}}"#.to_owned(),
            r#"{"type":"item.completed","item":{"id":"f","type":"file_change","changes":[{"path":"/a","kind":"add"} {"path":"/b","kind":"add"}],"status":"completed"}}"#.to_owned(),
            r#"{"type":"item.complete\u0064","item":{"id":"i","type":"agent_message","text":"t"}}"#.to_owned(),
            "{\"type\":\"item.completed\",\"item\":{\"id\":\"i\",\"type\":\"agent_message\",\"text\":\"raw \u{1} control\"}}".to_owned(),
            "[]".to_owned(),
            String::new(),
        ];
        for line in &given_up {
            assert!(
                crate::exec::fast_event::event(line).is_none(),
                "taken: {line}"
            );
            check_against_serde(line);
        }
    }

    #[test]
    fn mutated_lines_agree_with_serde_json() {
        // A small deterministic fuzzer over the live lines: deletions, duplications and
        // replacements with the bytes JSON cares about (the fuzz target goes much further).
        let files: Vec<PathBuf> = jsonl_files("codex-0.169.0")
            .into_iter()
            .filter(|p| !p.to_string_lossy().ends_with(".requests.jsonl"))
            .collect();
        let seeds = lines(&files);
        let interesting = b"\"\\{}[],:0123456789-+.eEtfnu \t\n\x01\xc3\xa9";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % (bound.max(1) as u64)).unwrap_or(0)
        };
        let mut checked = 0;
        for round in 0..20_000 {
            let mut bytes = seeds[round % seeds.len()].clone().into_bytes();
            for _ in 0..=next(3) {
                let at = next(bytes.len());
                match next(3) {
                    0 if !bytes.is_empty() => drop(bytes.remove(at)),
                    1 => {
                        let byte = bytes.get(at).copied().unwrap_or(b'"');
                        bytes.insert(at, byte);
                    }
                    _ => bytes.insert(at, interesting[next(interesting.len())]),
                }
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                check_against_serde(text);
                checked += 1;
            }
        }
        assert!(checked > 15_000, "only {checked} mutated lines were UTF-8");
    }
}
