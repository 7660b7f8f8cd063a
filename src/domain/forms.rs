//! What officers type into the member forms (and the API), checked field by field. Every
//! problem names its field, so a page can put the message next to it and save nothing.

use chrono::NaiveDate;

use super::dates::parse_date;
use super::fields::{
    check_text, normalise_email, normalise_phone, normalise_postcode, parse_consent,
};
use super::filter::FieldProblem;
use super::rules::Rate;
use super::values::{Gender, Kind, LeftReason, Status};

/// A person's contact details as typed: every field is text, as a form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct ContactInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub mobile: String,
    pub phone: String,
    pub address_line1: String,
    pub address_line2: String,
    pub town: String,
    pub postcode: String,
    pub gender: String,
    pub kind: String,
    pub notes: String,
    pub email_consent: String,
    pub phone_consent: String,
    pub sms_consent: String,
    pub post_consent: String,
}

/// Checked contact details, in stored form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub phone: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub gender: Option<Gender>,
    pub kind: Kind,
    pub notes: Option<String>,
    /// Email, phone, SMS, post.
    pub consents: [Option<bool>; 4],
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_string(),
        message: message.into(),
    }
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl ContactInput {
    pub fn check(&self) -> Result<Contact, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        for (field, text, lines) in [
            ("first_name", &self.first_name, false),
            ("last_name", &self.last_name, false),
            ("email", &self.email, false),
            ("mobile", &self.mobile, false),
            ("phone", &self.phone, false),
            ("address_line1", &self.address_line1, false),
            ("address_line2", &self.address_line2, false),
            ("town", &self.town, false),
            ("postcode", &self.postcode, false),
            ("gender", &self.gender, false),
            ("kind", &self.kind, false),
            ("notes", &self.notes, true),
        ] {
            if let Err(e) = check_text(text, lines) {
                problems.push(problem(field, e));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut name = |field: &str, text: &str| {
            let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if t.is_empty() {
                problems.push(problem(field, "this cannot be blank"));
            } else if t.chars().count() > 100 {
                problems.push(problem(field, "use at most 100 characters"));
            }
            t
        };
        let first_name = name("first_name", &self.first_name);
        let last_name = name("last_name", &self.last_name);
        let mut normalised = |field: &str, text: &str, f: fn(&str) -> Result<String, String>| {
            optional(text).and_then(|t| match f(&t) {
                Ok(v) => Some(v),
                Err(e) => {
                    problems.push(problem(field, e));
                    None
                }
            })
        };
        let email = normalised("email", &self.email, normalise_email);
        let mobile = normalised("mobile", &self.mobile, normalise_phone);
        let phone = normalised("phone", &self.phone, normalise_phone);
        let postcode = normalised("postcode", &self.postcode, normalise_postcode);
        for (field, text) in [
            ("address_line1", &self.address_line1),
            ("address_line2", &self.address_line2),
            ("town", &self.town),
        ] {
            if text.chars().count() > 200 {
                problems.push(problem(field, "use at most 200 characters"));
            }
        }
        if self.notes.chars().count() > 5000 {
            problems.push(problem("notes", "use at most 5,000 characters"));
        }
        let kind = if self.kind.trim().is_empty() {
            Kind::Member
        } else {
            Kind::parse(&self.kind).unwrap_or_else(|| {
                problems.push(problem(
                    "kind",
                    format!(
                        "'{}' is not a kind: use {}",
                        self.kind.trim(),
                        Kind::expected()
                    ),
                ));
                Kind::Member
            })
        };
        if self.gender.chars().count() > 60 {
            problems.push(problem("gender", "use at most 60 characters"));
        }
        let mut consents = [None; 4];
        for (i, (field, text)) in [
            ("email_consent", &self.email_consent),
            ("phone_consent", &self.phone_consent),
            ("sms_consent", &self.sms_consent),
            ("post_consent", &self.post_consent),
        ]
        .into_iter()
        .enumerate()
        {
            match parse_consent(text) {
                Ok(v) => consents[i] = v,
                Err(e) => problems.push(problem(field, e)),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Contact {
            first_name,
            last_name,
            email,
            mobile,
            phone,
            address_line1: optional(&self.address_line1),
            address_line2: optional(&self.address_line2),
            town: optional(&self.town),
            postcode,
            gender: Gender::parse(&self.gender),
            kind,
            notes: optional(&self.notes),
            consents,
        })
    }
}

/// A payment as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct PaymentInput {
    /// Pounds, as "12.50", "£12.50" or "12".
    pub amount: String,
    pub paid_on: String,
    pub method: String,
}

pub const PAYMENT_METHODS: &[(&str, &str)] = &[
    ("direct_debit", "Direct Debit"),
    ("card", "Card"),
    ("bank_transfer", "Bank transfer"),
    ("cash", "Cash"),
    ("cheque", "Cheque"),
];

/// What a checked payment does to a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentEffect {
    pub amount_pence: i64,
    pub paid_on: NaiveDate,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// The payment starts a new span (the member had lapsed or left).
    pub rejoins: bool,
}

/// Reads an amount of money in pounds into pence, without floating point.
pub fn parse_pounds(text: &str) -> Result<i64, String> {
    let t = text.trim().trim_start_matches('£').replace(',', "");
    let bad = || format!("'{}' is not an amount of money (like 12.50)", text.trim());
    let (pounds, pence) = match t.split_once('.') {
        Some((p, d)) if d.len() == 2 && d.bytes().all(|b| b.is_ascii_digit()) => {
            (p, d.parse::<i64>().map_err(|_| bad())?)
        }
        Some((p, d)) if d.len() == 1 && d.bytes().all(|b| b.is_ascii_digit()) => {
            (p, d.parse::<i64>().map_err(|_| bad())? * 10)
        }
        Some(_) => return Err(bad()),
        None => (t.as_str(), 0),
    };
    if pounds.is_empty() || !pounds.bytes().all(|b| b.is_ascii_digit()) || pounds.len() > 6 {
        return Err(bad());
    }
    let total = pounds.parse::<i64>().map_err(|_| bad())? * 100 + pence;
    if total == 0 {
        return Err("a payment must be more than £0.00".into());
    }
    Ok(total)
}

impl PaymentInput {
    /// Checks the payment for a membership now `status`, paid until `paid_until`, on
    /// `rate`, as of `today`. A member in good standing or in arrears renews from the
    /// day after paid-until; one who has lapsed or left rejoins from the payment's date.
    pub fn check(
        &self,
        rate: &Rate,
        status: Status,
        paid_until: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<PaymentEffect, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let amount = parse_pounds(&self.amount)
            .map_err(|e| problems.push(problem("amount", e)))
            .ok();
        let paid_on = if self.paid_on.trim().is_empty() {
            Some(today)
        } else {
            match parse_date(&self.paid_on) {
                Ok(d) if d > today => {
                    problems.push(problem("paid_on", "the payment date is in the future"));
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    problems.push(problem("paid_on", e.to_string()));
                    None
                }
            }
        };
        if !PAYMENT_METHODS
            .iter()
            .any(|(code, _)| *code == self.method.trim())
        {
            let ways: Vec<String> = PAYMENT_METHODS
                .iter()
                .map(|(code, label)| format!("{label} ({code})"))
                .collect();
            problems.push(problem(
                "method",
                format!("choose how it was paid: {}", ways.join(", ")),
            ));
        }
        let (Some(amount_pence), Some(paid_on)) = (amount, paid_on) else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let rejoins = !status.is_member() || matches!(status, Status::Lapsed);
        let period_from = match paid_until {
            Some(p) if !rejoins => p.succ_opt().unwrap_or(p),
            _ => paid_on,
        };
        Ok(PaymentEffect {
            amount_pence,
            paid_on,
            period_from,
            period_to: rate.covers_until(period_from),
            rejoins,
        })
    }
}

/// A resignation, death or expulsion as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct LeavingInput {
    pub reason: String,
    pub on: String,
    pub note: String,
}

impl LeavingInput {
    pub fn check(
        &self,
        status: Status,
        today: NaiveDate,
    ) -> Result<(LeftReason, NaiveDate, Option<String>), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        if matches!(
            status,
            Status::Resigned | Status::Deceased | Status::Expelled
        ) {
            problems.push(problem(
                "reason",
                format!("this membership has already ended ({})", status.label()),
            ));
        }
        let reason = LeftReason::parse(&self.reason);
        if reason.is_none() {
            problems.push(problem("reason", "choose resigned, deceased or expelled"));
        }
        let on = if self.on.trim().is_empty() {
            Some(today)
        } else {
            match parse_date(&self.on) {
                Ok(d) if d > today => {
                    problems.push(problem("on", "the date is in the future"));
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    problems.push(problem("on", e.to_string()));
                    None
                }
            }
        };
        if self.note.chars().count() > 500 {
            problems.push(problem("note", "use at most 500 characters"));
        }
        if let Err(e) = check_text(&self.note, true) {
            problems.push(problem("note", e));
        }
        match (reason, on) {
            (Some(r), Some(d)) if problems.is_empty() => Ok((r, d, optional(&self.note))),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dates::ymd;
    use crate::domain::rules::Rules;

    fn fields(p: &[FieldProblem]) -> Vec<&str> {
        p.iter().map(|x| x.field.as_str()).collect()
    }

    #[test]
    fn contact_details_are_normalised() {
        let c = ContactInput {
            first_name: "  Mary ".into(),
            last_name: "Okafor".into(),
            email: "Mary@Example.ORG".into(),
            mobile: "07700 900123".into(),
            postcode: "rz1 4ab".into(),
            gender: "Female".into(),
            email_consent: "yes".into(),
            ..Default::default()
        }
        .check()
        .expect("valid");
        assert_eq!(c.first_name, "Mary");
        assert_eq!(c.email.as_deref(), Some("Mary@example.org"));
        assert_eq!(c.mobile.as_deref(), Some("+447700900123"));
        assert_eq!(c.postcode.as_deref(), Some("RZ1 4AB"));
        assert_eq!(c.gender, Some(Gender::Woman));
        assert_eq!(c.consents, [Some(true), None, None, None]);
        assert_eq!(c.kind, Kind::Member);
    }

    #[test]
    fn every_bad_contact_field_is_named() {
        let p = ContactInput {
            first_name: " ".into(),
            last_name: "X".into(),
            email: "not-an-email".into(),
            phone: "12345".into(),
            postcode: "nowhere".into(),
            kind: "friend".into(),
            sms_consent: "maybe".into(),
            ..Default::default()
        }
        .check()
        .expect_err("invalid");
        assert_eq!(
            fields(&p),
            [
                "first_name",
                "email",
                "phone",
                "postcode",
                "kind",
                "sms_consent"
            ]
        );
    }

    #[test]
    fn money_is_read_in_pence_without_floats() {
        assert_eq!(parse_pounds("£12.50"), Ok(1250));
        assert_eq!(parse_pounds("12"), Ok(1200));
        assert_eq!(parse_pounds("4.5"), Ok(450));
        assert_eq!(parse_pounds("1,200.00"), Ok(120000));
        assert!(parse_pounds("0").is_err());
        assert!(parse_pounds("-5").is_err());
        assert!(parse_pounds("12.345").is_err());
        assert!(parse_pounds("ten").is_err());
        assert!(parse_pounds("").is_err());
    }

    #[test]
    fn a_payment_renews_from_paid_until_or_rejoins_after_a_lapse() {
        let rules = Rules::defaults().expect("rules");
        let rate = rules
            .rate("standard", ymd(2025, 1, 1))
            .expect("rate")
            .clone();
        let pay = PaymentInput {
            amount: "60.00".into(),
            paid_on: "2025-03-01".into(),
            method: "card".into(),
        };
        let today = ymd(2025, 3, 10);
        let e = pay
            .check(&rate, Status::InArrears, Some(ymd(2025, 1, 31)), today)
            .expect("ok");
        assert_eq!(
            (e.period_from, e.period_to, e.rejoins),
            (ymd(2025, 2, 1), ymd(2026, 1, 31), false)
        );
        let e = pay
            .check(&rate, Status::Current, Some(ymd(2025, 6, 30)), today)
            .expect("ok");
        assert_eq!(e.period_from, ymd(2025, 7, 1));
        let e = pay
            .check(&rate, Status::Lapsed, Some(ymd(2024, 1, 31)), today)
            .expect("ok");
        assert_eq!((e.period_from, e.rejoins), (ymd(2025, 3, 1), true));
        let e = pay
            .check(&rate, Status::Resigned, Some(ymd(2025, 6, 30)), today)
            .expect("ok");
        assert!(e.rejoins);
        let bad = PaymentInput {
            amount: "x".into(),
            paid_on: "2025-04-01".into(),
            method: "barter".into(),
        };
        assert_eq!(
            fields(
                &bad.check(&rate, Status::Current, None, today)
                    .expect_err("bad")
            ),
            ["amount", "paid_on", "method"]
        );
    }

    #[test]
    fn leaving_needs_a_reason_and_a_past_date() {
        let today = ymd(2025, 3, 10);
        let ok = LeavingInput {
            reason: "resigned".into(),
            on: "".into(),
            note: "moved away".into(),
        };
        assert_eq!(
            ok.check(Status::Current, today),
            Ok((LeftReason::Resigned, today, Some("moved away".into())))
        );
        let p = LeavingInput {
            reason: "bored".into(),
            on: "2030-01-01".into(),
            note: String::new(),
        }
        .check(Status::Current, today)
        .expect_err("bad");
        assert_eq!(fields(&p), ["reason", "on"]);
        assert!(ok.check(Status::Resigned, today).is_err());
    }
}
