//! System test of the engine answering a call itself (DEMO row 9001, service
//! `dtmf-test`) against the release binary: a SIPp carrier caller
//! (`sipp-scenarios/dtmf-caller.xml`) hears the welcome prompt as RTP and presses
//! 1, 2, 3 as RFC 4733 events (the pcaps that ship with SIPp); the engine reports the
//! digits as CTI `dtmf` events on the `/api/events` WebSocket [IVR-1, IVR-4;
//! issue "Media engine" items 1, 4, 7].
//!
//! The suite uses SIP 127.0.0.1:45060 / HTTP 48080 for the engine and ports
//! 46000–46999 for its SIPp peer. Run with `--test-threads=1`.

#[allow(dead_code)]
mod sipp_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use centralino_tests::Engine;
use sipp_support::{Capture, require_tools, run_scenario};

const SIP_PORT: u16 = 45060;
const HTTP_PORT: u16 = 48080;
const CALLER_PORT: u16 = 46100;
const CALLER_MEDIA: u16 = 46300;

#[test]
fn ivr_1_ivr_4_demo_9001_plays_the_welcome_and_reports_rfc4733_digits_as_cti_events() -> anyhow::Result<()> {
    require_tools()?;
    let engine = Engine::start_on("media-route", SIP_PORT, HTTP_PORT, |c| c)?;
    let events = CtiListener::start(engine.http)?;
    // The prompt (2 s) starts at the answer; the capture covers the whole call.
    let to_caller = Capture::udp_to(&engine.dir, "rtp-to-caller", "127.0.0.11", CALLER_MEDIA, 12)?;
    let port = CALLER_PORT.to_string();
    let mp = CALLER_MEDIA.to_string();
    let call = run_scenario(
        &engine,
        "dtmf-caller",
        "dtmf-caller.xml",
        &["-s", "9001", "-i", "127.0.0.11", "-p", &port, "-mp", &mp, "-m", "1"],
        Duration::from_secs(30),
    )?;
    assert!(call.success, "the call to 9001 must be answered and hung up cleanly\n{}", call.explain());
    let packets = to_caller.count(Duration::from_secs(25))?;
    assert!(packets > 50, "the caller must hear it/benvenuto as RTP (~100 packets), got {packets}");

    let frames = events.finish(Duration::from_secs(3));
    let digits: Vec<&str> = frames
        .iter()
        .filter(|f| f.contains("\"kind\":\"dtmf\""))
        .filter_map(|f| ["1", "2", "3"].into_iter().find(|d| f.contains(&format!("\"digit\":\"{d}\""))))
        .collect();
    assert_eq!(digits, ["1", "2", "3"], "CTI dtmf events in order; all frames:\n{}", frames.join("\n"));
    assert!(
        frames.iter().filter(|f| f.contains("\"kind\":\"dtmf\"")).all(|f| f.contains("\"via\":\"rfc4733\"")),
        "the pcaps are RFC 4733 events:\n{}",
        frames.join("\n")
    );
    for kind in ["call.answered", "call.ended"] {
        assert!(
            frames.iter().any(|f| f.contains(&format!("\"kind\":\"{kind}\""))),
            "a {kind} CTI event:\n{}",
            frames.join("\n")
        );
    }
    // Privacy: digits never reach the log at the default (info) level (a run with
    // CENTRALINO_LOG=debug logs them on purpose).
    let info_level = std::env::var("CENTRALINO_LOG").map_or(true, |v| v == "info");
    let log = strip_ansi(&engine.log());
    assert!(
        !info_level
            || !log.lines().any(|l| l.contains("digit=") || l.contains("\"digit\"")),
        "DTMF digits must not be logged at info level:\n{log}"
    );
    Ok(())
}

/// The same route with the digits sent as SIP INFO (`application/dtmf-relay`) by a
/// SIPp caller: they reach the CTI stream as `dtmf` events with `via: sip_info`
/// (issue "Media engine" items 1 and 7) [IVR-4].
#[test]
fn ivr_4_sip_info_digits_from_sipp_are_reported_as_cti_events() -> anyhow::Result<()> {
    require_tools()?;
    let engine = Engine::start_on("media-route-info", SIP_PORT, HTTP_PORT, |c| c)?;
    let events = CtiListener::start(engine.http)?;
    let port = CALLER_PORT.to_string();
    let mp = CALLER_MEDIA.to_string();
    let call = run_scenario(
        &engine,
        "info-dtmf-caller",
        "info-dtmf-caller.xml",
        &["-s", "9001", "-i", "127.0.0.11", "-p", &port, "-mp", &mp, "-m", "1"],
        Duration::from_secs(30),
    )?;
    assert!(call.success, "every INFO must be answered 200 and the call end cleanly\n{}", call.explain());
    let frames = events.finish(Duration::from_secs(3));
    let digits: Vec<&str> = frames
        .iter()
        .filter(|f| f.contains("\"kind\":\"dtmf\"") && f.contains("\"via\":\"sip_info\""))
        .filter_map(|f| ["4", "5", "#"].into_iter().find(|d| f.contains(&format!("\"digit\":\"{d}\""))))
        .collect();
    assert_eq!(digits, ["4", "5", "#"], "SIP INFO digits in order; all frames:\n{}", frames.join("\n"));
    Ok(())
}

/// A minimal WebSocket client (RFC 6455) on `/api/events`, reading text frames on a
/// thread until told to finish.
struct CtiListener {
    stop: Arc<AtomicBool>,
    reader: std::thread::JoinHandle<Vec<String>>,
}

impl CtiListener {
    fn start(http: SocketAddr) -> anyhow::Result<CtiListener> {
        let mut s = TcpStream::connect(http).context("connecting to the engine's HTTP")?;
        s.set_read_timeout(Some(Duration::from_millis(200)))?;
        // admin:admin (DEMO web users), HTTP Basic.
        write!(
            s,
            "GET /api/events HTTP/1.1\r\nHost: {http}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Authorization: Basic YWRtaW46YWRtaW4=\r\n\r\n"
        )?;
        let mut buf = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if Instant::now() > deadline {
                bail!("no WebSocket handshake answer from /api/events: {:?}", String::from_utf8_lossy(&buf));
            }
            read_some(&mut s, &mut buf)?;
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        if !head.starts_with("HTTP/1.1 101") {
            bail!("/api/events refused the WebSocket upgrade:\n{head}");
        }
        buf.drain(..head_end);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let reader = std::thread::spawn(move || {
            let mut frames = Vec::new();
            // Bounded: the test finishes within a minute whatever happens.
            let limit = Instant::now() + Duration::from_secs(90);
            while !flag.load(Ordering::Relaxed) && Instant::now() < limit {
                while let Some((text, used)) = parse_frame(&buf) {
                    buf.drain(..used);
                    frames.extend(text);
                }
                if read_some(&mut s, &mut buf).is_err() {
                    break;
                }
            }
            while let Some((text, used)) = parse_frame(&buf) {
                buf.drain(..used);
                frames.extend(text);
            }
            frames
        });
        Ok(CtiListener { stop, reader })
    }

    /// Lets late events arrive for `grace`, then returns every text frame received.
    fn finish(self, grace: Duration) -> Vec<String> {
        std::thread::sleep(grace);
        self.stop.store(true, Ordering::Relaxed);
        self.reader.join().unwrap_or_default()
    }
}

/// The log without terminal colour codes (`ESC [ … m`), so fields read `name=value`.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads what is available (a timeout is not an error).
fn read_some(s: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    let mut chunk = [0u8; 4096];
    match s.read(&mut chunk) {
        Ok(0) => bail!("the WebSocket closed"),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// One complete server frame at the start of `buf` (servers do not mask): its text if
/// it is a text frame, and the bytes it used.
fn parse_frame(buf: &[u8]) -> Option<(Option<String>, usize)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    let (len, at): (usize, usize) = match b1 & 0x7f {
        126 => (usize::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])), 4),
        127 => {
            let bytes: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
            (usize::try_from(u64::from_be_bytes(bytes)).ok()?, 10)
        }
        n => (usize::from(n), 2),
    };
    let payload = buf.get(at..at.checked_add(len)?)?;
    let text = (b0 & 0x0f == 1).then(|| String::from_utf8_lossy(payload).into_owned());
    Some((text, at + len))
}
