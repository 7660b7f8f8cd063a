//! The forms that change a record: contact details and consents, a payment, leaving.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::app::people::{self, MoveInput};
use crate::app::{AppError, audit as app_audit, members};
use crate::domain::Kind;
use crate::domain::fields::consent_field;
use crate::domain::forms::{ContactInput, LeavingInput, PAYMENT_METHODS, PaymentInput};
use crate::store::roster::Listed;
use crate::web::auth::{Officer, Posted};
use crate::web::view::{Choice, Nav, Problems, opt_date};
use crate::web::{AppState, WebError};

/// A person `officer` may change, for a form about them, audited as opened for it.
async fn opened(
    state: &AppState,
    officer: &Officer,
    id: &str,
    form: &str,
) -> Result<Listed, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, officer, id).await?;
    app_audit::about(&mut tx, officer, &l, "member.view", form).await?;
    tx.commit().await?;
    Ok(l)
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    nav: Nav,
    id: String,
    name: String,
    form: ContactInput,
    problems: Problems,
    kinds: Vec<Choice>,
}

fn kind_choices(current: &str) -> Vec<Choice> {
    Kind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: k.label().into(),
            picked: k.as_str() == current,
        })
        .collect()
}

pub async fn edit_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let d = members::details(&mut tx, &officer, &l).await?;
    app_audit::about(&mut tx, &officer, &l, "member.view", "edit form").await?;
    tx.commit().await?;
    let form = ContactInput {
        first_name: l.first_name.clone(),
        last_name: l.last_name.clone(),
        email: l.email.clone().unwrap_or_default(),
        mobile: l.mobile.clone().unwrap_or_default(),
        phone: l.phone.clone().unwrap_or_default(),
        address_line1: d.address_line1.unwrap_or_default(),
        address_line2: d.address_line2.unwrap_or_default(),
        town: d.town.unwrap_or_default(),
        postcode: l.postcode.clone().unwrap_or_default(),
        gender: l.gender.clone().unwrap_or_default(),
        kind: l.kind.clone(),
        notes: d.notes.unwrap_or_default(),
        email_consent: consent_field(d.email_consent),
        phone_consent: consent_field(d.phone_consent),
        sms_consent: consent_field(d.sms_consent),
        post_consent: consent_field(d.post_consent),
    };
    Ok(Html(
        EditPage {
            nav: officer.nav(),
            id,
            name: format!("{} {}", l.first_name, l.last_name),
            kinds: kind_choices(&form.kind),
            form,
            problems: Problems::default(),
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    #[serde(flatten)]
    contact: ContactInput,
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<EditForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let saved = match form.contact.check() {
        Ok(contact) => {
            let today = (state.today)();
            members::save_contact(&mut tx, &officer, &state.rules, today, &l, &contact).await
        }
        Err(problems) => Err(AppError::Invalid(problems)),
    };
    match saved {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/members/{id}?saved=details")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = EditPage {
                nav: officer.nav(),
                id,
                name: format!("{} {}", l.first_name, l.last_name),
                kinds: kind_choices(&form.contact.kind),
                form: form.contact,
                problems: Problems(problems),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "payment.html")]
struct PaymentPage {
    nav: Nav,
    id: String,
    name: String,
    status: &'static str,
    paid_until: String,
    rate: String,
    suggested: String,
    form: PaymentInput,
    methods: Vec<Choice>,
    problems: Problems,
}

fn method_choices(current: &str) -> Vec<Choice> {
    PAYMENT_METHODS
        .iter()
        .map(|(code, label)| Choice {
            value: code.to_string(),
            label: label.to_string(),
            picked: *code == current,
        })
        .collect()
}

fn payment_page_for(
    state: &AppState,
    officer: &Officer,
    l: &Listed,
    form: PaymentInput,
    problems: Problems,
) -> PaymentPage {
    let today = (state.today)();
    let rate = state.rules.rate(&l.rate, today);
    PaymentPage {
        nav: officer.nav(),
        id: l.public_id.clone(),
        name: format!("{} {}", l.first_name, l.last_name),
        status: l.status(&state.rules.status, today).label(),
        paid_until: opt_date(l.paid_until),
        rate: rate.map_or_else(|| format!("the {} rate", l.rate), |r| r.called()),
        suggested: rate
            .map(|r| format!("{}.{:02}", r.price_pence / 100, r.price_pence % 100))
            .unwrap_or_default(),
        methods: method_choices(&form.method),
        form,
        problems,
    }
}

pub async fn payment_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let l = opened(&state, &officer, &id, "payment form").await?;
    let mut form = PaymentInput::default();
    if let Some(r) = state.rules.rate(&l.rate, (state.today)()) {
        form.amount = format!("{}.{:02}", r.price_pence / 100, r.price_pence % 100);
    }
    Ok(Html(
        payment_page_for(&state, &officer, &l, form, Problems::default()).render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct PaymentForm {
    #[serde(flatten)]
    payment: PaymentInput,
}

pub async fn payment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<PaymentForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let today = (state.today)();
    match members::record_payment(&mut tx, &state.rules, today, &officer, &l, &form.payment).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/members/{id}?saved=payment")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = payment_page_for(&state, &officer, &l, form.payment, Problems(problems));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "leaving.html")]
struct LeavingPage {
    nav: Nav,
    id: String,
    name: String,
    form: LeavingInput,
    problems: Problems,
}

pub async fn leaving_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let l = opened(&state, &officer, &id, "leaving form").await?;
    Ok(Html(
        LeavingPage {
            nav: officer.nav(),
            id,
            name: format!("{} {}", l.first_name, l.last_name),
            form: LeavingInput::default(),
            problems: Problems::default(),
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct LeavingForm {
    #[serde(flatten)]
    leaving: LeavingInput,
}

pub async fn leaving(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<LeavingForm>,
) -> Result<Response, WebError> {
    let today = (state.today)();
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    match members::record_leaving(&mut tx, &state.rules, today, &officer, &l, &form.leaving).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/members/{id}?saved=leaving")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = LeavingPage {
                nav: officer.nav(),
                id,
                name: format!("{} {}", l.first_name, l.last_name),
                form: form.leaving,
                problems: Problems(problems),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "member_move.html")]
struct MovePage {
    nav: Nav,
    id: String,
    name: String,
    now: String,
    branches: Vec<Choice>,
    rates: Vec<Choice>,
    on: String,
    problems: Problems,
}

async fn move_page_for(
    state: &AppState,
    officer: &Officer,
    l: &Listed,
    form: MoveInput,
    problems: Problems,
) -> Result<MovePage, WebError> {
    let mut tx = state.db.begin_read().await?;
    let places = people::places(&mut tx, officer, &state.rules, Some(l.local_party_id)).await?;
    tx.commit().await?;
    Ok(MovePage {
        nav: officer.nav(),
        id: l.public_id.clone(),
        name: format!("{} {}", l.first_name, l.last_name),
        now: format!(
            "{}, {}",
            l.branch_name.as_deref().unwrap_or("no branch"),
            if l.rate.is_empty() {
                "no rate".to_string()
            } else {
                state.rules.rate_name(&l.rate)
            }
        ),
        branches: Choice::among(places.branches, &form.branch, Some("No branch")),
        rates: Choice::among(places.rates, &form.rate, Some("No rate")),
        on: form.on,
        problems,
    })
}

pub async fn move_page(
    State(state): State<AppState>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let l = opened(&state, &officer, &id, "move form").await?;
    let form = MoveInput {
        branch: l.branch_slug.clone().unwrap_or_default(),
        rate: l.rate.clone(),
        on: String::new(),
    };
    let page = move_page_for(&state, &officer, &l, form, Problems::default()).await?;
    Ok(Html(page.render()?))
}

pub async fn move_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<MoveInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let today = (state.today)();
    match people::move_member(&mut tx, &officer, &state.rules, today, &l, &form).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/members/{id}?saved=moved")).into_response())
        }
        Err(AppError::Invalid(problems)) => {
            drop(tx);
            let page = move_page_for(&state, &officer, &l, form, Problems(problems)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct ForumForm {
    #[serde(default)]
    forum: String,
    #[serde(default)]
    action: String,
}

/// Puts a person in a forum branch, or takes them out of one they opted into.
pub async fn forum(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<ForumForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &officer, &id).await?;
    let today = (state.today)();
    match form.action.as_str() {
        "join" => crate::app::forums::opt_in(&mut tx, &officer, today, &l, &form.forum).await?,
        "leave" => {
            crate::app::forums::opt_out(&mut tx, &officer, &state.rules, today, &l, &form.forum)
                .await?
        }
        _ => {
            return Err(WebError::BadRequest(
                "Choose to put them in or take them out.".into(),
            ));
        }
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/members/{id}?saved=forum")).into_response())
}

/// Records a course the person has done.
pub async fn training(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { officer, form }: Posted<crate::app::members::CourseInput>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    crate::app::members::add_training(&mut tx, &officer, (state.today)(), &id, &form).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/members/{id}?saved=training")).into_response())
}
