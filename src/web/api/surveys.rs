//! `/surveys`: the surveys you run, making one, its results, and the answers of the
//! people who answered by name (those you may see).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiResult, ErrorBody, Page, body};
use crate::app::surveys::{self, SurveyInput};
use crate::store::surveys::Stored;
use crate::web::AppState;
use crate::web::auth::ApiUser;

/// A survey to make. Any other field is refused (400).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSurvey {
    /// The slug of a local party, a branch or a forum branch you organise for.
    unit: String,
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    intro: Option<String>,
    /// The questions, one a line, each starting with its kind (`single:`, `multiple:`,
    /// `scale:` or `text:`), a choice question's options below it each starting with `-`.
    questions: String,
    /// off (personal links only, when left out), anonymous or contact.
    #[serde(default)]
    public_link: Option<String>,
}

/// One question.
#[derive(Serialize, ToSchema)]
pub struct QuestionOut {
    /// Its number, counted from 1: what an `answer=SURVEY:QUESTION:ANSWER` filter names.
    number: usize,
    /// single, multiple, scale (1 to 5) or text.
    kind: &'static str,
    prompt: String,
    options: Vec<String>,
}

/// A survey.
#[derive(Serialize, ToSchema)]
pub struct SurveyOut {
    id: String,
    /// The slug of the unit it is run for.
    unit: String,
    title: String,
    intro: Option<String>,
    /// off, anonymous or contact.
    public_link: String,
    /// Its page where people answer (through their personal link, or this address when
    /// it has a public link).
    page: String,
    closed_at: Option<DateTime<Utc>>,
    /// How many have answered.
    responses: i64,
    questions: Vec<QuestionOut>,
}

impl From<Stored> for SurveyOut {
    fn from(s: Stored) -> SurveyOut {
        let questions = surveys::questions_of(&s)
            .into_iter()
            .enumerate()
            .map(|(i, q)| QuestionOut {
                number: i + 1,
                kind: q.kind.as_str(),
                prompt: q.prompt,
                options: q.options,
            })
            .collect();
        SurveyOut {
            page: format!("/s/{}", s.public_id),
            id: s.public_id,
            unit: s.unit_slug,
            title: s.title,
            intro: s.intro,
            public_link: s.public_link,
            closed_at: s.closed_at,
            responses: s.responses,
            questions,
        }
    }
}

/// The surveys you run (for the units you organise for), newest first.
#[utoipa::path(
    get,
    path = "/surveys",
    responses(
        (status = 200, description = "Every survey you run, on one page", body = Page<SurveyOut>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Callers run no surveys", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, who: ApiUser) -> ApiResult<Json<Page<SurveyOut>>> {
    let mut tx = state.db.begin_read().await?;
    let found = surveys::list(&mut tx, &who).await?;
    tx.commit().await?;
    Ok(Json(Page::all(found.into_iter().map(Into::into).collect())))
}

/// Makes a survey for a unit you organise for.
#[utoipa::path(
    post,
    path = "/surveys",
    request_body = NewSurvey,
    responses(
        (status = 201, description = "Made", body = SurveyOut),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "You organise for no unit", body = ErrorBody),
        (status = 422, description = "A field is not valid (a question's mistake is named by its line); nothing was saved", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    new: Result<Json<NewSurvey>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<SurveyOut>)> {
    let new = body(new)?;
    let input = SurveyInput {
        unit: new.unit,
        title: new.title,
        intro: new.intro.unwrap_or_default(),
        questions: new.questions,
        public_link: new
            .public_link
            .unwrap_or_else(|| surveys::PublicLink::Off.as_str().into()),
    };
    let mut tx = state.db.begin().await?;
    let id = surveys::create(&mut tx, &who, &input, Utc::now()).await?;
    let made = surveys::find(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// How many chose one answer.
#[derive(Serialize, ToSchema)]
pub struct Count {
    /// An option's words, or a scale's point ("1" to "5").
    answer: String,
    count: usize,
}

/// One question's results.
#[derive(Serialize, ToSchema)]
pub struct QuestionResults {
    number: usize,
    kind: &'static str,
    prompt: String,
    /// How many answered it.
    answered: usize,
    /// Each option, or each point of a scale (empty for free text).
    counts: Vec<Count>,
    /// A scale's average.
    mean: Option<f64>,
    /// Free-text answers, without names.
    texts: Vec<String>,
}

/// A survey's results: counts only.
#[derive(Serialize, ToSchema)]
pub struct Results {
    survey: SurveyOut,
    /// Answers that name someone (a personal link, or contact details given).
    named: usize,
    anonymous: usize,
    questions: Vec<QuestionResults>,
}

/// A survey's results, counted (audited).
#[utoipa::path(
    get,
    path = "/surveys/{id}",
    params(("id" = String, Path, description = "The survey's id")),
    responses(
        (status = 200, description = "The survey and its counts", body = Results),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such survey among those you run", body = ErrorBody),
    )
)]
pub async fn results(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Results>> {
    let mut tx = state.db.begin().await?;
    let r = surveys::results(&mut tx, &who, &id).await?;
    tx.commit().await?;
    let questions = r
        .questions
        .iter()
        .zip(r.tallies)
        .enumerate()
        .map(|(i, (q, t))| QuestionResults {
            number: i + 1,
            kind: q.kind.as_str(),
            prompt: q.prompt.clone(),
            answered: t.answered,
            counts: t
                .counts
                .into_iter()
                .map(|(answer, count)| Count { answer, count })
                .collect(),
            mean: t.mean_tenths.map(|m| f64::from(m) / 10.0),
            texts: t.texts,
        })
        .collect();
    Ok(Json(Results {
        survey: r.survey.into(),
        named: r.named,
        anonymous: r.anonymous,
        questions,
    }))
}

/// One question's answer.
#[derive(Serialize, ToSchema)]
pub struct AnswerOut {
    question: String,
    /// The options chosen (joined by "; "), the point of a scale, or the text.
    answer: String,
}

/// One person's answers.
#[derive(Serialize, ToSchema)]
pub struct PersonAnswers {
    /// The person's id.
    person: String,
    first_name: String,
    last_name: String,
    answered_at: DateTime<Utc>,
    answers: Vec<AnswerOut>,
}

/// The answers of the people who answered by name and whom you may see, newest first
/// (audited, naming each).
#[utoipa::path(
    get,
    path = "/surveys/{id}/answers",
    params(("id" = String, Path, description = "The survey's id")),
    responses(
        (status = 200, description = "Their answers, on one page", body = Page<PersonAnswers>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such survey among those you run", body = ErrorBody),
    )
)]
pub async fn answers(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Page<PersonAnswers>>> {
    let mut tx = state.db.begin().await?;
    let found = surveys::answers(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok(Json(Page::all(
        found
            .into_iter()
            .map(|r| PersonAnswers {
                person: r.person.public_id,
                first_name: r.person.first_name,
                last_name: r.person.last_name,
                answered_at: r.answered_at,
                answers: r
                    .answers
                    .into_iter()
                    .map(|(question, answer)| AnswerOut { question, answer })
                    .collect(),
            })
            .collect(),
    )))
}
