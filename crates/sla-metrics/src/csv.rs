//! Reader for the exported per-call register (`centralino export-calls`, the columns of
//! `GET /api/calls`), so an auditor can recompute every figure from the file alone
//! [SLA-9 registration duty, SLA-10, RFC 4180 quoting].
//!
//! Columns are found by header name: `id, channel, from, to, started_at,
//! operator_requested_at, answered_at, ended_at, queue, agent, wait_seconds,
//! talk_seconds, hangup_side, hangup_cause, outcome, recording_path, ticket_id`.
//! `id`, `channel`, `started_at` and `outcome` are required; the others may be missing
//! (read as `None`); unknown columns are ignored, and an optional
//! `announced_wait_seconds` column is read when present. An empty field is `None`.

use crate::rfc3339::{TimestampError, parse_rfc3339};
use crate::{CallRecord, Outcome};

/// Why the register file could not be read; `line` is the 1-based line where the
/// offending record starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// The file has no header line.
    #[error("empty file: no header line")]
    MissingHeader,
    /// A required column is absent from the header.
    #[error("line 1: missing required column `{column}`")]
    MissingColumn { column: &'static str },
    /// A quoted field is never closed.
    #[error("line {line}: unterminated quoted field")]
    UnterminatedQuote { line: usize },
    /// A character follows a closing quote inside a field.
    #[error("line {line}: text after a closing quote")]
    TextAfterQuote { line: usize },
    /// A record has fewer fields than a required column's position.
    #[error("line {line}: {found} fields, column `{column}` is missing")]
    ShortRecord {
        line: usize,
        found: usize,
        column: &'static str,
    },
    /// A required field is empty.
    #[error("line {line}: column `{column}` is empty")]
    EmptyField { line: usize, column: &'static str },
    /// A timestamp is not RFC 3339.
    #[error("line {line}: column `{column}`: bad timestamp `{value}`: {cause}")]
    BadTimestamp {
        line: usize,
        column: &'static str,
        value: String,
        cause: TimestampError,
    },
    /// A number is not an integer.
    #[error("line {line}: column `{column}`: not an integer: `{value}`")]
    BadInteger {
        line: usize,
        column: &'static str,
        value: String,
    },
    /// The outcome is not one of the register's values.
    #[error("line {line}: unknown outcome `{value}`")]
    BadOutcome { line: usize, value: String },
}

/// Parses the exported register. Blank lines are skipped; fields may be quoted with
/// `"`, containing commas, line breaks and doubled quotes `""`.
pub fn parse_calls_csv(text: &str) -> Result<Vec<CallRecord>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = split_records(text)?;
    let mut iter = records.into_iter();
    let (_, header) = iter.next().ok_or(CsvError::MissingHeader)?;
    let cols = Columns::from_header(&header)?;
    let mut out = Vec::new();
    for (line, fields) in iter {
        out.push(cols.record(line, &fields)?);
    }
    Ok(out)
}

/// Positions of the known columns in the header.
struct Columns {
    id: usize,
    channel: usize,
    from: Option<usize>,
    to: Option<usize>,
    started_at: usize,
    operator_requested_at: Option<usize>,
    answered_at: Option<usize>,
    ended_at: Option<usize>,
    queue: Option<usize>,
    agent: Option<usize>,
    wait_seconds: Option<usize>,
    talk_seconds: Option<usize>,
    outcome: usize,
    ticket_id: Option<usize>,
    announced_wait_seconds: Option<usize>,
}

impl Columns {
    fn from_header(header: &[String]) -> Result<Columns, CsvError> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let need = |name: &'static str| find(name).ok_or(CsvError::MissingColumn { column: name });
        Ok(Columns {
            id: need("id")?,
            channel: need("channel")?,
            from: find("from"),
            to: find("to"),
            started_at: need("started_at")?,
            operator_requested_at: find("operator_requested_at"),
            answered_at: find("answered_at"),
            ended_at: find("ended_at"),
            queue: find("queue"),
            agent: find("agent"),
            wait_seconds: find("wait_seconds"),
            talk_seconds: find("talk_seconds"),
            outcome: need("outcome")?,
            ticket_id: find("ticket_id"),
            announced_wait_seconds: find("announced_wait_seconds"),
        })
    }

    fn record(&self, line: usize, f: &[String]) -> Result<CallRecord, CsvError> {
        let required = |idx: usize, column: &'static str| -> Result<&str, CsvError> {
            let v = f
                .get(idx)
                .ok_or(CsvError::ShortRecord {
                    line,
                    found: f.len(),
                    column,
                })?
                .trim();
            if v.is_empty() {
                Err(CsvError::EmptyField { line, column })
            } else {
                Ok(v)
            }
        };
        let optional = |idx: Option<usize>| -> Option<&str> {
            idx.and_then(|i| f.get(i))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let time = |v: &str, column: &'static str| {
            parse_rfc3339(v).map_err(|cause| CsvError::BadTimestamp {
                line,
                column,
                value: v.to_string(),
                cause,
            })
        };
        let int = |v: &str, column: &'static str| {
            v.parse::<i64>().map_err(|_| CsvError::BadInteger {
                line,
                column,
                value: v.to_string(),
            })
        };
        let opt_time = |idx, column| optional(idx).map(|v| time(v, column)).transpose();
        let opt_int = |idx, column| optional(idx).map(|v| int(v, column)).transpose();
        let outcome_text = required(self.outcome, "outcome")?;
        Ok(CallRecord {
            id: int(required(self.id, "id")?, "id")?,
            channel: required(self.channel, "channel")?.to_string(),
            from: optional(self.from).unwrap_or("").to_string(),
            to: optional(self.to).unwrap_or("").to_string(),
            started_at: time(required(self.started_at, "started_at")?, "started_at")?,
            operator_requested_at: opt_time(self.operator_requested_at, "operator_requested_at")?,
            answered_at: opt_time(self.answered_at, "answered_at")?,
            ended_at: opt_time(self.ended_at, "ended_at")?,
            queue: optional(self.queue).map(str::to_string),
            agent: optional(self.agent).map(str::to_string),
            wait_seconds: opt_int(self.wait_seconds, "wait_seconds")?,
            talk_seconds: opt_int(self.talk_seconds, "talk_seconds")?,
            outcome: Outcome::parse(outcome_text).ok_or_else(|| CsvError::BadOutcome {
                line,
                value: outcome_text.to_string(),
            })?,
            announced_wait_seconds: opt_int(self.announced_wait_seconds, "announced_wait_seconds")?,
            ticket_id: opt_int(self.ticket_id, "ticket_id")?,
        })
    }
}

/// Splits CSV text into records of fields, each with the 1-based line it starts on.
/// Blank lines outside quotes are skipped.
fn split_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut record_line = 1usize;
    let mut chars = text.chars().peekable();
    // State: are we inside quotes, and has the current field been quoted.
    let mut in_quotes = false;
    let mut was_quoted = false;
    let mut record_has_content = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                in_quotes = true;
                was_quoted = true;
                record_has_content = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
                record_has_content = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if record_has_content || !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    records.push((record_line, std::mem::take(&mut fields)));
                }
                was_quoted = false;
                record_has_content = false;
                line += 1;
                record_line = line;
            }
            _ if was_quoted => return Err(CsvError::TextAfterQuote { line }),
            _ => {
                field.push(c);
                record_has_content = true;
            }
        }
    }
    if in_quotes {
        return Err(CsvError::UnterminatedQuote { line: record_line });
    }
    if record_has_content || !field.is_empty() {
        fields.push(field);
        records.push((record_line, fields));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,channel,from,to,started_at,operator_requested_at,answered_at,ended_at,queue,agent,wait_seconds,talk_seconds,hangup_side,hangup_cause,outcome,recording_path,ticket_id";

    #[test]
    fn reads_a_full_row_sla_9() {
        let text = format!(
            "{HEADER}\n7,verde,+39333,800123,2026-11-24T09:00:05.123Z,2026-11-24T09:00:20Z,2026-11-24T09:00:40Z,2026-11-24T09:03:00Z,info,201,20,140,caller,\"normal, clearing\",answered,\"/rec/a \"\"b\"\".wav\",12\n"
        );
        let calls = parse_calls_csv(&text).expect("valid");
        assert_eq!(calls.len(), 1);
        let c = &calls[0];
        assert_eq!(c.id, 7);
        assert_eq!(c.channel, "verde");
        assert_eq!(c.answered_at.map(|a| a - c.started_at), Some(34_877));
        assert_eq!(c.wait_seconds, Some(20));
        assert_eq!(c.outcome, Outcome::Answered);
        assert_eq!(c.ticket_id, Some(12));
        assert_eq!(c.announced_wait_seconds, None);
    }

    #[test]
    fn empty_fields_are_none_and_unknown_columns_ignored() {
        let text = "extra,outcome,started_at,channel,id,announced_wait_seconds\r\n\"x,y\",busy,2026-01-01T00:00:00Z,verde,1,\r\n\r\nz,closed,2026-01-01T00:00:01+01:00,centralino,2,30\r\n";
        let calls = parse_calls_csv(text).expect("valid");
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].outcome, Outcome::Busy);
        assert_eq!(calls[0].queue, None);
        assert_eq!(calls[1].announced_wait_seconds, Some(30));
        assert_eq!(calls[1].started_at - calls[0].started_at, 1000 - 3_600_000);
    }

    #[test]
    fn errors_carry_line_numbers() {
        let text = format!(
            "{HEADER}\n1,verde,a,b,2026-01-01T00:00:00Z,,,,,,,,,,answered,,\n2,verde,a,b,yesterday,,,,,,,,,,answered,,\n"
        );
        assert!(matches!(
            parse_calls_csv(&text),
            Err(CsvError::BadTimestamp {
                line: 3,
                column: "started_at",
                ..
            })
        ));
        let text =
            format!("{HEADER}\n1,verde,\"multi\nline\",b,2026-01-01T00:00:00Z,,,,,,,,,,lost,,\n");
        assert!(matches!(
            parse_calls_csv(&text),
            Err(CsvError::BadOutcome { line: 2, .. })
        ));
        let text = format!(
            "{HEADER}\n1,verde,\"multi\nline\",b,2026-01-01T00:00:00Z,,,,,,x,,,,answered,,\n"
        );
        assert!(matches!(
            parse_calls_csv(&text),
            Err(CsvError::BadInteger {
                line: 2,
                column: "wait_seconds",
                ..
            })
        ));
        assert_eq!(parse_calls_csv(""), Err(CsvError::MissingHeader));
        assert_eq!(
            parse_calls_csv("id,channel\n"),
            Err(CsvError::MissingColumn {
                column: "started_at"
            })
        );
        assert!(matches!(
            parse_calls_csv("id,\"open\n"),
            Err(CsvError::UnterminatedQuote { line: 1 })
        ));
        assert!(matches!(
            parse_calls_csv("id,\"a\"b\n"),
            Err(CsvError::TextAfterQuote { line: 1 })
        ));
        let text = format!("{HEADER}\n1,verde\n");
        assert!(matches!(
            parse_calls_csv(&text),
            Err(CsvError::ShortRecord { line: 2, .. })
        ));
    }
}
