//! RFC 3264 offer/answer for one audio stream with PCMA/PCMU (RFC 3551 static PT 8 and 0, also
//! under dynamic PTs by rtpmap name) and telephone-event (RFC 4733): offer summaries, our own
//! offers and answers (§5, §6, §8 versioning) and reading the peer's answer.

use std::net::{IpAddr, SocketAddr};

use crate::session::{
    Attribute, Connection, Direction, MediaDescription, Origin, SessionDescription, Timing,
    address_type_of,
};

/// The audio codecs the engine can relay, play and record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// G.711 µ-law, static payload type 0.
    Pcmu,
}

/// What our side accepts, in our preference order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Supported codecs in our preference order.
    pub codecs: Vec<AudioCodec>,
    /// Whether RFC 4733 telephone-event/8000 is accepted.
    pub telephone_event: bool,
}

/// What one side's SDP means for the media relay (first usable audio stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSummary {
    /// Where to send RTP; `None` for port 0 or no usable (or the 0.0.0.0 hold) address.
    pub remote_rtp: Option<SocketAddr>,
    /// The acceptable codecs in the SDP's order, with their payload type.
    pub codecs: Vec<(u8, AudioCodec)>,
    /// The telephone-event payload type, if offered and accepted.
    pub telephone_event_pt: Option<u8>,
    /// The direction as written by the SDP's author (RFC 3264 §5.1).
    pub direction: Direction,
    /// Whether the author puts the stream on hold (RFC 3264 §8.4).
    pub on_hold: bool,
}

/// The outcome of one offer/answer exchange for the audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The codec both sides use.
    pub codec: AudioCodec,
    /// Its payload type on the wire.
    pub payload_type: u8,
    /// The telephone-event payload type, when both sides agreed on it.
    pub telephone_event_pt: Option<u8>,
    /// Where to send RTP to the peer.
    pub remote_rtp: Option<SocketAddr>,
    /// The direction of the stream from our side's point of view.
    pub direction: Direction,
}

/// Why an offer or answer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// The SDP has no audio stream with a non-zero port and an RTP/AVP(F) profile.
    #[error("no usable audio stream")]
    NoAudio,
    /// The audio stream offers no codec we support (answer with 488).
    #[error("no common codec")]
    NoCommonCodec,
    /// The answer has fewer media sections than our offer (RFC 3264 §6).
    #[error("answer has {answer} media sections, offer had {offer}")]
    MediaCountMismatch {
        /// Sections in our offer.
        offer: usize,
        /// Sections in the answer.
        answer: usize,
    },
    /// The answer rejected the audio stream with port 0.
    #[error("answer rejected the audio stream")]
    AudioRejected,
}

impl AudioCodec {
    /// The RFC 3551 static payload type.
    pub fn static_payload_type(self) -> u8 {
        match self {
            AudioCodec::Pcma => 8,
            AudioCodec::Pcmu => 0,
        }
    }

    /// The rtpmap encoding name.
    pub fn encoding_name(self) -> &'static str {
        match self {
            AudioCodec::Pcma => "PCMA",
            AudioCodec::Pcmu => "PCMU",
        }
    }

    /// The RTP clock rate in Hz.
    pub fn clock_rate(self) -> u32 {
        8000
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            codecs: vec![AudioCodec::Pcma, AudioCodec::Pcmu],
            telephone_event: true,
        }
    }
}

impl NegotiationError {
    /// The SIP status code to reject an offer with (RFC 3261 §21.4.26: 488 Not Acceptable Here).
    pub fn status_code(&self) -> u16 {
        488
    }
}

/// Summarizes the first usable audio stream of an offer (or of any SDP) against our
/// capabilities.
pub fn summarize_offer(
    offer: &SessionDescription,
    caps: &Capabilities,
) -> Result<MediaSummary, NegotiationError> {
    let media = offer
        .media
        .iter()
        .find(|m| is_usable_audio(m))
        .ok_or(NegotiationError::NoAudio)?;
    let codecs = acceptable_codecs(media, caps);
    if codecs.is_empty() {
        return Err(NegotiationError::NoCommonCodec);
    }
    Ok(MediaSummary {
        remote_rtp: remote_rtp(offer, media),
        codecs,
        telephone_event_pt: caps
            .telephone_event
            .then(|| telephone_event_pt(media))
            .flatten(),
        direction: offer.direction(media),
        on_hold: offer.is_on_hold(media),
    })
}

/// Reads the peer's answer to our offer: the answer must keep our media order and pick a codec
/// we offered (RFC 3264 §6, §7).
pub fn negotiated_from_answer(
    our_offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Negotiated, NegotiationError> {
    let index = our_offer
        .media
        .iter()
        .position(is_usable_audio)
        .ok_or(NegotiationError::NoAudio)?;
    let ours = our_offer
        .media
        .get(index)
        .ok_or(NegotiationError::NoAudio)?;
    let theirs = answer
        .media
        .get(index)
        .ok_or(NegotiationError::MediaCountMismatch {
            offer: our_offer.media.len(),
            answer: answer.media.len(),
        })?;
    if theirs.port == 0 {
        return Err(NegotiationError::AudioRejected);
    }
    let offered: Vec<AudioCodec> = all_codecs(ours).into_iter().map(|(_, c)| c).collect();
    let (payload_type, codec) = all_codecs(theirs)
        .into_iter()
        .find(|(_, c)| offered.contains(c))
        .ok_or(NegotiationError::NoCommonCodec)?;
    let telephone_event_pt = telephone_event_pt(ours)
        .is_some()
        .then(|| telephone_event_pt(theirs))
        .flatten();
    Ok(Negotiated {
        codec,
        payload_type,
        telephone_event_pt,
        remote_rtp: remote_rtp(answer, theirs),
        direction: answer.direction(theirs).reversed(),
    })
}

/// Our side's SDP origin for one leg: session id, and a version that increments only when the
/// content changes (RFC 3264 §8).
#[derive(Debug, Clone)]
pub struct LocalSdp {
    session_id: u64,
    version: u64,
    addr: IpAddr,
    last: Option<SessionDescription>,
}

impl LocalSdp {
    /// Starts a local SDP history for a leg; the first body carries version 1.
    pub fn new(session_id: u64, addr: IpAddr) -> Self {
        LocalSdp {
            session_id,
            version: 0,
            addr,
            last: None,
        }
    }

    /// The version of the last body produced (0 before the first).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Builds an offer for one audio stream listing `codecs` with their payload types.
    pub fn offer(
        &mut self,
        port: u16,
        codecs: &[(u8, AudioCodec)],
        telephone_event_pt: Option<u8>,
        direction: Direction,
    ) -> SessionDescription {
        let media = audio_media(port, codecs, telephone_event_pt, direction);
        self.finish(vec![media])
    }

    /// Answers an offer (RFC 3264 §6): keeps the offerer's media order, rejects other streams
    /// with port 0, picks the first offered codec we support and answers telephone-event with
    /// the offerer's payload type. `direction` is what we want; the answer never exceeds what
    /// the offer allows (§6.1).
    pub fn answer(
        &mut self,
        offer: &SessionDescription,
        port: u16,
        caps: &Capabilities,
        direction: Direction,
    ) -> Result<(SessionDescription, Negotiated), NegotiationError> {
        let index = offer
            .media
            .iter()
            .position(is_usable_audio)
            .ok_or(NegotiationError::NoAudio)?;
        let offered = offer.media.get(index).ok_or(NegotiationError::NoAudio)?;
        let (payload_type, codec) = acceptable_codecs(offered, caps)
            .into_iter()
            .next()
            .ok_or(NegotiationError::NoCommonCodec)?;
        let te_pt = caps
            .telephone_event
            .then(|| telephone_event_pt(offered))
            .flatten();
        let offer_direction = offer.direction(offered);
        let answer_direction = Direction::from_flags(
            direction.sends() && offer_direction.receives(),
            direction.receives() && offer_direction.sends(),
        );
        let mut answered = audio_media(port, &[(payload_type, codec)], te_pt, answer_direction);
        answered.proto.clone_from(&offered.proto);

        let media = offer
            .media
            .iter()
            .enumerate()
            .map(|(i, m)| {
                if i == index {
                    answered.clone()
                } else {
                    rejected(m)
                }
            })
            .collect();
        let negotiated = Negotiated {
            codec,
            payload_type,
            telephone_event_pt: te_pt,
            remote_rtp: remote_rtp(offer, offered),
            direction: answer_direction,
        };
        Ok((self.finish(media), negotiated))
    }

    /// Wraps media sections in a session and assigns the version.
    fn finish(&mut self, media: Vec<MediaDescription>) -> SessionDescription {
        let mut sdp = SessionDescription {
            origin: Origin {
                username: "centralino".to_owned(),
                session_id: self.session_id.to_string(),
                // Filled in below, after comparing the content with the previous body.
                session_version: String::new(),
                network_type: "IN".to_owned(),
                address_type: address_type_of(self.addr).to_owned(),
                unicast_address: self.addr.to_string(),
            },
            session_name: "centralino".to_owned(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: Some(Connection::from_ip(self.addr)),
            bandwidths: Vec::new(),
            timings: vec![Timing {
                start: 0,
                stop: 0,
                repeats: Vec::new(),
            }],
            time_zones: None,
            key: None,
            attributes: Vec::new(),
            other_lines: Vec::new(),
            media,
        };
        if self.last.as_ref() != Some(&sdp) {
            self.version = self.version.saturating_add(1);
            self.last = Some(sdp.clone());
        }
        sdp.origin.session_version = self.version.to_string();
        sdp
    }
}

/// Whether a media section is an audio stream we can take part in.
fn is_usable_audio(m: &MediaDescription) -> bool {
    m.media.eq_ignore_ascii_case("audio")
        && m.port != 0
        && (m.proto.eq_ignore_ascii_case("RTP/AVP") || m.proto.eq_ignore_ascii_case("RTP/AVPF"))
}

/// Every codec of ours in a media section, in its order, regardless of preferences.
fn all_codecs(m: &MediaDescription) -> Vec<(u8, AudioCodec)> {
    m.payload_types()
        .filter_map(|pt| codec_of(m, pt).map(|c| (pt, c)))
        .collect()
}

/// The codecs of a media section that `caps` accepts, in the section's order.
fn acceptable_codecs(m: &MediaDescription, caps: &Capabilities) -> Vec<(u8, AudioCodec)> {
    all_codecs(m)
        .into_iter()
        .filter(|(_, c)| caps.codecs.contains(c))
        .collect()
}

fn codec_of(m: &MediaDescription, pt: u8) -> Option<AudioCodec> {
    let map = m.rtpmap(pt)?;
    if map.clock_rate != 8000 || map.channels.is_some_and(|c| c != 1) {
        return None;
    }
    [AudioCodec::Pcma, AudioCodec::Pcmu]
        .into_iter()
        .find(|c| map.encoding.eq_ignore_ascii_case(c.encoding_name()))
}

/// The payload type of telephone-event/8000 (RFC 4733 §7.1.1), if listed.
fn telephone_event_pt(m: &MediaDescription) -> Option<u8> {
    m.payload_types().find(|pt| {
        m.rtpmap(*pt).is_some_and(|map| {
            map.encoding.eq_ignore_ascii_case("telephone-event") && map.clock_rate == 8000
        })
    })
}

fn remote_rtp(sdp: &SessionDescription, m: &MediaDescription) -> Option<SocketAddr> {
    if m.port == 0 {
        return None;
    }
    let ip = sdp.connection_for(m)?.ip()?;
    (!ip.is_unspecified()).then_some(SocketAddr::new(ip, m.port))
}

fn audio_media(
    port: u16,
    codecs: &[(u8, AudioCodec)],
    telephone_event_pt: Option<u8>,
    direction: Direction,
) -> MediaDescription {
    let mut formats: Vec<String> = codecs.iter().map(|(pt, _)| pt.to_string()).collect();
    let mut attributes: Vec<Attribute> = codecs
        .iter()
        .map(|(pt, c)| {
            Attribute::with_value(
                "rtpmap",
                format!("{pt} {}/{}", c.encoding_name(), c.clock_rate()),
            )
        })
        .collect();
    if let Some(pt) = telephone_event_pt {
        formats.push(pt.to_string());
        attributes.push(Attribute::with_value(
            "rtpmap",
            format!("{pt} telephone-event/8000"),
        ));
        attributes.push(Attribute::with_value("fmtp", format!("{pt} 0-15")));
    }
    attributes.push(Attribute::property(direction.as_str()));
    MediaDescription {
        media: "audio".to_owned(),
        port,
        port_count: None,
        proto: "RTP/AVP".to_owned(),
        formats,
        information: None,
        connection: None,
        bandwidths: Vec::new(),
        key: None,
        attributes,
        other_lines: Vec::new(),
    }
}

/// A rejected stream (RFC 3264 §6): same media and proto, port 0, the offered formats.
fn rejected(m: &MediaDescription) -> MediaDescription {
    MediaDescription {
        media: m.media.clone(),
        port: 0,
        port_count: None,
        proto: m.proto.clone(),
        formats: m.formats.clone(),
        information: None,
        connection: None,
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
        other_lines: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> IpAddr {
        "192.0.2.10".parse().unwrap()
    }

    #[test]
    fn version_increments_only_on_change_rfc3264_8() {
        let mut local = LocalSdp::new(42, addr());
        let codecs = [(8, AudioCodec::Pcma)];
        let a = local.offer(4000, &codecs, Some(101), Direction::SendRecv);
        let b = local.offer(4000, &codecs, Some(101), Direction::SendRecv);
        let c = local.offer(4000, &codecs, Some(101), Direction::SendOnly);
        assert_eq!(a.origin.session_version, "1");
        assert_eq!(b.origin.session_version, "1");
        assert_eq!(c.origin.session_version, "2");
        assert_eq!(c.origin.session_id, "42");
        assert_eq!(c.origin.username, "centralino");
    }

    #[test]
    fn offer_round_trips_through_text() {
        let mut local = LocalSdp::new(7, addr());
        let offer = local.offer(
            4000,
            &[(8, AudioCodec::Pcma), (0, AudioCodec::Pcmu)],
            Some(101),
            Direction::SendRecv,
        );
        let parsed: SessionDescription = offer.to_string().parse().unwrap();
        assert_eq!(parsed, offer);
        let summary = summarize_offer(&parsed, &Capabilities::default()).unwrap();
        assert_eq!(
            summary.codecs,
            vec![(8, AudioCodec::Pcma), (0, AudioCodec::Pcmu)]
        );
        assert_eq!(summary.telephone_event_pt, Some(101));
        assert_eq!(summary.remote_rtp, Some(SocketAddr::new(addr(), 4000)));
    }

    #[test]
    fn answer_direction_never_exceeds_offer_rfc3264_6_1() {
        let mut local = LocalSdp::new(1, addr());
        let mut offer = LocalSdp::new(2, addr()).offer(
            5000,
            &[(0, AudioCodec::Pcmu)],
            None,
            Direction::SendOnly,
        );
        let (_, n) = local
            .answer(&offer, 6000, &Capabilities::default(), Direction::SendRecv)
            .unwrap();
        assert_eq!(n.direction, Direction::RecvOnly);
        offer = LocalSdp::new(2, addr()).offer(
            5000,
            &[(0, AudioCodec::Pcmu)],
            None,
            Direction::Inactive,
        );
        let (_, n) = local
            .answer(&offer, 6000, &Capabilities::default(), Direction::SendRecv)
            .unwrap();
        assert_eq!(n.direction, Direction::Inactive);
    }

    #[test]
    fn negotiated_from_answer_reverses_direction_and_checks_codec() {
        let mut ours = LocalSdp::new(1, addr());
        let offer = ours.offer(
            4000,
            &[(8, AudioCodec::Pcma)],
            Some(101),
            Direction::SendRecv,
        );
        let mut theirs = LocalSdp::new(9, "198.51.100.1".parse().unwrap());
        let (answer, _) = theirs
            .answer(&offer, 7000, &Capabilities::default(), Direction::SendOnly)
            .unwrap();
        let n = negotiated_from_answer(&offer, &answer).unwrap();
        assert_eq!(n.codec, AudioCodec::Pcma);
        assert_eq!(n.payload_type, 8);
        assert_eq!(n.telephone_event_pt, Some(101));
        assert_eq!(n.direction, Direction::RecvOnly);
        assert_eq!(n.remote_rtp, Some("198.51.100.1:7000".parse().unwrap()));

        let pcmu_answer = LocalSdp::new(9, addr()).offer(
            7000,
            &[(0, AudioCodec::Pcmu)],
            None,
            Direction::SendRecv,
        );
        assert_eq!(
            negotiated_from_answer(&offer, &pcmu_answer),
            Err(NegotiationError::NoCommonCodec)
        );
    }
}
