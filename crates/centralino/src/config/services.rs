//! `[[service]]` sections: each service's opening hours, drain window, local holidays and
//! closures, built into a `business_calendar::Calendar` (Europe/Rome, Italian holidays)
//! [IVR-7, IVR-8, SLA-6, SLA-9]; errors name the file and line like every section.

use business_calendar::{CalendarConfig, ClosureConfig, LocalHolidayConfig};
use call_runtime::ServiceSchedule;
use serde::Deserialize;
use toml::Spanned;

use super::Validator;

/// `[[service]]`: a service (the green number `verde`, the switchboard `centralino`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ServiceSection {
    name: Spanned<String>,
    /// Weekly hours, e.g. `["Mon-Fri 09:00-17:00"]` or `["lun-ven 08:00-13:00,14:00-19:00"]`.
    hours: Spanned<Vec<String>>,
    /// Minutes after closing that the queue keeps being served (no new callers) [IVR-7].
    #[serde(default)]
    drain_minutes: Option<Spanned<u32>>,
    /// Local holidays (patron saints), recurring every year.
    #[serde(default)]
    local_holiday: Vec<HolidaySection>,
    /// One-off closures (date ranges).
    #[serde(default)]
    closure: Vec<ClosureSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidaySection {
    /// `MM-DD`.
    date: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosureSection {
    /// `YYYY-MM-DD`.
    first: String,
    /// `YYYY-MM-DD`.
    last: String,
    name: String,
}

impl Validator<'_> {
    pub(super) fn services(&mut self, sections: &[ServiceSection]) -> Vec<ServiceSchedule> {
        let mut out: Vec<ServiceSchedule> = Vec::new();
        for s in sections {
            let name = s.name.get_ref().trim().to_owned();
            if name.is_empty() {
                self.issue(s.name.span(), "service.name must not be empty");
                continue;
            }
            if out.iter().any(|o| o.name == name) {
                self.issue(s.name.span(), format!("service {name:?} is defined twice"));
                continue;
            }
            let config = CalendarConfig {
                hours: s.hours.get_ref().clone(),
                drain_minutes: s.drain_minutes.as_ref().map_or(0, |d| *d.get_ref()),
                local_holidays: s.local_holiday.iter().map(|h| LocalHolidayConfig { date: h.date.clone(), name: h.name.clone() }).collect(),
                closures: s
                    .closure
                    .iter()
                    .map(|c| ClosureConfig { first: c.first.clone(), last: c.last.clone(), name: c.name.clone() })
                    .collect(),
            };
            match config.build() {
                Ok(calendar) => out.push(ServiceSchedule { name, calendar }),
                Err(e) => self.issue(s.hours.span(), format!("service {name:?}: {e}")),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::parse;

    const DEMO: &str = include_str!("../../../../config/centralino.toml");

    #[test]
    fn ivr_7_the_demo_services_have_their_hours_and_drain() {
        let cfg = parse(Path::new("c.toml"), DEMO).unwrap();
        let names: Vec<&str> = cfg.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["verde", "centralino"]);
        let verde = &cfg.services[0].calendar;
        assert_eq!(verde.drain_seconds(), 15 * 60);
        // Tuesday 2026-11-24 10:00 CET is 09:00 UTC: open; 20:00 CET closed.
        assert!(verde.is_open(1_795_510_800));
        assert!(!verde.is_open(1_795_510_800 + 10 * 3600));
    }

    #[test]
    fn a_bad_hours_line_names_file_line_and_service() {
        let bad = format!("{DEMO}\n[[service]]\nname = \"extra\"\nhours = [\"Mon-Fri 18:00-09:00\"]\n");
        let err = parse(Path::new("c.toml"), &bad).unwrap_err().to_string();
        let line = DEMO.lines().count() + 4;
        assert!(err.contains(&format!("c.toml:{line}: service \"extra\"")), "{err}");
    }
}
