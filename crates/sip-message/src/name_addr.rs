//! name-addr / addr-spec values of From, To, Contact, Route, Record-Route (RFC 3261 §20.10, §20.20, §25.1).

use std::fmt;
use std::str::FromStr;

use crate::error::HeaderError;
use crate::params::Params;
use crate::syntax::{find_unquoted, is_lws, is_token_char, parse_u32, trim_lws};
use crate::uri::Uri;

/// An address with optional display name and header parameters (tag, expires, q, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameAddr {
    /// The display name, unquoted and unescaped.
    pub display_name: Option<String>,
    /// The address.
    pub uri: Uri,
    /// Header parameters (after `>` or, in addr-spec form, after the URI).
    pub params: Params,
}

impl NameAddr {
    /// An address without display name or parameters.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display_name: None,
            uri,
            params: Params::new(),
        }
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }

    /// Sets (or replaces) the `tag` parameter.
    pub fn set_tag(&mut self, tag: String) {
        self.params.set("tag", Some(tag));
    }
}

impl FromStr for NameAddr {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<NameAddr, HeaderError> {
        parse_name_addr(s).map_err(|reason| HeaderError::Malformed {
            what: "name-addr",
            reason,
        })
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display_name {
            f.write_str("\"")?;
            // Quotes, backslashes and controls become quoted-pairs; CR/LF cannot, so they
            // become spaces (RFC 3261 §25.1 quoted-string).
            for c in d.chars() {
                match c {
                    '\r' | '\n' => f.write_str(" ")?,
                    '"' | '\\' => write!(f, "\\{c}")?,
                    c if c.is_ascii_control() && c != '\t' => write!(f, "\\{c}")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\" ")?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

/// One Contact header entry (RFC 3261 §20.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Contact {
    /// `Contact: *` (REGISTER removal of all bindings).
    Star,
    /// An address.
    Address(NameAddr),
}

impl Contact {
    /// The `expires` contact parameter, if present and numeric.
    pub fn expires(&self) -> Option<u32> {
        match self {
            Contact::Star => None,
            Contact::Address(a) => a.params.value("expires").and_then(parse_u32),
        }
    }
}

impl FromStr for Contact {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Contact, HeaderError> {
        if trim_lws(s) == "*" {
            return Ok(Contact::Star);
        }
        s.parse().map(Contact::Address)
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Star => f.write_str("*"),
            Contact::Address(a) => write!(f, "{a}"),
        }
    }
}

/// Parses name-addr or addr-spec followed by header parameters.
fn parse_name_addr(s: &str) -> Result<NameAddr, &'static str> {
    let s = trim_lws(s);
    let (display_name, rest) = if let Some(q) = s.strip_prefix('"') {
        let (name, after) = unquote(q)?;
        let after = trim_lws(after);
        if !after.starts_with('<') {
            return Err("quoted display name not followed by <uri>");
        }
        (Some(name), after)
    } else if let Some(lt) = find_unquoted(s, b'<') {
        let dn = trim_lws(&s[..lt]);
        if !dn.bytes().all(|b| is_token_char(b) || is_lws(b)) {
            return Err("unquoted display name is not a token sequence");
        }
        (
            if dn.is_empty() {
                None
            } else {
                Some(dn.to_owned())
            },
            &s[lt..],
        )
    } else {
        return parse_addr_spec(s);
    };
    let inner_and_rest = rest.strip_prefix('<').ok_or("missing <")?;
    let gt = inner_and_rest.find('>').ok_or("missing >")?;
    let inner = &inner_and_rest[..gt];
    if inner.bytes().next().is_some_and(is_lws) || inner.bytes().last().is_some_and(is_lws) {
        return Err("white space inside <>");
    }
    let uri: Uri = inner.parse().map_err(|_| "invalid URI in name-addr")?;
    let params = header_params(&inner_and_rest[gt + 1..])?;
    Ok(NameAddr {
        display_name,
        uri,
        params,
    })
}

/// addr-spec form: the URI ends at the first `;`, which starts header parameters; a URI with
/// `,`, `?` or `;` would have needed the name-addr form (RFC 3261 §20.10).
fn parse_addr_spec(s: &str) -> Result<NameAddr, &'static str> {
    let (uri_text, rest) = match s.find(';') {
        Some(sc) => (trim_lws(&s[..sc]), &s[sc..]),
        None => (s, ""),
    };
    if uri_text.contains(['?', ',']) {
        return Err("addr-spec containing ? or , must use name-addr form");
    }
    let uri: Uri = uri_text.parse().map_err(|_| "invalid URI in addr-spec")?;
    Ok(NameAddr {
        display_name: None,
        uri,
        params: header_params(rest)?,
    })
}

/// Parses `*(SEMI generic-param)` after an address.
fn header_params(rest: &str) -> Result<Params, &'static str> {
    let rest = trim_lws(rest);
    if rest.is_empty() {
        return Ok(Params::new());
    }
    let p = rest.strip_prefix(';').ok_or("junk after address")?;
    Params::parse(p, true)
}

/// Reads a quoted-string body (after the opening quote); returns the unescaped text and the
/// remainder after the closing quote.
fn unquote(s: &str) -> Result<(String, &str), &'static str> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, e)) if e != '\r' && e != '\n' => out.push(e),
                _ => return Err("bad escape in quoted string"),
            },
            _ => out.push(c),
        }
    }
    Err("unterminated quoted string")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn na(s: &str) -> NameAddr {
        match s.parse() {
            Ok(n) => n,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn forms_rfc3261_20_10() {
        let a = na("\"Bell, \\\"Alex\\\"\" <sip:a.g.bell@example.com>;tag=43");
        assert_eq!(a.display_name.as_deref(), Some("Bell, \"Alex\""));
        assert_eq!(a.tag(), Some("43"));
        assert_eq!(na(&a.to_string()), a);
        let b = na("caller<sip:caller@example.com>;tag=323");
        assert_eq!(b.display_name.as_deref(), Some("caller"));
        let c = na("sip:caller@example.net;tag=2;unknownparam");
        assert!(c.uri.params.is_empty());
        assert!(c.params.contains("unknownparam"));
        let bel = na("\"BEL:\\\u{7} NUL:\\\0\" <sip:x@y>");
        assert_eq!(bel.display_name.as_deref(), Some("BEL:\u{7} NUL:\0"));
        assert_eq!(na(&bel.to_string()), bel);
        let d = na("<sip:caller@example.net;unknownparam>");
        assert!(d.uri.params.contains("unknownparam"));
        let mut e = na("sip:x@y");
        e.set_tag("t1".into());
        assert_eq!(e.to_string(), "<sip:x@y>;tag=t1");
    }

    #[test]
    fn malformed_forms_rfc4475_3_1_2() {
        for s in [
            "\"Mr. J. User <sip:j.user@example.com>",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "<sip:x@y",
            "",
        ] {
            assert!(s.parse::<NameAddr>().is_err(), "{s}");
        }
        assert_eq!("*".parse::<Contact>(), Ok(Contact::Star));
        let c: Result<Contact, _> = "<sip:a@b>;expires=60".parse();
        assert_eq!(c.map(|c| c.expires()), Ok(Some(60)));
    }
}
