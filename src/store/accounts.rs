//! Officers' accounts: users, their role assignments, sessions, API tokens, one-time links
//! (invitations and password resets) and the sign-in failure counts that throttle guessing.
//! Tokens are stored as digests only (see `secrets`).

use chrono::{DateTime, Utc};
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use uuid::Uuid;

use super::schema::{
    ApiTokens, CallerAssignments, OneTimeLinks, RoleAssignments, Sessions, SignInFailures, Units,
    Users,
};
use super::{Mode, Result, StoreError, Tx};
use crate::domain::access::Assignment;
use crate::domain::{BranchType, Role, UnitKind};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub public_id: String,
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub totp_secret: Option<String>,
    pub totp_pending: Option<String>,
}

/// What a `User` is read from.
const USER_COLUMNS: [Users; 8] = [
    Users::Id,
    Users::PublicId,
    Users::Email,
    Users::Name,
    Users::PasswordHash,
    Users::DisabledAt,
    Users::TotpSecret,
    Users::TotpPending,
];

fn select_users() -> sea_query::SelectStatement {
    Query::select()
        .columns(USER_COLUMNS)
        .from(Users::Table)
        .to_owned()
}

/// Adds a user, or returns the existing one with this email (lower-cased).
pub async fn ensure_user(tx: &mut Tx, email: &str, name: &str) -> Result<User> {
    let email = email.trim().to_lowercase();
    if let Some(u) = user_by_email(tx, &email).await? {
        return Ok(u);
    }
    tx.execute(
        &Query::insert()
            .into_table(Users::Table)
            .columns([Users::PublicId, Users::Email, Users::Name, Users::CreatedAt])
            .values_panic([
                Uuid::now_v7().to_string().into(),
                email.clone().into(),
                name.trim().into(),
                Utc::now().into(),
            ])
            .to_owned(),
    )
    .await?;
    user_by_email(tx, &email)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("user {email} was not stored")))
}

pub async fn user_by_email(tx: &mut Tx<impl Mode>, email: &str) -> Result<Option<User>> {
    let mut q = select_users();
    q.and_where(Expr::col(Users::Email).eq(email.trim().to_lowercase()));
    tx.fetch_optional(&q).await
}

/// The names of the users with these emails (actors in the audit log), by email.
pub async fn names_by_email(
    tx: &mut Tx<impl Mode>,
    emails: &[&str],
) -> Result<std::collections::HashMap<String, String>> {
    if emails.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, String)> = tx
        .fetch_all(
            &Query::select()
                .columns([Users::Email, Users::Name])
                .from(Users::Table)
                .and_where(Expr::col(Users::Email).is_in(emails.iter().copied()))
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn user(tx: &mut Tx<impl Mode>, id: i64) -> Result<Option<User>> {
    let mut q = select_users();
    q.and_where(Expr::col(Users::Id).eq(id));
    tx.fetch_optional(&q).await
}

pub async fn user_by_public_id(tx: &mut Tx<impl Mode>, public_id: &str) -> Result<Option<User>> {
    let mut q = select_users();
    q.and_where(Expr::col(Users::PublicId).eq(public_id));
    tx.fetch_optional(&q).await
}

/// The user whose private calendar feed has this token (its digest).
pub async fn user_by_calendar_token(tx: &mut Tx<impl Mode>, digest: &str) -> Result<Option<User>> {
    let mut q = select_users();
    q.and_where(Expr::col(Users::CalendarToken).eq(digest));
    tx.fetch_optional(&q).await
}

/// Sets (or with `None` removes) the digest of a user's private calendar feed token; the
/// one before stops working.
pub async fn set_calendar_token(tx: &mut Tx, user_id: i64, digest: Option<&str>) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Users::Table)
            .value(Users::CalendarToken, digest)
            .and_where(Expr::col(Users::Id).eq(user_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Sets a user's password and cancels every emailed link still outstanding for them: an
/// older reset link must not work once a newer one, or any other change, set a password.
pub async fn set_password(tx: &mut Tx, user_id: i64, hash: &str) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Users::Table)
            .value(Users::PasswordHash, hash)
            .and_where(Expr::col(Users::Id).eq(user_id))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::update()
            .table(OneTimeLinks::Table)
            .value(OneTimeLinks::UsedAt, Utc::now())
            .and_where(Expr::col(OneTimeLinks::UserId).eq(user_id))
            .and_where(Expr::col(OneTimeLinks::UsedAt).is_null())
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A role held for a unit, as the Secretary's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoleRow {
    pub public_id: String,
    pub user_public_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub unit_slug: String,
    pub unit_name: String,
}

impl RoleRow {
    /// The role as people call it ("Branch Membership Secretary"), not its code.
    pub fn role_label(&self) -> &str {
        crate::domain::Role::parse(&self.role).map_or(self.role.as_str(), |r| r.label())
    }
}

/// Gives `user` `role` for `unit`, unless they hold it already.
pub async fn assign(tx: &mut Tx, user_id: i64, role: Role, unit_id: i64, by: &str) -> Result<()> {
    let held: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(RoleAssignments::Id)
                .from(RoleAssignments::Table)
                .and_where(Expr::col(RoleAssignments::UserId).eq(user_id))
                .and_where(Expr::col(RoleAssignments::Role).eq(role.name()))
                .and_where(Expr::col(RoleAssignments::UnitId).eq(unit_id))
                .to_owned(),
        )
        .await?;
    if held.is_some() {
        return Ok(());
    }
    tx.execute(
        &Query::insert()
            .into_table(RoleAssignments::Table)
            .columns([
                RoleAssignments::PublicId,
                RoleAssignments::UserId,
                RoleAssignments::Role,
                RoleAssignments::UnitId,
                RoleAssignments::CreatedAt,
                RoleAssignments::CreatedBy,
            ])
            .values_panic([
                Uuid::now_v7().to_string().into(),
                user_id.into(),
                role.name().into(),
                unit_id.into(),
                Utc::now().into(),
                by.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Removes one assignment, if it belongs to a unit of one of `local_parties`. Returns
/// whether anything was removed.
pub async fn unassign(tx: &mut Tx, public_id: &str, local_parties: &[i64]) -> Result<bool> {
    let rows = roles_in(tx, local_parties).await?;
    if !rows.iter().any(|r| r.public_id == public_id) {
        return Ok(false);
    }
    let n = tx
        .execute(
            &Query::delete()
                .from_table(RoleAssignments::Table)
                .and_where(Expr::col(RoleAssignments::PublicId).eq(public_id))
                .to_owned(),
        )
        .await?;
    Ok(n > 0)
}

/// A role as read with its unit; all `None` on the one row of a user who holds none (a
/// left join).
#[derive(sqlx::FromRow)]
struct AssignmentRow {
    role: Option<String>,
    unit_id: Option<i64>,
    kind: Option<String>,
    parent_id: Option<i64>,
    branch_type: Option<String>,
    party_second_factor: Option<bool>,
}

impl AssignmentRow {
    /// The assignment, unless the row holds none or names a role or unit kind this
    /// version does not know.
    fn assignment(&self) -> Option<Assignment> {
        let role = Role::parse(self.role.as_deref()?)?;
        let unit_kind = UnitKind::parse(self.kind.as_deref()?)?;
        let unit_id = self.unit_id?;
        let local_party_id = match unit_kind {
            UnitKind::LocalParty => unit_id,
            UnitKind::Branch => self.parent_id?,
            _ => return None,
        };
        Some(Assignment {
            role,
            unit_id,
            unit_kind,
            local_party_id,
            geographic: unit_kind == UnitKind::Branch
                && self.branch_type.as_deref() == Some(BranchType::Geographic.as_str()),
            party_requires_second_factor: self.party_second_factor.unwrap_or(false),
        })
    }
}

/// A row of `holder`: what the key (a session, a token) says, its user, and one of
/// their roles.
#[derive(sqlx::FromRow)]
struct HolderRow<K> {
    #[sqlx(flatten)]
    key: K,
    #[sqlx(flatten)]
    user: User,
    #[sqlx(flatten)]
    role: AssignmentRow,
}

/// Reads a key (`key` selects its columns and `user_id` from its table) with its user
/// and every role they hold, in one statement: one row per role, or one with no role.
async fn holder<K>(
    tx: &mut Tx<impl Mode>,
    mut key: sea_query::SelectStatement,
    user_id: Expr,
) -> Result<Option<(K, User, Vec<Assignment>)>>
where
    HolderRow<K>: super::Record,
{
    key.columns(USER_COLUMNS.map(|c| (Users::Table, c)))
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).eq(user_id),
        );
    with_roles(&mut key, JoinType::LeftJoin);
    let rows: Vec<HolderRow<K>> = tx.fetch_all(&key).await?;
    let assignments = rows.iter().filter_map(|r| r.role.assignment()).collect();
    Ok(rows
        .into_iter()
        .next()
        .map(|r| (r.key, r.user, assignments)))
}

/// Adds to `q`, which reads `users`, the columns of an `AssignmentRow`: one row per role
/// the user holds (with `LeftJoin`, one row of `None`s for a user who holds none).
fn with_roles(q: &mut sea_query::SelectStatement, join: JoinType) {
    let party = Alias::new("role_party");
    q.column((RoleAssignments::Table, RoleAssignments::Role))
        .column((RoleAssignments::Table, RoleAssignments::UnitId))
        .column((Units::Table, Units::Kind))
        .column((Units::Table, Units::ParentId))
        .column((Units::Table, Units::BranchType))
        // Whether the role's local party (the unit, or a branch's parent) asks for a second
        // factor: read with the roles, so a page's sign-in check stays one statement.
        .expr_as(
            Expr::case(
                Expr::col((Units::Table, Units::Kind)).eq(UnitKind::LocalParty.as_str()),
                Expr::col((Units::Table, Units::RequireSecondFactor)),
            )
            .finally(Expr::from(
                Query::select()
                    .column((party.clone(), Units::RequireSecondFactor))
                    .from_as(Units::Table, party.clone())
                    .and_where(
                        Expr::col((party, Units::Id)).equals((Units::Table, Units::ParentId)),
                    )
                    .to_owned(),
            )),
            Alias::new("party_second_factor"),
        )
        .join(
            join,
            RoleAssignments::Table,
            Expr::col((RoleAssignments::Table, RoleAssignments::UserId))
                .equals((Users::Table, Users::Id)),
        )
        .join(
            join,
            Units::Table,
            Expr::col((Units::Table, Units::Id))
                .equals((RoleAssignments::Table, RoleAssignments::UnitId)),
        );
}

/// Everything `user_id` holds, each with the local party it falls in.
pub async fn assignments(tx: &mut Tx<impl Mode>, user_id: i64) -> Result<Vec<Assignment>> {
    let mut q = Query::select();
    q.from(Users::Table)
        .and_where(Expr::col((Users::Table, Users::Id)).eq(user_id));
    with_roles(&mut q, JoinType::InnerJoin);
    let rows: Vec<AssignmentRow> = tx.fetch_all(&q).await?;
    Ok(rows.iter().filter_map(AssignmentRow::assignment).collect())
}

/// The roles held in these local parties (for the party itself or any of its branches).
pub async fn roles_in(tx: &mut Tx<impl Mode>, local_parties: &[i64]) -> Result<Vec<RoleRow>> {
    if local_parties.is_empty() {
        return Ok(Vec::new());
    }
    tx.fetch_all(
        &Query::select()
            .column((RoleAssignments::Table, RoleAssignments::PublicId))
            .expr_as(
                Expr::col((Users::Table, Users::PublicId)),
                Alias::new("user_public_id"),
            )
            .column((Users::Table, Users::Email))
            .column((Users::Table, Users::Name))
            .column((RoleAssignments::Table, RoleAssignments::Role))
            .expr_as(
                Expr::col((Units::Table, Units::Slug)),
                Alias::new("unit_slug"),
            )
            .expr_as(
                Expr::col((Units::Table, Units::Name)),
                Alias::new("unit_name"),
            )
            .from(RoleAssignments::Table)
            .inner_join(
                Users::Table,
                Expr::col((Users::Table, Users::Id))
                    .equals((RoleAssignments::Table, RoleAssignments::UserId)),
            )
            .inner_join(
                Units::Table,
                Expr::col((Units::Table, Units::Id))
                    .equals((RoleAssignments::Table, RoleAssignments::UnitId)),
            )
            .cond_where(
                Expr::col((Units::Table, Units::Id))
                    .is_in(local_parties.iter().copied())
                    .or(Expr::col((Units::Table, Units::ParentId))
                        .is_in(local_parties.iter().copied())),
            )
            .order_by((Users::Table, Users::Name), Order::Asc)
            .order_by((RoleAssignments::Table, RoleAssignments::Role), Order::Asc)
            .to_owned(),
    )
    .await
}

/// The people holding any role in a local party (or its branches), once each:
/// (public id, name). Anyone here may be given calls or follow-ups.
pub async fn role_holders(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
) -> Result<Vec<(String, String)>> {
    let mut seen = std::collections::HashSet::new();
    Ok(roles_in(tx, &[local_party_id])
        .await?
        .into_iter()
        .filter(|r| seen.insert(r.user_public_id.clone()))
        .map(|r| (r.user_public_id, r.name))
        .collect())
}

/// The user with this public id, if they hold a role in the local party.
pub async fn role_holder(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    public_id: &str,
) -> Result<Option<User>> {
    if !role_holders(tx, local_party_id)
        .await?
        .iter()
        .any(|(id, _)| id == public_id)
    {
        return Ok(None);
    }
    user_by_public_id(tx, public_id).await
}

/// A signed-in session, found by the digest of its cookie.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub user_id: i64,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Signed in with a password, still to give the second factor's code.
    pub second_factor_pending: bool,
}

pub async fn create_session(
    tx: &mut Tx,
    id_hash: &str,
    user_id: i64,
    csrf: &str,
    second_factor_pending: bool,
) -> Result<()> {
    let now = Utc::now();
    tx.execute(
        &Query::insert()
            .into_table(Sessions::Table)
            .columns([
                Sessions::IdHash,
                Sessions::UserId,
                Sessions::Csrf,
                Sessions::CreatedAt,
                Sessions::LastSeenAt,
                Sessions::SecondFactorPending,
            ])
            .values_panic([
                id_hash.into(),
                user_id.into(),
                csrf.into(),
                now.into(),
                now.into(),
                second_factor_pending.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn session(tx: &mut Tx<impl Mode>, id_hash: &str) -> Result<Option<Session>> {
    tx.fetch_optional(
        &Query::select()
            .columns([
                Sessions::UserId,
                Sessions::Csrf,
                Sessions::CreatedAt,
                Sessions::LastSeenAt,
                Sessions::SecondFactorPending,
            ])
            .from(Sessions::Table)
            .and_where(Expr::col(Sessions::IdHash).eq(id_hash))
            .to_owned(),
    )
    .await
}

/// A session with its user and their roles, read in one statement: a page's sign-in
/// check is one trip to the database, not three.
pub async fn signed_in(
    tx: &mut Tx<impl Mode>,
    id_hash: &str,
) -> Result<Option<(Session, User, Vec<Assignment>)>> {
    holder(
        tx,
        Query::select()
            .columns(
                [
                    Sessions::UserId,
                    Sessions::Csrf,
                    Sessions::CreatedAt,
                    Sessions::LastSeenAt,
                    Sessions::SecondFactorPending,
                ]
                .map(|c| (Sessions::Table, c)),
            )
            .from(Sessions::Table)
            .and_where(Expr::col((Sessions::Table, Sessions::IdHash)).eq(id_hash))
            .to_owned(),
        Expr::col((Sessions::Table, Sessions::UserId)),
    )
    .await
}

pub async fn touch_session(tx: &mut Tx, id_hash: &str, at: DateTime<Utc>) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Sessions::Table)
            .value(Sessions::LastSeenAt, at)
            .and_where(Expr::col(Sessions::IdHash).eq(id_hash))
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn end_session(tx: &mut Tx, id_hash: &str) -> Result<()> {
    tx.execute(
        &Query::delete()
            .from_table(Sessions::Table)
            .and_where(Expr::col(Sessions::IdHash).eq(id_hash))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Signs a user out everywhere (after a password change or reset).
pub async fn end_sessions_of(tx: &mut Tx, user_id: i64) -> Result<()> {
    tx.execute(
        &Query::delete()
            .from_table(Sessions::Table)
            .and_where(Expr::col(Sessions::UserId).eq(user_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn add_token(tx: &mut Tx, user_id: i64, token_hash: &str) -> Result<()> {
    tx.execute(
        &Query::insert()
            .into_table(ApiTokens::Table)
            .columns([
                ApiTokens::UserId,
                ApiTokens::TokenHash,
                ApiTokens::CreatedAt,
            ])
            .values_panic([user_id.into(), token_hash.into(), Utc::now().into()])
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct TokenUse {
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The user an API token belongs to, with their roles and when the token was last used,
/// read in one statement.
pub async fn token_holder(
    tx: &mut Tx<impl Mode>,
    token_hash: &str,
) -> Result<Option<(TokenUse, User, Vec<Assignment>)>> {
    holder(
        tx,
        Query::select()
            .column((ApiTokens::Table, ApiTokens::LastUsedAt))
            .from(ApiTokens::Table)
            .and_where(Expr::col((ApiTokens::Table, ApiTokens::TokenHash)).eq(token_hash))
            .to_owned(),
        Expr::col((ApiTokens::Table, ApiTokens::UserId)),
    )
    .await
}

pub async fn touch_token(tx: &mut Tx, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(ApiTokens::Table)
            .value(ApiTokens::LastUsedAt, at)
            .and_where(Expr::col(ApiTokens::TokenHash).eq(token_hash))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Invitation,
    PasswordReset,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::PasswordReset => "password_reset",
        }
    }
}

pub async fn add_link(
    tx: &mut Tx,
    token_hash: &str,
    user_id: i64,
    purpose: LinkPurpose,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        &Query::insert()
            .into_table(OneTimeLinks::Table)
            .columns([
                OneTimeLinks::TokenHash,
                OneTimeLinks::UserId,
                OneTimeLinks::Purpose,
                OneTimeLinks::ExpiresAt,
                OneTimeLinks::CreatedAt,
            ])
            .values_panic([
                token_hash.into(),
                user_id.into(),
                purpose.as_str().into(),
                expires_at.into(),
                Utc::now().into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The user a live, unused link belongs to, without using it up.
pub async fn link_user(
    tx: &mut Tx<impl Mode>,
    token_hash: &str,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let found: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(OneTimeLinks::UserId)
                .from(OneTimeLinks::Table)
                .and_where(Expr::col(OneTimeLinks::TokenHash).eq(token_hash))
                .and_where(Expr::col(OneTimeLinks::Purpose).eq(purpose.as_str()))
                .and_where(Expr::col(OneTimeLinks::UsedAt).is_null())
                .and_where(Expr::col(OneTimeLinks::ExpiresAt).gt(now))
                .to_owned(),
        )
        .await?;
    Ok(found.map(|(id,)| id))
}

/// Uses a link up. The update only matches an unused link, so of two requests racing
/// with the same link, one wins.
pub async fn use_link(
    tx: &mut Tx,
    token_hash: &str,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let Some(user_id) = link_user(tx, token_hash, purpose, now).await? else {
        return Ok(None);
    };
    let n = tx
        .execute(
            &Query::update()
                .table(OneTimeLinks::Table)
                .value(OneTimeLinks::UsedAt, now)
                .and_where(Expr::col(OneTimeLinks::TokenHash).eq(token_hash))
                .and_where(Expr::col(OneTimeLinks::UsedAt).is_null())
                .to_owned(),
        )
        .await?;
    Ok((n == 1).then_some(user_id))
}

pub async fn record_failure(tx: &mut Tx, key: &str) -> Result<()> {
    tx.execute(
        &Query::insert()
            .into_table(SignInFailures::Table)
            .columns([SignInFailures::Key, SignInFailures::At])
            .values_panic([key.into(), Utc::now().into()])
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn failures_since(
    tx: &mut Tx<impl Mode>,
    key: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    let (n,): (i64,) = tx
        .fetch_optional(
            &Query::select()
                .expr(Expr::col(SignInFailures::Id).count())
                .from(SignInFailures::Table)
                .and_where(Expr::col(SignInFailures::Key).eq(key))
                .and_where(Expr::col(SignInFailures::At).gt(since))
                .to_owned(),
        )
        .await?
        .unwrap_or((0,));
    Ok(n)
}

pub async fn clear_failures(tx: &mut Tx, key: &str) -> Result<()> {
    tx.execute(
        &Query::delete()
            .from_table(SignInFailures::Table)
            .and_where(Expr::col(SignInFailures::Key).eq(key))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Forgets every failure whose key starts with `prefix` (an account's, at every address).
pub async fn clear_failures_starting(tx: &mut Tx, prefix: &str) -> Result<()> {
    let escaped = prefix
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    tx.execute(
        &Query::delete()
            .from_table(SignInFailures::Table)
            .and_where(
                Expr::col(SignInFailures::Key)
                    .like(sea_query::LikeExpr::new(format!("{escaped}%")).escape('\\')),
            )
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// How many people are shared with a caller.
pub async fn shared_count(tx: &mut Tx<impl Mode>, user_id: i64) -> Result<i64> {
    let (n,): (i64,) = tx
        .fetch_optional(
            &Query::select()
                .expr(Expr::col(CallerAssignments::PersonId).count())
                .from(CallerAssignments::Table)
                .and_where(Expr::col(CallerAssignments::UserId).eq(user_id))
                .to_owned(),
        )
        .await?
        .unwrap_or((0,));
    Ok(n)
}

/// Shares a person with a caller, who then sees them (and only such people).
pub async fn share_with_caller(tx: &mut Tx, user_id: i64, person_id: i64) -> Result<()> {
    let held: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(CallerAssignments::UserId)
                .from(CallerAssignments::Table)
                .and_where(Expr::col(CallerAssignments::UserId).eq(user_id))
                .and_where(Expr::col(CallerAssignments::PersonId).eq(person_id))
                .to_owned(),
        )
        .await?;
    if held.is_none() {
        tx.execute(
            &Query::insert()
                .into_table(CallerAssignments::Table)
                .columns([
                    CallerAssignments::UserId,
                    CallerAssignments::PersonId,
                    CallerAssignments::CreatedAt,
                ])
                .values_panic([user_id.into(), person_id.into(), Utc::now().into()])
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// The users holding the caller role in a local party or its branches.
pub async fn callers_in(tx: &mut Tx<impl Mode>, local_party_id: i64) -> Result<Vec<RoleRow>> {
    Ok(roles_in(tx, &[local_party_id])
        .await?
        .into_iter()
        .filter(|r| r.role == Role::Caller.name())
        .collect())
}

/// Marks a session's second factor as given.
pub async fn complete_second_factor(tx: &mut Tx, id_hash: &str) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Sessions::Table)
            .value(Sessions::SecondFactorPending, false)
            .and_where(Expr::col(Sessions::IdHash).eq(id_hash))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Sets (or with `None`, clears) the secret being enrolled, or the confirmed one.
pub async fn set_totp(
    tx: &mut Tx,
    user_id: i64,
    pending: Option<&str>,
    confirmed: Option<&str>,
) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Users::Table)
            .value(Users::TotpPending, pending)
            .value(Users::TotpSecret, confirmed)
            .and_where(Expr::col(Users::Id).eq(user_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Records that a code of time step `step` was used; false if it (or a later one) was
/// used already, so a code overheard or replayed is refused.
pub async fn use_totp_step(tx: &mut Tx, user_id: i64, step: i64) -> Result<bool> {
    let n = tx
        .execute(
            &Query::update()
                .table(Users::Table)
                .value(Users::TotpLastStep, step)
                .and_where(Expr::col(Users::Id).eq(user_id))
                .cond_where(
                    sea_query::Cond::any()
                        .add(Expr::col(Users::TotpLastStep).is_null())
                        .add(Expr::col(Users::TotpLastStep).lt(step)),
                )
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}
