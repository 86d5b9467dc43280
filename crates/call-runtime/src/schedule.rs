//! The services' calendars at run time, with the supervisor's override (force open, force
//! closed, night mode, back to the schedule) that the queue calls obey [IVR-7, IVR-8].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use business_calendar::{Calendar, Override, Status};

/// Every service's calendar, shared by the call tasks and the API.
#[derive(Debug, Default)]
pub(crate) struct Schedules {
    calendars: Mutex<HashMap<String, Calendar>>,
}

/// No service has this name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no service {0}")]
pub struct UnknownService(pub String);

impl Schedules {
    pub(crate) fn new(services: &[crate::ServiceSchedule]) -> Schedules {
        let calendars = services.iter().map(|s| (s.name.clone(), s.calendar.clone())).collect();
        Schedules { calendars: Mutex::new(calendars) }
    }

    /// The calendars, even after a panicking holder (they are plain values).
    fn calendars(&self) -> std::sync::MutexGuard<'_, HashMap<String, Calendar>> {
        self.calendars.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The service's state at `at`; a service without a calendar is always open.
    pub(crate) fn status(&self, service: &str, at: SystemTime) -> Status {
        let secs = at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let calendars = self.calendars();
        calendars.get(service).map_or(Status::Open, |c| c.status(secs))
    }

    /// Sets a service's override.
    pub(crate) fn set_override(&self, service: &str, mode: Override) -> Result<(), UnknownService> {
        let mut calendars = self.calendars();
        let calendar = calendars.get_mut(service).ok_or_else(|| UnknownService(service.to_owned()))?;
        calendar.set_override(mode);
        Ok(())
    }

    /// `at` plus `seconds` of the service's working time (the take-in-charge deadline of
    /// off-line work [SLA-6]); `None` without a calendar.
    pub(crate) fn add_working_time(&self, service: &str, at: SystemTime, seconds: i64) -> Option<SystemTime> {
        let secs = at.duration_since(SystemTime::UNIX_EPOCH).ok().and_then(|d| i64::try_from(d.as_secs()).ok())?;
        let calendars = self.calendars();
        let due = calendars.get(service)?.add_working_time(secs, seconds)?;
        Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(due).ok()?))
    }

    /// A service's override now.
    pub(crate) fn override_mode(&self, service: &str) -> Option<Override> {
        let calendars = self.calendars();
        calendars.get(service).map(Calendar::override_mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use business_calendar::CalendarConfig;

    #[test]
    fn ivr_8_the_override_beats_the_schedule_and_auto_restores_it() {
        let calendar = CalendarConfig { hours: vec!["Mon-Fri 09:00-17:00".into()], drain_minutes: 15, ..CalendarConfig::default() }.build().unwrap();
        let s = Schedules::new(&[crate::ServiceSchedule { name: "verde".into(), calendar }]);
        // Sunday 2026-11-22 12:00 UTC: closed by the schedule.
        let sunday = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_348_800);
        assert!(matches!(s.status("verde", sunday), Status::Closed { .. }));
        s.set_override("verde", Override::ForceOpen).unwrap();
        assert_eq!(s.status("verde", sunday), Status::Open);
        s.set_override("verde", Override::Auto).unwrap();
        assert!(matches!(s.status("verde", sunday), Status::Closed { .. }));
        assert_eq!(s.set_override("nowhere", Override::Night), Err(UnknownService("nowhere".into())));
        assert_eq!(s.status("no-calendar", sunday), Status::Open, "no calendar: always open");
        assert_eq!(s.override_mode("verde"), Some(Override::Auto));
    }
}
