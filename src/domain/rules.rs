//! The rules file: rates, status thresholds, the report period and the rights table.
//! Shipped defaults live in `rules/default.toml`; every number in it can be changed.

use chrono::NaiveDate;
use serde::Deserialize;

use super::dates::{add_months, age_on};
use super::membership::StatusRules;
use super::rights::RightRule;

const DEFAULT_RULES: &str = include_str!("../../rules/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("rules file {file}: {message}")]
    Invalid { file: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Year,
    Month,
}

/// One row of the dated rates table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub code: String,
    pub name: String,
    pub price_pence: i64,
    pub period: Period,
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
}

impl Rate {
    /// The rate in a sentence: "the Youth rate", but "the Trade union reduced rate", not
    /// "… rate rate".
    pub fn called(&self) -> String {
        if self.name.to_lowercase().ends_with("rate") {
            format!("the {}", self.name)
        } else {
            format!("the {} rate", self.name)
        }
    }

    pub fn valid_on(&self, on: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= on) && self.until.is_none_or(|u| on <= u)
    }

    /// Whether someone born on `born` may join at this rate on `on`.
    pub fn check_age(&self, born: NaiveDate, on: NaiveDate) -> Result<(), String> {
        let Some(age) = age_on(born, on) else {
            return Err(format!("date of birth {born} is after {on}"));
        };
        let low = self.min_age.is_some_and(|min| age < min);
        let high = self.max_age.is_some_and(|max| age > max);
        if low || high {
            let range = match (self.min_age, self.max_age) {
                (Some(a), Some(b)) => format!("aged {a} to {b}"),
                (Some(a), None) => format!("aged {a} or over"),
                (None, Some(b)) => format!("aged {b} or under"),
                (None, None) => String::new(),
            };
            return Err(format!(
                "{} is for people {range}; this person was {age} on {on}",
                self.called()
            ));
        }
        Ok(())
    }

    /// The paid-until date one period's payment made on `from` reaches.
    pub fn covers_until(&self, from: NaiveDate) -> NaiveDate {
        let months = match self.period {
            Period::Year => 12,
            Period::Month => 1,
        };
        add_months(from, months).pred_opt().unwrap_or(from)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRules {
    pub period_days: u32,
}

/// How member files from other systems are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRules {
    /// By field name (`rate`, `status`, `kind`, …): another system's value, in any case,
    /// and what Rosette reads it as. `--map-value` adds to these.
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

/// Notice periods and reminders for events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventRules {
    /// Days of notice members are owed of a members' meeting.
    pub notice_days: u32,
    /// Days of notice of an annual general meeting.
    pub agm_notice_days: u32,
    /// Hours before an event that its reminder goes, unless the event says otherwise.
    pub remind_hours: u32,
}

impl Default for EventRules {
    fn default() -> Self {
        EventRules {
            notice_days: 7,
            agm_notice_days: 14,
            remind_hours: 24,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub status: StatusRules,
    pub report: ReportRules,
    pub rates: Vec<Rate>,
    pub rights: Vec<RightRule>,
    #[serde(default)]
    pub import: ImportRules,
    #[serde(default)]
    pub events: EventRules,
}

impl Rules {
    /// The shipped defaults.
    pub fn defaults() -> Result<Rules, RulesError> {
        Rules::from_toml("rules/default.toml (built in)", DEFAULT_RULES)
    }

    /// Reads and checks a rules file; `file` names it in error messages.
    pub fn from_toml(file: &str, text: &str) -> Result<Rules, RulesError> {
        let invalid = |message: String| RulesError::Invalid {
            file: file.to_string(),
            message,
        };
        let rules: Rules = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if rules.rates.is_empty() {
            return Err(invalid("there must be at least one [[rates]] entry".into()));
        }
        for rate in &rules.rates {
            if rate.code.trim().is_empty()
                || rate.code != rate.code.to_lowercase()
                || rate.code.contains(' ')
            {
                return Err(invalid(format!(
                    "rate code '{}' must be lower case without spaces",
                    rate.code
                )));
            }
            if rate.price_pence < 0 {
                return Err(invalid(format!(
                    "rate '{}' has a negative price",
                    rate.code
                )));
            }
            if let (Some(f), Some(u)) = (rate.from, rate.until)
                && u < f
            {
                return Err(invalid(format!(
                    "rate '{}' ends ({u}) before it starts ({f})",
                    rate.code
                )));
            }
        }
        if rules.status.lapse_after_months == 0 {
            return Err(invalid(
                "status.lapse_after_months must be at least 1".into(),
            ));
        }
        if rules.report.period_days == 0 {
            return Err(invalid("report.period_days must be at least 1".into()));
        }
        Ok(rules)
    }

    /// Finds a rate by its code or its name, as spreadsheets write either ("Reduced Rate").
    /// Returns the canonical code.
    pub fn rate_code(&self, text: &str) -> Option<&str> {
        fn fold(text: &str) -> String {
            let folded = text.trim().to_lowercase().replace(['-', ' '], "_");
            folded.strip_suffix("_rate").unwrap_or(&folded).to_string()
        }
        let wanted = fold(text);
        self.rates
            .iter()
            .find(|r| r.code == wanted || fold(&r.name) == wanted)
            .map(|r| r.code.as_str())
    }

    /// The rate row in force for `code` on `on`, falling back to its latest row.
    pub fn rate(&self, code: &str, on: NaiveDate) -> Option<&Rate> {
        let rows = || self.rates.iter().filter(move |r| r.code == code);
        rows()
            .find(|r| r.valid_on(on))
            .or_else(|| rows().max_by_key(|r| r.from))
    }

    /// A right by its name in the rules file.
    pub fn right(&self, name: &str) -> Result<&crate::domain::rights::RightRule, String> {
        self.rights
            .iter()
            .find(|r| r.right == name.trim())
            .ok_or_else(|| {
                format!(
                    "'{}' is not a right in the rules file; the rights are {}",
                    name.trim(),
                    self.rights
                        .iter()
                        .map(|r| r.right.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// A rate's name as people read it ("Reduced rate"), or its code if the rules no
    /// longer have it.
    pub fn rate_name(&self, code: &str) -> String {
        self.rates
            .iter()
            .find(|r| r.code == code)
            .map_or_else(|| code.to_string(), |r| r.name.clone())
    }

    pub fn rate_codes(&self) -> String {
        let mut codes: Vec<&str> = self.rates.iter().map(|r| r.code.as_str()).collect();
        codes.dedup();
        codes.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::dates::ymd as d;

    #[test]
    fn shipped_defaults_follow_the_brief() {
        let rules = Rules::defaults().expect("defaults parse");
        assert_eq!(
            rules.status,
            StatusRules {
                new_days: 90,
                lapse_after_months: 6
            }
        );
        assert_eq!(rules.report.period_days, 14);
        for code in [
            "standard",
            "reduced",
            "youth",
            "unwaged",
            "retired",
            "armed_forces",
            "trade_union",
        ] {
            assert!(rules.rate(code, d(2026, 1, 1)).is_some(), "{code}");
        }
        assert_eq!(rules.rights.len(), 7);
    }

    #[test]
    fn rates_are_found_by_code_or_name() {
        let rules = Rules::defaults().expect("defaults parse");
        assert_eq!(rules.rate_code("Standard"), Some("standard"));
        assert_eq!(rules.rate_code("Reduced Rate"), Some("reduced"));
        assert_eq!(rules.rate_code("armed-forces"), Some("armed_forces"));
        assert_eq!(
            rules.rate_code("Trade union reduced rate"),
            Some("trade_union")
        );
        assert_eq!(rules.rate_code("platinum"), None);
        // Names as people read them, in a sentence too.
        assert_eq!(rules.rate_name("trade_union"), "Trade union reduced rate");
        assert_eq!(rules.rate_name("gone"), "gone");
        let called = |code: &str| rules.rate(code, d(2026, 1, 1)).map(Rate::called);
        assert_eq!(called("youth").as_deref(), Some("the Youth rate"));
        assert_eq!(
            called("trade_union").as_deref(),
            Some("the Trade union reduced rate")
        );
    }

    #[test]
    fn dated_rates_pick_the_row_in_force() {
        let text = DEFAULT_RULES.to_string()
            + "\n[[rates]]\ncode = \"standard\"\nname = \"Standard\"\nprice_pence = 7000\nperiod = \"year\"\nfrom = \"2027-01-01\"\n";
        let text = text.replacen(
            "price_pence = 6000\nperiod = \"year\"\nfrom = \"2015-01-01\"",
            "price_pence = 6000\nperiod = \"year\"\nfrom = \"2015-01-01\"\nuntil = \"2026-12-31\"",
            1,
        );
        let rules = Rules::from_toml("test", &text).expect("parses");
        assert_eq!(
            rules
                .rate("standard", d(2026, 12, 31))
                .map(|r| r.price_pence),
            Some(6000)
        );
        assert_eq!(
            rules.rate("standard", d(2027, 1, 1)).map(|r| r.price_pence),
            Some(7000)
        );
        assert_eq!(
            rules.rate("standard", d(2010, 1, 1)).map(|r| r.price_pence),
            Some(7000)
        );
    }

    #[test]
    fn youth_rate_checks_age_at_joining() {
        let rules = Rules::defaults().expect("defaults parse");
        let youth = rules.rate("youth", d(2026, 1, 1)).expect("youth");
        assert!(youth.check_age(d(2000, 1, 1), d(2026, 1, 1)).is_ok()); // 26
        assert!(youth.check_age(d(1999, 12, 31), d(2026, 1, 1)).is_ok()); // 26 and a day
        assert!(youth.check_age(d(1999, 1, 1), d(2026, 1, 1)).is_err()); // 27
        assert!(youth.check_age(d(2012, 6, 1), d(2026, 1, 1)).is_err()); // 13
        assert!(youth.check_age(d(2030, 1, 1), d(2026, 1, 1)).is_err());
        let standard = rules.rate("standard", d(2026, 1, 1)).expect("standard");
        assert!(standard.check_age(d(1930, 1, 1), d(2026, 1, 1)).is_ok());
    }

    #[test]
    fn a_year_paid_covers_to_the_day_before_the_anniversary() {
        let rules = Rules::defaults().expect("defaults parse");
        let standard = rules.rate("standard", d(2024, 1, 1)).expect("standard");
        assert_eq!(standard.covers_until(d(2024, 2, 29)), d(2025, 2, 27));
        assert_eq!(standard.covers_until(d(2024, 3, 1)), d(2025, 2, 28));
    }

    #[test]
    fn bad_rules_files_say_what_is_wrong() {
        let err =
            Rules::from_toml("mine.toml", "[status]\nnew_days = \"ninety\"").expect_err("bad");
        assert!(err.to_string().contains("mine.toml"), "{err}");
        let no_lapse = DEFAULT_RULES.replace("lapse_after_months = 6", "lapse_after_months = 0");
        assert!(
            Rules::from_toml("x", &no_lapse)
                .expect_err("zero")
                .to_string()
                .contains("lapse_after_months")
        );
        let bad_kind = DEFAULT_RULES.replace(
            "kinds = [\"member\"]\nstatuses = [\"new\", \"current\"]\nmin_continuous = \"8 weeks\"",
            "kinds = [\"friend\"]\nstatuses = [\"new\"]\nmin_continuous = \"8 weeks\"",
        );
        assert!(Rules::from_toml("x", &bad_kind).is_err());
        let bad_span = DEFAULT_RULES.replace("\"6 months\"", "\"six months\"");
        assert!(
            Rules::from_toml("x", &bad_span)
                .expect_err("span")
                .to_string()
                .contains("six months")
        );
    }
}
