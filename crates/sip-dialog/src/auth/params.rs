//! Parser for `Digest` challenges and credentials (RFC 7616 §3.3, §3.4; RFC 7235 §2.1 auth-param
//! syntax; RFC 3261 §25.1 LWS and quoted-string with escapes). Case-insensitive names, commas
//! inside quotes, empty list elements and line folding are handled; it never panics.

use super::AuthError;

/// The largest header value accepted, a guard against oversized input.
pub(crate) const MAX_HEADER_LEN: usize = 8192;

/// The parameters of one `Digest` challenge or credentials value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestParams {
    /// Names in lowercase, values unquoted and unescaped.
    params: Vec<(String, String)>,
}

impl DigestParams {
    /// The value of a parameter (name in lowercase).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of a parameter that must be present.
    pub(crate) fn require(&self, name: &'static str) -> Result<&str, AuthError> {
        self.get(name).ok_or(AuthError::Malformed(name))
    }
}

/// Parses `Digest name=value, name="quoted", …`.
pub(crate) fn parse_digest(input: &str) -> Result<DigestParams, AuthError> {
    if input.len() > MAX_HEADER_LEN {
        return Err(AuthError::Malformed("header too long"));
    }
    let mut cursor = Cursor {
        chars: input.chars().collect(),
        pos: 0,
    };
    cursor.skip_lws();
    let scheme = cursor.token();
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(AuthError::Malformed("scheme is not Digest"));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    loop {
        // Empty list elements ("a=1,,b=2") are allowed by the #rule (RFC 7230 §7).
        while cursor.skip_lws() || cursor.eat(',') {}
        if cursor.at_end() {
            break;
        }
        let name = cursor.token().to_ascii_lowercase();
        if name.is_empty() {
            return Err(AuthError::Malformed("parameter name"));
        }
        cursor.skip_lws();
        if !cursor.eat('=') {
            return Err(AuthError::Malformed("missing ="));
        }
        cursor.skip_lws();
        let value = if cursor.eat('"') {
            cursor.quoted_rest()?
        } else {
            cursor.bare_value()
        };
        if params.iter().any(|(n, _)| *n == name) {
            return Err(AuthError::Malformed("duplicate parameter"));
        }
        params.push((name, value));
        cursor.skip_lws();
        if !cursor.at_end() && !cursor.eat(',') {
            return Err(AuthError::Malformed("missing comma"));
        }
    }
    Ok(DigestParams { params })
}

/// Writes `value` as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1).
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len().saturating_add(2));
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos = self.pos.saturating_add(1);
        Some(c)
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.pos = self.pos.saturating_add(1);
            true
        } else {
            false
        }
    }

    /// Skips spaces, tabs and folded line ends; says whether anything was skipped.
    fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(' ' | '\t' | '\r' | '\n')) {
            self.pos = self.pos.saturating_add(1);
        }
        self.pos != start
    }

    fn token(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|c| is_token_char(*c)) {
            out.push(c);
            self.pos = self.pos.saturating_add(1);
        }
        out
    }

    /// An unquoted value: everything up to a comma or whitespace (lenient towards clients that
    /// send `uri` or `nc` without quotes).
    fn bare_value(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| !matches!(c, ',' | ' ' | '\t' | '\r' | '\n' | '"'))
        {
            out.push(c);
            self.pos = self.pos.saturating_add(1);
        }
        out
    }

    /// The rest of a quoted-string after its opening quote.
    fn quoted_rest(&mut self) -> Result<String, AuthError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(AuthError::Malformed("unterminated quoted string")),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some(c) => out.push(c),
                    None => return Err(AuthError::Malformed("unterminated quoted string")),
                },
                Some(c) => out.push(c),
            }
        }
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_escapes_commas_case_and_lws() {
        let p = parse_digest(
            "digest  USERNAME = \"Mu\\\"fa,sa\" ,\r\n\tRealm=\"a, b\",, nc=00000001,qop=auth ",
        )
        .unwrap();
        assert_eq!(p.get("username"), Some("Mu\"fa,sa"));
        assert_eq!(p.get("realm"), Some("a, b"));
        assert_eq!(p.get("nc"), Some("00000001"));
        assert_eq!(p.get("qop"), Some("auth"));
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "",
            "Basic abc",
            "Digest realm=\"x",
            "Digest realm=\"x\\",
            "Digest =x",
            "Digest realm",
            "Digest realm=\"a\" nonce=\"b\"",
            "Digest realm=a, realm=b",
        ] {
            assert!(parse_digest(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quote_escapes_and_parses_back() {
        let value = "a\"b\\c";
        let header = format!("Digest username={}", quote(value));
        assert_eq!(parse_digest(&header).unwrap().get("username"), Some(value));
    }
}
