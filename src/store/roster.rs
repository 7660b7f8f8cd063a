//! The register as officers reach it: every query here takes the user's `Scope` grants and
//! puts them in its `WHERE` clause, so a record outside the scope is never read, whatever
//! id a page or an API call was given. Statuses are selected with the dates from
//! `StatusRules::bounds`, the same division `StatusRules::status` makes.

use std::cmp::Ordering;

use chrono::{NaiveDate, Utc};
use sea_query::{
    Alias, Cond, Condition, Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query,
    SelectStatement,
};

use super::members::STANDING_COLUMNS;
use super::schema::{
    AuditLog, AuditPeople, CallListPeople, CallLists, CallerAssignments, EventPeople, Events,
    ForumMembers, MailSuppressions, MembershipEvents, Memberships, Payments, People, PersonTags,
    RoleAssignments, SurveyAnswers, SurveyResponses, Surveys, Units, Users,
};
use super::{Backend, Mode, Result, Tx};
use crate::domain::access::{Grant, Reach};
use crate::domain::filter::{Attended, Cursor, GenderFilter, MemberFilter, Sort};
use crate::domain::{
    Channel, Event, EventKind, Gender, LeftReason, Status, StatusBounds, StatusRules,
};

/// A person with their membership, as every scoped read gives them: in the order of
/// `listed`, the columns each of those reads selects.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Listed {
    pub person_id: i64,
    pub membership_id: i64,
    pub local_party_id: i64,
    pub public_id: String,
    pub membership_number: String,
    pub kind: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub email_consent: Option<bool>,
    pub mobile: Option<String>,
    pub phone: Option<String>,
    pub postcode: Option<String>,
    pub gender: Option<String>,
    pub rate: String,
    pub branch_slug: Option<String>,
    pub branch_name: Option<String>,
    pub joined_on: NaiveDate,
    pub paid_until: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub left_reason: Option<String>,
    pub suspended: bool,
}

impl Listed {
    /// How to reach them, as a list shows it: their mobile, else their phone, else their
    /// email (`line` selects the same in SQL).
    pub fn contact(&self) -> Option<&str> {
        self.mobile
            .as_deref()
            .or(self.phone.as_deref())
            .or(self.email.as_deref())
    }
}

/// One row of the member list page: only what the page shows, orders by and audits,
/// because a page's rows are packed and read back on every view and each column more
/// cost both engines and the decoder. Its fields are in the order of `line`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Line {
    pub person_id: i64,
    pub local_party_id: i64,
    pub public_id: String,
    pub membership_number: String,
    pub first_name: String,
    pub last_name: String,
    /// `Listed::contact`.
    pub contact: Option<String>,
    pub branch_name: Option<String>,
    #[serde(deserialize_with = "super::json_date::required")]
    pub joined_on: NaiveDate,
    #[serde(deserialize_with = "super::json_date::optional")]
    pub paid_until: Option<NaiveDate>,
    #[serde(deserialize_with = "super::json_date::optional")]
    pub left_on: Option<NaiveDate>,
    pub left_reason: Option<String>,
    #[serde(deserialize_with = "super::json_flag::required")]
    pub suspended: bool,
}

/// A row's status and its keys for `sort_keys`, read the same way from either kind of row.
macro_rules! standing_and_keys {
    ($row:ty) => {
        impl $row {
            pub fn status(&self, rules: &StatusRules, on: NaiveDate) -> Status {
                rules.status_recorded(
                    self.joined_on,
                    self.paid_until,
                    (self.left_reason.as_deref(), self.left_on),
                    self.suspended,
                    on,
                )
            }
        }

        impl Keyed for $row {
            fn keys(&self) -> Keys<'_> {
                Keys {
                    last_name: &self.last_name,
                    first_name: &self.first_name,
                    membership_number: &self.membership_number,
                    joined_on: self.joined_on,
                    public_id: &self.public_id,
                }
            }
        }
    };
}

standing_and_keys!(Listed);
standing_and_keys!(Line);

impl From<&Listed> for Line {
    fn from(l: &Listed) -> Line {
        Line {
            person_id: l.person_id,
            local_party_id: l.local_party_id,
            public_id: l.public_id.clone(),
            membership_number: l.membership_number.clone(),
            first_name: l.first_name.clone(),
            last_name: l.last_name.clone(),
            contact: l.contact().map(str::to_string),
            branch_name: l.branch_name.clone(),
            joined_on: l.joined_on,
            paid_until: l.paid_until,
            left_on: l.left_on,
            left_reason: l.left_reason.clone(),
            suspended: l.suspended,
        }
    }
}

/// A row that a page is ordered by.
trait Keyed {
    fn keys(&self) -> Keys<'_>;
}

/// A row's values for the keys of `sort_keys`, whichever kind of row it is.
struct Keys<'a> {
    last_name: &'a str,
    first_name: &'a str,
    membership_number: &'a str,
    joined_on: NaiveDate,
    public_id: &'a str,
}

impl Keys<'_> {
    /// Where `self` comes before or after `other` in `sort`, comparing text by its bytes,
    /// as SQLite does.
    fn order(&self, other: &Keys<'_>, sort: Sort) -> Ordering {
        fn name<'k>(k: &Keys<'k>) -> (&'k [u8], &'k [u8]) {
            (k.last_name.as_bytes(), k.first_name.as_bytes())
        }
        let tie = self.public_id.as_bytes().cmp(other.public_id.as_bytes());
        match sort {
            Sort::Name => name(self).cmp(&name(other)).then(tie),
            Sort::Number => self
                .membership_number
                .as_bytes()
                .cmp(other.membership_number.as_bytes())
                .then(tie),
            Sort::JoinedOldest => self.joined_on.cmp(&other.joined_on).then(tie),
            Sort::JoinedNewest => self.joined_on.cmp(&other.joined_on).then(tie).reverse(),
        }
    }

    fn cursor(&self, sort: Sort) -> Cursor {
        let key = match sort {
            Sort::Name => format!("{}\u{1e}{}", self.last_name, self.first_name),
            Sort::Number => self.membership_number.to_string(),
            Sort::JoinedNewest | Sort::JoinedOldest => self.joined_on.to_string(),
        };
        Cursor {
            key,
            id: self.public_id.to_string(),
        }
    }
}

fn m(c: Memberships) -> Expr {
    Expr::col((Memberships::Table, c))
}

fn p(c: People) -> Expr {
    Expr::col((People::Table, c))
}

/// Events where people help: street stalls, canvasses, phone banks.
fn helping() -> Expr {
    Expr::col((Events::Table, Events::Kind)).is_in(["street_stall", "canvass", "phone_bank"])
}

/// The addresses of users holding a volunteer's role (`volunteers`: caller or buddy) or an
/// officer's role.
fn role_addresses(volunteers: bool) -> SelectStatement {
    let role = Expr::col((RoleAssignments::Table, RoleAssignments::Role));
    Query::select()
        .expr(Func::lower(Expr::col((Users::Table, Users::Email))))
        .from(RoleAssignments::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id))
                .equals((RoleAssignments::Table, RoleAssignments::UserId)),
        )
        .and_where(if volunteers {
            role.is_in(crate::domain::Role::volunteer_names())
        } else {
            role.is_not_in(crate::domain::Role::volunteer_names())
        })
        .to_owned()
}

/// People on `rung` of the ladder (their highest), given the subqueries of who came to any
/// event and who came to one where people help. Officers and callers are users, found by
/// their address.
fn on_rung(
    rung: crate::domain::ladder::Rung,
    came: SelectStatement,
    helped: SelectStatement,
) -> Cond {
    use crate::domain::ladder::Rung;
    let email = || lower(p(People::Email));
    let leads = email().in_subquery(role_addresses(false));
    let volunteered = Cond::any()
        .add(p(People::Id).in_subquery(helped))
        .add(email().in_subquery(role_addresses(true)));
    let attended = p(People::Id).in_subquery(came);
    match rung {
        Rung::Leads => Cond::all().add(leads),
        Rung::Volunteered => Cond::all().add(volunteered).add(leads.not()),
        Rung::Attended => Cond::all()
            .add(attended)
            .add(volunteered.not())
            .add(leads.not()),
        Rung::Member => Cond::all()
            .add(attended.not())
            .add(volunteered.not())
            .add(leads.not()),
    }
}

/// The people in the forums `which` picks now.
fn forum_members(which: Expr) -> SelectStatement {
    Query::select()
        .column((ForumMembers::Table, ForumMembers::PersonId))
        .from(ForumMembers::Table)
        .and_where(which)
        .and_where(Expr::col((ForumMembers::Table, ForumMembers::LeftOn)).is_null())
        .to_owned()
}

/// The ids of branch `b`'s memberships and, for a forum branch, those of the people in
/// it now. Membership ids, which the branch's index holds, let the caller find each row
/// by its key, with no lookup from person to membership first.
fn branch_memberships(b: i64) -> SelectStatement {
    let theirs = Alias::new("forum_membership");
    let mut in_forum = forum_members(Expr::col((ForumMembers::Table, ForumMembers::UnitId)).eq(b));
    in_forum
        .clear_selects()
        .column((theirs.clone(), Memberships::Id))
        .join_as(
            JoinType::InnerJoin,
            Memberships::Table,
            theirs.clone(),
            Expr::col((theirs, Memberships::PersonId))
                .equals((ForumMembers::Table, ForumMembers::PersonId)),
        );
    Query::select()
        .column(Memberships::Id)
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::BranchId).eq(b))
        .union(sea_query::UnionType::All, in_forum)
        .to_owned()
}

/// The people `grants` cover, for a user with this id.
fn scope_condition(grants: &[Grant], user_id: i64) -> Condition {
    let mut any = Cond::any();
    for g in grants {
        let reach: Expr = match g.reach {
            Reach::Everyone => Expr::val(true).eq(true),
            // A branch's officers see its members; a forum branch's members are in the
            // forum (now), whatever their geographic branch. One list of memberships from
            // both, rather than an OR across them, lets the engines start from the
            // branch's index instead of the whole local party.
            Reach::Branch(b) => m(Memberships::Id).in_subquery(branch_memberships(b)),
            Reach::GeographicBranch(b) => m(Memberships::BranchId).eq(b),
            Reach::Women => p(People::Gender).eq(Gender::Woman.as_str()),
            Reach::AssignedToMe => p(People::Id).in_subquery(
                Query::select()
                    .column(CallerAssignments::PersonId)
                    .from(CallerAssignments::Table)
                    .and_where(Expr::col(CallerAssignments::UserId).eq(user_id))
                    .to_owned(),
            ),
        };
        any = any.add(
            Cond::all()
                .add(m(Memberships::LocalPartyId).eq(g.local_party_id))
                .add(reach),
        );
    }
    // With no grants the union is empty: nothing matches.
    if grants.is_empty() {
        any = any.add(Expr::val(1).eq(0));
    }
    any
}

/// Whether the first day in arrears is on or before `by`.
fn arrears_by(by: NaiveDate) -> Condition {
    Cond::any()
        .add(
            Cond::all()
                .add(m(Memberships::PaidUntil).is_not_null())
                .add(m(Memberships::PaidUntil).gte(m(Memberships::JoinedOn)))
                .add(m(Memberships::PaidUntil).lt(by)),
        )
        .add(
            Cond::all()
                .add(
                    Cond::any()
                        .add(m(Memberships::PaidUntil).is_null())
                        .add(m(Memberships::PaidUntil).lt(m(Memberships::JoinedOn))),
                )
                .add(m(Memberships::JoinedOn).lte(by)),
        )
}

/// The SQL form of `StatusRules::status` for one status on the bounds' day.
fn status_condition(status: Status, b: &StatusBounds) -> Condition {
    let left_as = |reason: LeftReason| {
        Cond::all()
            .add(m(Memberships::LeftReason).eq(reason.as_str()))
            .add(m(Memberships::LeftOn).lte(b.on))
    };
    let not_left = Cond::any()
        .add(m(Memberships::LeftReason).is_null())
        .add(m(Memberships::LeftOn).is_null())
        .add(m(Memberships::LeftOn).gt(b.on));
    let lapsed = arrears_by(b.lapsed_if_arrears_from_by);
    let suspended = m(Memberships::Suspended).eq(true);
    let arrears = arrears_by(b.on);
    match status {
        Status::Resigned => left_as(LeftReason::Resigned),
        Status::Deceased => left_as(LeftReason::Deceased),
        Status::Expelled => left_as(LeftReason::Expelled),
        Status::Lapsed => Cond::all().add(not_left).add(lapsed),
        Status::Suspended => Cond::all().add(not_left).add(lapsed.not()).add(suspended),
        Status::InArrears => Cond::all()
            .add(not_left)
            .add(lapsed.not())
            .add(suspended.not())
            .add(arrears),
        Status::New | Status::Current => {
            let started = m(Memberships::JoinedOn);
            Cond::all()
                .add(not_left)
                .add(suspended.not())
                .add(arrears.not())
                .add(if status == Status::New {
                    started.gt(b.new_if_started_after)
                } else {
                    started.lte(b.new_if_started_after)
                })
        }
    }
}

fn like_prefix(text: &str) -> LikeExpr {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect();
    LikeExpr::new(format!("{escaped}%")).escape('\\')
}

fn lower(e: Expr) -> Expr {
    Func::lower(e).into()
}

/// The people who gave answer `a` to a survey.
fn answered(a: &crate::domain::surveys::AnswerFilter) -> sea_query::SelectStatement {
    let mut gave = Cond::any().add(
        lower(Expr::col((SurveyAnswers::Table, SurveyAnswers::Choice))).eq(a.value.to_lowercase()),
    );
    if let Some(point) = a.scale_point() {
        gave = gave.add(Expr::col((SurveyAnswers::Table, SurveyAnswers::Point)).eq(point));
    }
    Query::select()
        .column((SurveyResponses::Table, SurveyResponses::PersonId))
        .from(SurveyResponses::Table)
        .inner_join(
            Surveys::Table,
            Expr::col((Surveys::Table, Surveys::Id))
                .equals((SurveyResponses::Table, SurveyResponses::SurveyId)),
        )
        .inner_join(
            SurveyAnswers::Table,
            Expr::col((SurveyAnswers::Table, SurveyAnswers::ResponseId))
                .equals((SurveyResponses::Table, SurveyResponses::Id)),
        )
        .and_where(Expr::col((Surveys::Table, Surveys::PublicId)).eq(a.survey.as_str()))
        .and_where(Expr::col((SurveyAnswers::Table, SurveyAnswers::Question)).eq(a.question))
        .and_where(Expr::col((SurveyResponses::Table, SurveyResponses::PersonId)).is_not_null())
        .cond_where(gave)
        .to_owned()
}

fn filter_condition(f: &MemberFilter, b: &StatusBounds) -> Condition {
    let mut all = Cond::all();
    if let Some(s) = &f.search {
        let mut words = Cond::all();
        for w in s.text.split(' ') {
            words = words.add(
                Cond::any()
                    .add(lower(p(People::FirstName)).like(like_prefix(w)))
                    .add(lower(p(People::LastName)).like(like_prefix(w))),
            );
        }
        let mut any = Cond::any()
            .add(words)
            .add(lower(m(Memberships::MembershipNumber)).eq(s.text.as_str()))
            .add(lower(p(People::Email)).like(like_prefix(&s.text)));
        if let Some(phone) = &s.phone {
            any = any
                .add(p(People::Mobile).eq(phone.as_str()))
                .add(p(People::Phone).eq(phone.as_str()));
        }
        if let Some(pc) = &s.postcode {
            any = any.add(p(People::Postcode).like(like_prefix(pc)));
        }
        all = all.add(any);
    }
    if !f.statuses.is_empty() {
        let mut any = Cond::any();
        for s in &f.statuses {
            any = any.add(status_condition(*s, b));
        }
        all = all.add(any);
    }
    if !f.branches.is_empty() {
        let slugs: Vec<&str> = f
            .branches
            .iter()
            .map(String::as_str)
            .filter(|s| *s != "none")
            .collect();
        let in_forum = forum_members(
            Expr::col(ForumMembers::UnitId).in_subquery(
                Query::select()
                    .column(Units::Id)
                    .from(Units::Table)
                    .and_where(Expr::col(Units::Slug).is_in(slugs.iter().copied()))
                    .to_owned(),
            ),
        );
        let mut any = Cond::any()
            .add(Expr::col((Units::Table, Units::Slug)).is_in(slugs))
            .add(p(People::Id).in_subquery(in_forum));
        if f.branches.iter().any(|s| s == "none") {
            any = any.add(m(Memberships::BranchId).is_null());
        }
        all = all.add(any);
    }
    if !f.rates.is_empty() {
        all = all.add(m(Memberships::Rate).is_in(f.rates.iter().map(String::as_str)));
    }
    let came = |also: Option<Expr>| {
        let mut q = Query::select();
        q.column((EventPeople::Table, EventPeople::PersonId))
            .from(EventPeople::Table)
            .inner_join(
                Events::Table,
                Expr::col((Events::Table, Events::Id))
                    .equals((EventPeople::Table, EventPeople::EventId)),
            )
            .and_where(Expr::col((EventPeople::Table, EventPeople::State)).eq("attended"));
        if let Some(e) = also {
            q.and_where(e);
        }
        q
    };
    match f.attended {
        Some(Attended::Ever) => all = all.add(p(People::Id).in_subquery(came(None))),
        Some(Attended::Never) => all = all.add(p(People::Id).not_in_subquery(came(None))),
        Some(Attended::NoShow) => {
            all = all.add(
                p(People::Id).in_subquery(
                    Query::select()
                        .column(EventPeople::PersonId)
                        .from(EventPeople::Table)
                        .and_where(Expr::col(EventPeople::State).eq("no_show"))
                        .to_owned(),
                ),
            )
        }
        None => {}
    }
    if let Some(since) = f.attended_since {
        let from = since.and_time(chrono::NaiveTime::MIN).and_utc();
        all = all.add(p(People::Id).in_subquery(came(Some(
            Expr::col((Events::Table, Events::StartsAt)).gte(from),
        ))));
    }
    if let Some(event) = &f.event {
        all = all.add(p(People::Id).in_subquery(came(Some(
            Expr::col((Events::Table, Events::PublicId)).eq(event.as_str()),
        ))));
    }
    if let Some(rung) = f.rung {
        all = all.add(on_rung(rung, came(None), came(Some(helping()))));
    }
    if let Some(n) = f.attended_min {
        all = all.add(
            p(People::Id).in_subquery(
                Query::select()
                    .column(EventPeople::PersonId)
                    .from(EventPeople::Table)
                    .and_where(Expr::col(EventPeople::State).eq("attended"))
                    .group_by_col(EventPeople::PersonId)
                    .and_having(Expr::col(EventPeople::Id).count().gte(n))
                    .to_owned(),
            ),
        );
    }
    for a in &f.answers {
        all = all.add(p(People::Id).in_subquery(answered(a)));
    }
    if !f.kinds.is_empty() {
        all = all.add(p(People::Kind).is_in(f.kinds.iter().map(|k| k.as_str())));
    }
    if !f.genders.is_empty() {
        let common =
            [Gender::Woman, Gender::Man, Gender::NonBinary].map(|g| g.as_str().to_string());
        let mut any = Cond::any();
        for g in &f.genders {
            any = any.add(match g {
                GenderFilter::Woman => p(People::Gender).eq(Gender::Woman.as_str()),
                GenderFilter::Man => p(People::Gender).eq(Gender::Man.as_str()),
                GenderFilter::NonBinary => p(People::Gender).eq(Gender::NonBinary.as_str()),
                GenderFilter::OwnWords => p(People::Gender)
                    .is_not_null()
                    .and(p(People::Gender).is_not_in(common.clone())),
                GenderFilter::NotGiven => p(People::Gender).is_null(),
            });
        }
        all = all.add(any);
    }
    if let Some(d) = f.joined_from {
        all = all.add(m(Memberships::JoinedOn).gte(d));
    }
    if let Some(d) = f.joined_to {
        all = all.add(m(Memberships::JoinedOn).lte(d));
    }
    if let Some(d) = f.paid_from {
        all = all.add(m(Memberships::PaidUntil).gte(d));
    }
    if let Some(d) = f.paid_to {
        all = all.add(m(Memberships::PaidUntil).lte(d));
    }
    for t in &f.tags {
        all = all.add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(PersonTags::Table)
                .and_where(
                    Expr::col((PersonTags::Table, PersonTags::PersonId))
                        .equals((People::Table, People::Id)),
                )
                .and_where(Expr::col((PersonTags::Table, PersonTags::Tag)).eq(t.as_str()))
                .to_owned(),
        ));
    }
    for (channel, wanted) in &f.consents {
        let col = p(match channel {
            Channel::Email => People::EmailConsent,
            Channel::Phone => People::PhoneConsent,
            Channel::Sms => People::SmsConsent,
            Channel::Post => People::PostConsent,
        });
        all = all.add(if *wanted {
            col.eq(true)
        } else {
            col.clone().is_null().or(col.eq(false))
        });
    }
    all
}

/// Memberships with their person and branch, limited to `grants`: where every scoped
/// query starts.
fn scoped(grants: &[Grant], user_id: i64) -> SelectStatement {
    let mut s = joined();
    s.cond_where(scope_condition(grants, user_id));
    s
}

/// Memberships with their person and branch, no scope yet.
fn joined() -> SelectStatement {
    with_person_and_branch(Query::select().from(Memberships::Table)).take()
}

/// `s`, whose memberships are already in its FROM clause, joined to each one's person and
/// branch. Statements are built in place and moved, not copied: a page view builds
/// several, and copying each whole tree cost more than rendering its SQL.
fn with_person_and_branch(s: &mut SelectStatement) -> &mut SelectStatement {
    s.inner_join(
        People::Table,
        Expr::col((People::Table, People::Id)).equals((Memberships::Table, Memberships::PersonId)),
    )
    .left_join(
        Units::Table,
        Expr::col((Units::Table, Units::Id)).equals((Memberships::Table, Memberships::BranchId)),
    )
}

fn select_listed(grants: &[Grant], user_id: i64) -> SelectStatement {
    listed_columns(scoped(grants, user_id))
}

/// `Listed`'s columns, named as its fields and in their order, each with where a query
/// reads it.
fn listed() -> Vec<(String, Expr)> {
    let person = [
        People::Kind,
        People::FirstName,
        People::LastName,
        People::Email,
        People::EmailConsent,
        People::Mobile,
        People::Phone,
        People::Postcode,
        People::Gender,
    ];
    let named = |name: &str, e: Expr| (name.to_string(), e);
    let own = |c: People| (sea_query::Iden::to_string(&c), p(c));
    let membership = |c: Memberships| (sea_query::Iden::to_string(&c), m(c));
    [
        named("person_id", p(People::Id)),
        named("membership_id", m(Memberships::Id)),
        membership(Memberships::LocalPartyId),
        own(People::PublicId),
        membership(Memberships::MembershipNumber),
    ]
    .into_iter()
    .chain(person.map(own))
    .chain([
        membership(Memberships::Rate),
        named("branch_slug", Expr::col((Units::Table, Units::Slug))),
        named("branch_name", Expr::col((Units::Table, Units::Name))),
    ])
    .chain(STANDING_COLUMNS.map(membership))
    .collect()
}

/// `Line`'s columns, in its fields' order.
fn line() -> Vec<Expr> {
    [
        p(People::Id),
        m(Memberships::LocalPartyId),
        p(People::PublicId),
        m(Memberships::MembershipNumber),
        p(People::FirstName),
        p(People::LastName),
        Func::coalesce([p(People::Mobile), p(People::Phone), p(People::Email)]).into(),
        Expr::col((Units::Table, Units::Name)),
    ]
    .into_iter()
    .chain(STANDING_COLUMNS.map(m))
    .collect()
}

fn listed_columns(mut q: SelectStatement) -> SelectStatement {
    for (name, e) in listed() {
        q.expr_as(e, Alias::new(name));
    }
    q
}

/// What a list query is asked for.
pub struct ListQuery<'a> {
    pub grants: &'a [Grant],
    pub user_id: i64,
    pub filter: &'a MemberFilter,
    pub bounds: StatusBounds,
}

/// A page of the people in scope that match the filter, after `after`, and the cursor of
/// the next page if there is one.
pub async fn list(
    tx: &mut Tx<impl Mode>,
    q: &ListQuery<'_>,
    after: Option<&Cursor>,
    limit: u64,
) -> Result<(Vec<Listed>, Option<Cursor>)> {
    let rows: Vec<Listed> = tx
        .fetch_all(&listed_columns(page_statement(q, after, limit)))
        .await?;
    Ok(next_page(rows, q.filter.sort, limit))
}

/// `list` with `count`, in one statement: the page and its total come from one snapshot
/// without a transaction, and a page view is one trip to the database instead of four
/// (BEGIN, the page, the count, COMMIT). The page comes back packed (one JSON value, see
/// `store::packed`): a page view's rows cost less to move than to find. Only the page's
/// memberships are put in order, by their sort keys alone, and their columns are read
/// after the limit: sorting every match with all its columns cost a fifth of the query.
/// `beside` is one more value the page is shown with (a packed value, say), read in the
/// same trip and given back as text.
///
/// On SQLite the page's rows are put back in order here rather than in the statement:
/// SQLite orders text by its bytes, as Rust does (`Listed::order`), and ordering an
/// aggregate's rows took it a temporary b-tree, a fifth of the statement again.
/// PostgreSQL orders text by the database's collation, which only it knows, so there the
/// statement orders them.
pub async fn counted(
    tx: &mut Tx<impl Mode>,
    q: &ListQuery<'_>,
    after: Option<&Cursor>,
    limit: u64,
    beside: Expr,
) -> Result<Counted> {
    let (page, id) = (Alias::new("page"), Alias::new("membership_id"));
    let (keys, descending) = sort_keys(q.filter.sort);
    let ordered_here = tx.backend() == Backend::Sqlite;
    let keys = if ordered_here { Vec::new() } else { keys };
    let mut keyed = page_statement(q, after, limit);
    keyed.expr_as(m(Memberships::Id), id.clone());
    let mut s = Query::select();
    s.from_subquery(keyed, page.clone())
        .inner_join(Memberships::Table, m(Memberships::Id).equals((page, id)));
    with_person_and_branch(&mut s)
        .expr_as(
            super::packed(tx.backend(), line(), keys, descending),
            Alias::new("rows"),
        )
        .expr_as(Expr::from(count_statement(q)), Alias::new("total"))
        .expr_as(beside, Alias::new("beside"));
    // An aggregate with no GROUP BY answers one row, matches or none.
    let (rows, total, beside): (Option<String>, i64, Option<String>) =
        tx.fetch_optional(&s).await?.unwrap_or_default();
    let mut rows: Vec<Line> = super::unpack(rows.as_deref())?;
    if ordered_here {
        rows.sort_by(|a, b| a.keys().order(&b.keys(), q.filter.sort));
    }
    let (rows, next) = next_page(rows, q.filter.sort, limit);
    Ok(Counted {
        rows,
        next,
        total,
        beside,
    })
}

/// A page of `counted`: its rows, the cursor of the next page if there is one, the count
/// of every match, and the value asked for beside them.
pub struct Counted {
    pub rows: Vec<Line>,
    pub next: Option<Cursor>,
    pub total: i64,
    pub beside: Option<String>,
}

/// The order of a sort: each key as the query reads it, and whether it runs newest
/// first. The public id breaks ties, so the order is total. `Listed::order` and
/// `Listed::cursor` follow the same keys.
fn sort_keys(sort: Sort) -> (Vec<Expr>, bool) {
    let id = p(People::PublicId);
    match sort {
        Sort::Name => (vec![p(People::LastName), p(People::FirstName), id], false),
        Sort::Number => (vec![m(Memberships::MembershipNumber), id], false),
        Sort::JoinedNewest => (vec![m(Memberships::JoinedOn), id], true),
        Sort::JoinedOldest => (vec![m(Memberships::JoinedOn), id], false),
    }
}

/// The memberships of a page of `list`, in order, with no columns chosen yet: one more
/// than `limit`, which says whether a next page follows.
fn page_statement(q: &ListQuery<'_>, after: Option<&Cursor>, limit: u64) -> SelectStatement {
    let mut s = scoped(q.grants, q.user_id);
    s.cond_where(filter_condition(q.filter, &q.bounds));
    let (keys, desc) = sort_keys(q.filter.sort);
    if let Some(c) = after {
        let mut values: Vec<Expr> = match q.filter.sort {
            Sort::Name => {
                let (last, first) = c.key.split_once('\u{1e}').unwrap_or((&c.key, ""));
                vec![Expr::val(last), Expr::val(first)]
            }
            Sort::Number => vec![Expr::val(c.key.as_str())],
            Sort::JoinedNewest | Sort::JoinedOldest => {
                let d = c.key.parse::<NaiveDate>().unwrap_or(NaiveDate::MIN);
                vec![Expr::val(d)]
            }
        };
        values.push(Expr::val(c.id.as_str()));
        let lhs = Expr::tuple(keys.clone());
        let rhs = Expr::tuple(values);
        s.and_where(if desc { lhs.lt(rhs) } else { lhs.gt(rhs) });
    }
    for k in keys {
        s.order_by_expr(k, if desc { Order::Desc } else { Order::Asc });
    }
    s.limit(limit + 1);
    s
}

fn next_page<R: Keyed>(mut rows: Vec<R>, sort: Sort, limit: u64) -> (Vec<R>, Option<Cursor>) {
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.keys().cursor(sort))
    } else {
        None
    };
    (rows, next)
}

/// The memberships in scope that may be on the action report for `from`..=`to`: any with
/// an event since `from` (joins, renewals, leavings, transfers; and anything that changed
/// the row after `to`), or whose row puts them in arrears by `to` without having lapsed
/// before `from`. A superset: the report decides from each history.
pub async fn report_candidates(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    rules: &StatusRules,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<i64>> {
    let lapsed_before = rules
        .bounds(from.pred_opt().unwrap_or(from))
        .lapsed_if_arrears_from_by;
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            &scoped(grants, 0)
                .column((Memberships::Table, Memberships::Id))
                .cond_where(
                    Cond::any()
                        .add(Expr::exists(
                            Query::select()
                                .expr(Expr::val(1))
                                .from(MembershipEvents::Table)
                                .and_where(
                                    Expr::col((
                                        MembershipEvents::Table,
                                        MembershipEvents::MembershipId,
                                    ))
                                    .equals((Memberships::Table, Memberships::Id)),
                                )
                                .and_where(
                                    Expr::col((MembershipEvents::Table, MembershipEvents::OnDate))
                                        .gte(from),
                                )
                                .to_owned(),
                        ))
                        .add(
                            Cond::all()
                                .add(arrears_by(to))
                                .add(arrears_by(lapsed_before).not()),
                        ),
                )
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Which of these people (public ids) are in scope, with their internal ids.
pub async fn visible(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    public_ids: &[&str],
) -> Result<std::collections::HashMap<String, i64>> {
    let mut out = std::collections::HashMap::new();
    for chunk in public_ids.chunks(super::members::ID_CHUNK) {
        let rows: Vec<(String, i64)> = tx
            .fetch_all(
                &scoped(grants, user_id)
                    .column((People::Table, People::PublicId))
                    .column((People::Table, People::Id))
                    .and_where(p(People::PublicId).is_in(chunk.iter().copied()))
                    .to_owned(),
            )
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// The people in scope whose email address is on the suppression list, by name.
pub async fn bounced(tx: &mut Tx<impl Mode>, q: &ListQuery<'_>) -> Result<Vec<Listed>> {
    let mut s = select_listed(q.grants, q.user_id);
    s.cond_where(filter_condition(q.filter, &q.bounds))
        .and_where(
            p(People::Email).in_subquery(
                Query::select()
                    .column(MailSuppressions::Address)
                    .from(MailSuppressions::Table)
                    .to_owned(),
            ),
        )
        .order_by_expr(p(People::LastName), Order::Asc)
        .order_by_expr(p(People::FirstName), Order::Asc)
        .limit(5_000);
    tx.fetch_all(&s).await
}

/// Everyone in scope, by name: what likely duplicates are looked for among.
pub async fn everyone(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
) -> Result<Vec<Listed>> {
    let mut s = select_listed(grants, user_id);
    s.order_by_expr(p(People::LastName), Order::Asc)
        .order_by_expr(p(People::FirstName), Order::Asc)
        .order_by_expr(p(People::Id), Order::Asc);
    tx.fetch_all(&s).await
}

/// Which of these people (internal ids) are in scope.
pub async fn visible_people(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    person_ids: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    let mut out = std::collections::HashSet::new();
    for chunk in person_ids.chunks(super::members::ID_CHUNK) {
        let rows: Vec<(i64,)> = tx
            .fetch_all(
                &scoped(grants, user_id)
                    .column((People::Table, People::Id))
                    .and_where(p(People::Id).is_in(chunk.iter().copied()))
                    .to_owned(),
            )
            .await?;
        out.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(out)
}

/// The rows of these memberships that are in scope, by name.
pub async fn by_memberships(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    ids: &[i64],
) -> Result<Vec<Listed>> {
    listed_by(tx, (grants, user_id), m(Memberships::Id), ids).await
}

/// The rows of these people (internal ids) that are in scope, by name.
pub async fn by_people(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    ids: &[i64],
) -> Result<Vec<Listed>> {
    listed_by(tx, (grants, user_id), p(People::Id), ids).await
}

async fn listed_by(
    tx: &mut Tx<impl Mode>,
    (grants, user_id): (&[Grant], i64),
    column: Expr,
    ids: &[i64],
) -> Result<Vec<Listed>> {
    let mut out: Vec<Listed> = Vec::new();
    for chunk in ids.chunks(super::members::ID_CHUNK) {
        let mut s = select_listed(grants, user_id);
        s.and_where(column.clone().is_in(chunk.iter().copied()));
        out.extend(tx.fetch_all::<Listed, _>(&s).await?);
    }
    out.sort_by(|a, b| (&a.last_name, &a.first_name).cmp(&(&b.last_name, &b.first_name)));
    Ok(out)
}

/// How many people in scope match the filter.
pub async fn count(tx: &mut Tx<impl Mode>, q: &ListQuery<'_>) -> Result<i64> {
    let (n,): (i64,) = tx
        .fetch_optional(&count_statement(q))
        .await?
        .unwrap_or((0,));
    Ok(n)
}

fn count_statement(q: &ListQuery<'_>) -> SelectStatement {
    // With no filter and grants that name only memberships, nothing asks about the person
    // or the branch: every membership has exactly one person (a foreign key, never null),
    // so counting memberships alone gives the same number without a lookup per row.
    let memberships_alone = q.filter.is_empty()
        && q.grants
            .iter()
            .all(|g| g.reach == Reach::Everyone || g.reach.branch().is_some());
    let mut s = if memberships_alone {
        let mut s = Query::select();
        s.from(Memberships::Table)
            .cond_where(scope_condition(q.grants, q.user_id));
        s
    } else {
        scoped(q.grants, q.user_id)
    };
    s.expr(Expr::col((Memberships::Table, Memberships::Id)).count())
        .cond_where(filter_condition(q.filter, &q.bounds));
    s
}

/// One person in scope, by public id; `None` if there is no such person or they are out
/// of scope (the caller cannot tell which, by design).
pub async fn get(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    public_id: &str,
) -> Result<Option<Listed>> {
    let mut s = select_listed(grants, user_id);
    s.and_where(p(People::PublicId).eq(public_id));
    tx.fetch_optional(&s).await
}

/// The people of a local party with this email address in any case, oldest record
/// first: how someone who signs up on a public page is recognised (the `lower(email)`
/// index answers it).
pub async fn by_email(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    email: &str,
) -> Result<Vec<Listed>> {
    let grants = [Grant::everyone_in(local_party_id)];
    let mut s = select_listed(&grants, 0);
    s.and_where(lower(p(People::Email)).eq(email.to_lowercase()))
        .order_by_expr(p(People::Id), Order::Asc)
        .limit(20);
    tx.fetch_all(&s).await
}

/// People of a local party by internal id, whoever asks: for the service layer's own
/// work (a journey's step), never shown to an officer without a scope check.
pub async fn everyone_of(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    person_ids: &[i64],
) -> Result<Vec<Listed>> {
    let grants = [Grant::everyone_in(local_party_id)];
    let mut out = Vec::new();
    for chunk in person_ids.chunks(super::members::ID_CHUNK) {
        let mut s = select_listed(&grants, 0);
        s.and_where(p(People::Id).is_in(chunk.iter().copied()));
        out.extend(tx.fetch_all::<Listed, _>(&s).await?);
    }
    Ok(out)
}

/// People of a local party by public id, whoever asks: for links that are their own
/// proof (an invitation's, a cancellation's), never for an officer's request.
pub async fn by_public_ids(
    tx: &mut Tx<impl Mode>,
    local_party_id: i64,
    public_ids: &[&str],
) -> Result<Vec<Listed>> {
    let grants = [Grant::everyone_in(local_party_id)];
    let mut s = select_listed(&grants, 0);
    s.and_where(p(People::PublicId).is_in(public_ids.iter().copied()));
    tx.fetch_all(&s).await
}

/// The person `user_id` holds on call list `list_id` now. The claim on the list is the
/// access check here: a caller may ring someone outside their own scope while they hold
/// them, and no one else.
pub async fn for_call(
    tx: &mut Tx<impl Mode>,
    list_id: i64,
    user_id: i64,
    now: chrono::DateTime<Utc>,
) -> Result<Option<Listed>> {
    let mut s = listed_columns(joined());
    s.inner_join(
        CallListPeople::Table,
        Expr::col((CallListPeople::Table, CallListPeople::PersonId))
            .equals((People::Table, People::Id)),
    )
    .and_where(Expr::col((CallListPeople::Table, CallListPeople::CallListId)).eq(list_id))
    .and_where(Expr::col((CallListPeople::Table, CallListPeople::ClaimedBy)).eq(user_id))
    .and_where(Expr::col((CallListPeople::Table, CallListPeople::ClaimedUntil)).gte(now))
    .and_where(
        Expr::col((CallListPeople::Table, CallListPeople::State))
            .eq(crate::domain::calls::State::Waiting.as_str()),
    )
    .and_where(
        Expr::col((Memberships::Table, Memberships::LocalPartyId)).in_subquery(
            Query::select()
                .column(CallLists::LocalPartyId)
                .from(CallLists::Table)
                .and_where(Expr::col(CallLists::Id).eq(list_id))
                .to_owned(),
        ),
    );
    tx.fetch_optional(&s).await
}

/// The ids of this person if they are in scope: a subquery that scopes a read by person.
fn person_in_scope(grants: &[Grant], user_id: i64, person_id: i64) -> SelectStatement {
    scoped(grants, user_id)
        .column((People::Table, People::Id))
        .and_where(p(People::Id).eq(person_id))
        .to_owned()
}

/// The ids of this membership if it is in scope.
fn membership_in_scope(grants: &[Grant], user_id: i64, membership_id: i64) -> SelectStatement {
    scoped(grants, user_id)
        .column((Memberships::Table, Memberships::Id))
        .and_where(m(Memberships::Id).eq(membership_id))
        .to_owned()
}

/// The rest of a person's record, for their page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Details {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub town: Option<String>,
    pub ward: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub affiliate: Option<String>,
    pub email_consent: Option<bool>,
    pub email_consent_source: Option<String>,
    pub phone_consent: Option<bool>,
    pub phone_consent_source: Option<String>,
    pub sms_consent: Option<bool>,
    pub sms_consent_source: Option<String>,
    pub post_consent: Option<bool>,
    pub post_consent_source: Option<String>,
    pub notes: Option<String>,
}

pub async fn details(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    person_id: i64,
) -> Result<Option<Details>> {
    tx.fetch_optional(
        &Query::select()
            .columns([
                People::AddressLine1,
                People::AddressLine2,
                People::Town,
                People::Ward,
                People::DateOfBirth,
                People::Affiliate,
                People::EmailConsent,
                People::EmailConsentSource,
                People::PhoneConsent,
                People::PhoneConsentSource,
                People::SmsConsent,
                People::SmsConsentSource,
                People::PostConsent,
                People::PostConsentSource,
                People::Notes,
            ])
            .from(People::Table)
            .and_where(
                Expr::col(People::Id).in_subquery(person_in_scope(grants, user_id, person_id)),
            )
            .to_owned(),
    )
    .await
}

pub async fn tags(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    person_id: i64,
) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = tx
        .fetch_all(
            &Query::select()
                .column(PersonTags::Tag)
                .from(PersonTags::Table)
                .and_where(
                    Expr::col(PersonTags::PersonId)
                        .in_subquery(person_in_scope(grants, user_id, person_id)),
                )
                .order_by(PersonTags::Tag, Order::Asc)
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// A membership's history, oldest first.
pub async fn history(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    membership_id: i64,
) -> Result<Vec<Event>> {
    let rows: Vec<(String, NaiveDate, Option<NaiveDate>, Option<String>)> = tx
        .fetch_all(
            &Query::select()
                .columns([
                    MembershipEvents::Kind,
                    MembershipEvents::OnDate,
                    MembershipEvents::PaidUntil,
                    MembershipEvents::Detail,
                ])
                .from(MembershipEvents::Table)
                .and_where(
                    Expr::col(MembershipEvents::MembershipId).in_subquery(membership_in_scope(
                        grants,
                        user_id,
                        membership_id,
                    )),
                )
                .order_by(MembershipEvents::OnDate, Order::Asc)
                .order_by(MembershipEvents::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, on, paid_until, detail)| {
            Some(Event {
                kind: EventKind::parse(&kind)?,
                on,
                paid_until,
                detail,
            })
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Payment {
    pub public_id: String,
    pub paid_on: NaiveDate,
    pub amount_pence: i64,
    pub method: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
}

pub async fn payments(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    membership_id: i64,
) -> Result<Vec<Payment>> {
    tx.fetch_all(
        &Query::select()
            .columns([
                Payments::PublicId,
                Payments::PaidOn,
                Payments::AmountPence,
                Payments::Method,
                Payments::PeriodFrom,
                Payments::PeriodTo,
            ])
            .from(Payments::Table)
            .and_where(
                Expr::col(Payments::MembershipId).in_subquery(membership_in_scope(
                    grants,
                    user_id,
                    membership_id,
                )),
            )
            .order_by(Payments::PaidOn, Order::Desc)
            .order_by(Payments::Id, Order::Desc)
            .to_owned(),
    )
    .await
}

/// An audit entry about one person, as their record shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Noted {
    pub at: chrono::DateTime<Utc>,
    /// The officer's name (or the actor as written, for an operator or the schedule).
    pub by: String,
    pub detail: String,
}

/// The latest audit entries of one kind (`member.view`, `member.update`) naming a
/// person, newest first.
pub async fn noted(
    tx: &mut Tx<impl Mode>,
    person_id: i64,
    action: &str,
    limit: u64,
) -> Result<Vec<Noted>> {
    tx.fetch_all(
        &Query::select()
            .column((AuditLog::Table, AuditLog::At))
            .expr_as(
                Expr::col((Users::Table, Users::Name))
                    .if_null(Expr::col((AuditLog::Table, AuditLog::Actor))),
                Alias::new("by"),
            )
            .column((AuditLog::Table, AuditLog::Detail))
            .from(AuditLog::Table)
            .left_join(
                Users::Table,
                Expr::col((Users::Table, Users::Email)).equals((AuditLog::Table, AuditLog::Actor)),
            )
            .and_where(
                Expr::col((AuditLog::Table, AuditLog::Id)).in_subquery(
                    Query::select()
                        .column(AuditPeople::EntryId)
                        .from(AuditPeople::Table)
                        .and_where(Expr::col(AuditPeople::PersonId).eq(person_id))
                        .to_owned(),
                ),
            )
            .and_where(Expr::col((AuditLog::Table, AuditLog::Action)).eq(action))
            .order_by((AuditLog::Table, AuditLog::Id), Order::Desc)
            .limit(limit)
            .to_owned(),
    )
    .await
}

/// Writes a person's contact details. Consents that changed get `source` and now.
pub async fn update_contact(
    tx: &mut Tx,
    person_id: i64,
    old_consents: [Option<bool>; 4],
    c: &crate::domain::forms::Contact,
    source: &str,
) -> Result<()> {
    let now = Utc::now();
    let mut q = Query::update();
    q.table(People::Table)
        .value(People::FirstName, c.first_name.as_str())
        .value(People::LastName, c.last_name.as_str())
        .value(People::Email, c.email.clone())
        .value(People::Mobile, c.mobile.clone())
        .value(People::Phone, c.phone.clone())
        .value(People::AddressLine1, c.address_line1.clone())
        .value(People::AddressLine2, c.address_line2.clone())
        .value(People::Town, c.town.clone())
        .value(People::Postcode, c.postcode.clone())
        .value(
            People::Gender,
            c.gender.as_ref().map(|g| g.as_str().to_string()),
        )
        .value(People::Notes, c.notes.clone())
        .value(People::Kind, c.kind.as_str())
        .value(People::UpdatedAt, now);
    for (i, [flag, src, at]) in super::members::CONSENT_COLUMNS.into_iter().enumerate() {
        if c.consents[i] != old_consents[i] {
            q.value(flag, c.consents[i])
                .value(src, source)
                .value(at, now);
        }
    }
    q.and_where(Expr::col(People::Id).eq(person_id));
    tx.execute(&q).await?;
    Ok(())
}

/// Records a payment and moves paid-until on, writing the renewal (or rejoining) to the
/// history. `rejoined` starts a new span from the payment's date.
pub async fn record_payment(
    tx: &mut Tx,
    membership_id: i64,
    payment: &super::members::NewPayment,
    new_paid_until: NaiveDate,
    rejoined: bool,
) -> Result<String> {
    let public_id = super::members::add_payments(tx, &[(membership_id, payment)], Utc::now())
        .await?
        .into_iter()
        .next()
        .unwrap_or_default();
    let mut u = Query::update();
    u.table(Memberships::Table)
        .value(Memberships::PaidUntil, new_paid_until)
        .value(Memberships::UpdatedAt, Utc::now());
    if rejoined {
        u.value(Memberships::JoinedOn, payment.paid_on)
            .value(Memberships::LeftOn, Option::<NaiveDate>::None)
            .value(Memberships::LeftReason, Option::<String>::None);
    }
    u.and_where(Expr::col(Memberships::Id).eq(membership_id));
    tx.execute(&u).await?;
    let kind = if rejoined {
        EventKind::Rejoined
    } else {
        EventKind::Renewed
    };
    let detail = format!(
        "paid £{}.{:02} by {}",
        payment.amount_pence / 100,
        payment.amount_pence % 100,
        payment.method
    );
    let event = Event::new(kind, payment.paid_on, Some(new_paid_until)).with_detail(detail);
    super::members::add_events(tx, &[(membership_id, &event)]).await?;
    Ok(public_id)
}

/// Records that a membership ended (resignation, death, expulsion) on a date.
pub async fn record_leaving(
    tx: &mut Tx,
    membership_id: i64,
    reason: LeftReason,
    on: NaiveDate,
    detail: Option<String>,
) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Memberships::Table)
            .value(Memberships::LeftOn, on)
            .value(Memberships::LeftReason, reason.as_str())
            .value(Memberships::UpdatedAt, Utc::now())
            .and_where(Expr::col(Memberships::Id).eq(membership_id))
            .to_owned(),
    )
    .await?;
    let kind = match reason {
        LeftReason::Resigned => EventKind::Resigned,
        LeftReason::Deceased => EventKind::Died,
        LeftReason::Expelled => EventKind::Expelled,
    };
    let mut event = Event::new(kind, on, None);
    event.detail = detail;
    super::members::add_events(tx, &[(membership_id, &event)]).await
}

/// The dates people in scope joined or rejoined on, from `since` (for the dashboard's
/// chart; lapses are derived from dates, so they come from `recent_lapses`).
pub async fn joins_by_month(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    since: NaiveDate,
) -> Result<Vec<NaiveDate>> {
    let rows: Vec<(NaiveDate,)> = tx
        .fetch_all(
            &scoped(grants, user_id)
                .column((MembershipEvents::Table, MembershipEvents::OnDate))
                .inner_join(
                    MembershipEvents::Table,
                    Expr::col((MembershipEvents::Table, MembershipEvents::MembershipId))
                        .equals((Memberships::Table, Memberships::Id)),
                )
                .and_where(
                    Expr::col((MembershipEvents::Table, MembershipEvents::Kind))
                        .is_in([EventKind::Joined.as_str(), EventKind::Rejoined.as_str()]),
                )
                .and_where(
                    Expr::col((MembershipEvents::Table, MembershipEvents::OnDate)).gte(since),
                )
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

/// How many people in scope have each status on the bounds' day, in `Status::ALL` order,
/// counted by the database in one pass.
pub async fn status_counts(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    bounds: &StatusBounds,
) -> Result<Vec<(Status, i64)>> {
    let mut s = scoped(grants, user_id);
    for (i, status) in Status::ALL.iter().enumerate() {
        s.expr_as(
            Expr::case(status_condition(*status, bounds), 1)
                .finally(0)
                .sum(),
            Alias::new(format!("s{i}")),
        );
    }
    let row: Option<StatusSums> = tx.fetch_optional(&s).await?;
    let sums = row.map(|r| r.0).unwrap_or_default();
    Ok(Status::ALL.iter().copied().zip(sums).collect())
}

struct StatusSums(Vec<i64>);

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for StatusSums
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> std::result::Result<Self, sqlx::Error> {
        (0..Status::ALL.len())
            .map(|i| {
                row.try_get::<Option<i64>, _>(format!("s{i}").as_str())
                    .map(|v| v.unwrap_or(0))
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(StatusSums)
    }
}

/// The start and paid-until of every lapsed membership in scope whose arrears began on or
/// after `arrears_since`, for charting when each lapsed.
pub async fn recent_lapses(
    tx: &mut Tx<impl Mode>,
    grants: &[Grant],
    user_id: i64,
    bounds: &StatusBounds,
    arrears_since: NaiveDate,
) -> Result<Vec<(NaiveDate, Option<NaiveDate>)>> {
    tx.fetch_all(
        &scoped(grants, user_id)
            .columns([
                (Memberships::Table, Memberships::JoinedOn),
                (Memberships::Table, Memberships::PaidUntil),
            ])
            .cond_where(status_condition(Status::Lapsed, bounds))
            .cond_where(arrears_by(arrears_since.pred_opt().unwrap_or(NaiveDate::MIN)).not())
            .to_owned(),
    )
    .await
}
