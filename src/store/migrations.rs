//! Schema migrations, written once with sea-query's schema builder and rendered for the
//! connected backend. Each runs in its own transaction and is recorded by version, so
//! `migrate` is safe to run at every start.

use chrono::Utc;
use sea_query::{
    Alias, ColumnDef, Expr, ExprTrait, ForeignKey, ForeignKeyAction, Index, IndexCreateStatement,
    PostgresQueryBuilder, Query, SqliteQueryBuilder, Table, TableAlterStatement,
    TableCreateStatement,
};

use super::schema::*;
use super::{Backend, Db, Result, units};

/// Applies every migration the database has not had yet and, on a new database, creates
/// the default local party. Returns how many migrations ran.
pub async fn migrate(db: &Db) -> Result<usize> {
    migrate_to(db, LATEST).await
}

/// The schema version `migrate` brings a database to.
pub const LATEST: i32 = MIGRATIONS.len() as i32;

/// Applies the migrations up to and including `target`: `migrate`, or a database as an
/// older release of Rosette left it (the upgrade tests start from one).
pub async fn migrate_to(db: &Db, target: i32) -> Result<usize> {
    let mut tx = db.begin().await?;
    let ledger = Table::create()
        .table(SchemaMigrations::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(SchemaMigrations::Version)
                .integer()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(SchemaMigrations::Name).text().not_null())
        .col(
            ColumnDef::new(SchemaMigrations::AppliedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned();
    tx.execute_raw(&render_table(&ledger, tx.backend())).await?;
    tx.commit().await?;

    let mut ran = 0;
    for (version, name, steps) in MIGRATIONS.iter().filter(|(v, _, _)| *v <= target) {
        let mut tx = db.begin().await?;
        let applied: Option<(i32,)> = tx
            .fetch_optional(
                &Query::select()
                    .column(SchemaMigrations::Version)
                    .from(SchemaMigrations::Table)
                    .and_where(Expr::col(SchemaMigrations::Version).eq(*version))
                    .to_owned(),
            )
            .await?;
        if applied.is_some() {
            continue;
        }
        for step in steps() {
            let sql = match step {
                Step::Table(t) => render_table(&t, tx.backend()),
                Step::Clustered(t) => {
                    let table = render_table(&t, tx.backend());
                    match tx.backend() {
                        Backend::Sqlite => format!("{table} WITHOUT ROWID"),
                        Backend::Postgres => table,
                    }
                }
                Step::Index(i) => render_index(&i, tx.backend()),
                Step::Alter(a) => match tx.backend() {
                    Backend::Sqlite => a.to_string(SqliteQueryBuilder),
                    Backend::Postgres => a.to_string(PostgresQueryBuilder),
                },
                Step::Fill(sql) => sql.to_string(),
            };
            tx.execute_raw(&sql).await?;
        }
        tx.execute(
            &Query::insert()
                .into_table(SchemaMigrations::Table)
                .columns([
                    SchemaMigrations::Version,
                    SchemaMigrations::Name,
                    SchemaMigrations::AppliedAt,
                ])
                .values_panic([(*version).into(), (*name).into(), Utc::now().into()])
                .to_owned(),
        )
        .await?;
        tx.commit().await?;
        ran += 1;
    }

    let mut tx = db.begin().await?;
    units::ensure_default_local_party(&mut tx).await?;
    tx.commit().await?;
    Ok(ran)
}

enum Step {
    Table(Box<TableCreateStatement>),
    Index(Box<IndexCreateStatement>),
    Alter(Box<TableAlterStatement>),
    /// A table whose primary key is all it is looked up by: on SQLite it is stored in that
    /// key's b-tree alone (`WITHOUT ROWID`), where a plain table would keep a rowid b-tree
    /// and an index beside it, and every insert would write both.
    Clustered(Box<TableCreateStatement>),
    /// Rows carried over from what earlier versions kept (an `INSERT … SELECT` or an
    /// `UPDATE`), or an index on an expression, which both engines write alike.
    Fill(&'static str),
}

type Migration = (i32, &'static str, fn() -> Vec<Step>);

const MIGRATIONS: &[Migration] = &[
    (1, "membership register", initial),
    (2, "officers, sessions, segments and mail", officers),
    (3, "second factor", second_factor),
    (4, "kept action reports", kept_reports),
    (5, "call lists", call_lists),
    (6, "tasks", tasks),
    (7, "report period per local party", report_period),
    (8, "job queue", job_queue),
    (9, "people named by each audit entry", audit_people),
    (
        10,
        "what was done, when a task is closed",
        task_closing_note,
    ),
    (11, "emails to members", emails),
    (
        12,
        "history names a move as moved and rate_changed",
        event_names,
    ),
    (13, "forum branches", forum_branches),
    (14, "member files uploaded through the web", web_imports),
    (15, "events and who comes to them", events),
    (
        16,
        "event sign-ups, reminders, changes and calendar feeds",
        event_sign_ups,
    ),
    (17, "new members welcomed", welcomes),
    (18, "journeys", journeys),
    (19, "training records", training),
    (20, "notices to branch officers", notices),
    (21, "surveys", surveys),
    (22, "stakeholder organisations", organisations),
    (23, "journeys for one branch", branch_journeys),
    (
        24,
        "audit entries kept by the person they name",
        audit_people_by_person,
    ),
    (25, "audit journal segments taken in", audit_segments),
    (
        26,
        "a branch's memberships found from one index",
        branch_memberships_covered,
    ),
];

fn render_table(t: &TableCreateStatement, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => t.to_string(SqliteQueryBuilder),
        Backend::Postgres => t.to_string(PostgresQueryBuilder),
    }
}

fn render_index(i: &IndexCreateStatement, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => i.to_string(SqliteQueryBuilder),
        Backend::Postgres => i.to_string(PostgresQueryBuilder),
    }
}

fn id(col: impl sea_query::IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn text(col: impl sea_query::IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn text_null(col: impl sea_query::IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

fn stamp(col: impl sea_query::IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn fk(
    from: (impl sea_query::IntoIden, impl sea_query::IntoIden),
    to: (impl sea_query::IntoIden, impl sea_query::IntoIden),
    on_delete: ForeignKeyAction,
) -> sea_query::ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

fn index(name: &str, table: impl sea_query::IntoIden, cols: &[&'static str], unique: bool) -> Step {
    let mut i = Index::create().name(name).table(table).to_owned();
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    Step::Index(Box::new(i))
}

fn initial() -> Vec<Step> {
    let consent = |flag, source, at| {
        [
            ColumnDef::new(flag).boolean().null().to_owned(),
            text_null(source),
            ColumnDef::new(at)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ]
    };
    let mut people = Table::create()
        .table(People::Table)
        .col(id(People::Id))
        .col(text(People::PublicId).unique_key().to_owned())
        .col(
            ColumnDef::new(People::LocalPartyId)
                .big_integer()
                .not_null(),
        )
        .col(text(People::Kind))
        .col(text(People::FirstName))
        .col(text(People::LastName))
        .col(text_null(People::Email))
        .col(text_null(People::Mobile))
        .col(text_null(People::Phone))
        .col(text_null(People::AddressLine1))
        .col(text_null(People::AddressLine2))
        .col(text_null(People::Town))
        .col(text_null(People::Postcode))
        .col(text_null(People::Ward))
        .col(ColumnDef::new(People::DateOfBirth).date().null())
        .col(text_null(People::Gender))
        .col(text_null(People::Affiliate))
        .to_owned();
    for cols in [
        consent(
            People::EmailConsent,
            People::EmailConsentSource,
            People::EmailConsentAt,
        ),
        consent(
            People::PhoneConsent,
            People::PhoneConsentSource,
            People::PhoneConsentAt,
        ),
        consent(
            People::SmsConsent,
            People::SmsConsentSource,
            People::SmsConsentAt,
        ),
        consent(
            People::PostConsent,
            People::PostConsentSource,
            People::PostConsentAt,
        ),
    ] {
        for c in cols {
            people.col(c);
        }
    }
    people
        .col(text_null(People::Notes))
        .col(stamp(People::CreatedAt))
        .col(stamp(People::UpdatedAt))
        .foreign_key(&mut fk(
            (People::Table, People::LocalPartyId),
            (Units::Table, Units::Id),
            ForeignKeyAction::Restrict,
        ));

    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Units::Table)
                .col(id(Units::Id))
                .col(text(Units::PublicId).unique_key().to_owned())
                .col(text(Units::Slug).unique_key().to_owned())
                .col(text(Units::Name))
                .col(text(Units::Kind))
                .col(text_null(Units::BranchType))
                .col(ColumnDef::new(Units::ParentId).big_integer().null())
                .col(stamp(Units::CreatedAt))
                .foreign_key(&mut fk(
                    (Units::Table, Units::ParentId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )),
        index("units_parent", Units::Table, &["parent_id"], false),
        Step::Table(Box::new(
            Table::create()
                .table(Wards::Table)
                .col(id(Wards::Id))
                .col(ColumnDef::new(Wards::LocalPartyId).big_integer().not_null())
                .col(text(Wards::Name))
                .col(text(Wards::NameKey))
                .col(ColumnDef::new(Wards::BranchId).big_integer().not_null())
                .foreign_key(&mut fk(
                    (Wards::Table, Wards::LocalPartyId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (Wards::Table, Wards::BranchId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "wards_key",
            Wards::Table,
            &["local_party_id", "name_key"],
            true,
        ),
        Step::Table(Box::new(people)),
        index(
            "people_party_name",
            People::Table,
            &["local_party_id", "last_name", "first_name"],
            false,
        ),
        index("people_email", People::Table, &["email"], false),
        index("people_postcode", People::Table, &["postcode"], false),
        Step::Table(Box::new(
            Table::create()
                .table(PersonTags::Table)
                .col(
                    ColumnDef::new(PersonTags::PersonId)
                        .big_integer()
                        .not_null(),
                )
                .col(text(PersonTags::Tag))
                .primary_key(
                    Index::create()
                        .col(PersonTags::PersonId)
                        .col(PersonTags::Tag),
                )
                .foreign_key(&mut fk(
                    (PersonTags::Table, PersonTags::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index("person_tags_tag", PersonTags::Table, &["tag"], false),
        Step::Table(Box::new(
            Table::create()
                .table(Memberships::Table)
                .col(id(Memberships::Id))
                .col(text(Memberships::PublicId).unique_key().to_owned())
                .col(
                    ColumnDef::new(Memberships::PersonId)
                        .big_integer()
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Memberships::LocalPartyId)
                        .big_integer()
                        .not_null(),
                )
                .col(text(Memberships::MembershipNumber))
                .col(text(Memberships::Rate))
                .col(ColumnDef::new(Memberships::BranchId).big_integer().null())
                .col(ColumnDef::new(Memberships::JoinedOn).date().not_null())
                .col(ColumnDef::new(Memberships::PaidUntil).date().null())
                .col(ColumnDef::new(Memberships::LeftOn).date().null())
                .col(text_null(Memberships::LeftReason))
                .col(
                    ColumnDef::new(Memberships::Suspended)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(stamp(Memberships::CreatedAt))
                .col(stamp(Memberships::UpdatedAt))
                .foreign_key(&mut fk(
                    (Memberships::Table, Memberships::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (Memberships::Table, Memberships::LocalPartyId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    (Memberships::Table, Memberships::BranchId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )),
        index(
            "memberships_number",
            Memberships::Table,
            &["local_party_id", "membership_number"],
            true,
        ),
        index(
            "memberships_branch",
            Memberships::Table,
            &["branch_id", "paid_until"],
            false,
        ),
        index(
            "memberships_party_paid",
            Memberships::Table,
            &["local_party_id", "paid_until"],
            false,
        ),
        Step::Table(Box::new(
            Table::create()
                .table(MembershipEvents::Table)
                .col(id(MembershipEvents::Id))
                .col(
                    ColumnDef::new(MembershipEvents::MembershipId)
                        .big_integer()
                        .not_null(),
                )
                .col(text(MembershipEvents::Kind))
                .col(ColumnDef::new(MembershipEvents::OnDate).date().not_null())
                .col(ColumnDef::new(MembershipEvents::PaidUntil).date().null())
                .col(text_null(MembershipEvents::Detail))
                .col(stamp(MembershipEvents::RecordedAt))
                .foreign_key(&mut fk(
                    (MembershipEvents::Table, MembershipEvents::MembershipId),
                    (Memberships::Table, Memberships::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "membership_events_membership",
            MembershipEvents::Table,
            &["membership_id", "on_date"],
            false,
        ),
        index(
            "membership_events_kind_date",
            MembershipEvents::Table,
            &["kind", "on_date"],
            false,
        ),
        Step::Table(Box::new(
            Table::create()
                .table(Payments::Table)
                .col(id(Payments::Id))
                .col(text(Payments::PublicId).unique_key().to_owned())
                .col(
                    ColumnDef::new(Payments::MembershipId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Payments::PaidOn).date().not_null())
                .col(
                    ColumnDef::new(Payments::AmountPence)
                        .big_integer()
                        .not_null(),
                )
                .col(text(Payments::Method))
                .col(ColumnDef::new(Payments::PeriodFrom).date().not_null())
                .col(ColumnDef::new(Payments::PeriodTo).date().not_null())
                .col(stamp(Payments::RecordedAt))
                .foreign_key(&mut fk(
                    (Payments::Table, Payments::MembershipId),
                    (Memberships::Table, Memberships::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "payments_membership",
            Payments::Table,
            &["membership_id", "paid_on"],
            false,
        ),
        Step::Table(Box::new(
            Table::create()
                .table(AuditLog::Table)
                .col(id(AuditLog::Id))
                .col(stamp(AuditLog::At))
                .col(text(AuditLog::Actor))
                .col(text(AuditLog::Action))
                .col(text(AuditLog::Subject))
                .col(text(AuditLog::Detail))
                .to_owned(),
        )),
        index("audit_log_at", AuditLog::Table, &["at"], false),
    ]
}

fn fk_col(col: impl sea_query::IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

fn officers() -> Vec<Step> {
    let table = |t: &mut TableCreateStatement| Step::Table(Box::new(t.to_owned()));
    vec![
        table(
            Table::create()
                .table(Users::Table)
                .col(id(Users::Id))
                .col(text(Users::PublicId).unique_key().to_owned())
                .col(text(Users::Email).unique_key().to_owned())
                .col(text(Users::Name))
                .col(text_null(Users::PasswordHash))
                .col(stamp(Users::CreatedAt))
                .col(
                    ColumnDef::new(Users::DisabledAt)
                        .timestamp_with_time_zone()
                        .null(),
                ),
        ),
        table(
            Table::create()
                .table(RoleAssignments::Table)
                .col(id(RoleAssignments::Id))
                .col(text(RoleAssignments::PublicId).unique_key().to_owned())
                .col(fk_col(RoleAssignments::UserId))
                .col(text(RoleAssignments::Role))
                .col(fk_col(RoleAssignments::UnitId))
                .col(stamp(RoleAssignments::CreatedAt))
                .col(text(RoleAssignments::CreatedBy))
                .foreign_key(&mut fk(
                    (RoleAssignments::Table, RoleAssignments::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (RoleAssignments::Table, RoleAssignments::UnitId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                )),
        ),
        index(
            "role_assignments_unique",
            RoleAssignments::Table,
            &["user_id", "role", "unit_id"],
            true,
        ),
        table(
            Table::create()
                .table(Sessions::Table)
                .col(text(Sessions::IdHash).primary_key().to_owned())
                .col(fk_col(Sessions::UserId))
                .col(text(Sessions::Csrf))
                .col(stamp(Sessions::CreatedAt))
                .col(stamp(Sessions::LastSeenAt))
                .foreign_key(&mut fk(
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                )),
        ),
        index("sessions_user", Sessions::Table, &["user_id"], false),
        table(
            Table::create()
                .table(ApiTokens::Table)
                .col(id(ApiTokens::Id))
                .col(fk_col(ApiTokens::UserId))
                .col(text(ApiTokens::TokenHash).unique_key().to_owned())
                .col(stamp(ApiTokens::CreatedAt))
                .col(
                    ColumnDef::new(ApiTokens::LastUsedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(&mut fk(
                    (ApiTokens::Table, ApiTokens::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                )),
        ),
        table(
            Table::create()
                .table(OneTimeLinks::Table)
                .col(text(OneTimeLinks::TokenHash).primary_key().to_owned())
                .col(fk_col(OneTimeLinks::UserId))
                .col(text(OneTimeLinks::Purpose))
                .col(stamp(OneTimeLinks::ExpiresAt))
                .col(
                    ColumnDef::new(OneTimeLinks::UsedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(stamp(OneTimeLinks::CreatedAt))
                .foreign_key(&mut fk(
                    (OneTimeLinks::Table, OneTimeLinks::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                )),
        ),
        table(
            Table::create()
                .table(SignInFailures::Table)
                .col(id(SignInFailures::Id))
                .col(text(SignInFailures::Key))
                .col(stamp(SignInFailures::At)),
        ),
        index(
            "sign_in_failures_key",
            SignInFailures::Table,
            &["key", "at"],
            false,
        ),
        table(
            Table::create()
                .table(CallerAssignments::Table)
                .col(fk_col(CallerAssignments::UserId))
                .col(fk_col(CallerAssignments::PersonId))
                .col(stamp(CallerAssignments::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(CallerAssignments::UserId)
                        .col(CallerAssignments::PersonId),
                )
                .foreign_key(&mut fk(
                    (CallerAssignments::Table, CallerAssignments::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (CallerAssignments::Table, CallerAssignments::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                )),
        ),
        table(
            Table::create()
                .table(Segments::Table)
                .col(id(Segments::Id))
                .col(text(Segments::PublicId).unique_key().to_owned())
                .col(fk_col(Segments::LocalPartyId))
                .col(text(Segments::Name))
                .col(text(Segments::Query))
                .col(text(Segments::CreatedBy))
                .col(stamp(Segments::CreatedAt))
                .foreign_key(&mut fk(
                    (Segments::Table, Segments::LocalPartyId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                )),
        ),
        index(
            "segments_name",
            Segments::Table,
            &["local_party_id", "name"],
            true,
        ),
        table(
            Table::create()
                .table(Outbox::Table)
                .col(id(Outbox::Id))
                .col(text(Outbox::PublicId).unique_key().to_owned())
                .col(text(Outbox::ToAddress))
                .col(text(Outbox::Subject))
                .col(text(Outbox::Body))
                .col(text(Outbox::State))
                .col(
                    ColumnDef::new(Outbox::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(stamp(Outbox::NextAttemptAt))
                .col(text_null(Outbox::LastError))
                .col(stamp(Outbox::CreatedAt))
                .col(
                    ColumnDef::new(Outbox::SentAt)
                        .timestamp_with_time_zone()
                        .null(),
                ),
        ),
        index(
            "outbox_due",
            Outbox::Table,
            &["state", "next_attempt_at"],
            false,
        ),
        table(
            Table::create()
                .table(MailSuppressions::Table)
                .col(text(MailSuppressions::Address).primary_key().to_owned())
                .col(text(MailSuppressions::Reason))
                .col(stamp(MailSuppressions::At)),
        ),
        // Each local party's Secretary reads its own part of the log.
        Step::Alter(Box::new(
            Table::alter()
                .table(AuditLog::Table)
                .add_column(ColumnDef::new(AuditLog::LocalPartyId).big_integer().null())
                .to_owned(),
        )),
        index(
            "audit_log_party",
            AuditLog::Table,
            &["local_party_id", "at"],
            false,
        ),
        index(
            "audit_log_subject",
            AuditLog::Table,
            &["subject", "at"],
            false,
        ),
        index(
            "people_party_gender",
            People::Table,
            &["local_party_id", "gender"],
            false,
        ),
    ]
}

fn second_factor() -> Vec<Step> {
    // SQLite adds one column per ALTER TABLE.
    let add = |table: &dyn Fn() -> TableAlterStatement, col: ColumnDef| {
        Step::Alter(Box::new(table().add_column(col).to_owned()))
    };
    let users = || Table::alter().table(Users::Table).to_owned();
    let flag = |col: Sessions| {
        ColumnDef::new(col)
            .boolean()
            .not_null()
            .default(false)
            .to_owned()
    };
    vec![
        add(&users, text_null(Users::TotpSecret)),
        add(&users, text_null(Users::TotpPending)),
        add(
            &users,
            ColumnDef::new(Users::TotpLastStep)
                .big_integer()
                .null()
                .to_owned(),
        ),
        add(
            &|| Table::alter().table(Sessions::Table).to_owned(),
            flag(Sessions::SecondFactorPending),
        ),
        add(
            &|| Table::alter().table(Units::Table).to_owned(),
            ColumnDef::new(Units::RequireSecondFactor)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ),
    ]
}

fn kept_reports() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(ActionReports::Table)
                .col(id(ActionReports::Id))
                .col(text(ActionReports::PublicId).unique_key().to_owned())
                .col(fk_col(ActionReports::LocalPartyId))
                .col(ColumnDef::new(ActionReports::PeriodFrom).date().not_null())
                .col(ColumnDef::new(ActionReports::PeriodTo).date().not_null())
                .col(stamp(ActionReports::GeneratedAt))
                .col(text(ActionReports::GeneratedBy))
                .col(text(ActionReports::Body))
                .foreign_key(&mut fk(
                    (ActionReports::Table, ActionReports::LocalPartyId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        // One report per local party and period end, however many servers try to make it.
        index(
            "action_reports_once",
            ActionReports::Table,
            &["local_party_id", "period_to"],
            true,
        ),
    ]
}

fn call_lists() -> Vec<Step> {
    let flag = |col: CallListPeople| {
        ColumnDef::new(col)
            .boolean()
            .not_null()
            .default(false)
            .to_owned()
    };
    let when = |col| {
        ColumnDef::new(col)
            .timestamp_with_time_zone()
            .null()
            .to_owned()
    };
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(CallLists::Table)
                .col(id(CallLists::Id))
                .col(text(CallLists::PublicId).unique_key().to_owned())
                .col(fk_col(CallLists::LocalPartyId))
                .col(text(CallLists::Name))
                .col(text(CallLists::Script))
                .col(text(CallLists::DoneWhen))
                .col(ColumnDef::new(CallLists::MinGapHours).integer().not_null())
                .col(text(CallLists::CreatedBy))
                .col(stamp(CallLists::CreatedAt))
                .foreign_key(&mut fk(
                    (CallLists::Table, CallLists::LocalPartyId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(CallListPeople::Table)
                .col(fk_col(CallListPeople::CallListId))
                .col(fk_col(CallListPeople::PersonId))
                .col(text(CallListPeople::State))
                .col(
                    ColumnDef::new(CallListPeople::ClaimedBy)
                        .big_integer()
                        .null(),
                )
                .col(when(CallListPeople::ClaimedUntil))
                .col(when(CallListPeople::LastAttemptAt))
                .col(flag(CallListPeople::NeedsOfficer))
                .primary_key(
                    Index::create()
                        .col(CallListPeople::CallListId)
                        .col(CallListPeople::PersonId),
                )
                .foreign_key(&mut fk(
                    (CallListPeople::Table, CallListPeople::CallListId),
                    (CallLists::Table, CallLists::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (CallListPeople::Table, CallListPeople::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(CallListCallers::Table)
                .col(fk_col(CallListCallers::CallListId))
                .col(fk_col(CallListCallers::UserId))
                .primary_key(
                    Index::create()
                        .col(CallListCallers::CallListId)
                        .col(CallListCallers::UserId),
                )
                .foreign_key(&mut fk(
                    (CallListCallers::Table, CallListCallers::CallListId),
                    (CallLists::Table, CallLists::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (CallListCallers::Table, CallListCallers::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(CallOutcomes::Table)
                .col(id(CallOutcomes::Id))
                .col(fk_col(CallOutcomes::CallListId))
                .col(fk_col(CallOutcomes::PersonId))
                .col(fk_col(CallOutcomes::UserId))
                .col(text(CallOutcomes::Outcome))
                .col(text_null(CallOutcomes::Notes))
                .col(
                    ColumnDef::new(CallOutcomes::NeedsOfficer)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(stamp(CallOutcomes::At))
                .foreign_key(&mut fk(
                    (CallOutcomes::Table, CallOutcomes::CallListId),
                    (CallLists::Table, CallLists::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (CallOutcomes::Table, CallOutcomes::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "call_outcomes_person",
            CallOutcomes::Table,
            &["person_id", "at"],
            false,
        ),
    ]
}

fn tasks() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Tasks::Table)
                .col(id(Tasks::Id))
                .col(text(Tasks::PublicId).unique_key().to_owned())
                .col(fk_col(Tasks::LocalPartyId))
                .col(fk_col(Tasks::PersonId))
                .col(text(Tasks::Kind))
                .col(fk_col(Tasks::AssigneeId))
                .col(ColumnDef::new(Tasks::DueOn).date().not_null())
                .col(text_null(Tasks::Notes))
                .col(
                    ColumnDef::new(Tasks::DoneAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(text(Tasks::CreatedBy))
                .col(stamp(Tasks::CreatedAt))
                .foreign_key(&mut fk(
                    (Tasks::Table, Tasks::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (Tasks::Table, Tasks::AssigneeId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "tasks_assignee",
            Tasks::Table,
            &["assignee_id", "due_on"],
            false,
        ),
        index("tasks_person", Tasks::Table, &["person_id"], false),
    ]
}

fn report_period() -> Vec<Step> {
    vec![Step::Alter(Box::new(
        Table::alter()
            .table(Units::Table)
            .add_column(ColumnDef::new(Units::ReportPeriodDays).integer().null())
            .to_owned(),
    ))]
}

fn job_queue() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Jobs::Table)
                .col(id(Jobs::Id))
                .col(text(Jobs::Kind))
                .col(text(Jobs::Payload))
                // Unique among jobs not yet finished: cleared when a job ends, so the same
                // key can be queued again later (NULLs never collide).
                .col(text_null(Jobs::UniqueKey).unique_key().to_owned())
                .col(text(Jobs::State))
                .col(stamp(Jobs::RunAt))
                .col(ColumnDef::new(Jobs::Attempts).integer().not_null())
                .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                .col(text_null(Jobs::LockedBy))
                .col(
                    ColumnDef::new(Jobs::LockedUntil)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(text_null(Jobs::LastError))
                .col(stamp(Jobs::CreatedAt))
                .col(
                    ColumnDef::new(Jobs::FinishedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )),
        index("jobs_due", Jobs::Table, &["state", "run_at"], false),
    ]
}

/// Who each audit entry concerns, one row per person, so "who looked at this record" is an
/// index lookup and an export of half a million people writes rows, not one huge string.
/// No foreign key to people: an entry outlives the record it names.
fn audit_people() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(AuditPeople::Table)
                .col(fk_col(AuditPeople::EntryId))
                .col(fk_col(AuditPeople::PersonId))
                .primary_key(
                    Index::create()
                        .col(AuditPeople::EntryId)
                        .col(AuditPeople::PersonId),
                )
                .foreign_key(&mut fk(
                    (AuditPeople::Table, AuditPeople::EntryId),
                    (AuditLog::Table, AuditLog::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "audit_people_person",
            AuditPeople::Table,
            &["person_id", "entry_id"],
            false,
        ),
        // Entries about one record named it as their subject. Plain SQL that both
        // engines read alike.
        Step::Fill(
            "INSERT INTO audit_people (entry_id, person_id) \
             SELECT audit_log.id, people.id FROM audit_log \
             JOIN people ON people.public_id = audit_log.subject",
        ),
    ]
}

fn task_closing_note() -> Vec<Step> {
    vec![Step::Alter(Box::new(
        Table::alter()
            .table(Tasks::Table)
            .add_column(ColumnDef::new(Tasks::ClosingNote).text().null())
            .to_owned(),
    ))]
}

/// Emails to members: one row per email, one per person in its audience (including those
/// it skips, with the reason), and the local party's sending settings. A person is in an
/// email's audience once (a unique key), so nobody is sent it twice.
fn emails() -> Vec<Step> {
    let mut steps: Vec<Step> = [
        ColumnDef::new(Units::EmailImprint).text().null().to_owned(),
        ColumnDef::new(Units::EmailSenderName)
            .text()
            .null()
            .to_owned(),
        ColumnDef::new(Units::EmailReplyTo).text().null().to_owned(),
        ColumnDef::new(Units::EmailPerMinute)
            .integer()
            .null()
            .to_owned(),
    ]
    .into_iter()
    .map(|mut c| {
        Step::Alter(Box::new(
            Table::alter()
                .table(Units::Table)
                .add_column(&mut c)
                .to_owned(),
        ))
    })
    .collect();
    // An officer's own copy of a member's email (a test) goes as text and HTML.
    steps.push(Step::Alter(Box::new(
        Table::alter()
            .table(Outbox::Table)
            .add_column(ColumnDef::new(Outbox::Html).text().null())
            .to_owned(),
    )));
    steps.extend([
        Step::Table(Box::new(
            Table::create()
                .table(Emails::Table)
                .col(id(Emails::Id))
                .col(text(Emails::PublicId).unique_key().to_owned())
                .col(fk_col(Emails::LocalPartyId))
                .col(fk_col(Emails::AuthorId))
                .col(text(Emails::Subject))
                .col(text(Emails::Body))
                .col(text(Emails::Purpose))
                .col(text(Emails::Audience))
                .col(text(Emails::AudienceLabel))
                .col(text(Emails::SenderName))
                .col(text_null(Emails::ReplyTo))
                .col(text(Emails::State))
                .col(
                    ColumnDef::new(Emails::SendAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(stamp(Emails::CreatedAt))
                .col(
                    ColumnDef::new(Emails::FinishedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(&mut fk(
                    (Emails::Table, Emails::LocalPartyId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    (Emails::Table, Emails::AuthorId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )),
        index(
            "emails_party",
            Emails::Table,
            &["local_party_id", "created_at"],
            false,
        ),
        Step::Table(Box::new(
            Table::create()
                .table(EmailRecipients::Table)
                .col(id(EmailRecipients::Id))
                .col(text(EmailRecipients::PublicId).unique_key().to_owned())
                .col(fk_col(EmailRecipients::EmailId))
                .col(fk_col(EmailRecipients::PersonId))
                .col(text_null(EmailRecipients::Address))
                .col(text(EmailRecipients::State))
                .col(text_null(EmailRecipients::Reason))
                .col(
                    ColumnDef::new(EmailRecipients::Attempts)
                        .integer()
                        .not_null(),
                )
                .col(stamp(EmailRecipients::NextAttemptAt))
                .col(text_null(EmailRecipients::ClaimedBy))
                .col(
                    ColumnDef::new(EmailRecipients::SentAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(EmailRecipients::UnsubscribedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(&mut fk(
                    (EmailRecipients::Table, EmailRecipients::EmailId),
                    (Emails::Table, Emails::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (EmailRecipients::Table, EmailRecipients::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "email_recipients_once",
            EmailRecipients::Table,
            &["email_id", "person_id"],
            true,
        ),
        index(
            "email_recipients_due",
            EmailRecipients::Table,
            &["state", "next_attempt_at"],
            false,
        ),
        index(
            "email_recipients_person",
            EmailRecipients::Table,
            &["person_id"],
            false,
        ),
        index(
            "email_recipients_claim",
            EmailRecipients::Table,
            &["claimed_by"],
            false,
        ),
        // Temporary failures in a row per address, until they suppress it.
        Step::Table(Box::new(
            Table::create()
                .table(MailSoftBounces::Table)
                .col(text(MailSoftBounces::Address).primary_key().to_owned())
                .col(ColumnDef::new(MailSoftBounces::Count).integer().not_null())
                .col(stamp(MailSoftBounces::LastAt))
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(ServerKeys::Table)
                .col(text(ServerKeys::Name).primary_key().to_owned())
                .col(text(ServerKeys::Secret))
                .to_owned(),
        )),
    ]);
    steps
}

/// A branch move and a change of rate were stored as `changed_branch` and `changed_rate`;
/// the history now says `moved` and `rate_changed`, the names the interface documents.
fn event_names() -> Vec<Step> {
    vec![
        Step::Fill("UPDATE membership_events SET kind = 'moved' WHERE kind = 'changed_branch'"),
        Step::Fill(
            "UPDATE membership_events SET kind = 'rate_changed' WHERE kind = 'changed_rate'",
        ),
    ]
}

fn forum_branches() -> Vec<Step> {
    vec![
        Step::Alter(Box::new(
            Table::alter()
                .table(Units::Table)
                .add_column(ColumnDef::new(Units::ForumRule).text().null())
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(ForumMembers::Table)
                .col(id(ForumMembers::Id))
                .col(fk_col(ForumMembers::UnitId))
                .col(fk_col(ForumMembers::PersonId))
                .col(ColumnDef::new(ForumMembers::JoinedOn).date().not_null())
                .col(ColumnDef::new(ForumMembers::LeftOn).date().null())
                .col(text(ForumMembers::How))
                .col(stamp(ForumMembers::CreatedAt))
                .foreign_key(&mut fk(
                    (ForumMembers::Table, ForumMembers::UnitId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (ForumMembers::Table, ForumMembers::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "forum_members_unit",
            ForumMembers::Table,
            &["unit_id", "left_on"],
            false,
        ),
        index(
            "forum_members_person",
            ForumMembers::Table,
            &["person_id"],
            false,
        ),
    ]
}

fn web_imports() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Imports::Table)
                .col(id(Imports::Id))
                .col(text(Imports::PublicId).unique_key().to_owned())
                .col(fk_col(Imports::LocalPartyId))
                .col(fk_col(Imports::UserId))
                .col(text(Imports::FileName))
                .col(ColumnDef::new(Imports::Bytes).blob().not_null())
                .col(text(Imports::Maps))
                .col(text(Imports::ValueMaps))
                .col(text_null(Imports::DateOrder))
                .col(text(Imports::State))
                .col(text_null(Imports::Outcome))
                .col(text_null(Imports::Problems))
                .col(stamp(Imports::CreatedAt))
                .col(stamp(Imports::UpdatedAt))
                .foreign_key(&mut fk(
                    (Imports::Table, Imports::LocalPartyId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (Imports::Table, Imports::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "imports_party",
            Imports::Table,
            &["local_party_id", "created_at"],
            false,
        ),
    ]
}

fn events() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Events::Table)
                .col(id(Events::Id))
                .col(text(Events::PublicId).unique_key().to_owned())
                .col(fk_col(Events::LocalPartyId))
                .col(fk_col(Events::UnitId))
                .col(text(Events::Kind))
                .col(text(Events::Title))
                .col(text_null(Events::Description))
                .col(text_null(Events::Place))
                .col(stamp(Events::StartsAt))
                .col(stamp(Events::EndsAt))
                .col(text(Events::TimeZone))
                .col(ColumnDef::new(Events::Capacity).integer().null())
                .col(text(Events::Audience))
                .col(text_null(Events::VoteRight))
                .col(ColumnDef::new(Events::FreezeDate).date().null())
                .col(text(Events::CreatedBy))
                .col(stamp(Events::CreatedAt))
                .col(stamp(Events::UpdatedAt))
                .foreign_key(&mut fk(
                    (Events::Table, Events::UnitId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "events_party_start",
            Events::Table,
            &["local_party_id", "starts_at"],
            false,
        ),
        Step::Table(Box::new(
            Table::create()
                .table(EventPeople::Table)
                .col(id(EventPeople::Id))
                .col(fk_col(EventPeople::EventId))
                .col(fk_col(EventPeople::PersonId))
                .col(text(EventPeople::State))
                .col(stamp(EventPeople::SignedUpAt))
                .col(
                    ColumnDef::new(EventPeople::CheckedInAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(&mut fk(
                    (EventPeople::Table, EventPeople::EventId),
                    (Events::Table, Events::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (EventPeople::Table, EventPeople::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "event_people_once",
            EventPeople::Table,
            &["event_id", "person_id"],
            true,
        ),
        index(
            "event_people_person",
            EventPeople::Table,
            &["person_id", "state"],
            false,
        ),
    ]
}

fn add_column(table: impl sea_query::IntoTableRef, mut col: ColumnDef) -> Step {
    Step::Alter(Box::new(
        Table::alter().table(table).add_column(&mut col).to_owned(),
    ))
}

fn event_sign_ups() -> Vec<Step> {
    fn stamp_null(c: impl sea_query::IntoIden) -> ColumnDef {
        ColumnDef::new(c)
            .timestamp_with_time_zone()
            .null()
            .to_owned()
    }
    fn counter(c: impl sea_query::IntoIden, default: i32) -> ColumnDef {
        ColumnDef::new(c)
            .integer()
            .not_null()
            .default(default)
            .to_owned()
    }
    vec![
        add_column(Events::Table, text_null(Events::Contact)),
        add_column(Events::Table, counter(Events::RemindHours, 24)),
        add_column(Events::Table, counter(Events::Sequence, 0)),
        add_column(Events::Table, stamp_null(Events::CancelledAt)),
        add_column(EventPeople::Table, stamp_null(EventPeople::RemindedAt)),
        add_column(EventPeople::Table, text_null(EventPeople::Source)),
        add_column(Outbox::Table, text_null(Outbox::Calendar)),
        add_column(
            Emails::Table,
            ColumnDef::new(Emails::EventId)
                .big_integer()
                .null()
                .to_owned(),
        ),
        add_column(Users::Table, text_null(Users::CalendarToken)),
        // A public sign-up finds someone by address in any case.
        Step::Fill("CREATE INDEX people_email_lower ON people (lower(email))"),
    ]
}

fn welcomes() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Welcomes::Table)
                .col(id(Welcomes::Id))
                .col(fk_col(Welcomes::LocalPartyId))
                .col(fk_col(Welcomes::PersonId))
                .col(text(Welcomes::How))
                .col(text(Welcomes::ByActor))
                .col(stamp(Welcomes::At))
                .foreign_key(&mut fk(
                    (Welcomes::Table, Welcomes::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "welcomes_person",
            Welcomes::Table,
            &["person_id", "at"],
            false,
        ),
    ]
}

fn journeys() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Journeys::Table)
                .col(id(Journeys::Id))
                .col(text(Journeys::PublicId).unique_key().to_owned())
                .col(fk_col(Journeys::LocalPartyId))
                .col(text(Journeys::Name))
                .col(text(Journeys::Trigger))
                .col(text(Journeys::Steps))
                .col(ColumnDef::new(Journeys::Active).boolean().not_null())
                .col(stamp(Journeys::ActiveSince))
                .col(text(Journeys::CreatedBy))
                .col(stamp(Journeys::CreatedAt))
                .col(stamp(Journeys::UpdatedAt))
                .foreign_key(&mut fk(
                    (Journeys::Table, Journeys::LocalPartyId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(JourneyRuns::Table)
                .col(id(JourneyRuns::Id))
                .col(text(JourneyRuns::PublicId).unique_key().to_owned())
                .col(fk_col(JourneyRuns::JourneyId))
                .col(fk_col(JourneyRuns::PersonId))
                .col(ColumnDef::new(JourneyRuns::Step).integer().not_null())
                .col(stamp(JourneyRuns::NextAt))
                .col(text(JourneyRuns::State))
                .col(text_null(JourneyRuns::Note))
                .col(stamp(JourneyRuns::StartedAt))
                .col(stamp(JourneyRuns::UpdatedAt))
                .foreign_key(&mut fk(
                    (JourneyRuns::Table, JourneyRuns::JourneyId),
                    (Journeys::Table, Journeys::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (JourneyRuns::Table, JourneyRuns::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "journey_runs_once",
            JourneyRuns::Table,
            &["journey_id", "person_id"],
            true,
        ),
        index(
            "journey_runs_due",
            JourneyRuns::Table,
            &["state", "next_at"],
            false,
        ),
    ]
}

fn training() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Training::Table)
                .col(id(Training::Id))
                .col(fk_col(Training::LocalPartyId))
                .col(fk_col(Training::PersonId))
                .col(text(Training::Course))
                .col(ColumnDef::new(Training::OnDate).date().not_null())
                .col(text_null(Training::Provider))
                .col(text(Training::RecordedBy))
                .col(stamp(Training::RecordedAt))
                .foreign_key(&mut fk(
                    (Training::Table, Training::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "training_person",
            Training::Table,
            &["person_id", "on_date"],
            false,
        ),
    ]
}

fn notices() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Notices::Table)
                .col(id(Notices::Id))
                .col(text(Notices::PublicId).unique_key().to_owned())
                .col(fk_col(Notices::LocalPartyId))
                .col(text(Notices::Subject))
                .col(text(Notices::Body))
                .col(text(Notices::SentBy))
                .col(stamp(Notices::SentAt))
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(NoticeReads::Table)
                .col(id(NoticeReads::Id))
                .col(fk_col(NoticeReads::NoticeId))
                .col(fk_col(NoticeReads::UserId))
                .col(
                    ColumnDef::new(NoticeReads::ReadAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(&mut fk(
                    (NoticeReads::Table, NoticeReads::NoticeId),
                    (Notices::Table, Notices::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "notice_reads_once",
            NoticeReads::Table,
            &["notice_id", "user_id"],
            true,
        ),
    ]
}

fn surveys() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Surveys::Table)
                .col(id(Surveys::Id))
                .col(text(Surveys::PublicId).unique_key().to_owned())
                .col(fk_col(Surveys::LocalPartyId))
                .col(fk_col(Surveys::UnitId))
                .col(text(Surveys::Title))
                .col(text_null(Surveys::Intro))
                .col(text(Surveys::Questions))
                .col(text(Surveys::PublicLink))
                .col(text(Surveys::CreatedBy))
                .col(stamp(Surveys::CreatedAt))
                .col(
                    ColumnDef::new(Surveys::ClosedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(&mut fk(
                    (Surveys::Table, Surveys::UnitId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(SurveyResponses::Table)
                .col(id(SurveyResponses::Id))
                .col(text(SurveyResponses::PublicId).unique_key().to_owned())
                .col(fk_col(SurveyResponses::SurveyId))
                .col(
                    ColumnDef::new(SurveyResponses::PersonId)
                        .big_integer()
                        .null(),
                )
                .col(text(SurveyResponses::Via))
                .col(stamp(SurveyResponses::AnsweredAt))
                .foreign_key(&mut fk(
                    (SurveyResponses::Table, SurveyResponses::SurveyId),
                    (Surveys::Table, Surveys::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (SurveyResponses::Table, SurveyResponses::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        // A person answers a survey once; answering again replaces their answers.
        index(
            "survey_responses_once",
            SurveyResponses::Table,
            &["survey_id", "person_id"],
            true,
        ),
        index(
            "survey_responses_person",
            SurveyResponses::Table,
            &["person_id"],
            false,
        ),
        Step::Table(Box::new(
            Table::create()
                .table(SurveyAnswers::Table)
                .col(id(SurveyAnswers::Id))
                .col(fk_col(SurveyAnswers::ResponseId))
                .col(ColumnDef::new(SurveyAnswers::Question).integer().not_null())
                .col(text_null(SurveyAnswers::Choice))
                .col(ColumnDef::new(SurveyAnswers::Point).integer().null())
                .col(text_null(SurveyAnswers::Answer))
                .foreign_key(&mut fk(
                    (SurveyAnswers::Table, SurveyAnswers::ResponseId),
                    (SurveyResponses::Table, SurveyResponses::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "survey_answers_response",
            SurveyAnswers::Table,
            &["response_id", "question"],
            false,
        ),
        add_column(
            Emails::Table,
            ColumnDef::new(Emails::SurveyId)
                .big_integer()
                .null()
                .to_owned(),
        ),
    ]
}

fn organisations() -> Vec<Step> {
    vec![
        Step::Table(Box::new(
            Table::create()
                .table(Organisations::Table)
                .col(id(Organisations::Id))
                .col(text(Organisations::PublicId).unique_key().to_owned())
                .col(fk_col(Organisations::LocalPartyId))
                .col(fk_col(Organisations::UnitId))
                .col(text(Organisations::Name))
                .col(text(Organisations::Kind))
                .col(text_null(Organisations::Notes))
                .col(text(Organisations::CreatedBy))
                .col(stamp(Organisations::CreatedAt))
                .foreign_key(&mut fk(
                    (Organisations::Table, Organisations::UnitId),
                    (Units::Table, Units::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        Step::Table(Box::new(
            Table::create()
                .table(OrganisationContacts::Table)
                .col(id(OrganisationContacts::Id))
                .col(fk_col(OrganisationContacts::OrganisationId))
                .col(fk_col(OrganisationContacts::PersonId))
                .col(text_null(OrganisationContacts::Role))
                .foreign_key(&mut fk(
                    (
                        OrganisationContacts::Table,
                        OrganisationContacts::OrganisationId,
                    ),
                    (Organisations::Table, Organisations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (OrganisationContacts::Table, OrganisationContacts::PersonId),
                    (People::Table, People::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        index(
            "organisation_contacts_once",
            OrganisationContacts::Table,
            &["organisation_id", "person_id"],
            true,
        ),
        Step::Table(Box::new(
            Table::create()
                .table(OrganisationDealings::Table)
                .col(id(OrganisationDealings::Id))
                .col(fk_col(OrganisationDealings::OrganisationId))
                .col(text(OrganisationDealings::Kind))
                .col(
                    ColumnDef::new(OrganisationDealings::OnDate)
                        .date()
                        .not_null(),
                )
                .col(text_null(OrganisationDealings::Note))
                .col(
                    ColumnDef::new(OrganisationDealings::EventId)
                        .big_integer()
                        .null(),
                )
                .col(text(OrganisationDealings::RecordedBy))
                .col(stamp(OrganisationDealings::RecordedAt))
                .foreign_key(&mut fk(
                    (
                        OrganisationDealings::Table,
                        OrganisationDealings::OrganisationId,
                    ),
                    (Organisations::Table, Organisations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    (OrganisationDealings::Table, OrganisationDealings::EventId),
                    (Events::Table, Events::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )),
        index(
            "organisation_dealings_by_date",
            OrganisationDealings::Table,
            &["organisation_id", "on_date"],
            false,
        ),
    ]
}

fn branch_journeys() -> Vec<Step> {
    vec![add_column(
        Journeys::Table,
        ColumnDef::new(Journeys::UnitId)
            .big_integer()
            .null()
            .to_owned(),
    )]
}

/// The people an audit entry names, kept in one b-tree ordered by person. Each list view
/// names up to fifty people; in version 9's layout every one of them cost three b-tree
/// inserts (the rowid table, its primary key and the by-person index) on the single
/// writer, and "entries naming this person" is the only way the table is read (the audit
/// search, a member's history, a merge).
fn audit_people_by_person() -> Vec<Step> {
    vec![
        Step::Clustered(Box::new(
            Table::create()
                .table(AuditPeopleByPerson::Table)
                .col(fk_col(AuditPeople::PersonId))
                .col(fk_col(AuditPeople::EntryId))
                .primary_key(
                    Index::create()
                        .col(AuditPeople::PersonId)
                        .col(AuditPeople::EntryId),
                )
                .foreign_key(&mut fk(
                    (AuditPeopleByPerson::Table, AuditPeople::EntryId),
                    (AuditLog::Table, AuditLog::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )),
        Step::Fill(
            "INSERT INTO audit_people_by_person (person_id, entry_id) \
             SELECT person_id, entry_id FROM audit_people",
        ),
        Step::Fill("DROP TABLE audit_people"),
        Step::Fill("ALTER TABLE audit_people_by_person RENAME TO audit_people"),
    ]
}

fn audit_segments() -> Vec<Step> {
    vec![Step::Table(Box::new(
        Table::create()
            .table(AuditSegments::Table)
            .col(text(AuditSegments::Name).primary_key().to_owned())
            .col(stamp(AuditSegments::TakenAt))
            .col(
                ColumnDef::new(AuditSegments::Entries)
                    .big_integer()
                    .not_null()
                    .to_owned(),
            )
            .to_owned(),
    ))]
}

/// A branch's memberships as the member list and its count find them: every scope names
/// the local party beside the branch, and the page joins each membership to its person.
/// With both in the index, a branch's list is read from the index alone, where each of
/// its memberships was looked up in the table too (a fifth of the list's statement).
fn branch_memberships_covered() -> Vec<Step> {
    vec![
        Step::Fill("DROP INDEX memberships_branch"),
        index(
            "memberships_branch",
            Memberships::Table,
            &["branch_id", "local_party_id", "paid_until", "person_id"],
            false,
        ),
    ]
}
