//! Connecting a locally answered call to an agent (the ACD's offer): leg-B INVITEs to a
//! target plan with the codec already negotiated on leg A, parallel forks and failover
//! across groups, ring timeout and CANCEL (RFC 3261 §9.1, §13, §16.7, RFC 3264), and
//! the switch to a bridged call on the first 2xx [ACD-2, ACD-7].
//!
//! Leg A is already answered, so nothing of leg B is relayed to the caller as a
//! response: a failure leaves the call waiting on the engine, an answer stops the
//! playback and bridges the relay.

use std::time::{Duration, Instant};

use sdp_offer_answer::Direction;
use sip_dialog::dialog::Dialog;
use sip_dialog::session_timer;
use sip_message::{Request, Response, StatusCode};
use sip_transaction::Peer;

use crate::call::{Call, Confirmed, Local, Phase, Purpose};
use crate::disconnect::Requeue;
use crate::io::{CallEvent, CallOutput, ConnectFailure, MediaCommand, Side, TargetPlan};
use crate::legs::{self, Fork, ForkState};

/// A pending connect attempt of a locally answered call.
#[derive(Debug)]
pub(crate) struct Connecting {
    /// The attempt's number; responses to the forks of earlier attempts are stray.
    pub(crate) attempt: u32,
    plan: TargetPlan,
    /// The target group being rung.
    group: usize,
    /// The first of this attempt's forks in `Call::forks`.
    first_fork: usize,
    ring_deadline: Instant,
    /// `ConnectRinging` was reported for this attempt.
    ringing: bool,
    /// The final failure of each failed fork; `None` when it gave no response at all.
    failures: Vec<Option<StatusCode>>,
}

impl Call {
    /// Starts ringing `plan` for a locally answered call [ACD-2]. Ignored while an
    /// attempt is pending, once bridged, and on a call the engine did not answer.
    pub(crate) fn connect(&mut self, now: Instant, plan: TargetPlan, ring_timeout: Duration) {
        let Phase::Local(l) = &mut self.phase else {
            tracing::debug!("connect ignored: the call is not waiting on the engine");
            return;
        };
        if l.connect.is_some() {
            tracing::debug!("connect ignored: an attempt is already pending");
            return;
        }
        let Some(first_group) = next_group(&plan, 0) else {
            return self.emit(CallOutput::Event(CallEvent::ConnectFailed {
                cause: ConnectFailure::Unreachable,
            }));
        };
        l.attempts = l.attempts.saturating_add(1);
        let attempt = l.attempts;
        let (codec, te_pt, held) = (l.codec, l.te_pt, l.held);
        // Each attempt is a new dialog: its own From tag, so a phone rung twice never
        // takes the second INVITE for a merged request (RFC 3261 §8.2.2.2).
        self.b_from_tag = format!("{}-{attempt}", l.b_tag_base);
        // The codec the caller already uses, with its numbering: no transcoding and, if
        // the agent keeps the numbers, no payload rewrite either (RFC 3264 §5).
        let pt = self.a_codec_pt(codec);
        let direction = match (&self.a_summary, held) {
            (Some(s), true) => s.direction,
            _ => Direction::SendRecv,
        };
        self.b_offer = Some(
            self.b_sdp
                .offer(self.ports.b_port, &[(pt, codec)], te_pt, direction),
        );
        let first_fork = self.forks.len();
        if let Phase::Local(l) = &mut self.phase {
            l.connect = Some(Connecting {
                attempt,
                plan,
                group: first_group,
                first_fork,
                ring_deadline: now + ring_timeout,
                ringing: false,
                failures: Vec::new(),
            });
        }
        self.start_connect_group(now, first_group);
    }

    /// Abandons the pending attempt: CANCEL (RFC 3261 §9.1), `ConnectFailed{Cancelled}`.
    pub(crate) fn cancel_connect(&mut self) {
        self.connect_over(ConnectFailure::Cancelled);
    }

    /// Drops the pending attempt without an event, CANCELling its forks: the call itself
    /// is being released (its `Ended` says why).
    pub(crate) fn abandon_connect(&mut self, l: &mut Local) {
        if l.connect.take().is_some() {
            self.cancel_forks(None);
        }
    }

    /// Whether a connect attempt is pending.
    pub fn is_connecting(&self) -> bool {
        matches!(&self.phase, Phase::Local(l) if l.connect.is_some())
    }

    /// The next connect deadline: the ring timeout or a fork's no-response timeout.
    pub(crate) fn connect_deadline(&self) -> Option<Instant> {
        let Phase::Local(Local {
            connect: Some(c), ..
        }) = &self.phase
        else {
            return None;
        };
        let no_response = self
            .forks
            .iter()
            .skip(c.first_fork)
            .filter(|f| f.state == ForkState::Calling)
            .filter_map(|f| f.no_response_deadline)
            .min();
        Some(no_response.map_or(c.ring_deadline, |d| d.min(c.ring_deadline)))
    }

    /// Connect timers: silent forks are given up (the next group is tried), and the
    /// ring timeout CANCELs the attempt [ACD-7].
    pub(crate) fn connect_timers(&mut self, now: Instant) {
        let (first, deadline) = match &self.phase {
            Phase::Local(Local {
                connect: Some(c), ..
            }) => (c.first_fork, c.ring_deadline),
            _ => return,
        };
        let silent: Vec<usize> = self
            .forks
            .iter()
            .enumerate()
            .skip(first)
            .filter(|(_, f)| {
                f.state == ForkState::Calling && f.no_response_deadline.is_some_and(|d| now >= d)
            })
            .map(|(i, _)| i)
            .collect();
        for i in silent {
            let Some(f) = self.forks.get_mut(i) else {
                continue;
            };
            f.no_response_deadline = None;
            let req = f.req;
            self.connect_fork_failed(now, i, None, true);
            // Stop the INVITE's retransmissions too.
            self.emit(CallOutput::Cancel { req });
        }
        if now >= deadline && self.is_connecting() {
            self.connect_over(ConnectFailure::NoAnswer);
        }
    }

    /// A response to a connect INVITE of attempt `attempt`, fork `i`.
    pub(crate) fn connect_response(
        &mut self,
        now: Instant,
        attempt: u32,
        i: usize,
        response: Response,
    ) {
        if !self.connect_active(attempt, i) {
            // An attempt already decided (CANCEL crossing a 2xx, another fork won, the
            // caller left): a 2xx still makes a dialog, which is ACKed and hung up.
            if response.status.is_success()
                && let Some((mut b, _, peer, _)) = self.ack_b_answer(i, &response)
            {
                self.send_bye_b_dialog(&mut b, peer);
            }
            return;
        }
        if let Some(f) = self.forks.get_mut(i) {
            f.no_response_deadline = None;
        }
        let status = response.status;
        if status.is_provisional() {
            if status == StatusCode::TRYING {
                return;
            }
            if let Some(f) = self.forks.get_mut(i) {
                f.state = ForkState::Ringing;
            }
            if let Phase::Local(Local {
                connect: Some(c), ..
            }) = &mut self.phase
                && !c.ringing
            {
                c.ringing = true;
                self.emit(CallOutput::Event(CallEvent::ConnectRinging));
            }
        } else if status.is_success() {
            self.connect_answered(now, i, response);
        } else {
            let retry = matches!(status.0, 408 | 500 | 502 | 503 | 504);
            self.connect_fork_failed(now, i, Some(status), retry);
        }
    }

    /// A connect INVITE timed out or could not be sent.
    pub(crate) fn connect_request_failed(&mut self, now: Instant, attempt: u32, i: usize) {
        if self.connect_active(attempt, i) {
            self.connect_fork_failed(now, i, None, true);
        }
    }

    /// Fork `i` of the pending attempt is still ringing (or trying).
    fn connect_active(&self, attempt: u32, i: usize) -> bool {
        let pending = matches!(&self.phase, Phase::Local(Local { connect: Some(c), .. }) if c.attempt == attempt);
        pending
            && self
                .forks
                .get(i)
                .is_some_and(|f| matches!(f.state, ForkState::Calling | ForkState::Ringing))
    }

    /// Rings every target of group `g` of the pending attempt in parallel.
    fn start_connect_group(&mut self, now: Instant, g: usize) {
        let (targets, attempt) = match &mut self.phase {
            Phase::Local(Local {
                connect: Some(c), ..
            }) => {
                c.group = g;
                (c.plan.groups.get(g).cloned().unwrap_or_default(), c.attempt)
            }
            _ => return,
        };
        for target in targets {
            let invite = self.b_invite(&target.uri);
            let fork = self.forks.len();
            let req = self.new_req(Purpose::Connect { attempt, fork });
            self.emit(CallOutput::Send {
                req,
                request: invite.clone(),
                to: target.peer,
            });
            self.forks.push(Fork {
                req,
                target,
                invite,
                state: ForkState::Calling,
                no_response_deadline: Some(now + self.cfg.no_response_timeout),
            });
        }
    }

    /// Fork `i` failed with `status` (`None`: no response at all). When its whole group
    /// failed, the next group is tried if every failure is worth a retry [TEL-2];
    /// otherwise the attempt is over.
    fn connect_fork_failed(
        &mut self,
        now: Instant,
        i: usize,
        status: Option<StatusCode>,
        retry: bool,
    ) {
        let Some(f) = self.forks.get_mut(i) else {
            return;
        };
        if !matches!(f.state, ForkState::Calling | ForkState::Ringing) {
            return;
        }
        f.state = ForkState::Failed { retry };
        if let Some(trunk) = f.target.trunk {
            let destination = f.target.peer.addr;
            self.emit(CallOutput::Event(CallEvent::TrunkResult {
                trunk,
                destination,
                ok: !retry,
            }));
        }
        if status.is_some_and(|s| s.0 >= 600) {
            // A global failure ends every branch (RFC 3261 §16.7 step 5).
            self.cancel_forks(None);
        }
        let Phase::Local(Local {
            connect: Some(c), ..
        }) = &mut self.phase
        else {
            return;
        };
        c.failures.push(status);
        let mine = || self.forks.iter().skip(c.first_fork);
        let group_over =
            mine().all(|f| matches!(f.state, ForkState::Failed { .. } | ForkState::Cancelled));
        let all_retry = mine().all(|f| matches!(f.state, ForkState::Failed { retry: true }));
        if !group_over {
            return;
        }
        let next = c.group.checked_add(1).and_then(|g| next_group(&c.plan, g));
        if all_retry && let Some(next) = next {
            return self.start_connect_group(now, next);
        }
        let cause = failure_of(&c.failures);
        self.connect_over(cause);
    }

    /// The agent answered: ACK, CANCEL the other forks, and bridge the relay (stop the
    /// playback to the caller, B's address, payload rewrites) [ACD-2]. A 2xx without a
    /// usable SDP answer is ACKed and hung up (RFC 3264 §6, 488).
    fn connect_answered(&mut self, now: Instant, i: usize, response: Response) {
        let Some((mut b, ack, ack_peer, fork)) = self.ack_b_answer(i, &response) else {
            // A 2xx no dialog can be built from: nothing sane to ACK.
            return self.connect_fork_failed(now, i, Some(StatusCode(502)), false);
        };
        if let Some(f) = self.forks.get_mut(i) {
            f.state = ForkState::Answered;
        }
        self.cancel_forks(Some(i));
        if let Some(trunk) = fork.target.trunk {
            let destination = fork.target.peer.addr;
            self.emit(CallOutput::Event(CallEvent::TrunkResult {
                trunk,
                destination,
                ok: true,
            }));
        }
        let negotiated = match (legs::response_sdp(&response), &self.b_offer) {
            (Some(answer), Some(offer)) => {
                sdp_offer_answer::negotiated_from_answer(offer, &answer).ok()
            }
            _ => None,
        };
        let Some(n) = negotiated else {
            self.send_bye_b_dialog(&mut b, ack_peer);
            return self.connect_over(ConnectFailure::Rejected(StatusCode::NOT_ACCEPTABLE_HERE));
        };
        let Phase::Local(l) = std::mem::replace(&mut self.phase, Phase::Done) else {
            return;
        };
        self.media(MediaCommand::Stop { side: Side::A });
        if let Some(rtp) = n.remote_rtp {
            self.media(MediaCommand::SetRemote { side: Side::B, rtp });
        }
        if l.released_b.is_some() {
            // `Disconnect` left side B on hold for the released agent [ACD-6].
            self.media(MediaCommand::Hold {
                side: Side::B,
                on_hold: false,
            });
        }
        self.payload_maps(n.codec, n.payload_type, n.telephone_event_pt);
        if let Some(cfg) = &self.cfg.session_timer {
            // Held to our minimum interval, as for a bridged call (RFC 4028 §4).
            let t = session_timer::negotiate_uac(&response.headers, cfg, now);
            self.b_timer = Some(session_timer::SessionTimer::new(
                t.interval.max(cfg.min_se),
                t.refresher,
                now,
            ));
        }
        self.phase = Phase::Confirmed(Box::new(Confirmed {
            b,
            b_peer: fork.target.peer,
            b_ack: ack,
            b_ack_peer: ack_peer,
            b_answer_req: fork.req,
            codec: n.codec,
            codec_pt: n.payload_type,
            b_telephone_event_pt: n.telephone_event_pt,
            pending: None,
            a_acked: l.a_acked,
            a_held: l.held,
            b_held: false,
            requeue: Some(Requeue {
                attempts: l.attempts,
                b_tag_base: l.b_tag_base,
                te_pt: l.te_pt,
            }),
        }));
        self.emit(CallOutput::Event(CallEvent::Connected));
    }

    /// Ends the pending attempt with `cause`: CANCELs what still rings (RFC 3261 §9.1)
    /// and reports `ConnectFailed` once; the caller keeps waiting [ACD-7].
    fn connect_over(&mut self, cause: ConnectFailure) {
        let Phase::Local(l) = &mut self.phase else {
            return;
        };
        if l.connect.take().is_none() {
            return;
        }
        self.cancel_forks(None);
        self.emit(CallOutput::Event(CallEvent::ConnectFailed { cause }));
    }

    /// ACKs a 2xx to fork `i` (RFC 3261 §13.2.2.4); the dialog, the ACK, where it went
    /// and the fork.
    fn ack_b_answer(
        &mut self,
        i: usize,
        response: &Response,
    ) -> Option<(Dialog, Request, Peer, Fork)> {
        let fork = self.forks.get(i)?.clone();
        let b = Dialog::new_uac(&fork.invite, response).ok()?;
        let invite_cseq = fork.invite.headers.cseq().map(|c| c.seq).unwrap_or(1);
        let ack = b.ack(invite_cseq);
        let to = legs::resolve(b.next_hop(), fork.target.peer);
        self.emit(CallOutput::SendAck {
            request: ack.clone(),
            to,
        });
        Some((b, ack, to, fork))
    }
}

/// The first group at or after `from` with a target in it.
fn next_group(plan: &TargetPlan, from: usize) -> Option<usize> {
    plan.groups
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, g)| !g.is_empty())
        .map(|(i, _)| i)
}

/// Why an attempt whose every fork failed is over: unreachable when nobody answered at
/// all; otherwise the most telling status (a 6xx, then busy, then the first other
/// failure; RFC 3261 §16.7 step 6).
fn failure_of(failures: &[Option<StatusCode>]) -> ConnectFailure {
    let answered: Vec<StatusCode> = failures.iter().flatten().copied().collect();
    let pick = answered
        .iter()
        .find(|s| s.0 >= 600)
        .or_else(|| answered.iter().find(|s| **s == StatusCode::BUSY_HERE))
        .or_else(|| answered.iter().find(|s| !matches!(s.0, 401 | 407 | 408)))
        .or_else(|| answered.first());
    match pick {
        Some(s) => ConnectFailure::Rejected(*s),
        None => ConnectFailure::Unreachable,
    }
}
