//! Showing URLs without their credentials, for `Debug` output.

use codex_protocol::secret::REDACTED;

/// `url` without user info (`user:pass@`), and with the value of every query parameter
/// replaced: a URL handed to codex may carry a key in either place.
pub(crate) fn redact_url(url: &str) -> String {
    let (without_fragment, fragment) = match url.split_once('#') {
        Some((head, _)) => (head, Some(REDACTED)),
        None => (url, None),
    };
    let (base, query) = match without_fragment.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (without_fragment, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{REDACTED}@{host}{path}"),
                None => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) => format!("{name}={REDACTED}"),
                None => pair.to_owned(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn credentials_query_values_and_fragments_are_hidden() {
        for (url, shown) in [
            ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
            (
                "https://user:pa55@proxy.example/v1?api-key=abc&x",
                "https://[REDACTED]@proxy.example/v1?api-key=[REDACTED]&x",
            ),
            ("https://h/p#tok3n", "https://h/p#[REDACTED]"),
            ("not a url ?k=v", "not a url ?k=[REDACTED]"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }
}
