//! The JSON and CSV renderings of a report: every figure with threshold, met flag,
//! numerator and denominator; the ARERA TIQV block with keys `AS`, `TMA`, `LS` (one
//! decimal) per month; `null` (JSON) or an empty cell (CSV) for no data, never NaN
//! [SLA-9, SLA-10, issue 7 items 3-4].

use serde_json::{Map, Value, json};
use sla_metrics::{CallRecord, MeanSeconds, Report, Share};

use super::figures::{Figure, all_figures, period_label, report_figures};
use super::model::{ReportData, SemesterRow, TiqvRow};

/// The CSV header.
pub const CSV_HEADER: &str =
    "section,indicator,channel,period,value,unit,threshold,met,numerator,denominator";

/// One CSV row per figure (RFC 4180, CRLF line ends like `export-calls`).
pub fn to_csv(data: &ReportData) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    for f in all_figures(data) {
        let cells = [
            f.section.to_owned(),
            f.indicator.clone(),
            f.channel.clone(),
            f.period.clone(),
            f.value.map(super::figures::number_text).unwrap_or_default(),
            f.unit.to_owned(),
            f.threshold.map(|t| t.text()).unwrap_or_default(),
            f.met.map(|m| m.to_string()).unwrap_or_default(),
            f.numerator
                .map(super::figures::number_text)
                .unwrap_or_default(),
            f.denominator.map(|d| d.to_string()).unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The JSON document (pretty-printed).
pub fn to_json(data: &ReportData) -> anyhow::Result<String> {
    let period = period_label(data);
    let channels: Vec<Value> = data
        .channels
        .iter()
        .map(|r| report_json(r, &period, data.has_health))
        .collect();
    let total = data
        .total
        .as_ref()
        .map(|r| report_json(r, &period, data.has_health));
    let doc = json!({
        "from": data.from_day.to_string(),
        "to": data.to_day.to_string(),
        "timezone": "Europe/Rome",
        "from_utc": rfc3339(data.from),
        "to_utc": rfc3339(data.to),
        "source": data.source,
        "lines": data.lines,
        "notes": data.notes,
        "channels": channels,
        "total": total,
        "tiqv": {
            "months": data.tiqv_months.iter().map(tiqv_month_json).collect::<Vec<_>>(),
            "semesters": data.semesters.iter().map(semester_json).collect::<Vec<_>>(),
        },
        "daily": data.daily.iter().map(|d| json!({
            "day": d.label,
            "calls": d.calls,
            "answered": d.answered,
            "abandoned_queue": d.abandoned_queue,
            "abandoned_ivr": d.abandoned_ivr,
            "ASA": d.average_speed_of_answer.seconds_one_decimal,
            "AHT": d.average_handle_time.seconds_one_decimal,
        })).collect::<Vec<_>>(),
        "groups": data.groups.iter().map(|g| json!({
            "period": g.label,
            "from_utc": rfc3339(g.from),
            "to_utc": rfc3339(g.to),
            "partial": g.partial,
            "channels": g.channels.iter().map(|r| report_json(r, &g.label, data.has_health)).collect::<Vec<_>>(),
            "total": g.total.as_ref().map(|r| report_json(r, &g.label, data.has_health)),
        })).collect::<Vec<_>>(),
        "call_count": data.calls.len(),
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// A register instant as RFC 3339 UTC with milliseconds.
pub fn rfc3339(t: i64) -> String {
    sql_store::UnixMillis::from_millis(t).to_rfc3339()
}

/// An optional register instant as RFC 3339 UTC, empty when missing.
pub fn rfc3339_opt(t: Option<i64>) -> String {
    t.map(rfc3339).unwrap_or_default()
}

/// The register row's fields in the order of the "Chiamate" sheet.
pub fn call_cells(c: &CallRecord) -> [String; 14] {
    let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    [
        c.id.to_string(),
        c.channel.clone(),
        c.from.clone(),
        c.to.clone(),
        rfc3339(c.started_at),
        rfc3339_opt(c.operator_requested_at),
        rfc3339_opt(c.answered_at),
        rfc3339_opt(c.ended_at),
        c.queue.clone().unwrap_or_default(),
        c.agent.clone().unwrap_or_default(),
        num(c.wait_seconds),
        num(c.talk_seconds),
        c.outcome.as_str().to_owned(),
        num(c.ticket_id),
    ]
}

fn report_json(r: &Report, period: &str, has_health: bool) -> Value {
    let figures = report_figures(r, period, has_health);
    let mut map = Map::new();
    for f in &figures {
        map.insert(f.indicator.clone(), figure_json(f));
    }
    let outcomes: Map<String, Value> = r
        .outcome_mix
        .iter()
        .map(|o| (o.outcome.as_str().to_owned(), json!(o.share.count)))
        .collect();
    json!({
        "channel": r.channel,
        "from_utc": rfc3339(r.from),
        "to_utc": rfc3339(r.to),
        "calls": r.calls,
        "inbound_calls": r.inbound_calls,
        "tiqv": {
            "AS": r.tiqv_accessibility.percent_one_decimal,
            "TMA": r.tiqv_mean_wait.seconds_one_decimal,
            "LS": r.tiqv_service_level.percent_one_decimal,
        },
        "thresholds": {
            "SLA.C.1": r.thresholds.free_line_min,
            "SLA.C.2": r.thresholds.answered_within_min,
            "SLA.C.3": r.thresholds.queue_abandon_max,
            "SLA.C.4": r.thresholds.first_contact_min,
        },
        "figures": map,
        "calls_per_hour_slot": r.calls_per_hour_slot.to_vec(),
        "outcomes": outcomes,
        "incomplete_call_ids": r.incomplete_call_ids,
    })
}

fn figure_json(f: &Figure) -> Value {
    json!({
        "section": f.section,
        "label": f.label,
        "value": f.value,
        "unit": f.unit,
        "threshold": f.threshold.map(|t| json!({"op": t.comparison.symbol(), "value": t.value})),
        "met": f.met,
        "numerator": f.numerator,
        "denominator": f.denominator,
    })
}

fn share_detail(s: &Share) -> Value {
    json!({"numerator": s.count, "denominator": s.total, "percent": s.percent})
}

fn mean_detail(m: &MeanSeconds) -> Value {
    json!({"numerator_seconds": m.total_millis as f64 / 1000.0, "denominator": m.count, "seconds": m.seconds})
}

fn tiqv_month_json(m: &TiqvRow) -> Value {
    let t = sla_metrics::TiqvTargets::default();
    json!({
        "channel": m.channel,
        "month": m.label,
        "from_utc": rfc3339(m.from),
        "to_utc": rfc3339(m.to),
        "partial": m.partial,
        "AS": m.accessibility.percent_one_decimal,
        "TMA": m.mean_wait.seconds_one_decimal,
        "LS": m.service_level.percent_one_decimal,
        "thresholds": {
            "AS": {"op": ">", "value": t.accessibility_above},
            "TMA": {"op": "<", "value": t.mean_wait_below_seconds},
            "LS": {"op": ">", "value": t.service_level_above},
        },
        "met": {"AS": m.met[0], "TMA": m.met[1], "LS": m.met[2]},
        "detail": {
            "AS": share_detail(&m.accessibility),
            "TMA": mean_detail(&m.mean_wait),
            "LS": share_detail(&m.service_level),
        },
        "misses": m.misses,
        "vus_com_penalty_eur": m.vus_com_penalty_eur,
    })
}

fn semester_json(s: &SemesterRow) -> Value {
    json!({
        "channel": s.channel,
        "semester": s.label,
        "months": s.months,
        "months_compliant": s.months_compliant,
        "AS": s.accessibility.percent_one_decimal,
        "TMA": s.mean_wait.seconds_one_decimal,
        "LS": s.service_level.percent_one_decimal,
        "detail": {
            "AS": share_detail(&s.accessibility),
            "TMA": mean_detail(&s.mean_wait),
            "LS": share_detail(&s.service_level),
        },
        "penalties_eur": s.penalties_eur,
    })
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
