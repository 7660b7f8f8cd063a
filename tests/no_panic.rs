//! Any text a person or a file can send reaches these parsers. Each must answer with a
//! value or an error, never a panic: a panic drops a web request and aborts a whole
//! import. proptest feeds them arbitrary strings (any Unicode, control characters
//! included) and strings shaped like what they expect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests and benches stop at the first surprise

use chrono::NaiveDate;
use proptest::prelude::*;
use rosette::domain::Rules;
use rosette::domain::dates::parse_date;
use rosette::domain::fields::{
    normalise_email, normalise_phone, normalise_postcode, parse_consent, parse_tags, slugify,
};
use rosette::domain::filter::{Cursor, MemberFilter, Search};
use rosette::domain::forms::{ContactInput, LeavingInput, PaymentInput, parse_pounds};
use rosette::domain::{Status, StatusRules};
use rosette::import::{Context, check_file};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// Text near what a field expects: digits, letters, separators, and a few characters
/// that are more than one byte long, which is what byte-index slicing trips over.
fn near() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-z0-9 +/.:@,;'\"=\\-\t\r\n\u{0}é£€🌹\u{202e}]{0,24}")
        .unwrap()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), near()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn contact_fields_answer(s in text()) {
        let _ = normalise_postcode(&s);
        let _ = normalise_phone(&s);
        let _ = normalise_email(&s);
        let _ = parse_consent(&s);
        let _ = parse_tags(&s);
        let _ = slugify(&s);
        let _ = parse_date(&s);
        let _ = parse_pounds(&s);
        let _ = Search::read(&s);
        let _ = Cursor::decode(&s);
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote(key in "[^\u{1f}]{0,60}", id in "[0-9a-f-]{0,36}") {
        // Sort keys never hold the separator, and 60 characters of at most 4 bytes stay
        // under the 1,024 hex digits a cursor may have.
        let c = Cursor { key, id };
        prop_assert_eq!(Cursor::decode(&c.encode()), Some(c));
    }

    #[test]
    fn the_member_filter_answers(
        pairs in proptest::collection::vec(
            (prop_oneof![
                Just("q".to_string()), Just("status".to_string()), Just("branch".to_string()),
                Just("rate".to_string()), Just("kind".to_string()), Just("gender".to_string()),
                Just("joined_from".to_string()), Just("joined_to".to_string()),
                Just("paid_from".to_string()), Just("paid_to".to_string()),
                Just("tag".to_string()), Just("consent".to_string()), Just("sort".to_string()),
                Just("answer".to_string()), any::<String>(),
            ], text()),
            0..8,
        )
    ) {
        if let Ok(filter) = MemberFilter::parse(&pairs) {
            // What a filter writes, it reads back the same (segments are stored so).
            let again: Vec<(String, String)> =
                filter.to_pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            prop_assert_eq!(MemberFilter::parse(&again).ok(), Some(filter));
        }
    }

    #[test]
    fn surveys_and_journeys_read_any_text(
        questions in text(),
        lines in proptest::collection::vec(text(), 0..12),
        answers in proptest::collection::vec(
            (prop_oneof![Just("q1".to_string()), Just("q2".to_string()), Just("q3".to_string()), any::<String>()], text()),
            0..10,
        )
    ) {
        use rosette::domain::surveys::{parse_questions, questions_text, read_answers, tally, AnswerFilter};
        let _ = AnswerFilter::parse(&questions);
        let _ = rosette::domain::journeys::Condition::parse(&questions);
        let _ = rosette::domain::journeys::parse_steps(&lines.join("\n"));
        let joined = lines.join("\n");
        for text in [questions.as_str(), joined.as_str()] {
            if let Ok(qs) = parse_questions(text) {
                // What a survey's questions write, they read back the same.
                prop_assert_eq!(parse_questions(&questions_text(&qs)), Ok(qs.clone()));
                if let Ok(a) = read_answers(&qs, &answers) {
                    let _ = tally(&qs, &[a]);
                }
            }
        }
        let shaped = "single: One?\n- Yes\n- No\nmultiple: Two?\n- A\n- B\nscale: Three?\ntext: Four?";
        let qs = parse_questions(shaped).unwrap();
        if let Ok(a) = read_answers(&qs, &answers) {
            let _ = tally(&qs, &[a]);
        }
    }

    #[test]
    fn the_officer_forms_answer(
        a in text(), b in text(), c in text(), d in text(), e in text(), f in text()
    ) {
        let contact = ContactInput {
            first_name: a.clone(), last_name: b.clone(), email: c.clone(), mobile: d.clone(),
            phone: e.clone(), address_line1: f.clone(), address_line2: a.clone(),
            town: b.clone(), postcode: c.clone(), gender: d.clone(), kind: e.clone(),
            notes: f.clone(), ..ContactInput::default()
        };
        let _ = contact.check();
        let rules = Rules::defaults().unwrap();
        let rate = &rules.rates[0];
        let payment = PaymentInput { amount: a, paid_on: b, method: c };
        for status in [Status::New, Status::InArrears, Status::Lapsed] {
            let _ = payment.check(rate, status, Some(today()), today());
        }
        let leaving = LeavingInput { reason: d, on: e, note: f };
        let _ = leaving.check(Status::Current, today());
    }

    #[test]
    fn any_bytes_make_a_checked_file_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let rules = Rules::defaults().unwrap();
        let ctx = Context::new(&rules, [("riverside", "Riverside")], Vec::new(), today());
        if let Ok(checked) = check_file("fuzz.csv", &bytes, &[], &ctx) {
            prop_assert!(checked.valid_rows() <= checked.rows);
        }
    }

    #[test]
    fn member_shaped_rows_are_checked_without_panic(
        cells in proptest::collection::vec(text(), 12),
        header_noise in text(),
    ) {
        let rules = Rules::defaults().unwrap();
        let ctx = Context::new(&rules, [("riverside", "Riverside")], Vec::new(), today());
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let header = format!(
            "Membership Number,First Name,Surname,Email,Mobile,Postcode,Date Joined,Paid Until,Membership Type,Branch,Gender,{}\n",
            quote(&header_noise)
        );
        let row: Vec<String> = cells.iter().map(|c| quote(c)).collect();
        let file = format!("{header}{}\n", row.join(","));
        let _ = check_file("fuzz.csv", file.as_bytes(), &[], &ctx);
        let maps = vec![(header_noise.clone(), cells[0].clone())];
        let _ = check_file("fuzz.csv", file.as_bytes(), &maps, &ctx);
    }

    #[test]
    fn status_rules_answer_for_any_dates(
        joined in -200_000i32..200_000, paid in proptest::option::of(-200_000i32..200_000),
        on in -200_000i32..200_000,
    ) {
        let day = |n: i32| today().checked_add_signed(chrono::Duration::days(i64::from(n)));
        if let (Some(joined), Some(on)) = (day(joined), day(on)) {
            let paid = paid.and_then(day);
            let rules: &StatusRules = &Rules::defaults().unwrap().status;
            let _ = rules.status(joined, paid, None, false, on);
            let _ = rules.lapses_on(joined, paid);
            let _ = rules.bounds(on);
        }
    }
}

#[test]
fn a_postcode_with_a_wide_character_is_refused_not_a_panic() {
    assert!(normalise_postcode("ABéCD").is_err());
    assert!(normalise_postcode("SW1A1Aé").is_err());
    assert!(normalise_postcode("🌹🌹").is_err());
    assert_eq!(normalise_postcode("sw1a1aa").unwrap(), "SW1A 1AA");
}
