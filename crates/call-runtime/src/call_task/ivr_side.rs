//! The call task's side of an IVR call (`to = "ivr:NAME"`) [IVR-1..3, IVR-6, TEL-4, VM-1]:
//! it feeds the script's run with the call's events (answer, playback ends, keys, the
//! calendar's answer, a transfer's result) and carries out its actions — prompts, the
//! schedule query, the operator request for the register, the hand-off to a queue or a
//! voicemail box, a transfer to an office through the PBX, a callback request.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use call_control::io::{CallEvent, CallInput};
use ivr_script::{BargeIn, Destination, IvrAction, IvrInput, Run, Script};
use tokio::sync::mpsc;
use tracing::{debug, info};

use super::CallCtx;
use crate::queue_call::{QueueCall, QueueStep};

use crate::{CoreCmd, now};

/// A running script and what it waits for.
pub(super) struct IvrSide {
    run: Run,
    /// A transfer is ringing: its result goes back to the script.
    transferring: bool,
}

/// What the IVR hands the call over to.
pub(super) enum HandOff {
    /// Into a queue or a voicemail box (the queue driver takes the call), with its first steps.
    Queue(QueueCall, Vec<QueueStep>),
}

impl IvrSide {
    pub(super) fn new(script: Arc<Script>, caller: &str, now: Instant) -> IvrSide {
        IvrSide { run: Run::new(script, caller, now), transferring: false }
    }

    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        self.run.poll_timeout()
    }

    /// The script's input for a call event, if it has one.
    pub(super) fn input_for(&mut self, ev: &CallEvent) -> Option<IvrInput> {
        match ev {
            CallEvent::Answered => Some(IvrInput::Started),
            CallEvent::PlaybackDone { completed } => Some(IvrInput::PlaybackDone { completed: *completed }),
            CallEvent::Dtmf { digit, .. } => Some(IvrInput::Digit(*digit)),
            CallEvent::Ended { .. } => Some(IvrInput::CallerHungUp),
            CallEvent::Connected if self.transferring => {
                self.transferring = false;
                Some(IvrInput::HandedOff)
            }
            CallEvent::ConnectFailed { cause } if self.transferring => {
                self.transferring = false;
                debug!(?cause, "office not reached");
                Some(IvrInput::TransferFailed)
            }
            _ => None,
        }
    }
}

impl CallCtx<'_> {
    /// Feeds `input` to the script and carries out its actions: inputs for the call, and a
    /// hand-off when the script gave the call to a queue or a voicemail box. `None` for
    /// `ivr` means the script finished.
    pub(super) async fn ivr_steps(
        &self,
        ivr: &mut Option<IvrSide>,
        input: IvrInput,
        core: &mpsc::Sender<CoreCmd>,
        mut register: Option<&mut crate::register::CallRegister>,
    ) -> (Vec<CallInput>, Option<HandOff>) {
        let mut out = Vec::new();
        let mut handoff = None;
        let Some(side) = ivr.as_mut() else { return (out, None) };
        if input == IvrInput::HandedOff {
            // The office answered: the call left the engine's operators [TEL-4].
            if let Some(r) = register.as_deref_mut() {
                r.transferred_out();
            }
        }
        side.run.handle(input, now());
        let mut finished = false;
        while let Some(action) = side.run.poll_action() {
            match action {
                IvrAction::Play { prompts, barge_in } => out.push(CallInput::Play { prompts, barge_in: barge_in == BargeIn::Allowed }),
                IvrAction::StopPlayback => out.push(CallInput::StopPlayback),
                IvrAction::QuerySchedule { service } => {
                    let status = self.shared.schedules.status(&service, SystemTime::now());
                    side.run.handle(IvrInput::CalendarStatus(status), now());
                }
                IvrAction::MarkOperatorRequested => {
                    if let Some(r) = register.as_deref_mut() {
                        r.operator_requested(SystemTime::now());
                    }
                }
                IvrAction::Enqueue { queue, priority } => {
                    info!(queue = %queue, "IVR: to the queue");
                    if let Some(r) = register.as_deref_mut() {
                        r.queued(&queue);
                    }
                    *super::lock(&self.info.queue) = Some(queue.clone());
                    let (call, steps) = QueueCall::joined(acd_engine::CallId(self.key.0), &queue, self.info.channel, priority);
                    handoff = Some(HandOff::Queue(call, steps));
                }
                IvrAction::Voicemail { mailbox } => {
                    info!(mailbox = %mailbox, "IVR: to voicemail");
                    let (call, steps) = QueueCall::voicemail(acd_engine::CallId(self.key.0), &mailbox, self.info.channel);
                    handoff = Some(HandOff::Queue(call, steps));
                    side.run.handle(IvrInput::HandedOff, now());
                }
                IvrAction::Transfer { destination } => {
                    let number = match &destination {
                        Destination::Extension(n) | Destination::Office(n) | Destination::External(n) => n.clone(),
                    };
                    match super::route_of(core, number).await {
                        None => {
                            debug!("IVR transfer: no route");
                            side.run.handle(IvrInput::TransferFailed, now());
                        }
                        Some(plan) => {
                            info!("IVR: transfer to an office");
                            side.transferring = true;
                            out.push(CallInput::Connect { plan, ring_timeout: super::TRANSFER_RING });
                        }
                    }
                }
                IvrAction::Callback { number, about } => {
                    if let Some(r) = register.as_deref_mut() {
                        r.callback_requested(&number, about.as_deref(), SystemTime::now());
                    }
                }
                IvrAction::Hangup => out.push(CallInput::Hangup),
                IvrAction::Finished => finished = true,
            }
        }
        if finished || handoff.is_some() {
            *ivr = None;
        }
        (out, handoff)
    }
}
