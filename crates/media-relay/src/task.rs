//! The relay task of one session: reads the four sockets, feeds the `rtp-media` core
//! (RFC 4961 latching, RFC 3550 A.1 statistics, stream rewriting) and forwards A↔B.
//! The hot path reuses one buffer, takes no locks and sends without waiting. The same task
//! plays prompts and music to a side (IVR-4, IVR-5, see `playback.rs`) and decodes RFC 4733
//! DTMF from either side (IVR-1, IVR-2).

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use metrics::Counter;
use rtp_media::activity::Activity;
use rtp_media::dtmf::DtmfReceiver;
use rtp_media::latch::{Latch, LatchDecision};
use rtp_media::loss::ReceiveStats;
use rtp_media::rewrite::{OutputSsrc, RewriteOutcome, StreamRewriter};
use rtp_media::rtp::{RtcpHeader, RtpHeader};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant as TokioInstant, MissedTickBehavior};

use crate::playback::{Playback, PlaybackKind};
use crate::pool::PortLease;
use crate::recording::{RecordTap, Recorders};
use crate::{RelayConfig, RelayEvent, RelayInner, SharedCounters, Side};

pub(crate) use crate::playback::Command;

/// What the session handle asks of its task; the task applies the latest value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Control {
    pub(crate) remote: [Option<SocketAddr>; 2],
    pub(crate) payload_map: [Vec<(u8, u8)>; 2],
    pub(crate) hold: [bool; 2],
    pub(crate) dtmf_payload_type: [Option<u8>; 2],
}

/// The task's ends of the channels to and from the session handle.
pub(crate) struct SessionChannels {
    pub(crate) control: watch::Receiver<Control>,
    pub(crate) commands: mpsc::Receiver<Command>,
    /// Recordings to start feeding (CRM-4, VM-1).
    pub(crate) taps: mpsc::Receiver<RecordTap>,
    pub(crate) events: mpsc::Sender<RelayEvent>,
}

/// The task owning one session's sockets. Field order matters: the sockets are dropped
/// before the lease returns their ports.
pub(crate) struct RelayTask {
    io: Io,
    lease: PortLease,
    control: watch::Receiver<Control>,
    commands: mpsc::Receiver<Command>,
    taps: mpsc::Receiver<RecordTap>,
    inactivity_timeout: Duration,
    state: RelayState,
}

impl RelayTask {
    /// Builds the task from the four sockets in order A RTP, A RTCP, B RTP, B RTCP.
    pub(crate) fn new(
        sockets: Vec<UdpSocket>,
        lease: PortLease,
        cfg: &RelayConfig,
        channels: SessionChannels,
        counters: Arc<SharedCounters>,
    ) -> Option<Self> {
        let SessionChannels {
            control,
            commands,
            taps,
            events,
        } = channels;
        let [a_rtp, a_rtcp, b_rtp, b_rtcp]: [UdpSocket; 4] = sockets.try_into().ok()?;
        let now = TokioInstant::now().into_std();
        let side = || SideState {
            rtp_latch: Latch::new(cfg.relatch_after),
            rtcp_latch: Latch::new(cfg.relatch_after),
            stats: ReceiveStats::new(CLOCK_RATE),
            stats_ssrc: None,
            lost_before: 0,
            hold: false,
            dtmf_payload_type: None,
            dtmf: DtmfReceiver::new(DTMF_QUEUE),
            playback: None,
        };
        let relay = Arc::clone(&lease.relay);
        Some(RelayTask {
            io: Io {
                sockets: [[a_rtp, a_rtcp], [b_rtp, b_rtcp]],
            },
            lease,
            control,
            commands,
            taps,
            inactivity_timeout: cfg.inactivity_timeout,
            state: RelayState {
                sides: [side(), side()],
                rewriters: [
                    StreamRewriter::new(OutputSsrc::FirstInput, CLOCK_RATE),
                    StreamRewriter::new(OutputSsrc::FirstInput, CLOCK_RATE),
                ],
                activity: Activity::new(now),
                counters,
                batch: Batch::new(relay),
                events,
                rng: fastrand::Rng::new(),
                recorders: Recorders::default(),
            },
        })
    }

    /// Relays until the session handle is dropped.
    pub(crate) async fn run(mut self) {
        let mut buf = [0u8; MAX_DATAGRAM];
        // Learn the sockets' write readiness once, so the first packet of a prompt started
        // right away is not refused by `try_send_to` for want of a reactor turn.
        for socket in self.io.sockets.iter().flatten() {
            let _ = socket.writable().await;
        }
        let timeout = self.inactivity_timeout;
        let first = self.state.activity.deadline(timeout);
        let mut armed = first.is_some();
        let sleep =
            tokio::time::sleep_until(first.map_or_else(TokioInstant::now, TokioInstant::from_std));
        tokio::pin!(sleep);
        let mut flush = tokio::time::interval(FLUSH_PERIOD);
        flush.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let play_sleep = tokio::time::sleep_until(TokioInstant::now());
        tokio::pin!(play_sleep);
        let mut play_armed: Option<Instant> = None;
        let ports = self.lease.bases;
        tracing::debug!(a = ports[0], b = ports[1], "media relay started");
        loop {
            // Unbiased: a flooded socket must not starve the others. Control changes are
            // still applied before any packet read after them (see `sync_control`).
            tokio::select! {
                changed = self.control.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    self.apply_control();
                }
                Some(command) = self.commands.recv() => {
                    // Commands queued behind this one are applied after it, in order.
                    if self.control.has_changed().unwrap_or(false) {
                        self.apply_control();
                    }
                    self.state.command(command, TokioInstant::now().into_std());
                }
                Some(tap) = self.taps.recv() => self.state.recorders.add(tap),
                () = &mut play_sleep, if play_armed.is_some() => {
                    self.state.pump_playback(&self.io, TokioInstant::now().into_std());
                }
                ready = self.io.sockets[0][RTP].readable() => {
                    if ready.is_err() { break; }
                    self.sync_control();
                    self.state.drain(&self.io, Side::A, RTP, &mut buf);
                }
                ready = self.io.sockets[1][RTP].readable() => {
                    if ready.is_err() { break; }
                    self.sync_control();
                    self.state.drain(&self.io, Side::B, RTP, &mut buf);
                }
                ready = self.io.sockets[0][RTCP].readable() => {
                    if ready.is_err() { break; }
                    self.sync_control();
                    self.state.drain(&self.io, Side::A, RTCP, &mut buf);
                }
                ready = self.io.sockets[1][RTCP].readable() => {
                    if ready.is_err() { break; }
                    self.sync_control();
                    self.state.drain(&self.io, Side::B, RTCP, &mut buf);
                }
                () = &mut sleep, if armed => {
                    let now = TokioInstant::now().into_std();
                    if let Some(idle) = self.state.activity.poll_idle(now, timeout) {
                        tracing::debug!(?idle, "media inactive");
                        // A full queue means the call task has not read the last report.
                        self.state.emit(RelayEvent::Inactive { idle });
                    }
                    match self.state.activity.deadline(timeout) {
                        Some(d) => sleep.as_mut().reset(TokioInstant::from_std(d)),
                        None => armed = false,
                    }
                }
                _ = flush.tick() => self.state.batch.flush(&self.state.counters),
            }
            if !armed && let Some(d) = self.state.activity.deadline(timeout) {
                sleep.as_mut().reset(TokioInstant::from_std(d));
                armed = true;
            }
            if self.state.batch.pending >= FLUSH_EVERY {
                self.state.batch.flush(&self.state.counters);
            }
            let next_play = self.state.next_playback_deadline();
            if next_play != play_armed {
                if let Some(d) = next_play {
                    play_sleep.as_mut().reset(TokioInstant::from_std(d));
                }
                play_armed = next_play;
            }
        }
        self.state.batch.flush(&self.state.counters);
        tracing::debug!(a = ports[0], b = ports[1], "media relay stopped");
    }
}

impl RelayTask {
    /// Applies a pending control change, so a command given before a packet was sent is in
    /// force when that packet is relayed. Checking is one atomic load, no lock.
    fn sync_control(&mut self) {
        if self.control.has_changed().unwrap_or(false) {
            self.apply_control();
        }
        while let Ok(command) = self.commands.try_recv() {
            self.state.command(command, TokioInstant::now().into_std());
        }
        while let Ok(tap) = self.taps.try_recv() {
            self.state.recorders.add(tap);
        }
    }

    fn apply_control(&mut self) {
        let control = self.control.borrow_and_update().clone();
        self.state.apply(&control);
    }
}

/// Media clock of G.711 and telephone-event (RFC 3551 §4.5.14, RFC 4733 §2.1).
const CLOCK_RATE: u32 = 8000;
/// Larger than any voice datagram; longer datagrams are truncated and then fail validation
/// or are relayed truncated.
const MAX_DATAGRAM: usize = 4096;
/// Datagrams read per readiness wake-up before other sockets get a turn.
const DRAIN_BUDGET: usize = 64;
/// Metric increments are batched per this many packets…
const FLUSH_EVERY: u64 = 50;
/// …or per this period.
const FLUSH_PERIOD: Duration = Duration::from_secs(1);
/// Unread key presses held per side; the task drains them at once.
const DTMF_QUEUE: usize = 8;
pub(crate) const RTP: usize = 0;
const RTCP: usize = 1;

pub(crate) struct Io {
    /// Indexed by side, then RTP/RTCP.
    pub(crate) sockets: [[UdpSocket; 2]; 2],
}

pub(crate) struct RelayState {
    pub(crate) sides: [SideState; 2],
    /// Indexed by the side packets come from.
    pub(crate) rewriters: [StreamRewriter; 2],
    activity: Activity,
    counters: Arc<SharedCounters>,
    batch: Batch,
    events: mpsc::Sender<RelayEvent>,
    /// Seeds the SSRC and sequence/timestamp origins of streams that start with a prompt.
    pub(crate) rng: fastrand::Rng,
    /// The recordings fed with the RTP received from either side (CRM-4, VM-1).
    recorders: Recorders,
}

pub(crate) struct SideState {
    /// Where RTP for this side goes (and which source is accepted from it).
    pub(crate) rtp_latch: Latch,
    rtcp_latch: Latch,
    /// Statistics of the RTP received from this side's current source.
    stats: ReceiveStats,
    stats_ssrc: Option<u32>,
    /// Losses of this side's previous sources.
    lost_before: u64,
    /// Nothing is relayed to a side on hold (playback still reaches it).
    hold: bool,
    /// The telephone-event payload type decoded from this side.
    dtmf_payload_type: Option<u8>,
    dtmf: DtmfReceiver,
    /// What is being played to this side; relayed media to it is suppressed meanwhile.
    pub(crate) playback: Option<Playback>,
}

impl RelayState {
    fn apply(&mut self, control: &Control) {
        for side in [Side::A, Side::B] {
            let i = side.index();
            let s = &mut self.sides[i];
            if let Some(rtp) = control.remote[i] {
                s.rtp_latch.set_expected(rtp);
                if let Some(port) = rtp.port().checked_add(1) {
                    s.rtcp_latch.set_expected(SocketAddr::new(rtp.ip(), port));
                }
            }
            s.hold = control.hold[i];
            s.dtmf_payload_type = control.dtmf_payload_type[i];
            self.rewriters[i].set_payload_map(&control.payload_map[i]);
        }
    }

    fn drain(&mut self, io: &Io, side: Side, port: usize, buf: &mut [u8]) {
        let Some(socket) = io.sockets[side.index()].get(port) else {
            return;
        };
        for _ in 0..DRAIN_BUDGET {
            match socket.try_recv_from(buf) {
                Ok((len, from)) => {
                    let now = TokioInstant::now().into_std();
                    let Some(packet) = buf.get_mut(..len) else {
                        continue;
                    };
                    if port == RTP {
                        self.on_rtp(io, side, packet, from, now);
                    } else {
                        self.on_rtcp(io, side, packet, from, now);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => tracing::trace!(error = %e, "media receive error"),
            }
        }
    }

    fn on_rtp(
        &mut self,
        io: &Io,
        from_side: Side,
        packet: &mut [u8],
        from: SocketAddr,
        now: Instant,
    ) {
        let dir = from_side.index();
        let to = from_side.other().index();
        let Ok(header) = RtpHeader::parse(packet) else {
            self.dropped(dir);
            return;
        };
        let s = &mut self.sides[dir];
        match s.rtp_latch.on_packet(from, now) {
            LatchDecision::Drop => {
                self.dropped(dir);
                return;
            }
            LatchDecision::Latched { previous } => {
                tracing::debug!(side = ?from_side, %from, ?previous, "RTP source latched");
            }
            LatchDecision::Accept => {}
        }
        if s.stats_ssrc != Some(header.ssrc()) {
            if s.stats_ssrc.is_some() {
                s.lost_before = s.lost_before.saturating_add(lost(&s.stats));
                s.stats = ReceiveStats::new(CLOCK_RATE);
            }
            s.stats_ssrc = Some(header.ssrc());
        }
        s.stats
            .handle_packet(header.sequence(), header.timestamp(), now);
        let total_lost = s.lost_before.saturating_add(lost(&s.stats));
        self.counters.dirs[dir]
            .lost
            .store(total_lost, Ordering::Relaxed);
        self.activity.on_packet(now);
        if s.dtmf_payload_type == Some(header.payload_type()) {
            let payload = packet.get(header.payload_range()).unwrap_or_default();
            if s.dtmf
                .handle_packet(header.timestamp(), payload, now)
                .is_ok()
            {
                self.on_dtmf(from_side);
            }
        }
        // Recording takes the packet as received, before any rewriting.
        self.recorders.offer(from_side, &header, packet, now);

        let target = &self.sides[to];
        if target.playback.is_some() {
            // The prompt or music owns the stream towards `to`.
            return;
        }
        if target.hold {
            self.dropped(dir);
            return;
        }
        let Some(dest) = target.rtp_latch.target() else {
            self.dropped(dir);
            return;
        };
        if let RewriteOutcome::Drop(_) = self.rewriters[dir].rewrite(packet, now) {
            self.dropped(dir);
            return;
        }
        // Count before sending so a reader that saw the packet arrive sees it counted.
        let len = packet.len() as u64;
        let c = &self.counters.dirs[dir];
        c.packets.fetch_add(1, Ordering::Relaxed);
        c.bytes.fetch_add(len, Ordering::Relaxed);
        if io.sockets[to][RTP].try_send_to(packet, dest).is_ok() {
            self.batch.relayed[dir] += 1;
            self.batch.bytes[dir] += len;
            self.batch.pending += 1;
        } else {
            c.packets.fetch_sub(1, Ordering::Relaxed);
            c.bytes.fetch_sub(len, Ordering::Relaxed);
            self.dropped(dir);
        }
    }

    fn on_rtcp(
        &mut self,
        io: &Io,
        from_side: Side,
        packet: &mut [u8],
        from: SocketAddr,
        now: Instant,
    ) {
        let dir = from_side.index();
        let to = from_side.other().index();
        if RtcpHeader::parse(packet).is_err() {
            self.dropped(dir);
            return;
        }
        if self.sides[dir].rtcp_latch.on_packet(from, now) == LatchDecision::Drop {
            self.dropped(dir);
            return;
        }
        let target = &self.sides[to];
        let dest = target.rtcp_latch.latched().or_else(|| {
            let rtp = target.rtp_latch.target()?;
            Some(SocketAddr::new(rtp.ip(), rtp.port().checked_add(1)?))
        });
        let Some(dest) = dest.filter(|_| !target.hold) else {
            self.dropped(dir);
            return;
        };
        let c = &self.counters.dirs[dir];
        c.rtcp_packets.fetch_add(1, Ordering::Relaxed);
        if io.sockets[to][RTCP].try_send_to(packet, dest).is_err() {
            c.rtcp_packets.fetch_sub(1, Ordering::Relaxed);
            self.dropped(dir);
        }
    }

    /// Reports the key presses decoded from `side`; one stops a barge-in playlist there.
    fn on_dtmf(&mut self, side: Side) {
        let i = side.index();
        while let Some(press) = self.sides[i].dtmf.poll_press() {
            let Some(digit) = press.digit else {
                continue;
            };
            self.emit(RelayEvent::Dtmf {
                side,
                digit,
                started: press.started,
            });
            let barge = self.sides[i]
                .playback
                .as_ref()
                .is_some_and(|p| p.barge_in && p.kind == PlaybackKind::Prompts);
            if barge {
                self.end_playback(side, false);
            }
        }
    }

    /// Queues an event for the call task; a full queue drops it (the call task is behind).
    pub(crate) fn emit(&self, event: RelayEvent) {
        if self.events.try_send(event).is_err() {
            // The event is not logged: it may carry a DTMF digit.
            tracing::debug!("relay event dropped: queue full");
        }
    }

    fn dropped(&mut self, dir: usize) {
        self.counters.dirs[dir]
            .dropped
            .fetch_add(1, Ordering::Relaxed);
        self.batch.dropped[dir] += 1;
        self.batch.pending += 1;
    }
}

/// Increments not yet pushed to the relay totals and the metrics facade.
struct Batch {
    relay: Arc<RelayInner>,
    pending: u64,
    relayed: [u64; 2],
    bytes: [u64; 2],
    dropped: [u64; 2],
    lost_flushed: [u64; 2],
    metrics: [DirectionMetrics; 2],
}

struct DirectionMetrics {
    relayed: Counter,
    bytes: Counter,
    dropped: Counter,
    lost: Counter,
}

impl DirectionMetrics {
    fn new(direction: &'static str) -> Self {
        DirectionMetrics {
            relayed: metrics::counter!("centralino_rtp_packets_relayed_total", "direction" => direction),
            bytes: metrics::counter!("centralino_rtp_bytes_relayed_total", "direction" => direction),
            dropped: metrics::counter!("centralino_rtp_packets_dropped_total", "direction" => direction),
            lost: metrics::counter!("centralino_rtp_packets_lost_total", "direction" => direction),
        }
    }
}

impl Batch {
    fn new(relay: Arc<RelayInner>) -> Self {
        Batch {
            relay,
            pending: 0,
            relayed: [0; 2],
            bytes: [0; 2],
            dropped: [0; 2],
            lost_flushed: [0; 2],
            metrics: [
                DirectionMetrics::new("a_to_b"),
                DirectionMetrics::new("b_to_a"),
            ],
        }
    }

    fn flush(&mut self, counters: &SharedCounters) {
        for dir in 0..2 {
            let lost_now = counters.dirs[dir].lost.load(Ordering::Relaxed);
            let lost = lost_now.saturating_sub(self.lost_flushed[dir]);
            self.lost_flushed[dir] = self.lost_flushed[dir].max(lost_now);
            let m = &self.metrics[dir];
            let r = &self.relay;
            for (n, counter, total) in [
                (self.relayed[dir], &m.relayed, Some(&r.packets_relayed)),
                (self.bytes[dir], &m.bytes, None),
                (self.dropped[dir], &m.dropped, Some(&r.packets_dropped)),
                (lost, &m.lost, Some(&r.packets_lost)),
            ] {
                if n > 0 {
                    counter.increment(n);
                    if let Some(total) = total {
                        total.fetch_add(n, Ordering::Relaxed);
                    }
                }
            }
            self.relayed[dir] = 0;
            self.bytes[dir] = 0;
            self.dropped[dir] = 0;
        }
        self.pending = 0;
    }
}

fn lost(stats: &ReceiveStats) -> u64 {
    u64::try_from(stats.cumulative_lost()).unwrap_or(0)
}
