//! The versioned CTI event schema (v1): one typed payload per event kind, documented
//! in `docs/events.md` [CTI-1, CTI-3, CRM-1]. Every payload about a call carries the
//! channel of origin and the seconds already waited [CTI-3].
//!
//! A payload struct serializes to the event's `data`; its kind is [`Payload::KIND`].
//! Caller numbers (`from`) are personal data: events travel only to authenticated
//! subscribers and configured CRMs, and must never be logged above debug level.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Version of the envelope and payloads described here; bumped on any incompatible
/// change (a removed or retyped field). Adding an optional field keeps the version.
pub const SCHEMA_VERSION: u32 = 1;

/// Every kind of schema v1, in documentation order.
pub const KINDS: &[&str] = &[
    CallOffered::KIND,
    CallIvr::KIND,
    CallQueued::KIND,
    CallPositionChanged::KIND,
    AgentOffered::KIND,
    CallAnswered::KIND,
    CallTransferred::KIND,
    CallHeld::KIND,
    CallEnded::KIND,
    AgentStateChanged::KIND,
    TicketCreated::KIND,
    TicketUpdated::KIND,
    VoicemailCreated::KIND,
    Dtmf::KIND,
    PromptSaved::KIND,
];

/// A typed event payload: the constructor of one kind's `data`.
pub trait Payload: Serialize + DeserializeOwned {
    /// The event kind this payload is published under.
    const KIND: &'static str;

    /// The payload as the event's `data`.
    fn to_data(&self) -> serde_json::Value {
        // Serializing a struct of strings, numbers and enums cannot fail; `Null`
        // is unreachable but keeps this total.
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Why an event's `data` does not match the schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The kind is not part of schema v1.
    #[error("unknown event kind {0:?}")]
    UnknownKind(String),
    /// The data lacks a field, has an unknown enum value or a wrong type.
    #[error("invalid {kind} data: {source}")]
    InvalidData {
        kind: String,
        source: serde_json::Error,
    },
}

/// Checks that `data` is a valid v1 payload of `kind`.
pub fn check(kind: &str, data: &serde_json::Value) -> Result<(), SchemaError> {
    match kind {
        CallOffered::KIND => parse::<CallOffered>(kind, data),
        CallIvr::KIND => parse::<CallIvr>(kind, data),
        CallQueued::KIND => parse::<CallQueued>(kind, data),
        CallPositionChanged::KIND => parse::<CallPositionChanged>(kind, data),
        AgentOffered::KIND => parse::<AgentOffered>(kind, data),
        CallAnswered::KIND => parse::<CallAnswered>(kind, data),
        CallTransferred::KIND => parse::<CallTransferred>(kind, data),
        CallHeld::KIND => parse::<CallHeld>(kind, data),
        CallEnded::KIND => parse::<CallEnded>(kind, data),
        AgentStateChanged::KIND => parse::<AgentStateChanged>(kind, data),
        TicketCreated::KIND => parse::<TicketCreated>(kind, data),
        TicketUpdated::KIND => parse::<TicketUpdated>(kind, data),
        VoicemailCreated::KIND => parse::<VoicemailCreated>(kind, data),
        Dtmf::KIND => parse::<Dtmf>(kind, data),
        PromptSaved::KIND => parse::<PromptSaved>(kind, data),
        other => Err(SchemaError::UnknownKind(other.to_owned())),
    }
}

/// Which way a call goes, seen from the contact center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A customer calls us.
    In,
    /// We call out (callback, originate).
    Out,
}

/// How a transfer was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferMode {
    /// Without consultation.
    Blind,
    /// After the agent talked to the target.
    Attended,
}

/// Hold or resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldState {
    /// The caller was put on hold.
    Held,
    /// The conversation resumed.
    Resumed,
}

/// An agent's presence as the ACD sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Not logged in.
    LoggedOut,
    /// Logged in and free for a call.
    Ready,
    /// A call is ringing on its phone.
    Ringing,
    /// In a conversation.
    Busy,
    /// After-call work.
    WrapUp,
    /// Logged in but not taking calls (with a reason).
    Paused,
}

/// `call.offered`: a call reached the engine (inbound from a trunk, or outbound
/// originated by us). Sent once per call, first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallOffered {
    /// Channel of origin: the dialled service (`verde`, `centralino`, `interno`, …).
    pub channel: String,
    /// Caller number; `None` when withheld (anonymous).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Dialled number.
    pub to: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Queue already chosen by the dial plan, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Seconds since the call arrived (normally 0).
    pub waited_seconds: u64,
}

/// `call.ivr`: the caller reached an IVR step or made a choice there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallIvr {
    /// Channel of origin.
    pub channel: String,
    /// IVR menu or step name.
    pub menu: String,
    /// The option chosen (a menu key, not free digits), when the event reports a choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    /// Seconds since the call arrived.
    pub waited_seconds: u64,
}

/// `call.queued`: the call entered a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallQueued {
    /// Channel of origin.
    pub channel: String,
    /// Queue name.
    pub queue: String,
    /// Position in the queue, 1 = next to be served.
    pub position: u32,
    /// Calls in the queue including this one.
    pub queue_length: u32,
    /// Seconds since the caller asked for an operator.
    pub waited_seconds: u64,
}

/// `call.position_changed`: the call moved in its queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPositionChanged {
    /// Channel of origin.
    pub channel: String,
    /// Queue name.
    pub queue: String,
    /// New position, 1 = next.
    pub position: u32,
    /// Calls in the queue now.
    pub queue_length: u32,
    /// Seconds since the caller asked for an operator.
    pub waited_seconds: u64,
}

/// `agent.offered`: the call is ringing on an agent's phone — the screen pop [CTI-3].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentOffered {
    /// Channel of origin.
    pub channel: String,
    /// Agent extension.
    pub agent: String,
    /// Agent display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// Queue the call came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Caller number; `None` when withheld.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Dialled number.
    pub to: String,
    /// Ticket opened for this call [CRM-1], when already known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<u64>,
    /// Seconds the caller has waited so far.
    pub waited_seconds: u64,
}

/// `call.answered`: the conversation started (an agent, or the engine itself for a
/// service, answered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallAnswered {
    /// Channel of origin.
    pub channel: String,
    /// Answering agent extension; `None` when the engine answered (IVR, service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Answering agent display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// Queue the call came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Caller number; `None` when withheld.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Dialled number.
    pub to: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Seconds waited before the answer.
    pub waited_seconds: u64,
}

/// `call.transferred`: an agent moved the call (with its ticket) to another agent or
/// queue [ACD-6, CRM-6].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTransferred {
    /// Channel of origin.
    pub channel: String,
    /// Transferring agent extension.
    pub agent: String,
    /// Target agent extension, for a transfer to an agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_agent: Option<String>,
    /// Target queue, for a transfer to a queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_queue: Option<String>,
    /// Blind or attended.
    pub mode: TransferMode,
    /// Ticket moving with the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<u64>,
    /// Seconds the caller had waited before the first answer.
    pub waited_seconds: u64,
}

/// `call.held`: the call was put on hold or resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallHeld {
    /// Channel of origin.
    pub channel: String,
    /// Agent holding the call, when an agent did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Held or resumed.
    pub state: HoldState,
    /// Seconds the caller had waited before the answer.
    pub waited_seconds: u64,
}

/// `call.ended`: the call is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEnded {
    /// Channel of origin.
    pub channel: String,
    /// Hangup cause label (`caller_hangup`, `callee_hangup`, `cancelled`, `no_answer`,
    /// `busy`, `rejected`, `refused`, `media_timeout`, `session_expired`,
    /// `ack_timeout`, `hangup`).
    pub cause: String,
    /// Register outcome (`answered`, `abandoned_queue`, `abandoned_ivr`, `closed`,
    /// `voicemail`, `busy`, `transferred`, …), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Whether a conversation took place.
    pub answered: bool,
    /// Last agent on the call, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Last agent's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// Queue, if the call went through one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Caller number; `None` when withheld.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Dialled number.
    pub to: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Seconds waited before the answer (or the end, if never answered).
    pub waited_seconds: u64,
    /// Seconds of conversation.
    pub talk_seconds: u64,
    /// Path of the call's recording, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
}

/// `agent.state_changed`: an agent logged in or out, paused, became ready, …
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStateChanged {
    /// Agent extension.
    pub agent: String,
    /// Agent display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// New state.
    pub state: AgentState,
    /// Pause reason, for `paused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Queues the agent serves.
    #[serde(default)]
    pub queues: Vec<String>,
}

/// `ticket.created`: a ticket opened (automatically when a call is offered to an
/// agent [CRM-1], or by hand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketCreated {
    /// Ticket number.
    pub ticket: u64,
    /// Channel of origin (the call's, or `email`, `fax`, `manual`).
    pub channel: String,
    /// Annex A state (`open`, …).
    pub state: String,
    /// Agent the ticket is assigned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Queue of the originating call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Linked caller record, when found by number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<u64>,
    /// Seconds the caller had waited, for a ticket opened from a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_seconds: Option<u64>,
}

/// `ticket.updated`: a ticket changed (state, level, office, assignee, fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketUpdated {
    /// Ticket number.
    pub ticket: u64,
    /// State after the change.
    pub state: String,
    /// Support level after the change (`I`, `II`, `III`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Agent assigned after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Office the ticket was forwarded to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    /// User who made the change.
    pub by: String,
    /// Names of the fields that changed.
    #[serde(default)]
    pub changed: Vec<String>,
}

/// `voicemail.created`: a caller left a voicemail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailCreated {
    /// Voicemail (attachment) number.
    pub voicemail: u64,
    /// Channel of origin.
    pub channel: String,
    /// Caller number; `None` when withheld.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Dialled number.
    pub to: String,
    /// Queue the caller left, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Recording length in seconds.
    pub seconds: u64,
    /// Ticket the voicemail is attached to [CRM-3].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<u64>,
    /// Seconds the caller waited before being sent to voicemail.
    pub waited_seconds: u64,
}

/// `dtmf`: the caller pressed a key (personal data: debug logs only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dtmf {
    /// `0`-`9`, `*`, `#`, `A`-`D`.
    pub digit: String,
    /// How it arrived: `rfc4733` or `info`.
    pub via: String,
}

/// `prompt.saved`: a prompt recorded by phone was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptSaved {
    /// Prompt name.
    pub prompt: String,
}

impl Payload for CallOffered {
    const KIND: &'static str = "call.offered";
}
impl Payload for CallIvr {
    const KIND: &'static str = "call.ivr";
}
impl Payload for CallQueued {
    const KIND: &'static str = "call.queued";
}
impl Payload for CallPositionChanged {
    const KIND: &'static str = "call.position_changed";
}
impl Payload for AgentOffered {
    const KIND: &'static str = "agent.offered";
}
impl Payload for CallAnswered {
    const KIND: &'static str = "call.answered";
}
impl Payload for CallTransferred {
    const KIND: &'static str = "call.transferred";
}
impl Payload for CallHeld {
    const KIND: &'static str = "call.held";
}
impl Payload for CallEnded {
    const KIND: &'static str = "call.ended";
}
impl Payload for AgentStateChanged {
    const KIND: &'static str = "agent.state_changed";
}
impl Payload for TicketCreated {
    const KIND: &'static str = "ticket.created";
}
impl Payload for TicketUpdated {
    const KIND: &'static str = "ticket.updated";
}
impl Payload for VoicemailCreated {
    const KIND: &'static str = "voicemail.created";
}
impl Payload for Dtmf {
    const KIND: &'static str = "dtmf";
}
impl Payload for PromptSaved {
    const KIND: &'static str = "prompt.saved";
}

/// Deserializes `data` as `P`, discarding the value.
fn parse<P: Payload>(kind: &str, data: &serde_json::Value) -> Result<(), SchemaError> {
    P::deserialize(data)
        .map(|_| ())
        .map_err(|source| SchemaError::InvalidData {
            kind: kind.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CtiEvent;
    use std::collections::BTreeSet;

    const DOC: &str = include_str!("../../../docs/events.md");

    /// The kinds named by `### \`kind\`` headings in docs/events.md, each with the
    /// first JSON example that follows it.
    fn documented() -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut lines = DOC.lines();
        while let Some(line) = lines.next() {
            let Some(kind) = line.strip_prefix("### `").and_then(|r| r.strip_suffix('`')) else {
                continue;
            };
            let mut example = String::new();
            let mut inside = false;
            for l in lines.by_ref() {
                if inside && l.starts_with("```") {
                    break;
                }
                if inside {
                    example.push_str(l);
                    example.push('\n');
                }
                if l.starts_with("```json") {
                    inside = true;
                }
            }
            out.push((kind.to_owned(), example));
        }
        out
    }

    #[test]
    fn cti_3_every_documented_kind_has_a_struct_and_every_struct_is_documented() {
        let doc = documented();
        let doc_kinds: BTreeSet<&str> = doc.iter().map(|(k, _)| k.as_str()).collect();
        let code_kinds: BTreeSet<&str> = KINDS.iter().copied().collect();
        assert_eq!(
            doc_kinds, code_kinds,
            "docs/events.md headings vs schema::KINDS"
        );
        assert_eq!(doc.len(), KINDS.len(), "no kind documented twice");
        assert_eq!(code_kinds.len(), KINDS.len(), "no kind listed twice");
        for (kind, example) in &doc {
            let event: CtiEvent = serde_json::from_str(example).unwrap_or_else(|e| {
                panic!("{kind}: example is not an event envelope: {e}\n{example}")
            });
            assert_eq!(event.kind, *kind, "example under the {kind} heading");
            assert_eq!(event.v, SCHEMA_VERSION, "{kind}");
            check(kind, &event.data).unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    }

    #[test]
    fn cti_3_every_call_payload_carries_channel_and_waited_seconds() {
        for (kind, example) in documented() {
            let event: CtiEvent = serde_json::from_str(&example).unwrap();
            if kind.starts_with("call.") || kind == "agent.offered" || kind == "voicemail.created" {
                assert!(event.data["channel"].is_string(), "{kind} has a channel");
                assert!(
                    event.data["waited_seconds"].is_u64(),
                    "{kind} has waited_seconds"
                );
            }
        }
        let mut missing = AgentOffered {
            channel: "verde".into(),
            agent: "2001".into(),
            agent_name: None,
            queue: None,
            from: None,
            to: "800123456".into(),
            ticket: None,
            waited_seconds: 12,
        }
        .to_data();
        check("agent.offered", &missing).unwrap();
        missing.as_object_mut().unwrap().remove("waited_seconds");
        assert!(matches!(
            check("agent.offered", &missing),
            Err(SchemaError::InvalidData { .. })
        ));
    }

    #[test]
    fn payloads_round_trip_and_omit_absent_options() {
        let ended = CallEnded {
            channel: "verde".into(),
            cause: "caller_hangup".into(),
            outcome: Some("answered".into()),
            answered: true,
            agent: Some("2001".into()),
            agent_name: None,
            queue: Some("verde".into()),
            from: None,
            to: "800123456".into(),
            direction: Direction::In,
            waited_seconds: 20,
            talk_seconds: 95,
            recording: None,
        };
        let data = ended.to_data();
        assert!(data.get("from").is_none() && data.get("recording").is_none());
        assert_eq!(data["direction"], "in");
        assert_eq!(serde_json::from_value::<CallEnded>(data).unwrap(), ended);
        let state = AgentStateChanged {
            agent: "2001".into(),
            agent_name: None,
            state: AgentState::WrapUp,
            reason: None,
            queues: vec![],
        };
        assert_eq!(state.to_data()["state"], "wrap_up");
    }

    #[test]
    fn unknown_kinds_and_bad_enum_values_are_refused() {
        assert!(matches!(
            check("call.exploded", &serde_json::json!({})),
            Err(SchemaError::UnknownKind(_))
        ));
        let bad = serde_json::json!({"channel": "verde", "state": "sideways", "waited_seconds": 1});
        assert!(matches!(
            check("call.held", &bad),
            Err(SchemaError::InvalidData { .. })
        ));
    }
}
