//! Shared lexical helpers for the RFC 3261 §25.1 grammar: tokens, LWS, quoted strings, list splitting.

/// True if `b` is an RFC 3261 `token` character.
pub(crate) fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// True if `s` is a non-empty RFC 3261 `token`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// True for SP and HTAB (and CR/LF left over from folding).
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Trims linear white space on both sides.
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n')
}

/// Parses a non-empty run of ASCII digits (leading zeros allowed) into a u32 without overflow.
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let mut v: u32 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(v)
}

/// Parses digits into a u64 without overflow (leading zeros allowed).
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// Splits `s` at every `sep` byte that is outside a quoted string and outside `<...>`.
/// Backslash escapes inside quoted strings are honoured. Returns `None` if a quote or an
/// angle bracket is left open.
pub(crate) fn split_outside<'a>(s: &'a str, sep: u8, out: &mut Vec<&'a str>) -> bool {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut in_quote = false;
    let mut angle = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quote {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_quote = false;
            }
        } else if angle {
            if b == b'>' {
                angle = false;
            }
        } else if b == b'"' {
            in_quote = true;
        } else if b == b'<' {
            angle = true;
        } else if b == sep {
            out.push(&s[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    out.push(s.get(start..).unwrap_or(""));
    !in_quote && !angle
}

/// Finds the first `needle` byte outside quoted strings, or `None`.
pub(crate) fn find_unquoted(s: &str, needle: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut in_quote = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quote {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_quote = false;
            }
        } else if b == b'"' {
            in_quote = true;
        } else if b == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_quotes_and_angles_rfc3261_7_3_1() {
        let mut v = Vec::new();
        assert!(split_outside(r#""a,\"b" <sip:x;a=1,2>, c"#, b',', &mut v));
        assert_eq!(v, vec![r#""a,\"b" <sip:x;a=1,2>"#, " c"]);
        v.clear();
        assert!(!split_outside("\"open, x", b',', &mut v));
    }

    #[test]
    fn numbers_never_overflow_rfc4475_3_1_2_4() {
        assert_eq!(parse_u32("0004294967295"), Some(u32::MAX));
        assert_eq!(parse_u32("4294967296"), None);
        assert_eq!(parse_u32("-1"), None);
        assert_eq!(parse_u64("99999999999999999999999"), None);
    }
}
