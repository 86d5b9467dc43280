//! Test harness: two transaction endpoints joined by a seeded, lossy in-memory network and a
//! virtual clock (STYLE.md rule 19), plus builders for the requests and responses the tests use.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip_message::{
    HeaderName, Host, Limits, Message, Method, Request, Response, StatusCode, Uri, parse_datagram,
};
use sip_transaction::{Config, Endpoint, Peer, Transmit, Transport, TuEvent};

/// Which endpoint of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// One message put on the wire, with whether the network dropped it.
#[derive(Debug, Clone)]
pub struct Wire {
    pub at: Instant,
    pub from: Side,
    pub start_line: String,
    pub dropped: bool,
}

struct Packet {
    deliver_at: Instant,
    to: Side,
    from: Peer,
    bytes: Vec<u8>,
}

/// Decides, for each message a side sends, whether the network drops it.
pub type DropRule = Box<dyn FnMut(Side, &str) -> bool>;

/// Two endpoints, a network and a clock.
pub struct Sim {
    pub t0: Instant,
    pub now: Instant,
    pub a: Endpoint,
    pub b: Endpoint,
    pub transport: Transport,
    pub latency: Duration,
    pub loss: f64,
    pub drop_rule: DropRule,
    pub wire: Vec<Wire>,
    pub events_a: Vec<(Instant, TuEvent)>,
    pub events_b: Vec<(Instant, TuEvent)>,
    rng: fastrand::Rng,
    in_flight: Vec<Packet>,
}

pub fn addr(side: Side) -> SocketAddr {
    match side {
        Side::A => SocketAddr::from(([10, 0, 0, 1], 5060)),
        Side::B => SocketAddr::from(([10, 0, 0, 2], 5060)),
    }
}

pub fn config(side: Side) -> Config {
    Config::new(addr(side))
}

impl Sim {
    pub fn new(transport: Transport, seed: u64) -> Sim {
        let t0 = Instant::now();
        Sim {
            t0,
            now: t0,
            a: Endpoint::new(config(Side::A), fastrand::Rng::with_seed(seed)),
            b: Endpoint::new(
                config(Side::B),
                fastrand::Rng::with_seed(seed.wrapping_add(1)),
            ),
            transport,
            latency: Duration::from_millis(10),
            loss: 0.0,
            drop_rule: Box::new(|_, _| false),
            wire: Vec::new(),
            events_a: Vec::new(),
            events_b: Vec::new(),
            rng: fastrand::Rng::with_seed(seed.wrapping_add(2)),
            in_flight: Vec::new(),
        }
    }

    pub fn peer(&self, side: Side) -> Peer {
        Peer {
            addr: addr(side),
            transport: self.transport,
        }
    }

    pub fn endpoint(&mut self, side: Side) -> &mut Endpoint {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// Runs the simulation until `limit` (virtual time), calling `react` for every TU event.
    pub fn run_for(
        &mut self,
        d: Duration,
        mut react: impl FnMut(Side, &mut Endpoint, Instant, &TuEvent),
    ) {
        let limit = self.now + d;
        for _ in 0..100_000 {
            self.flush(&mut react);
            let next = [
                self.a.poll_timeout(),
                self.b.poll_timeout(),
                self.in_flight.iter().map(|p| p.deliver_at).min(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next.filter(|n| *n <= limit) else {
                self.now = limit;
                return;
            };
            self.now = self.now.max(next);
            let now = self.now;
            let (due, later): (Vec<Packet>, Vec<Packet>) = std::mem::take(&mut self.in_flight)
                .into_iter()
                .partition(|p| p.deliver_at <= now);
            self.in_flight = later;
            for p in due {
                let msg = parse_datagram(&p.bytes, &Limits::default())
                    .expect("endpoints emit parseable messages");
                self.endpoint(p.to).handle_message(now, msg, p.from);
                // A shell drains outputs after every message, so the TU sees each in turn.
                self.flush(&mut react);
            }
            self.a.handle_timeout(now);
            self.b.handle_timeout(now);
        }
        panic!("simulation did not settle");
    }

    /// Runs without a TU reaction.
    pub fn run_idle(&mut self, d: Duration) {
        self.run_for(d, |_, _, _, _| {});
    }

    fn flush(&mut self, react: &mut impl FnMut(Side, &mut Endpoint, Instant, &TuEvent)) {
        loop {
            let mut progressed = false;
            for side in [Side::A, Side::B] {
                while let Some(t) = self.endpoint(side).poll_transmit() {
                    progressed = true;
                    self.put_on_wire(side, t);
                }
                while let Some(ev) = self.endpoint(side).poll_event() {
                    progressed = true;
                    let now = self.now;
                    react(side, self.endpoint(side), now, &ev);
                    match side {
                        Side::A => self.events_a.push((now, ev)),
                        Side::B => self.events_b.push((now, ev)),
                    }
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn put_on_wire(&mut self, from: Side, t: Transmit) {
        let start_line = start_line(&t.bytes);
        let lost =
            self.transport == Transport::Udp && self.loss > 0.0 && self.rng.f64() < self.loss;
        let dropped = lost || (self.drop_rule)(from, &start_line);
        self.wire.push(Wire {
            at: self.now,
            from,
            start_line,
            dropped,
        });
        if dropped {
            return;
        }
        let to = if t.to.addr == addr(Side::A) {
            Side::A
        } else {
            Side::B
        };
        self.in_flight.push(Packet {
            deliver_at: self.now + self.latency,
            to,
            from: Peer {
                addr: addr(from),
                transport: t.to.transport,
            },
            bytes: t.bytes,
        });
    }

    /// Messages sent by `side` whose start line contains `needle`.
    pub fn sent(&self, side: Side, needle: &str) -> Vec<&Wire> {
        self.wire
            .iter()
            .filter(|w| w.from == side && w.start_line.contains(needle))
            .collect()
    }

    pub fn events(&self, side: Side) -> &[(Instant, TuEvent)] {
        match side {
            Side::A => &self.events_a,
            Side::B => &self.events_b,
        }
    }
}

/// The first line of a serialized message.
pub fn start_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines().next().unwrap_or_default().to_owned()
}

/// Parses bytes an endpoint emitted.
pub fn parse(bytes: &[u8]) -> Message {
    parse_datagram(bytes, &Limits::default()).expect("parseable message")
}

/// Parses a test text (with `\n` line ends turned into CRLF).
pub fn parse_text(text: &str) -> Message {
    let wire = text.replace('\n', "\r\n");
    parse_datagram(wire.as_bytes(), &Limits::default()).expect("parseable test message")
}

/// A request from A to B, without Via (the endpoint adds it).
pub fn request(method: Method, call_id: &str, cseq: u32) -> Request {
    let uri = Uri::sip(Some("bob"), Host::Ipv4([10, 0, 0, 2].into()), Some(5060));
    let mut req = Request::new(method.clone(), uri);
    req.headers
        .push(HeaderName::From, "<sip:alice@a.example>;tag=from-a");
    req.headers.push(HeaderName::To, "<sip:bob@b.example>");
    req.headers.push(HeaderName::CallId, call_id);
    req.headers
        .push(HeaderName::CSeq, format!("{cseq} {}", method.as_str()));
    req.headers
        .push(HeaderName::Contact, "<sip:alice@10.0.0.1:5060>");
    req
}

/// The response a UAS TU builds: copies per §8.2.6 and adds a To tag to everything but 100.
pub fn answer(req: &Request, status: StatusCode) -> Response {
    let mut resp = Response::from_request(req, status);
    if status.0 > 100 {
        let mut to = resp.headers.to().expect("To");
        if to.tag().is_none() {
            to.set_tag("to-b".to_owned());
            resp.headers.set(HeaderName::To, to.to_string());
        }
    }
    resp
}

/// The ACK the UAC TU builds for a 2xx (§13.2.2.4), without Via.
pub fn ack_for_2xx(resp: &Response) -> Request {
    let uri = Uri::sip(Some("bob"), Host::Ipv4([10, 0, 0, 2].into()), Some(5060));
    let mut ack = Request::new(Method::Ack, uri);
    for name in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
        let value = resp.headers.get(&name).expect("dialog header").to_owned();
        ack.headers.push(name, value);
    }
    let seq = resp.headers.cseq().expect("CSeq").seq;
    ack.headers.push(HeaderName::CSeq, format!("{seq} ACK"));
    ack
}

/// Whether an event is a response with `code`.
pub fn is_response(ev: &TuEvent, code: u16) -> bool {
    matches!(ev, TuEvent::Response { response, .. } if response.status.0 == code)
}
