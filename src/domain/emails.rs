//! Emails to members: who may be sent one and why not, and how a message is made from
//! its template. Pure: the caller supplies each person's facts, the imprint and the links.

use minijinja::{Environment, UndefinedBehavior};
use pulldown_cmark::{Event, Options, Parser, html};
use serde::Serialize;

use super::fields::check_text;
use super::filter::FieldProblem;

/// Why an email is sent, which decides who may have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Campaigning and news: only to people who agreed to email (PECR), with an imprint
    /// and an unsubscribe link.
    Campaign,
    /// Meeting notices and other service messages, which members are entitled to whatever
    /// their marketing choices; they carry no campaigning.
    Notice,
}

impl Purpose {
    pub const ALL: [Purpose; 2] = [Purpose::Campaign, Purpose::Notice];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Campaign => "campaign",
            Purpose::Notice => "notice",
        }
    }

    pub fn parse(text: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Purpose::Campaign => "Campaign (needs email consent)",
            Purpose::Notice => "Members' notice (everyone entitled to members' communications)",
        }
    }
}

/// Why someone in an email's audience does not get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    NoAddress,
    NoConsent,
    Unsubscribed,
    Bounced,
    NotEntitled,
    /// Someone else in the audience has the same address, and one copy reaches it.
    SameAddress,
}

impl Skip {
    pub const ALL: [Skip; 6] = [
        Skip::NoAddress,
        Skip::NoConsent,
        Skip::Unsubscribed,
        Skip::Bounced,
        Skip::NotEntitled,
        Skip::SameAddress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Skip::NoAddress => "no_address",
            Skip::NoConsent => "no_consent",
            Skip::Unsubscribed => "unsubscribed",
            Skip::Bounced => "bounced",
            Skip::NotEntitled => "not_entitled",
            Skip::SameAddress => "same_address",
        }
    }

    pub fn parse(text: &str) -> Option<Skip> {
        Skip::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Skip::NoAddress => "no email address",
            Skip::NoConsent => "has not agreed to email",
            Skip::Unsubscribed => "unsubscribed through a link in an email",
            Skip::Bounced => "address bounced",
            Skip::NotEntitled => "not entitled to members' communications",
            Skip::SameAddress => "shares an address with someone who gets it",
        }
    }
}

/// What decides whether one person gets an email, read at the moment it is decided.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub address: Option<&'a str>,
    /// `None`: never asked; `Some(false)`: said no.
    pub email_consent: Option<bool>,
    /// Has used an unsubscribe link in one of Rosette's emails.
    pub unsubscribed: bool,
    /// The address is on the suppression list (a hard bounce, or repeated soft ones).
    pub suppressed: bool,
    /// Holds the right to members' communications today.
    pub entitled: bool,
}

/// Whether a person gets an email for `purpose`, and why not. A campaign needs consent
/// given; a notice is a service message, sent whatever the marketing choice; a bounced or
/// missing address never gets anything. "Unsubscribed" is told apart from never having
/// agreed, so an officer sees how many their emails have lost.
pub fn decide(purpose: Purpose, f: &Facts) -> Result<(), Skip> {
    if f.address.is_none_or(|a| a.trim().is_empty()) {
        return Err(Skip::NoAddress);
    }
    if f.suppressed {
        return Err(Skip::Bounced);
    }
    match purpose {
        Purpose::Campaign => match f.email_consent {
            Some(true) => Ok(()),
            _ if f.unsubscribed => Err(Skip::Unsubscribed),
            _ => Err(Skip::NoConsent),
        },
        Purpose::Notice if f.entitled => Ok(()),
        Purpose::Notice => Err(Skip::NotEntitled),
    }
}

/// The merge fields a template may use, each with a sample for previews and checks.
pub const FIELDS: &[(&str, &str)] = &[
    ("first_name", "Sam"),
    ("last_name", "Sample"),
    ("membership_number", "A000001"),
    ("branch", "Riverside"),
    ("paid_until", "1 Jan 2027"),
    ("local_party", "Anytown"),
    ("unsubscribe_url", "https://example.org/email/u/sample"),
    (
        "preferences_url",
        "https://example.org/email/u/sample/preferences",
    ),
    // An invitation's own sign-up link (blank in an email that is not an invitation).
    ("event_url", "https://example.org/e/sample?i=sample"),
    // A survey's email's own link to answer it (blank in any other email).
    ("survey_url", "https://example.org/s/sample?i=sample"),
];

/// One recipient's merge fields.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Merge {
    pub first_name: String,
    pub last_name: String,
    pub membership_number: String,
    pub branch: String,
    pub paid_until: String,
    pub local_party: String,
    pub unsubscribe_url: String,
    pub preferences_url: String,
    pub event_url: String,
    pub survey_url: String,
}

impl Merge {
    /// A recipient's fields, links left to be filled: first name, last name and
    /// membership number, their branch, when they are paid until, their local party.
    pub fn of(
        [first_name, last_name, number]: [&str; 3],
        branch: Option<&str>,
        paid_until: Option<chrono::NaiveDate>,
        local_party: &str,
    ) -> Merge {
        Merge {
            first_name: first_name.into(),
            last_name: last_name.into(),
            membership_number: number.into(),
            branch: branch.unwrap_or_default().into(),
            paid_until: paid_until
                .map(|d| d.format("%-d %b %Y").to_string())
                .unwrap_or_default(),
            local_party: local_party.into(),
            ..Merge::default()
        }
    }

    /// The sample recipient of `FIELDS`.
    pub fn sample() -> Merge {
        let v = |name: &str| {
            FIELDS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        };
        Merge {
            first_name: v("first_name"),
            last_name: v("last_name"),
            membership_number: v("membership_number"),
            branch: v("branch"),
            paid_until: v("paid_until"),
            local_party: v("local_party"),
            unsubscribe_url: v("unsubscribe_url"),
            preferences_url: v("preferences_url"),
            event_url: v("event_url"),
            survey_url: v("survey_url"),
        }
    }
}

/// A message as it goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The fixed parts of every message of one email.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub purpose: Purpose,
    /// Who promoted the material and for whom, with an address (campaigns only).
    pub imprint: Option<&'a str>,
    pub local_party: &'a str,
}

const SUBJECT_MAX: usize = 200;
const BODY_MAX: usize = 100_000;

/// Checks an email's subject and body before anything is saved or sent: text rules,
/// lengths, and the template itself (syntax and names), each problem against its field
/// with the template's line.
pub fn check(subject: &str, body: &str) -> Result<(), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut bad = |field: &str, message: String| {
        problems.push(FieldProblem {
            field: field.into(),
            message,
        })
    };
    for (field, text, lines, max) in [
        ("subject", subject, false, SUBJECT_MAX),
        ("body", body, true, BODY_MAX),
    ] {
        if text.trim().is_empty() {
            bad(field, "is empty; write something".into());
        } else if let Err(e) = check_text(text, lines) {
            bad(field, e);
        } else if text.chars().count() > max {
            bad(field, format!("is longer than {max} characters"));
        } else if let Err(e) = fill(text, &Merge::sample()) {
            bad(field, e);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Fills a template's merge fields. Any name it does not know is an error, never a blank.
fn fill(template: &str, merge: &Merge) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Values are put into plain text here; the HTML part escapes them when it is made.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let explain = |e: minijinja::Error| {
        let what = match e.kind() {
            minijinja::ErrorKind::UndefinedError => format!(
                "uses a merge field that does not exist; the fields are {}",
                FIELDS
                    .iter()
                    .map(|(n, _)| format!("{{{{ {n} }}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => e
                .detail()
                .map_or_else(|| e.kind().to_string(), |d| d.to_string()),
        };
        match e.line() {
            Some(line) => format!("line {line}: {what}"),
            None => what,
        }
    };
    env.add_template("t", template).map_err(explain)?;
    let t = env.get_template("t").map_err(explain)?;
    t.render(merge).map_err(explain)
}

/// Makes one recipient's message: the template filled, the body as text and as HTML
/// (Markdown, with any HTML in it shown as text), and the footer its purpose needs.
pub fn render(subject: &str, body: &str, merge: &Merge, frame: &Frame) -> Result<Rendered, String> {
    let subject = fill(subject, merge)?;
    let filled = fill(body, merge)?;
    let footer_lines = footer(merge, frame);
    let mut text = filled.trim_end().to_string();
    text.push_str("\n\n-- \n");
    text.push_str(&footer_lines.join("\n"));
    text.push('\n');

    let mut html_body = String::new();
    // Raw HTML, the author's or a merged value's, becomes text: nothing a recipient
    // record holds can add markup or script to the message.
    let events = Parser::new_ext(&filled, Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    html::push_html(&mut html_body, events);
    let mut footer_html = String::new();
    for line in &footer_lines {
        footer_html.push_str("<p>");
        footer_html.push_str(&escape_linked(line));
        footer_html.push_str("</p>");
    }
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body>{html_body}<hr><footer style=\"font-size:small\">{footer_html}</footer></body></html>",
        escape(&subject)
    );
    Ok(Rendered {
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text,
        html,
    })
}

fn footer(merge: &Merge, frame: &Frame) -> Vec<String> {
    match frame.purpose {
        Purpose::Campaign => vec![
            frame.imprint.unwrap_or_default().trim().to_string(),
            format!("Unsubscribe: {}", merge.unsubscribe_url),
            format!("Your email choices: {}", merge.preferences_url),
        ],
        Purpose::Notice => vec![format!(
            "You are sent this notice as a member of {}.",
            frame.local_party
        )],
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a footer line and links a URL at its end.
fn escape_linked(line: &str) -> String {
    match line.rsplit_once(' ') {
        Some((label, url)) if url.starts_with("https://") || url.starts_with("http://") => {
            format!(
                "{} <a href=\"{}\">{}</a>",
                escape(label),
                escape(url),
                escape(url)
            )
        }
        _ => escape(line),
    }
}

/// Why a campaign email cannot go yet, if it cannot.
pub fn ready(purpose: Purpose, imprint: Option<&str>) -> Result<(), String> {
    if purpose == Purpose::Campaign && imprint.is_none_or(|i| i.trim().is_empty()) {
        return Err("a campaign email must carry an imprint (who promoted it, for whom, and their address); set the local party's imprint in Settings first".into());
    }
    Ok(())
}

/// Checks an imprint as the Secretary types it.
pub fn check_imprint(text: &str) -> Result<(), String> {
    check_text(text, true)?;
    let t = text.trim();
    if !t.is_empty() && (t.chars().count() < 20 || !t.chars().any(|c| c.is_ascii_digit())) {
        return Err("should say who promoted the material, on whose behalf, and their full address (e.g. 'Promoted by A. Agent on behalf of Anytown Party, both at 1 High Street, Anytown AN1 1AA')".into());
    }
    if t.chars().count() > 500 {
        return Err("is longer than 500 characters".into());
    }
    Ok(())
}

/// What a delivery status notification (RFC 3464) says of the messages it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    /// Permanent (a 5.x.x status, or `Action: failed` without a 4.x.x one): the address is
    /// suppressed at once. Otherwise temporary: three in a row suppress it.
    pub hard: bool,
    /// The server gave up (`Action: failed`); otherwise it is still trying (`delayed`).
    pub failed: bool,
    /// The status code and the server's words, for the record.
    pub reason: String,
    /// Rosette's own Message-IDs it names (`<ID@rosette>`): the recipient rows it is about.
    pub message_ids: Vec<String>,
}

/// Reads a message as a DSN of a failed or delayed delivery; `None` for anything else
/// (a reply, an out-of-office, a delivery success), which is left alone.
pub fn read_dsn(text: &str) -> Option<Dsn> {
    let field = |name: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let action = field("Action")?.to_ascii_lowercase();
    let status = field("Status")?;
    let code = status.split_whitespace().next().unwrap_or_default();
    let parts: Vec<&str> = code.split('.').collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let hard = match (action.as_str(), parts[0]) {
        (_, "5") => true,
        (_, "4") => false,
        ("failed", _) => true,
        ("delayed", _) => false,
        _ => return None,
    };
    if !matches!(action.as_str(), "failed" | "delayed") {
        return None;
    }
    let mut message_ids = Vec::new();
    for (i, _) in text.match_indices("@rosette>") {
        let Some(start) = text[..i].rfind('<') else {
            continue;
        };
        let id = &text[start + 1..i];
        if id.len() == 36
            && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && !message_ids.iter().any(|m| m == id)
        {
            message_ids.push(id.to_string());
        }
    }
    if message_ids.is_empty() {
        return None;
    }
    let diagnostic = field("Diagnostic-Code").unwrap_or_default();
    Some(Dsn {
        hard,
        failed: action == "failed",
        reason: format!("{code} {diagnostic}").trim().to_string(),
        message_ids,
    })
}

/// Temporary failures in a row that suppress an address.
pub const SOFT_BOUNCES: i32 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01a20a91-830f-77aa-8284-ae1ff9036e75";

    fn dsn(action: &str, status: &str) -> String {
        format!(
            "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\nMessage-ID: <abc@mx.example>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; ada@example.org\r\nAction: {action}\r\nStatus: {status}\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{ID}@rosette>\r\nSubject: Renew\r\n--b--\r\n"
        )
    }

    #[test]
    fn a_dsn_is_read_as_hard_or_soft_and_names_our_message() {
        let hard = read_dsn(&dsn("failed", "5.1.1")).unwrap();
        assert!(hard.hard);
        assert_eq!(hard.message_ids, vec![ID.to_string()]);
        assert!(
            hard.reason.starts_with("5.1.1 smtp; 550"),
            "{}",
            hard.reason
        );
        assert!(hard.failed);
        let delayed = read_dsn(&dsn("delayed", "4.2.2")).unwrap();
        assert!(!delayed.hard && !delayed.failed);
        assert!(!read_dsn(&dsn("failed", "4.4.7")).unwrap().hard);
        assert!(read_dsn(&dsn("failed", "5.0.0")).unwrap().hard);
    }

    #[test]
    fn anything_but_a_failure_naming_our_message_is_left_alone() {
        assert_eq!(read_dsn(&dsn("delivered", "2.0.0")), None);
        assert_eq!(read_dsn(&dsn("failed", "five")), None);
        assert_eq!(
            read_dsn(&dsn("failed", "5.1.1").replace("@rosette>", "@elsewhere>")),
            None
        );
        assert_eq!(read_dsn("Subject: Out of office\r\n\r\nI am away."), None);
        assert_eq!(read_dsn(""), None);
        assert_eq!(
            read_dsn("Action: failed\nStatus: 5.1.1\nMessage-ID: <short@rosette>"),
            None
        );
    }

    fn facts(address: Option<&str>, consent: Option<bool>) -> Facts<'_> {
        Facts {
            address,
            email_consent: consent,
            unsubscribed: false,
            suppressed: false,
            entitled: true,
        }
    }

    #[test]
    fn a_campaign_needs_an_address_and_consent() {
        let a = Some("a@example.org");
        assert_eq!(decide(Purpose::Campaign, &facts(a, Some(true))), Ok(()));
        assert_eq!(
            decide(Purpose::Campaign, &facts(a, None)),
            Err(Skip::NoConsent)
        );
        assert_eq!(
            decide(Purpose::Campaign, &facts(a, Some(false))),
            Err(Skip::NoConsent)
        );
        let left = Facts {
            unsubscribed: true,
            ..facts(a, Some(false))
        };
        assert_eq!(decide(Purpose::Campaign, &left), Err(Skip::Unsubscribed));
        let came_back = Facts {
            unsubscribed: true,
            ..facts(a, Some(true))
        };
        assert_eq!(decide(Purpose::Campaign, &came_back), Ok(()));
        assert_eq!(
            decide(Purpose::Campaign, &facts(None, Some(true))),
            Err(Skip::NoAddress)
        );
        assert_eq!(
            decide(Purpose::Campaign, &facts(Some("  "), Some(true))),
            Err(Skip::NoAddress)
        );
        let bounced = Facts {
            suppressed: true,
            ..facts(a, Some(true))
        };
        assert_eq!(decide(Purpose::Campaign, &bounced), Err(Skip::Bounced));
    }

    #[test]
    fn a_notice_goes_to_everyone_entitled_whatever_their_marketing_choice() {
        let a = Some("a@example.org");
        for consent in [None, Some(false), Some(true)] {
            assert_eq!(decide(Purpose::Notice, &facts(a, consent)), Ok(()));
        }
        let not = Facts {
            entitled: false,
            ..facts(a, Some(true))
        };
        assert_eq!(decide(Purpose::Notice, &not), Err(Skip::NotEntitled));
        let bounced = Facts {
            suppressed: true,
            ..facts(a, None)
        };
        assert_eq!(decide(Purpose::Notice, &bounced), Err(Skip::Bounced));
        assert_eq!(
            decide(Purpose::Notice, &facts(None, None)),
            Err(Skip::NoAddress)
        );
    }

    #[test]
    fn purposes_and_reasons_have_stable_codes_and_words() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Some(p));
        }
        assert_eq!(Purpose::parse("spam"), None);
        for s in Skip::ALL {
            assert_eq!(Skip::parse(s.as_str()), Some(s));
            assert!(!s.label().contains('_'));
        }
    }

    fn frame(purpose: Purpose) -> Frame<'static> {
        Frame {
            purpose,
            imprint: Some("Promoted by A. Agent for Anytown Party, 1 High St, Anytown AN1 1AA"),
            local_party: "Anytown",
        }
    }

    fn merge() -> Merge {
        Merge {
            first_name: "Ada".into(),
            last_name: "O'Neil".into(),
            unsubscribe_url: "https://x.example/email/u/T".into(),
            preferences_url: "https://x.example/email/u/T/preferences".into(),
            ..Merge::sample()
        }
    }

    #[test]
    fn merge_fields_are_filled_per_person_in_subject_text_and_html() {
        let r = render(
            "Hello {{ first_name }}",
            "Dear {{ first_name }} {{ last_name }},\n\n**Renew** by {{ paid_until }}.",
            &merge(),
            &frame(Purpose::Campaign),
        )
        .unwrap();
        assert_eq!(r.subject, "Hello Ada");
        assert!(
            r.text
                .starts_with("Dear Ada O'Neil,\n\n**Renew** by 1 Jan 2027.")
        );
        assert!(r.html.contains("<strong>Renew</strong>"), "{}", r.html);
        assert!(r.html.contains("Dear Ada O&#39;Neil") || r.html.contains("Dear Ada O'Neil"));
    }

    #[test]
    fn a_campaign_carries_the_imprint_and_unsubscribe_link_and_a_notice_does_not() {
        let c = render("S", "Body", &merge(), &frame(Purpose::Campaign)).unwrap();
        assert!(c.text.contains("Promoted by A. Agent"));
        assert!(c.text.contains("Unsubscribe: https://x.example/email/u/T"));
        assert!(c.html.contains("href=\"https://x.example/email/u/T\""));
        let n = render("S", "Body", &merge(), &frame(Purpose::Notice)).unwrap();
        assert!(!n.text.contains("Unsubscribe"));
        assert!(n.text.contains("as a member of Anytown"));
    }

    #[test]
    fn html_in_a_template_or_a_merged_value_is_shown_as_text() {
        let evil = Merge {
            first_name: "<script>alert(1)</script>".into(),
            ..merge()
        };
        let r = render(
            "S",
            "Hi {{ first_name }} <img src=x onerror=alert(2)>",
            &evil,
            &frame(Purpose::Campaign),
        )
        .unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(!r.html.contains("<img"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"));
    }

    #[test]
    fn a_subject_stays_on_one_line_whatever_a_value_holds() {
        let m = Merge {
            first_name: "A\r\nBcc: x@evil.example".into(),
            ..merge()
        };
        let r = render("Hi {{ first_name }}", "B", &m, &frame(Purpose::Notice)).unwrap();
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    }

    #[test]
    fn a_template_mistake_is_reported_with_its_field_and_line() {
        let e = check(
            "Hi",
            "Dear {{ first_name }},\n\nYour {{ membership_numbr }}",
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "body");
        assert!(e[0].message.starts_with("line 3:"), "{}", e[0].message);
        assert!(e[0].message.contains("{{ membership_number }}"));

        let e = check("Hi {{ first_name", "ok").unwrap_err();
        assert_eq!(e[0].field, "subject");
        assert!(e[0].message.contains("line 1"), "{}", e[0].message);

        let e = check("", "{% if %}").unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e[1].message.contains("line 1"));
    }

    #[test]
    fn every_field_is_known_and_text_rules_apply() {
        let all: String = FIELDS
            .iter()
            .map(|(n, _)| format!("{{{{ {n} }}}} "))
            .collect();
        assert_eq!(check("S", &all), Ok(()));
        assert!(check("S\u{0}", "B").is_err());
        assert!(check("S", "line\nbreaks\tare fine").is_ok());
        assert!(check("S\nT", "B").is_err());
        assert!(check(&"x".repeat(201), "B").is_err());
    }

    #[test]
    fn a_campaign_waits_for_an_imprint() {
        assert!(ready(Purpose::Campaign, None).is_err());
        assert!(ready(Purpose::Campaign, Some("  ")).is_err());
        assert!(ready(Purpose::Campaign, Some("Promoted by …")).is_ok());
        assert!(ready(Purpose::Notice, None).is_ok());
        assert!(check_imprint("").is_ok());
        assert!(check_imprint("me").is_err());
        assert!(
            check_imprint("Promoted by A. Agent on behalf of Anytown Party, 1 High St, AN1 1AA")
                .is_ok()
        );
    }
}
