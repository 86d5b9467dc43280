//! Agent selection among the free, eligible members of a queue: longest idle, linear, round-robin, fewest calls, ring-all [ACD-2, ACD-3].

use std::cmp::Reverse;
use std::time::Duration;

use crate::config::Strategy;

/// One free, eligible member as seen by the selection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    pub agent: usize,
    /// Position of the member in the queue's configured member list.
    pub member_pos: usize,
    pub penalty: u32,
    /// How long the agent has been Available.
    pub idle_for: Duration,
    pub calls_taken: u32,
}

/// Picks the agents to offer to. Only the lowest penalty tier among the candidates is
/// considered. Returns agent indices: one, or all of the tier for ring-all.
pub(crate) fn select(
    strategy: Strategy,
    candidates: &[Candidate],
    member_count: usize,
    last_offered_pos: Option<usize>,
) -> Vec<usize> {
    let Some(tier) = candidates.iter().map(|c| c.penalty).min() else {
        return Vec::new();
    };
    let tier = candidates.iter().filter(|c| c.penalty == tier);
    let chosen = match strategy {
        Strategy::RingAll => return tier.map(|c| c.agent).collect(),
        Strategy::LongestIdle => tier.min_by_key(|c| (Reverse(c.idle_for), c.member_pos)),
        Strategy::Linear => tier.min_by_key(|c| c.member_pos),
        Strategy::FewestCalls => {
            tier.min_by_key(|c| (c.calls_taken, Reverse(c.idle_for), c.member_pos))
        }
        Strategy::RoundRobin => {
            let count = member_count.max(1);
            let start = last_offered_pos.map_or(0, |p| p.saturating_add(1) % count);
            tier.min_by_key(|c| (c.member_pos + count - start) % count)
        }
    };
    chosen.map(|c| vec![c.agent]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cands() -> Vec<Candidate> {
        // Agent 10 at member 0 idle 5 s, agent 11 at member 1 idle 9 s, agent 12 at member 2
        // idle 7 s with one call.
        vec![
            Candidate {
                agent: 10,
                member_pos: 0,
                penalty: 0,
                idle_for: Duration::from_secs(5),
                calls_taken: 2,
            },
            Candidate {
                agent: 11,
                member_pos: 1,
                penalty: 0,
                idle_for: Duration::from_secs(9),
                calls_taken: 3,
            },
            Candidate {
                agent: 12,
                member_pos: 2,
                penalty: 0,
                idle_for: Duration::from_secs(7),
                calls_taken: 1,
            },
        ]
    }

    #[test]
    fn each_strategy_picks_as_documented_acd2_acd3() {
        let c = cands();
        assert_eq!(select(Strategy::LongestIdle, &c, 3, None), vec![11]);
        assert_eq!(select(Strategy::Linear, &c, 3, None), vec![10]);
        assert_eq!(select(Strategy::FewestCalls, &c, 3, None), vec![12]);
        assert_eq!(select(Strategy::RingAll, &c, 3, None), vec![10, 11, 12]);
        assert_eq!(select(Strategy::RoundRobin, &c, 3, None), vec![10]);
        assert_eq!(select(Strategy::RoundRobin, &c, 3, Some(0)), vec![11]);
        assert_eq!(select(Strategy::RoundRobin, &c, 3, Some(2)), vec![10]);
        // Member 1 busy: after member 0 comes member 2.
        let without_1: Vec<_> = c.iter().copied().filter(|x| x.member_pos != 1).collect();
        assert_eq!(
            select(Strategy::RoundRobin, &without_1, 3, Some(0)),
            vec![12]
        );
    }

    #[test]
    fn lower_penalty_tier_first() {
        let mut c = cands();
        c[1].penalty = 1;
        assert_eq!(select(Strategy::LongestIdle, &c, 3, None), vec![12]);
        assert_eq!(select(Strategy::RingAll, &c, 3, None), vec![10, 12]);
        assert!(select(Strategy::Linear, &[], 3, None).is_empty());
    }
}
