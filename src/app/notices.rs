//! Notices cascaded from the local party's officers to every branch's officers (branch
//! secretaries and branch membership secretaries), emailed to each, and who has read
//! them: a notice is read when its recipient opens it in Rosette.

use chrono::{DateTime, Utc};

use super::{AppError, Principal, Result};
use crate::domain::Role;
use crate::domain::access::Reach;
use crate::domain::fields::check_text;
use crate::domain::filter::FieldProblem;
use crate::store::notices::{self, Notice, Reader};
use crate::store::{Mode, Tx, accounts, outbox};

/// Whether `who` sends notices for local party `lp`: officers who look after everyone.
fn sends_for(who: &Principal, lp: i64) -> bool {
    who.scope
        .write
        .iter()
        .any(|g| g.local_party_id == lp && g.reach == Reach::Everyone)
}

/// Sends a notice to every branch officer of `who`'s local party; returns its id.
pub async fn send(
    tx: &mut Tx,
    who: &Principal,
    subject: &str,
    body: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let lp = who.home_party().ok_or(AppError::Forbidden)?;
    if !sends_for(who, lp) {
        return Err(AppError::Forbidden);
    }
    let mut problems = Vec::new();
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    for (field, text, lines, most) in [
        ("subject", subject.as_str(), false, 200),
        ("body", body.trim(), true, 20_000),
    ] {
        if let Err(e) = check_text(text, lines) {
            problems.push(FieldProblem {
                field: field.into(),
                message: e,
            });
        } else if text.is_empty() || text.chars().count() > most {
            problems.push(FieldProblem {
                field: field.into(),
                message: format!("write it, in at most {most} characters"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let branch_roles = [
        Role::BranchSecretary.name(),
        Role::BranchMembershipSecretary.name(),
    ];
    let mut to: Vec<(i64, String)> = Vec::new();
    for r in accounts::roles_in(tx, &[lp]).await? {
        if !branch_roles.contains(&r.role.as_str()) {
            continue;
        }
        if let Some(u) = accounts::user_by_public_id(tx, &r.user_public_id).await?
            && u.disabled_at.is_none()
            && !to.iter().any(|(id, _)| *id == u.id)
        {
            to.push((u.id, u.email));
        }
    }
    if to.is_empty() {
        return Err(AppError::field(
            "subject",
            "nobody holds a branch officer's role yet: give the roles first",
        ));
    }
    let ids: Vec<i64> = to.iter().map(|(id, _)| *id).collect();
    let id = notices::create(tx, lp, &subject, body.trim(), who.actor(), &ids, now).await?;
    let link = format!("{}/notices/{id}", public_url.trim_end_matches('/'));
    for (_, email) in &to {
        let text = format!(
            "{}\n\n{}\n\nPlease open it in Rosette so the officers know you have read it:\n{link}\n",
            subject,
            body.trim()
        );
        outbox::enqueue(tx, email, &format!("Notice: {subject}"), &text).await?;
    }
    super::audit::note(
        tx,
        who,
        Some(lp),
        "notice.send",
        &subject,
        &format!("to {} branch officers", to.len()),
        &[],
    )
    .await?;
    Ok(id)
}

/// A notice and, for those who send them, who has read it.
pub struct Opened {
    pub notice: Notice,
    pub readers: Option<Vec<Reader>>,
}

/// Opens a notice: a recipient's opening marks it read; an officer who sends notices
/// sees who has read it.
pub async fn open(tx: &mut Tx, who: &Principal, id: &str, now: DateTime<Utc>) -> Result<Opened> {
    let notice = notices::get(tx, &who.scope.local_parties, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let readers = notices::readers(tx, notice.id).await?;
    let mine = readers.iter().any(|r| r.user_id == who.user.id);
    let sender = sends_for(who, notice.local_party_id);
    if !mine && !sender {
        return Err(AppError::NotFound);
    }
    if mine {
        notices::mark_read(tx, notice.id, who.user.id, now).await?;
    }
    Ok(Opened {
        readers: if sender {
            Some(notices::readers(tx, notice.id).await?)
        } else {
            None
        },
        notice,
    })
}

/// The notices `who` sent (or may read the reading of), and those sent to them.
pub async fn list(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
) -> Result<(Vec<Notice>, Vec<(Notice, Option<DateTime<Utc>>)>, bool)> {
    let lp = who.home_party();
    let sender = lp.is_some_and(|lp| sends_for(who, lp));
    let sent = if sender {
        notices::of_parties(tx, &who.scope.local_parties).await?
    } else {
        Vec::new()
    };
    let mine = notices::to_user(tx, who.user.id).await?;
    Ok((sent, mine, sender))
}

/// How many notices sent to `who` they have not opened.
pub async fn unread(tx: &mut Tx<impl Mode>, who: &Principal) -> Result<usize> {
    Ok(notices::to_user(tx, who.user.id)
        .await?
        .iter()
        .filter(|(_, read)| read.is_none())
        .count())
}
