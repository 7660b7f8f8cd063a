//! Surveys: the list, making and changing one (from a ready-made one or from nothing), its
//! results as charts with each answer linked to the people who gave it, its email; and
//! the page where people answer, through a personal link or the public one, with no
//! account.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;

use crate::app::AppError;
use crate::app::surveys::{self, PublicLink, PublicSurvey, SurveyInput};
use crate::domain::Channel;
use crate::domain::events::consent_wording;
use crate::domain::filter::FieldProblem;
use crate::domain::surveys::{QuestionKind, READY_MADE, SCALE_TOP};
use crate::web::auth::{ClientAddr, Officer, Posted};
use crate::web::view::{Choice, Nav, Problems};
use crate::web::{AppState, WebError};

struct Line {
    id: String,
    title: String,
    unit: String,
    responses: i64,
    closed: bool,
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct ListPage {
    nav: Nav,
    surveys: Vec<Line>,
    ready: Vec<(&'static str, &'static str)>,
}

pub async fn list(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let found = surveys::list(&mut tx, &officer).await?;
    tx.commit().await?;
    Ok(Html(
        ListPage {
            nav: officer.nav(),
            surveys: found
                .into_iter()
                .map(|s| Line {
                    id: s.public_id,
                    title: s.title,
                    unit: s.unit_name,
                    responses: s.responses,
                    closed: s.closed_at.is_some(),
                })
                .collect(),
            ready: READY_MADE.iter().map(|r| (r.key, r.title)).collect(),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "survey_edit.html")]
struct EditPage {
    nav: Nav,
    /// Empty for a new survey.
    id: String,
    form: SurveyInput,
    units: Vec<Choice>,
    links: Vec<Choice>,
    problems: Problems,
    /// People have answered, so the questions stay as they are.
    frozen: bool,
}

async fn edit_view(
    state: &AppState,
    officer: &Officer,
    id: &str,
    form: SurveyInput,
    problems: Problems,
) -> Result<EditPage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let units = crate::app::events::units_to_organise(&mut tx, officer).await?;
    let frozen = if id.is_empty() {
        false
    } else {
        surveys::find(&mut tx, officer, id).await?.responses > 0
    };
    tx.commit().await?;
    Ok(EditPage {
        nav: officer.nav(),
        id: id.to_string(),
        units: Choice::among(units, &form.unit, None),
        links: Choice::among(
            PublicLink::ALL.map(|l| (l.as_str().to_string(), l.label().to_string())),
            &form.public_link,
            None,
        ),
        form,
        problems,
        frozen,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct From {
    from: String,
}

/// `/surveys/new`, from nothing or `?from=` a ready-made survey.
pub async fn new_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<From>,
) -> Result<Html<String>, WebError> {
    let form = surveys::ready_made(&q.from)
        .map(SurveyInput::ready_made)
        .unwrap_or_else(|| SurveyInput {
            public_link: PublicLink::Off.as_str().into(),
            ..SurveyInput::default()
        });
    let page = edit_view(&state, &officer, "", form, Problems::default()).await?;
    Ok(Html(page.render()?))
}

fn saved_or_again(
    done: Result<String, AppError>,
) -> Result<Result<String, Vec<FieldProblem>>, WebError> {
    match done {
        Ok(id) => Ok(Ok(id)),
        Err(AppError::Invalid(p)) => Ok(Err(p)),
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<SurveyInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let done = surveys::create(&mut tx, &officer, &form, Utc::now()).await;
    match saved_or_again(done)? {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
        }
        Err(p) => {
            drop(tx);
            let page = edit_view(&state, &officer, "", form, Problems(p)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin_read().await?;
    let s = surveys::find(&mut tx, &officer, &id).await?;
    tx.commit().await?;
    let form = SurveyInput {
        unit: s.unit_slug,
        title: s.title,
        intro: s.intro.unwrap_or_default(),
        questions: s.questions,
        public_link: s.public_link,
    };
    let page = edit_view(&state, &officer, &id, form, Problems::default()).await?;
    Ok(Html(page.render()?))
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<SurveyInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let done = surveys::update(&mut tx, &officer, &id, &form)
        .await
        .map(|()| id.clone());
    match saved_or_again(done)? {
        Ok(id) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
        }
        Err(p) => {
            drop(tx);
            let page = edit_view(&state, &officer, &id, form, Problems(p)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

struct Bar {
    label: String,
    count: usize,
    /// Its length as a share of the longest bar (0 to 100).
    length: u64,
    /// Its share of those who answered the question, in whole per cent.
    percent: u64,
    /// The member list of those who gave this answer.
    href: String,
}

struct QuestionView {
    number: usize,
    prompt: String,
    kind: &'static str,
    answered: usize,
    bars: Vec<Bar>,
    mean: String,
    texts: Vec<String>,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct ResultsPage {
    nav: Nav,
    id: String,
    title: String,
    unit: String,
    closed: bool,
    named: usize,
    anonymous: usize,
    public_url: Option<String>,
    questions: Vec<QuestionView>,
    audiences: Vec<Choice>,
    said: Option<String>,
}

fn kind_words(k: QuestionKind) -> &'static str {
    match k {
        QuestionKind::Single => "One answer",
        QuestionKind::Multiple => "Any number of answers",
        QuestionKind::Scale => "A scale of 1 to 5",
        QuestionKind::Text => "In their own words",
    }
}

async fn results_view(
    state: &AppState,
    officer: &Officer,
    id: &str,
    said: Option<String>,
) -> Result<ResultsPage, WebError> {
    let mut tx = state.db.begin().await?;
    let r = surveys::results(&mut tx, officer, id).await?;
    let segments = crate::app::segments::list(&mut tx, officer).await?;
    tx.commit().await?;
    let s = &r.survey;
    let questions = r
        .questions
        .iter()
        .zip(&r.tallies)
        .enumerate()
        .map(|(i, (q, t))| {
            let most = t.counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as u64;
            let whole = t.answered.max(1) as u64;
            QuestionView {
                number: i + 1,
                prompt: q.prompt.clone(),
                kind: kind_words(q.kind),
                answered: t.answered,
                bars: t
                    .counts
                    .iter()
                    .map(|(label, n)| Bar {
                        label: if q.kind == QuestionKind::Scale {
                            format!("{label} of {SCALE_TOP}")
                        } else {
                            label.clone()
                        },
                        count: *n,
                        length: *n as u64 * 100 / most,
                        percent: (*n as u64 * 100 + whole / 2) / whole,
                        href: format!(
                            "/members?{}",
                            serde_urlencoded::to_string([(
                                "answer",
                                format!("{}:{}:{label}", s.public_id, i + 1)
                            )])
                            .unwrap_or_default()
                        ),
                    })
                    .collect(),
                mean: t
                    .mean_tenths
                    .map(|m| format!("{}.{}", m / 10, m % 10))
                    .unwrap_or_default(),
                texts: t.texts.clone(),
            }
        })
        .collect();
    let mut audiences = vec![
        (
            crate::app::women::ALL_WOMEN.to_string(),
            "Women members".to_string(),
        ),
        ("status=new".to_string(), "New members".to_string()),
        (
            "kind=member".to_string(),
            "Every member you look after".to_string(),
        ),
    ];
    audiences.extend(segments.into_iter().map(|g| {
        (
            format!("segment:{}", g.public_id),
            format!("Segment: {}", g.name),
        )
    }));
    let link = PublicLink::parse(&s.public_link).unwrap_or(PublicLink::Off);
    Ok(ResultsPage {
        nav: officer.nav(),
        id: s.public_id.clone(),
        title: s.title.clone(),
        unit: s.unit_name.clone(),
        closed: s.closed_at.is_some(),
        named: r.named,
        anonymous: r.anonymous,
        public_url: (link != PublicLink::Off).then(|| {
            format!(
                "{}/s/{}",
                state.config.public_url.trim_end_matches('/'),
                s.public_id
            )
        }),
        questions,
        audiences: Choice::among(audiences, "", None),
        said,
    })
}

/// `/surveys/{id}`: the results, drawn as bars, and what can be done with the survey.
pub async fn show(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        results_view(&state, &officer, &id, None).await?.render()?,
    ))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    audience: String,
}

/// Drafts the survey's email for an audience, and opens the draft.
pub async fn invite(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<InviteForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    match surveys::invite(&mut tx, &officer, &id, &form.audience).await {
        Ok(email) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/emails/{email}")).into_response())
        }
        Err(AppError::Invalid(p)) => {
            drop(tx);
            let said = format!("No email drafted: {}", Problems(p).in_one_line());
            let page = results_view(&state, &officer, &id, Some(said)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CloseForm {
    /// `yes` closes it; anything else opens it again.
    closed: String,
}

pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<CloseForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    surveys::set_closed(&mut tx, &officer, &id, form.closed == "yes", Utc::now()).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
}

struct Field {
    name: String,
    number: usize,
    prompt: String,
    kind: &'static str,
    /// (value, label, chosen) for a choice or a scale.
    options: Vec<(String, String, bool)>,
    text: String,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "survey_public.html")]
struct AnswerPage {
    id: String,
    title: String,
    party: String,
    intro: String,
    closed: bool,
    respondent: Option<String>,
    invitation: String,
    contact: bool,
    fields: Vec<Field>,
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    agree_email: bool,
    agree_phone: bool,
    email_wording: String,
    phone_wording: String,
    problems: Problems,
    done: Option<&'static str>,
}

fn answer_view(p: &PublicSurvey, posted: &[(String, String)], problems: Problems) -> AnswerPage {
    let get = |name: &str| {
        posted
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let chose = |name: &str, value: &str| posted.iter().any(|(k, v)| k == name && v == value);
    let fields = p
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let name = crate::domain::surveys::field(i);
            let options = match q.kind {
                QuestionKind::Scale => (1..=SCALE_TOP)
                    .map(|n| (n.to_string(), n.to_string(), chose(&name, &n.to_string())))
                    .collect(),
                _ => q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(j, o)| {
                        let v = (j + 1).to_string();
                        let on = chose(&name, &v);
                        (v, o.clone(), on)
                    })
                    .collect(),
            };
            Field {
                number: i + 1,
                prompt: q.prompt.clone(),
                kind: q.kind.as_str(),
                options,
                text: get(&name),
                problem: problems.get(&name).map(str::to_string),
                name,
            }
        })
        .collect();
    AnswerPage {
        id: p.survey.public_id.clone(),
        title: p.survey.title.clone(),
        party: p.party.clone(),
        intro: p.survey.intro.clone().unwrap_or_default(),
        closed: p.survey.closed_at.is_some(),
        respondent: p.respondent.as_ref().map(|r| r.first_name.clone()),
        invitation: get("invitation"),
        contact: p.respondent.is_none() && p.link == PublicLink::Contact,
        fields,
        first_name: get("first_name"),
        last_name: get("last_name"),
        email: get("email"),
        phone: get("phone"),
        agree_email: posted.iter().any(|(k, _)| k == "agree_email"),
        agree_phone: posted.iter().any(|(k, _)| k == "agree_phone"),
        email_wording: consent_wording(Channel::Email, &p.party),
        phone_wording: consent_wording(Channel::Phone, &p.party),
        problems,
        done: None,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Invitation {
    i: String,
}

/// `/s/{id}`: a survey to answer, through a personal link (`?i=`) or its public link.
pub async fn answer_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Invitation>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let p = surveys::public_survey(&mut tx, &id, Some(&q.i)).await?;
    tx.commit().await?;
    let posted = vec![("invitation".to_string(), q.i)];
    Ok(Html(
        answer_view(&p, &posted, Problems::default()).render()?,
    ))
}

/// Answers from a survey's page.
pub async fn answer(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(id): Path<String>,
    axum::Form(posted): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let now = Utc::now();
    let invitation = posted
        .iter()
        .find(|(k, _)| k == "invitation")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let again = |problems: Vec<FieldProblem>, status| {
        let state = &state;
        let id = &id;
        let posted = &posted;
        let invitation = &invitation;
        async move {
            let mut tx = state.db.begin().await?;
            let p = surveys::public_survey(&mut tx, id, Some(invitation)).await?;
            tx.commit().await?;
            let html = answer_view(&p, posted, Problems(problems)).render()?;
            Ok::<_, WebError>((status, Html(html)).into_response())
        }
    };
    let too_many = |message: &str| {
        vec![FieldProblem {
            field: "q1".into(),
            message: message.into(),
        }]
    };
    if let Err(AppError::Throttled) = crate::app::signups::admit(&state.db, &client, now).await {
        return again(
            too_many("there have been too many answers from here: wait an hour and try again"),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    let mut tx = state.db.begin().await?;
    let done = surveys::answer(&mut tx, &state.rules, ((state.today)(), now), &id, &posted).await;
    match done {
        Ok(answered) => {
            let p = surveys::public_survey(&mut tx, &id, Some(&invitation)).await?;
            tx.commit().await?;
            let mut page = answer_view(&p, &[], Problems::default());
            page.done = Some(if answered.is_some_and(|a| a.again) {
                "Thank you: your new answers replace the ones you gave before."
            } else {
                "Thank you: your answers are in."
            });
            Ok(Html(page.render()?).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            again(problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Throttled) => {
            drop(tx);
            again(
                too_many(
                    "this address has been used too often in the last hour: wait and try again",
                ),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
