//! Zero-copy RTP header view and in-place field setters (RFC 3550 §5.1), plus RTP/RTCP
//! demultiplexing (RFC 5761 §4) and a minimal RTCP header check (RFC 3550 §6.4).

use std::ops::Range;

/// Length of the fixed RTP header in bytes (RFC 3550 §5.1).
pub const RTP_FIXED_HEADER_LEN: usize = 12;

/// Why a datagram is not a well-formed RTP or RTCP packet.
///
/// Every variant is a fault of the peer (malformed input); none is a bug of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// The datagram is shorter than the header it claims to carry.
    #[error("packet too short: {len} bytes, header needs {needed}")]
    TooShort { len: usize, needed: usize },
    /// The version field is not 2.
    #[error("unsupported RTP version {0}")]
    BadVersion(u8),
    /// The padding count is zero or larger than the packet body.
    #[error("invalid padding length {0}")]
    BadPadding(u8),
    /// The payload type is in the RTCP range 64–95 (RFC 5761 §4).
    #[error("payload type {0} collides with RTCP")]
    RtcpPayloadType(u8),
    /// The RTCP packet type is not one we relay (200–207).
    #[error("unknown RTCP packet type {0}")]
    UnknownRtcpType(u8),
    /// The RTCP length field runs past the end of the datagram.
    #[error("RTCP length field exceeds the datagram")]
    BadRtcpLength,
}

/// A validated RTP header, copied out of the datagram so the buffer can then be rewritten
/// in place. Parsing never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    payload_type: u8,
    marker: bool,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    csrc_count: u8,
    extension: bool,
    header_len: usize,
    payload_end: usize,
}

impl RtpHeader {
    /// Parses and validates the header of an RTP packet (RFC 3550 §5.1): version 2, the CSRC
    /// list, the header extension and the padding must all fit in `packet`, and the payload
    /// type must not collide with RTCP (RFC 5761 §4).
    pub fn parse(packet: &[u8]) -> Result<RtpHeader, RtpError> {
        let len = packet.len();
        let fixed: &[u8; RTP_FIXED_HEADER_LEN] = packet
            .get(..RTP_FIXED_HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(RtpError::TooShort {
                len,
                needed: RTP_FIXED_HEADER_LEN,
            })?;
        let version = fixed[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion(version));
        }
        let padding = fixed[0] & 0x20 != 0;
        let extension = fixed[0] & 0x10 != 0;
        let csrc_count = fixed[0] & 0x0f;
        let marker = fixed[1] & 0x80 != 0;
        let payload_type = fixed[1] & 0x7f;
        if (64..=95).contains(&payload_type) {
            return Err(RtpError::RtcpPayloadType(payload_type));
        }
        let sequence = u16::from_be_bytes([fixed[2], fixed[3]]);
        let timestamp = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let ssrc = u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]);

        let mut header_len = RTP_FIXED_HEADER_LEN + 4 * usize::from(csrc_count);
        if extension {
            let ext_start = header_len;
            header_len += 4;
            let ext = packet
                .get(ext_start..header_len)
                .ok_or(RtpError::TooShort {
                    len,
                    needed: header_len,
                })?;
            let words = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
            header_len += 4 * words;
        }
        if header_len > len {
            return Err(RtpError::TooShort {
                len,
                needed: header_len,
            });
        }
        let mut payload_end = len;
        if padding {
            let count = packet.last().copied().unwrap_or(0);
            if count == 0 || usize::from(count) > len - header_len {
                return Err(RtpError::BadPadding(count));
            }
            payload_end = len - usize::from(count);
        }
        Ok(RtpHeader {
            payload_type,
            marker,
            sequence,
            timestamp,
            ssrc,
            csrc_count,
            extension,
            header_len,
            payload_end,
        })
    }

    /// The 7-bit payload type.
    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// The marker bit.
    pub fn marker(&self) -> bool {
        self.marker
    }

    /// The 16-bit sequence number.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// The 32-bit media timestamp.
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The synchronization source identifier.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The number of CSRC identifiers following the fixed header.
    pub fn csrc_count(&self) -> u8 {
        self.csrc_count
    }

    /// Whether a header extension is present.
    pub fn has_extension(&self) -> bool {
        self.extension
    }

    /// The total header length: fixed header, CSRC list and extension.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The byte range of the payload inside the parsed packet, padding excluded.
    pub fn payload_range(&self) -> Range<usize> {
        self.header_len..self.payload_end
    }
}

/// Overwrites the SSRC of an RTP packet in place.
pub fn set_ssrc(packet: &mut [u8], ssrc: u32) -> Result<(), RtpError> {
    write_bytes(packet, 8, &ssrc.to_be_bytes())
}

/// Overwrites the sequence number of an RTP packet in place.
pub fn set_sequence(packet: &mut [u8], sequence: u16) -> Result<(), RtpError> {
    write_bytes(packet, 2, &sequence.to_be_bytes())
}

/// Overwrites the timestamp of an RTP packet in place.
pub fn set_timestamp(packet: &mut [u8], timestamp: u32) -> Result<(), RtpError> {
    write_bytes(packet, 4, &timestamp.to_be_bytes())
}

/// Overwrites the payload type of an RTP packet in place, keeping the marker bit.
pub fn set_payload_type(packet: &mut [u8], payload_type: u8) -> Result<(), RtpError> {
    let byte = fixed_byte_mut(packet, 1)?;
    *byte = (*byte & 0x80) | (payload_type & 0x7f);
    Ok(())
}

/// Sets or clears the marker bit of an RTP packet in place.
pub fn set_marker(packet: &mut [u8], marker: bool) -> Result<(), RtpError> {
    let byte = fixed_byte_mut(packet, 1)?;
    *byte = if marker { *byte | 0x80 } else { *byte & 0x7f };
    Ok(())
}

/// What a datagram received on a media port looks like (RFC 5761 §4 demultiplexing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    /// Version 2 with a second byte outside 192–223: RTP.
    Rtp,
    /// Version 2 with a second byte in 192–223 (payload types 64–95): RTCP.
    Rtcp,
    /// Not RTP or RTCP (STUN, garbage, too short).
    Other,
}

/// Classifies a datagram as RTP, RTCP or something else by its first two bytes
/// (RFC 5761 §4). This does not validate the rest of the packet.
pub fn classify(packet: &[u8]) -> PacketKind {
    match packet {
        [first, second, ..] if first >> 6 == 2 => {
            if (192..=223).contains(second) {
                PacketKind::Rtcp
            } else {
                PacketKind::Rtp
            }
        }
        _ => PacketKind::Other,
    }
}

/// The common header of the first RTCP packet of a datagram (RFC 3550 §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpHeader {
    /// The packet type (200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, 205–207 feedback/XR).
    pub packet_type: u8,
    /// The 5-bit count field (reception reports, sources, or feedback format).
    pub count: u8,
    /// The number of packets in the compound datagram.
    pub packets: usize,
}

impl RtcpHeader {
    /// Checks a (possibly compound) RTCP datagram: every packet must be version 2 with a known
    /// packet type, and the length fields must tile the datagram exactly.
    pub fn parse(datagram: &[u8]) -> Result<RtcpHeader, RtpError> {
        let mut offset = 0usize;
        let mut first: Option<(u8, u8)> = None;
        let mut packets = 0usize;
        while offset < datagram.len() {
            let head = datagram.get(offset..offset + 4).ok_or(RtpError::TooShort {
                len: datagram.len(),
                needed: offset + 4,
            })?;
            let version = head[0] >> 6;
            if version != 2 {
                return Err(RtpError::BadVersion(version));
            }
            let packet_type = head[1];
            if !(200..=207).contains(&packet_type) {
                return Err(RtpError::UnknownRtcpType(packet_type));
            }
            let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let next = offset + 4 * (words + 1);
            if next > datagram.len() {
                return Err(RtpError::BadRtcpLength);
            }
            if first.is_none() {
                first = Some((packet_type, head[0] & 0x1f));
            }
            packets += 1;
            offset = next;
        }
        let (packet_type, count) = first.ok_or(RtpError::TooShort {
            len: datagram.len(),
            needed: 4,
        })?;
        Ok(RtcpHeader {
            packet_type,
            count,
            packets,
        })
    }
}

fn write_bytes<const N: usize>(
    packet: &mut [u8],
    at: usize,
    bytes: &[u8; N],
) -> Result<(), RtpError> {
    if packet.len() < RTP_FIXED_HEADER_LEN {
        return Err(RtpError::TooShort {
            len: packet.len(),
            needed: RTP_FIXED_HEADER_LEN,
        });
    }
    let len = packet.len();
    let dst = packet.get_mut(at..at + N).ok_or(RtpError::TooShort {
        len,
        needed: at + N,
    })?;
    dst.copy_from_slice(bytes);
    Ok(())
}

fn fixed_byte_mut(packet: &mut [u8], at: usize) -> Result<&mut u8, RtpError> {
    let len = packet.len();
    if len < RTP_FIXED_HEADER_LEN {
        return Err(RtpError::TooShort {
            len,
            needed: RTP_FIXED_HEADER_LEN,
        });
    }
    packet.get_mut(at).ok_or(RtpError::TooShort {
        len,
        needed: RTP_FIXED_HEADER_LEN,
    })
}

/// Builds a minimal RTP packet for tests: fixed header plus `payload`.
#[cfg(test)]
pub(crate) fn test_packet(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt & 0x7f];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc3550_5_1_parses_fixed_header() {
        let p = test_packet(0, 0x1234, 0xdead_beef, 0x0102_0304, &[1, 2, 3]);
        let h = RtpHeader::parse(&p).unwrap();
        assert_eq!(h.payload_type(), 0);
        assert!(!h.marker());
        assert_eq!(h.sequence(), 0x1234);
        assert_eq!(h.timestamp(), 0xdead_beef);
        assert_eq!(h.ssrc(), 0x0102_0304);
        assert_eq!(h.payload_range(), 12..15);
        assert_eq!(&p[h.payload_range()], &[1, 2, 3]);
    }

    #[test]
    fn rfc3550_5_1_csrc_extension_and_padding() {
        // Two CSRCs, a one-word extension, 3 payload bytes, 2 bytes of padding.
        let mut p = vec![0x80 | 0x20 | 0x10 | 0x02, 0x80 | 8];
        p.extend_from_slice(&7u16.to_be_bytes());
        p.extend_from_slice(&160u32.to_be_bytes());
        p.extend_from_slice(&9u32.to_be_bytes());
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0, 0, 0, 0]);
        p.extend_from_slice(&[0xaa, 0xbb, 0xcc, 0, 2]);
        let h = RtpHeader::parse(&p).unwrap();
        assert!(h.marker());
        assert!(h.has_extension());
        assert_eq!(h.csrc_count(), 2);
        assert_eq!(h.header_len(), 12 + 8 + 8);
        assert_eq!(&p[h.payload_range()], &[0xaa, 0xbb, 0xcc]);
    }

    #[test]
    fn rfc3550_5_1_rejects_bad_input() {
        assert!(matches!(
            RtpHeader::parse(&[0x80; 11]),
            Err(RtpError::TooShort { .. })
        ));
        let mut p = test_packet(0, 1, 1, 1, &[]);
        p[0] = 0x40;
        assert_eq!(RtpHeader::parse(&p), Err(RtpError::BadVersion(1)));
        // CSRC count larger than the datagram.
        let mut p = test_packet(0, 1, 1, 1, &[0; 4]);
        p[0] = 0x83;
        assert!(matches!(
            RtpHeader::parse(&p),
            Err(RtpError::TooShort { .. })
        ));
        // Padding count zero, and padding longer than the body.
        let mut p = test_packet(0, 1, 1, 1, &[1, 0]);
        p[0] |= 0x20;
        assert_eq!(RtpHeader::parse(&p), Err(RtpError::BadPadding(0)));
        let mut p = test_packet(0, 1, 1, 1, &[1, 9]);
        p[0] |= 0x20;
        assert_eq!(RtpHeader::parse(&p), Err(RtpError::BadPadding(9)));
        // Extension length running past the end.
        let mut p = test_packet(0, 1, 1, 1, &[0xbe, 0xde, 0, 4]);
        p[0] |= 0x10;
        assert!(matches!(
            RtpHeader::parse(&p),
            Err(RtpError::TooShort { .. })
        ));
        // Payload type 72 is RTCP territory (RFC 5761 §4).
        let p = test_packet(72, 1, 1, 1, &[]);
        assert_eq!(RtpHeader::parse(&p), Err(RtpError::RtcpPayloadType(72)));
    }

    #[test]
    fn setters_rewrite_in_place() {
        let mut p = test_packet(0, 1, 2, 3, &[5]);
        p[1] |= 0x80;
        set_ssrc(&mut p, 0xaabb_ccdd).unwrap();
        set_sequence(&mut p, 0xfffe).unwrap();
        set_timestamp(&mut p, 0x1122_3344).unwrap();
        set_payload_type(&mut p, 101).unwrap();
        let h = RtpHeader::parse(&p).unwrap();
        assert_eq!(
            (h.ssrc(), h.sequence(), h.timestamp(), h.payload_type()),
            (0xaabb_ccdd, 0xfffe, 0x1122_3344, 101)
        );
        assert!(h.marker(), "set_payload_type keeps the marker");
        set_marker(&mut p, false).unwrap();
        assert!(!RtpHeader::parse(&p).unwrap().marker());
        assert_eq!(&p[12..], &[5]);
        let mut short = [0x80u8; 5];
        assert!(set_ssrc(&mut short, 1).is_err());
        assert!(set_marker(&mut short, true).is_err());
    }

    #[test]
    fn rfc5761_4_classifies_rtp_and_rtcp() {
        assert_eq!(classify(&test_packet(0, 1, 1, 1, &[])), PacketKind::Rtp);
        assert_eq!(classify(&[0x80, 200, 0, 6]), PacketKind::Rtcp);
        assert_eq!(classify(&[0x81, 201, 0, 1]), PacketKind::Rtcp);
        assert_eq!(classify(&[0x00, 1, 0, 0]), PacketKind::Other);
        assert_eq!(classify(&[0x80]), PacketKind::Other);
    }

    #[test]
    fn rfc3550_6_4_rtcp_compound_check() {
        // An empty RR (one word after the header) followed by an SDES with one chunk.
        let mut d = vec![0x80, 201, 0, 1, 0, 0, 0, 1];
        d.extend_from_slice(&[0x81, 202, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0]);
        let h = RtcpHeader::parse(&d).unwrap();
        assert_eq!((h.packet_type, h.count, h.packets), (201, 0, 2));
        assert_eq!(
            RtcpHeader::parse(&d[..10]),
            Err(RtpError::TooShort {
                len: 10,
                needed: 12
            })
        );
        let mut bad_len = d.clone();
        bad_len[3] = 9;
        assert_eq!(RtcpHeader::parse(&bad_len), Err(RtpError::BadRtcpLength));
        assert_eq!(
            RtcpHeader::parse(&[0x80, 100, 0, 0]),
            Err(RtpError::UnknownRtcpType(100))
        );
        assert!(RtcpHeader::parse(&[]).is_err());
    }

    proptest! {
        /// Fuzz: parsing arbitrary bytes never panics, and a parsed header always describes
        /// ranges inside the datagram (RFC 3550 §5.1 validation).
        #[test]
        fn fuzz_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(h) = RtpHeader::parse(&bytes) {
                let r = h.payload_range();
                prop_assert!(r.start <= r.end && r.end <= bytes.len());
            }
            let _ = RtcpHeader::parse(&bytes);
            let _ = classify(&bytes);
            let mut copy = bytes.clone();
            let _ = set_ssrc(&mut copy, 1);
            let _ = set_payload_type(&mut copy, 1);
        }
    }
}
