//! The service layer: every action a page, the API or the command line performs on
//! personal data lives here once. Each function takes the signed-in `Principal` and a
//! transaction, checks scope through the store (`store::roster` puts the grants in every
//! `WHERE`), writes history and the audit log, and returns plain values or an `AppError`.
//! Handlers parse the request, call one function here and render what it returns.
//!
//! A new feature (say, surveys) adds `app/surveys.rs` for its actions, `store/surveys.rs`
//! for its SQL, `domain/surveys.rs` for its pure rules, and `web/pages/surveys.rs` and
//! `web/api/surveys.rs` for its handlers.

pub mod audit;
pub mod calls;
pub mod eligibility;
pub mod emails;
pub mod events;
pub mod export;
pub mod forums;
pub mod imports;
pub mod journeys;
pub mod ladder;
pub mod members;
pub mod notices;
pub mod officers;
pub mod organisations;
pub mod overview;
pub mod people;
pub mod presentation;
pub mod report;
pub mod representation;
pub mod segments;
pub mod signups;
pub mod surveys;
pub mod tasks;
pub mod women;

use crate::domain::access::Scope;
use crate::domain::filter::FieldProblem;
use crate::store::StoreError;
use crate::store::accounts::User;

/// Who is acting: a user signed in to a page or holding an API token, with the scope
/// their roles give them.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub scope: Scope,
}

/// The principal a user id acts as: their roles' scope, or `None` for a user who is
/// gone or disabled.
pub async fn principal_of(
    tx: &mut crate::store::Tx<impl crate::store::Mode>,
    user_id: i64,
) -> std::result::Result<Option<Principal>, StoreError> {
    let Some(user) = crate::store::accounts::user(tx, user_id).await? else {
        return Ok(None);
    };
    let assignments = crate::store::accounts::assignments(tx, user.id).await?;
    Ok(Principal::acting(user, &assignments))
}

impl Principal {
    /// The principal `user` acts as with these roles, or `None` if they are disabled.
    pub fn acting(
        user: User,
        assignments: &[crate::domain::access::Assignment],
    ) -> Option<Principal> {
        if user.disabled_at.is_some() {
            return None;
        }
        let scope = Scope::of(user.id, assignments);
        Some(Principal { user, scope })
    }

    /// Whom this user's figures count, with the units named: "everyone in Anytown", "the
    /// Riverside branch".
    pub async fn seen(
        &self,
        tx: &mut crate::store::Tx<impl crate::store::Mode>,
    ) -> std::result::Result<String, StoreError> {
        let units = crate::store::units::named(tx, &self.scope.units_named()).await?;
        Ok(self.seen_among(&units))
    }

    /// `seen`, with the units it names already read (`units` holds at least those of
    /// `Scope::units_named`).
    pub fn seen_among(&self, units: &[crate::store::units::Unit]) -> String {
        self.scope.in_words(|id| {
            units
                .iter()
                .find(|u| u.id == id)
                .map_or_else(|| "a unit".into(), |u| u.name.clone())
        })
    }

    /// The name the audit log records for this user.
    pub fn actor(&self) -> &str {
        &self.user.email
    }

    /// The local party an entry is filed under when the record itself names none.
    pub fn home_party(&self) -> Option<i64> {
        self.scope.local_parties.first().copied()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not there, or outside the principal's scope: the two are never told apart.
    #[error("not found")]
    NotFound,
    /// Seen, but not the principal's to change.
    #[error("not allowed")]
    Forbidden,
    /// The input was checked and found wrong, field by field.
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    /// A new person looks like someone already recorded; nothing was saved.
    #[error("this looks like {} already recorded", if .0.len() == 1 { "someone" } else { "people" })]
    Duplicate(Vec<people::Likely>),
    /// Too many attempts from one place in a short time (public forms).
    #[error("too many attempts: wait an hour and try again")]
    Throttled,
}

impl AppError {
    /// One problem with one field.
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldProblem {
            field: field.to_string(),
            message: message.into(),
        }])
    }
}

pub type Result<T> = std::result::Result<T, AppError>;
