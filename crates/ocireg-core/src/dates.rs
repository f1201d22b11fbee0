//! The date formats registries send, read without a clock or a time zone
//! database:
//!
//! - RFC 3339 (image configs' `created`, token responses' `issued_at`):
//!   [`rfc3339_to_unix`], public as `ocireg_core::config::rfc3339_to_unix`;
//! - HTTP dates (`Retry-After`): [`parse_http_date`], public as
//!   `ocireg_core::headers::parse_http_date`.
//!
//! Both end in the same calendar arithmetic (proleptic Gregorian, counted
//! from 1970-01-01), which lives here once.

use std::time::{Duration, SystemTime};

// ---------------------------------------------------------------------------
// Calendar

/// Days in `month` (1-12) of `year` in the proleptic Gregorian calendar.
fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (counting in 400-year eras, with years starting in March so the leap
/// day comes last).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Seconds since the Unix epoch of a date (`month` 1-12) and a time of day
/// in seconds. `None` for a month or a day that does not exist.
fn unix_time(year: i64, month: i64, day: i64, seconds_of_day: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + seconds_of_day)
}

/// The value of a run of ASCII digits; `None` when any byte is not one.
/// Callers bound the length, so the value cannot overflow.
fn decimal(digits: &[u8]) -> Option<i64> {
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

// ---------------------------------------------------------------------------
// RFC 3339

/// Parses an RFC 3339 timestamp such as `2024-05-01T10:00:00.123+02:00`
/// into seconds since the Unix epoch, without a clock or a time zone
/// database. Fractions of a second are dropped; the date must exist.
///
/// ```
/// use ocireg_core::config::rfc3339_to_unix;
///
/// assert_eq!(rfc3339_to_unix("1970-01-01T00:00:00Z"), Some(0));
/// assert_eq!(rfc3339_to_unix("2024-05-01T12:00:00.5+02:00"), Some(1_714_557_600));
/// assert_eq!(rfc3339_to_unix("2024-02-30T00:00:00Z"), None);
/// ```
pub fn rfc3339_to_unix(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let number = |from: usize, to: usize| decimal(b.get(from..to)?);
    let separators_ok = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !separators_ok {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let local = unix_time(year, month, day, hour * 3600 + minute * 60 + second)?;

    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (decimal(&[*h1, *h2])?, decimal(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = h * 3600 + m * 60;
            if *sign == b'+' {
                seconds
            } else {
                -seconds
            }
        }
        _ => return None,
    };
    Some(local - offset)
}

// ---------------------------------------------------------------------------
// HTTP dates

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an HTTP date (RFC 9110 §5.6.7) in any of its three forms:
///
/// - IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` (what servers send),
/// - obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`,
/// - obsolete asctime: `Sun Nov  6 08:49:37 1994`.
///
/// Names are case-sensitive, as the grammar says. The day name must be a
/// real one but is not checked against the date. RFC 850's two-digit
/// years are read as 1970-2069 (00-69 are 20xx): there is no clock here to
/// apply RFC 9110's "not more than 50 years in the future" rule, and the
/// form is long obsolete. A leap second (`:60`) is accepted and counts as
/// the next second. `None` when the value is none of these, the date does
/// not exist, or the time cannot be represented on this platform.
///
/// ```
/// use ocireg_core::headers::parse_http_date;
/// use std::time::{Duration, SystemTime};
///
/// let t = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
/// assert_eq!(parse_http_date("Sun, 31 Nov 1994 08:49:37 GMT"), None);
/// ```
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    let s = value.as_bytes();
    let unix = if s.get(3) == Some(&b',') {
        imf_fixdate(s)?
    } else if s.contains(&b',') {
        rfc850_date(s)?
    } else {
        asctime_date(s)?
    };
    let magnitude = Duration::from_secs(unix.unsigned_abs());
    if unix >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// A cursor over a date's bytes; each method reads one piece or fails.
struct DateCursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl DateCursor<'_> {
    fn literal(&mut self, lit: &str) -> Option<()> {
        let end = self.pos.checked_add(lit.len())?;
        (self.s.get(self.pos..end)? == lit.as_bytes()).then(|| self.pos = end)
    }

    fn number(&mut self, width: usize) -> Option<i64> {
        let end = self.pos.checked_add(width)?;
        let n = decimal(self.s.get(self.pos..end)?)?;
        self.pos = end;
        Some(n)
    }

    /// One of `names`; returns its index.
    fn name(&mut self, names: &[&str]) -> Option<usize> {
        let i = names.iter().position(|n| {
            self.s
                .get(self.pos..)
                .is_some_and(|rest| rest.starts_with(n.as_bytes()))
        })?;
        self.pos += names[i].len();
        Some(i)
    }

    /// A month's name, as its number (1-12).
    fn month(&mut self) -> Option<i64> {
        i64::try_from(self.name(&MONTHS)?).ok().map(|i| i + 1)
    }

    /// `time-of-day = hour ":" minute ":" second`, as seconds of the day.
    fn time_of_day(&mut self) -> Option<i64> {
        let hour = self.number(2)?;
        self.literal(":")?;
        let minute = self.number(2)?;
        self.literal(":")?;
        let second = self.number(2)?;
        (hour <= 23 && minute <= 59 && second <= 60).then_some(hour * 3600 + minute * 60 + second)
    }

    fn end(&self) -> Option<()> {
        (self.pos == self.s.len()).then_some(())
    }
}

/// `day-name "," SP day SP month SP year SP time-of-day SP "GMT"`.
fn imf_fixdate(s: &[u8]) -> Option<i64> {
    let mut c = DateCursor { s, pos: 0 };
    c.name(&DAY_NAMES)?;
    c.literal(", ")?;
    let day = c.number(2)?;
    c.literal(" ")?;
    let month = c.month()?;
    c.literal(" ")?;
    let year = c.number(4)?;
    c.literal(" ")?;
    let time = c.time_of_day()?;
    c.literal(" GMT")?;
    c.end()?;
    unix_time(year, month, day, time)
}

/// `day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"`.
fn rfc850_date(s: &[u8]) -> Option<i64> {
    let mut c = DateCursor { s, pos: 0 };
    c.name(&LONG_DAY_NAMES)?;
    c.literal(", ")?;
    let day = c.number(2)?;
    c.literal("-")?;
    let month = c.month()?;
    c.literal("-")?;
    let yy = c.number(2)?;
    c.literal(" ")?;
    let time = c.time_of_day()?;
    c.literal(" GMT")?;
    c.end()?;
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    unix_time(year, month, day, time)
}

/// `day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year`.
fn asctime_date(s: &[u8]) -> Option<i64> {
    let mut c = DateCursor { s, pos: 0 };
    c.name(&DAY_NAMES)?;
    c.literal(" ")?;
    let month = c.month()?;
    c.literal(" ")?;
    let day = if c.literal(" ").is_some() {
        c.number(1)?
    } else {
        c.number(2)?
    };
    c.literal(" ")?;
    let time = c.time_of_day()?;
    c.literal(" ")?;
    let year = c.number(4)?;
    c.end()?;
    unix_time(year, month, day, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    // RFC 3339

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(rfc3339_to_unix("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_to_unix("2024-05-01T10:00:00Z"), Some(1_714_557_600));
        assert_eq!(
            rfc3339_to_unix("2024-05-01t10:00:00.123456789z"),
            Some(1_714_557_600)
        );
        assert_eq!(
            rfc3339_to_unix("2024-05-01T05:30:00-04:30"),
            Some(1_714_557_600)
        );
        assert_eq!(rfc3339_to_unix("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        assert_eq!(rfc3339_to_unix("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(rfc3339_to_unix("1969-12-31T23:59:59Z"), Some(-1));
        assert_eq!(
            rfc3339_to_unix("0001-01-01T00:00:00Z"),
            Some(-62_135_596_800)
        );
        for bad in [
            "",
            "2024-05-01",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00.Z",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:00:00+0200",
            "2024-05-01T10:00:00+02:60",
            "2024-05-01T10:00:00Zjunk",
            "2024-05-01T10:00:00\u{17d}",
            "+024-05-01T10:00:00Z",
            "２０２４-05-01T10:00:00Z",
        ] {
            assert_eq!(rfc3339_to_unix(bad), None, "{bad}");
        }
    }

    // HTTP dates

    #[test]
    fn http_dates_in_all_three_forms() {
        let t = at(784_111_777);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
        assert_eq!(parse_http_date("Sun Nov 06 08:49:37 1994"), Some(t));
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(at(0))
        );
        assert_eq!(
            parse_http_date("Thursday, 29-Feb-24 12:00:00 GMT"),
            Some(at(1_709_208_000))
        );
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"),
            Some(at(1_709_208_000))
        );
        // A leap second counts as the next second.
        assert_eq!(
            parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"),
            Some(at(1_483_228_800))
        );
    }

    #[test]
    fn http_dates_reject_garbage() {
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{e9}",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}
