//! The business calendar of one service: open / draining / closed at an instant, next
//! opening, supervisor override, and working-time arithmetic for take-in-charge deadlines
//! [IVR-7] [IVR-8] [SLA-6].
//!
//! Open time is computed per local day: each local date that is not a day off contributes
//! its weekly intervals converted to UTC with [`crate::rome::lookup`]; consecutive spans
//! that touch (an interval ending at 24:00 and the next day's starting at 00:00) merge.
//! Queries walk these spans day by day, never minute by minute.

use std::collections::VecDeque;

use crate::civil::LocalDate;
use crate::holidays::{DayOff, DayOffKind, Holidays};
use crate::schedule::WeeklySchedule;
use crate::{UnixSeconds, clamp, rome};

/// How far searches look ahead through days without any open time (four years): a
/// calendar closed for longer than this has no next opening.
pub const SEARCH_HORIZON_DAYS: u32 = 4 * 366;

/// A supervisor's override of the schedule, set through the API and obeyed by scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Override {
    /// Follow the schedule.
    #[default]
    Auto,
    /// Open regardless of the schedule.
    ForceOpen,
    /// Closed regardless of the schedule.
    ForceClosed,
    /// Closed, reported as night mode.
    Night,
}

/// Which closing override is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideClosed {
    ForceClosed,
    Night,
}

/// Why the service is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosedReason {
    /// Outside the weekly hours on a working day.
    OutOfHours,
    /// A national or local holiday, by name.
    Holiday(String),
    /// A one-off closure, by name.
    Closure(String),
    /// A supervisor override.
    Override(OverrideClosed),
}

/// The state of a service at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Open: new callers are queued for operators.
    Open,
    /// Just closed: no new callers, the queue empties until `closes_at` [IVR-7].
    Draining { closes_at: UnixSeconds },
    /// Closed; `next_open` is `None` under a closing override (it has no end time) or when
    /// nothing opens within [`SEARCH_HORIZON_DAYS`].
    Closed {
        reason: ClosedReason,
        next_open: Option<UnixSeconds>,
    },
}

/// The calendar of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    schedule: WeeklySchedule,
    holidays: Holidays,
    drain: i64,
    mode: Override,
}

impl Status {
    /// Whether new callers are accepted.
    pub fn is_open(&self) -> bool {
        matches!(self, Status::Open)
    }

    /// Whether the service is in night mode.
    pub fn is_night(&self) -> bool {
        matches!(
            self,
            Status::Closed {
                reason: ClosedReason::Override(OverrideClosed::Night),
                ..
            }
        )
    }
}

impl Calendar {
    /// A calendar with override `Auto`; `drain_seconds` is clamped to `0..=86_400`.
    pub fn new(schedule: WeeklySchedule, holidays: Holidays, drain_seconds: i64) -> Calendar {
        Calendar {
            schedule,
            holidays,
            drain: drain_seconds.clamp(0, 86_400),
            mode: Override::Auto,
        }
    }

    /// Sets the supervisor override; it affects [`Calendar::status`], [`Calendar::is_open`]
    /// and [`Calendar::next_opening`] only, never the working-time arithmetic.
    pub fn set_override(&mut self, mode: Override) {
        self.mode = mode;
    }

    /// The override in force.
    pub fn override_mode(&self) -> Override {
        self.mode
    }

    /// The weekly hours, for the closed message [IVR-6].
    pub fn weekly_hours(&self) -> &WeeklySchedule {
        &self.schedule
    }

    /// The local holidays and closures.
    pub fn holidays(&self) -> &Holidays {
        &self.holidays
    }

    /// The drain window after each closing, in seconds.
    pub fn drain_seconds(&self) -> i64 {
        self.drain
    }

    /// The day off on a local date, if any (for a script's holiday branch).
    pub fn day_off(&self, date: LocalDate) -> Option<DayOff> {
        self.holidays.day_off(date)
    }

    /// The state at `t`, honouring the override.
    pub fn status(&self, t: UnixSeconds) -> Status {
        match self.mode {
            Override::Auto => self.schedule_status(t),
            Override::ForceOpen => Status::Open,
            Override::ForceClosed => Status::Closed {
                reason: ClosedReason::Override(OverrideClosed::ForceClosed),
                next_open: None,
            },
            Override::Night => Status::Closed {
                reason: ClosedReason::Override(OverrideClosed::Night),
                next_open: None,
            },
        }
    }

    /// The state at `t` by the schedule alone, ignoring the override.
    pub fn schedule_status(&self, t: UnixSeconds) -> Status {
        let t = clamp(t);
        // The drain is at most a day, so closings that matter belong to the last three days.
        let mut last_end = None;
        let mut next_open = None;
        for (start, end) in self.spans(local_day(t) - 3, None) {
            if start > t {
                next_open = Some(start);
                break;
            }
            if t < end {
                return Status::Open;
            }
            last_end = Some(end);
        }
        if let Some(end) = last_end {
            let drain_end = end + self.drain;
            if t < drain_end {
                return Status::Draining {
                    closes_at: next_open.map_or(drain_end, |n| n.min(drain_end)),
                };
            }
        }
        Status::Closed {
            reason: self.reason_at(t),
            next_open,
        }
    }

    /// Whether new callers are accepted at `t` (draining counts as closed).
    pub fn is_open(&self, t: UnixSeconds) -> bool {
        self.status(t).is_open()
    }

    /// The first instant at or after `t` when the service is open, honouring the override.
    pub fn next_opening(&self, t: UnixSeconds) -> Option<UnixSeconds> {
        match self.mode {
            Override::Auto => self.schedule_next_opening(t),
            Override::ForceOpen => Some(t),
            Override::ForceClosed | Override::Night => None,
        }
    }

    /// The first instant at or after `t` when the schedule is open, ignoring the override.
    pub fn schedule_next_opening(&self, t: UnixSeconds) -> Option<UnixSeconds> {
        let t = clamp(t);
        self.spans(local_day(t), None)
            .find(|&(_, end)| end > t)
            .map(|(start, _)| start.max(t))
    }

    /// The instant when `seconds` of open time have passed since `t` ("t + N working
    /// hours", [SLA-6]); drain windows and the override do not count. The result is the end
    /// of the last counted second, so it may be a closing instant. `None` when the schedule
    /// runs out of open time (see [`SEARCH_HORIZON_DAYS`]).
    pub fn add_working_time(&self, t: UnixSeconds, seconds: i64) -> Option<UnixSeconds> {
        let t = clamp(t);
        if seconds <= 0 {
            return Some(t);
        }
        if seconds > crate::MAX_INSTANT - t {
            // There is not that much time left, open or not.
            return None;
        }
        let mut left = seconds;
        for (start, end) in self.spans(local_day(t), None) {
            let from = start.max(t);
            if end <= from {
                continue;
            }
            if left <= end - from {
                return Some(from + left);
            }
            left -= end - from;
        }
        None
    }

    /// Seconds of open time in `[a, b)`; 0 when `b <= a` [SLA-6].
    pub fn working_seconds_between(&self, a: UnixSeconds, b: UnixSeconds) -> i64 {
        self.open_intervals(a, b).iter().map(|(s, e)| e - s).sum()
    }

    /// The open time within `[from, to)` as sorted, disjoint, non-touching `(start, end)`
    /// pairs in Unix seconds, ignoring the override and the drain.
    pub fn open_intervals(
        &self,
        from: UnixSeconds,
        to: UnixSeconds,
    ) -> Vec<(UnixSeconds, UnixSeconds)> {
        let (from, to) = (clamp(from), clamp(to));
        let mut out = Vec::new();
        if to <= from {
            return out;
        }
        for (start, end) in self.spans(local_day(from), Some(local_day(to))) {
            if start >= to {
                break;
            }
            let (s, e) = (start.max(from), end.min(to));
            if s < e {
                out.push((s, e));
            }
        }
        out
    }

    /// The open intervals of one local date in Unix seconds (empty on a day off).
    pub fn day_intervals(&self, date: LocalDate) -> Vec<(UnixSeconds, UnixSeconds)> {
        let mut out = Vec::new();
        if self.holidays.is_day_off(date) {
            return out;
        }
        for iv in self.schedule.intervals(date.weekday()) {
            let s = rome::lookup(date, i64::from(iv.start.minutes()) * 60).resolve();
            let e = rome::lookup(date, i64::from(iv.end.minutes()) * 60).resolve();
            // An interval inside the spring gap collapses to nothing.
            if s < e {
                out.push((s, e));
            }
        }
        out
    }

    /// Merged open spans starting with local day `first_day`, up to `last_day` included
    /// or, without one, until [`SEARCH_HORIZON_DAYS`] empty days in a row.
    fn spans(&self, first_day: i64, last_day: Option<i64>) -> Spans<'_> {
        Spans {
            cal: self,
            next_day: first_day,
            last_day: last_day.unwrap_or_else(|| local_day(crate::MAX_INSTANT)),
            bounded: last_day.is_some(),
            raw: VecDeque::new(),
            empty_streak: 0,
        }
    }

    /// The closed reason by the day of `t`: a day off names itself, otherwise out of hours.
    fn reason_at(&self, t: UnixSeconds) -> ClosedReason {
        match self.holidays.day_off(rome::local_date(t)) {
            Some(DayOff {
                kind: DayOffKind::National | DayOffKind::Local,
                name,
            }) => ClosedReason::Holiday(name),
            Some(DayOff {
                kind: DayOffKind::Closure,
                name,
            }) => ClosedReason::Closure(name),
            None => ClosedReason::OutOfHours,
        }
    }
}

/// An iterator over merged open spans, expanding one local day at a time.
struct Spans<'a> {
    cal: &'a Calendar,
    next_day: i64,
    last_day: i64,
    bounded: bool,
    raw: VecDeque<(UnixSeconds, UnixSeconds)>,
    empty_streak: u32,
}

impl Iterator for Spans<'_> {
    type Item = (UnixSeconds, UnixSeconds);

    fn next(&mut self) -> Option<Self::Item> {
        if self.cal.schedule.is_empty() {
            return None;
        }
        if self.raw.is_empty() && !self.fill() {
            return None;
        }
        let mut cur = self.raw.pop_front()?;
        loop {
            if self.raw.is_empty() {
                // Only the next day's midnight can touch the current span's end.
                let midnight = day_start(self.next_day);
                if self.next_day > self.last_day || cur.1 < midnight || !self.expand_one() {
                    return Some(cur);
                }
                continue;
            }
            match self.raw.front() {
                Some(&(s, e)) if s <= cur.1 => {
                    cur.1 = cur.1.max(e);
                    self.raw.pop_front();
                }
                _ => return Some(cur),
            }
        }
    }
}

impl Spans<'_> {
    /// Expands days until some raw interval is buffered; false when the search ends.
    fn fill(&mut self) -> bool {
        while self.raw.is_empty() {
            if self.next_day > self.last_day
                || (!self.bounded && self.empty_streak >= SEARCH_HORIZON_DAYS)
            {
                return false;
            }
            self.expand_one();
        }
        true
    }

    /// Buffers the intervals of the next day; returns whether there were any.
    fn expand_one(&mut self) -> bool {
        let date = LocalDate::from_days(self.next_day);
        self.next_day += 1;
        let ivs = self.cal.day_intervals(date);
        if ivs.is_empty() {
            self.empty_streak = self.empty_streak.saturating_add(1);
            return false;
        }
        self.empty_streak = 0;
        self.raw.extend(ivs);
        true
    }
}

/// The local day number (days since 1970-01-01) of `t` in Rome.
fn local_day(t: UnixSeconds) -> i64 {
    rome::local_date(t).days()
}

/// The instant of local midnight starting local day `day`.
fn day_start(day: i64) -> UnixSeconds {
    rome::lookup(LocalDate::from_days(day), 0).resolve()
}
