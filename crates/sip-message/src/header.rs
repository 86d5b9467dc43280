//! Header names (long and compact forms, RFC 3261 §7.3.3, §20) and the ordered header list.

use std::fmt;
use std::hash::{Hash, Hasher};

/// A header field name. Known names are variants; compact forms map to them.
/// `Other` names compare and hash case-insensitively.
#[derive(Debug, Clone)]
pub enum HeaderName {
    /// Via (v).
    Via,
    /// From (f).
    From,
    /// To (t).
    To,
    /// Call-ID (i).
    CallId,
    /// CSeq.
    CSeq,
    /// Contact (m).
    Contact,
    /// Max-Forwards.
    MaxForwards,
    /// Content-Length (l).
    ContentLength,
    /// Content-Type (c).
    ContentType,
    /// Route.
    Route,
    /// Record-Route.
    RecordRoute,
    /// Expires.
    Expires,
    /// Min-Expires.
    MinExpires,
    /// Authorization.
    Authorization,
    /// WWW-Authenticate.
    WwwAuthenticate,
    /// Proxy-Authorization.
    ProxyAuthorization,
    /// Proxy-Authenticate.
    ProxyAuthenticate,
    /// Allow.
    Allow,
    /// Supported (k).
    Supported,
    /// Require.
    Require,
    /// Proxy-Require.
    ProxyRequire,
    /// Unsupported.
    Unsupported,
    /// Accept.
    Accept,
    /// User-Agent.
    UserAgent,
    /// Server.
    Server,
    /// Warning.
    Warning,
    /// Session-Expires (x, RFC 4028).
    SessionExpires,
    /// Min-SE (RFC 4028).
    MinSe,
    /// Date.
    Date,
    /// Event (o, RFC 6665).
    Event,
    /// Refer-To (r, RFC 3515).
    ReferTo,
    /// Referred-By (b, RFC 3892).
    ReferredBy,
    /// Reason (RFC 3326).
    Reason,
    /// Subject (s).
    Subject,
    /// Content-Encoding (e).
    ContentEncoding,
    /// Content-Disposition.
    ContentDisposition,
    /// Authentication-Info.
    AuthenticationInfo,
    /// Any other header, spelled as received.
    Other(String),
}

/// Long names of the known headers, in variant order, used by `parse`.
const KNOWN: &[(&str, HeaderName)] = &[
    ("Via", HeaderName::Via),
    ("From", HeaderName::From),
    ("To", HeaderName::To),
    ("Call-ID", HeaderName::CallId),
    ("CSeq", HeaderName::CSeq),
    ("Contact", HeaderName::Contact),
    ("Max-Forwards", HeaderName::MaxForwards),
    ("Content-Length", HeaderName::ContentLength),
    ("Content-Type", HeaderName::ContentType),
    ("Route", HeaderName::Route),
    ("Record-Route", HeaderName::RecordRoute),
    ("Expires", HeaderName::Expires),
    ("Min-Expires", HeaderName::MinExpires),
    ("Authorization", HeaderName::Authorization),
    ("WWW-Authenticate", HeaderName::WwwAuthenticate),
    ("Proxy-Authorization", HeaderName::ProxyAuthorization),
    ("Proxy-Authenticate", HeaderName::ProxyAuthenticate),
    ("Allow", HeaderName::Allow),
    ("Supported", HeaderName::Supported),
    ("Require", HeaderName::Require),
    ("Proxy-Require", HeaderName::ProxyRequire),
    ("Unsupported", HeaderName::Unsupported),
    ("Accept", HeaderName::Accept),
    ("User-Agent", HeaderName::UserAgent),
    ("Server", HeaderName::Server),
    ("Warning", HeaderName::Warning),
    ("Session-Expires", HeaderName::SessionExpires),
    ("Min-SE", HeaderName::MinSe),
    ("Date", HeaderName::Date),
    ("Event", HeaderName::Event),
    ("Refer-To", HeaderName::ReferTo),
    ("Referred-By", HeaderName::ReferredBy),
    ("Reason", HeaderName::Reason),
    ("Subject", HeaderName::Subject),
    ("Content-Encoding", HeaderName::ContentEncoding),
    ("Content-Disposition", HeaderName::ContentDisposition),
    ("Authentication-Info", HeaderName::AuthenticationInfo),
];

impl HeaderName {
    /// Maps a header name case-insensitively, including compact forms (RFC 3261 §7.3.3).
    pub fn parse(s: &str) -> HeaderName {
        if s.len() == 1 {
            let compact = match s.as_bytes()[0].to_ascii_lowercase() {
                b'i' => Some(HeaderName::CallId),
                b'm' => Some(HeaderName::Contact),
                b'e' => Some(HeaderName::ContentEncoding),
                b'l' => Some(HeaderName::ContentLength),
                b'c' => Some(HeaderName::ContentType),
                b'f' => Some(HeaderName::From),
                b's' => Some(HeaderName::Subject),
                b'k' => Some(HeaderName::Supported),
                b't' => Some(HeaderName::To),
                b'v' => Some(HeaderName::Via),
                b'o' => Some(HeaderName::Event),
                b'r' => Some(HeaderName::ReferTo),
                b'b' => Some(HeaderName::ReferredBy),
                b'x' => Some(HeaderName::SessionExpires),
                b'u' => Some(HeaderName::Other("Allow-Events".to_owned())),
                _ => None,
            };
            if let Some(n) = compact {
                return n;
            }
        }
        for (long, name) in KNOWN {
            if long.len() == s.len() && long.eq_ignore_ascii_case(s) {
                return name.clone();
            }
        }
        HeaderName::Other(s.to_owned())
    }

    /// The canonical long form ("Call-ID", "CSeq", "WWW-Authenticate").
    pub fn as_str(&self) -> &str {
        match self {
            HeaderName::Via => "Via",
            HeaderName::From => "From",
            HeaderName::To => "To",
            HeaderName::CallId => "Call-ID",
            HeaderName::CSeq => "CSeq",
            HeaderName::Contact => "Contact",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::Route => "Route",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::Expires => "Expires",
            HeaderName::MinExpires => "Min-Expires",
            HeaderName::Authorization => "Authorization",
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
            HeaderName::ProxyAuthorization => "Proxy-Authorization",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::Allow => "Allow",
            HeaderName::Supported => "Supported",
            HeaderName::Require => "Require",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::Accept => "Accept",
            HeaderName::UserAgent => "User-Agent",
            HeaderName::Server => "Server",
            HeaderName::Warning => "Warning",
            HeaderName::SessionExpires => "Session-Expires",
            HeaderName::MinSe => "Min-SE",
            HeaderName::Date => "Date",
            HeaderName::Event => "Event",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::ReferredBy => "Referred-By",
            HeaderName::Reason => "Reason",
            HeaderName::Subject => "Subject",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::ContentDisposition => "Content-Disposition",
            HeaderName::AuthenticationInfo => "Authentication-Info",
            HeaderName::Other(s) => s,
        }
    }

    /// True for headers whose comma-separated values the parser splits into one entry each
    /// (RFC 3261 §7.3.1); authentication headers and Date are never split.
    pub fn is_list(&self) -> bool {
        matches!(
            self,
            HeaderName::Via
                | HeaderName::Contact
                | HeaderName::Route
                | HeaderName::RecordRoute
                | HeaderName::Allow
                | HeaderName::Supported
                | HeaderName::Require
                | HeaderName::ProxyRequire
                | HeaderName::Unsupported
                | HeaderName::Accept
        )
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &HeaderName) -> bool {
        match (self, other) {
            (HeaderName::Other(a), HeaderName::Other(b)) => a.eq_ignore_ascii_case(b),
            (HeaderName::Other(_), _) | (_, HeaderName::Other(_)) => false,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl Eq for HeaderName {}

impl Hash for HeaderName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        if let HeaderName::Other(s) = self {
            for b in s.bytes() {
                state.write_u8(b.to_ascii_lowercase());
            }
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header field: a name and its (unfolded, trimmed) value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    /// The field name.
    pub name: HeaderName,
    /// The field value, without surrounding white space.
    pub value: String,
}

/// The ordered list of header fields of a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers(Vec::new())
    }

    /// An empty list with room for `n` fields.
    pub fn with_capacity(n: usize) -> Headers {
        Headers(Vec::with_capacity(n))
    }

    /// Appends a field.
    pub fn push(&mut self, name: HeaderName, value: impl Into<String>) {
        self.0.push(Header {
            name,
            value: value.into(),
        });
    }

    /// Inserts a field before all others (e.g. a new top Via).
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<String>) {
        self.0.insert(
            0,
            Header {
                name,
                value: value.into(),
            },
        );
    }

    /// The first value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.0
            .iter()
            .find(|h| h.name == *name)
            .map(|h| h.value.as_str())
    }

    /// Every value of `name`, in message order.
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |h| h.name == *name)
            .map(|h| h.value.as_str())
    }

    /// Number of entries of `name`.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.0.iter().filter(|h| h.name == *name).count()
    }

    /// Replaces every field of that name by one field with `value`, appended at the end.
    pub fn set(&mut self, name: HeaderName, value: impl Into<String>) {
        self.remove(&name);
        self.push(name, value);
    }

    /// Removes every field of that name; returns how many were removed.
    pub fn remove(&mut self, name: &HeaderName) -> usize {
        let before = self.0.len();
        self.0.retain(|h| h.name != *name);
        before - self.0.len()
    }

    /// Removes and returns the first field of that name.
    pub fn remove_first(&mut self, name: &HeaderName) -> Option<String> {
        let pos = self.0.iter().position(|h| h.name == *name)?;
        Some(self.0.remove(pos).value)
    }

    /// True if a field of that name exists.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.0.iter().any(|h| h.name == *name)
    }

    /// All fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True if there is no field.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case_insensitive_names_rfc3261_7_3_3() {
        assert_eq!(HeaderName::parse("v"), HeaderName::Via);
        assert_eq!(HeaderName::parse("I"), HeaderName::CallId);
        assert_eq!(HeaderName::parse("cAlL-iD"), HeaderName::CallId);
        assert_eq!(
            HeaderName::parse("www-authenticate").as_str(),
            "WWW-Authenticate"
        );
        assert_eq!(
            HeaderName::parse("u"),
            HeaderName::Other("allow-events".into())
        );
        assert_eq!(HeaderName::parse("X-Foo"), HeaderName::parse("x-foo"));
        assert_ne!(HeaderName::parse("X-Foo"), HeaderName::Via);
    }

    #[test]
    fn headers_keep_order_and_set_replaces() {
        let mut h = Headers::new();
        h.push(HeaderName::Via, "a");
        h.push(HeaderName::To, "t");
        h.push(HeaderName::Via, "b");
        h.push_front(HeaderName::Via, "z");
        assert_eq!(
            h.get_all(&HeaderName::Via).collect::<Vec<_>>(),
            vec!["z", "a", "b"]
        );
        assert_eq!(h.remove_first(&HeaderName::Via).as_deref(), Some("z"));
        h.set(HeaderName::Via, "only");
        assert_eq!(h.count(&HeaderName::Via), 1);
        assert_eq!(h.remove(&HeaderName::To), 1);
        assert!(!h.contains(&HeaderName::To));
        assert_eq!(h.len(), 1);
    }
}
