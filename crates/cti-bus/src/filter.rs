//! Which CTI events a WebSocket subscriber may see: a supervisor sees all, an agent
//! its own events and its queues' summaries, never another agent's calls [CTI-3,
//! CTI-4]. Rules in `docs/events.md`, "Who sees what on the WebSocket".

use std::collections::VecDeque;

use crate::CtiEvent;

/// Who is subscribed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Supervisors, admins and auditors: every event.
    Supervisor,
    /// An agent, by extension, with the queues it serves.
    Agent {
        extension: String,
        queues: Vec<String>,
    },
}

/// Whether `audience` may see `event`, judged on the event alone.
///
/// An agent sees an event whose `data.agent` or `data.target_agent` is its
/// extension, and queue summaries (`call.queued`, `call.position_changed`,
/// `queue.*`) for its queues. Later events of its calls that do not name the agent
/// (`dtmf`, …) need the call history that [`Subscription`] keeps.
pub fn visible_to(event: &CtiEvent, audience: &Audience) -> bool {
    match audience {
        Audience::Supervisor => true,
        Audience::Agent { extension, queues } => {
            names_agent(event, extension) || is_queue_summary_for(event, queues)
        }
    }
}

/// A WebSocket subscription's filter: [`visible_to`] plus the calls offered to the
/// agent, so it also sees events of those calls that do not name it, until the call
/// ends or is transferred away.
#[derive(Debug, Clone)]
pub struct Subscription {
    audience: Audience,
    /// Calls currently involving the agent, oldest first, at most [`MAX_OWN_CALLS`].
    own_calls: VecDeque<u64>,
}

/// Calls remembered per agent subscription; an agent handles a handful at most.
pub const MAX_OWN_CALLS: usize = 16;

impl Subscription {
    /// A filter for `audience`.
    pub fn new(audience: Audience) -> Self {
        Subscription {
            audience,
            own_calls: VecDeque::new(),
        }
    }

    /// Who this subscription is for.
    pub fn audience(&self) -> &Audience {
        &self.audience
    }

    /// Whether to forward `event`; call with every event, in order.
    pub fn admit(&mut self, event: &CtiEvent) -> bool {
        let Audience::Agent { extension, .. } = &self.audience else {
            return true;
        };
        let named = names_agent(event, extension);
        let own = event.call.is_some_and(|c| self.own_calls.contains(&c));
        let visible = named || own || visible_to(event, &self.audience);
        if let Some(call) = event.call {
            let leaves = event.kind == "call.ended"
                || (event.kind == "call.transferred"
                    && field(event, "target_agent") != Some(extension.as_str()));
            if leaves {
                self.own_calls.retain(|c| *c != call);
            } else if named && !own {
                if self.own_calls.len() >= MAX_OWN_CALLS {
                    self.own_calls.pop_front();
                }
                self.own_calls.push_back(call);
            }
        }
        visible
    }
}

/// Whether the event's `agent` or `target_agent` is `extension`.
fn names_agent(event: &CtiEvent, extension: &str) -> bool {
    field(event, "agent") == Some(extension) || field(event, "target_agent") == Some(extension)
}

/// Whether the event is a queue summary for one of `queues`.
fn is_queue_summary_for(event: &CtiEvent, queues: &[String]) -> bool {
    let summary = matches!(event.kind.as_str(), "call.queued" | "call.position_changed")
        || event.kind.starts_with("queue.");
    summary && field(event, "queue").is_some_and(|q| queues.iter().any(|mine| mine == q))
}

/// A string field of the event's data.
fn field<'a>(event: &'a CtiEvent, name: &str) -> Option<&'a str> {
    event.data.get(name).and_then(serde_json::Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(kind: &str, call: Option<u64>, data: serde_json::Value) -> CtiEvent {
        CtiEvent {
            v: 1,
            seq: 1,
            at: String::new(),
            kind: kind.into(),
            call,
            data,
        }
    }

    fn agent(ext: &str, queues: &[&str]) -> Audience {
        Audience::Agent {
            extension: ext.into(),
            queues: queues.iter().map(|q| (*q).to_owned()).collect(),
        }
    }

    #[test]
    fn cti_4_a_supervisor_sees_everything() {
        for e in [
            ev("call.offered", Some(1), json!({"channel": "verde"})),
            ev("agent.offered", Some(1), json!({"agent": "2002"})),
            ev("dtmf", Some(1), json!({"digit": "5"})),
            ev("queue.stats", None, json!({"queue": "x"})),
        ] {
            assert!(visible_to(&e, &Audience::Supervisor), "{}", e.kind);
            assert!(Subscription::new(Audience::Supervisor).admit(&e));
        }
    }

    #[test]
    fn cti_3_an_agent_sees_its_own_events_and_not_other_agents_calls() {
        let me = agent("2001", &["verde"]);
        assert!(visible_to(
            &ev(
                "agent.offered",
                Some(1),
                json!({"agent": "2001", "channel": "verde"})
            ),
            &me
        ));
        assert!(visible_to(
            &ev("call.answered", Some(1), json!({"agent": "2001"})),
            &me
        ));
        assert!(visible_to(
            &ev(
                "agent.state_changed",
                None,
                json!({"agent": "2001", "state": "ready"})
            ),
            &me
        ));
        assert!(visible_to(
            &ev(
                "call.transferred",
                Some(2),
                json!({"agent": "2009", "target_agent": "2001"})
            ),
            &me
        ));
        assert!(!visible_to(
            &ev("agent.offered", Some(3), json!({"agent": "2002"})),
            &me
        ));
        assert!(!visible_to(
            &ev(
                "call.answered",
                Some(3),
                json!({"agent": "2002", "queue": "verde"})
            ),
            &me
        ));
        assert!(!visible_to(
            &ev("agent.state_changed", None, json!({"agent": "2002"})),
            &me
        ));
        assert!(!visible_to(
            &ev(
                "call.offered",
                Some(3),
                json!({"channel": "verde", "queue": "verde"})
            ),
            &me
        ));
        assert!(!visible_to(
            &ev("dtmf", Some(3), json!({"digit": "1"})),
            &me
        ));
        assert!(
            !visible_to(&ev("call.ended", Some(3), json!({"cause": "x"})), &me),
            "no agent field: not mine"
        );
    }

    #[test]
    fn cti_5_an_agent_sees_the_summaries_of_its_queues_only() {
        let me = agent("2001", &["verde", "centralino"]);
        assert!(visible_to(
            &ev(
                "call.queued",
                Some(5),
                json!({"queue": "verde", "position": 1})
            ),
            &me
        ));
        assert!(visible_to(
            &ev(
                "call.position_changed",
                Some(5),
                json!({"queue": "centralino"})
            ),
            &me
        ));
        assert!(visible_to(
            &ev("queue.stats", None, json!({"queue": "verde"})),
            &me
        ));
        assert!(!visible_to(
            &ev("call.queued", Some(6), json!({"queue": "livello2"})),
            &me
        ));
        assert!(!visible_to(&ev("queue.stats", None, json!({})), &me));
        assert!(
            !visible_to(&ev("call.queued", Some(6), json!({"queue": 7})), &me),
            "non-string queue"
        );
    }

    #[test]
    fn cti_3_a_subscription_follows_the_agents_calls_until_they_end() {
        let mut sub = Subscription::new(agent("2001", &[]));
        assert!(
            !sub.admit(&ev("dtmf", Some(1), json!({"digit": "1"}))),
            "not yet mine"
        );
        assert!(sub.admit(&ev("agent.offered", Some(1), json!({"agent": "2001"}))));
        assert!(sub.admit(&ev("dtmf", Some(1), json!({"digit": "2"}))));
        assert!(sub.admit(&ev("call.held", Some(1), json!({"state": "held"}))));
        assert!(
            !sub.admit(&ev("dtmf", Some(2), json!({"digit": "3"}))),
            "another call"
        );
        assert!(sub.admit(&ev(
            "call.ended",
            Some(1),
            json!({"cause": "caller_hangup"})
        )));
        assert!(
            !sub.admit(&ev("dtmf", Some(1), json!({"digit": "4"}))),
            "forgotten after the end"
        );

        assert!(sub.admit(&ev("call.answered", Some(7), json!({"agent": "2001"}))));
        assert!(sub.admit(&ev(
            "call.transferred",
            Some(7),
            json!({"agent": "2001", "target_agent": "2005"})
        )));
        assert!(
            !sub.admit(&ev(
                "call.held",
                Some(7),
                json!({"agent": "2005", "state": "held"})
            )),
            "moved away"
        );
    }

    #[test]
    fn a_subscription_remembers_a_bounded_number_of_calls() {
        let mut sub = Subscription::new(agent("2001", &[]));
        let total = u64::try_from(MAX_OWN_CALLS).unwrap() + 4;
        for call in 0..total {
            sub.admit(&ev("agent.offered", Some(call), json!({"agent": "2001"})));
        }
        assert_eq!(sub.own_calls.len(), MAX_OWN_CALLS);
        assert!(
            !sub.admit(&ev("dtmf", Some(0), json!({}))),
            "oldest forgotten"
        );
        assert!(sub.admit(&ev("dtmf", Some(total - 1), json!({}))));
    }
}
