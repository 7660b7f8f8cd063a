//! Surveys and their answers. A person has at most one response to a survey (answering
//! again replaces it); an anonymous response names nobody.

use chrono::{DateTime, Utc};
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use uuid::Uuid;

use super::schema::{SurveyAnswers, SurveyResponses, Surveys, Units};
use super::{Mode, Result, StoreError, Tx};

/// A survey as stored, with its unit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Stored {
    pub id: i64,
    pub public_id: String,
    pub local_party_id: i64,
    pub unit_id: i64,
    pub unit_slug: String,
    pub unit_name: String,
    pub title: String,
    pub intro: Option<String>,
    pub questions: String,
    pub public_link: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub responses: i64,
}

fn select() -> sea_query::SelectStatement {
    let s = |c| (Surveys::Table, c);
    Query::select()
        .columns(
            [
                Surveys::Id,
                Surveys::PublicId,
                Surveys::LocalPartyId,
                Surveys::UnitId,
                Surveys::Title,
                Surveys::Intro,
                Surveys::Questions,
                Surveys::PublicLink,
                Surveys::CreatedBy,
                Surveys::CreatedAt,
                Surveys::ClosedAt,
            ]
            .map(s),
        )
        .expr_as(
            Expr::col((Units::Table, Units::Slug)),
            Alias::new("unit_slug"),
        )
        .expr_as(
            Expr::col((Units::Table, Units::Name)),
            Alias::new("unit_name"),
        )
        .expr_as(
            Expr::expr(
                Query::select()
                    .expr(Expr::col(SurveyResponses::Id).count())
                    .from(SurveyResponses::Table)
                    .and_where(
                        Expr::col((SurveyResponses::Table, SurveyResponses::SurveyId))
                            .equals(s(Surveys::Id)),
                    )
                    .to_owned(),
            ),
            Alias::new("responses"),
        )
        .from(Surveys::Table)
        .inner_join(
            Units::Table,
            Expr::col((Units::Table, Units::Id)).equals(s(Surveys::UnitId)),
        )
        .to_owned()
}

/// What a survey is made of.
pub struct New<'a> {
    pub local_party_id: i64,
    pub unit_id: i64,
    pub title: &'a str,
    pub intro: Option<&'a str>,
    pub questions: &'a str,
    pub public_link: &'a str,
}

/// Stores a new survey; returns its public id.
pub async fn create(tx: &mut Tx, s: &New<'_>, by: &str, now: DateTime<Utc>) -> Result<String> {
    let public_id = Uuid::now_v7().to_string();
    tx.execute(
        &Query::insert()
            .into_table(Surveys::Table)
            .columns([
                Surveys::PublicId,
                Surveys::LocalPartyId,
                Surveys::UnitId,
                Surveys::Title,
                Surveys::Intro,
                Surveys::Questions,
                Surveys::PublicLink,
                Surveys::CreatedBy,
                Surveys::CreatedAt,
            ])
            .values_panic([
                public_id.clone().into(),
                s.local_party_id.into(),
                s.unit_id.into(),
                s.title.into(),
                s.intro.map(str::to_string).into(),
                s.questions.into(),
                s.public_link.into(),
                by.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(public_id)
}

/// Changes a survey's words, questions, unit and public link.
pub async fn update(tx: &mut Tx, id: i64, s: &New<'_>) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Surveys::Table)
            .values([
                (Surveys::UnitId, s.unit_id.into()),
                (Surveys::Title, s.title.into()),
                (Surveys::Intro, s.intro.map(str::to_string).into()),
                (Surveys::Questions, s.questions.into()),
                (Surveys::PublicLink, s.public_link.into()),
            ])
            .and_where(Expr::col(Surveys::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Closes a survey to answers (`Some`), or opens it again (`None`).
pub async fn set_closed(tx: &mut Tx, id: i64, at: Option<DateTime<Utc>>) -> Result<()> {
    tx.execute(
        &Query::update()
            .table(Surveys::Table)
            .value(Surveys::ClosedAt, at)
            .and_where(Expr::col(Surveys::Id).eq(id))
            .to_owned(),
    )
    .await?;
    Ok(())
}

pub async fn by_public_id(tx: &mut Tx<impl Mode>, public_id: &str) -> Result<Option<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((Surveys::Table, Surveys::PublicId)).eq(public_id));
    tx.fetch_optional(&q).await
}

pub async fn by_id(tx: &mut Tx<impl Mode>, id: i64) -> Result<Option<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((Surveys::Table, Surveys::Id)).eq(id));
    tx.fetch_optional(&q).await
}

/// The surveys of these local parties, newest first.
pub async fn of_parties(tx: &mut Tx<impl Mode>, parties: &[i64]) -> Result<Vec<Stored>> {
    let mut q = select();
    q.and_where(Expr::col((Surveys::Table, Surveys::LocalPartyId)).is_in(parties.iter().copied()))
        .order_by((Surveys::Table, Surveys::Id), Order::Desc)
        .limit(500);
    tx.fetch_all(&q).await
}

/// One answer to store: the question's number (from 1) and a chosen option, a scale's
/// point or free text.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AnswerRow {
    pub question: i32,
    pub choice: Option<String>,
    pub point: Option<i32>,
    pub answer: Option<String>,
}

/// Stores a response. A person's earlier response to the same survey is replaced (its
/// answers taken away, its time and route renewed), so each person counts once. Returns
/// whether they had answered before.
pub async fn respond(
    tx: &mut Tx,
    survey_id: i64,
    person_id: Option<i64>,
    via: &str,
    answers: &[AnswerRow],
    now: DateTime<Utc>,
) -> Result<bool> {
    let earlier: Option<(i64,)> = match person_id {
        Some(p) => {
            tx.fetch_optional(
                &Query::select()
                    .column(SurveyResponses::Id)
                    .from(SurveyResponses::Table)
                    .and_where(Expr::col(SurveyResponses::SurveyId).eq(survey_id))
                    .and_where(Expr::col(SurveyResponses::PersonId).eq(p))
                    .to_owned(),
            )
            .await?
        }
        None => None,
    };
    let response_id = match earlier {
        Some((id,)) => {
            tx.execute(
                &Query::delete()
                    .from_table(SurveyAnswers::Table)
                    .and_where(Expr::col(SurveyAnswers::ResponseId).eq(id))
                    .to_owned(),
            )
            .await?;
            tx.execute(
                &Query::update()
                    .table(SurveyResponses::Table)
                    .values([
                        (SurveyResponses::Via, via.into()),
                        (SurveyResponses::AnsweredAt, now.into()),
                    ])
                    .and_where(Expr::col(SurveyResponses::Id).eq(id))
                    .to_owned(),
            )
            .await?;
            id
        }
        None => {
            let (id,): (i64,) = tx
                .fetch_optional(
                    &Query::insert()
                        .into_table(SurveyResponses::Table)
                        .columns([
                            SurveyResponses::PublicId,
                            SurveyResponses::SurveyId,
                            SurveyResponses::PersonId,
                            SurveyResponses::Via,
                            SurveyResponses::AnsweredAt,
                        ])
                        .values_panic([
                            Uuid::now_v7().to_string().into(),
                            survey_id.into(),
                            person_id.into(),
                            via.into(),
                            now.into(),
                        ])
                        .returning_col(SurveyResponses::Id)
                        .to_owned(),
                )
                .await?
                .ok_or_else(|| StoreError::Invalid("the response was not stored".into()))?;
            id
        }
    };
    if !answers.is_empty() {
        let mut insert = Query::insert();
        insert.into_table(SurveyAnswers::Table).columns([
            SurveyAnswers::ResponseId,
            SurveyAnswers::Question,
            SurveyAnswers::Choice,
            SurveyAnswers::Point,
            SurveyAnswers::Answer,
        ]);
        for a in answers {
            insert.values_panic([
                response_id.into(),
                a.question.into(),
                a.choice.clone().into(),
                a.point.into(),
                a.answer.clone().into(),
            ]);
        }
        tx.execute(&insert).await?;
    }
    Ok(earlier.is_some())
}

/// One answer with the response it belongs to and whom that names.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Given {
    pub response_id: i64,
    pub person_id: Option<i64>,
    pub answered_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub answer: AnswerRow,
}

/// Every answer to a survey, a response's together in the order given.
pub async fn answers(tx: &mut Tx<impl Mode>, survey_id: i64) -> Result<Vec<Given>> {
    tx.fetch_all(
        &Query::select()
            .columns(
                [
                    SurveyAnswers::ResponseId,
                    SurveyAnswers::Question,
                    SurveyAnswers::Choice,
                    SurveyAnswers::Point,
                    SurveyAnswers::Answer,
                ]
                .map(|c| (SurveyAnswers::Table, c)),
            )
            .column((SurveyResponses::Table, SurveyResponses::PersonId))
            .column((SurveyResponses::Table, SurveyResponses::AnsweredAt))
            .from(SurveyAnswers::Table)
            .inner_join(
                SurveyResponses::Table,
                Expr::col((SurveyResponses::Table, SurveyResponses::Id))
                    .equals((SurveyAnswers::Table, SurveyAnswers::ResponseId)),
            )
            .and_where(Expr::col((SurveyResponses::Table, SurveyResponses::SurveyId)).eq(survey_id))
            .order_by(
                (SurveyAnswers::Table, SurveyAnswers::ResponseId),
                Order::Asc,
            )
            .order_by((SurveyAnswers::Table, SurveyAnswers::Id), Order::Asc)
            .to_owned(),
    )
    .await
}

/// A survey a person answered, with their answers.
#[derive(Debug, Clone)]
pub struct Answered {
    pub survey_public_id: String,
    pub title: String,
    pub questions: String,
    pub answered_at: DateTime<Utc>,
    pub answers: Vec<AnswerRow>,
}

/// The surveys a person answered, newest first, with their answers.
pub async fn of_person(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<Answered>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        response_id: i64,
        survey_public_id: String,
        title: String,
        questions: String,
        answered_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = tx
        .fetch_all(
            &Query::select()
                .expr_as(
                    Expr::col((SurveyResponses::Table, SurveyResponses::Id)),
                    Alias::new("response_id"),
                )
                .expr_as(
                    Expr::col((Surveys::Table, Surveys::PublicId)),
                    Alias::new("survey_public_id"),
                )
                .column((Surveys::Table, Surveys::Title))
                .column((Surveys::Table, Surveys::Questions))
                .column((SurveyResponses::Table, SurveyResponses::AnsweredAt))
                .from(SurveyResponses::Table)
                .inner_join(
                    Surveys::Table,
                    Expr::col((Surveys::Table, Surveys::Id))
                        .equals((SurveyResponses::Table, SurveyResponses::SurveyId)),
                )
                .and_where(
                    Expr::col((SurveyResponses::Table, SurveyResponses::PersonId)).eq(person_id),
                )
                .order_by(
                    (SurveyResponses::Table, SurveyResponses::AnsweredAt),
                    Order::Desc,
                )
                .limit(50)
                .to_owned(),
        )
        .await?;
    // Every answer of these responses in one query, shared out below.
    #[derive(sqlx::FromRow)]
    struct Given {
        response_id: i64,
        #[sqlx(flatten)]
        answer: AnswerRow,
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.response_id).collect();
    let given: Vec<Given> = tx
        .fetch_all(
            &Query::select()
                .columns([
                    SurveyAnswers::ResponseId,
                    SurveyAnswers::Question,
                    SurveyAnswers::Choice,
                    SurveyAnswers::Point,
                    SurveyAnswers::Answer,
                ])
                .from(SurveyAnswers::Table)
                .and_where(Expr::col(SurveyAnswers::ResponseId).is_in(ids))
                .order_by(SurveyAnswers::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Answered {
            answers: given
                .iter()
                .filter(|g| g.response_id == r.response_id)
                .map(|g| g.answer.clone())
                .collect(),
            survey_public_id: r.survey_public_id,
            title: r.title,
            questions: r.questions,
            answered_at: r.answered_at,
        })
        .collect())
}

/// The surveys (public ids) a person has answered.
pub async fn answered_by(tx: &mut Tx<impl Mode>, person_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = tx
        .fetch_all(
            &Query::select()
                .column((Surveys::Table, Surveys::PublicId))
                .from(SurveyResponses::Table)
                .inner_join(
                    Surveys::Table,
                    Expr::col((Surveys::Table, Surveys::Id))
                        .equals((SurveyResponses::Table, SurveyResponses::SurveyId)),
                )
                .and_where(
                    Expr::col((SurveyResponses::Table, SurveyResponses::PersonId)).eq(person_id),
                )
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
