//! Media types sniffed from content: the first bytes decide, never the file name.

/// How many leading bytes [`media_type`] looks at.
pub(crate) const SNIFF_LEN: usize = 8192;

/// The media types codex sends to the model as images.
pub(crate) const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The media type of content starting with `head` (at most [`SNIFF_LEN`] bytes of it matter):
/// the signature of a known format, else `text/plain; charset=utf-8` for UTF-8 without NUL
/// bytes, else `application/octet-stream`.
pub(crate) fn media_type(head: &[u8]) -> &'static str {
    const SIGNATURES: [(&[u8], &str); 7] = [
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1f\x8b", "application/gzip"),
    ];
    if let Some((_, kind)) = SIGNATURES.iter().find(|(sig, _)| head.starts_with(sig)) {
        return kind;
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return "image/webp";
    }
    let head = &head[..head.len().min(SNIFF_LEN)];
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the sniffed prefix is still text.
        Err(error) => error.error_len().is_none() && error.valid_up_to() + 4 > head.len(),
    };
    if text && !head.contains(&0) {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

/// Whether `media_type` is one codex sends as an image.
pub(crate) fn is_image(media_type: &str) -> bool {
    IMAGE_TYPES.contains(&media_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides() {
        let cases: [(&[u8], &str); 11] = [
            (b"\x89PNG\r\n\x1a\n\0\0", "image/png"),
            (b"\xff\xd8\xff\xe0", "image/jpeg"),
            (b"GIF89a..", "image/gif"),
            (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
            (b"RIFF\0\0\0\0WAVE", "application/octet-stream"),
            (b"%PDF-1.7", "application/pdf"),
            (b"PK\x03\x04", "application/zip"),
            (b"hello\n", "text/plain; charset=utf-8"),
            ("caf\u{e9}".as_bytes(), "text/plain; charset=utf-8"),
            (b"a\0b", "application/octet-stream"),
            (b"", "text/plain; charset=utf-8"),
        ];
        for (head, expected) in cases {
            assert_eq!(media_type(head), expected, "{head:?}");
        }
    }

    #[test]
    fn a_character_cut_by_the_prefix_is_still_text() {
        let mut head = vec![b'a'; SNIFF_LEN - 1];
        head.push(0xc3);
        assert_eq!(media_type(&head), "text/plain; charset=utf-8");
        assert_eq!(media_type(b"\xc3\x28"), "application/octet-stream");
    }
}
