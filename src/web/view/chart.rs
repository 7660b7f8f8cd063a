//! Bar charts as tables: each row is a label (a month, a report) with two counts, each
//! drawn as a bar beside its number. The words are HTML text at the page's own size, so
//! they stay readable on a phone whatever the data; only the bars are SVG, stretched to
//! their cell, so one row never becomes one giant bar. No script, no library, and the
//! chart is its own accessible table.

use chrono::{Datelike, NaiveDate};

/// One label's pair of bars (joins and lapses, or gains and losses).
pub struct MonthBars {
    pub label: String,
    pub joins: Bar,
    pub lapses: Bar,
}

pub struct Bar {
    pub value: usize,
    /// Its length, as a share of the longest bar in the chart (0 to 100).
    pub length: u32,
}

pub struct Chart {
    /// What the rows are ("Month", "Report ending").
    pub rows_are: &'static str,
    pub months: Vec<MonthBars>,
}

pub use crate::domain::dates::last_twelve_months;

fn month_index(months: &[NaiveDate], d: NaiveDate) -> Option<usize> {
    months
        .iter()
        .position(|m| m.year() == d.year() && m.month() == d.month())
}

/// Counts dates into the months they fall in.
pub fn bucket(months: &[NaiveDate], dates: impl IntoIterator<Item = NaiveDate>) -> Vec<usize> {
    let mut counts = vec![0; months.len()];
    for d in dates {
        if let Some(i) = month_index(months, d) {
            counts[i] += 1;
        }
    }
    counts
}

pub fn joins_and_lapses(months: &[NaiveDate], joins: &[usize], lapses: &[usize]) -> Chart {
    let labels: Vec<String> = months
        .iter()
        .map(|m| m.format("%b %Y").to_string())
        .collect();
    pairs("Month", &labels, joins, lapses)
}

/// Pairs of bars beside `labels`, scaled so the longest fills its cell.
pub fn pairs(
    rows_are: &'static str,
    labels: &[String],
    joins: &[usize],
    lapses: &[usize],
) -> Chart {
    let max = joins
        .iter()
        .chain(lapses)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let bar = |value: usize| Bar {
        value,
        length: (value as u64 * 100 / max as u64) as u32,
    };
    Chart {
        rows_are,
        months: labels
            .iter()
            .enumerate()
            .map(|(i, label)| MonthBars {
                label: label.clone(),
                joins: bar(joins.get(i).copied().unwrap_or(0)),
                lapses: bar(lapses.get(i).copied().unwrap_or(0)),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::ymd;

    #[test]
    fn twelve_months_end_with_this_one() {
        let m = last_twelve_months(ymd(2025, 3, 31));
        assert_eq!(m.first(), Some(&ymd(2024, 4, 1)));
        assert_eq!(m.last(), Some(&ymd(2025, 3, 1)));
        let counts = bucket(
            &m,
            [
                ymd(2024, 4, 30),
                ymd(2025, 3, 1),
                ymd(2024, 3, 31),
                ymd(2025, 4, 1),
            ],
        );
        assert_eq!(counts[0], 1);
        assert_eq!(counts[11], 1);
        assert_eq!(counts.iter().sum::<usize>(), 2);
    }

    #[test]
    fn the_longest_bar_fills_its_cell() {
        let m = last_twelve_months(ymd(2025, 3, 31));
        let c = joins_and_lapses(&m, &[4; 12], &[2; 12]);
        assert_eq!(c.months[0].joins.length, 100);
        assert_eq!(c.months[0].lapses.length, 50);
        assert_eq!(c.months[0].label, "Apr 2024");
        let empty = joins_and_lapses(&m, &[0; 12], &[0; 12]);
        assert_eq!(empty.months[3].joins.length, 0);
        // One row is one row: a single kept report draws bars no bigger than any other.
        let one = pairs("Report ending", &["14 Nov".into()], &[3], &[1]);
        assert_eq!((one.months.len(), one.months[0].joins.length), (1, 100));
    }
}
