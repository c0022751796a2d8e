//! TOML literals for `--config key=value`, spelled exactly as the TypeScript SDK spells them.
//!
//! codex parses the value half of `--config key=value` as TOML. The TypeScript SDK 0.163.0
//! turns its `config` object into such pairs; this module reproduces its output byte for byte
//! (the golden table in `fixtures/ts-sdk-argv/` checks it):
//!
//! - nested objects become dotted keys (`a.b.c=1`); the keys of the dotted path are written
//!   verbatim, without quoting, as the TypeScript SDK does;
//! - an empty nested object becomes `key={}`; an empty top-level object emits nothing;
//! - strings are JSON-quoted (JSON escapes are valid TOML basic-string escapes);
//! - numbers use JavaScript's `Number.prototype.toString` spelling (`1e+21`, `0.000001`);
//! - arrays become `[a, b]`, objects inside values become inline tables `{k = v}` whose keys
//!   are bare when they match `[A-Za-z0-9_-]+` and JSON-quoted otherwise;
//! - `null` and empty keys are errors.
//!
//! One difference is deliberate: keys come in the order of the [`serde_json::Map`] (sorted,
//! unless the application enables `serde_json`'s `preserve_order`), where JavaScript puts
//! integer-like keys first and the rest in insertion order. Keys of one object are distinct, so
//! the order does not change what codex reads.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use crate::Error;

/// Flattens a config object into `key=value` strings, one per `--config` flag.
pub(crate) fn flatten_config(config: &Map<String, Value>) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for (key, child) in config {
        check_key(key, "")?;
        flatten_entry(key, child, &mut out)?;
    }
    Ok(out)
}

fn flatten_entry(path: &str, value: &Value, out: &mut Vec<String>) -> Result<(), Error> {
    match value {
        Value::Object(map) if map.is_empty() => out.push(format!("{path}={{}}")),
        Value::Object(map) => {
            for (key, child) in map {
                check_key(key, path)?;
                flatten_entry(&format!("{path}.{key}"), child, out)?;
            }
        }
        _ => {
            let literal = toml_value(value, path)?;
            out.push(format!("{path}={literal}"));
        }
    }
    Ok(())
}

fn check_key(key: &str, parent: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::ConfigEmptyKey {
            parent: parent.to_owned(),
        });
    }
    Ok(())
}

/// Renders one value as a TOML literal; `path` names it in errors (`a.b[2].c`).
pub(crate) fn toml_value(value: &Value, path: &str) -> Result<String, Error> {
    Ok(match value {
        Value::String(s) => toml_string(s),
        Value::Number(n) => js_number(n),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => {
            let rendered = items
                .iter()
                .enumerate()
                .map(|(index, item)| toml_value(item, &format!("{path}[{index}]")))
                .collect::<Result<Vec<_>, _>>()?;
            format!("[{}]", rendered.join(", "))
        }
        Value::Object(map) => {
            let mut parts = Vec::with_capacity(map.len());
            for (key, child) in map {
                check_key(key, path)?;
                let rendered = toml_value(child, &format!("{path}.{key}"))?;
                parts.push(format!("{} = {rendered}", toml_key(key)));
            }
            format!("{{{}}}", parts.join(", "))
        }
        Value::Null => {
            return Err(Error::ConfigNull {
                path: path.to_owned(),
            });
        }
    })
}

/// A key inside an inline table: bare when TOML allows it, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

/// Quotes a string as `JSON.stringify` does, which is also a valid TOML basic string.
pub(crate) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Spells a number as JavaScript's `String(number)` does.
///
/// Integers are written exactly; JavaScript would round integers beyond 2^53 to the nearest
/// double, which is a precision loss not worth reproducing.
fn js_number(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if !n.is_i64() && !n.is_u64() => js_float(f),
        _ => n.to_string(),
    }
}

/// `Number.prototype.toString()` for a finite double (ECMA-262 `Number::toString`, radix 10).
fn js_float(value: f64) -> String {
    if value == 0.0 {
        // Covers -0, which JavaScript prints as "0".
        return "0".to_owned();
    }
    if value.is_sign_negative() {
        return format!("-{}", js_float(-value));
    }
    // Rust's `{:e}` yields the shortest digits that round-trip, like JavaScript: "d.ddde<exp>".
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` formatting of a finite f64 always contains an exponent");
    let exponent: i64 = exponent
        .parse()
        .expect("`{:e}` formatting writes the exponent as a decimal integer");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = i64::try_from(digits.len()).expect("a double has at most 17 significant digits");
    // The value is 0.<digits> × 10^n.
    let n = exponent + 1;
    let zeros = |count: i64| "0".repeat(usize::try_from(count).unwrap_or(0));
    if k <= n && n <= 21 {
        format!("{digits}{}", zeros(n - k))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0));
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", zeros(-n))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let abs = e.abs();
        if rest.is_empty() {
            format!("{first}e{sign}{abs}")
        } else {
            format!("{first}.{rest}e{sign}{abs}")
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn flatten(value: Value) -> Result<Vec<String>, Error> {
        let Value::Object(map) = value else {
            panic!("test input must be an object")
        };
        flatten_config(&map)
    }

    #[test]
    fn js_float_matches_javascript_spelling() {
        // Expected strings are what node 20 prints for String(x).
        let cases = [
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-2.25, "-2.25"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
            (1.5e21, "1.5e+21"),
            (0.000_001, "0.000001"),
            (0.000_000_1, "1e-7"),
            (1.234e-7, "1.234e-7"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (2.0, "2"),
            (0.5, "0.5"),
            (100.0, "100"),
            (1_234.567_8, "1234.5678"),
        ];
        for (value, expected) in cases {
            assert_eq!(js_float(value), expected, "{value:?}");
        }
    }

    #[test]
    fn flattens_like_the_typescript_sdk() {
        let got = flatten(json!({
            "model": "gpt-5.5",
            "n": 3,
            "f": 0.25,
            "on": true,
            "list": ["a", 1, false, {"x y": 1, "k": []}],
            "nested": {"deep": {"value": "v"}, "empty": {}},
            "top_empty": {},
        }))
        .expect("valid config");
        assert_eq!(
            got,
            [
                "f=0.25",
                r#"list=["a", 1, false, {k = [], "x y" = 1}]"#,
                r#"model="gpt-5.5""#,
                "n=3",
                "nested.deep.value=\"v\"",
                "nested.empty={}",
                "on=true",
                "top_empty={}",
            ]
        );
        assert_eq!(
            flatten(json!({})).expect("empty config"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn strings_are_quoted_like_json_stringify() {
        assert_eq!(toml_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            toml_string("\u{1}\u{8}\u{c}\n\r\t\u{1f}"),
            r#""\u0001\b\f\n\r\t\u001f""#
        );
        assert_eq!(
            toml_string("é ✓ \u{7f} \u{2028}"),
            "\"é ✓ \u{7f} \u{2028}\""
        );
    }

    #[test]
    fn null_and_empty_keys_are_errors_with_their_path() {
        let err = flatten(json!({"a": {"b": [1, null]}})).expect_err("null is rejected");
        assert!(
            matches!(&err, Error::ConfigNull { path } if path == "a.b[1]"),
            "{err:?}"
        );
        let err = flatten(json!({"a": {"b": null}})).expect_err("null is rejected");
        assert!(
            matches!(&err, Error::ConfigNull { path } if path == "a.b"),
            "{err:?}"
        );
        let err = flatten(json!({"": 1})).expect_err("empty key is rejected");
        assert!(matches!(&err, Error::ConfigEmptyKey { parent } if parent.is_empty()));
        let err = flatten(json!({"a": {"": 1}})).expect_err("empty key is rejected");
        assert!(matches!(&err, Error::ConfigEmptyKey { parent } if parent == "a"));
        let err = flatten(json!({"a": [{"": 1}]})).expect_err("empty key is rejected");
        assert!(matches!(&err, Error::ConfigEmptyKey { parent } if parent == "a[0]"));
    }

    #[test]
    fn non_finite_numbers_cannot_reach_the_serializer() {
        // serde_json has no NaN or infinity: `json!` turns them into null, which is rejected
        // with the null error, the typed counterpart of the TypeScript "finite number" error.
        assert_eq!(json!(f64::NAN), Value::Null);
        assert_eq!(json!(f64::INFINITY), Value::Null);
        assert!(Number::from_f64(f64::NAN).is_none());
    }
}
