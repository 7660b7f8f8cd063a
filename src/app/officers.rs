//! Officers' accounts as the CLI, the demo and the Secretary's page make them: a user,
//! a role for a unit, and either a password or an emailed one-time link to choose one.

use chrono::{Duration, Utc};

use crate::domain::password::{self, PasswordProblem};
use crate::domain::{Role, UnitKind};
use crate::secrets;
use crate::store::accounts::{self, LinkPurpose, User};
use crate::store::{Db, StoreError, Tx, audit, outbox, units};

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
    let unit = units::get(tx, unit_slug).await?;
    let kind = UnitKind::parse(&unit.kind)
        .ok_or_else(|| OfficerError::Invalid(format!("unit {unit_slug} has an unknown kind")))?;
    if !role.fits(kind) {
        return Err(OfficerError::Invalid(format!(
            "a {} is held for {}, and {unit_slug} is a {}",
            role.name(),
            if matches!(
                role,
                Role::BranchSecretary | Role::BranchMembershipSecretary
            ) {
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
            detail: &format!("{} as {} for {unit_slug}", user.email, role.name()),
            people: &[],
        },
    )
    .await?;
    let invitation = if user.password_hash.is_none() {
        Some(send_link(tx, public_url, &user, LinkPurpose::Invitation).await?)
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
) -> Result<String, OfficerError> {
    let token = secrets::new_token();
    let (path, valid, subject, intro) = match purpose {
        LinkPurpose::Invitation => (
            "welcome",
            Duration::days(7),
            "You are invited to Rosette",
            "You have been given a role in your local party's Rosette. Choose a password to start:",
        ),
        LinkPurpose::PasswordReset => (
            "reset",
            Duration::hours(1),
            "Reset your Rosette password",
            "Someone (we hope you) asked to reset your Rosette password. Choose a new one here:",
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
