//! Golden offer/answer tests (RFC 3264 §6, RFC 8866 §5, RFC 5118 §4.6): each
//! `tests/data/offers/NAME.sdp` is parsed, round-tripped, summarized and answered, and the result
//! is compared with `NAME.expected` (regenerate with `UPDATE_EXPECT=1`). Named tests below pin
//! the facts each fixture exists for.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use sdp_offer_answer::{
    AudioCodec, Capabilities, Direction, LocalSdp, NegotiationError, SessionDescription,
    negotiated_from_answer, summarize_offer,
};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/offers")
}

fn load(name: &str) -> SessionDescription {
    let text = std::fs::read_to_string(data_dir().join(format!("{name}.sdp"))).unwrap();
    text.parse().unwrap()
}

fn our_addr() -> IpAddr {
    "192.0.2.1".parse().unwrap()
}

fn answer(
    name: &str,
) -> Result<(SessionDescription, sdp_offer_answer::Negotiated), NegotiationError> {
    LocalSdp::new(1000, our_addr()).answer(
        &load(name),
        20000,
        &Capabilities::default(),
        Direction::SendRecv,
    )
}

/// Renders what the engine makes of one offer, for the `.expected` files.
fn render(text: &str) -> String {
    let mut out = String::new();
    let offer: SessionDescription = match text.parse() {
        Ok(o) => o,
        Err(e) => return format!("parse error: {e}\n"),
    };
    let _ = writeln!(
        out,
        "summary: {:?}",
        summarize_offer(&offer, &Capabilities::default())
    );
    let result = LocalSdp::new(1000, our_addr()).answer(
        &offer,
        20000,
        &Capabilities::default(),
        Direction::SendRecv,
    );
    match result {
        Ok((sdp, negotiated)) => {
            let _ = writeln!(out, "negotiated: {negotiated:?}");
            out.push_str("answer:\n");
            out.push_str(&sdp.to_string().replace("\r\n", "\n"));
        }
        Err(e) => {
            let _ = writeln!(out, "error: {e:?} (SIP {})", e.status_code());
        }
    }
    out
}

#[test]
fn golden_offers_match_expected_files() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 8, "fixtures missing");
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let sdp: SessionDescription = text.parse().unwrap();
        // Round trip: the serialized form parses back to the same value, and CRLF fixtures in
        // canonical order come back byte for byte.
        let again: SessionDescription = sdp.to_string().parse().unwrap();
        assert_eq!(again, sdp, "{}", path.display());
        if text.contains("\r\n") {
            assert_eq!(sdp.to_string(), text, "{}", path.display());
        }
        let actual = render(&text);
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
        } else {
            let expected = std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
            assert_eq!(actual, expected, "{}", path.display());
        }
    }
}

#[test]
fn sipp_offer_is_answered_with_pcmu_rfc3264_6_1() {
    let (sdp, n) = answer("sipp_uac").unwrap();
    assert_eq!(n.codec, AudioCodec::Pcmu);
    assert_eq!(n.payload_type, 0);
    assert_eq!(n.telephone_event_pt, None);
    assert_eq!(n.remote_rtp, Some("127.0.1.1:6000".parse().unwrap()));
    assert_eq!(sdp.media[0].formats, vec!["0"]);
    assert_eq!(sdp.media[0].port, 20000);
}

#[test]
fn softphone_offer_picks_offerers_first_supported_codec_and_8k_telephone_event() {
    let offer = load("softphone_many_codecs");
    let summary = summarize_offer(&offer, &Capabilities::default()).unwrap();
    // Offer order is 106(opus) 9(G722) 98 101 0 8 3: PCMU comes before PCMA.
    assert_eq!(
        summary.codecs,
        vec![(0, AudioCodec::Pcmu), (8, AudioCodec::Pcma)]
    );
    // RFC 4733: only the 8000 Hz telephone-event matches our 8 kHz codecs.
    assert_eq!(summary.telephone_event_pt, Some(101));
    let (sdp, n) = answer("softphone_many_codecs").unwrap();
    assert_eq!((n.codec, n.payload_type), (AudioCodec::Pcmu, 0));
    assert_eq!(n.telephone_event_pt, Some(101));
    assert_eq!(sdp.media[0].formats, vec!["0", "101"]);
    assert_eq!(sdp.media[0].fmtp(101), Some("0-15"));
}

#[test]
fn hold_reinvite_is_detected_and_answered_recvonly_rfc3264_8_4() {
    let offer = load("hold_reinvite");
    let summary = summarize_offer(&offer, &Capabilities::default()).unwrap();
    assert!(summary.on_hold);
    assert_eq!(summary.direction, Direction::SendOnly);
    let (sdp, n) = answer("hold_reinvite").unwrap();
    assert_eq!(n.direction, Direction::RecvOnly);
    assert_eq!(sdp.direction(&sdp.media[0]), Direction::RecvOnly);
}

#[test]
fn legacy_zero_address_hold_has_no_remote_rtp_rfc3264_8_4() {
    let summary = summarize_offer(&load("legacy_hold_lf"), &Capabilities::default()).unwrap();
    assert!(summary.on_hold);
    assert_eq!(summary.direction, Direction::SendRecv);
    assert_eq!(summary.remote_rtp, None);
}

#[test]
fn ulaw_only_trunk_offer_gets_pcmu_even_though_we_prefer_pcma() {
    let (_, n) = answer("ulaw_only").unwrap();
    assert_eq!((n.codec, n.payload_type), (AudioCodec::Pcmu, 0));
    assert_eq!(n.telephone_event_pt, Some(100));
}

#[test]
fn g729_only_offer_fails_with_no_common_codec_488() {
    let offer = load("g729_only");
    assert_eq!(
        summarize_offer(&offer, &Capabilities::default()),
        Err(NegotiationError::NoCommonCodec)
    );
    let err = answer("g729_only").unwrap_err();
    assert_eq!(err, NegotiationError::NoCommonCodec);
    assert_eq!(err.status_code(), 488);
}

#[test]
fn ipv6_offer_uses_media_level_connection_rfc5118_4_6() {
    let offer = load("ipv6_media_connection");
    assert!(offer.connection.is_none());
    let summary = summarize_offer(&offer, &Capabilities::default()).unwrap();
    assert_eq!(
        summary.remote_rtp,
        Some(SocketAddr::new("2001:db8::2".parse().unwrap(), 49172))
    );
    // PCMA under the dynamic payload type 96 is recognized by its rtpmap name.
    assert_eq!(
        summary.codecs,
        vec![(96, AudioCodec::Pcma), (8, AudioCodec::Pcma)]
    );
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    let (sdp, _) = LocalSdp::new(1, v6)
        .answer(&offer, 20000, &Capabilities::default(), Direction::SendRecv)
        .unwrap();
    assert!(sdp.to_string().contains("c=IN IP6 2001:db8::1\r\n"));
}

#[test]
fn multi_stream_offer_keeps_order_and_rejects_others_with_port_zero_rfc3264_6() {
    let (sdp, n) = answer("multi_media_with_video").unwrap();
    let lines: Vec<(String, u16, String)> = sdp
        .media
        .iter()
        .map(|m| (m.media.clone(), m.port, m.proto.clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("video".into(), 0, "RTP/AVP".into()),
            ("audio".into(), 20000, "RTP/AVP".into()),
            ("audio".into(), 0, "RTP/SAVP".into()),
            ("application".into(), 0, "UDP/BFCP".into()),
        ]
    );
    // The session-level recvonly applies to the audio stream, so we may only send.
    assert_eq!(n.direction, Direction::SendOnly);
    assert_eq!(n.codec, AudioCodec::Pcmu);
    assert_eq!(sdp.media[0].formats, vec!["31", "96"]);
}

#[test]
fn our_offer_and_their_answer_agree_end_to_end() {
    let mut ours = LocalSdp::new(5, our_addr());
    let offer = ours.offer(
        20000,
        &[(8, AudioCodec::Pcma), (0, AudioCodec::Pcmu)],
        Some(101),
        Direction::SendRecv,
    );
    let peer_text = format!("{offer}");
    let peer_view: SessionDescription = peer_text.parse().unwrap();
    let caps = Capabilities {
        codecs: vec![AudioCodec::Pcmu],
        telephone_event: false,
    };
    let (answer, _) = LocalSdp::new(6, "198.51.100.2".parse().unwrap())
        .answer(&peer_view, 30000, &caps, Direction::SendRecv)
        .unwrap();
    let n = negotiated_from_answer(&offer, &answer.to_string().parse().unwrap()).unwrap();
    assert_eq!((n.codec, n.payload_type), (AudioCodec::Pcmu, 0));
    assert_eq!(n.telephone_event_pt, None);
    assert_eq!(n.remote_rtp, Some("198.51.100.2:30000".parse().unwrap()));
}
