//! Bar charts drawn on the server as SVG geometry: the template writes the shapes and
//! labels (escaped like everything else), so a chart needs no script and no library.

use chrono::{Datelike, NaiveDate};

/// One label's pair of bars (joins and lapses, or gains and losses).
pub struct MonthBars {
    pub label: String,
    pub x: u32,
    pub joins: Bar,
    pub lapses: Bar,
}

pub struct Bar {
    pub value: usize,
    pub x: u32,
    pub y: u32,
    pub height: u32,
}

pub struct Chart {
    pub width: u32,
    pub height: u32,
    /// The baseline's y.
    pub base: u32,
    pub months: Vec<MonthBars>,
}

const PLOT_HEIGHT: u32 = 160;
const TOP: u32 = 10;
const MONTH_WIDTH: u32 = 44;
const BAR_WIDTH: u32 = 16;

/// The first days of the twelve months ending with `today`'s, oldest first.
pub fn last_twelve_months(today: NaiveDate) -> Vec<NaiveDate> {
    let first = today.with_day(1).unwrap_or(today);
    (0..12)
        .rev()
        .map(|back| crate::domain::dates::sub_months(first, back))
        .collect()
}

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
    let labels: Vec<String> = months.iter().map(|m| m.format("%b").to_string()).collect();
    pairs(&labels, joins, lapses)
}

/// Pairs of bars under `labels`, scaled so the tallest fills the plot.
pub fn pairs(labels: &[String], joins: &[usize], lapses: &[usize]) -> Chart {
    let max = joins
        .iter()
        .chain(lapses)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let base = TOP + PLOT_HEIGHT;
    let bar = |value: usize, x: u32| {
        let height = (value as u64 * u64::from(PLOT_HEIGHT) / max as u64) as u32;
        Bar {
            value,
            x,
            y: base - height,
            height,
        }
    };
    let months = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let x = 8 + i as u32 * MONTH_WIDTH;
            MonthBars {
                label: label.clone(),
                x: x + BAR_WIDTH,
                joins: bar(joins.get(i).copied().unwrap_or(0), x),
                lapses: bar(lapses.get(i).copied().unwrap_or(0), x + BAR_WIDTH + 2),
            }
        })
        .collect::<Vec<_>>();
    Chart {
        width: 16 + months.len() as u32 * MONTH_WIDTH,
        height: base + 24,
        base,
        months,
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
    fn the_tallest_bar_fills_the_plot() {
        let m = last_twelve_months(ymd(2025, 3, 31));
        let c = joins_and_lapses(&m, &[4; 12], &[2; 12]);
        assert_eq!(c.months[0].joins.height, PLOT_HEIGHT);
        assert_eq!(c.months[0].lapses.height, PLOT_HEIGHT / 2);
        assert_eq!(c.months[0].joins.y, TOP);
        let empty = joins_and_lapses(&m, &[0; 12], &[0; 12]);
        assert_eq!(empty.months[3].joins.height, 0);
    }
}
