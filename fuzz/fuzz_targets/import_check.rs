//! Any bytes as a member file: read, headers mapped, every row checked. An answer or an
//! error, never a panic (rows are checked on threads, so a panic aborts the import).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rosette::domain::Rules;
use rosette::import::{Context, check_file};

fuzz_target!(|bytes: &[u8]| {
    let Ok(rules) = Rules::defaults() else {
        return;
    };
    let Some(today) = chrono::NaiveDate::from_ymd_opt(2026, 11, 23) else {
        return;
    };
    let ctx = Context::new(
        &rules,
        [("riverside", "Riverside"), ("docks", "Docks & Quay")],
        vec![("riverside".to_string(), "riverside".to_string())],
        today,
    );
    let _ = check_file("fuzz.csv", bytes, &[], &ctx);
});
