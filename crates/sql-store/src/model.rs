//! The per-call register's data types [SLA-9]: what the runtime writes as a call progresses
//! (`NewCall`, `CallUpdate`, `NewLeg`, `NewEvent`) and the row it reads back (`CallRecord`,
//! serialized with exactly the `GET /api/calls` fields of the demo contract).

use serde::Serialize;

use crate::time::UnixMillis;

/// Which database a `Store` talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: a SQLite file in WAL mode.
    Sqlite,
    /// The production backend selected by a `postgres://` URL.
    Postgres,
}

/// The register's key of a call (the `id` of `GET /api/calls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CallId(pub i64);

/// The key of one leg of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LegId(pub i64);

/// The service a call belongs to: the trunk and dialled number seen through the dial plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The gas company's green number (`800904277` from the carrier trunk).
    Verde,
    /// The public body's switchboard (`08744291` from the PBX trunk).
    Centralino,
    /// Agent-to-agent or agent-to-office calls.
    Internal,
    /// Calls the engine originates (callbacks from tickets).
    Outbound,
}

/// How a call ended, as the regulator's register counts it (ARERA TIQV) [SLA-9].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A conversation with an operator took place.
    Answered,
    /// The caller hung up while waiting in a queue.
    AbandonedQueue,
    /// The caller hung up in the IVR before asking for an operator.
    AbandonedIvr,
    /// Out of hours: the closed message was played.
    Closed,
    /// The caller left (or was offered) a voicemail.
    Voicemail,
    /// No free line or every destination busy.
    Busy,
    /// The call was transferred away from the engine.
    Transferred,
    /// The engine stopped while the call was up; closed at the next start.
    Interrupted,
}

/// Who hung up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HangupSide {
    /// The calling party (the customer on inbound calls).
    Caller,
    /// The called party (agent, office or external number).
    Callee,
    /// The engine itself (IVR end, timeout, shutdown).
    System,
}

/// The role of one leg of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegRole {
    /// The leg towards the caller.
    Caller,
    /// A leg towards an agent's phone.
    Agent,
    /// A leg towards an internal office through the PBX.
    Office,
    /// A leg towards an external number through the carrier.
    External,
}

/// A call as first written, when the engine accepts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCall {
    /// The service the call belongs to.
    pub channel: Channel,
    /// The trunk it arrived on or leaves through (`carrier`, `pbx`), if any.
    pub trunk: Option<String>,
    /// The dialled number (`to`).
    pub dialled: String,
    /// The caller's number (`from`).
    pub caller: String,
    /// When the call arrived.
    pub started_at: UnixMillis,
    /// The SIP Call-ID of the first leg, for correlation with traces.
    pub sip_call_id: Option<String>,
}

/// A partial update of a call as it progresses; `None` fields are left as they are.
///
/// When `ended_at` is set, missing `wait_seconds` and `talk_seconds` are derived from the
/// stored instants: wait = (answer, or end if unanswered) − operator request; talk =
/// end − answer; both truncated to whole seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallUpdate {
    /// The instant the caller asked for an operator or was routed to one.
    pub operator_requested_at: Option<UnixMillis>,
    /// The instant the conversation with an operator started.
    pub answered_at: Option<UnixMillis>,
    /// The instant the call ended.
    pub ended_at: Option<UnixMillis>,
    /// The ACD queue.
    pub queue: Option<String>,
    /// The answering agent's extension.
    pub agent: Option<String>,
    /// Seconds waited for an operator (derived when absent at the end).
    pub wait_seconds: Option<i64>,
    /// Seconds of conversation (derived when absent at the end).
    pub talk_seconds: Option<i64>,
    /// Who hung up.
    pub hangup_side: Option<HangupSide>,
    /// The hangup cause (SIP status or reason text).
    pub hangup_cause: Option<String>,
    /// The outcome; set together with `ended_at`.
    pub outcome: Option<Outcome>,
    /// The path of the call recording.
    pub recording_path: Option<String>,
    /// The ticket opened for the call [CRM-1].
    pub ticket_id: Option<i64>,
    /// The wait announced to the caller on entering the queue [IVR-5].
    pub announced_wait_seconds: Option<i64>,
}

impl CallUpdate {
    /// The caller asked for an operator (or was routed to one) and joined `queue`.
    pub fn operator_requested(at: UnixMillis, queue: Option<&str>) -> CallUpdate {
        CallUpdate {
            operator_requested_at: Some(at),
            queue: queue.map(str::to_owned),
            ..CallUpdate::default()
        }
    }

    /// The conversation with `agent` started.
    pub fn answered(at: UnixMillis, agent: &str) -> CallUpdate {
        CallUpdate {
            answered_at: Some(at),
            agent: Some(agent.to_owned()),
            ..CallUpdate::default()
        }
    }

    /// The call ended with `outcome`.
    pub fn ended(at: UnixMillis, outcome: Outcome, side: HangupSide, cause: &str) -> CallUpdate {
        CallUpdate {
            ended_at: Some(at),
            outcome: Some(outcome),
            hangup_side: Some(side),
            hangup_cause: Some(cause.to_owned()),
            ..CallUpdate::default()
        }
    }

    /// A ticket was opened for the call [CRM-1].
    pub fn ticket(ticket_id: i64) -> CallUpdate {
        CallUpdate {
            ticket_id: Some(ticket_id),
            ..CallUpdate::default()
        }
    }
}

/// One leg of a call (caller side, an agent's phone, an office), written when it is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLeg {
    /// What the leg connects to.
    pub role: LegRole,
    /// The peer's number or URI.
    pub peer: String,
    /// The agent's extension, for agent legs.
    pub agent: Option<String>,
    /// When the leg was created (INVITE sent or received).
    pub started_at: UnixMillis,
    /// When it was answered, if it was.
    pub answered_at: Option<UnixMillis>,
    /// When it ended, if it has.
    pub ended_at: Option<UnixMillis>,
    /// The SIP status or reason that ended it.
    pub hangup_cause: Option<String>,
    /// The leg's SIP Call-ID.
    pub sip_call_id: Option<String>,
}

/// One entry of the queue/agent event log of a call.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// When it happened.
    pub at: UnixMillis,
    /// The event name (the CTI bus names: `call.queued`, `agent.offered`, …).
    pub kind: String,
    /// The agent involved, if any.
    pub agent: Option<String>,
    /// The queue involved, if any.
    pub queue: Option<String>,
    /// Anything else, as JSON (stored as text).
    pub detail: serde_json::Value,
}

/// One row of the per-call register, as `GET /api/calls` and `export-calls` show it.
///
/// Field names and order are [`CallRecord::COLUMNS`]; instants serialize as RFC 3339 UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// The register key.
    pub id: CallId,
    /// The service.
    pub channel: Channel,
    /// The caller's number.
    pub from: String,
    /// The dialled number.
    pub to: String,
    /// The trunk, if any.
    pub trunk: Option<String>,
    /// When the call arrived.
    pub started_at: UnixMillis,
    /// When the caller asked for (or was routed to) an operator.
    pub operator_requested_at: Option<UnixMillis>,
    /// When the conversation with an operator started.
    pub answered_at: Option<UnixMillis>,
    /// When the call ended (`None` while it is up).
    pub ended_at: Option<UnixMillis>,
    /// The ACD queue.
    pub queue: Option<String>,
    /// The answering agent.
    pub agent: Option<String>,
    /// Seconds waited for an operator.
    pub wait_seconds: Option<i64>,
    /// Seconds of conversation.
    pub talk_seconds: Option<i64>,
    /// Who hung up.
    pub hangup_side: Option<HangupSide>,
    /// The hangup cause.
    pub hangup_cause: Option<String>,
    /// How the call ended (`None` while it is up).
    pub outcome: Option<Outcome>,
    /// The recording, if the call was recorded.
    pub recording_path: Option<String>,
    /// The ticket opened for the call.
    pub ticket_id: Option<i64>,
    /// The wait announced on entering the queue, for the announcements' accuracy [IVR-5].
    pub announced_wait_seconds: Option<i64>,
}

impl CallRecord {
    /// The serialized field names, in order: the JSON keys of `GET /api/calls` and the CSV
    /// header of `export-calls`.
    pub const COLUMNS: [&'static str; 19] = [
        "id",
        "channel",
        "from",
        "to",
        "trunk",
        "started_at",
        "operator_requested_at",
        "answered_at",
        "ended_at",
        "queue",
        "agent",
        "wait_seconds",
        "talk_seconds",
        "hangup_side",
        "hangup_cause",
        "outcome",
        "recording_path",
        "ticket_id",
        "announced_wait_seconds",
    ];
}

macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored (and serialized) text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }

            /// Parses the stored text.
            pub fn parse(text: &str) -> Option<$ty> {
                match text {
                    $($text => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

text_enum!(Channel {
    Verde => "verde",
    Centralino => "centralino",
    Internal => "internal",
    Outbound => "outbound",
});
text_enum!(Outcome {
    Answered => "answered",
    AbandonedQueue => "abandoned_queue",
    AbandonedIvr => "abandoned_ivr",
    Closed => "closed",
    Voicemail => "voicemail",
    Busy => "busy",
    Transferred => "transferred",
    Interrupted => "interrupted",
});
text_enum!(HangupSide {
    Caller => "caller",
    Callee => "callee",
    System => "system",
});
text_enum!(LegRole {
    Caller => "caller",
    Agent => "agent",
    Office => "office",
    External => "external",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_enums_round_trip_and_match_serde() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(*o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        for s in HangupSide::ALL {
            assert_eq!(HangupSide::parse(s.as_str()), Some(*s));
        }
        for r in LegRole::ALL {
            assert_eq!(LegRole::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Outcome::parse("ANSWERED"), None);
    }

    #[test]
    fn sla9_call_record_serializes_to_the_demo_api_fields() {
        let record = CallRecord {
            id: CallId(7),
            channel: Channel::Verde,
            from: "3331234567".into(),
            to: "800904277".into(),
            trunk: Some("carrier".into()),
            started_at: UnixMillis::from_millis(1_000),
            operator_requested_at: Some(UnixMillis::from_millis(2_000)),
            answered_at: None,
            ended_at: Some(UnixMillis::from_millis(9_000)),
            queue: Some("verde".into()),
            agent: None,
            wait_seconds: Some(7),
            talk_seconds: None,
            hangup_side: Some(HangupSide::Caller),
            hangup_cause: Some("BYE".into()),
            outcome: Some(Outcome::AbandonedQueue),
            recording_path: None,
            ticket_id: None,
            announced_wait_seconds: Some(60),
        };
        let json = serde_json::to_value(&record).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = CallRecord::COLUMNS.to_vec();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(sorted, expected);
        assert_eq!(json["id"], 7);
        assert_eq!(json["channel"], "verde");
        assert_eq!(json["started_at"], "1970-01-01T00:00:01.000Z");
        assert_eq!(json["answered_at"], serde_json::Value::Null);
        assert_eq!(json["outcome"], "abandoned_queue");
        let text = serde_json::to_string(&record).unwrap();
        let positions: Vec<usize> = CallRecord::COLUMNS
            .iter()
            .map(|c| text.find(&format!("\"{c}\":")).unwrap())
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "field order follows COLUMNS"
        );
    }
}
