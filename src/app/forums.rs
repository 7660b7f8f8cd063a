//! Forum branches (a women's branch, a youth branch): a person's stints in them, opting
//! in and out, and the rules that put people in them.

use chrono::NaiveDate;

use super::{AppError, Principal, Result};
use crate::domain::Rules;
use crate::domain::forums::{ForumRule, How};
use crate::store::forums::{self, Forum, Stint};
use crate::store::roster::Listed;
use crate::store::{Mode, Tx, units};

/// A person's stints in forum branches, the current first.
pub async fn stints(tx: &mut Tx<impl Mode>, who: &Principal, l: &Listed) -> Result<Vec<Stint>> {
    super::members::find(tx, who, &l.public_id).await?;
    Ok(forums::of_person(tx, l.person_id).await?)
}

/// The forum branches of the person's local party.
pub async fn of_party(tx: &mut Tx<impl Mode>, l: &Listed) -> Result<Vec<Forum>> {
    Ok(forums::of_party(tx, l.local_party_id).await?)
}

async fn forum(tx: &mut Tx, l: &Listed, slug: &str) -> Result<Forum> {
    forums::of_party(tx, l.local_party_id)
        .await?
        .into_iter()
        .find(|f| f.slug == slug.trim())
        .ok_or_else(|| AppError::field("forum", "choose one of the local party's forum branches"))
}

/// Puts a person `who` may change in a forum from today, as their own choice.
pub async fn opt_in(
    tx: &mut Tx,
    who: &Principal,
    today: NaiveDate,
    l: &Listed,
    slug: &str,
) -> Result<()> {
    let f = forum(tx, l, slug).await?;
    if forums::members_now(tx, f.id)
        .await?
        .iter()
        .any(|(p, _)| *p == l.person_id)
    {
        return Err(AppError::field(
            "forum",
            format!("they are in {} already", f.name),
        ));
    }
    forums::join(tx, f.id, &[l.person_id], today, How::OptedIn).await?;
    super::audit::about(tx, who, l, "forum.join", &format!("joined {}", f.name)).await
}

/// Ends a person's stint in a forum today. A forum whose rule still matches them would
/// put them back, so leaving one is refused while the rule says they belong.
pub async fn opt_out(
    tx: &mut Tx,
    who: &Principal,
    rules: &Rules,
    today: NaiveDate,
    l: &Listed,
    slug: &str,
) -> Result<()> {
    let f = forum(tx, l, slug).await?;
    let now = forums::members_now(tx, f.id).await?;
    let Some((_, how)) = now.iter().find(|(p, _)| *p == l.person_id) else {
        return Err(AppError::field(
            "forum",
            format!("they are not in {}", f.name),
        ));
    };
    if *how == How::Rule {
        return Err(AppError::field(
            "forum",
            format!(
                "they are in {} by its rule ({}); change the rule, or their record, instead",
                f.name,
                f.rule().map_or_else(String::new, |r| r.in_words())
            ),
        ));
    }
    forums::leave(tx, f.id, &[l.person_id], today).await?;
    // An opted-in person the rule also covers stays, now by the rule.
    forums::follow_rules(tx, rules, l.local_party_id, Some(&[l.person_id]), today).await?;
    super::audit::about(tx, who, l, "forum.leave", &format!("left {}", f.name)).await
}

/// Sets (or, blank, clears) a forum branch's rule and applies it at once: the operator's
/// `rosette unit add --rule`, or a Secretary of its local party.
pub async fn set_rule(
    tx: &mut Tx,
    rules: &Rules,
    today: NaiveDate,
    slug: &str,
    text: &str,
) -> Result<(usize, usize)> {
    let unit = units::find(tx, slug)
        .await?
        .ok_or_else(|| AppError::field("unit", format!("there is no unit '{slug}'")))?;
    if !unit.is_forum() {
        return Err(AppError::field(
            "unit",
            format!("'{slug}' is not a forum branch; only a forum has a rule"),
        ));
    }
    let rule = match text.trim() {
        "" => None,
        t => Some(ForumRule::parse(t).map_err(|m| AppError::field("rule", m))?),
    };
    forums::set_rule(tx, unit.id, rule.as_ref()).await?;
    let party = units::parent_id(tx, unit.id).await?.unwrap_or(unit.id);
    Ok(forums::follow_rules(tx, rules, party, None, today).await?)
}
