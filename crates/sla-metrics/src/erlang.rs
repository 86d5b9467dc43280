//! Erlang-C staffing: the agents needed so that a target share of calls is answered
//! within a threshold, from calls per hour and the average handle time [SLA-3, SLA-10].
//!
//! Numerically stable: Erlang B is computed with the recursion
//! `B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1))`, never with factorials or powers, and
//! Erlang C follows as `C = n·B / (n − A·(1 − B))`.

/// A staffing answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Staffing {
    /// Offered traffic in Erlangs: calls per hour × AHT seconds / 3600.
    pub traffic_erlangs: f64,
    /// Agents needed.
    pub agents: u32,
    /// Probability that a call waits at all, with that many agents.
    pub probability_of_waiting: f64,
    /// Share of calls answered within the threshold (0..=1), with that many agents.
    pub service_level: f64,
}

/// Agents needed so that the Erlang-C service level (share of calls answered within
/// `threshold_seconds`) reaches `target_share` (0..=1), for `calls_per_hour` with
/// average handle time `aht_seconds`. `None` when the inputs are not finite or not
/// positive, the target is not below 1, or more than `max_agents` would be needed.
/// No traffic needs 0 agents.
pub fn erlang_c_agents(
    calls_per_hour: f64,
    aht_seconds: f64,
    target_share: f64,
    threshold_seconds: f64,
    max_agents: u32,
) -> Option<Staffing> {
    let valid = [calls_per_hour, aht_seconds, target_share, threshold_seconds]
        .iter()
        .all(|x| x.is_finite() && *x >= 0.0);
    if !valid || target_share >= 1.0 {
        return None;
    }
    let a = calls_per_hour * aht_seconds / 3600.0;
    if a == 0.0 {
        return Some(Staffing {
            traffic_erlangs: 0.0,
            agents: 0,
            probability_of_waiting: 0.0,
            service_level: 1.0,
        });
    }
    if aht_seconds == 0.0 {
        return None;
    }
    // Erlang B up to n, then look for the first stable n meeting the target.
    let mut b = 1.0f64;
    for n in 1..=max_agents {
        let nf = f64::from(n);
        b = a * b / (nf + a * b);
        if nf <= a {
            continue;
        }
        let (pw, sl) = erlang_c_from_b(nf, a, b, aht_seconds, threshold_seconds);
        if sl >= target_share {
            return Some(Staffing {
                traffic_erlangs: a,
                agents: n,
                probability_of_waiting: pw,
                service_level: sl,
            });
        }
    }
    None
}

/// The Erlang-C service level (0..=1) with `agents` agents; `None` for invalid inputs or
/// an unstable queue (agents not above the traffic).
pub fn erlang_c_service_level(
    calls_per_hour: f64,
    aht_seconds: f64,
    agents: u32,
    threshold_seconds: f64,
) -> Option<f64> {
    let valid = [calls_per_hour, aht_seconds, threshold_seconds]
        .iter()
        .all(|x| x.is_finite() && *x >= 0.0);
    if !valid || aht_seconds == 0.0 {
        return None;
    }
    let a = calls_per_hour * aht_seconds / 3600.0;
    if f64::from(agents) <= a {
        return None;
    }
    let mut b = 1.0f64;
    for n in 1..=agents {
        b = a * b / (f64::from(n) + a * b);
    }
    Some(erlang_c_from_b(f64::from(agents), a, b, aht_seconds, threshold_seconds).1)
}

/// Probability of waiting and service level from Erlang B with `n > a`.
fn erlang_c_from_b(n: f64, a: f64, b: f64, aht: f64, threshold: f64) -> (f64, f64) {
    let c = (n * b / (n - a * (1.0 - b))).clamp(0.0, 1.0);
    let sl = (1.0 - c * (-(n - a) * threshold / aht).exp()).clamp(0.0, 1.0);
    (c, sl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_case() {
        // 360 calls/h × 240 s AHT = 24 Erlangs, target 80 % within 20 s. Checked by hand
        // with the factorial form of Erlang C: C(28) = 0.3331, SL(28) = 1 − 0.3331·e^(−4·20/240)
        // = 0.7613; C(29) = 0.2423, SL(29) = 1 − 0.2423·e^(−5/12) = 0.8403 → 29 agents.
        let s = erlang_c_agents(360.0, 240.0, 0.80, 20.0, 200).expect("reachable");
        assert_eq!(s.traffic_erlangs, 24.0);
        assert_eq!(s.agents, 29);
        assert!((s.service_level - 0.8403).abs() < 1e-4);
        assert!((s.probability_of_waiting - 0.2423).abs() < 1e-4);
        let sl28 = erlang_c_service_level(360.0, 240.0, 28, 20.0).expect("stable");
        assert!((sl28 - 0.7613).abs() < 1e-4);
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(
            erlang_c_agents(0.0, 240.0, 0.8, 20.0, 10).map(|s| s.agents),
            Some(0)
        );
        assert_eq!(erlang_c_agents(f64::NAN, 240.0, 0.8, 20.0, 10), None);
        assert_eq!(erlang_c_agents(360.0, 240.0, 1.0, 20.0, 10), None);
        assert_eq!(erlang_c_agents(360.0, 240.0, 0.8, 20.0, 10), None);
        assert_eq!(erlang_c_service_level(360.0, 240.0, 24, 20.0), None);
        // Large traffic stays finite: 10 000 Erlangs.
        let s = erlang_c_agents(150_000.0, 240.0, 0.9, 20.0, 20_000).expect("reachable");
        assert!(s.agents > 10_000 && s.service_level.is_finite());
    }
}
