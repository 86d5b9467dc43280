//! One task per call: allocates the call's media relay, drives the sans-IO
//! `call_control::Call` with tokio time, and executes what it asks for.

use std::sync::Arc;
use std::time::Instant;

use call_control::io::{CallEvent, CallInput, CallOutput, HangupCause, MediaCommand, MediaPorts, Side, TargetPlan};
use call_control::Call;
use media_relay::{RelayEvent, RelaySession};
use sip_message::{Request, Response, StatusCode};
use sip_transaction::{Peer, ServerTxId};
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::{CallKey, CoreCmd, Shared};

/// Everything a new call task needs.
pub(crate) struct CallSpawn {
    pub(crate) key: CallKey,
    pub(crate) invite: Request,
    pub(crate) tx: ServerTxId,
    pub(crate) source: Peer,
    pub(crate) plan: TargetPlan,
    pub(crate) shared: Arc<Shared>,
    pub(crate) core: mpsc::Sender<CoreCmd>,
    pub(crate) inbox: mpsc::Receiver<CallInput>,
    pub(crate) seed: u64,
}

pub(crate) async fn run(spawn: CallSpawn) {
    // The span carries our own call number only: Call-IDs and numbers are personal data.
    let span = info_span!("call", id = spawn.key.0);
    async move {
        // Whatever ends this task (return or a panic: a bug in one call must tear down
        // that call only), the core forgets the call and the gauge goes down.
        let _guard = CallGuard::new(spawn.core.clone(), spawn.key);
        drive(spawn).await;
    }
    .instrument(span)
    .await;
}

/// Tells the core task a call is gone when dropped, also during a panic's unwinding.
struct CallGuard {
    core: mpsc::Sender<CoreCmd>,
    key: CallKey,
}

impl CallGuard {
    fn new(core: mpsc::Sender<CoreCmd>, key: CallKey) -> Self {
        metrics::gauge!("centralino_calls_active").increment(1.0);
        CallGuard { core, key }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        metrics::gauge!("centralino_calls_active").decrement(1.0);
        let (core, call) = (self.core.clone(), self.key);
        if let Err(mpsc::error::TrySendError::Full(cmd)) = core.try_send(CoreCmd::Gone { call }) {
            // The core is busy: deliver later rather than leak its routing entries.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = core.send(cmd).await;
                });
            }
        }
    }
}

async fn drive(spawn: CallSpawn) {
    let CallSpawn { key, invite, tx, source, plan, shared, core, mut inbox, seed } = spawn;
    let mut session = match shared.relay.allocate().await {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "no media ports: call refused");
            let resp = Response::from_request(&invite, StatusCode::SERVICE_UNAVAILABLE);
            let _ = core.send(CoreCmd::Respond { tx, response: resp }).await;
            return;
        }
    };
    let ports = MediaPorts {
        ip: session.local_ip(),
        a_port: session.local_rtp_port(media_relay::Side::A),
        b_port: session.local_rtp_port(media_relay::Side::B),
    };
    let mut call = match Call::new(now(), invite, tx, source, plan, ports, shared.call_config.clone(), seed) {
        Ok(c) => c,
        Err(resp) => {
            let _ = core.send(CoreCmd::Respond { tx, response: resp }).await;
            return;
        }
    };
    let b_call_id = call.call_ids()[1].to_owned();
    if core.send(CoreCmd::Register { call: key, call_id: b_call_id }).await.is_err() {
        return;
    }
    info!("call started");
    let mut relay_alive = true;
    loop {
        while let Some(out) = call.poll_output() {
            if execute(key, out, &core, &session).await.is_err() {
                return;
            }
        }
        if call.is_terminated() {
            break;
        }
        let deadline = call.poll_timeout();
        tokio::select! {
            input = inbox.recv() => match input {
                Some(input) => call.handle(now(), input),
                None => break,
            },
            ev = session.next_event(), if relay_alive => match ev {
                Some(RelayEvent::Inactive { idle }) => {
                    info!(idle_s = idle.as_secs(), "no RTP in either direction");
                    call.handle(now(), CallInput::MediaInactive);
                }
                // DTMF and playback events are for the IVR, which is not wired here yet.
                Some(_) => {}
                None => relay_alive = false,
            },
            () = sleep_until(deadline) => call.handle_timeout(now()),
        }
    }
    let c = session.counters();
    debug!(a_to_b = c.a_to_b.packets, b_to_a = c.b_to_a.packets, lost = c.a_to_b.lost + c.b_to_a.lost, "call media");
}

async fn execute(key: CallKey, out: CallOutput, core: &mpsc::Sender<CoreCmd>, session: &RelaySession) -> Result<(), ()> {
    let cmd = match out {
        CallOutput::Respond { tx, response } => CoreCmd::Respond { tx, response },
        CallOutput::Send { req, request, to } => CoreCmd::Send { call: key, req, request, to },
        CallOutput::SendAck { request, to } => CoreCmd::SendAck { request, to },
        CallOutput::Cancel { req } => CoreCmd::Cancel { call: key, req },
        CallOutput::Media(m) => {
            match m {
                MediaCommand::SetRemote { side, rtp } => session.set_remote(relay_side(side), rtp),
                MediaCommand::PayloadMap { from, map } => session.set_payload_map(relay_side(from), map),
                MediaCommand::Hold { side, on_hold } => session.set_hold(relay_side(side), on_hold),
            }
            return Ok(());
        }
        CallOutput::Event(ev) => match ev {
            CallEvent::TrunkResult { trunk, destination, ok } => CoreCmd::TrunkResult { trunk, destination, ok },
            CallEvent::Ringing => {
                debug!("ringing");
                return Ok(());
            }
            CallEvent::Answered => {
                info!("answered");
                metrics::counter!("centralino_calls_answered_total").increment(1);
                return Ok(());
            }
            CallEvent::Ended { cause } => {
                let label = cause_label(&cause);
                info!(cause = label, "call ended");
                metrics::counter!("centralino_calls_ended_total", "cause" => label).increment(1);
                return Ok(());
            }
        },
    };
    core.send(cmd).await.map_err(|_| ())
}

fn relay_side(side: Side) -> media_relay::Side {
    match side {
        Side::A => media_relay::Side::A,
        Side::B => media_relay::Side::B,
    }
}

fn cause_label(cause: &HangupCause) -> &'static str {
    match cause {
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

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}
