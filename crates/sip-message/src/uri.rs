//! SIP/SIPS/tel URIs and hosts (RFC 3261 §19.1, §25.1; RFC 3966 kept opaque; RFC 5118 IPv6 references).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::HeaderError;
use crate::params::Params;
use crate::syntax::parse_u32;

/// A URI scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// sip:
    Sip,
    /// sips:
    Sips,
    /// tel: (RFC 3966), kept opaque.
    Tel,
    /// Any other scheme, kept opaque (lower-cased).
    Other(String),
}

impl Scheme {
    /// The scheme name without the colon.
    pub fn as_str(&self) -> &str {
        match self {
            Scheme::Sip => "sip",
            Scheme::Sips => "sips",
            Scheme::Tel => "tel",
            Scheme::Other(s) => s,
        }
    }

    /// True for sip and sips, the schemes with user@host structure.
    pub fn is_sip(&self) -> bool {
        matches!(self, Scheme::Sip | Scheme::Sips)
    }
}

/// The host part of a SIP URI or Via sent-by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, as written.
    Domain(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written as an IPv6 reference in brackets).
    Ipv6(Ipv6Addr),
}

impl Host {
    /// The IP address, if the host is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
            Host::Domain(_) => None,
        }
    }

    /// Parses a host: `[IPv6]`, dotted IPv4, or a hostname (RFC 3261 §25.1 `host`).
    /// A bare IPv6 address without brackets is rejected (RFC 5118 §4.2).
    pub(crate) fn parse(s: &str) -> Result<Host, &'static str> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or("unterminated IPv6 reference")?;
            return inner
                .parse::<Ipv6Addr>()
                .map(Host::Ipv6)
                .map_err(|_| "invalid IPv6 reference");
        }
        if s.is_empty() {
            return Err("empty host");
        }
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return s
                .parse::<Ipv4Addr>()
                .map(Host::Ipv4)
                .map_err(|_| "invalid IPv4 address");
        }
        let ok = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !ok {
            return Err("invalid host name");
        }
        Ok(Host::Domain(s.to_owned()))
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Host {
        match ip {
            IpAddr::V4(a) => Host::Ipv4(a),
            IpAddr::V6(a) => Host::Ipv6(a),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// A URI. For sip/sips all fields are used; for tel and other schemes `user` holds the whole
/// opaque part after the colon and `host` is `Domain("")`. `user` stays escaped as on the wire.
/// `headers` is the raw text after `?`: it is never turned into message headers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uri {
    /// The scheme.
    pub scheme: Scheme,
    /// The user part (escaped), or the opaque part for non-SIP schemes.
    pub user: Option<String>,
    /// The password part (discouraged, RFC 3261 §19.1.1).
    pub password: Option<String>,
    /// The host.
    pub host: Host,
    /// The port, if written.
    pub port: Option<u16>,
    /// The URI parameters.
    pub params: Params,
    /// The raw escaped header part after `?`, never interpreted.
    pub headers: Option<String>,
}

impl Uri {
    /// A `sip:` URI without parameters.
    pub fn sip(user: Option<&str>, host: Host, port: Option<u16>) -> Uri {
        Uri {
            scheme: Scheme::Sip,
            user: user.map(str::to_owned),
            password: None,
            host,
            port,
            params: Params::new(),
            headers: None,
        }
    }

    /// The opaque part of a non-SIP URI (same as `user`).
    pub fn opaque(&self) -> Option<&str> {
        if self.scheme.is_sip() {
            None
        } else {
            self.user.as_deref()
        }
    }
}

impl FromStr for Uri {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Uri, HeaderError> {
        parse_uri(s).map_err(|reason| HeaderError::Malformed {
            what: "URI",
            reason,
        })
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        f.write_str(":")?;
        if !self.scheme.is_sip() {
            return f.write_str(self.user.as_deref().unwrap_or(""));
        }
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)?;
        if let Some(h) = &self.headers {
            write!(f, "?{h}")?;
        }
        Ok(())
    }
}

/// Parses a port (leading zeros allowed) into a u16 (RFC 3261 §25.1 `port`).
pub(crate) fn parse_port(s: &str) -> Result<u16, &'static str> {
    parse_u32(s)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("invalid port")
}

/// Splits `host[:port]` where host may be an IPv6 reference.
pub(crate) fn parse_hostport(s: &str) -> Result<(Host, Option<u16>), &'static str> {
    if s.starts_with('[') {
        let close = s.find(']').ok_or("unterminated IPv6 reference")?;
        let host = Host::parse(&s[..=close])?;
        let rest = &s[close + 1..];
        if rest.is_empty() {
            return Ok((host, None));
        }
        let port = rest.strip_prefix(':').ok_or("junk after IPv6 reference")?;
        return Ok((host, Some(parse_port(port)?)));
    }
    match s.find(':') {
        Some(c) => Ok((Host::parse(&s[..c])?, Some(parse_port(&s[c + 1..])?))),
        None => Ok((Host::parse(s)?, None)),
    }
}

/// The URI grammar of RFC 3261 §19.1.1, permissive on escapes and strict on structure.
fn parse_uri(s: &str) -> Result<Uri, &'static str> {
    if s.bytes()
        .any(|b| b <= b' ' || b == 0x7f || matches!(b, b'<' | b'>' | b'"'))
    {
        return Err("forbidden character in URI");
    }
    let colon = s.find(':').ok_or("missing scheme")?;
    let scheme_str = &s[..colon];
    let rest = &s[colon + 1..];
    let scheme_ok = scheme_str
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme_str
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err("invalid scheme");
    }
    let scheme = if scheme_str.eq_ignore_ascii_case("sip") {
        Scheme::Sip
    } else if scheme_str.eq_ignore_ascii_case("sips") {
        Scheme::Sips
    } else if scheme_str.eq_ignore_ascii_case("tel") {
        Scheme::Tel
    } else {
        Scheme::Other(scheme_str.to_ascii_lowercase())
    };
    if !scheme.is_sip() {
        if rest.is_empty() {
            return Err("empty opaque part");
        }
        return Ok(Uri {
            scheme,
            user: Some(rest.to_owned()),
            password: None,
            host: Host::Domain(String::new()),
            port: None,
            params: Params::new(),
            headers: None,
        });
    }
    // Only the userinfo separator may be a raw '@' (params, host and headers exclude it).
    let (userinfo, hostpart) = match rest.find('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        Some(ui) => {
            let (u, p) = match ui.find(':') {
                Some(c) => (&ui[..c], Some(ui[c + 1..].to_owned())),
                None => (ui, None),
            };
            if u.is_empty() {
                return Err("empty user part");
            }
            (Some(u.to_owned()), p)
        }
        None => (None, None),
    };
    let (hostpart, headers) = match hostpart.find('?') {
        Some(q) => (&hostpart[..q], Some(hostpart[q + 1..].to_owned())),
        None => (hostpart, None),
    };
    let (hostport, params) = match hostpart.find(';') {
        Some(sc) => (&hostpart[..sc], Params::parse(&hostpart[sc + 1..], false)?),
        None => (hostpart, Params::new()),
    };
    let (host, port) = parse_hostport(hostport)?;
    Ok(Uri {
        scheme,
        user,
        password,
        host,
        port,
        params,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        match s.parse() {
            Ok(u) => u,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn sip_uri_round_trip_rfc3261_19_1() {
        for s in [
            "sip:alice@example.com",
            "sips:alice:secret@example.com:5061;transport=tcp;lr",
            "sip:user;par=u%40example.net@example.com",
            "sip:%61lice@example.com;%74ransport=udp",
            "sip:null-%00-null@example.com",
            "sip:user@company.com?Route=%3Csip:sip.example.com%3E",
            "sip:[2001:db8::10]:5070",
            "sip:192.0.2.1",
            "tel:+1-201-555-0123;phone-context=x",
            "nobodyknowsthisscheme:totallyopaquecontent",
        ] {
            assert_eq!(uri(s).to_string(), s.replace("nobodyKnows", "nobodyknows"));
        }
        let u = uri("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert!(u.params.is_empty());
    }

    #[test]
    fn ipv6_references_rfc5118() {
        let u = uri("sip:[2001:db8::10:5070]");
        assert_eq!(u.port, None);
        let u = uri("sip:[2001:db8::10]:5070");
        assert_eq!(u.port, Some(5070));
        assert!("sip:user@2001:db8::10".parse::<Uri>().is_err());
        assert!("sip:[::ffff:192.0.2.10]".parse::<Uri>().is_ok());
    }

    #[test]
    fn malformed_uris_are_errors() {
        for s in [
            "",
            "sip:",
            "sip:@host",
            "sip:a b@host",
            "sip:host:99999",
            "<sip:x>",
            "1x:y",
            "sip:h:-1",
        ] {
            assert!(s.parse::<Uri>().is_err(), "{s}");
        }
    }
}
