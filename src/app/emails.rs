//! Emails to members: drafting one for a segment or the member list's filter, who it
//! reaches and why not, previews and tests, sending (now or at a time), cancelling, and
//! the delivery rounds the job queue runs, which check consent again for each message.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::audit::Unaudited;
use super::{AppError, Principal, Result, audit};
use crate::domain::emails::{self as rules_of, Facts, Frame, Merge, Purpose, Rendered, Skip};
use crate::domain::fields::{check_text, normalise_email};
use crate::domain::filter::MemberFilter;
use crate::domain::{Kind, Rules, Status};
use crate::mail::{Failure, Mailer, Outgoing};
use crate::store::emails::{self, Claimed, Delivery, Email, NewRecipient, Settings};
use crate::store::roster::{self, ListQuery, Listed};
use crate::store::{Db, Mode, Tx, members, outbox, segments};

/// The right in the rules file that entitles a person to members' notices.
pub const NOTICE_RIGHT: &str = "receive_members_communications";

/// What an officer's compose form (or the API) asks for.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub subject: String,
    pub body: String,
    pub purpose: String,
    /// `segment:ID`, or the member list's filter as a query string.
    pub audience: String,
    pub sender_name: String,
    pub reply_to: String,
    /// The event it invites people to (internal id): each copy carries its recipient's
    /// own sign-up link as `event_url`.
    pub event: Option<i64>,
    /// The survey it asks people to answer (internal id): each copy carries its
    /// recipient's own link as `survey_url`.
    pub survey: Option<i64>,
}

/// Everyone an email's audience names, and whether each gets it.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub recipients: Vec<Listed>,
    pub skipped: Vec<(Listed, Skip)>,
}

impl Reach {
    /// How many are skipped for each reason, in the order reasons are listed.
    pub fn skipped_by_reason(&self) -> Vec<(Skip, usize)> {
        Skip::ALL
            .into_iter()
            .map(|s| (s, self.skipped.iter().filter(|(_, w)| *w == s).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// An email's audience: its local party, what it is in words, and the people in the
/// principal's write scope it names.
async fn audience(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    text: &str,
) -> Result<(i64, String, Vec<Listed>)> {
    let (lp, label, filter) = audience_of(tx, who, text).await?;
    let q = ListQuery {
        grants: &who.scope.write,
        user_id: who.user.id,
        filter: &filter,
        bounds: rules.status.bounds(today),
    };
    let mut seen = HashSet::new();
    let people = roster::list(tx, &q, None, 10_000_000)
        .await?
        .0
        .into_iter()
        .filter(|r| r.local_party_id == lp && seen.insert(r.person_id))
        .collect();
    Ok((lp, label, people))
}

/// What an audience names: its local party, itself in words, and its filter. Checked, so
/// a draft is refused before anyone is listed.
async fn audience_of(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    text: &str,
) -> Result<(i64, String, MemberFilter)> {
    may_send(who)?;
    check_text(text, false).map_err(|e| AppError::field("audience", e))?;
    let (lp, label, filter) = match text.trim().strip_prefix("segment:") {
        Some(id) => {
            let seg = segments::get(tx, id.trim(), &who.scope.local_parties)
                .await?
                .ok_or_else(|| AppError::field("audience", "there is no such segment"))?;
            let filter = super::segments::filter_of(&seg.query).map_err(|_| {
                AppError::field("audience", "this segment's filters are no longer valid")
            })?;
            (
                seg.local_party_id,
                format!("the segment {}", seg.name),
                filter,
            )
        }
        None => {
            let filter: MemberFilter = super::segments::filter_of(text).map_err(|problems| {
                AppError::field(
                    "audience",
                    problems
                        .iter()
                        .map(|p| format!("{}: {}", p.field, p.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
            let lp = who.home_party().ok_or(AppError::Forbidden)?;
            let label = if filter == MemberFilter::default() {
                "everyone you can write to".to_string()
            } else {
                format!("the member list: {}", filter.in_words())
            };
            (lp, label, filter)
        }
    };
    Ok((lp, label, filter))
}

/// The memberships among `rows` that hold the notice right today.
pub(crate) async fn entitled(
    tx: &mut Tx<impl Mode>,
    rules: &Rules,
    today: NaiveDate,
    rows: &[(i64, Option<Kind>, Status)],
) -> Result<HashSet<i64>> {
    let Some(rule) = rules.rights.iter().find(|r| r.right == NOTICE_RIGHT) else {
        return Ok(HashSet::new());
    };
    // Continuous membership is read from history only when the rules ask for it.
    let histories = if rule.min_continuous.is_some() {
        let ids: Vec<i64> = rows.iter().map(|(m, _, _)| *m).collect();
        members::histories_of(tx, &ids).await?
    } else {
        HashMap::new()
    };
    Ok(rows
        .iter()
        .filter(|(m, kind, status)| {
            kind.is_some_and(|k| {
                let events = histories.get(m).map_or(&[][..], Vec::as_slice);
                rule.check_history(&rules.status, k, *status, events, today)
                    == crate::domain::RightCheck::Allowed
            })
        })
        .map(|(m, _, _)| *m)
        .collect())
}

/// Decides, for each person in an audience, whether they get an email for `purpose`.
/// One copy per address: the second person with an address already reached is skipped.
async fn decide(
    tx: &mut Tx<impl Mode>,
    rules: &Rules,
    today: NaiveDate,
    purpose: Purpose,
    people: Vec<Listed>,
) -> Result<Reach> {
    let addresses: Vec<&str> = people.iter().filter_map(|p| p.email.as_deref()).collect();
    let suppressed: HashSet<String> = outbox::suppressions(tx, &addresses)
        .await?
        .into_iter()
        .map(|(a, _, _)| a)
        .collect();
    let facts: Vec<(i64, Option<Kind>, Status)> = people
        .iter()
        .map(|p| {
            (
                p.membership_id,
                Kind::parse(&p.kind),
                p.status(&rules.status, today),
            )
        })
        .collect();
    let entitled = entitled(tx, rules, today, &facts).await?;
    let ids: Vec<i64> = people
        .iter()
        .filter(|p| p.email_consent != Some(true))
        .map(|p| p.person_id)
        .collect();
    let unsubscribed: HashSet<i64> = emails::unsubscribed(tx, &ids).await?.into_iter().collect();
    let mut reach = Reach::default();
    let mut addressed = HashSet::new();
    for p in people {
        let verdict = rules_of::decide(
            purpose,
            &Facts {
                address: p.email.as_deref(),
                email_consent: p.email_consent,
                unsubscribed: unsubscribed.contains(&p.person_id),
                suppressed: p.email.as_ref().is_some_and(|a| suppressed.contains(a)),
                entitled: entitled.contains(&p.membership_id),
            },
        )
        .and_then(|()| {
            let key = p.email.as_deref().unwrap_or_default().trim().to_lowercase();
            if addressed.insert(key) {
                Ok(())
            } else {
                Err(Skip::SameAddress)
            }
        });
        match verdict {
            Ok(()) => reach.recipients.push(p),
            Err(why) => reach.skipped.push((p, why)),
        }
    }
    Ok(reach)
}

fn purpose_of(text: &str) -> Result<Purpose> {
    Purpose::parse(text).ok_or_else(|| {
        AppError::field(
            "purpose",
            "choose campaign (needs email consent) or notice (members' notices)",
        )
    })
}

/// Saves a draft after checking every field; returns its public id.
pub async fn create(tx: &mut Tx, who: &Principal, draft: &Draft) -> Result<String> {
    let mut problems = Vec::new();
    if let Err(mut p) = rules_of::check(&draft.subject, &draft.body) {
        problems.append(&mut p);
    }
    let purpose = purpose_of(&draft.purpose);
    if let Err(AppError::Invalid(p)) = &purpose {
        problems.extend(p.iter().cloned());
    }
    let sender = draft.sender_name.trim();
    if let Err(e) = check_text(sender, false) {
        problems.push(field_problem("sender_name", e));
    } else if sender.chars().count() > 100 {
        problems.push(field_problem(
            "sender_name",
            "is longer than 100 characters".into(),
        ));
    }
    let reply_to = match draft.reply_to.trim() {
        "" => None,
        text => match normalise_email(text) {
            Ok(a) => Some(a),
            Err(e) => {
                problems.push(field_problem("reply_to", e));
                None
            }
        },
    };
    let audience = audience_of(tx, who, &draft.audience).await;
    let (lp, label, _) = match audience {
        Ok(a) => a,
        Err(AppError::Invalid(mut p)) => {
            problems.append(&mut p);
            return Err(AppError::Invalid(problems));
        }
        Err(e) => return Err(e),
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let purpose = purpose?;
    let settings = emails::settings(tx, lp).await?.unwrap_or_default();
    let sender = if sender.is_empty() {
        default_sender(&settings)
    } else {
        sender.to_string()
    };
    let reply_to = reply_to.or(settings.email_reply_to.clone());
    let id = emails::create(
        tx,
        &emails::NewEmail {
            local_party_id: lp,
            author_id: who.user.id,
            subject: draft.subject.trim(),
            body: &draft.body,
            purpose: purpose.as_str(),
            audience: draft.audience.trim(),
            audience_label: &label,
            sender_name: &sender,
            reply_to: reply_to.as_deref(),
            event_id: draft.event,
            survey_id: draft.survey,
        },
    )
    .await?;
    audit::note(
        tx,
        who,
        Some(lp),
        "email.create",
        &id,
        &format!("drafted '{}' to {label}", draft.subject.trim()),
        &[],
    )
    .await?;
    Ok(id)
}

fn field_problem(field: &str, message: String) -> crate::domain::filter::FieldProblem {
    crate::domain::filter::FieldProblem {
        field: field.into(),
        message,
    }
}

/// The name mail is sent under when the author gives none: the local party's setting,
/// or its name.
pub fn default_sender(settings: &Settings) -> String {
    settings
        .email_sender_name
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| settings.name.clone())
}

/// An email with what its page shows.
#[derive(Debug, Clone)]
pub struct Shown {
    pub email: Email,
    pub purpose: Purpose,
    pub settings: Settings,
    /// Before sending: who it would reach now. Afterwards: `None` (see `figures`).
    pub reach: Option<Reach>,
    pub figures: Figures,
}

/// An email's counts. Before it is sent, `recipients` and `skipped` are what sending now
/// would do; afterwards they are what was decided when it was queued and re-checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub recipients: i64,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    /// Refused by the recipient's server (at send time, or in a bounce read later).
    pub bounced: i64,
    pub unknown: i64,
    pub cancelled: i64,
    pub skipped: Vec<(Skip, i64)>,
    /// Recipients who unsubscribed through this email's link.
    pub unsubscribed: i64,
}

impl Figures {
    /// How far sending has got, in per cent.
    pub fn done_percent(&self) -> i64 {
        if self.recipients == 0 {
            100
        } else {
            (self.recipients - self.queued) * 100 / self.recipients
        }
    }
}

/// How many of a draft's recipients its page names (to preview the email as one of them).
pub const RECIPIENTS_NAMED: usize = 200;

/// An email in the principal's scope, and who it reaches: for a draft, decided now;
/// afterwards, its figures. With `naming`, the draft's page will name the people it leaves
/// out and the first `RECIPIENTS_NAMED` recipients, so they are audited.
pub async fn show(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
    naming: bool,
) -> Result<Shown> {
    let email = find(tx, who, id).await?;
    let purpose = purpose_of(&email.purpose)?;
    let settings = emails::settings(tx, email.local_party_id)
        .await?
        .unwrap_or_default();
    let (reach, figures) = if email.state == "draft" {
        let (_, _, people) = audience(tx, who, rules, today, &email.audience).await?;
        let reach = decide(tx, rules, today, purpose, people).await?;
        if naming {
            let named: Vec<Listed> = reach
                .skipped
                .iter()
                .map(|(p, _)| p.clone())
                .chain(reach.recipients.iter().take(RECIPIENTS_NAMED).cloned())
                .collect();
            audit::listed(
                tx,
                who,
                "member.list",
                &format!("the audience of the email '{}'", email.subject),
                &named,
            )
            .await?;
        }
        let figures = Figures {
            recipients: reach.recipients.len() as i64,
            queued: reach.recipients.len() as i64,
            skipped: reach
                .skipped_by_reason()
                .into_iter()
                .map(|(s, n)| (s, n as i64))
                .collect(),
            ..Figures::default()
        };
        (Some(reach), figures)
    } else {
        (None, figures(tx, email.id).await?)
    };
    Ok(Shown {
        email,
        purpose,
        settings,
        reach,
        figures,
    })
}

/// The figures of an email that has been queued.
pub async fn figures(tx: &mut Tx<impl Mode>, email_id: i64) -> Result<Figures> {
    let mut f = Figures::default();
    let mut skipped: HashMap<Skip, i64> = HashMap::new();
    for row in emails::figures(tx, email_id).await? {
        match row.state.as_str() {
            "skipped" => {
                if let Some(s) = row.reason.as_deref().and_then(Skip::parse) {
                    *skipped.entry(s).or_default() += row.n;
                }
                continue;
            }
            "queued" | "claimed" | "sending" => f.queued += row.n,
            "sent" => f.sent += row.n,
            "failed"
                if row
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with(BOUNCED)) =>
            {
                f.bounced += row.n
            }
            "failed" => f.failed += row.n,
            "unknown" => f.unknown += row.n,
            "cancelled" => f.cancelled += row.n,
            _ => {}
        }
        f.recipients += row.n;
    }
    f.skipped = Skip::ALL
        .into_iter()
        .filter_map(|s| skipped.get(&s).map(|n| (s, *n)))
        .collect();
    f.unsubscribed = emails::unsubscribed_through(tx, email_id).await?;
    Ok(f)
}

/// An email in one of the principal's local parties; callers see none.
pub async fn find(tx: &mut Tx<impl Mode>, who: &Principal, id: &str) -> Result<Email> {
    if !who.scope.is_officer() {
        return Err(AppError::NotFound);
    }
    emails::get(tx, id, &who.scope.local_parties)
        .await?
        .ok_or(AppError::NotFound)
}

/// The principal's local parties' emails, newest first; callers have none to see.
pub async fn list(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Vec<Email>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    Ok(emails::list(tx, &who.scope.local_parties, 200).await?)
}

/// Whether the principal may send email at all: officers who may change someone's
/// record; a caller, or an officer who only reads, may not.
pub fn may_send(who: &Principal) -> Result<()> {
    if who.scope.write.is_empty() || !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// One recipient's merge fields. Links are made by `links`.
fn merge_of(p: &Listed, local_party: &str) -> Merge {
    Merge::of(
        [&p.first_name, &p.last_name, &p.membership_number],
        p.branch_name.as_deref(),
        p.paid_until,
        local_party,
    )
}

/// A recipient's unsubscribe and preferences links, signed so that only Rosette makes them.
pub fn links(key: &str, public_url: &str, recipient: &str) -> (String, String) {
    let token = crate::secrets::sign(key, recipient);
    let base = public_url.trim_end_matches('/');
    (
        format!("{base}/email/u/{token}"),
        format!("{base}/email/u/{token}/preferences"),
    )
}

/// The email as one person in its audience (or, with no one, a sample) would get it.
/// Showing a real person's copy is a read of their record, and audited.
pub async fn preview(
    tx: &mut Tx,
    who: &Principal,
    shown: &Shown,
    person: Option<&str>,
) -> Result<(Rendered, Option<Listed>)> {
    let e = &shown.email;
    let chosen = shown.reach.as_ref().and_then(|r| {
        r.recipients
            .iter()
            .find(|p| person.is_none_or(|id| p.public_id == id))
            .cloned()
    });
    let merge = match &chosen {
        Some(p) => merge_of(p, &shown.settings.name),
        None => Merge {
            local_party: shown.settings.name.clone(),
            ..Merge::sample()
        },
    };
    let rendered = as_previewed(e, shown.purpose, &shown.settings, merge)?;
    if let Some(p) = &chosen {
        audit::about(
            tx,
            who,
            p,
            "email.preview",
            &format!("previewed '{}'", e.subject),
        )
        .await?;
    }
    Ok((rendered, chosen))
}

/// An email as `merge`'s person would get it, its links shown as placeholders (each
/// recipient's are made as their message goes).
fn as_previewed(
    e: &Email,
    purpose: Purpose,
    settings: &Settings,
    mut merge: Merge,
) -> Result<Rendered> {
    merge.unsubscribe_url = "(a link made for each recipient)".into();
    merge.preferences_url = "(a link made for each recipient)".into();
    rules_of::render(
        &e.subject,
        &e.body,
        &merge,
        &Frame {
            purpose,
            imprint: settings.email_imprint.as_deref(),
            local_party: &settings.name,
        },
    )
    .map_err(|m| AppError::field("body", m))
}

/// Sends the author a copy, text and HTML, as the sample recipient would get it, through
/// the officers' outbox. Nobody's record is read: the sample stands in for them.
pub async fn send_test(tx: &mut Tx, who: &Principal, id: &str) -> Result<()> {
    let email = find(tx, who, id).await?;
    let settings = emails::settings(tx, email.local_party_id)
        .await?
        .unwrap_or_default();
    let sample = Merge {
        local_party: settings.name.clone(),
        ..Merge::sample()
    };
    let rendered = as_previewed(&email, purpose_of(&email.purpose)?, &settings, sample)?;
    outbox::enqueue_with(
        tx,
        &who.user.email,
        &format!("[Test] {}", rendered.subject),
        &rendered.text,
        outbox::Extras {
            html: Some(&rendered.html),
            calendar: None,
        },
    )
    .await?;
    Ok(())
}

/// Queues an email for its audience as decided now, to go at `at` (now if `None` or
/// past). Refuses a campaign while the local party has no imprint. Returns its figures.
pub async fn send(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    id: &str,
    at: Option<DateTime<Utc>>,
) -> Result<Figures> {
    let email = find(tx, who, id).await?;
    if email.state != "draft" {
        return Err(AppError::field(
            "state",
            format!("this email is {} already", state_words(&email.state)),
        ));
    }
    let purpose = purpose_of(&email.purpose)?;
    let settings = emails::settings(tx, email.local_party_id)
        .await?
        .unwrap_or_default();
    rules_of::ready(purpose, settings.email_imprint.as_deref())
        .map_err(|m| AppError::field("imprint", m))?;
    let (_, _, people) = audience(tx, who, rules, today, &email.audience).await?;
    let reach = decide(tx, rules, today, purpose, people).await?;
    let now = Utc::now();
    let later = at.filter(|t| *t > now);
    let mut rows: Vec<NewRecipient> = reach
        .recipients
        .iter()
        .map(|p| NewRecipient {
            person_id: p.person_id,
            address: p.email.as_deref(),
            skipped: None,
        })
        .collect();
    rows.extend(reach.skipped.iter().map(|(p, why)| NewRecipient {
        person_id: p.person_id,
        address: p.email.as_deref(),
        skipped: Some(why.as_str()),
    }));
    emails::add_recipients(tx, email.id, later.unwrap_or(now), &rows).await?;
    let to = if later.is_some() {
        "scheduled"
    } else {
        "sending"
    };
    if !emails::set_state(tx, email.id, &["draft"], to, Some(later.unwrap_or(now))).await? {
        return Err(AppError::field("state", "this email was sent already"));
    }
    let named: Vec<(i64, i64)> = reach
        .recipients
        .iter()
        .map(|p| (p.local_party_id, p.person_id))
        .collect();
    audit::people(
        tx,
        who,
        "email.send",
        &format!("'{}' to {}", email.subject, email.audience_label),
        &named,
    )
    .await?;
    figures(tx, email.id).await
}

/// Stops an email that is scheduled or still sending: whoever has not had it yet will not.
pub async fn cancel(tx: &mut Tx, who: &Principal, id: &str) -> Result<()> {
    let email = find(tx, who, id).await?;
    if !emails::set_state(
        tx,
        email.id,
        &["draft", "scheduled", "sending"],
        "cancelled",
        None,
    )
    .await?
    {
        return Err(AppError::field(
            "state",
            format!(
                "this email is {} and cannot be cancelled",
                state_words(&email.state)
            ),
        ));
    }
    let stopped = emails::cancel_recipients(tx, email.id).await?;
    audit::note(
        tx,
        who,
        Some(email.local_party_id),
        "email.cancel",
        &email.public_id,
        &format!("cancelled '{}'; {stopped} not sent", email.subject),
        &[],
    )
    .await
}

/// Takes a person's address off the suppression list after an officer has fixed it (or
/// checked it), so mail goes to it again. Audited.
pub async fn lift_bounce(tx: &mut Tx, who: &Principal, person: &str) -> Result<()> {
    let p = super::members::find_writable(tx, who, person).await?;
    let address = p.email.clone().ok_or(AppError::NotFound)?;
    if outbox::lift(tx, &address).await? {
        audit::about(
            tx,
            who,
            &p,
            "email.lift",
            "let mail go to their address again",
        )
        .await?;
    }
    Ok(())
}

/// People in the principal's write scope whose address bounced, with why and when.
pub async fn bounced(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
) -> Result<Unaudited<Vec<(Listed, String, DateTime<Utc>)>>> {
    if !who.scope.is_officer() {
        return Err(AppError::Forbidden);
    }
    let q = ListQuery {
        grants: &who.scope.write,
        user_id: who.user.id,
        filter: &MemberFilter::default(),
        bounds: rules.status.bounds(today),
    };
    let bounced = roster::bounced(tx, &q).await?;
    let addresses: Vec<&str> = bounced.iter().filter_map(|p| p.email.as_deref()).collect();
    let why: HashMap<String, (String, DateTime<Utc>)> = outbox::suppressions(tx, &addresses)
        .await?
        .into_iter()
        .map(|(a, r, at)| (a, (r, at)))
        .collect();
    let rows: Vec<(Listed, String, DateTime<Utc>)> = bounced
        .into_iter()
        .filter_map(|p| {
            let (r, at) = why.get(p.email.as_deref()?)?.clone();
            Some((p, r, at))
        })
        .collect();
    let audit = Unaudited::shown(
        who,
        "member.list",
        "people whose email address bounced",
        rows.iter().map(|(p, _, _)| p),
    );
    Ok(audit.holding(rows))
}

/// An email's state in words.
pub fn state_words(state: &str) -> &'static str {
    match state {
        "draft" => "a draft",
        "scheduled" => "scheduled",
        "sending" => "sending",
        "sent" => "sent",
        "cancelled" => "cancelled",
        _ => "in an unknown state",
    }
}

/// The sending settings of the local party whose roles the principal assigns.
pub async fn settings(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<Settings> {
    let lp = *who.scope.assigns_roles.first().ok_or(AppError::Forbidden)?;
    Ok(emails::settings(tx, lp).await?.unwrap_or_default())
}

/// The local party's sending settings, as the Secretary sets them.
pub async fn save_settings(
    tx: &mut Tx,
    who: &Principal,
    imprint: &str,
    sender_name: &str,
    reply_to: &str,
    per_minute: &str,
) -> Result<()> {
    let lp = *who.scope.assigns_roles.first().ok_or(AppError::Forbidden)?;
    let mut problems = Vec::new();
    if let Err(e) = rules_of::check_imprint(imprint) {
        problems.push(field_problem("imprint", e));
    }
    if let Err(e) = check_text(sender_name, false) {
        problems.push(field_problem("sender_name", e));
    }
    let reply_to = match reply_to.trim() {
        "" => None,
        t => normalise_email(t)
            .map_err(|e| problems.push(field_problem("reply_to", e)))
            .ok(),
    };
    let per_minute = match per_minute.trim() {
        "" => None,
        t => match t.parse::<i32>() {
            Ok(n) if (1..=100_000).contains(&n) => Some(n),
            _ => {
                problems.push(field_problem(
                    "per_minute",
                    "should be a whole number of messages a minute, from 1 to 100000".into(),
                ));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let current = emails::settings(tx, lp).await?.unwrap_or_default();
    let blank = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    emails::set_settings(
        tx,
        lp,
        &Settings {
            name: current.name,
            email_imprint: blank(imprint),
            email_sender_name: blank(sender_name),
            email_reply_to: reply_to,
            email_per_minute: per_minute,
        },
    )
    .await?;
    audit::note(
        tx,
        who,
        Some(lp),
        "settings.email",
        "email settings",
        "changed the imprint, sender or sending rate",
        &[],
    )
    .await
}

/// Messages a minute when a local party sets none: well inside common providers' limits.
pub const DEFAULT_PER_MINUTE: i64 = 600;
/// How many messages one round hands to SMTP at once (over as many pooled connections).
const IN_FLIGHT: usize = 8;
/// The most one round claims, so a round ends well inside its job's lease.
const ROUND_MAX: u64 = 2_000;
/// A recipient claimed longer ago than this by a round that never finished is `unknown`.
const STALE_MINUTES: i64 = 3;
/// Temporary failures are tried this many times in all.
const MAX_ATTEMPTS: i32 = 6;

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub skipped: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// One round of delivery for every local party with an email sending, as at `now`:
/// claims each party's due recipients (up to its per-minute rate) in one committed update,
/// checks consent, suppression and addresses again as they are now, and sends them
/// `IN_FLIGHT` at a time. Each group is marked as being handed over (committed) just
/// before it goes and its outcomes are written as soon as it is done, so a crash leaves at
/// most one group `sending`, which a later round marks `unknown`, never resent; what the
/// round had claimed but not begun goes back in the queue.
pub async fn deliver(
    db: &Db,
    mailer: &Mailer,
    rules: &Rules,
    public_url: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Round> {
    let claim = uuid::Uuid::now_v7().to_string();
    let mut tx = db.begin().await?;
    emails::mark_interrupted(&mut tx, now, Duration::minutes(STALE_MINUTES)).await?;
    emails::start_due(&mut tx, now).await?;
    // An email whose audience was all skipped, or whose last group went in an earlier
    // round, is sent now.
    emails::finish_sent(&mut tx).await?;
    let mut claims = 0;
    for (lp, per_minute) in emails::sending_parties(&mut tx).await? {
        let rate = per_minute.map_or(DEFAULT_PER_MINUTE, i64::from);
        let used = emails::sent_since(&mut tx, lp, now - Duration::minutes(1)).await?;
        let room = u64::try_from(rate - used).unwrap_or(0).min(ROUND_MAX);
        if room > 0 {
            claims += emails::claim(&mut tx, lp, &claim, now, room).await?;
        }
    }
    if claims == 0 {
        // Nothing to send: the round ends without reading anything more.
        tx.commit().await?;
        return Ok(Round::default());
    }
    let key = emails::server_key(&mut tx, UNSUBSCRIBE_KEY).await?;
    let event_key = emails::server_key(&mut tx, super::signups::LINK_KEY).await?;
    let survey_key = emails::server_key(&mut tx, super::surveys::LINK_KEY).await?;
    tx.commit().await?;

    let mut tx = db.begin_read().await?;
    let claimed = emails::claimed(&mut tx, &claim).await?;
    let facts: Vec<(i64, Option<Kind>, Status)> = claimed
        .iter()
        .map(|c| {
            (
                c.membership_id,
                Kind::parse(&c.kind),
                rules.status.status_recorded(
                    c.joined_on,
                    c.paid_until,
                    (c.left_reason.as_deref(), c.left_on),
                    c.suspended,
                    today,
                ),
            )
        })
        .collect();
    let entitled = entitled(&mut tx, rules, today, &facts).await?;
    let mut email_ids: Vec<i64> = claimed.iter().map(|c| c.email_id).collect();
    email_ids.sort_unstable();
    email_ids.dedup();
    // One copy per inbox, even when two people came to share an address after queueing.
    let mut used: HashSet<(i64, String)> = emails::addresses_used(&mut tx, &email_ids, &claim)
        .await?
        .into_iter()
        .map(|(e, a)| (e, a.trim().to_lowercase()))
        .collect();
    tx.commit().await?;

    let mut round = Round::default();
    for group in claimed.chunks(IN_FLIGHT) {
        let mut outcomes: Vec<(i64, Option<String>, Delivery)> = Vec::new();
        let mut ready = Vec::new();
        for c in group {
            let inbox = (
                c.email_id,
                c.address
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_lowercase(),
            );
            let verdict = message(c, &entitled, [&key, &event_key, &survey_key], public_url)
                .and_then(|m| {
                    if used.insert(inbox) {
                        Ok(m)
                    } else {
                        Err(Delivery::Skipped(Skip::SameAddress.as_str()))
                    }
                });
            match verdict {
                Err(d) => outcomes.push((c.id, c.address.clone(), d)),
                Ok(m) => ready.push((c, m)),
            }
        }
        let ids: Vec<i64> = ready.iter().map(|(c, _)| c.id).collect();
        let mut tx = db.begin().await?;
        let held = emails::handing_over(&mut tx, &claim, &ids, Utc::now()).await?;
        tx.commit().await?;
        // Rows another round has taken over since this one claimed them are theirs now.
        ready.retain(|(c, _)| held.contains(&c.id));
        let sends = ready.iter().map(|(c, (rendered, unsubscribe))| {
            mailer.send_to_member(Outgoing {
                id: &c.public_id,
                to: c.address.as_deref().unwrap_or_default(),
                sender_name: &c.sender_name,
                reply_to: c.reply_to.as_deref(),
                rendered,
                unsubscribe: unsubscribe.as_deref(),
            })
        });
        let results = futures_util::future::join_all(sends).await;
        let mut hard_bounces = Vec::new();
        for ((c, _), result) in ready.iter().zip(results) {
            let d = match result {
                Ok(()) => Delivery::Sent,
                Err(Failure::Permanent(e)) => {
                    if let Some(a) = &c.address {
                        hard_bounces.push((a.clone(), e.clone()));
                    }
                    Delivery::Failed(format!("{BOUNCED}{e}"))
                }
                Err(Failure::Transient(e)) if c.attempts >= MAX_ATTEMPTS => Delivery::Failed(e),
                Err(Failure::Transient(e)) => {
                    Delivery::Retry(Utc::now() + crate::mail::backoff(c.attempts), e)
                }
            };
            outcomes.push((c.id, c.address.clone(), d));
        }
        let mut tx = db.begin().await?;
        for (id, address, d) in &outcomes {
            match d {
                Delivery::Sent => round.sent += 1,
                Delivery::Skipped(_) => round.skipped += 1,
                Delivery::Retry(..) => round.retrying += 1,
                Delivery::Failed(_) => round.failed += 1,
            }
            emails::finish(&mut tx, &claim, *id, address.as_deref(), d).await?;
        }
        for (address, error) in &hard_bounces {
            outbox::suppress(&mut tx, address, error).await?;
        }
        tx.commit().await?;
    }
    let mut tx = db.begin().await?;
    emails::finish_sent(&mut tx).await?;
    tx.commit().await?;
    Ok(round)
}

/// How a failure's reason begins when the recipient's server refused the message.
pub const BOUNCED: &str = "bounced: ";

/// The name of the key that signs unsubscribe links.
pub const UNSUBSCRIBE_KEY: &str = "unsubscribe";

/// One claimed recipient's message, or why it does not go after all.
fn message(
    c: &Claimed,
    entitled: &HashSet<i64>,
    [key, event_key, survey_key]: [&str; 3],
    public_url: &str,
) -> std::result::Result<(Rendered, Option<String>), Delivery> {
    let purpose = Purpose::parse(&c.purpose)
        .ok_or_else(|| Delivery::Failed(format!("unknown purpose '{}'", c.purpose)))?;
    rules_of::decide(
        purpose,
        &Facts {
            address: c.address.as_deref(),
            email_consent: c.email_consent,
            unsubscribed: c.unsubscribed,
            suppressed: c.suppressed.is_some(),
            entitled: entitled.contains(&c.membership_id),
        },
    )
    .map_err(|why| Delivery::Skipped(why.as_str()))?;
    if purpose == Purpose::Campaign {
        rules_of::ready(purpose, c.imprint.as_deref()).map_err(Delivery::Failed)?;
    }
    let (unsubscribe_url, preferences_url) = links(key, public_url, &c.public_id);
    let event_url = c
        .event_public_id
        .as_deref()
        .map(|event| super::signups::invitation_url(event_key, public_url, event, &c.public_id))
        .unwrap_or_default();
    let survey_url = c
        .survey_public_id
        .as_deref()
        .map(|survey| super::surveys::personal_url(survey_key, public_url, survey, &c.public_id))
        .unwrap_or_default();
    let merge = Merge {
        unsubscribe_url: unsubscribe_url.clone(),
        preferences_url,
        event_url,
        survey_url,
        ..Merge::of(
            [&c.first_name, &c.last_name, &c.membership_number],
            c.branch.as_deref(),
            c.paid_until,
            &c.local_party,
        )
    };
    let rendered = rules_of::render(
        &c.subject,
        &c.body,
        &merge,
        &Frame {
            purpose,
            imprint: c.imprint.as_deref(),
            local_party: &c.local_party,
        },
    )
    .map_err(Delivery::Failed)?;
    Ok((
        rendered,
        (purpose == Purpose::Campaign).then_some(unsubscribe_url),
    ))
}

/// What an unsubscribe link opens: the person's first name, the email it came in, and
/// their consents now.
pub type Link = emails::Link;

/// The recipient a link's token names, if Rosette signed it.
pub async fn link(tx: &mut Tx, token: &str) -> Result<(String, Link)> {
    let key = emails::server_key(tx, UNSUBSCRIBE_KEY).await?;
    let recipient = crate::secrets::signed(&key, token).ok_or(AppError::NotFound)?;
    let link = emails::link(tx, recipient)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((recipient.to_string(), link))
}

/// Withdraws email consent through a link's token (no session: the signature is the
/// proof), recording the source and time, and auditing it. Saying no twice changes
/// nothing more.
pub async fn unsubscribe(tx: &mut Tx, token: &str) -> Result<Link> {
    let (recipient, link) = link(tx, token).await?;
    set_consents(
        tx,
        &recipient,
        &link,
        &[(crate::domain::Channel::Email, false)],
    )
    .await?;
    Ok(link)
}

/// Records a person's own choices of channel, made through a link in an email.
pub async fn set_consents(
    tx: &mut Tx,
    recipient: &str,
    link: &Link,
    choices: &[(crate::domain::Channel, bool)],
) -> Result<()> {
    let source = format!(
        "their own choice, through the link in the email '{}'",
        link.subject
    );
    let changed = emails::set_consents(
        tx,
        link.person_id,
        Some(recipient),
        choices,
        &source,
        Utc::now(),
    )
    .await?;
    if changed.is_empty() {
        return Ok(());
    }
    let words: Vec<String> = changed
        .iter()
        .map(|(c, v)| format!("{} {}", c.as_str(), if *v { "yes" } else { "no" }))
        .collect();
    crate::store::audit::record(
        tx,
        crate::store::audit::Note {
            actor: &format!("{} (email link)", link.first_name),
            local_party_id: Some(link.local_party_id),
            action: "consent.change",
            subject: &link.person_public_id,
            detail: &format!("{}; {source}", words.join(", ")),
            people: &[link.person_id],
        },
    )
    .await?;
    Ok(())
}
