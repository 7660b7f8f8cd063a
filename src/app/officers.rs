//! Officers' accounts as the CLI, the demo and the Secretary's page make them: a user,
//! a role for a unit, and either a password or an emailed one-time link to choose one.

use chrono::{Duration, Utc};

use super::audit::note;
use super::{AppError, Principal};
use crate::domain::password::{self, PasswordProblem};
use crate::domain::{Role, UnitKind};
use crate::secrets;
use crate::store::accounts::{self, LinkPurpose, User};
use crate::store::{Db, Mode, StoreError, Tx, audit, outbox, units};

#[derive(Debug, thiserror::Error)]
pub enum OfficerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] secrets::SecretError),
    #[error("the password is not good enough: {0}")]
    Password(#[from] PasswordProblem),
    #[error("{0}")]
    Invalid(String),
}

/// What adding an officer did.
pub struct Added {
    pub user: User,
    /// The invitation link, when the user has no password yet.
    pub invitation: Option<String>,
}

/// Gives `email` the `role` for the unit `unit_slug`, creating the user if needed, setting
/// `password` if given, or else queueing an invitation, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn add_officer(
    tx: &mut Tx,
    email: &str,
    name: &str,
    role: Role,
    unit_slug: &str,
    password: Option<&str>,
    public_url: &str,
    actor: &str,
) -> Result<Added, OfficerError> {
    let email = crate::domain::fields::normalise_email(email)
        .map_err(|e| OfficerError::Invalid(format!("--email: {e}")))?
        .to_lowercase();
    if name.trim().is_empty() {
        return Err(OfficerError::Invalid(
            "--name: give the person's name".into(),
        ));
    }
    crate::domain::fields::check_text(name, false)
        .map_err(|e| OfficerError::Invalid(format!("--name: {e}")))?;
    let unit = units::get(tx, unit_slug).await?;
    let kind = UnitKind::parse(&unit.kind)
        .ok_or_else(|| OfficerError::Invalid(format!("unit {unit_slug} has an unknown kind")))?;
    if !role.fits(kind) {
        return Err(OfficerError::Invalid(format!(
            "a {} is held for {}, and {unit_slug} is a {}",
            role.name(),
            if role.for_branch() {
                "a branch"
            } else {
                "a local party"
            },
            kind.as_str()
        )));
    }
    let local_party_id = match kind {
        UnitKind::Branch => units::parent_id(tx, unit.id).await?,
        _ => Some(unit.id),
    };
    let mut user = accounts::ensure_user(tx, &email, name).await?;
    accounts::assign(tx, user.id, role, unit.id, actor).await?;
    if let Some(p) = password {
        password::check(p, &user.email, &user.name)?;
        let hash = secrets::hash_password(p)?;
        accounts::set_password(tx, user.id, &hash).await?;
        user.password_hash = Some(hash);
    }
    audit::record(
        tx,
        audit::Note {
            actor,
            local_party_id,
            action: "role.assign",
            subject: &user.public_id,
            detail: &format!("{} as {} for {}", user.email, role.label(), unit.name),
            people: &[],
        },
    )
    .await?;
    let invitation = if user.password_hash.is_none() {
        let unit_name = &unit.name;
        let why = format!("made {} for {unit_name}", role.label());
        Some(send_link(tx, public_url, &user, LinkPurpose::Invitation, &why).await?)
    } else {
        None
    };
    Ok(Added { user, invitation })
}

/// Makes a new API token for a user and prints nothing: the caller shows it once.
pub async fn create_token(db: &Db, email: &str) -> Result<String, OfficerError> {
    let mut tx = db.begin().await?;
    let user = accounts::user_by_email(&mut tx, email)
        .await?
        .ok_or_else(|| {
            OfficerError::Invalid(format!(
                "no user with email {email} (see `rosette user add`)"
            ))
        })?;
    let token = secrets::new_token();
    accounts::add_token(&mut tx, user.id, &secrets::digest(&token)).await?;
    tx.commit().await?;
    Ok(token)
}

/// Makes a one-time link for `user` and queues the email that carries it, in `tx`.
/// Returns the link (the CLI prints it for a Secretary without mail set up).
pub async fn send_link(
    tx: &mut Tx,
    public_url: &str,
    user: &User,
    purpose: LinkPurpose,
    why: &str,
) -> Result<String, OfficerError> {
    let token = secrets::new_token();
    let (path, valid, subject, intro) = match purpose {
        LinkPurpose::Invitation => (
            "welcome",
            Duration::days(7),
            "You are invited to Rosette",
            format!(
                "You have been {why} in Rosette, your local party's membership system. Choose a password to start:"
            ),
        ),
        LinkPurpose::PasswordReset => (
            "reset",
            Duration::hours(1),
            "Reset your Rosette password",
            "Someone (we hope you) asked to reset your Rosette password. Choose a new one here:"
                .to_string(),
        ),
    };
    accounts::add_link(
        tx,
        &secrets::digest(&token),
        user.id,
        purpose,
        Utc::now() + valid,
    )
    .await?;
    let link = format!("{}/{path}/{token}", public_url.trim_end_matches('/'));
    let hours = valid.num_hours();
    let lasts = if hours >= 48 {
        format!("{} days", hours / 24)
    } else {
        format!("{hours} hour{}", if hours == 1 { "" } else { "s" })
    };
    let body = format!(
        "Hello {},\n\n{intro}\n\n{link}\n\nThe link works once, for {lasts}. If you did not expect this email, you can ignore it.\n",
        user.name
    );
    if !outbox::is_suppressed(tx, &user.email).await? {
        outbox::enqueue(tx, &user.email, subject, &body).await?;
    }
    Ok(link)
}

/// A unit a Secretary can give roles for.
pub struct RoleUnit {
    pub slug: String,
    /// "Riverside CLP — Docks" for a branch.
    pub label: String,
}

/// The units `who` gives roles for: the local parties they are Secretary of, each followed
/// by its branches.
pub async fn role_units(
    tx: &mut Tx<impl Mode>,
    who: &Principal,
) -> Result<Vec<RoleUnit>, AppError> {
    let mut out = Vec::new();
    for u in units::named(tx, &who.scope.assigns_roles).await? {
        if UnitKind::parse(&u.kind) != Some(UnitKind::LocalParty) {
            continue;
        }
        let branches = units::branches(tx, u.id).await?;
        out.push(RoleUnit {
            slug: u.slug,
            label: u.name.clone(),
        });
        out.extend(branches.into_iter().map(|b| RoleUnit {
            slug: b.slug,
            label: format!("{} — {}", u.name, b.name),
        }));
    }
    Ok(out)
}

/// The Secretary invites someone to a role in one of their units.
pub async fn invite(
    tx: &mut Tx,
    who: &Principal,
    invitee: &Invitee,
    public_url: &str,
) -> Result<(Added, Role), AppError> {
    if who.scope.assigns_roles.is_empty() {
        return Err(AppError::Forbidden);
    }
    let role = Role::parse(&invitee.role)
        .ok_or_else(|| AppError::field("role", "Role: choose one of the roles"))?;
    if !role_units(tx, who)
        .await?
        .iter()
        .any(|u| u.slug == invitee.unit)
    {
        return Err(AppError::field(
            "unit",
            "For: choose your local party or one of its branches",
        ));
    }
    let added = add_officer(
        tx,
        &invitee.email,
        &invitee.name,
        role,
        &invitee.unit,
        None,
        public_url,
        who.actor(),
    )
    .await
    .map_err(|e| match e {
        OfficerError::Store(e) => AppError::Store(e),
        // The command line's messages name its flags; the form's fields have the same names.
        other => AppError::field("invite", other.to_string().replace("--", "")),
    })?;
    Ok((added, role))
}

/// Who the Secretary's form invites.
#[derive(Debug, Clone, Default)]
pub struct Invitee {
    pub email: String,
    pub name: String,
    pub role: String,
    pub unit: String,
}

/// The Secretary's switch, for each of their local parties: officers who see every member
/// must use two-step sign-in.
pub async fn require_second_factor(tx: &mut Tx, who: &Principal, on: bool) -> Result<(), AppError> {
    if who.scope.assigns_roles.is_empty() {
        return Err(AppError::Forbidden);
    }
    for lp in &who.scope.assigns_roles {
        units::set_requires_second_factor(tx, *lp, on).await?;
        let detail = if on {
            "required of officers who see every member"
        } else {
            "optional"
        };
        note(
            tx,
            who,
            Some(*lp),
            "settings.second_factor",
            "two-step sign-in",
            detail,
            &[],
        )
        .await?;
    }
    Ok(())
}

/// How many days each Membership Action Report covers in the Secretary's local parties.
pub async fn set_report_period(tx: &mut Tx, who: &Principal, days: &str) -> Result<(), AppError> {
    if who.scope.assigns_roles.is_empty() {
        return Err(AppError::Forbidden);
    }
    let days = match days.trim().parse::<u32>() {
        Ok(d) if (1..=92).contains(&d) => d,
        _ => {
            return Err(AppError::field(
                "days",
                "Report period: give a number of days from 1 to 92.",
            ));
        }
    };
    for lp in &who.scope.assigns_roles {
        units::set_report_period_days(tx, *lp, Some(days)).await?;
        let detail = format!("{days} days");
        note(
            tx,
            who,
            Some(*lp),
            "settings.report_period",
            "action report period",
            &detail,
            &[],
        )
        .await?;
    }
    Ok(())
}

/// Takes a role away. A Secretary cannot remove their own Secretary role, so a party is
/// never left without one by accident.
pub async fn remove_role(tx: &mut Tx, who: &Principal, id: &str) -> Result<(), AppError> {
    if who.scope.assigns_roles.is_empty() {
        return Err(AppError::Forbidden);
    }
    let rows = accounts::roles_in(tx, &who.scope.assigns_roles).await?;
    let row = rows
        .iter()
        .find(|r| r.public_id == id)
        .ok_or(AppError::NotFound)?;
    if row.email == who.user.email && row.role == Role::Secretary.name() {
        return Err(AppError::field(
            "role",
            "You cannot remove your own Secretary role; ask another Secretary to.",
        ));
    }
    accounts::unassign(tx, id, &who.scope.assigns_roles).await?;
    let detail = format!(
        "{} no longer {} for {}",
        row.email,
        row.role_label(),
        row.unit_name
    );
    note(
        tx,
        who,
        who.scope.assigns_roles.first().copied(),
        "role.remove",
        &row.user_public_id,
        &detail,
        &[],
    )
    .await
}
