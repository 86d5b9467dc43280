//! Expected-wait math for the visible queue: conditional M/M/n wait from live staffing, Erlang C, and the handle-time mean [IVR-5].
//!
//! The announcement uses the *conditional* M/M/n model: the engine knows the live state, so it
//! does not need the steady-state average of Erlang C. With `n` staffed agents that are all busy
//! and exponential handle times of mean `AHT`, agents free up as a Poisson process of rate
//! `n / AHT`. A caller at 1-based position `p` while `f` agents are free needs `p - f` more
//! completions (the free agents take the first `f` callers, after which all `n` are busy); the
//! mean of `k` exponential gaps of rate `n / AHT` is `k * AHT / n`. When `p <= f` the wait is zero.
//! Erlang C (`erlang_c`, `average_speed_of_answer`) is provided for forecasts when an arrival
//! rate is known (for example the supervisor's staffing view).

use std::time::Duration;

/// Mean wait of the caller at `position` (1-based) given `free` idle agents among `staffed`
/// agents and the mean handle time. `None` when nobody is staffed (the wait is unbounded).
pub fn conditional_wait(
    position: usize,
    free: usize,
    staffed: usize,
    handle_time: Duration,
) -> Option<Duration> {
    if staffed == 0 {
        return None;
    }
    if position <= free {
        return Some(Duration::ZERO);
    }
    let completions = (position - free) as u128;
    let nanos = handle_time.as_nanos().saturating_mul(completions) / staffed as u128;
    Some(Duration::from_nanos(
        u64::try_from(nanos).unwrap_or(u64::MAX),
    ))
}

/// Erlang C: probability that an arrival waits with `agents` servers and `traffic` Erlangs.
/// Returns 1.0 when the system is overloaded (`traffic >= agents`).
pub fn erlang_c(agents: u32, traffic: f64) -> f64 {
    if agents == 0 || traffic >= f64::from(agents) {
        return 1.0;
    }
    if traffic <= 0.0 {
        return 0.0;
    }
    // Erlang B by the stable recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)).
    let mut b = 1.0;
    for k in 1..=agents {
        b = traffic * b / (f64::from(k) + traffic * b);
    }
    let rho = traffic / f64::from(agents);
    b / (1.0 - rho * (1.0 - b))
}

/// Erlang C average speed of answer: `C(n, a) * AHT / (n - a)`; `None` when overloaded.
pub fn average_speed_of_answer(
    agents: u32,
    traffic: f64,
    handle_time: Duration,
) -> Option<Duration> {
    if agents == 0 || traffic >= f64::from(agents) {
        return None;
    }
    let seconds =
        erlang_c(agents, traffic) * handle_time.as_secs_f64() / (f64::from(agents) - traffic);
    Duration::try_from_secs_f64(seconds).ok()
}

/// Exponentially weighted mean with weight 1/5 for the new sample: `(4 old + sample) / 5`.
pub fn ewma_update(old: Duration, sample: Duration) -> Duration {
    let nanos = old
        .as_nanos()
        .saturating_mul(4)
        .saturating_add(sample.as_nanos())
        / 5;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn conditional_wait_ivr5_hand_numbers() {
        // Position 3, nobody free, 2 agents, AHT 120 s: 3 completions at rate 2/120 s → 180 s.
        assert_eq!(conditional_wait(3, 0, 2, secs(120)), Some(secs(180)));
        // Position 1, 1 agent, AHT 300 s: one completion → 300 s.
        assert_eq!(conditional_wait(1, 0, 1, secs(300)), Some(secs(300)));
        // Position 2 with one free agent among 4, AHT 200 s: 1 completion at rate 4/200 → 50 s.
        assert_eq!(conditional_wait(2, 1, 4, secs(200)), Some(secs(50)));
        // A free agent for the caller: no wait.
        assert_eq!(conditional_wait(1, 1, 3, secs(200)), Some(Duration::ZERO));
        // Nobody staffed: unknown.
        assert_eq!(conditional_wait(1, 0, 0, secs(200)), None);
    }

    #[test]
    fn erlang_c_hand_numbers() {
        // M/M/1 with a = 0.5: P(wait) = rho = 0.5.
        assert!((erlang_c(1, 0.5) - 0.5).abs() < 1e-12);
        // n = 2, a = 1: B = (1/2) / (1 + 1 + 1/2) = 0.2; C = 0.2 / (1 - 0.5 * 0.8) = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // Overload and zero traffic.
        assert_eq!(erlang_c(2, 2.0), 1.0);
        assert_eq!(erlang_c(2, 0.0), 0.0);
    }

    #[test]
    fn average_speed_of_answer_hand_numbers() {
        // n = 2, a = 1, AHT 180 s: ASA = (1/3) * 180 / (2 - 1) = 60 s.
        let asa = average_speed_of_answer(2, 1.0, secs(180)).map(|d| d.as_secs_f64());
        assert!(asa.is_some_and(|s| (s - 60.0).abs() < 1e-6));
        // M/M/1, a = 0.5, AHT 100 s: 0.5 * 100 / 0.5 = 100 s.
        let asa = average_speed_of_answer(1, 0.5, secs(100)).map(|d| d.as_secs_f64());
        assert!(asa.is_some_and(|s| (s - 100.0).abs() < 1e-6));
        assert_eq!(average_speed_of_answer(1, 1.0, secs(100)), None);
    }

    #[test]
    fn ewma_hand_numbers() {
        // (4 * 100 + 200) / 5 = 120.
        assert_eq!(ewma_update(secs(100), secs(200)), secs(120));
        assert_eq!(ewma_update(secs(100), secs(100)), secs(100));
        assert_eq!(
            ewma_update(Duration::MAX, Duration::MAX),
            Duration::from_nanos(u64::MAX)
        );
    }
}
