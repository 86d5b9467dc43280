//! Registrar tests (RFC 3261 §10.3) with virtual time.

use super::*;
use sip_message::{Limits, Message, parse_datagram};

fn register(contact: &str, expires: Option<&str>, call_id: &str, cseq: u32) -> Request {
    let mut text = format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5091;branch=z9hG4bK{cseq}\r\n\
         From: <sip:2001@127.0.0.1>;tag=a\r\nTo: <sip:2001@127.0.0.1>\r\nCall-ID: {call_id}\r\n\
         CSeq: {cseq} REGISTER\r\nMax-Forwards: 70\r\n"
    );
    if !contact.is_empty() {
        text.push_str(&format!("Contact: {contact}\r\n"));
    }
    if let Some(e) = expires {
        text.push_str(&format!("Expires: {e}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match parse_datagram(text.as_bytes(), &Limits::default()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!("a request"),
    }
}

fn src() -> SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}

#[test]
fn tel_5_register_refresh_and_expire() {
    let t0 = Instant::now();
    let mut r = Registrar::new(RegistrarConfig::default());
    let req = register("<sip:2001@127.0.0.1:5091>", Some("120"), "c1", 1);
    assert_eq!(r.register(t0, "2001", &req, src(), false), Ok(RegistrationChange::Registered));
    let ok = r.ok_response(t0, "2001", &req);
    assert_eq!(ok.headers.get(&HeaderName::Contact), Some("<sip:2001@127.0.0.1:5091>;expires=120"));
    // Contact host = source address: used as given (separate registration socket).
    let targets = r.targets("2001", t0);
    assert_eq!(targets[0].destination, "127.0.0.1:5091".parse().unwrap());
    // Refresh at 100 s keeps it alive past 120 s.
    let t1 = t0 + Duration::from_secs(100);
    let req = register("<sip:2001@127.0.0.1:5091>", Some("120"), "c1", 2);
    assert_eq!(r.register(t1, "2001", &req, src(), false), Ok(RegistrationChange::Refreshed));
    assert!(r.is_registered("2001", t0 + Duration::from_secs(200)));
    assert_eq!(r.poll_timeout(), Some(t1 + Duration::from_secs(120)));
    // Expires on time.
    assert!(!r.is_registered("2001", t1 + Duration::from_secs(120)));
    assert_eq!(r.expire(t1 + Duration::from_secs(120)), vec!["2001".to_owned()]);
    assert_eq!(r.registered_count(), 0);
}

#[test]
fn interval_too_brief_is_423_with_min_expires() {
    let mut r = Registrar::new(RegistrarConfig::default());
    let req = register("<sip:2001@127.0.0.1:5091>", Some("10"), "c1", 1);
    let err = r.register(Instant::now(), "2001", &req, src(), false).unwrap_err();
    let resp = r.error_response(&req, &err);
    assert_eq!(resp.status, StatusCode::INTERVAL_TOO_BRIEF);
    assert_eq!(resp.headers.get(&HeaderName::MinExpires), Some("60"));
}

#[test]
fn long_interval_is_shortened_to_max() {
    let t0 = Instant::now();
    let mut r = Registrar::new(RegistrarConfig::default());
    let req = register("<sip:2001@127.0.0.1:5091>;expires=99999", None, "c1", 1);
    r.register(t0, "2001", &req, src(), false).unwrap();
    assert_eq!(r.ok_response(t0, "2001", &req).headers.get(&HeaderName::Contact), Some("<sip:2001@127.0.0.1:5091>;expires=3600"));
}

#[test]
fn multiple_contacts_and_unregister_one() {
    let t0 = Instant::now();
    let mut r = Registrar::new(RegistrarConfig::default());
    let req = register("<sip:2001@127.0.0.1:5091>, <sip:2001@127.0.0.1:5093>", None, "c1", 1);
    r.register(t0, "2001", &req, src(), false).unwrap();
    assert_eq!(r.targets("2001", t0).len(), 2);
    let req = register("<sip:2001@127.0.0.1:5091>;expires=0", None, "c1", 2);
    assert_eq!(r.register(t0, "2001", &req, src(), false), Ok(RegistrationChange::Refreshed));
    let t = r.targets("2001", t0);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].destination.port(), 5093);
}

#[test]
fn wildcard_unregisters_everything() {
    let t0 = Instant::now();
    let mut r = Registrar::new(RegistrarConfig::default());
    r.register(t0, "2001", &register("<sip:2001@127.0.0.1:5091>", None, "c1", 1), src(), false).unwrap();
    let star = register("*", Some("0"), "c1", 2);
    assert_eq!(r.register(t0, "2001", &star, src(), false), Ok(RegistrationChange::Unregistered));
    assert!(!r.is_registered("2001", t0));
    let bad = register("*", Some("60"), "c1", 3);
    assert_eq!(r.register(t0, "2001", &bad, src(), false), Err(RegisterError::BadWildcard));
}

#[test]
fn out_of_order_cseq_is_refused() {
    let t0 = Instant::now();
    let mut r = Registrar::new(RegistrarConfig::default());
    r.register(t0, "2001", &register("<sip:2001@127.0.0.1:5091>", None, "c1", 5), src(), false).unwrap();
    let old = register("<sip:2001@127.0.0.1:5091>", None, "c1", 4);
    assert_eq!(r.register(t0, "2001", &old, src(), false), Err(RegisterError::OutOfOrder));
}

#[test]
fn nat_contact_goes_to_the_source_address() {
    let t0 = Instant::now();
    let mut r = Registrar::new(RegistrarConfig::default());
    let req = register("<sip:2001@192.168.1.50:5060>", None, "c1", 1);
    let public: SocketAddr = "127.0.0.7:31000".parse().unwrap();
    r.register(t0, "2001", &req, public, false).unwrap();
    let t = r.targets("2001", t0);
    assert_eq!(t[0].destination, public);
    assert_eq!(t[0].uri.to_string(), "sip:2001@192.168.1.50:5060");
}

#[test]
fn query_without_contact_changes_nothing() {
    let t0 = Instant::now();
    let mut r = Registrar::new(RegistrarConfig::default());
    assert_eq!(r.register(t0, "2001", &register("", None, "c1", 1), src(), false), Ok(RegistrationChange::Unchanged));
}
