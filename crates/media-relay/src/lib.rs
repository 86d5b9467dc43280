//! Shell: RTP port pool and per-call relay tasks.
//!
//! Every call gets a [`RelaySession`]: two media endpoints (side A = caller/trunk, side B =
//! agent), each an even RTP port and the next odd RTCP port (RFC 3550 §11). One tokio task
//! per session relays A→B and B→A through the `rtp-media` core: symmetric-RTP latching
//! (RFC 4961), SSRC/sequence/timestamp continuity, payload-type mapping, RFC 3550 A.1 loss
//! statistics and the media inactivity timeout.
//!
//! The task also plays prompt playlists and music-on-hold loops to either side, paced by
//! absolute 20 ms deadlines and continuing the relayed stream's SSRC, sequence and timestamp
//! spaces (IVR-4, IVR-5), and reports RFC 4733 DTMF key presses received from either side
//! (IVR-1, IVR-2), with barge-in. [`prompts::PromptLibrary`] decodes the audio files.
//!
//! [`RelaySession::record`] records a side (voicemail, VM-1) or the whole call in stereo
//! (CRM-4) to a WAV file, off the hot path (see [`recording`]).

mod playback;
mod pool;
pub mod prompts;
pub mod recording;
mod task;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, watch};

use crate::pool::{Lifecycle, PortLease, PortPool, lock};
use crate::prompts::{AudioCodec, MusicLoop, Prompt};
use crate::recording::{RecordTap, RecordingError, RecordingHandle, RecordingSpec};
use crate::task::{Command, Control, RelayTask, SessionChannels};

/// Relay settings; the binary fills them from `config/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayConfig {
    /// The address media sockets bind to (and, unless unspecified, the one to put in SDP).
    pub bind_ip: IpAddr,
    /// Lowest port of the pool (rounded up to even).
    pub port_min: u16,
    /// Highest port of the pool (the RTCP port of the last pair).
    pub port_max: u16,
    /// No RTP from either side for this long raises [`RelayEvent::Inactive`].
    pub inactivity_timeout: Duration,
    /// A latched source that was silent this long can be replaced by another source.
    pub relatch_after: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            bind_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port_min: 30000,
            port_max: 39999,
            inactivity_timeout: Duration::from_secs(60),
            relatch_after: Duration::from_secs(2),
        }
    }
}

/// Why a session could not be allocated.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// No two free port pairs could be bound.
    #[error("RTP port pool exhausted")]
    PoolExhausted,
    /// A bound socket could not be registered with the runtime.
    #[error("media socket setup failed: {0}")]
    Io(#[from] std::io::Error),
    /// The relay task has not yet taken the previous playback commands.
    #[error("playback command queue full")]
    CommandQueueFull,
    /// The relay task has ended.
    #[error("relay task ended")]
    SessionEnded,
    /// A recording could not be started (its file could not be created).
    #[error(transparent)]
    Recording(#[from] RecordingError),
}

/// One of the two media endpoints of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The caller or trunk leg.
    A,
    /// The agent leg.
    B,
}

impl Side {
    /// The other endpoint.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
}

/// Something the call task must know about its media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayEvent {
    /// No RTP from either side for `idle` (at least the inactivity timeout). Reported once
    /// per quiet period; re-armed when packets flow again.
    Inactive { idle: Duration },
    /// A key pressed on `side`, reported once per RFC 4733 event (IVR-1, IVR-2). `started`
    /// is when its first packet reached the relay.
    Dtmf {
        side: Side,
        digit: char,
        started: Instant,
    },
    /// The playback to `side` ended: `completed` is false if it was stopped, replaced or
    /// barged in (music only ever ends this way).
    PlaybackDone { side: Side, completed: bool },
}

/// How a playlist is played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayOptions {
    /// A DTMF key from the side being played to stops the playlist (IVR-2 barge-in).
    pub barge_in: bool,
    /// The G.711 law negotiated with that side.
    pub codec: AudioCodec,
}

/// Totals over all sessions of a relay. Packet totals are flushed in batches (every 50
/// packets, every second, and when a session ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayStats {
    /// Sessions whose ports are leased.
    pub sessions_active: u64,
    /// RTP packets forwarded.
    pub packets_relayed: u64,
    /// RTP packets lost on the way in (RFC 3550 A.3 cumulative lost, high-water mark).
    pub packets_lost: u64,
    /// Packets not forwarded: garbage, strangers, hold, no target, send failures.
    pub packets_dropped: u64,
}

/// Counters of one relay direction (packets received from one side, sent to the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DirectionCounters {
    /// RTP packets forwarded.
    pub packets: u64,
    /// RTP bytes forwarded.
    pub bytes: u64,
    /// RTCP packets forwarded.
    pub rtcp_packets: u64,
    /// RTP packets lost before reaching the relay (RFC 3550 A.3 cumulative lost).
    pub lost: u64,
    /// Packets received and not forwarded.
    pub dropped: u64,
}

/// Per-direction counters of a session, updated live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionCounters {
    /// Packets from side A relayed to side B.
    pub a_to_b: DirectionCounters,
    /// Packets from side B relayed to side A.
    pub b_to_a: DirectionCounters,
}

/// The media relay: a cheap clonable handle owning the port pool.
#[derive(Clone)]
pub struct MediaRelay {
    inner: Arc<RelayInner>,
}

impl MediaRelay {
    /// Creates a relay with its port pool; nothing is bound until [`MediaRelay::allocate`].
    pub fn new(cfg: RelayConfig) -> Self {
        let pool = PortPool::new(cfg.port_min, cfg.port_max);
        MediaRelay {
            inner: Arc::new(RelayInner {
                cfg,
                pool: Mutex::new(pool),
                closing: AtomicI64::new(0),
                released: Notify::new(),
                sessions_active: AtomicU64::new(0),
                packets_relayed: AtomicU64::new(0),
                packets_lost: AtomicU64::new(0),
                packets_dropped: AtomicU64::new(0),
            }),
        }
    }

    /// Binds the four sockets of a new session (A RTP/RTCP, B RTP/RTCP), skipping ports that
    /// fail to bind, and starts its relay task. If the pool is empty while dropped sessions
    /// are still closing their sockets, waits briefly for their ports.
    pub async fn allocate(&self) -> Result<RelaySession, RelayError> {
        let give_up = tokio::time::Instant::now() + RELEASE_GRACE;
        loop {
            let released = self.inner.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            let pairs = lock(&self.inner.pool).bind_pairs(self.inner.cfg.bind_ip, 2);
            if let Some(pairs) = pairs {
                return self.start(pairs);
            }
            if self.inner.closing.load(Ordering::Acquire) <= 0 {
                return Err(RelayError::PoolExhausted);
            }
            if tokio::time::timeout_at(give_up, released).await.is_err() {
                return Err(RelayError::PoolExhausted);
            }
        }
    }

    /// Totals over all sessions.
    pub fn stats(&self) -> RelayStats {
        let i = &self.inner;
        RelayStats {
            sessions_active: i.sessions_active.load(Ordering::Relaxed),
            packets_relayed: i.packets_relayed.load(Ordering::Relaxed),
            packets_lost: i.packets_lost.load(Ordering::Relaxed),
            packets_dropped: i.packets_dropped.load(Ordering::Relaxed),
        }
    }

    fn start(&self, pairs: Vec<pool::BoundPair>) -> Result<RelaySession, RelayError> {
        let lifecycle = Arc::new(Lifecycle::default());
        let bases: Vec<u16> = pairs.iter().map(|p| p.base).collect();
        let (base_a, base_b) = match bases.as_slice() {
            [a, b] => (*a, *b),
            _ => return Err(RelayError::PoolExhausted),
        };
        self.inner.sessions_active.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("centralino_rtp_sessions_active").increment(1.0);
        // From here on the lease returns the ports whatever happens.
        let lease = PortLease {
            relay: Arc::clone(&self.inner),
            bases: [base_a, base_b],
            lifecycle: Arc::clone(&lifecycle),
        };
        let mut sockets = Vec::with_capacity(4);
        for pair in pairs {
            sockets.push(tokio::net::UdpSocket::from_std(pair.rtp)?);
            sockets.push(tokio::net::UdpSocket::from_std(pair.rtcp)?);
        }
        let counters = Arc::new(SharedCounters::default());
        let (control_tx, control_rx) = watch::channel(Control::default());
        let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);
        let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
        let (taps_tx, taps_rx) = mpsc::channel(TAP_QUEUE);
        let task = RelayTask::new(
            sockets,
            lease,
            &self.inner.cfg,
            SessionChannels {
                control: control_rx,
                commands: command_rx,
                taps: taps_rx,
                events: event_tx,
            },
            Arc::clone(&counters),
        )
        .ok_or(RelayError::PoolExhausted)?;
        tokio::spawn(task.run());
        Ok(RelaySession {
            relay: Arc::clone(&self.inner),
            bases: [base_a, base_b],
            control: control_tx,
            commands: command_tx,
            taps: taps_tx,
            events: event_rx,
            counters,
            lifecycle,
        })
    }
}

/// The media anchoring of one call. Dropping it stops the relay task; the ports return to
/// the pool once the task has closed its sockets.
pub struct RelaySession {
    relay: Arc<RelayInner>,
    bases: [u16; 2],
    control: watch::Sender<Control>,
    commands: mpsc::Sender<Command>,
    taps: mpsc::Sender<RecordTap>,
    events: mpsc::Receiver<RelayEvent>,
    counters: Arc<SharedCounters>,
    lifecycle: Arc<Lifecycle>,
}

impl RelaySession {
    /// The local RTP port of `side` (even; RTCP is the next port).
    pub fn local_rtp_port(&self, side: Side) -> u16 {
        self.bases[side.index()]
    }

    /// The local RTCP port of `side`.
    pub fn local_rtcp_port(&self, side: Side) -> u16 {
        self.bases[side.index()].saturating_add(1)
    }

    /// The address the sockets are bound to.
    pub fn local_ip(&self) -> IpAddr {
        self.relay.cfg.bind_ip
    }

    /// Sets the RTP address of `side` from its SDP; its RTCP address is the next port.
    /// Symmetric-RTP latching may override both.
    pub fn set_remote(&self, side: Side, rtp: SocketAddr) {
        self.control.send_if_modified(|c| {
            let slot = &mut c.remote[side.index()];
            let changed = *slot != Some(rtp);
            *slot = Some(rtp);
            changed
        });
    }

    /// Sets the payload-type rewrite applied to packets relayed from `from` to the other
    /// side, as `(type on from's side, type on the other side)` pairs.
    pub fn set_payload_map(&self, from: Side, map: Vec<(u8, u8)>) {
        self.control.send_if_modified(|c| {
            let slot = &mut c.payload_map[from.index()];
            let changed = *slot != map;
            *slot = map;
            changed
        });
    }

    /// Puts `side` on hold (nothing is relayed to it) or takes it off hold. Hold does not
    /// stop a playback to `side`: music on hold is played to a held side.
    pub fn set_hold(&self, side: Side, on_hold: bool) {
        self.control.send_if_modified(|c| {
            let slot = &mut c.hold[side.index()];
            let changed = *slot != on_hold;
            *slot = on_hold;
            changed
        });
    }

    /// Decodes RFC 4733 telephone-events with payload type `payload_type` received from
    /// `side` into [`RelayEvent::Dtmf`]; `None` stops detection. The packets are still
    /// relayed to the other side.
    pub fn set_dtmf_payload_type(&self, side: Side, payload_type: Option<u8>) {
        self.control.send_if_modified(|c| {
            let slot = &mut c.dtmf_payload_type[side.index()];
            let changed = *slot != payload_type;
            *slot = payload_type;
            changed
        });
    }

    /// Plays `prompts` in order to `side`, replacing whatever was playing there. While it
    /// plays, the media relayed to `side` is suppressed; the output stream keeps its SSRC,
    /// sequence and timestamp continuity. Ends with [`RelayEvent::PlaybackDone`].
    pub fn play(
        &self,
        side: Side,
        prompts: Vec<Arc<Prompt>>,
        options: PlayOptions,
    ) -> Result<(), RelayError> {
        let items = prompts
            .iter()
            .map(|p| Arc::clone(p.encoded(options.codec)))
            .collect();
        self.command(Command::Play {
            side,
            items,
            options,
        })
    }

    /// Loops `music` to `side` until stopped or replaced; the listener joins the loop where
    /// wall time since the loop's epoch puts it.
    pub fn play_music(
        &self,
        side: Side,
        music: Arc<MusicLoop>,
        codec: AudioCodec,
    ) -> Result<(), RelayError> {
        self.command(Command::Music {
            side,
            audio: Arc::clone(music.prompt().encoded(codec)),
            epoch: music.epoch(),
            codec,
        })
    }

    /// Stops the playback to `side` (if any) and resumes relaying to it.
    pub fn stop(&self, side: Side) -> Result<(), RelayError> {
        self.command(Command::Stop { side })
    }

    /// The next event of this session; `None` once the relay task has ended. Cancel-safe.
    pub async fn next_event(&mut self) -> Option<RelayEvent> {
        self.events.recv().await
    }

    /// Live per-direction counters.
    pub fn counters(&self) -> SessionCounters {
        SessionCounters {
            a_to_b: self.counters.dirs[0].snapshot(),
            b_to_a: self.counters.dirs[1].snapshot(),
        }
    }

    /// Starts recording the G.711 audio this session receives (CRM-4, VM-1): creates the
    /// WAV file now (its timeline starts now) and returns the handle that pauses, resumes
    /// and stops it. Several recordings may run at once. The recording ends by itself when
    /// the session is dropped or `max_duration` is reached.
    pub fn record(&self, spec: RecordingSpec) -> Result<RecordingHandle, RelayError> {
        if self.taps.is_closed() {
            return Err(RelayError::SessionEnded);
        }
        let (tap, handle) = recording::start(spec)?;
        // On failure the tap is dropped and the writer finalizes an empty file.
        self.taps.try_send(tap).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => RelayError::CommandQueueFull,
            mpsc::error::TrySendError::Closed(_) => RelayError::SessionEnded,
        })?;
        Ok(handle)
    }
}

impl RelaySession {
    fn command(&self, command: Command) -> Result<(), RelayError> {
        self.commands.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => RelayError::CommandQueueFull,
            mpsc::error::TrySendError::Closed(_) => RelayError::SessionEnded,
        })
    }
}

impl Drop for RelaySession {
    fn drop(&mut self) {
        // The task sees the control channel close and exits, dropping its sockets and lease.
        self.lifecycle.handle_gone(&self.relay.closing);
    }
}

/// How long `allocate` waits for dropped sessions to release their ports.
const RELEASE_GRACE: Duration = Duration::from_millis(500);

/// Capacity of a session's event queue; events beyond it are dropped (this bounds a DTMF
/// flood).
const EVENT_QUEUE: usize = 64;

/// Capacity of a session's playback command queue.
const COMMAND_QUEUE: usize = 16;

/// Capacity of a session's queue of recordings to start.
const TAP_QUEUE: usize = 4;

/// State shared by the relay handle, its sessions and their tasks.
pub(crate) struct RelayInner {
    pub(crate) cfg: RelayConfig,
    pub(crate) pool: Mutex<PortPool>,
    /// Sessions whose handle is dropped but whose lease is not returned yet.
    pub(crate) closing: AtomicI64,
    pub(crate) released: Notify,
    pub(crate) sessions_active: AtomicU64,
    pub(crate) packets_relayed: AtomicU64,
    pub(crate) packets_lost: AtomicU64,
    pub(crate) packets_dropped: AtomicU64,
}

/// Session counters written by the relay task only (relaxed atomics, no locks).
#[derive(Debug, Default)]
pub(crate) struct SharedCounters {
    pub(crate) dirs: [DirectionAtomics; 2],
}

#[derive(Debug, Default)]
pub(crate) struct DirectionAtomics {
    pub(crate) packets: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) rtcp_packets: AtomicU64,
    pub(crate) lost: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

impl DirectionAtomics {
    fn snapshot(&self) -> DirectionCounters {
        DirectionCounters {
            packets: self.packets.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            rtcp_packets: self.rtcp_packets.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}
