//! RFC 3339 §5.6 `date-time` parser for the exported register (times in UTC `Z` or with a
//! `+hh:mm` / `-hh:mm` offset) into Unix milliseconds [SLA-9 registration duty].

use cc_model::wall_clock::days_from_civil;

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text does not follow `YYYY-MM-DDTHH:MM:SS[.fff](Z|±hh:mm)`.
    #[error("not an RFC 3339 date-time")]
    Syntax,
    /// A field is outside its range (month 13, 31 February, hour 24, …).
    #[error("date or time field out of range")]
    OutOfRange,
}

/// Parses an RFC 3339 `date-time` such as `2026-11-24T09:00:05.123Z` or
/// `2026-11-24T10:00:05+01:00` into Unix milliseconds UTC.
///
/// Accepted: `T`, `t` or a space between date and time; `Z` or `z`; fractions of any
/// length (truncated to milliseconds); a leap second `:60` (counted as the next second).
pub fn parse_rfc3339(s: &str) -> Result<i64, TimestampError> {
    let b = s.trim().as_bytes();
    let year = digits(b, 0, 4)?;
    expect(b, 4, b'-')?;
    let month = digits(b, 5, 2)?;
    expect(b, 7, b'-')?;
    let day = digits(b, 8, 2)?;
    match b.get(10) {
        Some(b'T' | b't' | b' ') => {}
        _ => return Err(TimestampError::Syntax),
    }
    let hour = digits(b, 11, 2)?;
    expect(b, 13, b':')?;
    let minute = digits(b, 14, 2)?;
    expect(b, 16, b':')?;
    let second = digits(b, 17, 2)?;
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(c - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return Err(TimestampError::Syntax);
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() => {
            let oh = digits(b, i + 1, 2)?;
            expect(b, i + 3, b':')?;
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return Err(TimestampError::OutOfRange);
            }
            let m = oh * 60 + om;
            if sign == b'-' { -m } else { m }
        }
        _ => return Err(TimestampError::Syntax),
    };
    let month_u = u32::try_from(month).map_err(|_| TimestampError::OutOfRange)?;
    let day_u = u32::try_from(day).map_err(|_| TimestampError::OutOfRange)?;
    if !(1..=12).contains(&month_u) || day_u < 1 || day_u > days_in_month(year, month_u) {
        return Err(TimestampError::OutOfRange);
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(TimestampError::OutOfRange);
    }
    let days = days_from_civil(year, month_u, day_u);
    let local = days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
    Ok(local - offset_minutes * 60_000)
}

/// Days in a month of the proleptic Gregorian calendar.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Reads `n` ASCII digits at `at`.
fn digits(b: &[u8], at: usize, n: usize) -> Result<i64, TimestampError> {
    let field = b.get(at..at + n).ok_or(TimestampError::Syntax)?;
    field.iter().try_fold(0i64, |acc, &c| {
        if c.is_ascii_digit() {
            Ok(acc * 10 + i64::from(c - b'0'))
        } else {
            Err(TimestampError::Syntax)
        }
    })
}

/// Checks the separator byte at `at`.
fn expect(b: &[u8], at: usize, c: u8) -> Result<(), TimestampError> {
    if b.get(at) == Some(&c) {
        Ok(())
    } else {
        Err(TimestampError::Syntax)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_with_and_without_millis() {
        // 2026-11-24 is day 20 781 since the epoch: 20 781 × 86 400 000 = 1 795 478 400 000.
        assert_eq!(parse_rfc3339("2026-11-24T00:00:00Z"), Ok(1_795_478_400_000));
        assert_eq!(
            parse_rfc3339("2026-11-24T09:00:05.123Z"),
            Ok(1_795_478_400_000 + 32_405_123)
        );
        assert_eq!(
            parse_rfc3339("2026-11-24T09:00:05.1Z"),
            Ok(1_795_478_400_000 + 32_405_100)
        );
        assert_eq!(
            parse_rfc3339("2026-11-24T09:00:05.123456z"),
            Ok(1_795_478_400_000 + 32_405_123)
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
    }

    #[test]
    fn parses_offsets() {
        assert_eq!(
            parse_rfc3339("2026-11-24T10:00:00+01:00"),
            parse_rfc3339("2026-11-24T09:00:00Z")
        );
        assert_eq!(
            parse_rfc3339("2026-11-23T23:30:00-09:30"),
            parse_rfc3339("2026-11-24T09:00:00Z")
        );
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "",
            "2026",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+1:00",
            "é026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Zjunk",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_ok());
    }
}
