//! Hiding credentials in URLs and in `--config` values, for `Debug` output and logs.
//!
//! Options carry text that may hold a credential without being a registered secret: a base
//! URL with `user:password@` or `?api-key=…`, a `--config` override such as
//! `model_providers.x.http_headers.Authorization="Bearer …"` or
//! `mcp_servers.x.env.GITHUB_TOKEN="…"`. The [`Redactor`] only knows the API key and a few
//! token shapes, so the `Debug` impls of options use these helpers as well:
//!
//! - [`redact_url`] hides the userinfo of a URL (the password, or the whole userinfo when it
//!   is a bare token) and the values of query and fragment parameters whose names look
//!   secret ([`is_secret_name`]);
//! - [`redact_config_value`] hides the whole value of a config key that looks secret (any
//!   dotted segment named like a secret, anything under `http_headers`, `env_http_headers` or
//!   an `env` table), the values of such keys inside inline tables, the credentials of URLs
//!   inside strings, and what the [`Redactor`]'s built-in patterns catch.
//!
//! Both err on the side of hiding: a name that merely contains `key` or `auth` counts as
//! secret. What they hide becomes [`REDACTED`]; everything else is kept byte for byte.

use codex_agent_protocol::secret::{REDACTED, Redactor};

/// Name fragments that mark a query parameter or config key as secret (compared in ASCII
/// lowercase, as substrings).
const SECRET_NAME_PARTS: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "auth",
    "credential",
    "session",
    "cookie",
    "jwt",
    "bearer",
    "private",
];

/// Config key segments whose whole subtree holds secrets: header maps and environments.
const SECRET_TABLES: &[&str] = &["http_headers", "env_http_headers", "env"];

/// Config key segments that contain a secret-looking fragment but hold no secret: the *name*
/// of the variable a provider's key is read from, and the text telling the user to set it.
const NOT_SECRET_NAMES: &[&str] = &["env_key", "env_key_instructions"];

/// Whether a parameter or key name looks like it holds a secret.
pub(crate) fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if NOT_SECRET_NAMES.contains(&lower.as_str()) {
        return false;
    }
    SECRET_NAME_PARTS.iter().any(|part| lower.contains(part))
}

/// `url` with its credentials replaced by [`REDACTED`]: the password of the userinfo (or the
/// whole userinfo when it has no `:`, as in `https://<token>@host`), and the value of every
/// query or fragment parameter whose name looks secret (`api-key`, `access_token`, `sig`,
/// `X-Amz-Signature`, …). Text without a `://` is treated as a path with an optional query.
pub(crate) fn redact_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    if let Some(scheme_end) = scheme_end(url) {
        out.push_str(&url[..scheme_end]);
        rest = &url[scheme_end..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            match authority[..at].split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(REDACTED);
                }
                None => out.push_str(REDACTED),
            }
            out.push_str(&authority[at..]);
        } else {
            out.push_str(authority);
        }
        rest = &rest[authority_end..];
    }
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (rest, None),
    };
    match before_fragment.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            out.push_str(&redact_params(query));
        }
        None => out.push_str(before_fragment),
    }
    if let Some(fragment) = fragment {
        out.push('#');
        // A fragment is a parameter list only in some protocols (OAuth's implicit flow).
        if fragment.contains('=') {
            out.push_str(&redact_params(fragment));
        } else {
            out.push_str(fragment);
        }
    }
    out
}

/// The byte offset just past `scheme://`, when `url` starts with a scheme.
fn scheme_end(url: &str) -> Option<usize> {
    let sep = url.find("://")?;
    let scheme = &url[..sep];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(sep + 3)
}

/// `a=1&token=x` with the values of secret-looking names replaced.
fn redact_params(params: &str) -> String {
    params
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_name(&percent_decode(name)) => {
                format!("{name}={REDACTED}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes `%XX` escapes (and `+` as a space) well enough to read a parameter name.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escape {
            out.push(byte);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces the credentials of every `scheme://…` URL inside `text` (a URL ends at
/// whitespace, a quote, or a TOML/JSON delimiter).
pub(crate) fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let sep = search + found;
        let start = text[..sep]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |i| i + 1);
        let end = text[sep..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ',' | ']' | '}' | '<' | '>')
            })
            .map_or(text.len(), |i| sep + i);
        if start < copied || start == sep {
            search = sep + 3;
            continue;
        }
        out.push_str(&text[copied..start]);
        out.push_str(&redact_url(&text[start..end]));
        copied = end;
        search = end.max(sep + 3);
    }
    out.push_str(&text[copied..]);
    out
}

/// The value of `--config key=value` with secrets hidden (see the module docs). `key` is the
/// dotted path before the `=`, `value` the TOML text after it.
pub(crate) fn redact_config_value(key: &str, value: &str) -> String {
    let path = split_key(key);
    if path_is_secret(&path) {
        return REDACTED.to_owned();
    }
    let mut scanner = Scanner {
        text: value,
        pos: 0,
        out: String::with_capacity(value.len()),
    };
    let parsed = scanner.skip_blank().and_then(|()| {
        scanner.value(&path)?;
        scanner.skip_blank()?;
        (scanner.pos == value.len()).then_some(())
    });
    match parsed {
        Some(()) => scanner.out,
        // codex reads a value that is not TOML as a plain string. Unless it looks like a
        // broken table or assignment (which may hide a secret key), redact it as text.
        None if value.contains(['{', '=']) => REDACTED.to_owned(),
        None => redact_text(value),
    }
}

/// A raw `key=value` override (the argument after `--config`) with its value redacted by
/// [`redact_config_value`]; text without `=` is redacted as a value of no key.
pub(crate) fn redact_config_pair(pair: &str) -> String {
    match pair.split_once('=') {
        Some((key, value)) => format!("{key}={}", redact_config_value(key, value)),
        None => redact_text(pair),
    }
}

/// URL credentials and the [`Redactor`]'s built-in patterns, in free text.
fn redact_text(text: &str) -> String {
    Redactor::default().redact(&redact_urls_in(text))
}

/// Splits a dotted key into its segments; quoted segments lose their quotes.
fn split_key(key: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in key.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => segments.push(std::mem::take(&mut current)),
            (None, c) if c.is_whitespace() => {}
            _ => current.push(c),
        }
    }
    segments.push(current);
    segments
}

/// Whether a dotted key path names a secret or lies inside a table of secrets.
fn path_is_secret(path: &[String]) -> bool {
    // A table of secrets hides its entries, and the whole table when it is the value.
    path.iter().any(|segment| {
        is_secret_name(segment) || SECRET_TABLES.contains(&segment.to_ascii_lowercase().as_str())
    })
}

/// A minimal TOML value scanner that copies its input, replacing secret values.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    out: String,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    /// Copies whitespace, newlines and comments.
    fn skip_blank(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => self.copy(c.len_utf8()),
                Some('#') => {
                    let len = self.rest().find('\n').unwrap_or(self.rest().len());
                    self.copy(len);
                }
                _ => return Some(()),
            }
        }
    }

    fn copy(&mut self, len: usize) {
        self.out.push_str(&self.text[self.pos..self.pos + len]);
        self.pos += len;
    }

    /// Scans one value at `path`: copied when the path is not secret, replaced when it is.
    fn value(&mut self, path: &[String]) -> Option<()> {
        if path_is_secret(path) {
            let start = self.pos;
            let mut sink = Scanner {
                text: self.text,
                pos: start,
                out: String::new(),
            };
            // Scanned as if not secret, only to find where the value ends.
            sink.value_inner(&[])?;
            self.pos = sink.pos;
            self.out.push_str(REDACTED);
            return Some(());
        }
        self.value_inner(path)
    }

    fn value_inner(&mut self, path: &[String]) -> Option<()> {
        match self.peek()? {
            '"' | '\'' => {
                let len = string_len(self.rest())?;
                let literal = &self.text[self.pos..self.pos + len];
                self.out.push_str(&redact_text(literal));
                self.pos += len;
                Some(())
            }
            '[' => self.array(path),
            '{' => self.table(path),
            _ => {
                let len = self
                    .rest()
                    .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
                    .unwrap_or(self.rest().len());
                if len == 0 {
                    return None;
                }
                let scalar = &self.text[self.pos..self.pos + len];
                self.out.push_str(&redact_text(scalar));
                self.pos += len;
                Some(())
            }
        }
    }

    fn array(&mut self, path: &[String]) -> Option<()> {
        self.copy(1);
        loop {
            self.skip_blank()?;
            match self.peek()? {
                ']' => {
                    self.copy(1);
                    return Some(());
                }
                ',' => self.copy(1),
                _ => self.value(path)?,
            }
        }
    }

    fn table(&mut self, path: &[String]) -> Option<()> {
        self.copy(1);
        loop {
            self.skip_blank()?;
            match self.peek()? {
                '}' => {
                    self.copy(1);
                    return Some(());
                }
                ',' => self.copy(1),
                _ => {
                    let key_len = self.rest().find('=')?;
                    let key = &self.text[self.pos..self.pos + key_len];
                    if key.contains(['{', '}', '[', ']', ',', '\n']) {
                        return None;
                    }
                    let mut inner = path.to_vec();
                    inner.extend(split_key(key));
                    self.copy(key_len + 1);
                    self.skip_blank()?;
                    self.value(&inner)?;
                }
            }
        }
    }
}

/// The length in bytes of the TOML string at the start of `text` (basic, literal, or their
/// multi-line forms), quotes included.
fn string_len(text: &str) -> Option<usize> {
    let quote = text.chars().next()?;
    let triple: String = std::iter::repeat_n(quote, 3).collect();
    if text.starts_with(&triple) {
        let body = &text[3..];
        let mut from = 0;
        loop {
            let end = from + body[from..].find(&triple)?;
            if quote == '\'' || !escaped(body, end) {
                // Up to two more quotes may belong to the content (`""""` ends with a quote).
                let extra = body[end + 3..]
                    .chars()
                    .take_while(|&c| c == quote)
                    .count()
                    .min(2);
                return Some(3 + end + 3 + extra);
            }
            from = end + 1;
        }
    }
    let body = &text[1..];
    let mut from = 0;
    loop {
        let end = from + body[from..].find([quote, '\n'])?;
        if body[end..].starts_with('\n') {
            return None;
        }
        if quote == '\'' || !escaped(body, end) {
            return Some(1 + end + 1);
        }
        from = end + 1;
    }
}

/// Whether the character at `index` is preceded by an odd number of backslashes.
fn escaped(text: &str, index: usize) -> bool {
    text[..index]
        .bytes()
        .rev()
        .take_while(|&b| b == b'\\')
        .count()
        % 2
        == 1
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn urls_lose_userinfo_credentials() {
        for (input, expected) in [
            (
                "https://user:hunter2@example.com/v1",
                "https://user:[REDACTED]@example.com/v1",
            ),
            (
                "https://ghp_abcdef123456@github.com/o/r.git",
                "https://[REDACTED]@github.com/o/r.git",
            ),
            (
                "postgres://a:b:c@db:5432/x?sslmode=require",
                "postgres://a:[REDACTED]@db:5432/x?sslmode=require",
            ),
            ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
            // An `@` after the authority is part of the path, not userinfo.
            ("https://host/users/@me?x=1", "https://host/users/@me?x=1"),
        ] {
            assert_eq!(redact_url(input), expected, "{input}");
        }
    }

    #[test]
    fn urls_lose_secret_query_and_fragment_values() {
        for (input, expected) in [
            (
                "https://x.openai.azure.com/openai?api-version=2025-01-01&api-key=abc123",
                "https://x.openai.azure.com/openai?api-version=2025-01-01&api-key=[REDACTED]",
            ),
            (
                "https://b.blob.core.windows.net/c?sv=2022&sig=AbC%2Fd&se=2030",
                "https://b.blob.core.windows.net/c?sv=2022&sig=[REDACTED]&se=2030",
            ),
            (
                "https://s3/x?X-Amz-Credential=AKIA&X-Amz-Signature=ff&X-Amz-Expires=60",
                "https://s3/x?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]&X-Amz-Expires=60",
            ),
            (
                "https://app/cb#access_token=tok&state=s",
                "https://app/cb#access_token=[REDACTED]&state=s",
            ),
            ("https://host/p#section", "https://host/p#section"),
            // Percent-encoded names are decoded before they are judged.
            (
                "https://h/?%74oken=t&token=",
                "https://h/?%74oken=[REDACTED]&token=",
            ),
            (
                "/v1/models?key=k&limit=5",
                "/v1/models?key=[REDACTED]&limit=5",
            ),
            ("not a url", "not a url"),
            ("", ""),
        ] {
            assert_eq!(redact_url(input), expected, "{input}");
        }
    }

    #[test]
    fn urls_inside_text_are_found_and_redacted() {
        assert_eq!(
            redact_urls_in(r#"["https://u:p@h/?token=t", 'ftp://x?a=1'] see http://k@h."#),
            r#"["https://u:[REDACTED]@h/?token=[REDACTED]", 'ftp://x?a=1'] see http://[REDACTED]@h."#
        );
        assert_eq!(redact_urls_in("a :// b"), "a :// b");
        assert_eq!(redact_urls_in("no urls"), "no urls");
    }

    #[test]
    fn secret_names() {
        for name in [
            "api_key",
            "API-KEY",
            "access_token",
            "client_secret",
            "password",
            "sig",
            "X-Amz-Signature",
            "Authorization",
            "experimental_bearer_token",
            "GITHUB_TOKEN",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "model",
            "base_url",
            "env_key",
            "name",
            "api-version",
            "limit",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    fn check(key: &str, value: &str, expected: &str) {
        assert_eq!(redact_config_value(key, value), expected, "{key}={value}");
    }

    #[test]
    fn config_keys_that_look_secret_hide_their_value() {
        check(
            "model_providers.x.experimental_bearer_token",
            r#""abc""#,
            REDACTED,
        );
        check("mcp_servers.gh.env.GITHUB_TOKEN", r#""ghp_x""#, REDACTED);
        check("mcp_servers.gh.env.PLAIN", r#""value""#, REDACTED);
        check("mcp_servers.gh.env", r#"{ A = "1" }"#, REDACTED);
        check(
            "model_providers.x.http_headers.X-Custom",
            r#""v""#,
            REDACTED,
        );
        check(
            "model_providers.x.http_headers",
            r#"{ "X-Custom" = "v" }"#,
            REDACTED,
        );
        check(
            "model_providers.x.env_http_headers",
            r#"{ a = "B" }"#,
            REDACTED,
        );
        check(r#"model_providers."my.password""#, r#""p""#, REDACTED);
        check("some_api_key", "12345", REDACTED);
    }

    #[test]
    fn other_config_values_are_kept() {
        check("model", r#""gpt-5.5""#, r#""gpt-5.5""#);
        check("model_reasoning_effort", "high", "high");
        check(
            "model_providers.mock.env_key",
            r#""MOCK_KEY""#,
            r#""MOCK_KEY""#,
        );
        check(
            "sandbox_workspace_write.writable_roots",
            r#"["/a", "/b"]"#,
            r#"["/a", "/b"]"#,
        );
        check("tools.web_search", "true", "true");
        check("features", "{}", "{}");
        check("model_providers.m.request_max_retries", "0", "0");
    }

    #[test]
    fn inline_tables_hide_the_values_of_secret_keys() {
        check(
            "model_providers.x",
            r#"{ name = "x", base_url = "https://h/v1?api-key=k", experimental_bearer_token = "tok", http_headers = { A = "b" } }"#,
            r#"{ name = "x", base_url = "https://h/v1?api-key=[REDACTED]", experimental_bearer_token = [REDACTED], http_headers = [REDACTED] }"#,
        );
        check(
            "mcp_servers",
            r#"{gh = {command = "gh", env = {TOKEN = "t"}}, "x.y" = {args = ["a", 'b']}}"#,
            r#"{gh = {command = "gh", env = [REDACTED]}, "x.y" = {args = ["a", 'b']}}"#,
        );
        check(
            "profiles",
            r#"[{ "auth.token" = """multi "quoted" line""" }, { ok = 'lit' }]"#,
            r#"[{ "auth.token" = [REDACTED] }, { ok = 'lit' }]"#,
        );
    }

    #[test]
    fn raw_pairs_split_at_the_first_equals_sign() {
        assert_eq!(redact_config_pair(r#"a.token="x=y""#), "a.token=[REDACTED]");
        assert_eq!(redact_config_pair(r#"model="o3""#), r#"model="o3""#);
        assert_eq!(redact_config_pair("Bearer abcdef"), "Bearer [REDACTED]");
    }

    #[test]
    fn urls_and_token_shapes_in_plain_values_are_hidden() {
        check(
            "openai_base_url",
            r#""https://user:pw@proxy.local/v1""#,
            r#""https://user:[REDACTED]@proxy.local/v1""#,
        );
        check(
            "developer_instructions",
            r#""use Bearer abc.def and sk-proj-ABCDEFGHIJ""#,
            r#""use Bearer [REDACTED] and [REDACTED]""#,
        );
        // Not TOML: codex reads it as a plain string; redacted as text.
        check(
            "instructions",
            "see https://t0k@host/x now",
            "see https://[REDACTED]@host/x now",
        );
        // Broken tables may hide a secret key: hidden whole.
        check("model_providers.x", r#"{ token = "abc""#, REDACTED);
        check("model_providers.x", r#"name="x", token="abc""#, REDACTED);
    }
}
