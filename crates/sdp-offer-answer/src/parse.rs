//! SDP parser (RFC 8866 §5, RFC 4566 §5): CRLF or LF line ends, lenient order of session-level
//! lines, unknown line types and attributes preserved, IPv4 and IPv6 (RFC 5118 §4.6, §4.8).
//! It never panics: every malformed input maps to an [`SdpError`] with its 1-based line number.

use std::str::FromStr;

use crate::session::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, OtherLine, SessionDescription,
    Timing,
};

/// Why an SDP body could not be parsed; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The body does not start with `v=0`.
    #[error("line {line}: expected v=0 as the first line")]
    BadVersion {
        /// The offending line.
        line: usize,
    },
    /// A line is not of the form `<letter>=<value>`.
    #[error("line {line}: not of the form <type>=<value>")]
    MalformedLine {
        /// The offending line.
        line: usize,
    },
    /// The `o=` line does not have six fields.
    #[error("line {line}: malformed o= line")]
    BadOrigin {
        /// The offending line.
        line: usize,
    },
    /// A `c=` line does not have three fields.
    #[error("line {line}: malformed c= line")]
    BadConnection {
        /// The offending line.
        line: usize,
    },
    /// A `b=` line is not `<type>:<number>`.
    #[error("line {line}: malformed b= line")]
    BadBandwidth {
        /// The offending line.
        line: usize,
    },
    /// A `t=` line is not two numbers, or an `r=` line has no `t=` before it.
    #[error("line {line}: malformed t= or r= line")]
    BadTiming {
        /// The offending line.
        line: usize,
    },
    /// An `m=` line is malformed (fields, port or port count).
    #[error("line {line}: malformed m= line")]
    BadMedia {
        /// The offending line.
        line: usize,
    },
    /// A line appears more than once where only one is allowed, or in the wrong section.
    #[error("line {line}: unexpected {kind}= line")]
    UnexpectedLine {
        /// The offending line.
        line: usize,
        /// Its type letter.
        kind: char,
    },
    /// The required `o=` line is missing; `line` is the last line read.
    #[error("line {line}: missing o= line")]
    MissingOrigin {
        /// The last line read.
        line: usize,
    },
    /// The required `s=` line is missing; `line` is the last line read.
    #[error("line {line}: missing s= line")]
    MissingSessionName {
        /// The last line read.
        line: usize,
    },
}

impl FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text)
    }
}

/// Parses a whole SDP body; same as `text.parse::<SessionDescription>()`.
pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i.saturating_add(1), l))
        .filter(|(_, l)| !l.trim().is_empty());

    match lines.next() {
        Some((_, first)) if first.trim_end() == "v=0" => {}
        Some((line, _)) => return Err(SdpError::BadVersion { line }),
        None => return Err(SdpError::BadVersion { line: 1 }),
    }

    let mut session = SessionBuilder::default();
    let mut media: Vec<MediaDescription> = Vec::new();
    let mut last_line = 1;

    for (line, raw) in lines {
        last_line = line;
        let (kind, value) = split_line(raw).ok_or(SdpError::MalformedLine { line })?;
        if kind == 'm' {
            media.push(parse_media(value, line)?);
            continue;
        }
        match media.last_mut() {
            Some(m) => media_line(m, kind, value, line)?,
            None => session.line(kind, value, line)?,
        }
    }

    session.finish(media, last_line)
}

#[derive(Default)]
struct SessionBuilder {
    origin: Option<Origin>,
    session_name: Option<String>,
    information: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    connection: Option<Connection>,
    bandwidths: Vec<Bandwidth>,
    timings: Vec<Timing>,
    time_zones: Option<String>,
    key: Option<String>,
    attributes: Vec<Attribute>,
    other_lines: Vec<OtherLine>,
}

impl SessionBuilder {
    fn line(&mut self, kind: char, value: &str, line: usize) -> Result<(), SdpError> {
        let unexpected = SdpError::UnexpectedLine { line, kind };
        match kind {
            'v' => return Err(unexpected),
            'o' => set_once(&mut self.origin, parse_origin(value, line)?, unexpected)?,
            's' => set_once(&mut self.session_name, value.to_owned(), unexpected)?,
            'i' => set_once(&mut self.information, value.to_owned(), unexpected)?,
            'u' => set_once(&mut self.uri, value.to_owned(), unexpected)?,
            'e' => self.emails.push(value.to_owned()),
            'p' => self.phones.push(value.to_owned()),
            'c' => set_once(
                &mut self.connection,
                parse_connection(value, line)?,
                unexpected,
            )?,
            'b' => self.bandwidths.push(parse_bandwidth(value, line)?),
            't' => self.timings.push(parse_timing(value, line)?),
            'r' => self
                .timings
                .last_mut()
                .ok_or(SdpError::BadTiming { line })?
                .repeats
                .push(value.to_owned()),
            'z' => set_once(&mut self.time_zones, value.to_owned(), unexpected)?,
            'k' => set_once(&mut self.key, value.to_owned(), unexpected)?,
            'a' => self.attributes.push(parse_attribute(value)),
            _ => self.other_lines.push(OtherLine {
                kind,
                value: value.to_owned(),
            }),
        }
        Ok(())
    }

    fn finish(
        self,
        media: Vec<MediaDescription>,
        last_line: usize,
    ) -> Result<SessionDescription, SdpError> {
        Ok(SessionDescription {
            origin: self
                .origin
                .ok_or(SdpError::MissingOrigin { line: last_line })?,
            session_name: self
                .session_name
                .ok_or(SdpError::MissingSessionName { line: last_line })?,
            information: self.information,
            uri: self.uri,
            emails: self.emails,
            phones: self.phones,
            connection: self.connection,
            bandwidths: self.bandwidths,
            timings: self.timings,
            time_zones: self.time_zones,
            key: self.key,
            attributes: self.attributes,
            other_lines: self.other_lines,
            media,
        })
    }
}

fn media_line(
    m: &mut MediaDescription,
    kind: char,
    value: &str,
    line: usize,
) -> Result<(), SdpError> {
    let unexpected = SdpError::UnexpectedLine { line, kind };
    match kind {
        'v' | 'o' | 's' | 'u' | 'e' | 'p' | 't' | 'r' | 'z' => return Err(unexpected),
        'i' => set_once(&mut m.information, value.to_owned(), unexpected)?,
        'c' => {
            let connection = parse_connection(value, line)?;
            if m.connection.is_none() {
                m.connection = Some(connection);
            } else {
                // RFC 8866 §5.7 allows several c= lines per media (multicast); keep the rest.
                m.other_lines.push(OtherLine {
                    kind,
                    value: value.to_owned(),
                });
            }
        }
        'b' => m.bandwidths.push(parse_bandwidth(value, line)?),
        'k' => set_once(&mut m.key, value.to_owned(), unexpected)?,
        'a' => m.attributes.push(parse_attribute(value)),
        _ => m.other_lines.push(OtherLine {
            kind,
            value: value.to_owned(),
        }),
    }
    Ok(())
}

fn set_once<T>(slot: &mut Option<T>, value: T, err: SdpError) -> Result<(), SdpError> {
    if slot.is_some() {
        return Err(err);
    }
    *slot = Some(value);
    Ok(())
}

/// Splits `x=value`; the type must be one ASCII letter.
fn split_line(raw: &str) -> Option<(char, &str)> {
    let mut chars = raw.chars();
    let kind = chars.next().filter(char::is_ascii_alphabetic)?;
    let rest = chars.as_str().strip_prefix('=')?;
    Some((kind, rest))
}

fn parse_origin(value: &str, line: usize) -> Result<Origin, SdpError> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [username, id, version, net, addr_type, addr] = fields.as_slice() else {
        return Err(SdpError::BadOrigin { line });
    };
    Ok(Origin {
        username: (*username).to_owned(),
        session_id: (*id).to_owned(),
        session_version: (*version).to_owned(),
        network_type: (*net).to_owned(),
        address_type: (*addr_type).to_owned(),
        unicast_address: (*addr).to_owned(),
    })
}

fn parse_connection(value: &str, line: usize) -> Result<Connection, SdpError> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [net, addr_type, addr] = fields.as_slice() else {
        return Err(SdpError::BadConnection { line });
    };
    Ok(Connection {
        network_type: (*net).to_owned(),
        address_type: (*addr_type).to_owned(),
        address: (*addr).to_owned(),
    })
}

fn parse_bandwidth(value: &str, line: usize) -> Result<Bandwidth, SdpError> {
    let (bwtype, number) = value
        .split_once(':')
        .ok_or(SdpError::BadBandwidth { line })?;
    let bandwidth = number
        .trim()
        .parse()
        .map_err(|_| SdpError::BadBandwidth { line })?;
    if bwtype.trim().is_empty() {
        return Err(SdpError::BadBandwidth { line });
    }
    Ok(Bandwidth {
        bwtype: bwtype.trim().to_owned(),
        bandwidth,
    })
}

fn parse_timing(value: &str, line: usize) -> Result<Timing, SdpError> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [start, stop] = fields.as_slice() else {
        return Err(SdpError::BadTiming { line });
    };
    let number = |s: &str| s.parse::<u64>().map_err(|_| SdpError::BadTiming { line });
    Ok(Timing {
        start: number(start)?,
        stop: number(stop)?,
        repeats: Vec::new(),
    })
}

fn parse_media(value: &str, line: usize) -> Result<MediaDescription, SdpError> {
    let bad = SdpError::BadMedia { line };
    let mut fields = value.split_ascii_whitespace();
    let media = fields.next().ok_or(bad.clone())?;
    let port_field = fields.next().ok_or(bad.clone())?;
    let proto = fields.next().ok_or(bad.clone())?;
    let formats = fields.map(str::to_owned).collect();
    let (port, port_count) = match port_field.split_once('/') {
        Some((port, count)) => (port, Some(count)),
        None => (port_field, None),
    };
    let port = port.parse::<u16>().map_err(|_| bad.clone())?;
    let port_count = match port_count {
        Some(c) => Some(c.parse::<u16>().map_err(|_| bad)?),
        None => None,
    };
    Ok(MediaDescription {
        media: media.to_owned(),
        port,
        port_count,
        proto: proto.to_owned(),
        formats,
        information: None,
        connection: None,
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
        other_lines: Vec::new(),
    })
}

fn parse_attribute(value: &str) -> Attribute {
    match value.split_once(':') {
        Some((name, v)) => Attribute {
            name: name.to_owned(),
            value: Some(v.to_owned()),
        },
        None => Attribute {
            name: value.to_owned(),
            value: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nt=0 0\n";

    #[test]
    fn lf_and_crlf_parse_the_same_rfc8866_5() {
        let lf: SessionDescription = MINIMAL.parse().unwrap();
        let crlf: SessionDescription = MINIMAL.replace('\n', "\r\n").parse().unwrap();
        assert_eq!(lf, crlf);
        assert_eq!(lf.origin.unicast_address, "10.0.0.1");
    }

    #[test]
    fn errors_carry_the_line_number() {
        assert_eq!(
            "v=1\n".parse::<SessionDescription>(),
            Err(SdpError::BadVersion { line: 1 })
        );
        assert_eq!(
            "".parse::<SessionDescription>(),
            Err(SdpError::BadVersion { line: 1 })
        );
        let text = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4\n";
        assert_eq!(
            text.parse::<SessionDescription>(),
            Err(SdpError::BadConnection { line: 4 })
        );
        let text = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nm=audio 99999 RTP/AVP 0\n";
        assert_eq!(
            text.parse::<SessionDescription>(),
            Err(SdpError::BadMedia { line: 4 })
        );
        let text = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nnonsense\n";
        assert_eq!(
            text.parse::<SessionDescription>(),
            Err(SdpError::MalformedLine { line: 4 })
        );
        let text = "v=0\ns=-\n";
        assert_eq!(
            text.parse::<SessionDescription>(),
            Err(SdpError::MissingOrigin { line: 2 })
        );
        let text = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nm=audio 1 RTP/AVP 0\nt=0 0\n";
        assert_eq!(
            text.parse::<SessionDescription>(),
            Err(SdpError::UnexpectedLine { line: 5, kind: 't' })
        );
    }

    #[test]
    fn unknown_lines_and_attributes_survive_a_round_trip() {
        let text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\na=x-custom:1 2\r\n\
                    y=whatever\r\nm=audio 4000/2 RTP/AVP 0\r\na=flag\r\nq=media-level\r\n";
        let sdp: SessionDescription = text.parse().unwrap();
        assert_eq!(sdp.to_string(), text);
        assert_eq!(sdp.media[0].port_count, Some(2));
    }
}
