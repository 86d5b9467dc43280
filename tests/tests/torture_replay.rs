//! System test: the RFC 4475 and RFC 5118 torture corpus (tests/data/sip/{ok,err})
//! replayed unchanged against the running engine, over TCP and as UDP datagrams from the
//! carrier trunk's address (127.0.0.11), checking each answer against expected.tsv and
//! the torture README (shared/torture/README.md): the rejection status (RFC 4475 §3.1.2,
//! §3.3), no answer to responses, the engine alive after every file (OPTIONS → 200), and
//! nothing ever sent to an address the messages name (RFC 4475 §3.3.10, bcast.dat).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use centralino_tests::{Engine, options_status, workspace_root};

mod tshark_support;
use tshark_support::Capture;

/// The carrier trunk's address: requests from it are processed without digest.
const CARRIER: &str = "127.0.0.11";
/// How long the answers to one message are collected.
const WINDOW: Duration = Duration::from_millis(300);
/// The Via sent-by ports named in the corpus besides the sender's own: RFC 3261 §18.2.2
/// sends UDP responses to the source address and the sent-by port (5060 by default).
const VIA_PORTS: [u16; 5] = [5060, 5050, 5070, 6050, 19823];
/// How long a server transaction may outlive its final response (64*T1 with the demo's
/// T1 of 500 ms), plus a margin.
const TRANSACTION_LIFETIME: Duration = Duration::from_secs(33);

#[test]
fn torture_corpus_replayed_against_the_engine_rfc4475_rfc5118() -> anyhow::Result<()> {
    let data = workspace_root().join("tests/data/sip");
    let cases = load_cases(&data)?;
    // Keepalive OPTIONS to the trunks are turned off, so that everything the engine sends
    // during the replay is an answer to the corpus.
    let mut engine = Engine::start_on("torture", 25060, 28080, |c| {
        c.lines()
            .filter(|l| !l.trim_start().starts_with("options_interval_s"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let capture = start_capture(&engine.dir.join("torture.pcapng"), engine.sip.port())?;
    let mut udp = UdpPeer::bind()?;

    let mut failures = Vec::new();
    let mut transcript = String::new();
    let tcp_pass = Instant::now();
    for transport in [Transport::Tcp, Transport::Udp] {
        if matches!(transport, Transport::Udp) {
            // The UDP copy of a file has the same branch and sent-by as its TCP copy, so
            // the engine rightly takes it for a retransmission while the first server
            // transaction lives (RFC 3261 §17.2.3; Timers H and J: 64*T1 = 32 s). Wait
            // that out so that both copies are processed.
            std::thread::sleep(TRANSACTION_LIFETIME.saturating_sub(tcp_pass.elapsed()));
        }
        let mut seen_call_ids = BTreeSet::new();
        for case in &cases {
            let call_id = header(&case.bytes, &["call-id", "i"]);
            let expect = case.expectation(transport);
            let answers = match transport {
                Transport::Tcp => replay_tcp(engine.sip, &case.bytes, &mut udp)?,
                Transport::Udp => replay_udp(engine.sip, &case.bytes, &mut udp)?,
            };
            // Late answers for earlier files (other Call-IDs) are not this file's.
            let answers: Vec<Vec<u8>> = answers
                .into_iter()
                .filter(|a| match header(a, &["call-id", "i"]) {
                    Some(id) => Some(&id) == call_id.as_ref() || !seen_call_ids.contains(&id),
                    None => true,
                })
                .collect();
            let summary: Vec<String> = answers.iter().map(|a| first_line(a)).collect();
            transcript.push_str(&format!("{} {transport:?}: {summary:?}\n", case.name));
            if let Err(why) = check(&expect, &answers) {
                failures.push(format!(
                    "{} over {transport:?}: {why}; expected {expect:?}; got {summary:?}",
                    case.name
                ));
            }
            if !engine.is_running() {
                bail!(
                    "engine died after {} over {transport:?}:\n{}",
                    case.name,
                    tail(&engine.log(), 40)
                );
            }
            let status = options_status(engine.sip, CARRIER);
            if status != Some(200) {
                failures.push(format!("after {} over {transport:?}: OPTIONS answered {status:?}, not 200 (engine stuck?)", case.name));
            }
            if let Some(id) = call_id {
                seen_call_ids.insert(id);
            }
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let packets = packets(capture)?;
    let from_engine = packets
        .iter()
        .filter(|p| p.src_port == engine.sip.port().to_string())
        .count();
    assert!(
        from_engine >= cases.len(),
        "the capture saw only {from_engine} packets from the engine's SIP port: is tshark capturing?"
    );
    failures.extend(leaks(&packets, engine.sip.port()));
    assert!(
        engine.is_running(),
        "engine not running at the end:\n{}",
        tail(&engine.log(), 40)
    );
    std::fs::write(engine.dir.join("torture-transcript.txt"), &transcript)?;
    assert!(
        failures.is_empty(),
        "{} torture replay failures:\n{}\n\n(transcript in {}; engine log tail:\n{})",
        failures.len(),
        failures.join("\n"),
        engine.dir.join("torture-transcript.txt").display(),
        tail(&engine.log(), 20)
    );
    Ok(())
}

/// One corpus file with its expected outcomes.
struct Case {
    name: String,
    bytes: Vec<u8>,
    udp: Tsv,
    tcp: Tsv,
}

/// An outcome column of expected.tsv.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tsv {
    Status(u16),
    Drop,
    ParseOk,
    Incomplete,
}

#[derive(Debug, Clone, Copy)]
enum Transport {
    Tcp,
    Udp,
}

/// What one replay must produce.
#[derive(Debug)]
enum Expect {
    /// No answer at all (responses, unparsable garbage, incomplete streams).
    Nothing,
    /// At least one final response, every final one with a status in the set, carrying
    /// the named header (if any).
    Final {
        statuses: Vec<u16>,
        header: Option<&'static str>,
    },
    /// Either nothing or finals with a status in the set.
    FinalOrNothing { statuses: Vec<u16> },
    /// A valid message: any well-formed answer (not 500, and not 400 when `no_400`) or none.
    Sensible { no_400: bool },
    /// dblreq.dat: the REGISTER is answered, the INVITE after its body never is.
    OnlyFirstRequest,
}

impl Case {
    /// The expectation: expected.tsv's class, sharpened by the torture README where the
    /// README names the UAS/B2BUA answer.
    fn expectation(&self, transport: Transport) -> Expect {
        let tsv = match transport {
            Transport::Udp => self.udp,
            Transport::Tcp => self.tcp,
        };
        let base = self.name.rsplit('/').next().unwrap_or(&self.name);
        let is_response = self.bytes.starts_with(b"SIP/2.0 ");
        match (tsv, base) {
            (Tsv::Drop | Tsv::Incomplete, _) => Expect::Nothing,
            // RFC 4475 §3.1.1.12, §3.1.1.13, §3.3.10: a stray response is never answered.
            _ if is_response => Expect::Nothing,
            // §3.3.7: a registrar with authentication challenges.
            (_, "regaut01.dat") => Expect::Final {
                statuses: vec![401],
                header: Some("www-authenticate"),
            },
            // §3.3.11: Max-Forwards 0 to a UAS is processed: OPTIONS → 200.
            (_, "zeromf.dat") => Expect::Final {
                statuses: vec![200],
                header: None,
            },
            // §3.1.1.8: in a datagram, the bytes after Content-Length 0 are not a second
            // request (on a stream they are the next message, which may be processed).
            (_, "dblreq.dat") if matches!(transport, Transport::Udp) => Expect::OnlyFirstRequest,
            // The README allows 400 or a silent drop (no SIP-Version, and no Via to answer to).
            (_, "test.dat") => Expect::FinalOrNothing {
                statuses: vec![400],
            },
            // §3.1.1.2: an unknown method gets 501 with Allow.
            (_, "intmeth.dat" | "esc02.dat") => Expect::Final {
                statuses: vec![501],
                header: Some("allow"),
            },
            // §3.1.2.18: 501 (400 acceptable).
            (_, "mismatch02.dat") => Expect::Final {
                statuses: vec![501, 400],
                header: None,
            },
            // §3.3.5: 420 listing the unsupported Require tags.
            (_, "bext01.dat") => Expect::Final {
                statuses: vec![420],
                header: Some("unsupported"),
            },
            // §3.3.6: 415 with Accept.
            (_, "invut.dat") => Expect::Final {
                statuses: vec![415],
                header: Some("accept"),
            },
            // §3.3.15: 406 or 400.
            (_, "sdp01.dat") => Expect::Final {
                statuses: vec![406, 400],
                header: None,
            },
            // §3.3.3: 416, or 404 if the scheme is sometimes accepted.
            (_, "novelsc.dat") => Expect::Final {
                statuses: vec![416, 404],
                header: None,
            },
            (Tsv::Status(code), _) => Expect::Final {
                statuses: vec![code],
                header: None,
            },
            // §3.4.1: an RFC 2543 request may be accepted or get a documented 400.
            (Tsv::ParseOk, "inv2543.dat") => Expect::Sensible { no_400: false },
            (Tsv::ParseOk, _) => Expect::Sensible {
                no_400: self.name.starts_with("ok/"),
            },
        }
    }
}

/// Reads expected.tsv and checks that it lists exactly the files of ok/ and err/.
fn load_cases(data: &Path) -> anyhow::Result<Vec<Case>> {
    let tsv = std::fs::read_to_string(data.join("expected.tsv")).context("reading expected.tsv")?;
    let mut listed = BTreeMap::new();
    for line in tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(udp), Some(tcp)) = (cols.first(), cols.get(1), cols.get(2)) else {
            bail!("bad expected.tsv line: {line:?}")
        };
        listed.insert((*file).to_owned(), (parse_tsv(udp)?, parse_tsv(tcp)?));
    }
    let mut on_disk = Vec::new();
    for top in ["ok", "err"] {
        files_below(&data.join(top), &mut on_disk);
    }
    let mut cases = Vec::new();
    for path in on_disk {
        let name = path
            .strip_prefix(data)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let Some((udp, tcp)) = listed.remove(&name) else {
            bail!("{name} is not listed in expected.tsv")
        };
        cases.push(Case {
            bytes: std::fs::read(&path)?,
            name,
            udp,
            tcp,
        });
    }
    if !listed.is_empty() {
        bail!(
            "expected.tsv lists files that do not exist: {:?}",
            listed.keys().collect::<Vec<_>>()
        );
    }
    if cases.len() < 60 {
        bail!(
            "only {} corpus files found under {}",
            cases.len(),
            data.display()
        );
    }
    Ok(cases)
}

fn parse_tsv(col: &str) -> anyhow::Result<Tsv> {
    Ok(match col.trim() {
        "drop" => Tsv::Drop,
        "parse-ok" => Tsv::ParseOk,
        "incomplete" => Tsv::Incomplete,
        other => match other.strip_prefix("status ").and_then(|c| c.parse().ok()) {
            Some(code) => Tsv::Status(code),
            None => bail!("unknown expected.tsv class {other:?}"),
        },
    })
}

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_below(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Checks the answers to one replay.
fn check(expect: &Expect, answers: &[Vec<u8>]) -> Result<(), String> {
    let mut finals = Vec::new();
    for a in answers {
        match status(a) {
            Some(code) if (100..=699).contains(&code) => {
                if code >= 200 {
                    finals.push((code, a));
                }
            }
            _ => {
                return Err(format!(
                    "not a well-formed SIP response: {:?}",
                    first_line(a)
                ));
            }
        }
    }
    match expect {
        Expect::Nothing if answers.is_empty() => Ok(()),
        Expect::Nothing => Err("an answer came where none may".into()),
        Expect::Final {
            statuses,
            header: wanted,
        } => {
            if finals.is_empty() {
                return Err("no final response".into());
            }
            for (code, a) in &finals {
                if !statuses.contains(code) {
                    return Err(format!("final status {code}"));
                }
                if let Some(h) = wanted
                    && header(a, &[h]).is_none()
                {
                    return Err(format!("{code} without a {h} header"));
                }
            }
            Ok(())
        }
        Expect::FinalOrNothing { statuses } => {
            match finals.iter().find(|(c, _)| !statuses.contains(c)) {
                Some((code, _)) => Err(format!("final status {code}")),
                None => Ok(()),
            }
        }
        Expect::Sensible { no_400 } => match finals
            .iter()
            .find(|(c, _)| *c == 500 || (*no_400 && *c == 400))
        {
            Some((code, _)) => Err(format!("a valid message got {code}")),
            None => Ok(()),
        },
        Expect::OnlyFirstRequest => {
            let methods: Vec<String> = answers
                .iter()
                .filter_map(|a| header(a, &["cseq"]))
                .collect();
            if methods
                .iter()
                .any(|m| m.to_ascii_uppercase().ends_with("INVITE"))
            {
                return Err("the INVITE after Content-Length 0 was processed".into());
            }
            if !finals.iter().any(|(_, a)| {
                header(a, &["cseq"]).is_some_and(|m| m.to_ascii_uppercase().ends_with("REGISTER"))
            }) {
                return Err("the REGISTER got no final response".into());
            }
            Ok(())
        }
    }
}

/// The UDP side: the sender socket and listeners on the corpus' Via ports, all on the
/// carrier's address.
struct UdpPeer {
    sender: UdpSocket,
    listeners: Vec<UdpSocket>,
}

impl UdpPeer {
    fn bind() -> anyhow::Result<UdpPeer> {
        let sender = UdpSocket::bind((CARRIER, 0))?;
        sender.set_nonblocking(true)?;
        let mut listeners = Vec::new();
        for port in VIA_PORTS {
            let s = UdpSocket::bind((CARRIER, port)).with_context(|| {
                format!("binding {CARRIER}:{port} (is another SIP test running?)")
            })?;
            s.set_nonblocking(true)?;
            listeners.push(s);
        }
        Ok(UdpPeer { sender, listeners })
    }

    /// Every datagram that arrived on any socket, without waiting.
    fn drain(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65535];
        for s in std::iter::once(&self.sender).chain(&self.listeners) {
            while let Ok((n, _)) = s.recv_from(&mut buf) {
                out.push(buf.get(..n).unwrap_or_default().to_vec());
            }
        }
        out
    }
}

/// Sends `bytes` as one datagram; the responses (not requests) that arrive within the
/// window. Non-2xx finals to an INVITE are ACKed (RFC 3261 §17.1.1.3) so that their
/// retransmissions stop.
fn replay_udp(engine: SocketAddr, bytes: &[u8], udp: &mut UdpPeer) -> anyhow::Result<Vec<Vec<u8>>> {
    let _stale = udp.drain();
    udp.sender.send_to(bytes, engine)?;
    let answers = collect(WINDOW, || udp.drain());
    for a in &answers {
        if let Some(ack) = ack_for(bytes, a) {
            udp.sender.send_to(&ack, engine)?;
        }
    }
    Ok(answers)
}

/// Opens a TCP connection from the carrier's address, writes `bytes`, and collects what
/// comes back on it (plus any UDP answer, in case the engine answered there) within the
/// window.
fn replay_tcp(engine: SocketAddr, bytes: &[u8], udp: &mut UdpPeer) -> anyhow::Result<Vec<Vec<u8>>> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let local: SocketAddr = format!("{CARRIER}:0").parse()?;
    socket.bind(&local.into())?;
    socket.connect_timeout(&engine.into(), Duration::from_secs(2))?;
    let mut stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(Duration::from_millis(20)))?;
    let _stale = udp.drain();
    stream.write_all(bytes)?;
    let mut received = Vec::new();
    let mut closed = false;
    let mut answers = collect(WINDOW, || {
        let mut buf = [0u8; 65535];
        if !closed {
            match stream.read(&mut buf) {
                Ok(0) => closed = true,
                Ok(n) => received.extend_from_slice(buf.get(..n).unwrap_or_default()),
                Err(_) => {}
            }
        }
        let mut out = split_stream(&mut received);
        out.extend(udp.drain());
        out
    });
    answers.extend(split_stream(&mut received));
    for a in &answers {
        if let Some(ack) = ack_for(bytes, a) {
            let _ = stream.write_all(&ack);
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    Ok(answers)
}

/// Polls `poll` until the window is over (stretched once to twice the window while only
/// provisional responses have come); keeps the responses.
fn collect(window: Duration, mut poll: impl FnMut() -> Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let start = Instant::now();
    let mut out: Vec<Vec<u8>> = Vec::new();
    loop {
        out.extend(poll().into_iter().filter(|m| m.starts_with(b"SIP/2.0 ")));
        let only_provisional =
            !out.is_empty() && out.iter().all(|m| status(m).is_some_and(|c| c < 200));
        let limit = if only_provisional { window * 2 } else { window };
        if start.elapsed() >= limit {
            return out;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Takes the complete messages (headers + Content-Length body) off the front of a stream.
fn split_stream(buf: &mut Vec<u8>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        // Keep-alive CRLFs between messages (RFC 5626 §3.5.1) are skipped.
        while buf.starts_with(b"\r\n") {
            buf.drain(..2);
        }
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return out;
        };
        let head_len = end + 4;
        let len: usize = header(
            buf.get(..head_len).unwrap_or_default(),
            &["content-length", "l"],
        )
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
        let total = head_len.saturating_add(len);
        if buf.len() < total {
            return out;
        }
        out.push(buf.drain(..total).collect());
    }
}

/// The ACK for a non-2xx final response to an INVITE of the corpus (RFC 3261 §17.1.1.3).
fn ack_for(request: &[u8], response: &[u8]) -> Option<Vec<u8>> {
    let code = status(response)?;
    let cseq = header(response, &["cseq"])?;
    let (num, method) = cseq.split_once(char::is_whitespace)?;
    if code < 300 || !method.trim().eq_ignore_ascii_case("INVITE") {
        return None;
    }
    let line = first_line(request);
    let mut parts = line.split_whitespace();
    let (Some(_), Some(ruri)) = (parts.next(), parts.next()) else {
        return None;
    };
    let via = header(response, &["via", "v"])?;
    let from = header(response, &["from", "f"])?;
    let to = header(response, &["to", "t"])?;
    let call_id = header(response, &["call-id", "i"])?;
    Some(format!("ACK {ruri} SIP/2.0\r\nVia: {via}\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {num} ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").into_bytes())
}

/// The status code of a response.
fn status(msg: &[u8]) -> Option<u16> {
    msg.strip_prefix(b"SIP/2.0 ")?
        .get(..3)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse().ok())
}

fn first_line(msg: &[u8]) -> String {
    let end = msg
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(msg.len());
    String::from_utf8_lossy(msg.get(..end).unwrap_or_default()).into_owned()
}

/// The first value of a header (any of `names`, case-insensitive, full or compact form)
/// in the header part of a message; folded lines are joined. Bare-LF line ends (the
/// RFC 5118 archive copies) are read too.
fn header(msg: &[u8], names: &[&str]) -> Option<String> {
    let text = String::from_utf8_lossy(msg);
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .peekable();
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if names.iter().any(|n| name.trim().eq_ignore_ascii_case(n)) {
            let mut value = value.trim().to_owned();
            while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                value.push(' ');
                value.push_str(next.trim());
                lines.next();
            }
            return Some(value);
        }
    }
    None
}

fn tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    all.get(all.len().saturating_sub(lines)..)
        .unwrap_or_default()
        .join("\n")
}

/// Starts a tshark capture on every interface of what the engine's SIP socket sends,
/// plus anything addressed to broadcast, to DNS, or from this host to the addresses the
/// corpus names (192.0.2.2 is also this host's own address: traffic arriving from the
/// network for it is not counted).
fn start_capture(file: &Path, sip_port: u16) -> anyhow::Result<Capture> {
    let filter = format!(
        "src port {sip_port} or dst host 255.255.255.255 or udp dst port 53 \
         or ((dst net 192.0.2.0/24 or dst host 135.180.130.133 or dst host 192.168.255.111 or dst host 10.0.0.1) \
             and (src net 127.0.0.0/8 or src host 192.0.2.2)) \
         or (ip6 and dst net 2001:db8::/32)"
    );
    Capture::start(file, "any", &filter)
}

/// The captured packets.
fn packets(capture: Capture) -> anyhow::Result<Vec<Packet>> {
    let rows = capture.stop(&[
        "ip.dst",
        "ipv6.dst",
        "udp.srcport",
        "tcp.srcport",
        "udp.dstport",
        "tcp.dstport",
        "dns.qry.name",
        "ip.src",
    ])?;
    Ok(rows
        .into_iter()
        .map(|f| {
            let get = |i: usize| f.get(i).cloned().unwrap_or_default();
            Packet {
                dst: if get(0).is_empty() { get(1) } else { get(0) },
                src_port: format!("{}{}", get(2), get(3)),
                dst_port: format!("{}{}", get(4), get(5)),
                dns_name: get(6),
                src: get(7),
            }
        })
        .collect())
}

#[derive(Debug)]
struct Packet {
    src: String,
    dst: String,
    src_port: String,
    dst_port: String,
    dns_name: String,
}

/// What went where it must not: anything from the engine's SIP port to another host than
/// the sender, anything to broadcast or to an address of the corpus, DNS look-ups of the
/// corpus' host names.
fn leaks(packets: &[Packet], sip_port: u16) -> Vec<String> {
    let sip_port = sip_port.to_string();
    let mut out = Vec::new();
    for p in packets {
        let from_engine = p.src_port == sip_port;
        let local_source = p.src.is_empty() || p.src.starts_with("127.") || p.src == "192.0.2.2";
        let corpus_host = p.dst.starts_with("192.0.2.")
            || ["135.180.130.133", "192.168.255.111", "10.0.0.1"].contains(&p.dst.as_str());
        let named_in_corpus = p.dst == "255.255.255.255"
            || p.dst.starts_with("2001:db8:")
            || (corpus_host && local_source);
        if (from_engine && p.dst != CARRIER) || named_in_corpus {
            out.push(format!(
                "packet {}:{} -> {}:{}: only the sender {CARRIER} may be answered",
                p.src, p.src_port, p.dst, p.dst_port
            ));
        }
        if p.dns_name.contains("example") || p.dns_name.contains("examle") {
            out.push(format!(
                "DNS look-up of {} (a host named in the corpus)",
                p.dns_name
            ));
        }
    }
    out
}
