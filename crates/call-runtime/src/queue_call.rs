//! A queue call (`to = "queue:NAME"`): the engine answers, welcomes the caller, puts it in
//! the ACD queue with music on hold, says its position and expected wait when the ACD asks
//! [IVR-5], rings the agent the ACD chose and bridges on answer; a ring that fails hands the
//! caller back to the ACD, which keeps its place [ACD-1..3, ACD-7, CTI-3].
//!
//! Out of hours (or in the drain window, or under a closing override) the caller hears the
//! closed message with the service hours and leaves a voicemail instead: beep, record until
//! `#`, hang-up or two minutes [IVR-7, VM-1].
//!
//! The driver is a plain state machine: the call task feeds it the call's events and the
//! ACD's decisions and carries out the `QueueStep`s it returns.

use std::time::{Duration, Instant};

use acd_engine::{AcdInput, AgentId, CallId, OfferFailure};
use call_control::io::{CallEvent, CallInput, ConnectFailure};
use prompt_phrases::{Language, expected_wait, queue_position};

use crate::acd_task::AcdEvent;

/// What the call task must do for the queue call.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // short-lived, a handful per event
pub(crate) enum QueueStep {
    /// Feed the call.
    Call(CallInput),
    /// Tell the ACD.
    Acd(AcdInput),
    /// Join the ACD queue (once, after the answer) with this priority.
    Join { priority: u8 },
    /// Loop the music on hold to the caller.
    Music,
    /// Look up the agent's phones and ring them (`Connect`), for `ring_timeout`.
    Ring { agent: String, waited: Duration },
    /// The agent answered: the conversation starts (register, CTI).
    Talking { agent: String },
    /// The expected wait was announced: store it next to the real wait [IVR-5].
    AnnouncedWait(Duration),
    /// Put the caller through to this external number (a queue exit) [TEL-6].
    TransferOut(String),
    /// The external destination answered: the call left the engine.
    TransferredOut,
    /// Record the caller's message (after the beep) [VM-1].
    StartVoicemail,
    /// Stop recording and file the message with its ticket [VM-1, CRM-3].
    StopVoicemail,
}

/// The longest voicemail message (demo contract: 2 minutes).
pub(crate) const VOICEMAIL_MAX: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Not answered yet.
    Setup,
    /// In the queue (hearing the welcome, music or an announcement).
    Waiting,
    /// An agent's phone rings (the caller still hears music).
    Ringing { agent: String },
    /// Bridged to the agent.
    Connected { agent: String },
    /// Closed: the closed message, the hours and the voicemail invitation play.
    Closed,
    /// Recording a voicemail until this instant.
    Recording { until: Instant },
    /// Leaving: a message then hang-up.
    Leaving,
    /// Put through to an external destination (the secondary site) [TEL-6].
    TransferringOut,
    /// Over.
    Done,
}

/// The state of one queue call.
#[derive(Debug)]
pub(crate) struct QueueCall {
    /// The ACD's number for this call.
    pub(crate) id: CallId,
    /// The queue.
    pub(crate) queue: String,
    /// The welcome prompt (`it/benvenuto_numero_verde`…).
    welcome: String,
    phase: Phase,
    /// A prompt list is playing (welcome, announcement, exit message).
    speaking: bool,
    /// An announcement that arrived while speaking, said next.
    pending_announcement: Option<Vec<String>>,
    /// The service is closed: voicemail instead of the queue.
    closed: bool,
    /// The service hours prompt (`it/orari_numero_verde`…).
    hours: String,
    /// The voicemail box messages go to.
    pub(crate) mailbox: String,
}

impl QueueCall {
    /// A queue call; `closed` when the service is out of hours (voicemail instead).
    pub(crate) fn new(id: CallId, queue: &str, channel: &str, closed: bool) -> QueueCall {
        let (welcome, hours) = match channel {
            "verde" => ("it/benvenuto_numero_verde", "it/orari_numero_verde"),
            "centralino" => ("it/benvenuto_centralino", "it/orari_centralino"),
            _ => ("it/benvenuto", "it/orari"),
        };
        QueueCall {
            id,
            queue: queue.to_owned(),
            welcome: welcome.to_owned(),
            phase: Phase::Setup,
            speaking: false,
            pending_announcement: None,
            closed,
            hours: hours.to_owned(),
            mailbox: channel.to_owned(),
        }
    }

    /// A caller the IVR already welcomed joins `queue`: straight in, with music [IVR-1].
    pub(crate) fn joined(id: CallId, queue: &str, channel: &str, priority: u8) -> (QueueCall, Vec<QueueStep>) {
        let mut q = QueueCall::new(id, queue, channel, false);
        q.phase = Phase::Waiting;
        (q, vec![QueueStep::Join { priority }, QueueStep::Music])
    }

    /// The IVR sends the caller to voicemail box `mailbox`: the invitation, the beep, then
    /// the message [VM-1].
    pub(crate) fn voicemail(id: CallId, mailbox: &str, channel: &str) -> (QueueCall, Vec<QueueStep>) {
        let mut q = QueueCall::new(id, mailbox, channel, true);
        q.mailbox = mailbox.to_owned();
        q.phase = Phase::Closed;
        q.speaking = true;
        let prompts = vec!["it/segreteria".to_owned(), "it/beep".to_owned()];
        (q, vec![QueueStep::Call(CallInput::Play { prompts, barge_in: false })])
    }

    /// Whether the service was closed for this call (voicemail).
    pub(crate) fn closed(&self) -> bool {
        self.closed
    }

    /// When the running voicemail must stop.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Recording { until } => Some(until),
            _ => None,
        }
    }

    /// Time passed: a voicemail at its maximum length ends like a `#`.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<QueueStep> {
        match self.phase {
            Phase::Recording { until } if now >= until => self.end_voicemail(),
            _ => Vec::new(),
        }
    }

    fn end_voicemail(&mut self) -> Vec<QueueStep> {
        self.phase = Phase::Leaving;
        self.speaking = true;
        vec![
            QueueStep::StopVoicemail,
            QueueStep::Call(CallInput::Play { prompts: vec!["it/messaggio_registrato".into(), "it/arrivederci".into()], barge_in: false }),
        ]
    }


    /// An event of the call.
    pub(crate) fn on_call_event(&mut self, ev: &CallEvent, now: Instant) -> Vec<QueueStep> {
        match ev {
            CallEvent::Answered if self.phase == Phase::Setup && self.closed => {
                // Closed: the hours, then a message after the beep [IVR-7, VM-1].
                self.phase = Phase::Closed;
                self.speaking = true;
                let prompts = ["it/chiuso", self.hours.as_str(), "it/segreteria", "it/beep"].map(str::to_owned).to_vec();
                vec![QueueStep::Call(CallInput::Play { prompts, barge_in: false })]
            }
            CallEvent::PlaybackDone { .. } if self.phase == Phase::Closed => {
                self.speaking = false;
                self.phase = Phase::Recording { until: now + VOICEMAIL_MAX };
                vec![QueueStep::StartVoicemail]
            }
            CallEvent::Dtmf { digit: '#', .. } if matches!(self.phase, Phase::Recording { .. }) => self.end_voicemail(),
            CallEvent::Ended { .. } if matches!(self.phase, Phase::Recording { .. }) => {
                // The caller hung up to end the message: it is kept.
                self.phase = Phase::Done;
                vec![QueueStep::StopVoicemail]
            }
            CallEvent::Answered if self.phase == Phase::Setup => {
                // Join at once: the wait counts from the answer and an agent found during
                // the welcome connects without waiting for it to end [IVR-5].
                self.phase = Phase::Waiting;
                self.speaking = true;
                vec![QueueStep::Join { priority: 0 }, QueueStep::Call(CallInput::Play { prompts: vec![self.welcome.clone()], barge_in: false })]
            }
            CallEvent::PlaybackDone { .. } => {
                self.speaking = false;
                match self.phase {
                    Phase::Leaving => {
                        self.phase = Phase::Done;
                        vec![QueueStep::Call(CallInput::Hangup)]
                    }
                    Phase::Waiting | Phase::Ringing { .. } => match self.pending_announcement.take() {
                        Some(prompts) => {
                            self.speaking = true;
                            vec![QueueStep::Call(CallInput::Play { prompts, barge_in: false })]
                        }
                        None => vec![QueueStep::Music],
                    },
                    _ => Vec::new(),
                }
            }
            CallEvent::Connected => match std::mem::replace(&mut self.phase, Phase::Done) {
                Phase::Ringing { agent } => {
                    self.phase = Phase::Connected { agent: agent.clone() };
                    self.speaking = false;
                    self.pending_announcement = None;
                    vec![
                        QueueStep::Acd(AcdInput::OfferAnswered { call: self.id, agent: AgentId::new(agent.as_str()) }),
                        QueueStep::Talking { agent },
                    ]
                }
                Phase::TransferringOut => vec![QueueStep::TransferredOut],
                other => {
                    self.phase = other;
                    Vec::new()
                }
            },
            CallEvent::ConnectFailed { cause } => match std::mem::replace(&mut self.phase, Phase::Waiting) {
                Phase::Ringing { agent } => {
                    let reason = match cause {
                        // We cancelled because the ACD withdrew the offer: it knows.
                        ConnectFailure::Cancelled => return Vec::new(),
                        ConnectFailure::NoAnswer => OfferFailure::NoAnswer,
                        ConnectFailure::Rejected(_) => OfferFailure::Rejected,
                        ConnectFailure::Unreachable => OfferFailure::Unreachable,
                    };
                    vec![QueueStep::Acd(AcdInput::OfferFailed { call: self.id, agent: AgentId::new(agent.as_str()), reason })]
                }
                Phase::TransferringOut => self.transfer_out_failed(),
                other => {
                    self.phase = other;
                    Vec::new()
                }
            },
            CallEvent::Ended { .. } => {
                let step = match &self.phase {
                    Phase::Connected { .. } => Some(AcdInput::CallEnded { call: self.id }),
                    Phase::Waiting | Phase::Ringing { .. } => Some(AcdInput::CallerLeft { call: self.id }),
                    Phase::Leaving if !self.closed => Some(AcdInput::CallerLeft { call: self.id }),
                    Phase::Setup | Phase::Done | Phase::Closed | Phase::Recording { .. } | Phase::Leaving | Phase::TransferringOut => None,
                };
                self.phase = Phase::Done;
                step.map(QueueStep::Acd).into_iter().collect()
            }
            // Back from the agent (a transfer): music until the next agent answers.
            CallEvent::Disconnected if self.phase == Phase::Waiting => vec![QueueStep::Music],
            CallEvent::Dtmf { digit, .. } if matches!(self.phase, Phase::Waiting | Phase::Ringing { .. }) => {
                vec![QueueStep::Acd(AcdInput::CallerKey { call: self.id, key: *digit })]
            }
            _ => Vec::new(),
        }
    }

    /// A transfer to `queue` (level I → level II) of a caller talking to an agent: the
    /// caller waits in the new queue, keeping its original arrival [ACD-6]. `None` when
    /// the caller is not talking to an agent.
    pub(crate) fn transfer(&mut self, queue: &str) -> Option<Vec<QueueStep>> {
        let Phase::Connected { .. } = self.phase else { return None };
        self.phase = Phase::Waiting;
        self.queue = queue.to_owned();
        self.speaking = false;
        Some(vec![QueueStep::Acd(AcdInput::TransferToQueue { call: self.id, queue: acd_engine::QueueName::new(queue), priority: 0 })])
    }

    /// A decision of the ACD about this call.
    pub(crate) fn on_acd_event(&mut self, ev: AcdEvent) -> Vec<QueueStep> {
        match ev {
            AcdEvent::Offer { agent, waited } if self.phase == Phase::Waiting => {
                self.phase = Phase::Ringing { agent: agent.clone() };
                vec![QueueStep::Ring { agent, waited }]
            }
            AcdEvent::Offer { agent, .. } => {
                // Not waiting any more (ringing someone else, leaving): refuse at once.
                vec![QueueStep::Acd(AcdInput::OfferFailed { call: self.id, agent: AgentId::new(agent), reason: OfferFailure::Unreachable })]
            }
            AcdEvent::CancelOffer { agent } => match &self.phase {
                Phase::Ringing { agent: ringing } if *ringing == agent => vec![QueueStep::Call(CallInput::CancelConnect)],
                _ => Vec::new(),
            },
            AcdEvent::Announce { position, expected_wait: wait } => {
                if !matches!(self.phase, Phase::Waiting) {
                    return Vec::new();
                }
                let prompts = announcement(position, wait);
                let mut steps: Vec<QueueStep> = wait.map(QueueStep::AnnouncedWait).into_iter().collect();
                if self.speaking {
                    self.pending_announcement = Some(prompts);
                } else {
                    self.speaking = true;
                    steps.push(QueueStep::Call(CallInput::Play { prompts, barge_in: false }));
                }
                steps
            }
            AcdEvent::Exit { action } => {
                // The ACD took the caller out of the queue (max wait, max length, no agents,
                // the exit key) [ACD-7, TEL-6]: voicemail, the secondary site, or a message
                // and goodbye. A callback exit keeps the caller's place in the ACD and needs an
                // outbound call, which the engine does not place yet: goodbye.
                tracing::info!(?action, "caller leaves the queue");
                let mut steps = Vec::new();
                if matches!(self.phase, Phase::Ringing { .. }) {
                    steps.push(QueueStep::Call(CallInput::CancelConnect));
                }
                // Not queued any more: nothing to tell the ACD at the end.
                self.closed = true;
                self.pending_announcement = None;
                self.speaking = true;
                match action {
                    acd_engine::ExitAction::Voicemail(mailbox) => {
                        self.mailbox = mailbox;
                        self.phase = Phase::Closed;
                        let prompts = vec!["it/segreteria".to_owned(), "it/beep".to_owned()];
                        steps.push(QueueStep::Call(CallInput::Play { prompts, barge_in: false }));
                    }
                    acd_engine::ExitAction::External(number) => {
                        self.phase = Phase::TransferringOut;
                        self.speaking = false;
                        steps.push(QueueStep::TransferOut(number));
                    }
                    acd_engine::ExitAction::MessageAndHangup(prompt) => {
                        self.phase = Phase::Leaving;
                        steps.push(QueueStep::Call(CallInput::Play { prompts: vec![prompt], barge_in: false }));
                    }
                    acd_engine::ExitAction::Queue(_) | acd_engine::ExitAction::Callback => {
                        self.phase = Phase::Leaving;
                        steps.push(QueueStep::Call(CallInput::Play { prompts: vec!["it/arrivederci".into()], barge_in: false }));
                    }
                }
                steps
            }
        }
    }

    /// The secondary site could not be reached: goodbye.
    pub(crate) fn transfer_out_failed(&mut self) -> Vec<QueueStep> {
        self.phase = Phase::Leaving;
        self.speaking = true;
        vec![QueueStep::Call(CallInput::Play { prompts: vec!["it/arrivederci".into()], barge_in: false })]
    }

    /// The agent's phones could not be looked up or there are none.
    pub(crate) fn ring_impossible(&mut self, agent: &str) -> Vec<QueueStep> {
        self.phase = Phase::Waiting;
        vec![QueueStep::Acd(AcdInput::OfferFailed { call: self.id, agent: AgentId::new(agent), reason: OfferFailure::Unreachable })]
    }
}

/// "Sei il numero 3 in coda. L'attesa prevista è di circa 2 minuti." [IVR-5]
fn announcement(position: usize, wait: Option<Duration>) -> Vec<String> {
    let position = u32::try_from(position).unwrap_or(u32::MAX);
    let mut prompts: Vec<String> = queue_position(Language::It, position).iter().map(|p| p.path()).collect();
    if let Some(w) = wait {
        let secs = u32::try_from(w.as_secs()).unwrap_or(u32::MAX);
        prompts.extend(expected_wait(Language::It, secs).iter().map(|p| p.path()));
    }
    prompts
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip_message::StatusCode;

    fn answered() -> QueueCall {
        let mut q = QueueCall::new(CallId(7), "verde", "verde", false);
        let steps = q.on_call_event(&CallEvent::Answered, Instant::now());
        assert_eq!(steps[0], QueueStep::Join { priority: 0 });
        assert!(matches!(&steps[1], QueueStep::Call(CallInput::Play { prompts, .. }) if prompts == &["it/benvenuto_numero_verde"]));
        q
    }

    #[test]
    fn acd_7_welcome_then_music_then_announcement_then_music() {
        let mut q = answered();
        assert_eq!(q.on_call_event(&CallEvent::PlaybackDone { completed: true }, Instant::now()), vec![QueueStep::Music]);
        let steps = q.on_acd_event(AcdEvent::Announce { position: 3, expected_wait: Some(Duration::from_secs(120)) });
        assert_eq!(steps[0], QueueStep::AnnouncedWait(Duration::from_secs(120)), "[IVR-5] the announced wait is kept");
        let QueueStep::Call(CallInput::Play { prompts, .. }) = &steps[1] else { panic!("{steps:?}") };
        assert_eq!(prompts[0], "it/sei_il_numero");
        assert!(prompts.len() > 3, "position and wait: {prompts:?}");
        assert_eq!(q.on_call_event(&CallEvent::PlaybackDone { completed: true }, Instant::now()), vec![QueueStep::Music]);
    }

    #[test]
    fn ivr_5_an_announcement_during_the_welcome_waits_for_it() {
        let mut q = answered();
        assert!(q.on_acd_event(AcdEvent::Announce { position: 2, expected_wait: None }).is_empty());
        let steps = q.on_call_event(&CallEvent::PlaybackDone { completed: true }, Instant::now());
        assert!(matches!(&steps[0], QueueStep::Call(CallInput::Play { prompts, .. }) if prompts[0] == "it/sei_il_numero"));
    }

    #[test]
    fn acd_2_an_offer_rings_and_the_answer_connects() {
        let mut q = answered();
        let steps = q.on_acd_event(AcdEvent::Offer { agent: "2001".into(), waited: Duration::from_secs(4) });
        assert_eq!(steps, vec![QueueStep::Ring { agent: "2001".into(), waited: Duration::from_secs(4) }]);
        // No announcement while the agent's phone rings.
        assert!(q.on_acd_event(AcdEvent::Announce { position: 1, expected_wait: None }).is_empty());
        let steps = q.on_call_event(&CallEvent::Connected, Instant::now());
        assert_eq!(steps[0], QueueStep::Acd(AcdInput::OfferAnswered { call: CallId(7), agent: AgentId::new("2001") }));
        assert_eq!(q.phase, Phase::Connected { agent: "2001".into() });
        let steps = q.on_call_event(&CallEvent::Ended { cause: call_control::io::HangupCause::CalleeHangup }, Instant::now());
        assert_eq!(steps, vec![QueueStep::Acd(AcdInput::CallEnded { call: CallId(7) })]);
    }

    #[test]
    fn acd_2_a_refused_ring_goes_back_to_the_acd_and_a_withdrawn_one_does_not() {
        let mut q = answered();
        q.on_acd_event(AcdEvent::Offer { agent: "2001".into(), waited: Duration::ZERO });
        let steps = q.on_call_event(&CallEvent::ConnectFailed { cause: ConnectFailure::Rejected(StatusCode::BUSY_HERE) }, Instant::now());
        assert_eq!(
            steps,
            vec![QueueStep::Acd(AcdInput::OfferFailed { call: CallId(7), agent: AgentId::new("2001"), reason: OfferFailure::Rejected })]
        );
        q.on_acd_event(AcdEvent::Offer { agent: "2002".into(), waited: Duration::ZERO });
        assert_eq!(q.on_acd_event(AcdEvent::CancelOffer { agent: "2002".into() }), vec![QueueStep::Call(CallInput::CancelConnect)]);
        assert!(q.on_call_event(&CallEvent::ConnectFailed { cause: ConnectFailure::Cancelled }, Instant::now()).is_empty());
        // The caller hangs up while waiting: it left the queue.
        let steps = q.on_call_event(&CallEvent::Ended { cause: call_control::io::HangupCause::CallerHangup }, Instant::now());
        assert_eq!(steps, vec![QueueStep::Acd(AcdInput::CallerLeft { call: CallId(7) })]);
    }

    #[test]
    fn vm_1_closed_service_takes_a_message_until_hash() {
        let t0 = Instant::now();
        let mut q = QueueCall::new(CallId(9), "verde", "verde", true);
        let steps = q.on_call_event(&CallEvent::Answered, t0);
        assert!(matches!(&steps[0], QueueStep::Call(CallInput::Play { prompts, .. })
            if prompts == &["it/chiuso", "it/orari_numero_verde", "it/segreteria", "it/beep"]), "{steps:?}");
        assert_eq!(q.on_call_event(&CallEvent::PlaybackDone { completed: true }, t0), vec![QueueStep::StartVoicemail]);
        assert_eq!(q.poll_timeout(), Some(t0 + VOICEMAIL_MAX));
        let hash = CallEvent::Dtmf { digit: '#', via: call_control::io::DtmfSource::Rfc4733 };
        let steps = q.on_call_event(&hash, t0);
        assert_eq!(steps[0], QueueStep::StopVoicemail);
        assert_eq!(q.on_call_event(&CallEvent::PlaybackDone { completed: true }, t0), vec![QueueStep::Call(CallInput::Hangup)]);
        // Never queued: nothing for the ACD at the end.
        assert!(q.on_call_event(&CallEvent::Ended { cause: call_control::io::HangupCause::CallerHangup }, t0).is_empty());
    }

    #[test]
    fn vm_1_a_hang_up_or_two_minutes_end_the_message_too() {
        let t0 = Instant::now();
        let mut q = QueueCall::new(CallId(9), "centralino", "centralino", true);
        q.on_call_event(&CallEvent::Answered, t0);
        q.on_call_event(&CallEvent::PlaybackDone { completed: true }, t0);
        assert!(q.on_timeout(t0 + Duration::from_secs(119)).is_empty());
        assert_eq!(q.on_timeout(t0 + VOICEMAIL_MAX)[0], QueueStep::StopVoicemail);
        let mut q = QueueCall::new(CallId(10), "verde", "verde", true);
        q.on_call_event(&CallEvent::Answered, t0);
        q.on_call_event(&CallEvent::PlaybackDone { completed: true }, t0);
        let steps = q.on_call_event(&CallEvent::Ended { cause: call_control::io::HangupCause::CallerHangup }, t0);
        assert_eq!(steps, vec![QueueStep::StopVoicemail]);
    }

    #[test]
    fn acd_6_a_connected_caller_is_transferred_to_level_two_and_waits_again() {
        let mut q = answered();
        assert_eq!(q.transfer("livello2"), None, "not talking to an agent yet");
        q.on_acd_event(AcdEvent::Offer { agent: "2001".into(), waited: Duration::ZERO });
        q.on_call_event(&CallEvent::Connected, Instant::now());
        let steps = q.transfer("livello2").unwrap();
        assert_eq!(
            steps,
            vec![QueueStep::Acd(AcdInput::TransferToQueue { call: CallId(7), queue: acd_engine::QueueName::new("livello2"), priority: 0 })]
        );
        assert_eq!(q.on_call_event(&CallEvent::Disconnected, Instant::now()), vec![QueueStep::Music]);
        let steps = q.on_acd_event(AcdEvent::Offer { agent: "2011".into(), waited: Duration::from_secs(30) });
        assert_eq!(steps, vec![QueueStep::Ring { agent: "2011".into(), waited: Duration::from_secs(30) }]);
    }

    #[test]
    fn acd_7_a_voicemail_exit_takes_a_message_and_an_external_exit_goes_out() {
        let t0 = Instant::now();
        let mut q = answered();
        q.on_call_event(&CallEvent::PlaybackDone { completed: true }, t0);
        let steps = q.on_acd_event(AcdEvent::Exit { action: acd_engine::ExitAction::Voicemail("verde".into()) });
        assert!(matches!(&steps[0], QueueStep::Call(CallInput::Play { prompts, .. }) if prompts == &["it/segreteria", "it/beep"]));
        assert_eq!(q.mailbox, "verde");
        assert_eq!(q.on_call_event(&CallEvent::PlaybackDone { completed: true }, t0), vec![QueueStep::StartVoicemail]);
        let steps = q.on_call_event(&CallEvent::Ended { cause: call_control::io::HangupCause::CallerHangup }, t0);
        assert_eq!(steps, vec![QueueStep::StopVoicemail], "the caller left the queue already: nothing for the ACD");

        let mut q = answered();
        q.on_acd_event(AcdEvent::Offer { agent: "2001".into(), waited: Duration::ZERO });
        let steps = q.on_acd_event(AcdEvent::Exit { action: acd_engine::ExitAction::External("0874000999".into()) });
        assert_eq!(steps, vec![QueueStep::Call(CallInput::CancelConnect), QueueStep::TransferOut("0874000999".into())]);
        assert_eq!(q.on_call_event(&CallEvent::Connected, t0), vec![QueueStep::TransferredOut]);

        let mut q = answered();
        q.on_acd_event(AcdEvent::Exit { action: acd_engine::ExitAction::External("0874000999".into()) });
        let steps = q.on_call_event(&CallEvent::ConnectFailed { cause: ConnectFailure::Unreachable }, t0);
        assert!(matches!(&steps[0], QueueStep::Call(CallInput::Play { prompts, .. }) if prompts == &["it/arrivederci"]));
    }

    #[test]
    fn an_exit_says_goodbye_and_hangs_up() {
        let mut q = answered();
        let steps = q.on_acd_event(AcdEvent::Exit { action: acd_engine::ExitAction::MessageAndHangup("it/chiuso".into()) });
        assert!(matches!(&steps[0], QueueStep::Call(CallInput::Play { prompts, .. }) if prompts == &["it/chiuso"]));
        assert_eq!(q.on_call_event(&CallEvent::PlaybackDone { completed: true }, Instant::now()), vec![QueueStep::Call(CallInput::Hangup)]);
    }
}
