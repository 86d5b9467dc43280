//! The ticket (a CRM "richiesta di servizio") life cycle of Annex A [CRM-6, CRM-11]: its
//! states, who may move it where, and the fields a transition requires. Pure values; the
//! store persists them and the API applies `TicketState::check_transition` before writing.

use std::fmt;

/// Where a ticket stands (Annex A §3–4) [CRM-11].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TicketState {
    /// Opened (by a call offered to an operator, a voicemail, an e-mail…) and being worked
    /// at level I.
    Open,
    /// Incomplete request: more data asked of the customer (by e-mail).
    DataRequested,
    /// Resolved by the level I operator.
    ResolvedLevel1,
    /// Assigned to the level II specialists.
    AssignedLevel2,
    /// Forwarded to one of the customer's offices.
    ForwardedOffice,
    /// An assignment was rejected, with a reason and possibly the right office; level III
    /// (the misassignment desk) picks it up.
    Rejected,
    /// Closed, with the answer given to the customer recorded.
    Closed,
}

/// Why a state change is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TicketRuleError {
    /// The target state cannot follow the current one.
    #[error("a ticket in state {from} cannot move to {to}")]
    Transition {
        /// The current state.
        from: TicketState,
        /// The requested state.
        to: TicketState,
    },
    /// The target state needs a field that is missing or empty.
    #[error("moving a ticket to {to} needs the field {field}")]
    MissingField {
        /// The requested state.
        to: TicketState,
        /// The field's API name.
        field: &'static str,
    },
}

/// What a transition request carries besides the target state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransitionFields<'a> {
    /// Why an assignment is rejected.
    pub reason: Option<&'a str>,
    /// The office a ticket is forwarded to.
    pub office: Option<&'a str>,
    /// The answer given to the customer.
    pub answer: Option<&'a str>,
}

impl TicketState {
    /// Every state, in the order of the Annex A flow.
    pub const ALL: &'static [TicketState] = &[
        TicketState::Open,
        TicketState::DataRequested,
        TicketState::ResolvedLevel1,
        TicketState::AssignedLevel2,
        TicketState::ForwardedOffice,
        TicketState::Rejected,
        TicketState::Closed,
    ];

    /// The stored and serialized name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TicketState::Open => "open",
            TicketState::DataRequested => "data_requested",
            TicketState::ResolvedLevel1 => "resolved_level1",
            TicketState::AssignedLevel2 => "assigned_level2",
            TicketState::ForwardedOffice => "forwarded_office",
            TicketState::Rejected => "rejected",
            TicketState::Closed => "closed",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<TicketState> {
        TicketState::ALL.iter().copied().find(|s| s.as_str() == text)
    }

    /// The states that may follow this one. A closed ticket can be reopened (the customer
    /// calls back about it); everything else follows Annex A: level I resolves, asks for
    /// data, assigns to level II or forwards to an office; level II and offices resolve
    /// (close with the answer), forward, or reject back with a reason.
    pub fn successors(self) -> &'static [TicketState] {
        use TicketState::*;
        match self {
            Open => &[DataRequested, ResolvedLevel1, AssignedLevel2, ForwardedOffice, Closed],
            DataRequested => &[Open, ResolvedLevel1, AssignedLevel2, ForwardedOffice, Closed],
            ResolvedLevel1 => &[Closed, Open],
            AssignedLevel2 => &[DataRequested, ForwardedOffice, Rejected, Closed],
            ForwardedOffice => &[AssignedLevel2, Rejected, Closed],
            Rejected => &[Open, AssignedLevel2, ForwardedOffice, Closed],
            Closed => &[Open],
        }
    }

    /// Checks a requested change and the fields it needs: a rejection needs its reason, a
    /// forward its office, a closure the answer given [CRM-6, CRM-11].
    pub fn check_transition(self, to: TicketState, fields: &TransitionFields<'_>) -> Result<(), TicketRuleError> {
        if !self.successors().contains(&to) {
            return Err(TicketRuleError::Transition { from: self, to });
        }
        let present = |v: Option<&str>| v.is_some_and(|t| !t.trim().is_empty());
        let needed = match to {
            TicketState::Rejected if !present(fields.reason) => Some("reason"),
            TicketState::ForwardedOffice if !present(fields.office) => Some("office"),
            TicketState::Closed if !present(fields.answer) => Some("answer"),
            _ => None,
        };
        match needed {
            Some(field) => Err(TicketRuleError::MissingField { to, field }),
            None => Ok(()),
        }
    }

    /// The support level that owns a ticket in this state, if the state decides it: level II
    /// after an assignment, level III (misassignments) after a rejection.
    pub fn implied_level(self) -> Option<u8> {
        match self {
            TicketState::AssignedLevel2 => Some(2),
            TicketState::Rejected => Some(3),
            _ => None,
        }
    }

    /// Whether the ticket still needs work (for work-item lists and SLA.O clocks).
    pub fn is_active(self) -> bool {
        !matches!(self, TicketState::Closed | TicketState::ResolvedLevel1)
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crm_11_every_state_round_trips_and_can_reach_closed() {
        for s in TicketState::ALL {
            assert_eq!(TicketState::parse(s.as_str()), Some(*s));
            // Every state leads to Closed within two steps: nothing is a dead end.
            let reaches = s.successors().contains(&TicketState::Closed)
                || s.successors().iter().any(|n| n.successors().contains(&TicketState::Closed));
            assert!(reaches, "{s} cannot reach closed");
        }
        assert_eq!(TicketState::parse("OPEN"), None);
    }

    #[test]
    fn crm_6_rejection_needs_a_reason_and_forward_an_office() {
        let none = TransitionFields::default();
        assert_eq!(
            TicketState::AssignedLevel2.check_transition(TicketState::Rejected, &none),
            Err(TicketRuleError::MissingField { to: TicketState::Rejected, field: "reason" })
        );
        let blank = TransitionFields { reason: Some("  "), ..TransitionFields::default() };
        assert!(TicketState::AssignedLevel2.check_transition(TicketState::Rejected, &blank).is_err());
        let reason = TransitionFields { reason: Some("not ours: try the tax office"), ..TransitionFields::default() };
        assert_eq!(TicketState::AssignedLevel2.check_transition(TicketState::Rejected, &reason), Ok(()));
        assert_eq!(
            TicketState::Open.check_transition(TicketState::ForwardedOffice, &none),
            Err(TicketRuleError::MissingField { to: TicketState::ForwardedOffice, field: "office" })
        );
    }

    #[test]
    fn crm_11_closing_records_the_answer_and_illegal_moves_are_refused() {
        let none = TransitionFields::default();
        assert!(matches!(
            TicketState::Open.check_transition(TicketState::Closed, &none),
            Err(TicketRuleError::MissingField { field: "answer", .. })
        ));
        let answer = TransitionFields { answer: Some("bill re-issued"), ..TransitionFields::default() };
        assert_eq!(TicketState::Open.check_transition(TicketState::Closed, &answer), Ok(()));
        assert_eq!(
            TicketState::Closed.check_transition(TicketState::Rejected, &answer),
            Err(TicketRuleError::Transition { from: TicketState::Closed, to: TicketState::Rejected })
        );
        assert!(TicketState::Open.check_transition(TicketState::Open, &none).is_err());
        assert_eq!(TicketState::Rejected.implied_level(), Some(3));
        assert_eq!(TicketState::AssignedLevel2.implied_level(), Some(2));
    }
}
