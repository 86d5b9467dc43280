//! Via and CSeq header values (RFC 3261 §20.42, §20.16, §18.2.1 received/rport per RFC 3581, RFC 5118 §4.5).

use std::fmt;
use std::str::FromStr;

use crate::error::HeaderError;
use crate::method::Method;
use crate::params::Params;
use crate::syntax::{is_lws, is_token, parse_u32, trim_lws};
use crate::uri::{Host, parse_port};

/// One Via entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Via {
    /// The transport ("UDP", "TCP", "TLS", ... upper-cased; unknown tokens are legal).
    pub transport: String,
    /// The sent-by host.
    pub host: Host,
    /// The sent-by port.
    pub port: Option<u16>,
    /// The via-params (branch, received, rport, ...).
    pub params: Params,
}

impl Via {
    /// A Via with a branch parameter.
    pub fn new(
        transport: impl Into<String>,
        host: Host,
        port: Option<u16>,
        branch: impl Into<String>,
    ) -> Via {
        let mut params = Params::new();
        params.set("branch", Some(branch.into()));
        Via {
            transport: transport.into().to_ascii_uppercase(),
            host,
            port,
            params,
        }
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    /// The received parameter, as written (with or without IPv6 brackets).
    pub fn received(&self) -> Option<&str> {
        self.params.value("received")
    }

    /// `Some(None)` for a bare `;rport`, `Some(Some(p))` for `;rport=p`, `None` if absent.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params
            .get("rport")
            .map(|v| v.and_then(|p| parse_port(p).ok()))
    }
}

impl FromStr for Via {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<Via, HeaderError> {
        parse_via(s).map_err(|reason| HeaderError::Malformed {
            what: "Via",
            reason,
        })
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

/// A CSeq value (RFC 3261 §20.16): a 32-bit sequence number and a method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CSeq {
    /// The sequence number (< 2^32).
    pub seq: u32,
    /// The method.
    pub method: Method,
}

impl FromStr for CSeq {
    type Err = HeaderError;

    fn from_str(s: &str) -> Result<CSeq, HeaderError> {
        let err = |reason| HeaderError::Malformed {
            what: "CSeq",
            reason,
        };
        let s = trim_lws(s);
        let sp = s.bytes().position(is_lws).ok_or(err("missing method"))?;
        let seq = parse_u32(&s[..sp]).ok_or(err("sequence number is not a 32-bit decimal"))?;
        let method = trim_lws(&s[sp..])
            .parse()
            .map_err(|_| err("invalid method"))?;
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// `sent-protocol LWS sent-by *(SEMI via-params)`, with SWS allowed around `/` and `:`.
fn parse_via(s: &str) -> Result<Via, &'static str> {
    let s = trim_lws(s);
    let (name, rest) = slash_field(s).ok_or("missing protocol name")?;
    let (version, rest) = slash_field(rest).ok_or("missing protocol version")?;
    if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
        return Err("protocol is not SIP/2.0");
    }
    let rest = trim_lws(rest);
    let end = rest.bytes().position(is_lws).ok_or("missing sent-by")?;
    let transport = &rest[..end];
    if !is_token(transport) {
        return Err("invalid transport");
    }
    let rest = trim_lws(&rest[end..]);
    let (sent_by, params) = match rest.find(';') {
        Some(sc) => (&rest[..sc], Params::parse(&rest[sc + 1..], true)?),
        None => (rest, Params::new()),
    };
    let sent_by = trim_lws(sent_by);
    let (host, port) = if sent_by.starts_with('[') {
        let close = sent_by.find(']').ok_or("unterminated IPv6 reference")?;
        let host = Host::parse(&sent_by[..=close])?;
        let after = trim_lws(&sent_by[close + 1..]);
        match after.strip_prefix(':') {
            Some(p) => (host, Some(parse_port(trim_lws(p))?)),
            None if after.is_empty() => (host, None),
            None => return Err("junk after sent-by"),
        }
    } else {
        match sent_by.find(':') {
            Some(c) => (
                Host::parse(trim_lws(&sent_by[..c]))?,
                Some(parse_port(trim_lws(&sent_by[c + 1..]))?),
            ),
            None => (Host::parse(sent_by)?, None),
        }
    };
    if params
        .get("branch")
        .is_some_and(|b| b.is_none_or(|b| !is_token(b)))
    {
        return Err("invalid branch");
    }
    Ok(Via {
        transport: transport.to_ascii_uppercase(),
        host,
        port,
        params,
    })
}

/// Reads a token followed by SWS "/" SWS; returns the token and the rest after the slash.
fn slash_field(s: &str) -> Option<(&str, &str)> {
    let slash = s.find('/')?;
    let field = trim_lws(&s[..slash]);
    if !is_token(field) {
        return None;
    }
    Some((field, &s[slash + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_forms_rfc3261_20_42_rfc5118_4_5() {
        let v: Via =
            match "SIP / 2.0 / udp host.example.com : 5060 ; branch = z9hG4bK1 ; rport".parse() {
                Ok(v) => v,
                Err(e) => panic!("{e}"),
            };
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.branch(), Some("z9hG4bK1"));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP host.example.com:5060;branch=z9hG4bK1;rport"
        );
        let w: Result<Via, _> =
            "SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3".parse();
        let w = w.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.received(), Some("2001:db8::9:255"));
        assert_eq!(w.branch(), Some("z9hG4bKas3"));
        assert!("SIP/7.0/UDP h".parse::<Via>().is_err());
        assert!("SIP/2.0/UDP".parse::<Via>().is_err());
        let n = Via::new("tcp", Host::Domain("h".into()), None, "z9hG4bKx");
        assert_eq!(n.to_string(), "SIP/2.0/TCP h;branch=z9hG4bKx");
    }

    #[test]
    fn cseq_overflow_is_an_error_rfc4475_3_1_2_4() {
        assert_eq!("  0009 INVITE".parse::<CSeq>().map(|c| c.seq), Ok(9));
        assert!("36893488147419103232 REGISTER".parse::<CSeq>().is_err());
        assert!("-1 INVITE".parse::<CSeq>().is_err());
        assert!("1".parse::<CSeq>().is_err());
        let c = CSeq {
            seq: 4294967295,
            method: Method::Options,
        };
        assert_eq!(c.to_string().parse::<CSeq>(), Ok(c));
    }
}
