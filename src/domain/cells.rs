//! Spreadsheet cells that are safe to open: a value that a spreadsheet would run as a
//! formula is written with a leading quote (OWASP's advice), and reading the file back
//! takes the quote off again, so an export imports back unchanged.

/// What a spreadsheet treats as the start of a formula (or of a command, for tab and CR).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn is_phone_number(cell: &str) -> bool {
    cell.strip_prefix('+').is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b' ')
    })
}

/// Prefixes a quote to a cell that would run as a formula, and to one that already
/// starts with a quote (so `restore` knows every leading quote is ours). International
/// phone numbers such as `+447700900123` are left as they are.
pub fn neutralise(cell: &str) -> String {
    let guarded = cell.starts_with(FORMULA_STARTS) || cell.starts_with('\'');
    if guarded && !is_phone_number(cell) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// Takes off the quote `neutralise` put on. A quote before anything else (`'t Hooft`)
/// is part of the value and stays.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_phones_kept() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("+2+3"), "'+2+3");
        assert_eq!(neutralise("\tcmd"), "'\tcmd");
        assert_eq!(neutralise("\rcmd"), "'\rcmd");
        assert_eq!(neutralise("+447700900123"), "+447700900123");
        assert_eq!(neutralise("+44 7700 900123"), "+44 7700 900123");
        assert_eq!(neutralise("+"), "'+");
        assert_eq!(neutralise("'=1"), "''=1");
        assert_eq!(neutralise("Ada"), "Ada");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn what_is_neutralised_is_restored_exactly() {
        for value in [
            "=1+1",
            "'=1+1",
            "''",
            "'",
            "'t Hooft",
            "@home",
            "-",
            "+",
            "+447700900123",
            "\tx",
            "O'Brien",
            "",
            "Ada",
        ] {
            assert_eq!(restore(&neutralise(value)), value, "{value:?}");
        }
        assert_eq!(
            restore("'t Hooft"),
            "'t Hooft",
            "a quote that is not ours stays"
        );
    }

    proptest::proptest! {
        #[test]
        fn restore_undoes_neutralise_for_any_text(value in ".*") {
            let written = neutralise(&value);
            proptest::prop_assert_eq!(restore(&written), value.as_str());
        }
    }
}
