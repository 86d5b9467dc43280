//! Shared helpers of the integration tests: UTC instants and the Europe/Rome offset of
//! 2026 [SLA-9, SLA-10 local-time aggregation].

use cc_model::wall_clock::days_from_civil;

/// Unix milliseconds of a UTC civil time.
pub fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> i64 {
    days_from_civil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000
}

/// Europe/Rome offset in milliseconds (EU rule: summer time from the last Sunday of
/// March 01:00 UTC to the last Sunday of October 01:00 UTC), for 2025–2027.
pub fn rome(t: i64) -> i64 {
    let summer = [
        (utc(2025, 3, 30, 1, 0, 0), utc(2025, 10, 26, 1, 0, 0)),
        (utc(2026, 3, 29, 1, 0, 0), utc(2026, 10, 25, 1, 0, 0)),
        (utc(2027, 3, 28, 1, 0, 0), utc(2027, 10, 31, 1, 0, 0)),
    ];
    if summer.iter().any(|&(a, b)| (a..b).contains(&t)) {
        7_200_000
    } else {
        3_600_000
    }
}
