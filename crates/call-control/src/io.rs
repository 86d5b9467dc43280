//! What a B2BUA call takes in and gives out: the closed vocabulary between the
//! sans-IO `Call` and the call task that drives it.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sdp_offer_answer::Capabilities;
use sip_dialog::session_timer::SessionTimerConfig;
use sip_message::{Request, Response, StatusCode, Uri};
use sip_transaction::{Peer, ServerTxId};

/// A call-local reference to a request the call asked to send; the runtime maps it
/// to the transaction it created and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReqRef(pub u32);

/// The two media sides of an anchored call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The caller (leg A).
    A,
    /// The callee: an agent's phone or a trunk (leg B).
    B,
}

/// Where a leg-B INVITE goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Request-URI of the INVITE.
    pub uri: Uri,
    /// Next hop.
    pub peer: Peer,
    /// The trunk this destination belongs to, for health reports [TEL-2].
    pub trunk: Option<usize>,
}

/// Destinations in the order to try them: the targets of one group are rung in
/// parallel (an agent's contacts); the next group is tried only when every target
/// of the previous one failed for a reason worth a retry (timeout, transport error,
/// 5xx: a trunk's backup link) [TEL-2].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetPlan {
    pub groups: Vec<Vec<Target>>,
}

/// Ports the media relay reserved for this call, on `ip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaPorts {
    pub ip: IpAddr,
    pub a_port: u16,
    pub b_port: u16,
}

/// Per-call policy (from the runtime's config).
#[derive(Debug, Clone)]
pub struct CallConfig {
    /// How long leg B may ring before the caller gets 480.
    pub ring_timeout: Duration,
    /// RFC 4028 policy; `None` = no session timers.
    pub session_timer: Option<SessionTimerConfig>,
    /// Our Contact URI on both legs.
    pub local_contact: Uri,
    /// Codecs we relay (no transcoding).
    pub capabilities: Capabilities,
    /// How long a leg-B branch may stay without any response (not even 100 Trying)
    /// before it is given up and the next target group tried [TEL-2].
    pub no_response_timeout: Duration,
    /// How long a terminated call lingers to absorb late responses (64*T1).
    pub linger: Duration,
}

/// What the call needs from the outside world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallInput {
    /// The caller cancelled the initial INVITE (the CANCEL itself is already answered).
    Cancelled,
    /// A request inside one of the call's dialogs (either leg).
    Request { tx: ServerTxId, request: Request, source: Peer },
    /// An ACK for a 2xx we sent (either leg).
    Ack { request: Request },
    /// A response to a request the call sent.
    Response { req: ReqRef, response: Response },
    /// A request the call sent timed out or could not be delivered.
    RequestFailed { req: ReqRef },
    /// A 2xx response the call sent on `tx` was never acknowledged.
    AckTimeout { tx: ServerTxId },
    /// No RTP in either direction for the relay's inactivity timeout.
    MediaInactive,
    /// Operator or supervisor hangs the call up (on a locally answered call: BYE to
    /// the caller).
    Hangup,
    /// An RFC 4733 key press the relay decoded from the caller's RTP; re-emitted as
    /// [`CallEvent::Dtmf`] so consumers see one stream of digits [IVR-1].
    Dtmf { digit: char, started: Instant },
    /// Play prompts (`"it/benvenuto"`: language/name) to the caller of a locally
    /// answered call, replacing whatever plays; a caller's key stops them when
    /// `barge_in` [IVR-4].
    Play { prompts: Vec<String>, barge_in: bool },
    /// Stop the playback to the caller.
    StopPlayback,
    /// The playback to the caller ended; `completed` is false if it was stopped,
    /// replaced, barged in or could not start.
    PlaybackDone { completed: bool },
    /// Pause or resume the call's recording (sensitive data such as card numbers is
    /// not recorded while paused) [CRM-4].
    Recording(RecordingControl),
    /// Ring `plan` for a locally answered call (the ACD offers it to an agent) [ACD-2].
    /// Only one connect attempt at a time; the caller keeps hearing whatever plays until
    /// the answer. Ignored (with a debug log) while an attempt is pending, while the call
    /// is bridged (until [`CallInput::Disconnect`] makes it local again), and on a call
    /// that is not locally answered.
    Connect { plan: TargetPlan, ring_timeout: Duration },
    /// Abandon the connect attempt (CANCEL the pending INVITEs, RFC 3261 §9.1); the
    /// caller stays. Nothing happens when no attempt is pending.
    CancelConnect,
    /// Release the agent of a call bridged by [`CallInput::Connect`] and keep the caller
    /// on the engine (a level I → level II transfer) [ACD-6]: BYE to leg B (RFC 3261
    /// §15), its session timer stopped, the relay told to send nothing more to B
    /// (`MediaCommand::Hold { side: B, on_hold: true }`, and empty payload maps if a
    /// rewrite was in place), then [`CallEvent::Disconnected`] at once, without waiting
    /// for the BYE's answer. Ignored (with a debug log, no event) on any other call: one
    /// set up bridged, a local call not connected, an attempt still ringing, a call
    /// that ended.
    Disconnect,
}

/// Why a connect attempt of a locally answered call failed [ACD-7].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectFailure {
    /// The ring timeout elapsed: the pending INVITEs were CANCELled.
    NoAnswer,
    /// Every target answered with a final failure (486, 603, any 4xx-6xx), or the
    /// answer carried no usable SDP (488).
    Rejected(StatusCode),
    /// No target gave any response (timeout or transport error), or the plan was empty.
    Unreachable,
    /// The attempt was abandoned by [`CallInput::CancelConnect`].
    Cancelled,
}

/// A change to a call's recording [CRM-4].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingControl {
    /// Silence is recorded from now on.
    Pause,
    /// Audio is recorded again.
    Resume,
}

/// Media commands for the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// The address a side's SDP names for its RTP (latching may override it).
    SetRemote { side: Side, rtp: SocketAddr },
    /// Payload-type rewrite for packets relayed from `from` to the other side.
    PayloadMap { from: Side, map: Vec<(u8, u8)> },
    /// A side put on hold receives nothing.
    Hold { side: Side, on_hold: bool },
    /// Play prompts (language/name paths) to `side` [IVR-4].
    Play { side: Side, prompts: Vec<String>, barge_in: bool },
    /// Stop the playback to `side`.
    Stop { side: Side },
    /// Decode RFC 4733 telephone-events with this payload type from `side`; `None`
    /// stops detection [IVR-1].
    DtmfPayloadType { side: Side, pt: Option<u8> },
    /// Pause or resume the call's recording, if one runs [CRM-4].
    Recording(RecordingControl),
}

/// How a DTMF digit reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfSource {
    /// RFC 4733 telephone-event in the RTP stream.
    Rfc4733,
    /// A SIP INFO (`application/dtmf-relay` or `application/dtmf`).
    SipInfo,
}

impl DtmfSource {
    /// The wire name used in events (`rfc4733`, `sip_info`).
    pub fn as_str(self) -> &'static str {
        match self {
            DtmfSource::Rfc4733 => "rfc4733",
            DtmfSource::SipInfo => "sip_info",
        }
    }
}

/// Why a call ended, for the register and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HangupCause {
    /// The caller hung up after the answer.
    CallerHangup,
    /// The callee hung up.
    CalleeHangup,
    /// The caller gave up while it was ringing.
    Cancelled,
    /// Nobody answered within the ring timeout.
    NoAnswer,
    /// The callee answered with a failure (busy, not found, …).
    Rejected(StatusCode),
    /// The call could not even start (bad request, no common codec, …).
    Refused(StatusCode),
    /// RTP stopped in both directions.
    MediaTimeout,
    /// A session-timer refresh did not happen or failed (RFC 4028).
    SessionExpired,
    /// Our 2xx was never acknowledged (RFC 3261 §13.3.1.4).
    AckTimeout,
    /// Administrative hangup.
    Hangup,
}

impl HangupCause {
    /// A stable snake_case label for metrics, CTI events and the call register.
    pub fn label(&self) -> &'static str {
        match self {
            HangupCause::CallerHangup => "caller_hangup",
            HangupCause::CalleeHangup => "callee_hangup",
            HangupCause::Cancelled => "cancelled",
            HangupCause::NoAnswer => "no_answer",
            HangupCause::Rejected(s) if *s == StatusCode::BUSY_HERE => "busy",
            HangupCause::Rejected(_) => "rejected",
            HangupCause::Refused(_) => "refused",
            HangupCause::MediaTimeout => "media_timeout",
            HangupCause::SessionExpired => "session_expired",
            HangupCause::AckTimeout => "ack_timeout",
            HangupCause::Hangup => "hangup",
        }
    }
}

/// Things worth telling the rest of the engine (metrics, CTI, register).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// Leg B is ringing.
    Ringing,
    /// Leg B answered (the call is bridged), or the engine answered the caller itself.
    Answered,
    /// The caller pressed a key (`0`-`9`, `*`, `#`, `A`-`D`) [IVR-1]. Personal data:
    /// never log the digit above debug level.
    Dtmf { digit: char, via: DtmfSource },
    /// A playback started by [`CallInput::Play`] ended.
    PlaybackDone { completed: bool },
    /// The call is over (both legs are being or have been released).
    Ended { cause: HangupCause },
    /// A trunk destination answered or failed, for failover [TEL-2].
    TrunkResult { trunk: usize, destination: SocketAddr, ok: bool },
    /// A target of [`CallInput::Connect`] is ringing (180/183); once per attempt [ACD-2].
    ConnectRinging,
    /// A target of [`CallInput::Connect`] answered: the call is now bridged A↔B like a
    /// call that was set up bridged (no second [`CallEvent::Answered`]) [ACD-2].
    Connected,
    /// The connect attempt failed; the caller is still up on the engine and keeps
    /// waiting (prompts, DTMF and a later `Connect` keep working) [ACD-7]. Reported once
    /// per attempt.
    ConnectFailed { cause: ConnectFailure },
    /// Leg B was released by [`CallInput::Disconnect`]: the call is a locally answered
    /// call again, the caller waiting on the engine (prompts, DTMF, a later `Connect`,
    /// hold all work as before the first `Connect`); the runtime starts the music
    /// [ACD-6].
    Disconnected,
}

/// What the call asks its task to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutput {
    /// Answer a request on a server transaction.
    Respond { tx: ServerTxId, response: Response },
    /// Send a request in a new client transaction (the transaction layer adds Via).
    Send { req: ReqRef, request: Request, to: Peer },
    /// Send the ACK for a 2xx (not a transaction).
    SendAck { request: Request, to: Peer },
    /// CANCEL a pending INVITE the call sent.
    Cancel { req: ReqRef },
    Media(MediaCommand),
    Event(CallEvent),
}
