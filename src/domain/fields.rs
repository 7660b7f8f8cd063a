//! Normalising the contact fields people type: UK postcodes, phone numbers, email
//! addresses, yes/no consents and tag lists. Each returns the stored form or says what is
//! wrong with the text.

/// A public id as a filter or a step names one (an event's, a survey's), lower-cased:
/// hex digits and dashes, at most 64 characters. Ids are never looked up otherwise, so a
/// wrong one finds nothing rather than reaching SQL as anything but a value.
pub fn read_public_id(text: &str) -> Option<String> {
    let id = text.trim().to_lowercase();
    (!id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .then_some(id)
}

/// Whether typed text can be stored as it is: no control characters (NUL, escape, a
/// carriage return on its own…), which no one means to type, which a terminal or a
/// spreadsheet may act on, and which PostgreSQL cannot store at all (NUL). A field that
/// takes several lines (`lines`) allows line breaks and tabs. Every text that enters
/// Rosette is checked with this, whether from a page, the API or a file.
pub fn check_text(text: &str, lines: bool) -> Result<(), String> {
    let allowed = |c: char| lines && matches!(c, '\n' | '\r' | '\t');
    match text.chars().find(|c| c.is_control() && !allowed(*c)) {
        None => Ok(()),
        Some(c) => Err(format!(
            "has a control character (U+{:04X}) that cannot be stored; type it again without it",
            u32::from(c)
        )),
    }
}

/// An address as two lines, from a file whose first address cell may hold several lines
/// (a spreadsheet cell with line breaks): its first line stays first, the rest go to the
/// second line when that is empty, and lines left over are joined with commas.
pub fn address_lines(line1: Option<&str>, line2: Option<&str>) -> (Option<String>, Option<String>) {
    let lines = |text: Option<&str>| -> Vec<String> {
        text.unwrap_or_default()
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect()
    };
    let joined = |parts: &[String]| Some(parts.join(", ")).filter(|s| !s.is_empty());
    let (first, second) = (lines(line1), lines(line2));
    match first.split_first() {
        Some((head, rest)) if second.is_empty() => (Some(head.clone()), joined(rest)),
        _ => (joined(&first), joined(&second)),
    }
}

/// A UK postcode in its canonical form (`SW1A 1AA`), from any spacing or case.
pub fn normalise_postcode(text: &str) -> Result<String, String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if compact == "GIR0AA" {
        return Ok("GIR 0AA".into());
    }
    // Every valid postcode is ASCII; checking that first makes the byte-index split below
    // land on a character boundary whatever was typed.
    let n = compact.len();
    if !compact.is_ascii() || !(5..=7).contains(&n) {
        return Err(format!(
            "'{}' is not a UK postcode (like SW1A 1AA)",
            text.trim()
        ));
    }
    let (outward, inward) = compact.split_at(n - 3);
    let inward_ok = {
        let i = inward.as_bytes();
        i[0].is_ascii_digit() && i[1].is_ascii_alphabetic() && i[2].is_ascii_alphabetic()
    };
    // Outward codes: A9, A99, AA9, AA99, A9A, AA9A.
    let o = outward.as_bytes();
    let alpha = |i: usize| o.get(i).is_some_and(|c| c.is_ascii_alphabetic());
    let digit = |i: usize| o.get(i).is_some_and(|c| c.is_ascii_digit());
    let outward_ok = match o.len() {
        2 => alpha(0) && digit(1),
        3 => alpha(0) && ((digit(1) && (digit(2) || alpha(2))) || (alpha(1) && digit(2))),
        4 => alpha(0) && alpha(1) && digit(2) && (digit(3) || alpha(3)),
        _ => false,
    };
    if inward_ok && outward_ok {
        Ok(format!("{outward} {inward}"))
    } else {
        Err(format!(
            "'{}' is not a UK postcode (like SW1A 1AA)",
            text.trim()
        ))
    }
}

/// A phone number in international form (`+447700900123`). UK numbers may be written
/// nationally (`07700 900123`); others need their `+` country code.
pub fn normalise_phone(text: &str) -> Result<String, String> {
    let t = text.trim();
    let cleaned: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}'))
        .collect();
    let bad = || format!("'{t}' is not a phone number (like 07700 900123 or +44 7700 900123)");
    let (plus, digits) = match cleaned.strip_prefix('+') {
        Some(rest) => (true, rest.to_string()),
        None => (false, cleaned.clone()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("44{rest}")
    } else if digits.starts_with("44") && digits.len() == 12 {
        digits
    } else {
        return Err(bad());
    };
    // A UK number has 9 or 10 digits after +44 and no trunk zero; elsewhere E.164 allows 8 to 15 in all.
    let ok = match international.strip_prefix("44") {
        Some(national) => (9..=10).contains(&national.len()) && !national.starts_with('0'),
        None => (8..=15).contains(&international.len()) && !international.starts_with('0'),
    };
    if ok {
        Ok(format!("+{international}"))
    } else {
        Err(bad())
    }
}

/// An email address, trimmed, with its domain lower-cased. Checks the shape a mail server
/// needs (one `@`, a dotted domain, no spaces), not whether the mailbox exists.
pub fn normalise_email(text: &str) -> Result<String, String> {
    let t = text.trim();
    let bad = |why: &str| format!("'{t}' is not an email address: {why}");
    let Some((local, domain)) = t.rsplit_once('@') else {
        return Err(bad("it has no @"));
    };
    // Mail servers carry no longer address (RFC 5321's path limit, less the brackets).
    if t.len() > 254 {
        return Err(bad("it is longer than 254 characters"));
    }
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return Err(bad(
            "the part before @ is empty, too long or has a second @",
        ));
    }
    if local.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')')
    }) {
        return Err(bad(
            "the part before @ has a space or a character mail cannot carry",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(bad("dots in the part before @ are misplaced"));
    }
    let domain = domain.to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) || domain.len() > 253 {
        return Err(bad(
            "the domain after @ is not a dotted name like example.org",
        ));
    }
    Ok(format!("{local}@{domain}"))
}

/// A yes/no cell. Blank means the person has not been asked (`None`).
pub fn parse_consent(text: &str) -> Result<Option<bool>, String> {
    match text.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "y" | "true" | "1" | "opt in" | "opted in" | "granted" => Ok(Some(true)),
        "no" | "n" | "false" | "0" | "opt out" | "opted out" | "withdrawn" => Ok(Some(false)),
        other => Err(format!("'{other}' is not yes or no")),
    }
}

/// A consent as a form field shows it: the words `parse_consent` reads back.
pub fn consent_field(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

/// Tags separated by `;` or `,`, trimmed, lower-cased, without blanks or repeats, sorted.
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = text
        .split([';', ','])
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Letters and digits only, lower case: how headers ("Date Joined") and names ("O'Brien")
/// are compared when spacing, case and punctuation should not matter.
pub fn fold_alphanumeric(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A URL- and file-safe name for a unit, from its display name.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_address_cell_becomes_the_address_lines() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            address_lines(Some("Flat 2\r\n12 High Street\r\n"), None),
            (some("Flat 2"), some("12 High Street"))
        );
        assert_eq!(
            address_lines(Some("Flat 2\n12 High Street\nRiverside"), Some("")),
            (some("Flat 2"), some("12 High Street, Riverside"))
        );
        assert_eq!(
            address_lines(Some("Flat 2\n12 High Street"), Some("Docks")),
            (some("Flat 2, 12 High Street"), some("Docks"))
        );
        assert_eq!(
            address_lines(Some("  12   High Street "), None),
            (some("12 High Street"), None)
        );
        assert_eq!(address_lines(None, None), (None, None));
        assert_eq!(
            address_lines(Some("\n\n"), Some("x\ny")),
            (None, some("x, y"))
        );
    }

    #[test]
    fn an_email_address_is_at_most_254_characters() {
        let domain = format!(
            "{}.{}.{}.org",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63)
        );
        let fits = format!("{}@{domain}", "x".repeat(254 - 1 - domain.len()));
        assert_eq!(fits.len(), 254);
        assert!(normalise_email(&fits).is_ok());
        assert!(normalise_email(&format!("y{fits}")).is_err());
    }

    #[test]
    fn control_characters_are_refused_and_line_breaks_kept_where_lines_are() {
        for bad in ["a\u{0}b", "\u{1b}[31mred", "a\rb", "\u{7f}", "\u{85}x"] {
            assert!(check_text(bad, false).is_err(), "{bad:?}");
        }
        for bad in ["a\u{0}b", "\u{1b}[31m", "\u{8}"] {
            assert!(check_text(bad, true).is_err(), "{bad:?} in lines");
        }
        assert!(check_text("a\tb", false).is_err(), "one line has no tabs");
        assert!(check_text("12 High St\r\nFlat 2\tB", true).is_ok());
        assert!(check_text("Zoë O'Brien-Smith \u{202e}", false).is_ok());
        assert!(check_text("x\u{0}", false).unwrap_err().contains("U+0000"));
    }

    #[test]
    fn postcodes_take_every_outward_shape() {
        for (input, want) in [
            ("sw1a1aa", "SW1A 1AA"),
            (" M1 1AE ", "M1 1AE"),
            ("b338th", "B33 8TH"),
            ("cr26xh", "CR2 6XH"),
            ("DN55 1PT", "DN55 1PT"),
            ("w1a 0ax", "W1A 0AX"),
            ("EC1A  1BB", "EC1A 1BB"),
            ("gir0aa", "GIR 0AA"),
        ] {
            assert_eq!(normalise_postcode(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn postcodes_refuse_other_text() {
        for bad in [
            "",
            "12345",
            "SW1A",
            "SW1A 1A",
            "1W1A 1AA",
            "SW1A 11A",
            "ABCDE 1AA",
            "90210",
            "SW1A-1AA!",
        ] {
            assert!(normalise_postcode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_become_international() {
        for (input, want) in [
            ("07700 900123", "+447700900123"),
            ("+44 7700 900123", "+447700900123"),
            ("0044 7700 900123", "+447700900123"),
            ("447700900123", "+447700900123"),
            ("(020) 7946-0018", "+442079460018"),
            ("+353 1 234 5678", "+35312345678"),
            ("01632 96011", "+44163296011"),
        ] {
            assert_eq!(normalise_phone(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn phones_refuse_other_text() {
        for bad in [
            "",
            "call me",
            "07700",
            "0770090012345",
            "+44 07700 900123",
            "7700900123",
            "+12",
            "07700 9OO123",
        ] {
            assert!(normalise_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_checked_and_domains_lower_cased() {
        assert_eq!(
            normalise_email(" Ada.L@Example.ORG ").as_deref(),
            Ok("Ada.L@example.org")
        );
        assert_eq!(
            normalise_email("a+tag@mail.example.co.uk").as_deref(),
            Ok("a+tag@mail.example.co.uk")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a da@example.org",
            "ada@@example.org",
            "ada@exa mple.org",
            "ada@-example.org",
            ".ada@example.org",
            "ada..l@example.org",
            "ada@example..org",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn consents_read_yes_no_and_blank() {
        assert_eq!(parse_consent("Yes"), Ok(Some(true)));
        assert_eq!(parse_consent(" n "), Ok(Some(false)));
        assert_eq!(parse_consent("1"), Ok(Some(true)));
        assert_eq!(parse_consent(""), Ok(None));
        assert!(parse_consent("maybe").is_err());
    }

    #[test]
    fn tags_are_tidied() {
        assert_eq!(
            parse_tags(" Canvasser; driver,canvasser ;; "),
            vec!["canvasser", "driver"]
        );
        assert!(parse_tags("").is_empty());
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(
            slugify("St. Mary's & Riverside Ward"),
            "st-mary-s-riverside-ward"
        );
        assert_eq!(slugify("  Women's Branch  "), "women-s-branch");
        assert_eq!(slugify("Ünïcode"), "n-code");
    }
}
