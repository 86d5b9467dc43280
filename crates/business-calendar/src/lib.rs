//! Sans-IO business calendar of a service: weekly opening hours in Europe/Rome time, Italian
//! holidays, closures, queue drain after closing, supervisor override, and working-time
//! arithmetic [IVR-7] [IVR-8] [SLA-6].
//!
//! Time is passed in as Unix seconds (UTC); nothing here reads a clock, a file or a tz
//! database. Instants outside [`MIN_INSTANT`]`..=`[`MAX_INSTANT`] (about ±9,500 years)
//! are clamped into that range so that no arithmetic can overflow.

pub mod calendar;
pub mod civil;
pub mod config;
pub mod holidays;
pub mod rome;
pub mod schedule;

pub use calendar::{Calendar, ClosedReason, Override, OverrideClosed, Status};
pub use civil::{LocalDate, LocalDateTime, LocalTime, Weekday};
pub use config::{CalendarConfig, CalendarError, ClosureConfig, LocalHolidayConfig};
pub use holidays::{Closure, DayOff, DayOffKind, Holidays, LocalHoliday};
pub use schedule::{OpeningInterval, WeeklySchedule};

/// An instant as seconds since 1970-01-01T00:00:00Z.
pub type UnixSeconds = i64;

/// The earliest supported instant.
pub const MIN_INSTANT: UnixSeconds = -300_000_000_000;
/// The latest supported instant.
pub const MAX_INSTANT: UnixSeconds = 300_000_000_000;

/// `t` clamped into the supported range.
pub(crate) fn clamp(t: UnixSeconds) -> UnixSeconds {
    t.clamp(MIN_INSTANT, MAX_INSTANT)
}
