//! The Excel rendering of a report (`rust_xlsxwriter`): sheets "Riepilogo" (figures
//! with thresholds, missed in red, met in green), "TIQV" (monthly AS/TMA/LS and the
//! semester view), "Fasce orarie" (calls per hour slot with a native column chart),
//! "Giornaliero" (daily aggregation) and "Chiamate" (the register rows), headers in
//! Italian; with `--group-by`, a sixth sheet "Periodi" with the figures of every period
//! [SLA-9, SLA-10, issue 7 item 4].

use rust_xlsxwriter::{Chart, ChartType, Color, Format, Workbook, Worksheet, XlsxError};
use sla_metrics::{MeanSeconds, Share};

use super::figures::{Figure, period_label, report_figures};
use super::model::ReportData;
use super::text::call_cells;

/// The sheet names, in workbook order.
pub const SHEETS: [&str; 5] = [
    "Riepilogo",
    "TIQV",
    "Fasce orarie",
    "Giornaliero",
    "Chiamate",
];

/// The extra sheet of `--group-by`: the summary figures of every period.
pub const GROUPS_SHEET: &str = "Periodi";

/// Register rows the "Chiamate" sheet lists at most (Excel's row limit less the header
/// and the closing note).
const MAX_CALL_ROWS: usize = 1_048_574;

/// Builds the workbook in memory.
pub fn to_xlsx(data: &ReportData) -> Result<Vec<u8>, XlsxError> {
    let styles = Styles::new();
    let mut wb = Workbook::new();
    summary(wb.add_worksheet(), data, &styles)?;
    tiqv(wb.add_worksheet(), data, &styles)?;
    hour_slots(wb.add_worksheet(), data, &styles)?;
    daily(wb.add_worksheet(), data, &styles)?;
    calls(wb.add_worksheet(), data, &styles)?;
    if !data.groups.is_empty() {
        groups(wb.add_worksheet(), data, &styles)?;
    }
    wb.save_to_buffer()
}

/// Cell formats shared by the sheets.
struct Styles {
    header: Format,
    title: Format,
    missed: Format,
    met: Format,
}

impl Styles {
    fn new() -> Styles {
        Styles {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0x00D9_E1F2)),
            title: Format::new().set_bold().set_font_size(14),
            missed: Format::new()
                .set_background_color(Color::RGB(0x00FF_C7CE))
                .set_font_color(Color::RGB(0x009C_0006)),
            met: Format::new()
                .set_background_color(Color::RGB(0x00C6_EFCE))
                .set_font_color(Color::RGB(0x0000_6100)),
        }
    }

    /// The format of a value cell by its met flag.
    fn judged(&self, met: Option<bool>) -> Option<&Format> {
        match met {
            Some(true) => Some(&self.met),
            Some(false) => Some(&self.missed),
            None => None,
        }
    }
}

fn summary(ws: &mut Worksheet, data: &ReportData, s: &Styles) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[0])?;
    ws.write_string_with_format(0, 0, "Centralino: indicatori di servizio", &s.title)?;
    ws.write_string(1, 0, "Periodo (Europe/Rome)")?;
    ws.write_string(1, 1, format!("{} - {}", data.from_day, data.to_day))?;
    ws.write_string(2, 0, "Fonte dei dati")?;
    ws.write_string(2, 1, data.source.as_str())?;
    ws.write_string(3, 0, "Linee per canale (AS)")?;
    ws.write_number(3, 1, f64::from(data.lines))?;
    let mut row: u32 = 4;
    for note in &data.notes {
        ws.write_string(row, 0, "Nota")?;
        ws.write_string(row, 1, note.as_str())?;
        row += 1;
    }
    row += 1;
    let headers = [
        "Sezione",
        "Indicatore",
        "Descrizione",
        "Canale",
        "Valore",
        "Unità",
        "Soglia",
        "Rispettata",
        "Numeratore",
        "Denominatore",
    ];
    header_row(ws, row, &headers, s)?;
    ws.set_freeze_panes(row + 1, 0)?;
    row += 1;
    let period = period_label(data);
    for r in data.channels.iter().chain(data.total.iter()) {
        for f in report_figures(r, &period, data.has_health) {
            if f.section == "hour_slot" {
                continue;
            }
            figure_row(ws, row, &f, s)?;
            row += 1;
        }
    }
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 26)?;
    ws.set_column_width(2, 52)?;
    ws.set_column_width(3, 12)?;
    Ok(())
}

fn tiqv(ws: &mut Worksheet, data: &ReportData, s: &Styles) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[1])?;
    ws.write_string_with_format(
        0,
        0,
        "ARERA TIQV: valori mensili (obiettivi AS > 95%, TMA < 180 s, LS > 85%)",
        &s.title,
    )?;
    let headers = [
        "Canale",
        "Mese",
        "Parziale",
        "AS %",
        "Unità con linea libera",
        "Unità di apertura",
        "TMA s",
        "Chiamate (TMA)",
        "LS %",
        "Chiamate servite",
        "Richieste di operatore",
        "Obiettivi mancati",
        "Penale Vus Com €",
    ];
    header_row(ws, 2, &headers, s)?;
    let mut row = 3u32;
    for m in &data.tiqv_months {
        ws.write_string(row, 0, m.channel.as_str())?;
        ws.write_string(row, 1, m.label.as_str())?;
        ws.write_string(row, 2, if m.partial { "sì" } else { "no" })?;
        share_cells(ws, row, 3, &m.accessibility, m.met[0], s)?;
        mean_cells(ws, row, 6, &m.mean_wait, m.met[1], s)?;
        share_cells(ws, row, 8, &m.service_level, m.met[2], s)?;
        ws.write_number(row, 11, f64::from(m.misses))?;
        ws.write_number(row, 12, f64::from(m.vus_com_penalty_eur))?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, "Vista semestrale", &s.title)?;
    row += 1;
    let headers = [
        "Canale",
        "Semestre",
        "Mesi",
        "AS %",
        "Unità con linea libera",
        "Unità di apertura",
        "TMA s",
        "Chiamate (TMA)",
        "LS %",
        "Chiamate servite",
        "Richieste di operatore",
        "Mesi conformi",
        "Penali €",
    ];
    header_row(ws, row, &headers, s)?;
    row += 1;
    let t = sla_metrics::TiqvTargets::default();
    for sem in &data.semesters {
        ws.write_string(row, 0, sem.channel.as_str())?;
        ws.write_string(row, 1, sem.label.as_str())?;
        ws.write_number(row, 2, f64::from(sem.months))?;
        let a = sem
            .accessibility
            .percent_one_decimal
            .map(|v| v > t.accessibility_above);
        let w = sem
            .mean_wait
            .seconds_one_decimal
            .map(|v| v < t.mean_wait_below_seconds);
        let l = sem
            .service_level
            .percent_one_decimal
            .map(|v| v > t.service_level_above);
        share_cells(ws, row, 3, &sem.accessibility, a, s)?;
        mean_cells(ws, row, 6, &sem.mean_wait, w, s)?;
        share_cells(ws, row, 8, &sem.service_level, l, s)?;
        ws.write_number(row, 11, f64::from(sem.months_compliant))?;
        ws.write_number(row, 12, f64::from(sem.penalties_eur))?;
        row += 1;
    }
    ws.set_column_width(0, 12)?;
    ws.set_column_width(1, 10)?;
    Ok(())
}

fn hour_slots(ws: &mut Worksheet, data: &ReportData, s: &Styles) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[2])?;
    let mut headers: Vec<String> = vec!["Fascia oraria".to_owned()];
    let series: Vec<(String, [u64; 24])> = data
        .channels
        .iter()
        .map(|r| (r.channel.clone().unwrap_or_default(), r.calls_per_hour_slot))
        .chain(
            data.total
                .iter()
                .map(|r| ("Totale".to_owned(), r.calls_per_hour_slot)),
        )
        .collect();
    headers.extend(series.iter().map(|(name, _)| name.clone()));
    let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    header_row(ws, 0, &refs, s)?;
    for hour in 0..24u32 {
        let row = hour + 1;
        ws.write_string(row, 0, format!("{hour:02}:00-{:02}:00", hour + 1))?;
        for (col, (_, slots)) in (1u16..).zip(&series) {
            let n = slots.get(hour as usize).copied().unwrap_or(0);
            ws.write_number(row, col, n as f64)?;
        }
    }
    let mut chart = Chart::new(ChartType::Column);
    chart
        .title()
        .set_name("Chiamate entranti per fascia oraria");
    chart.x_axis().set_name("Fascia oraria (ora locale)");
    chart.y_axis().set_name("Chiamate");
    // Per channel only (the total would double the bars) unless there is just the total.
    let plotted: Vec<u16> = if series.len() > 1 && data.total.is_some() {
        (1u16..).take(series.len() - 1).collect()
    } else {
        (1u16..).take(series.len()).collect()
    };
    for col in plotted {
        chart
            .add_series()
            .set_name((SHEETS[2], 0, col))
            .set_categories((SHEETS[2], 1, 0, 24, 0))
            .set_values((SHEETS[2], 1, col, 24, col));
    }
    ws.set_column_width(0, 14)?;
    let chart_col = u16::try_from(series.len() + 2).unwrap_or(8);
    ws.insert_chart(1, chart_col, &chart)?;
    Ok(())
}

fn daily(ws: &mut Worksheet, data: &ReportData, s: &Styles) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[3])?;
    let headers = [
        "Giorno",
        "Chiamate",
        "Risposte",
        "Abbandonate in coda",
        "Abbandonate in IVR",
        "ASA s",
        "AHT s",
    ];
    header_row(ws, 0, &headers, s)?;
    ws.set_freeze_panes(1, 0)?;
    for (row, d) in (1u32..).zip(&data.daily) {
        ws.write_string(row, 0, d.label.as_str())?;
        ws.write_number(row, 1, d.calls as f64)?;
        ws.write_number(row, 2, d.answered as f64)?;
        ws.write_number(row, 3, d.abandoned_queue as f64)?;
        ws.write_number(row, 4, d.abandoned_ivr as f64)?;
        optional_number(
            ws,
            row,
            5,
            d.average_speed_of_answer.seconds_one_decimal,
            None,
        )?;
        optional_number(ws, row, 6, d.average_handle_time.seconds_one_decimal, None)?;
    }
    ws.set_column_width(0, 12)?;
    Ok(())
}

fn calls(ws: &mut Worksheet, data: &ReportData, s: &Styles) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[4])?;
    let headers = [
        "ID",
        "Canale",
        "Chiamante",
        "Numero chiamato",
        "Inizio (UTC)",
        "Richiesta operatore (UTC)",
        "Risposta (UTC)",
        "Fine (UTC)",
        "Coda",
        "Operatore",
        "Attesa s",
        "Conversazione s",
        "Esito",
        "Ticket",
    ];
    header_row(ws, 0, &headers, s)?;
    ws.set_freeze_panes(1, 0)?;
    // Excel holds 1 048 576 rows: the header, the calls, and one line saying what was cut.
    let listed = data.calls.len().min(MAX_CALL_ROWS);
    for (row, c) in (1u32..).zip(data.calls.iter().take(listed)) {
        for (col, cell) in (0u16..).zip(call_cells(c)) {
            // Numbers stay numbers (id, seconds, ticket) so the auditor can sum them.
            let numeric = matches!(col, 0 | 10 | 11 | 13);
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<i64>() {
                Ok(n) if numeric => ws.write_number(row, col, n as f64)?,
                _ => ws.write_string(row, col, cell)?,
            };
        }
    }
    if listed < data.calls.len() {
        let row = u32::try_from(listed).map_or(u32::MAX, |n| n.saturating_add(1));
        let text = format!(
            "{} further calls not listed (Excel row limit): use centralino export-calls",
            data.calls.len() - listed
        );
        ws.write_string(row, 0, text)?;
    }
    for col in 4u16..8 {
        ws.set_column_width(col, 26)?;
    }
    Ok(())
}

fn groups(ws: &mut Worksheet, data: &ReportData, s: &Styles) -> Result<(), XlsxError> {
    ws.set_name(GROUPS_SHEET)?;
    let headers = [
        "Periodo",
        "Sezione",
        "Indicatore",
        "Descrizione",
        "Canale",
        "Valore",
        "Unità",
        "Soglia",
        "Rispettata",
        "Numeratore",
        "Denominatore",
    ];
    header_row(ws, 0, &headers, s)?;
    ws.set_freeze_panes(1, 0)?;
    let mut row = 1u32;
    for g in &data.groups {
        for r in g.channels.iter().chain(g.total.iter()) {
            for f in report_figures(r, &g.label, data.has_health) {
                if f.section == "hour_slot" {
                    continue;
                }
                ws.write_string(row, 0, g.label.as_str())?;
                figure_cells(ws, row, 1, &f, s)?;
                row += 1;
            }
        }
    }
    ws.set_column_width(0, 12)?;
    ws.set_column_width(3, 52)?;
    Ok(())
}

fn header_row(ws: &mut Worksheet, row: u32, headers: &[&str], s: &Styles) -> Result<(), XlsxError> {
    for (col, h) in (0u16..).zip(headers) {
        ws.write_string_with_format(row, col, *h, &s.header)?;
    }
    Ok(())
}

fn figure_row(ws: &mut Worksheet, row: u32, f: &Figure, s: &Styles) -> Result<(), XlsxError> {
    figure_cells(ws, row, 0, f, s)
}

/// A figure's ten cells from column `col`: section, indicator, description, channel,
/// value (red when missed, green when met), unit, threshold, verdict, numerator,
/// denominator.
fn figure_cells(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    f: &Figure,
    s: &Styles,
) -> Result<(), XlsxError> {
    ws.write_string(row, col, f.section)?;
    ws.write_string(row, col + 1, f.indicator.as_str())?;
    ws.write_string(row, col + 2, f.label.as_str())?;
    ws.write_string(row, col + 3, f.channel.as_str())?;
    optional_number(ws, row, col + 4, f.value, s.judged(f.met))?;
    ws.write_string(row, col + 5, f.unit)?;
    if let Some(t) = f.threshold {
        ws.write_string(row, col + 6, t.text())?;
    }
    let verdict = match f.met {
        Some(true) => "sì",
        Some(false) => "no",
        None => "n.d.",
    };
    match s.judged(f.met) {
        Some(fmt) => ws.write_string_with_format(row, col + 7, verdict, fmt)?,
        None => ws.write_string(row, col + 7, verdict)?,
    };
    optional_number(ws, row, col + 8, f.numerator, None)?;
    optional_number(ws, row, col + 9, f.denominator.map(|d| d as f64), None)?;
    Ok(())
}

/// A percentage with its numerator and denominator in three cells.
fn share_cells(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    share: &Share,
    met: Option<bool>,
    s: &Styles,
) -> Result<(), XlsxError> {
    optional_number(ws, row, col, share.percent_one_decimal, s.judged(met))?;
    ws.write_number(row, col + 1, share.count as f64)?;
    ws.write_number(row, col + 2, share.total as f64)?;
    Ok(())
}

/// A mean in seconds and its sample count in two cells.
fn mean_cells(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    mean: &MeanSeconds,
    met: Option<bool>,
    s: &Styles,
) -> Result<(), XlsxError> {
    optional_number(ws, row, col, mean.seconds_one_decimal, s.judged(met))?;
    ws.write_number(row, col + 1, mean.count as f64)?;
    Ok(())
}

/// A number, or "n.d." (no data) when missing.
fn optional_number(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    value: Option<f64>,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    match (value, format) {
        (Some(v), Some(f)) => ws.write_number_with_format(row, col, v, f)?,
        (Some(v), None) => ws.write_number(row, col, v)?,
        (None, _) => ws.write_string(row, col, "n.d.")?,
    };
    Ok(())
}
