//! The report as a flat list of figures (section, indicator, channel, period, value,
//! unit, threshold, met, numerator, denominator): the rows of the CSV, of the xlsx
//! summary and the `figures` of the JSON, so the three formats never disagree
//! [SLA-2..SLA-10, issue 7 item 4].

use sla_metrics::{MeanSeconds, Report, Share};

use super::model::{DayRow, ReportData, SemesterRow, TiqvRow};

/// How a value is judged against its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    AtLeast,
    AtMost,
    Above,
    Below,
    Equal,
}

impl Comparison {
    /// `>=`, `<=`, `>`, `<`, `=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::AtMost => "<=",
            Comparison::Above => ">",
            Comparison::Below => "<",
            Comparison::Equal => "=",
        }
    }

    fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::AtLeast => value >= threshold,
            Comparison::AtMost => value <= threshold,
            Comparison::Above => value > threshold,
            Comparison::Below => value < threshold,
            Comparison::Equal => value == threshold,
        }
    }
}

/// A threshold such as `>= 90`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub comparison: Comparison,
    pub value: f64,
}

impl Threshold {
    /// `>=90`, `<180`.
    pub fn text(&self) -> String {
        format!("{}{}", self.comparison.symbol(), self.value)
    }
}

/// One figure; `None` values mean "no data".
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// `tender`, `tiqv`, `availability`, `traffic`, `outcome`, `hour_slot`,
    /// `tiqv_month`, `tiqv_semester`, `daily`.
    pub section: &'static str,
    /// Stable key: `SLA.C.1`, `AS`, `TMA`, `LS`, `ASA`, `outcome.answered`, …
    pub indicator: String,
    /// Italian description for the workbook.
    pub label: String,
    /// Channel name, or `all`.
    pub channel: String,
    /// `2026-11-01..2026-11-30`, a month `2026-11`, a semester `2026-S2` or a day.
    pub period: String,
    pub value: Option<f64>,
    /// `%`, `s`, `calls`, `EUR`, `agents`, `units`.
    pub unit: &'static str,
    pub threshold: Option<Threshold>,
    pub met: Option<bool>,
    pub numerator: Option<f64>,
    pub denominator: Option<u64>,
}

/// The figures of one report (one channel or `all`), in the order of the sections.
pub fn report_figures(r: &Report, period: &str, has_health: bool) -> Vec<Figure> {
    let channel = r.channel.clone().unwrap_or_else(|| "all".to_owned());
    let mut out = Vec::new();
    let mut push = |section: &'static str, indicator: &str, label: &str, unit: &'static str| {
        let f = Figure {
            section,
            indicator: indicator.to_owned(),
            label: label.to_owned(),
            channel: channel.clone(),
            period: period.to_owned(),
            value: None,
            unit,
            threshold: None,
            met: None,
            numerator: None,
            denominator: None,
        };
        out.push(f);
        out.len() - 1
    };
    let mut figures: Vec<(usize, Fill)> = Vec::new();
    let t = &r.thresholds;
    let th = |comparison, value| Some(Threshold { comparison, value });
    // Tender SLA.C / SLA.O [SLA-2..SLA-6]: judged on the exact percentage.
    figures.push((
        push(
            "tender",
            "SLA.C.1",
            "Contatti che trovano una linea libera",
            "%",
        ),
        Fill::share(r.free_line, th(Comparison::AtLeast, t.free_line_min), false),
    ));
    figures.push((
        push(
            "tender",
            "SLA.C.2",
            "Chiamate in coda risposte entro 30 s",
            "%",
        ),
        Fill::share(
            r.queue_wait.answered_within,
            th(Comparison::AtLeast, t.answered_within_min),
            false,
        ),
    ));
    let queued = r.queue_wait.answered_within.total;
    figures.push((
        push(
            "tender",
            "SLA.C.2.over_90s",
            "Chiamate in coda oltre 90 s",
            "calls",
        ),
        Fill::count(
            (queued > 0).then_some(r.queue_wait.over_limit),
            th(Comparison::Equal, 0.0),
            Some(queued),
        ),
    ));
    figures.push((
        push("tender", "SLA.C.3", "Abbandoni in coda", "%"),
        Fill::share(
            r.queue_abandon,
            th(Comparison::AtMost, t.queue_abandon_max),
            false,
        ),
    ));
    figures.push((
        push("tender", "SLA.C.4", "Risoluzione al primo contatto", "%"),
        Fill::share(
            r.first_contact_resolution,
            th(Comparison::AtLeast, t.first_contact_min),
            false,
        ),
    ));
    figures.push((
        push(
            "tender",
            "SLA.O.1",
            "Richieste off-line prese in carico entro 4 h lavorative",
            "%",
        ),
        Fill::share(r.offline.taken_within, th(Comparison::AtLeast, 80.0), false),
    ));
    figures.push((
        push(
            "tender",
            "SLA.O.2",
            "Richieste off-line risolte entro 24 h lavorative",
            "%",
        ),
        Fill::share(
            r.offline.resolved_within_first,
            th(Comparison::AtLeast, 80.0),
            false,
        ),
    ));
    figures.push((
        push(
            "tender",
            "SLA.O.3",
            "Richieste off-line risolte entro 48 h lavorative",
            "%",
        ),
        Fill::share(
            r.offline.resolved_within_second,
            th(Comparison::AtLeast, 100.0),
            false,
        ),
    ));
    figures.push((
        push(
            "tender",
            "SLA.C.penalties",
            "Penali SLA.C (per punto)",
            "EUR",
        ),
        Fill::value(Some(r.penalties_cents as f64 / 100.0)),
    ));
    // ARERA TIQV [SLA-9]: judged on the one-decimal values, strictly.
    let targets = sla_metrics::TiqvTargets::default();
    figures.push((
        push("tiqv", "AS", "Accessibilità al servizio (ARERA AS)", "%"),
        Fill::share(
            r.tiqv_accessibility,
            th(Comparison::Above, targets.accessibility_above),
            true,
        ),
    ));
    figures.push((
        push("tiqv", "TMA", "Tempo medio di attesa (ARERA TMA)", "s"),
        Fill::mean(
            r.tiqv_mean_wait,
            th(Comparison::Below, targets.mean_wait_below_seconds),
        ),
    ));
    figures.push((
        push("tiqv", "LS", "Livello di servizio (ARERA LS)", "%"),
        Fill::share(
            r.tiqv_service_level,
            th(Comparison::Above, targets.service_level_above),
            true,
        ),
    ));
    figures.push((
        push("tiqv", "TIQV.misses", "Obiettivi TIQV mancati", "count"),
        Fill::value(Some(f64::from(r.tiqv_misses))),
    ));
    figures.push((
        push(
            "tiqv",
            "TIQV.vus_com_penalty",
            "Penale Vus Com per obiettivi mancati",
            "EUR",
        ),
        Fill::value(Some(f64::from(r.tiqv_vus_com_penalty_eur))),
    ));
    // Availability [SLA-1]: only with health samples.
    for a in &r.availability {
        let name = format!("{:?}", a.component).to_uppercase();
        let rows = [
            (
                "in_service",
                "in orario di servizio",
                a.in_service,
                a.in_service_target,
            ),
            (
                "out_of_service",
                "fuori orario",
                a.out_of_service,
                a.out_of_service_target,
            ),
            ("h24", "H24", a.h24, a.h24_target),
        ];
        for (key, text, share, target) in rows {
            if target.is_none() {
                continue;
            }
            let fill = if has_health {
                Fill::share(
                    share,
                    target.map(|v| Threshold {
                        comparison: Comparison::AtLeast,
                        value: v,
                    }),
                    false,
                )
            } else {
                Fill {
                    threshold: target.map(|v| Threshold {
                        comparison: Comparison::AtLeast,
                        value: v,
                    }),
                    ..Fill::value(None)
                }
            };
            figures.push((
                push(
                    "availability",
                    &format!("{name}.{key}"),
                    &format!("Disponibilità {name} {text}"),
                    "%",
                ),
                fill,
            ));
        }
    }
    // Traffic [SLA-10].
    figures.push((
        push("traffic", "calls", "Chiamate", "calls"),
        Fill::value(Some(r.calls as f64)),
    ));
    figures.push((
        push("traffic", "inbound_calls", "Chiamate entranti", "calls"),
        Fill::value(Some(r.inbound_calls as f64)),
    ));
    figures.push((
        push("traffic", "ASA", "Velocità media di risposta (ASA)", "s"),
        Fill::mean(r.average_speed_of_answer, None),
    ));
    figures.push((
        push("traffic", "AHT", "Durata media di gestione (AHT)", "s"),
        Fill::mean(r.average_handle_time, None),
    ));
    figures.push((
        push("traffic", "ATT", "Durata media di conversazione", "s"),
        Fill::mean(r.average_talk_time, None),
    ));
    figures.push((
        push(
            "traffic",
            "abandon_rate",
            "Tasso di abbandono (coda e IVR)",
            "%",
        ),
        Fill::share(r.abandon_rate, None, false),
    ));
    figures.push((
        push(
            "traffic",
            "announcement.mean_abs_error",
            "Errore medio dell'attesa annunciata",
            "s",
        ),
        Fill::mean(r.announcement.mean_absolute_error, None),
    ));
    figures.push((
        push(
            "traffic",
            "announcement.within_30s",
            "Attese annunciate entro ±30 s",
            "%",
        ),
        Fill::share(r.announcement.within_tolerance, None, false),
    ));
    figures.push((
        push(
            "traffic",
            "staffing.agents",
            "Operatori necessari (Erlang C, ora di punta)",
            "agents",
        ),
        Fill::value(r.staffing.map(|s| f64::from(s.agents))),
    ));
    figures.push((
        push(
            "traffic",
            "staffing.erlangs",
            "Traffico offerto nell'ora di punta",
            "erlang",
        ),
        Fill::value(r.staffing.map(|s| round3(s.traffic_erlangs))),
    ));
    figures.push((
        push(
            "traffic",
            "incomplete_calls",
            "Chiamate con orari mancanti",
            "calls",
        ),
        Fill::value(Some(r.incomplete_call_ids.len() as f64)),
    ));
    for o in &r.outcome_mix {
        let key = o.outcome.as_str();
        figures.push((
            push(
                "outcome",
                &format!("outcome.{key}"),
                &format!("Esito {key}"),
                "%",
            ),
            Fill::share(o.share, None, false),
        ));
    }
    for (hour, n) in r.calls_per_hour_slot.iter().enumerate() {
        figures.push((
            push(
                "hour_slot",
                &format!("slot_{hour:02}"),
                &format!("Chiamate {hour:02}:00-{:02}:00", hour + 1),
                "calls",
            ),
            Fill::value(Some(*n as f64)),
        ));
    }
    for (i, fill) in figures {
        if let Some(f) = out.get_mut(i) {
            fill.apply(f);
        }
    }
    out
}

/// The monthly TIQV rows as figures (section `tiqv_month`) [SLA-9].
pub fn tiqv_month_figures(rows: &[TiqvRow]) -> Vec<Figure> {
    let t = sla_metrics::TiqvTargets::default();
    let mut out = Vec::new();
    for m in rows {
        out.extend(tiqv_triplet(
            "tiqv_month",
            &m.channel,
            &m.label,
            (m.accessibility, m.mean_wait, m.service_level),
            &t,
        ));
    }
    out
}

/// The semester views as figures (section `tiqv_semester`) [SLA-9].
pub fn semester_figures(rows: &[SemesterRow]) -> Vec<Figure> {
    let t = sla_metrics::TiqvTargets::default();
    let mut out = Vec::new();
    for s in rows {
        out.extend(tiqv_triplet(
            "tiqv_semester",
            &s.channel,
            &s.label,
            (s.accessibility, s.mean_wait, s.service_level),
            &t,
        ));
        let mut f = blank(
            "tiqv_semester",
            "months_compliant",
            "Mesi conformi",
            &s.channel,
            &s.label,
            "months",
        );
        f.value = Some(f64::from(s.months_compliant));
        f.numerator = Some(f64::from(s.months_compliant));
        f.denominator = Some(u64::from(s.months));
        out.push(f);
    }
    out
}

/// The daily aggregation as figures (section `daily`, channel `all` or the one asked
/// for) [SLA-10].
pub fn daily_figures(rows: &[DayRow], channel: &str) -> Vec<Figure> {
    let mut out = Vec::new();
    for d in rows {
        let count = |key: &str, label: &str, n: u64| {
            let mut f = blank("daily", key, label, channel, &d.label, "calls");
            f.value = Some(n as f64);
            f
        };
        out.push(count("calls", "Chiamate", d.calls));
        out.push(count("answered", "Risposte", d.answered));
        out.push(count(
            "abandoned_queue",
            "Abbandonate in coda",
            d.abandoned_queue,
        ));
        out.push(count(
            "abandoned_ivr",
            "Abbandonate in IVR",
            d.abandoned_ivr,
        ));
        for (key, label, m) in [
            (
                "ASA",
                "Velocità media di risposta",
                d.average_speed_of_answer,
            ),
            ("AHT", "Durata media di gestione", d.average_handle_time),
        ] {
            let mut f = blank("daily", key, label, channel, &d.label, "s");
            Fill::mean(m, None).apply(&mut f);
            out.push(f);
        }
    }
    out
}

/// Every figure of the report, in the CSV order: per channel and total over the whole
/// period, the same per `--group-by` period (hour slots left out), TIQV months and
/// semesters, daily rows.
pub fn all_figures(data: &ReportData) -> Vec<Figure> {
    let period = period_label(data);
    let mut out = Vec::new();
    for r in data.channels.iter().chain(data.total.iter()) {
        out.extend(report_figures(r, &period, data.has_health));
    }
    for g in &data.groups {
        for r in g.channels.iter().chain(g.total.iter()) {
            out.extend(
                report_figures(r, &g.label, data.has_health)
                    .into_iter()
                    .filter(|f| f.section != "hour_slot"),
            );
        }
    }
    out.extend(tiqv_month_figures(&data.tiqv_months));
    out.extend(semester_figures(&data.semesters));
    let scope = match (&data.total, data.channels.first()) {
        (None, Some(r)) => r.channel.clone().unwrap_or_else(|| "all".to_owned()),
        _ => "all".to_owned(),
    };
    out.extend(daily_figures(&data.daily, &scope));
    out
}

/// `2026-11-01..2026-11-30`.
pub fn period_label(data: &ReportData) -> String {
    format!("{}..{}", data.from_day, data.to_day)
}

/// A number as text for CSV cells: integers without a fraction, others as Rust prints
/// them (shortest round-trip form).
pub fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// How a figure's value, numerator, denominator and met flag are filled in.
struct Fill {
    value: Option<f64>,
    threshold: Option<Threshold>,
    /// The value judged against the threshold (may be more precise than `value`).
    judged: Option<f64>,
    numerator: Option<f64>,
    denominator: Option<u64>,
}

impl Fill {
    /// A percentage share; `regulated` judges the one-decimal value (ARERA), otherwise
    /// the exact percentage (tenders).
    fn share(s: Share, threshold: Option<Threshold>, regulated: bool) -> Fill {
        Fill {
            value: s.percent_one_decimal,
            threshold,
            judged: if regulated {
                s.percent_one_decimal
            } else {
                s.percent
            },
            numerator: Some(s.count as f64),
            denominator: Some(s.total),
        }
    }

    /// A mean in seconds (one decimal); the numerator is the total in seconds.
    fn mean(m: MeanSeconds, threshold: Option<Threshold>) -> Fill {
        Fill {
            value: m.seconds_one_decimal,
            threshold,
            judged: m.seconds_one_decimal,
            numerator: Some(m.total_millis as f64 / 1000.0),
            denominator: Some(m.count),
        }
    }

    fn count(n: Option<u64>, threshold: Option<Threshold>, denominator: Option<u64>) -> Fill {
        Fill {
            value: n.map(|n| n as f64),
            threshold,
            judged: n.map(|n| n as f64),
            numerator: n.map(|n| n as f64),
            denominator,
        }
    }

    fn value(v: Option<f64>) -> Fill {
        Fill {
            value: v,
            threshold: None,
            judged: v,
            numerator: None,
            denominator: None,
        }
    }

    fn apply(self, f: &mut Figure) {
        f.value = self.value;
        f.threshold = self.threshold;
        f.met = match (self.threshold, self.judged) {
            (Some(t), Some(v)) => Some(t.comparison.holds(v, t.value)),
            _ => None,
        };
        f.numerator = self.numerator;
        f.denominator = self.denominator;
    }
}

/// AS, TMA and LS of one row, judged like the regulation (one decimal, strict).
fn tiqv_triplet(
    section: &'static str,
    channel: &str,
    period: &str,
    (accessibility, mean_wait, service_level): (Share, MeanSeconds, Share),
    t: &sla_metrics::TiqvTargets,
) -> Vec<Figure> {
    let mut a = blank(
        section,
        "AS",
        "Accessibilità al servizio (ARERA AS)",
        channel,
        period,
        "%",
    );
    Fill::share(
        accessibility,
        Some(Threshold {
            comparison: Comparison::Above,
            value: t.accessibility_above,
        }),
        true,
    )
    .apply(&mut a);
    let mut m = blank(
        section,
        "TMA",
        "Tempo medio di attesa (ARERA TMA)",
        channel,
        period,
        "s",
    );
    Fill::mean(
        mean_wait,
        Some(Threshold {
            comparison: Comparison::Below,
            value: t.mean_wait_below_seconds,
        }),
    )
    .apply(&mut m);
    let mut l = blank(
        section,
        "LS",
        "Livello di servizio (ARERA LS)",
        channel,
        period,
        "%",
    );
    Fill::share(
        service_level,
        Some(Threshold {
            comparison: Comparison::Above,
            value: t.service_level_above,
        }),
        true,
    )
    .apply(&mut l);
    vec![a, m, l]
}

fn blank(
    section: &'static str,
    indicator: &str,
    label: &str,
    channel: &str,
    period: &str,
    unit: &'static str,
) -> Figure {
    Figure {
        section,
        indicator: indicator.to_owned(),
        label: label.to_owned(),
        channel: channel.to_owned(),
        period: period.to_owned(),
        value: None,
        unit,
        threshold: None,
        met: None,
        numerator: None,
        denominator: None,
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_data_is_none_never_nan_sla_9() {
        let mut f = blank("tiqv", "AS", "", "verde", "p", "%");
        Fill::share(
            Share::new(0, 0),
            Some(Threshold {
                comparison: Comparison::Above,
                value: 95.0,
            }),
            true,
        )
        .apply(&mut f);
        assert_eq!((f.value, f.met, f.denominator), (None, None, Some(0)));
        Fill::share(
            Share::new(19, 20),
            Some(Threshold {
                comparison: Comparison::Above,
                value: 95.0,
            }),
            true,
        )
        .apply(&mut f);
        // 95.0 is not above 95.0.
        assert_eq!((f.value, f.met), (Some(95.0), Some(false)));
    }

    #[test]
    fn numbers_print_without_needless_fractions() {
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(95.1), "95.1");
        assert_eq!(number_text(-3.0), "-3");
    }
}
