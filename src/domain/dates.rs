//! Calendar arithmetic the rules rely on. Month arithmetic clamps to the end of the month
//! (31 August + 6 months is 28 or 29 February), which is how people count "six months".

use chrono::{Datelike, Months, NaiveDate};

/// `date` moved on by `months` calendar months, clamped to the last day of the month.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The first days of the twelve months ending with `today`'s, oldest first.
pub fn last_twelve_months(today: NaiveDate) -> Vec<NaiveDate> {
    let first = today.with_day(1).unwrap_or(today);
    (0..12).rev().map(|back| sub_months(first, back)).collect()
}

/// `date` moved back by `months` calendar months, clamped to the last day of the month.
pub fn sub_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// Whole years between `born` and `on` (an age), or `None` if `on` is before `born`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> Option<u32> {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Why a text is not a date, in words a volunteer understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("'{0}' is not a date: use YYYY-MM-DD or DD/MM/YYYY")]
    Format(String),
    #[error("'{0}' is not a real date (no such day in that month)")]
    NoSuchDay(String),
    #[error("'{0}' is not {1}, the order the dates are read in")]
    Order(String, &'static str),
    #[error("'{0}' has no month {month}: it looks month first (MM/DD/YYYY); if the file's dates are, import it with --date-order mdy", month = .0.split(['-', '/', '.']).nth(1).unwrap_or("?"))]
    MonthFirst(String),
    #[error("'{0}' has no month {month}: it looks day first (DD/MM/YYYY), not MM/DD/YYYY as --date-order mdy says", month = .0.split(['-', '/', '.']).next().unwrap_or("?"))]
    DayFirst(String),
}

/// The order of day, month and year in a file's dates written with slashes or dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    /// 29/02/2024: how the UK writes dates, and what a form means.
    #[default]
    Dmy,
    /// 02/29/2024: how the US writes them (and systems set up there export them).
    Mdy,
    /// 2024/02/29.
    Ymd,
}

impl DateOrder {
    pub fn parse(text: &str) -> Option<DateOrder> {
        match text.trim().to_ascii_lowercase().as_str() {
            "dmy" => Some(DateOrder::Dmy),
            "mdy" => Some(DateOrder::Mdy),
            "ymd" => Some(DateOrder::Ymd),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::Dmy => "dmy",
            DateOrder::Mdy => "mdy",
            DateOrder::Ymd => "ymd",
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            DateOrder::Dmy => "DD/MM/YYYY",
            DateOrder::Mdy => "MM/DD/YYYY",
            DateOrder::Ymd => "YYYY/MM/DD",
        }
    }
}

/// The first two numbers of a date written with the year last (`05/02/2021` gives
/// (5, 2)), which say nothing of the order unless one of them is above 12.
pub fn year_last_parts(text: &str) -> Option<(u32, u32)> {
    let parts: Vec<&str> = text.trim().split(['-', '/', '.']).collect();
    match parts.as_slice() {
        [a, b, y]
            if y.len() == 4
                && (1..=2).contains(&a.len())
                && (1..=2).contains(&b.len())
                && y.bytes().all(|c| c.is_ascii_digit()) =>
        {
            Some((a.parse().ok()?, b.parse().ok()?))
        }
        _ => None,
    }
}

/// Reads ISO dates (`2024-02-29`) and UK dates (`29/02/2024`, `29-02-2024`, `1/3/2024`).
/// US order is never guessed: `03/04/2024` is 3 April. An ISO 8601 timestamp, as other
/// systems export them (`2021-05-02T14:03:11+01:00`, `2021-05-02 14:03:11`), is the day
/// written in it.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    parse_date_as(text, DateOrder::Dmy)
}

/// `parse_date` for a file whose dates with slashes or dots are in `order`. ISO dates
/// and timestamps (year first, with dashes) read the same in every order; a date that
/// cannot be in `order` says so.
pub fn parse_date_as(text: &str, order: DateOrder) -> Result<NaiveDate, DateError> {
    let t = text.trim();
    if let Some(day) = timestamp_day(t) {
        return day;
    }
    let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DateError::Format(t.to_string()));
    }
    let iso = parts[0].len() == 4 && t.as_bytes().get(4) == Some(&b'-');
    let year_first = parts[0].len() == 4 && parts[1].len() <= 2 && parts[2].len() <= 2;
    let year_last = parts[2].len() == 4 && parts[0].len() <= 2 && parts[1].len() <= 2;
    let (y, m, d) = match order {
        _ if iso => (parts[0], parts[1], parts[2]),
        DateOrder::Ymd if year_first => (parts[0], parts[1], parts[2]),
        DateOrder::Dmy if year_last => (parts[2], parts[1], parts[0]),
        DateOrder::Mdy if year_last => (parts[2], parts[0], parts[1]),
        _ if year_first || year_last => {
            return Err(DateError::Order(t.to_string(), order.pattern()));
        }
        _ => return Err(DateError::Format(t.to_string())),
    };
    let (y, m, d): (i32, u32, u32) = match (y.parse(), m.parse(), d.parse()) {
        (Ok(y), Ok(m), Ok(d)) => (y, m, d),
        _ => return Err(DateError::Format(t.to_string())),
    };
    if !(1..=12).contains(&m) {
        return Err(match order {
            DateOrder::Dmy if year_last && d <= 12 => DateError::MonthFirst(t.to_string()),
            DateOrder::Mdy if year_last && d <= 12 => DateError::DayFirst(t.to_string()),
            _ => DateError::Format(t.to_string()),
        });
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| DateError::NoSuchDay(t.to_string()))
}

/// The written day of an ISO 8601 timestamp; `None` when `t` is not shaped like one.
fn timestamp_day(t: &str) -> Option<Result<NaiveDate, DateError>> {
    let (date, rest) = (t.get(..10)?, t.get(10..)?);
    if !matches!(rest.as_bytes().first(), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let whole = |d: NaiveDate| Some(Ok(d));
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(&t.replacen(' ', "T", 1)) {
        // The day as the exporting system wrote it, in its own offset.
        return whole(at.date_naive());
    }
    for format in ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S %:z"] {
        if let Ok(at) = chrono::DateTime::parse_from_str(t, format) {
            return whole(at.date_naive());
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(t, format) {
            return whole(at.date());
        }
    }
    // The day itself may be fine and the time garbled: say which.
    Some(match parse_date(date) {
        Ok(_) => Err(DateError::Format(t.to_string())),
        Err(e) => Err(e),
    })
}

/// A date as the database stores it and gives it back, `2024-02-29`, read without
/// chrono's pattern interpreter (a tenth of a member list page's decoding); `None` for
/// anything else, which the caller then reads the slow way. Only valid dates are read.
pub fn stored_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let number = |r: std::ops::Range<usize>| {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// A date known to exist, for tests.
#[cfg(test)]
pub fn ymd(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::dates::ymd as d;

    #[test]
    fn a_stored_date_reads_as_chrono_reads_it() {
        // Every day of years at the ends and in the middle of the four-digit range.
        for year in [0, 1, 999, 1999, 2024, 2026, 9999] {
            let mut day = d(year, 1, 1);
            while day.year() == year {
                let text = day.format("%Y-%m-%d").to_string();
                assert_eq!(stored_date(&text), Some(day), "{text}");
                day = day.succ_opt().expect("next day");
            }
        }
        // What is not a stored date, or not a date at all, is left to the slow way.
        for text in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "2024-01-01 ",
            "+2024-01-01",
            "10000-01-01",
            "-0001-01-01",
            "2024-0a-01",
            "２０２４-01-01",
            "",
            "2024-01-011",
        ] {
            assert_eq!(stored_date(text), None, "{text:?}");
            assert!(
                text.parse::<NaiveDate>().is_err() || text.len() != 10,
                "chrono reads {text:?}, so should the fast way"
            );
        }
    }

    #[test]
    fn timestamps_from_other_systems_are_read_as_their_day() {
        for t in [
            "2021-05-02T14:03:11+01:00",
            "2021-05-02T00:30:00+01:00",
            "2021-05-02T14:03:11Z",
            "2021-05-02 14:03:11",
            "2021-05-02T14:03:11.250",
            "2021-05-02 14:03",
            "2021-05-02 14:03:11 +01:00",
            "2021-05-02 14:03:11 +0100",
        ] {
            assert_eq!(parse_date(t), Ok(d(2021, 5, 2)), "{t}");
        }
        assert!(matches!(
            parse_date("2021-05-02T25:00:00"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(
            parse_date("2021-02-30T10:00:00"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(parse_date("2021-05-02Tnonsense").is_err());
        assert!(
            parse_date("2021-05-02 ").is_ok(),
            "trailing space is trimmed"
        );
        assert!(
            parse_date("ééééééééééé").is_err(),
            "no byte slicing of text"
        );
    }

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(add_months(d(2023, 8, 31), 6), d(2024, 2, 29));
        assert_eq!(add_months(d(2022, 8, 31), 6), d(2023, 2, 28));
        assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months(d(2024, 2, 29), 12), d(2025, 2, 28));
        assert_eq!(sub_months(d(2024, 3, 31), 1), d(2024, 2, 29));
    }

    #[test]
    fn ages_count_birthdays() {
        assert_eq!(age_on(d(2000, 6, 15), d(2026, 6, 14)), Some(25));
        assert_eq!(age_on(d(2000, 6, 15), d(2026, 6, 15)), Some(26));
        assert_eq!(age_on(d(2000, 2, 29), d(2026, 2, 28)), Some(25));
        assert_eq!(age_on(d(2000, 2, 29), d(2026, 3, 1)), Some(26));
        assert_eq!(age_on(d(2030, 1, 1), d(2026, 1, 1)), None);
    }

    #[test]
    fn a_date_order_reads_slashed_dates_and_refuses_what_cannot_be_in_it() {
        use DateOrder::*;
        assert_eq!(parse_date_as("05/02/2021", Mdy), Ok(d(2021, 5, 2)));
        assert_eq!(parse_date_as("05/02/2021", Dmy), Ok(d(2021, 2, 5)));
        assert_eq!(parse_date_as("2021/05/02", Ymd), Ok(d(2021, 5, 2)));
        // ISO dates and timestamps read alike in every order.
        for order in [Dmy, Mdy, Ymd] {
            assert_eq!(parse_date_as("2021-05-02", order), Ok(d(2021, 5, 2)));
            assert_eq!(
                parse_date_as("2021-05-02T14:03:11+01:00", order),
                Ok(d(2021, 5, 2))
            );
        }
        assert_eq!(
            parse_date_as("05/25/2021", Dmy),
            Err(DateError::MonthFirst("05/25/2021".into()))
        );
        assert!(
            DateError::MonthFirst("05/25/2021".into())
                .to_string()
                .contains("no month 25")
        );
        assert_eq!(
            parse_date_as("25/05/2021", Mdy),
            Err(DateError::DayFirst("25/05/2021".into()))
        );
        assert_eq!(
            parse_date_as("02/05/2021", Ymd),
            Err(DateError::Order("02/05/2021".into(), "YYYY/MM/DD"))
        );
        assert_eq!(
            parse_date_as("2021/05/02", Dmy),
            Err(DateError::Order("2021/05/02".into(), "DD/MM/YYYY"))
        );
        assert_eq!(
            parse_date_as("31/31/2021", Dmy),
            Err(DateError::Format("31/31/2021".into()))
        );
        assert_eq!(DateOrder::parse(" MDY"), Some(Mdy));
        assert_eq!(DateOrder::parse("us"), None);
    }

    #[test]
    fn year_last_parts_are_the_two_small_numbers() {
        assert_eq!(year_last_parts("05/25/2021"), Some((5, 25)));
        assert_eq!(year_last_parts("1.2.2021"), Some((1, 2)));
        assert_eq!(year_last_parts("2021-05-02"), None);
        assert_eq!(year_last_parts("5/2/21"), None);
    }

    #[test]
    fn iso_and_uk_dates_parse() {
        assert_eq!(parse_date("2024-02-29"), Ok(d(2024, 2, 29)));
        assert_eq!(parse_date(" 29/02/2024 "), Ok(d(2024, 2, 29)));
        assert_eq!(parse_date("1/3/2024"), Ok(d(2024, 3, 1)));
        assert_eq!(parse_date("03/04/2024"), Ok(d(2024, 4, 3)));
        assert_eq!(parse_date("03-04-2024"), Ok(d(2024, 4, 3)));
        assert_eq!(parse_date("03.04.2024"), Ok(d(2024, 4, 3)));
    }

    #[test]
    fn impossible_and_malformed_dates_are_refused() {
        assert!(matches!(
            parse_date("2023-02-29"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            parse_date("31/04/2024"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            parse_date("2024-13-01"),
            Err(DateError::Format(_))
        ));
        assert!(matches!(parse_date("yesterday"), Err(DateError::Format(_))));
        assert!(matches!(parse_date(""), Err(DateError::Format(_))));
        assert!(matches!(
            parse_date("2024/02/01"),
            Err(DateError::Order(_, "DD/MM/YYYY"))
        ));
        assert!(matches!(parse_date("24/02/01"), Err(DateError::Format(_))));
        assert!(matches!(parse_date("2024-02"), Err(DateError::Format(_))));
    }
}
