//! Typed SDP session description (RFC 8866 §5, formerly RFC 4566) with its serializer and the
//! lookup helpers the offer/answer layer needs: rtpmap/fmtp (RFC 8866 §6.6, §6.15), direction
//! attributes (RFC 3264 §5.1, §6.1) and hold detection (RFC 3264 §8.4).

use std::fmt;
use std::net::IpAddr;

/// A whole SDP body.
///
/// Lines this type does not model (unknown `<type>=` letters) are kept in `other_lines`, and
/// every `a=` line is kept in `attributes`, so that a parse/serialize round trip loses nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The `o=` line.
    pub origin: Origin,
    /// The `s=` line (may be a single space or `-`).
    pub session_name: String,
    /// The optional session-level `i=` line.
    pub information: Option<String>,
    /// The optional `u=` line.
    pub uri: Option<String>,
    /// The `e=` lines.
    pub emails: Vec<String>,
    /// The `p=` lines.
    pub phones: Vec<String>,
    /// The session-level `c=` line.
    pub connection: Option<Connection>,
    /// The session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// The `t=` lines, each with its `r=` lines.
    pub timings: Vec<Timing>,
    /// The optional `z=` line, verbatim.
    pub time_zones: Option<String>,
    /// The optional session-level `k=` line, verbatim.
    pub key: Option<String>,
    /// The session-level `a=` lines in their order.
    pub attributes: Vec<Attribute>,
    /// Session-level lines of a type this crate does not know, in their order.
    pub other_lines: Vec<OtherLine>,
    /// The media sections in their order.
    pub media: Vec<MediaDescription>,
}

/// The `o=` line (RFC 8866 §5.2).
///
/// Session id and version are kept as strings so that any numeric string a peer sends survives
/// a round trip; [`LocalSdp`](crate::LocalSdp) writes plain decimal numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The user name, `-` when there is none.
    pub username: String,
    /// The session id.
    pub session_id: String,
    /// The session version.
    pub session_version: String,
    /// The network type, normally `IN`.
    pub network_type: String,
    /// The address type, `IP4` or `IP6`.
    pub address_type: String,
    /// The unicast address or host name of the originator.
    pub unicast_address: String,
}

/// A `c=` line (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The network type, normally `IN`.
    pub network_type: String,
    /// The address type, `IP4` or `IP6`.
    pub address_type: String,
    /// The connection address, possibly with a multicast `/ttl` or `/count` suffix.
    pub address: String,
}

/// A `b=` line (RFC 8866 §5.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// The bandwidth type, for example `AS` or `TIAS`.
    pub bwtype: String,
    /// The bandwidth value.
    pub bandwidth: u64,
}

/// A `t=` line with the `r=` lines that follow it (RFC 8866 §5.9, §5.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// The start time (NTP seconds, 0 for unbounded).
    pub start: u64,
    /// The stop time (NTP seconds, 0 for unbounded).
    pub stop: u64,
    /// The `r=` lines, verbatim.
    pub repeats: Vec<String>,
}

/// An `a=` line: `a=name` (a property) or `a=name:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// The value after the first colon, `None` for a property attribute.
    pub value: Option<String>,
}

/// A line whose type letter this crate does not model, kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherLine {
    /// The type character before `=`.
    pub kind: char,
    /// Everything after `=`.
    pub value: String,
}

/// A media section: the `m=` line and the lines under it (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// The media type, for example `audio` or `video`.
    pub media: String,
    /// The transport port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// The optional `/<number of ports>` suffix.
    pub port_count: Option<u16>,
    /// The transport protocol, for example `RTP/AVP`.
    pub proto: String,
    /// The media formats (RTP payload type numbers for RTP profiles).
    pub formats: Vec<String>,
    /// The optional media-level `i=` line.
    pub information: Option<String>,
    /// The first media-level `c=` line (RFC 5118 §4.6: IPv6 bodies often only have these).
    pub connection: Option<Connection>,
    /// The media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// The optional media-level `k=` line, verbatim.
    pub key: Option<String>,
    /// The media-level `a=` lines in their order.
    pub attributes: Vec<Attribute>,
    /// Media-level lines of an unknown type, and any further `c=` lines, in their order.
    pub other_lines: Vec<OtherLine>,
}

/// The stream direction of RFC 3264 §5.1, from the point of view of the SDP's author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// The author sends and receives (the default when no attribute is present).
    #[default]
    SendRecv,
    /// The author only sends.
    SendOnly,
    /// The author only receives.
    RecvOnly,
    /// The author neither sends nor receives.
    Inactive,
}

/// A decoded `a=rtpmap` value (RFC 8866 §6.6), or the RFC 3551 static mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// The encoding name as written, for example `PCMA` or `telephone-event`.
    pub encoding: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The channel count for audio, when given.
    pub channels: Option<u16>,
}

impl Direction {
    /// The attribute name of this direction (`sendrecv`, `sendonly`, `recvonly`, `inactive`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Parses a direction attribute name (case-insensitive).
    pub fn from_attribute_name(name: &str) -> Option<Direction> {
        [
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ]
        .into_iter()
        .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }

    /// Builds a direction from whether the author sends and whether it receives.
    pub fn from_flags(sends: bool, receives: bool) -> Direction {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether the author of the SDP sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the author of the SDP receives media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other side (sendonly becomes recvonly and back).
    pub fn reversed(self) -> Direction {
        Direction::from_flags(self.receives(), self.sends())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Connection {
    /// A `c=IN IP4 …` or `c=IN IP6 …` line for one unicast address.
    pub fn from_ip(ip: IpAddr) -> Connection {
        Connection {
            network_type: "IN".to_owned(),
            address_type: address_type_of(ip).to_owned(),
            address: ip.to_string(),
        }
    }

    /// The IP address of an `IN IP4`/`IN IP6` line (without any `/ttl` suffix), when it parses.
    pub fn ip(&self) -> Option<IpAddr> {
        if !self.network_type.eq_ignore_ascii_case("IN") {
            return None;
        }
        let host = self.address.split('/').next().unwrap_or_default();
        let ip: IpAddr = host.parse().ok()?;
        let type_matches = match ip {
            IpAddr::V4(_) => self.address_type.eq_ignore_ascii_case("IP4"),
            IpAddr::V6(_) => self.address_type.eq_ignore_ascii_case("IP6"),
        };
        type_matches.then_some(ip)
    }

    /// Whether this is the legacy RFC 2543 hold address `0.0.0.0` (RFC 3264 §8.4).
    pub fn is_legacy_hold(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

impl Attribute {
    /// A property attribute such as `a=sendrecv`.
    pub fn property(name: &str) -> Attribute {
        Attribute {
            name: name.to_owned(),
            value: None,
        }
    }

    /// A value attribute such as `a=rtpmap:8 PCMA/8000`.
    pub fn with_value(name: &str, value: impl Into<String>) -> Attribute {
        Attribute {
            name: name.to_owned(),
            value: Some(value.into()),
        }
    }
}

impl MediaDescription {
    /// The first attribute with this name (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The rtpmap of a payload type: the `a=rtpmap` line if present, else the RFC 3551 static
    /// assignment for the well-known static payload types.
    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap> {
        let explicit = self
            .payload_attributes("rtpmap", pt)
            .find_map(parse_rtpmap_value);
        explicit.or_else(|| static_rtpmap(pt))
    }

    /// The `a=fmtp` parameters of a payload type, verbatim.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.payload_attributes("fmtp", pt).next()
    }

    /// The direction attribute written in this media section, if any.
    pub fn direction_attribute(&self) -> Option<Direction> {
        direction_in(&self.attributes)
    }

    /// The RTP payload types among `formats`, skipping any that are not numbers 0–127.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter(|pt| *pt <= 127)
    }

    fn payload_attributes<'a>(&'a self, name: &'a str, pt: u8) -> impl Iterator<Item = &'a str> {
        self.attributes
            .iter()
            .filter(move |a| a.name.eq_ignore_ascii_case(name))
            .filter_map(move |a| {
                let value = a.value.as_deref()?.trim_start();
                let (number, rest) = value.split_once(|c: char| c.is_ascii_whitespace())?;
                (number.parse::<u8>().ok() == Some(pt)).then(|| rest.trim())
            })
    }
}

impl SessionDescription {
    /// The first session-level attribute with this name (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The direction of a media section: its own attribute, else the session-level one, else
    /// sendrecv (RFC 3264 §5.1).
    pub fn direction(&self, media: &MediaDescription) -> Direction {
        media
            .direction_attribute()
            .or_else(|| direction_in(&self.attributes))
            .unwrap_or_default()
    }

    /// The connection that applies to a media section: its own `c=`, else the session one.
    pub fn connection_for<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connection.as_ref().or(self.connection.as_ref())
    }

    /// Whether a media section puts the stream on hold (RFC 3264 §8.4): a sendonly or
    /// inactive direction, or the legacy `c=0.0.0.0` form.
    pub fn is_on_hold(&self, media: &MediaDescription) -> bool {
        let direction = self.direction(media);
        let legacy = self
            .connection_for(media)
            .is_some_and(Connection::is_legacy_hold);
        matches!(direction, Direction::SendOnly | Direction::Inactive) || legacy
    }
}

impl fmt::Display for SessionDescription {
    /// Writes the description with CRLF line ends in RFC 8866 order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=0\r\n")?;
        writeln_crlf(f, 'o', &self.origin)?;
        writeln_crlf(f, 's', &self.session_name)?;
        if let Some(i) = &self.information {
            writeln_crlf(f, 'i', i)?;
        }
        if let Some(u) = &self.uri {
            writeln_crlf(f, 'u', u)?;
        }
        for e in &self.emails {
            writeln_crlf(f, 'e', e)?;
        }
        for p in &self.phones {
            writeln_crlf(f, 'p', p)?;
        }
        if let Some(c) = &self.connection {
            writeln_crlf(f, 'c', c)?;
        }
        for b in &self.bandwidths {
            writeln_crlf(f, 'b', b)?;
        }
        for t in &self.timings {
            writeln_crlf(f, 't', format_args!("{} {}", t.start, t.stop))?;
            for r in &t.repeats {
                writeln_crlf(f, 'r', r)?;
            }
        }
        if let Some(z) = &self.time_zones {
            writeln_crlf(f, 'z', z)?;
        }
        if let Some(k) = &self.key {
            writeln_crlf(f, 'k', k)?;
        }
        for a in &self.attributes {
            writeln_crlf(f, 'a', a)?;
        }
        for o in &self.other_lines {
            writeln_crlf(f, o.kind, &o.value)?;
        }
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl fmt::Display for MediaDescription {
    /// Writes the `m=` line and its section with CRLF line ends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(count) = self.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", self.proto)?;
        for format in &self.formats {
            write!(f, " {format}")?;
        }
        f.write_str("\r\n")?;
        if let Some(i) = &self.information {
            writeln_crlf(f, 'i', i)?;
        }
        if let Some(c) = &self.connection {
            writeln_crlf(f, 'c', c)?;
        }
        for b in &self.bandwidths {
            writeln_crlf(f, 'b', b)?;
        }
        if let Some(k) = &self.key {
            writeln_crlf(f, 'k', k)?;
        }
        for a in &self.attributes {
            writeln_crlf(f, 'a', a)?;
        }
        for o in &self.other_lines {
            writeln_crlf(f, o.kind, &o.value)?;
        }
        Ok(())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.network_type,
            self.address_type,
            self.unicast_address
        )
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.network_type, self.address_type, self.address
        )
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bwtype, self.bandwidth)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}:{}", self.name, v),
            None => f.write_str(&self.name),
        }
    }
}

/// `IP4` or `IP6` for an address.
pub(crate) fn address_type_of(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

fn writeln_crlf(f: &mut fmt::Formatter<'_>, kind: char, value: impl fmt::Display) -> fmt::Result {
    write!(f, "{kind}={value}\r\n")
}

fn direction_in(attributes: &[Attribute]) -> Option<Direction> {
    attributes
        .iter()
        .filter(|a| a.value.is_none())
        .find_map(|a| Direction::from_attribute_name(&a.name))
}

/// Parses `<encoding>/<clock>[/<channels>]`.
fn parse_rtpmap_value(value: &str) -> Option<RtpMap> {
    let mut parts = value.trim().split('/');
    let encoding = parts.next()?.trim();
    if encoding.is_empty() {
        return None;
    }
    let clock_rate = parts.next()?.trim().parse().ok()?;
    let channels = match parts.next() {
        Some(c) => Some(c.trim().parse().ok()?),
        None => None,
    };
    Some(RtpMap {
        encoding: encoding.to_owned(),
        clock_rate,
        channels,
    })
}

/// The RFC 3551 §6 static audio payload types a peer may use without an rtpmap.
fn static_rtpmap(pt: u8) -> Option<RtpMap> {
    let (encoding, clock_rate) = match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        13 => ("CN", 8000),
        18 => ("G729", 8000),
        _ => return None,
    };
    Some(RtpMap {
        encoding: encoding.to_owned(),
        clock_rate,
        channels: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_reversal_follows_rfc3264_6_1() {
        assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
        assert_eq!(Direction::RecvOnly.reversed(), Direction::SendOnly);
        assert_eq!(Direction::SendRecv.reversed(), Direction::SendRecv);
        assert_eq!(Direction::Inactive.reversed(), Direction::Inactive);
    }

    #[test]
    fn connection_ip_requires_matching_address_type() {
        let c = Connection {
            network_type: "IN".into(),
            address_type: "IP6".into(),
            address: "10.0.0.1".into(),
        };
        assert_eq!(c.ip(), None);
        let c = Connection::from_ip("2001:db8::1".parse().unwrap());
        assert_eq!(c.to_string(), "IN IP6 2001:db8::1");
        assert_eq!(c.ip(), Some("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn rtpmap_parses_channels_and_rejects_garbage() {
        assert_eq!(
            parse_rtpmap_value("opus/48000/2"),
            Some(RtpMap {
                encoding: "opus".into(),
                clock_rate: 48000,
                channels: Some(2)
            })
        );
        assert_eq!(parse_rtpmap_value("PCMA"), None);
        assert_eq!(parse_rtpmap_value("/8000"), None);
        assert_eq!(parse_rtpmap_value("PCMA/x"), None);
    }
}
