//! Helpers shared by both legs of a call: forks, tags, next-hop resolution, SDP bodies.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use sdp_offer_answer::{AudioCodec, SessionDescription};
use sip_message::{HeaderName, Host, Request, Response, Uri};
use sip_transaction::{Peer, Transport};

use crate::io::{ReqRef, Target};

/// One parallel branch of leg B.
#[derive(Debug, Clone)]
pub(crate) struct Fork {
    pub(crate) req: ReqRef,
    pub(crate) target: Target,
    pub(crate) invite: Request,
    pub(crate) state: ForkState,
    /// Until the first response (even 100 Trying) arrives: when this fork is given up
    /// as unreachable, so the next target group can be tried [TEL-2].
    pub(crate) no_response_deadline: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ForkState {
    Calling,
    Ringing,
    Answered,
    Cancelled,
    /// Failed; `retry` says whether the next target group is worth trying.
    Failed { retry: bool },
}

/// A random token of `len` lowercase hex-like characters (tags, Call-IDs).
pub(crate) fn token(rng: &mut fastrand::Rng, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..len).map(|_| char::from(ALPHABET[rng.usize(..ALPHABET.len())])).collect()
}

/// Puts our tag on the To header of a response.
pub(crate) fn set_to_tag(resp: &mut Response, tag: &str) {
    if let Ok(mut to) = resp.headers.to()
        && to.tag().is_none()
    {
        to.set_tag(tag.to_owned());
        resp.headers.set(HeaderName::To, to.to_string());
    }
}

/// Where to send a request for `uri`: its own IP address and port when it names the
/// host the leg's traffic comes from; otherwise (a host name, NAT) the leg's known
/// peer address, so signalling stays symmetric.
pub(crate) fn resolve(uri: &Uri, fallback: Peer) -> Peer {
    let ip = match &uri.host {
        Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
        Host::Domain(_) => None,
    };
    match ip {
        Some(ip) if ip == fallback.addr.ip() && fallback.transport == Transport::Udp => {
            Peer { addr: SocketAddr::new(ip, uri.port.unwrap_or(5060)), transport: fallback.transport }
        }
        _ => fallback,
    }
}

/// The SDP body of a message, if it has one that parses.
pub(crate) fn sdp_body(req: &Request) -> Option<SessionDescription> {
    body_sdp(&req.headers, &req.body)
}

pub(crate) fn response_sdp(resp: &Response) -> Option<SessionDescription> {
    body_sdp(&resp.headers, &resp.body)
}

fn body_sdp(headers: &sip_message::Headers, body: &[u8]) -> Option<SessionDescription> {
    if body.is_empty() {
        return None;
    }
    let ct = headers.content_type().unwrap_or("application/sdp");
    if !ct.trim().to_ascii_lowercase().starts_with("application/sdp") {
        return None;
    }
    std::str::from_utf8(body).ok()?.parse().ok()
}

/// Sets an SDP body on a message's headers/body pair.
pub(crate) fn set_sdp(headers: &mut sip_message::Headers, body: &mut Vec<u8>, sdp: &SessionDescription) {
    headers.set(HeaderName::ContentType, "application/sdp");
    *body = sdp.to_string().into_bytes();
}

/// The 200 to an in-dialog OPTIONS: what we allow, accept and support.
pub(crate) fn options_ok(request: &Request) -> Response {
    let mut ok = Response::from_request(request, sip_message::StatusCode::OK);
    ok.headers.push(HeaderName::Allow, crate::call::ALLOW);
    ok.headers.push(HeaderName::Accept, "application/sdp");
    ok.headers.push(HeaderName::Supported, "timer");
    ok
}

/// The static RTP payload type of a G.711 codec (RFC 3551).
pub(crate) fn static_pt(codec: AudioCodec) -> u8 {
    match codec {
        AudioCodec::Pcmu => 0,
        AudioCodec::Pcma => 8,
    }
}

/// The digit of a SIP INFO DTMF body: `application/dtmf-relay` (`Signal=5`, the
/// Cisco/SIPp format) or `application/dtmf` (the bare digit). `10`/`11` (and 12-15) are
/// the RFC 4733 event codes some phones send for `*`/`#` (and A-D).
pub(crate) fn info_dtmf(req: &Request) -> Option<char> {
    let ct = req.headers.content_type()?.to_ascii_lowercase();
    let ct = ct.split(';').next().unwrap_or_default().trim().to_owned();
    let body = std::str::from_utf8(&req.body).ok()?;
    let value = match ct.as_str() {
        "application/dtmf-relay" => body.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            key.trim().eq_ignore_ascii_case("signal").then_some(value.trim())
        })?,
        "application/dtmf" => body.trim(),
        _ => return None,
    };
    dtmf_digit(value)
}

/// A DTMF key from its text (`5`, `*`, `a`) or RFC 4733 event code (`10` = `*`).
pub(crate) fn dtmf_digit(value: &str) -> Option<char> {
    let digit = match value {
        "10" => '*',
        "11" => '#',
        "12" => 'A',
        "13" => 'B',
        "14" => 'C',
        "15" => 'D',
        _ => {
            let mut chars = value.chars();
            let c = chars.next()?.to_ascii_uppercase();
            if chars.next().is_some() {
                return None;
            }
            c
        }
    };
    is_dtmf_digit(digit).then_some(digit)
}

/// One of the sixteen DTMF keys.
pub(crate) fn is_dtmf_digit(c: char) -> bool {
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_uses_contact_on_the_same_host_and_the_peer_otherwise() {
        let peer = Peer { addr: "127.0.0.1:40000".parse().unwrap(), transport: Transport::Udp };
        let same: Uri = "sip:2001@127.0.0.1:5091".parse().unwrap();
        assert_eq!(resolve(&same, peer).addr, "127.0.0.1:5091".parse().unwrap());
        let nat: Uri = "sip:2001@192.168.1.5:5060".parse().unwrap();
        assert_eq!(resolve(&nat, peer), peer);
        let name: Uri = "sip:2001@phone.example.com".parse().unwrap();
        assert_eq!(resolve(&name, peer), peer);
    }

    #[test]
    fn dtmf_digits_parse_from_text_and_event_codes_ivr_1() {
        assert_eq!(dtmf_digit("5"), Some('5'));
        assert_eq!(dtmf_digit("a"), Some('A'));
        assert_eq!(dtmf_digit("10"), Some('*'));
        assert_eq!(dtmf_digit("11"), Some('#'));
        assert_eq!(dtmf_digit("#"), Some('#'));
        assert_eq!(dtmf_digit("16"), None);
        assert_eq!(dtmf_digit("x"), None);
        assert_eq!(dtmf_digit(""), None);
        assert_eq!(dtmf_digit("é"), None);
    }

    #[test]
    fn tokens_are_random_and_sized() {
        let mut rng = fastrand::Rng::with_seed(7);
        let a = token(&mut rng, 10);
        let b = token(&mut rng, 10);
        assert_eq!(a.len(), 10);
        assert_ne!(a, b);
    }
}
