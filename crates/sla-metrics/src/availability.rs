//! Infrastructure availability of ACD, IVR and CTI per month, in and out of service
//! time, from the engine's own health samples [SLA-1].
//!
//! REQUIREMENTS.md SLA-1 (M §7.1): "ACD ≥90% in service time and ≥85% otherwise; IVR
//! ≥95% H24; CTI ≥90% / ≥85%".

use crate::hours::ServiceHours;
use crate::periods::local_month_bounds;
use crate::{Component, HealthSample, Share};

/// Availability of one component over a period; shares are in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AvailabilityFigure {
    pub component: Component,
    /// Up time / time, within service (open) time.
    pub in_service: Share,
    /// Up time / time, outside service time.
    pub out_of_service: Share,
    /// Up time / time, around the clock.
    pub h24: Share,
    /// Target for `in_service` (ACD, CTI: 90), for `out_of_service` (ACD, CTI: 85) and
    /// for `h24` (IVR: 95), `None` where SLA-1 sets none.
    pub in_service_target: Option<f64>,
    pub out_of_service_target: Option<f64>,
    pub h24_target: Option<f64>,
    /// True when every target set for the component is met (`>=`); figures without
    /// data are not judged.
    pub met: bool,
}

/// SLA-1 availability of `component` in `[from, to)`.
///
/// The samples form a step function: a sample's state holds until the component's next
/// sample, but at most `sample_validity_millis` after it (an engine that stops
/// reporting is not available). Time not covered by any valid `up` sample is down.
/// Samples of other components are ignored; they need not be sorted, and samples
/// before `from` are used for the state at `from`.
pub fn availability(
    samples: &[HealthSample],
    component: Component,
    hours: &dyn ServiceHours,
    from: i64,
    to: i64,
    sample_validity_millis: i64,
) -> AvailabilityFigure {
    let mut own: Vec<&HealthSample> = samples
        .iter()
        .filter(|s| s.component == component)
        .collect();
    own.sort_by_key(|s| s.at);
    let mut up = Vec::new();
    for (i, s) in own.iter().enumerate() {
        if !s.up {
            continue;
        }
        let next = own.get(i + 1).map_or(i64::MAX, |n| n.at);
        let end = next.min(s.at.saturating_add(sample_validity_millis.max(0)));
        up.push((s.at.max(from), end.min(to)));
    }
    let up = crate::merge_intervals(up);
    let open = crate::merge_intervals(hours.open_intervals(from, to));
    let all = crate::span(from, to);
    let open_total = crate::total_millis(&open);
    let up_total = crate::total_millis(&up);
    let up_open = crate::intersection_millis(&up, &open);
    let ms = |x: i64| u64::try_from(x.max(0)).unwrap_or(0);
    let in_service = Share::new(ms(up_open), ms(open_total));
    let out_of_service = Share::new(ms(up_total - up_open), ms(all - open_total));
    let h24 = Share::new(ms(up_total), ms(all));
    let (in_t, out_t, h24_t) = match component {
        Component::Acd | Component::Cti => (Some(90.0), Some(85.0), None),
        Component::Ivr => (None, None, Some(95.0)),
    };
    let ok = |s: Share, t: Option<f64>| match (s.percent, t) {
        (Some(p), Some(t)) => p >= t,
        _ => true,
    };
    AvailabilityFigure {
        component,
        met: ok(in_service, in_t) && ok(out_of_service, out_t) && ok(h24, h24_t),
        in_service,
        out_of_service,
        h24,
        in_service_target: in_t,
        out_of_service_target: out_t,
        h24_target: h24_t,
    }
}

/// SLA-1 availability of ACD, IVR and CTI (in that order) for the local month
/// `year-month`.
pub fn availability_month(
    samples: &[HealthSample],
    hours: &dyn ServiceHours,
    year: i64,
    month: u32,
    offset: &dyn Fn(i64) -> i64,
    sample_validity_millis: i64,
) -> Vec<AvailabilityFigure> {
    let (from, to) = local_month_bounds(year, month, offset);
    [Component::Acd, Component::Ivr, Component::Cti]
        .into_iter()
        .map(|c| availability(samples, c, hours, from, to, sample_validity_millis))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WeeklyUtcHours;

    #[test]
    fn splits_up_time_by_service_time_sla_1() {
        // A Monday (2026-11-23, day 20 780) with service 08:00-18:00 UTC.
        let day = 20_780i64 * 86_400_000;
        let h = |x: i64| day + x * 3_600_000;
        let hours = WeeklyUtcHours::weekdays(8 * 60, 18 * 60);
        // ACD up from 00:00, down 10:00-11:00 and 20:00-22:00, samples every hour valid 2 h.
        let mut samples = Vec::new();
        for x in 0..24 {
            let up = !(x == 10 || x == 20 || x == 21);
            samples.push(HealthSample {
                at: h(x),
                component: Component::Acd,
                up,
            });
        }
        let f = availability(&samples, Component::Acd, &hours, day, h(24), 2 * 3_600_000);
        // In service: 10 h open, 9 h up → 90 %. Out of service: 14 h, 12 h up.
        assert_eq!(
            (f.in_service.count, f.in_service.total),
            (9 * 3_600_000, 10 * 3_600_000)
        );
        assert_eq!(
            (f.out_of_service.count, f.out_of_service.total),
            (12 * 3_600_000, 14 * 3_600_000)
        );
        assert_eq!(f.h24.count, 21 * 3_600_000);
        assert!(f.met);
        // The IVR never reported: 0 % H24, target missed.
        let ivr = availability(&samples, Component::Ivr, &hours, day, h(24), 2 * 3_600_000);
        assert_eq!(ivr.h24.percent, Some(0.0));
        assert!(!ivr.met);
        // A last sample at 23:00 with 2 h validity is clipped at the period end.
        assert_eq!(
            availability(&samples, Component::Acd, &hours, day, h(23), 7_200_000)
                .h24
                .count,
            20 * 3_600_000
        );
    }
}
