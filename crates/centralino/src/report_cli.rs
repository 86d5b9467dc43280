//! `centralino report`: every tender and ARERA TIQV figure of a period, per channel and
//! in total, as JSON, CSV or an Excel workbook, computed from the store or from an
//! exported register alone (`--input calls.csv --lines N`) so an auditor can recompute
//! it [SLA-9, SLA-10, issue 7 items 3-4].
//!
//! Dates are local days (Europe/Rome), both included. Without `--input` the calls come
//! from the store of the config; with it, from the file, and the config (when found)
//! only gives the service hours. AS is computed from the calls' own intervals with
//! `--lines` lines per channel (default 30), since the store keeps no line-occupancy
//! facts yet.

#[path = "report/figures.rs"]
mod figures;
#[path = "report/model.rs"]
mod model;
#[path = "report/text.rs"]
mod text;
#[path = "report/xlsx.rs"]
mod xlsx;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use business_calendar::LocalDate;
use model::{HoursSource, Request};
use sla_metrics::Granularity;

/// Lines (trunk capacity) per channel when `--lines` is not given.
pub const DEFAULT_LINES: u32 = 30;

/// The longest period accepted, in days (ten years), so a typo cannot ask for millennia.
pub const MAX_DAYS: i64 = 3660;

const USAGE: &str =
    "usage: centralino report --from YYYY-MM-DD --to YYYY-MM-DD --format csv|xlsx|json
                         [--output FILE] [--input calls.csv] [--lines N] [--channel NAME]
                         [--group-by total|day|week|month|year] [--config FILE]
  dates are local days (Europe/Rome), both included; --output is required for xlsx,
  csv and json go to standard output without it; --input reads an exported register
  (centralino export-calls) instead of the store; --lines is the number of lines per
  channel used to rebuild line occupancy for ARERA AS (default 30); --group-by adds
  the figures of every day, ISO week, month or year of the period.";

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub from: LocalDate,
    pub to: LocalDate,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub input: Option<PathBuf>,
    pub lines: u32,
    pub channel: Option<String>,
    /// `--group-by day|week|month|year`; `None` = the whole period only (`total`).
    pub group_by: Option<Granularity>,
    /// `--config`, when given explicitly.
    pub config: Option<PathBuf>,
}

/// Runs `centralino report ARGS`: exit 0 on success, 2 on a usage error, 1 otherwise.
pub fn run(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let opts = match parse_options(args) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("centralino report: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match execute(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("centralino report: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Parses and checks the options; the error is the usage message to print.
pub fn parse_options(args: &[String]) -> Result<Options, String> {
    let (mut from, mut to, mut format, mut output, mut input) = (None, None, None, None, None);
    let (mut lines, mut channel, mut config, mut group_by) = (None, None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--from" => from = Some(parse_day("--from", value)?),
            "--to" => to = Some(parse_day("--to", value)?),
            "--format" => {
                format = Some(match value.as_str() {
                    "csv" => Format::Csv,
                    "xlsx" => Format::Xlsx,
                    "json" => Format::Json,
                    other => {
                        return Err(format!("unknown format {other:?}: use csv, xlsx or json"));
                    }
                })
            }
            "--output" => output = Some(PathBuf::from(value)),
            "--input" => input = Some(PathBuf::from(value)),
            "--lines" => {
                lines = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| {
                            format!("--lines {value:?} is not a positive whole number")
                        })?,
                )
            }
            "--channel" => {
                if value.is_empty() {
                    return Err("--channel needs a channel name".to_owned());
                }
                channel = Some(value.clone())
            }
            "--config" => config = Some(PathBuf::from(value)),
            "--group-by" => {
                group_by = match value.as_str() {
                    "total" => None,
                    "day" => Some(Granularity::Day),
                    "week" => Some(Granularity::Week),
                    "month" => Some(Granularity::Month),
                    "year" => Some(Granularity::Year),
                    other => {
                        return Err(format!(
                            "unknown group {other:?}: use total, day, week, month or year"
                        ));
                    }
                }
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err("--from and --to are required".to_owned());
    };
    let Some(format) = format else {
        return Err("--format csv|xlsx|json is required".to_owned());
    };
    if to < from {
        return Err(format!("--from {from} is after --to {to}"));
    }
    if to.days() - from.days() >= MAX_DAYS {
        return Err(format!(
            "the period {from}..{to} is longer than {MAX_DAYS} days"
        ));
    }
    if format == Format::Xlsx && output.is_none() {
        return Err("--format xlsx needs --output FILE".to_owned());
    }
    Ok(Options {
        from,
        to,
        format,
        output,
        input,
        lines: lines.unwrap_or(DEFAULT_LINES),
        channel,
        group_by,
        config,
    })
}

/// Loads the calls and the service hours, computes and writes the report.
fn execute(opts: &Options) -> anyhow::Result<()> {
    let default_config = PathBuf::from(crate::DEFAULT_CONFIG);
    let config_path = opts.config.clone().unwrap_or(default_config);
    // With --input the config is optional (only service hours); without it, required.
    let cfg = match (&opts.input, opts.config.is_some(), config_path.exists()) {
        (Some(_), false, false) => None,
        _ => Some(crate::config::load(&config_path).map_err(|e| anyhow::anyhow!("{e}"))?),
    };
    let from_ms = model::local_midnight(opts.from);
    let to_ms = model::local_midnight(LocalDate::from_days(opts.to.days().saturating_add(1)));
    let (calls, source) = match &opts.input {
        Some(path) => (read_csv(path)?, format!("file {}", path.display())),
        None => {
            let Some(cfg) = &cfg else {
                bail!("no configuration")
            };
            let Some(url) = &cfg.store_url else {
                bail!(
                    "{}: no [store] url configured (or use --input calls.csv)",
                    config_path.display()
                )
            };
            (
                read_store(url, from_ms, to_ms)?,
                format!("store {}", redact_url(url)),
            )
        }
    };
    let hours = match &cfg {
        Some(cfg) => HoursSource::Calendars(
            cfg.services
                .iter()
                .map(|s| (s.name.as_str(), &s.calendar))
                .collect(),
        ),
        None => HoursSource::AlwaysOpen,
    };
    let req = Request {
        from_day: opts.from,
        to_day: opts.to,
        channel: opts.channel.as_deref(),
        lines: opts.lines,
        group_by: opts.group_by,
        source,
    };
    let data = model::compute(&req, &calls, &hours);
    let bytes = match opts.format {
        Format::Json => text::to_json(&data)?.into_bytes(),
        Format::Csv => text::to_csv(&data).into_bytes(),
        Format::Xlsx => xlsx::to_xlsx(&data).context("building the workbook")?,
    };
    match &opts.output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "{}: report {}..{} ({} calls)",
                path.display(),
                opts.from,
                opts.to,
                data.calls.len()
            );
        }
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .context("writing to standard output")?;
        }
    }
    Ok(())
}

/// Reads an exported register; errors name the file and the line.
fn read_csv(path: &Path) -> anyhow::Result<Vec<sla_metrics::CallRecord>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    sla_metrics::parse_calls_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads the calls started in `[from, to)` from the store.
fn read_store(url: &str, from: i64, to: i64) -> anyhow::Result<Vec<sla_metrics::CallRecord>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    let rows = rt.block_on(async {
        let store = sql_store::Store::open(url)
            .await
            .context("opening the store")?;
        let rows = store
            .calls_between(
                sql_store::UnixMillis::from_millis(from),
                sql_store::UnixMillis::from_millis(to),
            )
            .await
            .context("reading the register");
        store.close().await;
        rows
    })?;
    Ok(rows.iter().map(to_metrics_record).collect())
}

/// A register row as `sla-metrics` sees it; a call without an outcome (still up or cut
/// off) counts as `interrupted`, so it is listed among the incomplete calls.
fn to_metrics_record(c: &sql_store::CallRecord) -> sla_metrics::CallRecord {
    let outcome = c
        .outcome
        .and_then(|o| sla_metrics::Outcome::parse(o.as_str()))
        .unwrap_or(sla_metrics::Outcome::Interrupted);
    sla_metrics::CallRecord {
        id: c.id.0,
        channel: c.channel.as_str().to_owned(),
        from: c.from.clone(),
        to: c.to.clone(),
        started_at: c.started_at.as_millis(),
        operator_requested_at: c.operator_requested_at.map(|t| t.as_millis()),
        answered_at: c.answered_at.map(|t| t.as_millis()),
        ended_at: c.ended_at.map(|t| t.as_millis()),
        queue: c.queue.clone(),
        agent: c.agent.clone(),
        wait_seconds: c.wait_seconds,
        talk_seconds: c.talk_seconds,
        outcome,
        announced_wait_seconds: c.announced_wait_seconds,
        ticket_id: c.ticket_id,
    }
}

/// The store URL without its credentials (`postgres://***@host/db`), for the report.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!(
                "{}://***{}",
                url.get(..scheme).unwrap_or(""),
                url.get(at..).unwrap_or("")
            )
        }
        _ => url.to_owned(),
    }
}

fn parse_day(flag: &str, value: &str) -> Result<LocalDate, String> {
    LocalDate::parse(value).map_err(|_| format!("{flag} {value:?} is not a date YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn store_credentials_stay_out_of_the_report() {
        assert_eq!(
            redact_url("postgres://cc:secret@db:5432/cc"),
            "postgres://***@db:5432/cc"
        );
        assert_eq!(
            redact_url("sqlite://data/centralino.db?mode=rwc"),
            "sqlite://data/centralino.db?mode=rwc"
        );
    }

    #[test]
    fn options_are_checked_sla_10() {
        let o = parse_options(&args(&[
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "json",
        ]))
        .unwrap();
        assert_eq!(
            (o.lines, o.format, o.output),
            (DEFAULT_LINES, Format::Json, None)
        );
        for bad in [
            &[
                "--from",
                "2026-11-31",
                "--to",
                "2026-11-30",
                "--format",
                "json",
            ][..],
            &[
                "--from",
                "2026-11-02",
                "--to",
                "2026-11-01",
                "--format",
                "json",
            ],
            &[
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-01",
                "--format",
                "pdf",
            ],
            &[
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-01",
                "--format",
                "xlsx",
            ],
            &[
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-01",
                "--format",
                "csv",
                "--lines",
                "0",
            ],
            &["--from", "2026-11-01", "--format", "csv"],
            &["--from", "2026-11-01", "--to", "2026-11-01", "--format"],
            &[
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-01",
                "--format",
                "csv",
                "--group-by",
                "hour",
            ],
        ] {
            assert!(parse_options(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
