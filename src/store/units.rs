//! The organisation tree: party > region > local party > branch, and the ward → branch
//! table geographic branches are found by.

use chrono::Utc;
use sea_query::{Alias, Cond, Expr, ExprTrait, JoinType, Order, Query};
use uuid::Uuid;

use super::schema::{Units, Wards};
use super::{Backend, Mode, Result, StoreError, Tx};
use crate::domain::access::{Grant, sees_branch};
use crate::domain::fields::slugify;
use crate::domain::values::ward_key;
use crate::domain::{BranchType, UnitKind};

pub const DEFAULT_LOCAL_PARTY: &str = "local-party";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Unit {
    pub id: i64,
    pub public_id: String,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub branch_type: Option<String>,
    pub parent_slug: Option<String>,
}

impl Unit {
    /// A forum branch (see `BranchType`); a geographic branch, or any other unit, is not.
    pub fn is_forum(&self) -> bool {
        self.branch_type.as_deref() == Some(BranchType::Forum.as_str())
    }
}

/// What `rosette unit add` asks for.
#[derive(Debug, Clone, Default)]
pub struct NewUnit {
    pub kind: Option<UnitKind>,
    pub name: String,
    pub parent: Option<String>,
    pub forum: bool,
    pub wards: Vec<String>,
}

/// A `Unit`'s columns, in its fields' order, each with the name it is read by.
fn unit_columns() -> [(Expr, &'static str); 7] {
    let own = |c: Units, name| (Expr::col((Units::Table, c)), name);
    [
        own(Units::Id, "id"),
        own(Units::PublicId, "public_id"),
        own(Units::Slug, "slug"),
        own(Units::Name, "name"),
        own(Units::Kind, "kind"),
        own(Units::BranchType, "branch_type"),
        (
            Expr::col((Alias::new("parent"), Units::Slug)),
            "parent_slug",
        ),
    ]
}

/// Units joined to their parents, with no columns chosen.
fn units_and_parents() -> sea_query::SelectStatement {
    let parent = Alias::new("parent");
    Query::select()
        .from(Units::Table)
        .join_as(
            JoinType::LeftJoin,
            Units::Table,
            parent.clone(),
            Expr::col((parent, Units::Id)).equals((Units::Table, Units::ParentId)),
        )
        .to_owned()
}

fn select_units() -> sea_query::SelectStatement {
    let mut q = units_and_parents();
    for (e, name) in unit_columns() {
        q.expr_as(e, Alias::new(name));
    }
    q
}

/// Every unit, parents before children, then by name.
pub async fn list(tx: &mut Tx<impl Mode>) -> Result<Vec<Unit>> {
    let mut q = select_units();
    q.order_by((Units::Table, Units::Id), Order::Asc);
    tx.fetch_all(&q).await
}

/// These units (by id), parents before children: a few rows, where `list` would read
/// every unit in the country.
pub async fn named(tx: &mut Tx<impl Mode>, ids: &[i64]) -> Result<Vec<Unit>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = select_units();
    q.and_where(Expr::col((Units::Table, Units::Id)).is_in(ids.iter().copied()))
        .order_by((Units::Table, Units::Id), Order::Asc);
    tx.fetch_all(&q).await
}

/// A unit's name by id, empty if there is none.
pub async fn name_of(tx: &mut Tx<impl Mode>, id: i64) -> Result<String> {
    Ok(named(tx, &[id])
        .await?
        .into_iter()
        .next()
        .map(|u| u.name)
        .unwrap_or_default())
}

pub async fn find(tx: &mut Tx<impl Mode>, slug: &str) -> Result<Option<Unit>> {
    let mut q = select_units();
    q.and_where(Expr::col((Units::Table, Units::Slug)).eq(slug));
    tx.fetch_optional(&q).await
}

pub async fn get(tx: &mut Tx<impl Mode>, slug: &str) -> Result<Unit> {
    find(tx, slug).await?.ok_or_else(|| {
        StoreError::NotFound(format!(
            "no unit with slug '{slug}' (see `rosette unit list`)"
        ))
    })
}

/// Whether any of these local parties requires a second factor of officers who see all
/// its members.
pub async fn requires_second_factor(tx: &mut Tx<impl Mode>, local_parties: &[i64]) -> Result<bool> {
    if local_parties.is_empty() {
        return Ok(false);
    }
    let found: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(Units::Id)
                .from(Units::Table)
                .and_where(Expr::col(Units::Id).is_in(local_parties.iter().copied()))
                .and_where(Expr::col(Units::RequireSecondFactor).eq(true))
                .limit(1)
                .to_owned(),
        )
        .await?;
    Ok(found.is_some())
}

pub async fn set_requires_second_factor(tx: &mut Tx, local_party_id: i64, on: bool) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Units::Table)
            .value(Units::RequireSecondFactor, on)
            .and_where(Expr::col(Units::Id).eq(local_party_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A local party's own report period in days, if it has set one.
pub async fn report_period_days(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
) -> Result<Option<u32>> {
    let row: Option<(Option<i32>,)> = tx
        .fetch_optional(
            &Query::select()
                .column(Units::ReportPeriodDays)
                .from(Units::Table)
                .and_where(Expr::col(Units::Id).eq(local_party_id))
                .to_owned(),
        )
        .await?;
    Ok(row.and_then(|(d,)| d).and_then(|d| u32::try_from(d).ok()))
}

pub async fn set_report_period_days(
    tx: &mut Tx,
    local_party_id: i64,
    days: Option<u32>,
) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Units::Table)
            .value(Units::ReportPeriodDays, days.map(i64::from))
            .and_where(Expr::col(Units::Id).eq(local_party_id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The unit a unit sits under, if any.
pub async fn parent_id(tx: &mut Tx<impl Mode>, id: i64) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> = tx
        .fetch_optional(
            &Query::select()
                .column(Units::ParentId)
                .from(Units::Table)
                .and_where(Expr::col(Units::Id).eq(id))
                .to_owned(),
        )
        .await?;
    Ok(row.and_then(|(p,)| p))
}

/// The branches directly under a local party.
pub async fn branches(tx: &mut Tx<impl Mode>, local_party_id: i64) -> Result<Vec<Unit>> {
    let mut q = select_units();
    q.and_where(Expr::col((Units::Table, Units::ParentId)).eq(local_party_id))
        .and_where(Expr::col((Units::Table, Units::Kind)).eq(UnitKind::Branch.as_str()))
        .order_by((Units::Table, Units::Name), Order::Asc);
    tx.fetch_all(&q).await
}

/// The branches some grants see, each with its local party, and the units named beside
/// them (`branches_and_named`).
pub type BranchesAndNamed = (Vec<(i64, Unit)>, Vec<Unit>);

/// A unit as `packed_placed` packs it, by position (a packed row has no names):
/// `unit_columns`, then its parent's id.
type Placed = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// The units `branches_and_named` reads, with no columns chosen: the branches `grants`
/// may see and the units with these `ids`. A grant limited to a branch reads that branch
/// alone, by its id, rather than every branch of its local party for `sees_branch` to
/// drop: most officers hold a branch's roles, and the member list reads these on every
/// view.
fn placed(grants: &[Grant], ids: &[i64]) -> sea_query::SelectStatement {
    let mut parties = Vec::new();
    let mut by_id = Vec::new();
    for g in grants {
        match g.reach.branch() {
            Some(b) => by_id.push(b),
            None => parties.push(g.local_party_id),
        }
    }
    parties.sort_unstable();
    parties.dedup();
    by_id.extend_from_slice(ids);
    // Only the parts that name something: SQLite reads an OR through an index only when
    // every part of it can be, and an empty list's `1 = 2` cannot, so one would make this
    // a scan of every unit.
    let mut wanted = Cond::any();
    if !parties.is_empty() {
        wanted = wanted.add(
            Cond::all()
                .add(Expr::col((Units::Table, Units::ParentId)).is_in(parties))
                .add(Expr::col((Units::Table, Units::Kind)).eq(UnitKind::Branch.as_str())),
        );
    }
    // With nothing else wanted, the empty list's `1 = 2` reads nothing, where an empty
    // condition would read every unit.
    if !by_id.is_empty() || wanted.is_empty() {
        wanted = wanted.add(Expr::col((Units::Table, Units::Id)).is_in(by_id));
    }
    let mut q = units_and_parents();
    q.cond_where(wanted);
    q
}

/// Which of the `placed` units are branches `grants` see (`sees_branch`), and which are
/// the units named by `ids`.
fn branches_and_named_of(rows: Vec<Placed>, grants: &[Grant], ids: &[i64]) -> BranchesAndNamed {
    let mut branches = Vec::new();
    let mut named = Vec::new();
    for (id, public_id, slug, name, kind, branch_type, parent_slug, parent_id) in rows {
        let unit = Unit {
            id,
            public_id,
            slug,
            name,
            kind,
            branch_type,
            parent_slug,
        };
        if ids.contains(&unit.id) {
            named.push(unit.clone());
        }
        match parent_id {
            Some(lp)
                if unit.kind == UnitKind::Branch.as_str() && sees_branch(grants, lp, unit.id) =>
            {
                branches.push((lp, unit));
            }
            _ => {}
        }
    }
    (branches, named)
}

/// The branches `grants` see (each with its local party, by name; `sees_branch`) and the
/// units with these `ids`, in one statement, for the API's units. The member list reads
/// the same beside its page instead (`packed_branches_and_named`).
pub async fn branches_and_named(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    ids: &[i64],
) -> Result<BranchesAndNamed> {
    let q = packed_placed(tx.backend(), grants, ids);
    // An aggregate with no GROUP BY answers one row.
    let (value,): (Option<String>,) = tx.fetch_optional(&q).await?.unwrap_or_default();
    unpack_branches_and_named(value.as_deref(), grants, ids)
}

/// `branches_and_named` as one packed value (`store::packed`), for a statement that reads
/// a page to carry as a column of its own: on SQLite a statement of its own is one more
/// trip to the connection thread and back. `unpack_branches_and_named` reads it back.
pub fn packed_branches_and_named(backend: Backend, grants: &[Grant], ids: &[i64]) -> Expr {
    Expr::from(packed_placed(backend, grants, ids))
}

/// The `placed` units packed by name: `unit_columns`, then the parent's id.
fn packed_placed(backend: Backend, grants: &[Grant], ids: &[i64]) -> sea_query::SelectStatement {
    let columns = unit_columns()
        .into_iter()
        .map(|(e, _)| e)
        .chain([Expr::col((Units::Table, Units::ParentId))]);
    let mut q = placed(grants, ids);
    q.expr(super::packed(
        backend,
        columns,
        vec![Expr::col((Units::Table, Units::Name))],
        false,
    ));
    q
}

pub fn unpack_branches_and_named(
    value: Option<&str>,
    grants: &[Grant],
    ids: &[i64],
) -> Result<BranchesAndNamed> {
    Ok(branches_and_named_of(super::unpack(value)?, grants, ids))
}

/// The ward table of a local party, as (ward key, branch slug).
pub async fn wards(tx: &mut Tx<impl Mode>, local_party_id: i64) -> Result<Vec<(String, String)>> {
    tx.fetch_all(
        &Query::select()
            .column((Wards::Table, Wards::NameKey))
            .column((Units::Table, Units::Slug))
            .from(Wards::Table)
            .inner_join(
                Units::Table,
                Expr::col((Units::Table, Units::Id)).equals((Wards::Table, Wards::BranchId)),
            )
            .and_where(Expr::col((Wards::Table, Wards::LocalPartyId)).eq(local_party_id))
            .to_owned(),
    )
    .await
}

async fn insert(
    tx: &mut Tx<impl Mode>,
    kind: UnitKind,
    slug: &str,
    name: &str,
    branch_type: Option<&str>,
    parent_id: Option<i64>,
) -> Result<i64> {
    let (id,): (i64,) = tx
        .fetch_optional(
            &Query::insert()
                .into_table(Units::Table)
                .columns([
                    Units::PublicId,
                    Units::Slug,
                    Units::Name,
                    Units::Kind,
                    Units::BranchType,
                    Units::ParentId,
                    Units::CreatedAt,
                ])
                .values_panic([
                    Uuid::now_v7().to_string().into(),
                    slug.into(),
                    name.into(),
                    kind.as_str().into(),
                    branch_type.map(str::to_string).into(),
                    parent_id.into(),
                    Utc::now().into(),
                ])
                .returning_col(Units::Id)
                .to_owned(),
        )
        .await?
        .ok_or_else(|| StoreError::Invalid("the new unit was not stored".into()))?;
    Ok(id)
}

/// Creates the default local party if the database has no local party yet.
pub async fn ensure_default_local_party(tx: &mut Tx<impl Mode>) -> Result<()> {
    let any: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(Units::Id)
                .from(Units::Table)
                .and_where(Expr::col(Units::Kind).eq(UnitKind::LocalParty.as_str()))
                .limit(1)
                .to_owned(),
        )
        .await?;
    if any.is_none() {
        insert(
            tx,
            UnitKind::LocalParty,
            DEFAULT_LOCAL_PARTY,
            "Local Party",
            None,
            None,
        )
        .await?;
    }
    Ok(())
}

/// Adds a unit. A branch goes under the default local party unless a parent is named;
/// its wards must not already belong to another branch of that local party.
pub async fn add(tx: &mut Tx, new: &NewUnit) -> Result<Unit> {
    let kind = new.kind.unwrap_or(UnitKind::Branch);
    let name = new.name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("a unit needs a name".into()));
    }
    let slug = slugify(name);
    if slug.is_empty() {
        return Err(StoreError::Invalid(format!(
            "'{name}' has no letters or digits to make a slug from"
        )));
    }
    if find(tx, &slug).await?.is_some() {
        return Err(StoreError::Invalid(format!(
            "a unit with slug '{slug}' already exists"
        )));
    }
    let parent_slug = match (&new.parent, kind) {
        (Some(p), _) => Some(p.as_str()),
        (None, UnitKind::Branch) => Some(DEFAULT_LOCAL_PARTY),
        (None, _) => None,
    };
    let parent = match parent_slug {
        Some(p) => Some(get(tx, p).await?),
        None => None,
    };
    let parent_kind = parent.as_ref().and_then(|p| UnitKind::parse(&p.kind));
    if !kind.may_sit_under(parent_kind) {
        let under = parent
            .as_ref()
            .map_or("the top of the tree".to_string(), |p| {
                format!("a {} ('{}')", p.kind, p.slug)
            });
        return Err(StoreError::Invalid(format!(
            "a {kind} cannot sit under {under}"
        )));
    }
    if kind != UnitKind::Branch && (new.forum || !new.wards.is_empty()) {
        return Err(StoreError::Invalid(
            "only a branch has wards or is a forum".into(),
        ));
    }
    if new.forum && !new.wards.is_empty() {
        return Err(StoreError::Invalid(
            "a forum branch (e.g. a women's branch) covers no wards".into(),
        ));
    }
    let branch_type = (kind == UnitKind::Branch).then_some(
        if new.forum {
            BranchType::Forum
        } else {
            BranchType::Geographic
        }
        .as_str(),
    );
    let id = insert(
        tx,
        kind,
        &slug,
        name,
        branch_type,
        parent.as_ref().map(|p| p.id),
    )
    .await?;

    if let Some(local_party) = parent.filter(|_| kind == UnitKind::Branch) {
        let taken = wards(tx, local_party.id).await?;
        let mut seen = Vec::new();
        for ward in new.wards.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            let key = ward_key(ward);
            if let Some((_, branch)) = taken.iter().find(|(k, _)| *k == key) {
                return Err(StoreError::Invalid(format!(
                    "ward '{ward}' already belongs to branch '{branch}'"
                )));
            }
            if seen.contains(&key) {
                continue;
            }
            tx.execute(
                &Query::insert()
                    .into_table(Wards::Table)
                    .columns([
                        Wards::LocalPartyId,
                        Wards::Name,
                        Wards::NameKey,
                        Wards::BranchId,
                    ])
                    .values_panic([
                        local_party.id.into(),
                        ward.into(),
                        key.clone().into(),
                        id.into(),
                    ])
                    .to_owned(),
            )
            .await?;
            seen.push(key);
        }
    }
    get(tx, &slug).await
}
