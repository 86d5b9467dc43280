//! `centralino export-calls` and `centralino purge`: the per-call register out of the
//! store as CSV (the columns of `GET /api/calls`, times RFC 3339 UTC), and the retention
//! purge that never goes below three years unless forced [SLA-9, SEC-3].

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sql_store::{CallRecord, RETENTION_YEARS, RetentionPolicy, Store, UnixMillis};

/// `export-calls --from YYYY-MM-DD --to YYYY-MM-DD --output FILE [--config FILE]`:
/// every call started from `--from` 00:00 UTC up to the end of `--to` (inclusive days).
pub fn export_calls(args: &[String], default_config: &Path) -> anyhow::Result<()> {
    let mut from = None;
    let mut to = None;
    let mut output = None;
    let mut config = default_config.to_owned();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--from" => from = Some(parse_day(value)?),
            "--to" => to = Some(parse_day(value)?),
            "--output" => output = Some(PathBuf::from(value)),
            "--config" => config = PathBuf::from(value),
            other => bail!("unknown option {other}"),
        }
    }
    let (Some(from), Some(to), Some(output)) = (from, to, output) else {
        bail!("export-calls needs --from YYYY-MM-DD --to YYYY-MM-DD --output FILE");
    };
    if to < from {
        bail!("--to is before --from");
    }
    // The end of the `--to` day: the next midnight, exclusive.
    let end = UnixMillis::from_millis(to.as_millis() + 86_400_000);
    let store = open(&config)?;
    let rows = block_on(async { store.calls_between(from, end).await })?.context("reading the register")?;
    let mut csv = String::new();
    csv.push_str(&CallRecord::COLUMNS.join(","));
    csv.push_str("\r\n");
    for row in &rows {
        csv.push_str(&csv_line(row)?);
    }
    std::fs::write(&output, csv).with_context(|| format!("writing {}", output.display()))?;
    println!("{}: {} calls", output.display(), rows.len());
    Ok(())
}

/// `purge --older-than-years N [--force] [--config FILE]`: deletes calls (with their legs
/// and events) started more than N calendar years ago; N below the retention floor
/// (3 years) is refused unless `--force`.
pub fn purge(args: &[String], default_config: &Path) -> anyhow::Result<()> {
    let mut years = None;
    let mut force = false;
    let mut config = default_config.to_owned();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--force" => force = true,
            "--older-than-years" => {
                let v = it.next().context("--older-than-years needs a value")?;
                years = Some(v.parse::<u32>().with_context(|| format!("{v:?} is not a whole number of years"))?);
            }
            "--config" => config = PathBuf::from(it.next().context("--config needs a value")?),
            other => bail!("unknown option {other}"),
        }
    }
    let years = years.unwrap_or(RETENTION_YEARS);
    let store = open(&config)?;
    let now = UnixMillis::now();
    let policy = if force { RetentionPolicy::Force } else { RetentionPolicy::Enforce };
    let n = block_on(async { store.purge_older_than(now.years_before(years), now, policy).await })?
        .with_context(|| format!("purging calls older than {years} years (the floor is {RETENTION_YEARS} without --force)"))?;
    println!("purged {n} calls started more than {years} years ago");
    Ok(())
}

fn open(config: &Path) -> anyhow::Result<Store> {
    let cfg = crate::config::load(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(url) = cfg.store_url else { bail!("{}: no [store] url configured", config.display()) };
    block_on(async { Store::open(&url).await })?.context("opening the store")
}

fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("tokio runtime")?;
    Ok(rt.block_on(f))
}

fn parse_day(s: &str) -> anyhow::Result<UnixMillis> {
    let bad = || anyhow::anyhow!("{s:?} is not a date YYYY-MM-DD");
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (y, m, d) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    UnixMillis::from_utc(y, m, d, 0, 0, 0).ok_or_else(bad)
}

/// One CSV line (RFC 4180: quotes doubled, fields with separators quoted) in the
/// order of `CallRecord::COLUMNS`.
fn csv_line(row: &CallRecord) -> anyhow::Result<String> {
    let value = serde_json::to_value(row)?;
    let mut fields = Vec::with_capacity(CallRecord::COLUMNS.len());
    for col in CallRecord::COLUMNS {
        let text = match value.get(col) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        fields.push(csv_field(&text));
    }
    Ok(fields.join(",") + "\r\n")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_strictly() {
        assert_eq!(parse_day("2026-11-24").unwrap().to_string(), "2026-11-24T00:00:00.000Z");
        for bad in ["2026-11", "2026-13-01", "2026-02-30", "26-11-24", "2026-11-24-1", "x"] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("verde"), "verde");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
