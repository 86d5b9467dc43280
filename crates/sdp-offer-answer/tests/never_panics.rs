//! Property tests: the SDP parser and offer/answer never panic on random or mutated input
//! (STYLE.md rule 10), and whatever parses survives a serialize/parse round trip.

use proptest::prelude::*;
use sdp_offer_answer::{
    Capabilities, Direction, LocalSdp, SessionDescription, negotiated_from_answer, summarize_offer,
};

const SEED: &str = "v=0\r\no=- 3912345678 3912345678 IN IP4 192.168.1.50\r\ns=Z\r\n\
c=IN IP4 192.168.1.50\r\nt=0 0\r\nm=audio 52000 RTP/AVP 106 9 98 101 0 8 3\r\n\
a=rtpmap:106 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n\
a=sendonly\r\nm=video 0 RTP/AVP 96\r\nc=IN IP6 ::1\r\n";

fn exercise(text: &str) {
    let Ok(sdp) = text.parse::<SessionDescription>() else {
        return;
    };
    let again: SessionDescription = sdp
        .to_string()
        .parse()
        .expect("serialized SDP must parse again");
    assert_eq!(again, sdp);
    let caps = Capabilities::default();
    let _ = summarize_offer(&sdp, &caps);
    for m in &sdp.media {
        let _ = sdp.is_on_hold(m);
        for pt in 0..=127u8 {
            let _ = m.rtpmap(pt);
            let _ = m.fmtp(pt);
        }
    }
    let mut local = LocalSdp::new(1, "127.0.0.1".parse().unwrap());
    if let Ok((answer, _)) = local.answer(&sdp, 4000, &caps, Direction::SendRecv) {
        let _ = negotiated_from_answer(&sdp, &answer);
    }
    let _ = negotiated_from_answer(&sdp, &sdp);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        exercise(&text);
    }

    #[test]
    fn sdp_shaped_lines_never_panic(
        lines in proptest::collection::vec("[a-zA-Z0-9=:/ .\\-*]{0,40}", 0..20)
    ) {
        let text = format!("v=0\r\n{}", lines.join("\r\n"));
        exercise(&text);
    }

    #[test]
    fn mutated_valid_sdp_never_panics(
        edits in proptest::collection::vec((0usize..400, any::<char>()), 1..8),
        cut in 0usize..400,
    ) {
        let mut chars: Vec<char> = SEED.chars().collect();
        for (pos, c) in edits {
            if let Some(slot) = chars.get_mut(pos % SEED.len()) {
                *slot = c;
            }
        }
        chars.truncate(cut.max(10));
        let text: String = chars.into_iter().collect();
        exercise(&text);
    }
}
