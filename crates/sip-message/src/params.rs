//! Ordered `;name=value` parameter lists of URIs and headers (RFC 3261 §19.1.1, §25.1 generic-param).

use std::fmt;

use crate::syntax::{split_outside, trim_lws};

/// Ordered parameters; names compare case-insensitively, values are kept as on the wire
/// (quoted strings keep their quotes, escapes stay escaped).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Params(Vec<(String, Option<String>)>);

impl Params {
    /// An empty list.
    pub fn new() -> Params {
        Params(Vec::new())
    }

    /// `Some(Some(v))` for `name=v`, `Some(None)` for a bare flag, `None` if absent.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// The value of `name=v`, `None` if absent or a bare flag.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }

    /// True if the parameter is present (with or without value).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets a parameter, replacing an existing one in place or appending.
    pub fn set(&mut self, name: impl Into<String>, value: Option<String>) {
        let name = name.into();
        if let Some(slot) = self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            slot.1 = value;
        } else {
            self.0.push((name, value));
        }
    }

    /// Removes a parameter; true if it was present.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        before != self.0.len()
    }

    /// The parameters in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_deref()))
    }

    /// True if there is no parameter.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Parses the text after the first `;` of a parameter list (`a=1;b;c="x;y"`).
    /// `lws` allows white space around `;` and `=` (header parameters); URI parameters pass false.
    pub(crate) fn parse(s: &str, lws: bool) -> Result<Params, &'static str> {
        let mut parts = Vec::new();
        if !split_outside(s, b';', &mut parts) {
            return Err("unbalanced quote in parameters");
        }
        let mut out = Vec::with_capacity(parts.len());
        for part in parts {
            let part = if lws { trim_lws(part) } else { part };
            let (name, value) = match part.find('=') {
                Some(eq) => {
                    let (n, v) = (&part[..eq], &part[eq + 1..]);
                    if lws {
                        (trim_lws(n), Some(trim_lws(v)))
                    } else {
                        (n, Some(v))
                    }
                }
                None => (part, None),
            };
            if name.is_empty() || !name.bytes().all(is_param_char) {
                return Err("invalid parameter name");
            }
            if let Some(v) = value {
                let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
                if !quoted && (v.is_empty() || !v.bytes().all(is_param_char)) {
                    return Err("invalid parameter value");
                }
            }
            out.push((name.to_owned(), value.map(str::to_owned)));
        }
        Ok(Params(out))
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, v) in &self.0 {
            match v {
                Some(v) => write!(f, ";{n}={v}")?,
                None => write!(f, ";{n}")?,
            }
        }
        Ok(())
    }
}

/// Characters allowed in parameter names and unquoted values: token characters plus the
/// URI `paramchar` extras and IPv6 reference brackets (RFC 3261 §25.1, RFC 5118 §4.5).
fn is_param_char(b: u8) -> bool {
    crate::syntax::is_token_char(b)
        || matches!(
            b,
            b'[' | b']' | b'/' | b':' | b'&' | b'$' | b'(' | b')' | b'@' | b'?' | b'='
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_and_display_rfc3261_19_1_1() {
        let p = Params::parse("transport=udp;lr;Tag=\"a;b\"", false).unwrap_or_default();
        assert_eq!(p.value("TRANSPORT"), Some("udp"));
        assert_eq!(p.get("lr"), Some(None));
        assert_eq!(p.value("tag"), Some("\"a;b\""));
        assert_eq!(p.to_string(), ";transport=udp;lr;Tag=\"a;b\"");
        assert!(Params::parse("a b", false).is_err());
        assert!(Params::parse(" a = b ; c ", true).is_ok());
        assert!(Params::parse("", false).is_err());
    }
}
