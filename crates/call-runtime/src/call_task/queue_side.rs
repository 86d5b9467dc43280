//! The call task's side of a queue call [ACD-1..7, IVR-5, VM-1, CRM-1, CTI-3]: it carries
//! out the queue driver's steps — joining the ACD, music on hold, ringing the agent the ACD
//! chose (with the pop and the ticket), the conversation's start, the voicemail take — and
//! keeps the ACD's channel to the call.

use std::time::Duration;

use call_control::Call;
use call_control::io::{CallInput, Side, TargetPlan};
use cti_bus::schema;
use media_relay::RelaySession;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::{CallCtx, lock, prompt_codec};
use crate::acd_task::{AcdCmd, AcdEvent};
use crate::queue_call::{QueueCall, QueueStep};
use crate::{CoreCmd, now};

/// A queue call's driver with what the call task keeps for it: the ACD's channel to the
/// call and the running voicemail take.
pub(super) struct QueueSide {
    pub(super) call: QueueCall,
    events: mpsc::Sender<AcdEvent>,
    receiver: Option<mpsc::Receiver<AcdEvent>>,
    pub(super) voicemail: Option<crate::voicemail::Take>,
}

impl QueueSide {
    pub(super) fn new(call: QueueCall) -> QueueSide {
        let (events, receiver) = mpsc::channel(32);
        QueueSide { call, events, receiver: Some(receiver), voicemail: None }
    }

    pub(super) fn take_receiver(&mut self) -> mpsc::Receiver<AcdEvent> {
        self.receiver.take().unwrap_or_else(|| mpsc::channel(1).1)
    }
}

impl CallCtx<'_> {
    /// Carries out a queue call's steps; returns the inputs for the call. A step may
    /// give rise to more (a ring that cannot start goes back to the ACD at once).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn queue_steps(
        &self,
        side: &mut QueueSide,
        steps: Vec<QueueStep>,
        core: &mpsc::Sender<CoreCmd>,
        call: &Call,
        session: &RelaySession,
        mut register: Option<&mut crate::register::CallRegister>,
    ) -> Vec<CallInput> {
        let mut out = Vec::new();
        let mut pending = steps;
        let q = &mut side.call;
        while !pending.is_empty() {
            for step in std::mem::take(&mut pending) {
                match step {
                    QueueStep::Call(input) => out.push(input),
                    QueueStep::Acd(input) => {
                        if self.shared.acd.tx.send(AcdCmd::Input(input)).await.is_err() {
                            warn!("ACD task gone");
                        }
                    }
                    QueueStep::Join { priority } => {
                        let join = AcdCmd::Join {
                            call: q.id,
                            queue: q.queue.clone(),
                            priority,
                            channel: self.info.channel,
                            events: side.events.clone(),
                        };
                        if self.shared.acd.tx.send(join).await.is_err() {
                            warn!("ACD task gone: call not queued");
                        }
                    }
                    QueueStep::Music => self.music(call, session),
                    QueueStep::Ring { agent, waited } => {
                        let (reply, wait) = tokio::sync::oneshot::channel();
                        let asked = core.send(CoreCmd::AgentTargets { extension: agent.clone(), reply }).await.is_ok();
                        let targets = if asked { wait.await.unwrap_or_default() } else { Vec::new() };
                        if targets.is_empty() {
                            debug!(agent = %agent, "offered agent has no registered phone");
                            pending.extend(q.ring_impossible(&agent));
                            continue;
                        }
                        self.offer_to_agent(&agent, waited.as_secs(), register.as_deref_mut());
                        // The ACD's own ring timer decides; the call's is a safety net.
                        let ring = self.shared.cfg.acd.queues.iter().find(|c| c.name.0 == q.queue).map_or(self.shared.call_config.ring_timeout, |c| c.ring_timeout);
                        out.push(CallInput::Connect { plan: TargetPlan { groups: vec![targets] }, ring_timeout: ring + Duration::from_secs(5) });
                    }
                    QueueStep::TransferOut(number) => {
                        match super::route_of(core, number).await {
                            None => {
                                warn!("queue exit: no route to the external destination");
                                pending.extend(q.transfer_out_failed());
                            }
                            Some(plan) => out.push(CallInput::Connect { plan, ring_timeout: super::TRANSFER_RING }),
                        }
                    }
                    QueueStep::TransferredOut => {
                        info!("caller put through to the external destination");
                        if let Some(r) = register.as_deref_mut() {
                            r.transferred_out();
                        }
                    }
                    QueueStep::AnnouncedWait(wait) => {
                        if let Some(r) = register.as_deref_mut() {
                            r.announced_wait(wait.as_secs());
                        }
                    }
                    QueueStep::StartVoicemail => {
                        if let Some(r) = register.as_deref_mut() {
                            r.voicemail();
                        }
                        side.voicemail = crate::voicemail::start(&self.shared.cfg.voicemail_dir, self.key, &q.mailbox, session);
                    }
                    QueueStep::StopVoicemail => {
                        if let Some(take) = side.voicemail.take() {
                            crate::voicemail::file(take, self.shared, self.key, &self.info.voicemail_facts(), register.as_deref_mut()).await;
                        }
                    }
                    QueueStep::Talking { agent } => {
                        *lock(&self.info.connected_agent) = Some(agent.clone());
                        let _ = self.info.answered.set(now());
                        if let Some(r) = register.as_deref_mut() {
                            r.connected(&agent, std::time::SystemTime::now());
                        }
                        info!(agent = %agent, "agent answered");
                        let i = &self.info;
                        self.emit(&schema::CallAnswered {
                            channel: i.channel.to_owned(),
                            agent: Some(agent),
                            agent_name: None,
                            queue: i.queue(),
                            from: i.from.clone(),
                            to: i.to.clone(),
                            direction: schema::Direction::In,
                            waited_seconds: i.waited_seconds(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Loops the music on hold to the caller [ACD-7].
    fn music(&self, call: &Call, session: &RelaySession) {
        let music = self.shared.prompts.music("default").or_else(|_| {
            let names = self.shared.prompts.music_names();
            self.shared.prompts.music(names.first().copied().unwrap_or("default"))
        });
        let (Ok(music), Some(codec)) = (music, call.codec(Side::A)) else {
            debug!("no music on hold: the caller hears silence");
            return;
        };
        if let Err(e) = session.play_music(media_relay::Side::A, music, prompt_codec(codec)) {
            debug!(error = %e, "music not started");
        }
    }

    /// The call is offered to `agent`: its screen pops (`agent.offered` with channel and
    /// seconds waited [CTI-3]) and the call's ticket opens [CRM-1], announced by
    /// `ticket.created` once the store has numbered it.
    pub(super) fn offer_to_agent(&self, agent: &str, waited: u64, register: Option<&mut crate::register::CallRegister>) {
        let i = &self.info;
        self.emit(&schema::AgentOffered {
            channel: i.channel.to_owned(),
            agent: agent.to_owned(),
            agent_name: None,
            queue: i.queue(),
            from: i.from.clone(),
            to: i.to.clone(),
            ticket: None,
            waited_seconds: waited,
        });
        let level = self.shared.cfg.acd.agents.iter().find(|a| a.id.0 == agent).map_or(1, |a| a.level);
        let Some(ticket) = register.and_then(|r| r.offered(agent, level, std::time::SystemTime::now())) else { return };
        let (cti, call, channel, queue, agent) = (self.shared.cti.clone(), self.key.0, i.channel, i.queue(), agent.to_owned());
        tokio::spawn(async move {
            if let Ok(id) = ticket.await {
                let created = schema::TicketCreated {
                    ticket: u64::try_from(id).unwrap_or_default(),
                    channel: channel.to_owned(),
                    state: "open".to_owned(),
                    agent: Some(agent),
                    queue,
                    contact: None,
                    waited_seconds: Some(waited),
                };
                cti.emit(Some(call), &created);
            }
        });
    }

    /// The caller leaves its agent for `queue` with its ticket: the register's event log,
    /// the ticket at level II (assigned, history by `by`), and `call.transferred` [ACD-6,
    /// CRM-6].
    pub(super) fn transferred(&self, queue: &str, by: &str, register: Option<&mut crate::register::CallRegister>) {
        let i = &self.info;
        let from_agent = lock(&i.connected_agent).take().unwrap_or_else(|| by.to_owned());
        *lock(&i.queue) = Some(queue.to_owned());
        info!(queue, "transferred to another queue");
        if let Some(r) = register {
            r.transferred(&from_agent, queue, by);
        }
        self.emit(&schema::CallTransferred {
            channel: i.channel.to_owned(),
            agent: from_agent,
            target_agent: None,
            target_queue: Some(queue.to_owned()),
            mode: schema::TransferMode::Blind,
            ticket: None,
            waited_seconds: i.waited_seconds(),
        });
    }
}
