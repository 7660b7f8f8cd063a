//! Training records: the courses a person has done (course, date, provider), as an
//! officer records them.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::schema::Training;
use super::{Mode, Result, Tx};

/// One course done.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Course {
    pub course: String,
    pub on_date: NaiveDate,
    pub provider: Option<String>,
    pub recorded_by: String,
}

/// A course to record.
pub struct New<'a> {
    pub local_party_id: i64,
    pub person_id: i64,
    pub course: &'a str,
    pub on_date: NaiveDate,
    pub provider: Option<&'a str>,
    pub recorded_by: &'a str,
    pub at: DateTime<Utc>,
}

pub async fn add(tx: &mut Tx, c: &New<'_>) -> Result<()> {
    tx.execute(
        &Query::insert()
            .into_table(Training::Table)
            .columns([
                Training::LocalPartyId,
                Training::PersonId,
                Training::Course,
                Training::OnDate,
                Training::Provider,
                Training::RecordedBy,
                Training::RecordedAt,
            ])
            .values_panic([
                c.local_party_id.into(),
                c.person_id.into(),
                c.course.into(),
                c.on_date.into(),
                c.provider.map(str::to_string).into(),
                c.recorded_by.into(),
                c.at.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A person's courses, latest first.
pub async fn of_person(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<Course>> {
    tx.fetch_all(
        &Query::select()
            .columns([
                Training::Course,
                Training::OnDate,
                Training::Provider,
                Training::RecordedBy,
            ])
            .from(Training::Table)
            .and_where(Expr::col(Training::PersonId).eq(person_id))
            .order_by(Training::OnDate, Order::Desc)
            .order_by(Training::Id, Order::Desc)
            .to_owned(),
    )
    .await
}
