//! Signing in and out, sessions, CSRF, invitations and password resets, and the bearer
//! tokens of the API. A session is a random id in a `__Host-` cookie (HttpOnly,
//! SameSite=Lax, Secure where the browser allows it); only its digest is stored. Sessions
//! end after 30 idle minutes or 12 hours, whichever comes first.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{DateTime, Duration, Utc};
use std::net::SocketAddr;

use super::{AppState, WebConfig, WebError};
use crate::app::Principal;
use crate::app::officers::send_link;
use crate::domain::fields::check_text;
use crate::domain::password;
use crate::secrets;
use crate::store::accounts::{self, LinkPurpose};
use crate::store::units;

pub const SESSION_COOKIE: &str = "__Host-rosette";
/// Where Secure cookies are impossible (plain HTTP to a LAN address), the prefix is too.
const PLAIN_SESSION_COOKIE: &str = "rosette-session";
const IDLE: i64 = 30;
const ABSOLUTE_HOURS: i64 = 12;
/// Wrong passwords for one account from one address before that pair waits. Counted per
/// pair, so nobody elsewhere can lock an officer out by guessing at their account.
const ACCOUNT_FAILURES: i64 = 5;
/// Wrong passwords from one address, for any accounts, before it waits: high enough that
/// a shared office mistyping is never stopped, low enough to slow guessing at scale.
const ADDRESS_FAILURES: i64 = 100;
const THROTTLE_MINUTES: i64 = 15;

fn cookie_name(config: &WebConfig) -> &'static str {
    if config.secure_cookies() {
        SESSION_COOKIE
    } else {
        PLAIN_SESSION_COOKIE
    }
}

/// The signed-in user of a page request, with the scope their roles give them, and the
/// session's CSRF token for the forms it renders.
pub struct Officer {
    pub who: Principal,
    pub csrf: String,
}

impl std::ops::Deref for Officer {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.who
    }
}

/// The digest of the request's session cookie, if it has one.
fn session_digest(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let jar = CookieJar::from_headers(headers);
    jar.get(cookie_name(&state.config))
        .map(|cookie| secrets::digest(cookie.value()))
}

/// A live session from the request's cookie, with its digest; expired ones are ended.
async fn live_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(String, accounts::Session)>, WebError> {
    let Some(hash) = session_digest(state, headers) else {
        return Ok(None);
    };
    let mut tx = state.db.read_once().await?;
    let Some(session) = accounts::session(&mut tx, &hash).await? else {
        return Ok(None);
    };
    drop(tx);
    Ok(still_live(state, &hash, &session)
        .await?
        .then_some((hash, session)))
}

/// Whether a session found is still live: an expired one is ended, and a live one is
/// touched once a minute, each in a write transaction of its own.
async fn still_live(
    state: &AppState,
    hash: &str,
    session: &accounts::Session,
) -> Result<bool, WebError> {
    let now = Utc::now();
    if expired(session.created_at, session.last_seen_at, now) {
        let mut tx = state.db.begin().await?;
        accounts::end_session(&mut tx, hash).await?;
        tx.commit().await?;
        return Ok(false);
    }
    // Writing on every request would serialise requests on SQLite; a minute's precision
    // is plenty for a 30-minute idle limit.
    if now - session.last_seen_at > Duration::minutes(1) {
        let mut tx = state.db.begin().await?;
        accounts::touch_session(&mut tx, hash, now).await?;
        tx.commit().await?;
    }
    Ok(true)
}

/// Pages an officer who must set up a second factor can still reach.
fn allowed_without_second_factor(path: &str) -> bool {
    path.starts_with("/account/") || path == "/sign-out"
}

/// Pages read with `Officer`; a form that changes anything is taken with `Posted`, which
/// checks its CSRF token first. `Officer` refuses other methods, so a new POST handler
/// that forgot the token fails on its first request, in the tests, not in production.
impl FromRequestParts<AppState> for Officer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            tracing::error!(
                path = parts.uri.path(),
                "a handler for {} takes Officer, not Posted",
                parts.method
            );
            return Err(WebError::Forbidden);
        }
        Officer::signed_in(parts, state).await
    }
}

/// A form posted by a signed-in officer, its CSRF token already checked against the
/// session's. Every page handler that changes anything takes its form this way.
pub struct Posted<T> {
    pub officer: Officer,
    pub form: T,
}

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let officer = Officer::signed_in(&mut parts, state).await?;
        let unreadable = || {
            WebError::BadRequest(
                "This form could not be read. Go back, reload the page and try again.".into(),
            )
        };
        let bytes = axum::body::Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| unreadable())?;
        // Other fields are ignored here and read into `T` below.
        let token: Token = serde_urlencoded::from_bytes(&bytes).map_err(|_| unreadable())?;
        officer.check_csrf(&token.csrf)?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            WebError::BadRequest(format!(
                "This form could not be read ({e}). Go back, reload the page and try again."
            ))
        })?;
        Ok(Posted { officer, form })
    }
}

/// A file posted by a signed-in officer from a `multipart/form-data` form, its CSRF
/// token checked like `Posted`'s. The token field must come before the file, as the
/// page's form puts it, so a file is never read for a request that will be refused.
pub struct Uploaded {
    pub officer: Officer,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl FromRequest<AppState> for Uploaded {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let officer = Officer::signed_in(&mut parts, state).await?;
        let unreadable = |why: &str| {
            WebError::BadRequest(format!(
                "The upload could not be read ({why}). Go back, reload the page and try again."
            ))
        };
        let mut form =
            axum::extract::Multipart::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(|_| unreadable("it is not a file upload"))?;
        let mut checked = false;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|_| unreadable("it was cut short or is too large"))?
        {
            match field.name() {
                Some("csrf") => {
                    let token = field.text().await.map_err(|_| unreadable("no token"))?;
                    officer.check_csrf(&token)?;
                    checked = true;
                }
                Some("file") if checked => {
                    let file_name = field.file_name().unwrap_or_default().to_string();
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|_| unreadable("it was cut short or is too large"))?;
                    return Ok(Uploaded {
                        officer,
                        file_name,
                        bytes: bytes.to_vec(),
                    });
                }
                _ => {}
            }
        }
        if !checked {
            // No token at all: refused as any form without one is.
            officer.check_csrf("")?;
        }
        Err(unreadable("no file was chosen"))
    }
}

/// The CSRF token every page form carries.
#[derive(serde::Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

impl Officer {
    async fn signed_in(parts: &mut Parts, state: &AppState) -> Result<Officer, WebError> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let Some(hash) = session_digest(state, &parts.headers) else {
            return Err(WebError::SignIn(next));
        };
        // The session, its user and their roles come in one statement, outside a
        // transaction: every page pays for this, and each statement, BEGIN and COMMIT
        // included, is a round trip to SQLite's connection thread.
        let mut tx = state.db.read_once().await?;
        let Some((session, user, assignments)) = accounts::signed_in(&mut tx, &hash).await? else {
            return Err(WebError::SignIn(next));
        };
        let Some(who) = Principal::acting(user, &assignments) else {
            return Err(WebError::SignIn(next));
        };
        drop(tx);
        let must_enrol = who.user.totp_secret.is_none()
            && crate::domain::access::second_factor_required(&assignments, &who.scope);
        if !still_live(state, &hash, &session).await? {
            return Err(WebError::SignIn(next));
        }
        if session.second_factor_pending {
            return Err(WebError::SecondFactor(next));
        }
        if must_enrol && !allowed_without_second_factor(parts.uri.path()) {
            return Err(WebError::EnrolSecondFactor);
        }
        Ok(Officer {
            who,
            csrf: session.csrf,
        })
    }

    /// The menu for this officer's pages, with the token their forms carry.
    pub fn nav(&self) -> super::view::Nav {
        super::view::Nav::new(&self.who, &self.csrf)
    }

    /// Refuses a form whose CSRF token is not this session's.
    fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if secrets::constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(WebError::BadRequest(
                "This form has expired or did not come from Rosette. Go back, reload the page and try again.".into(),
            ))
        }
    }
}

fn expired(created: DateTime<Utc>, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen > Duration::minutes(IDLE) || now - created > Duration::hours(ABSOLUTE_HOURS)
}

/// The user behind an API request's bearer token.
pub struct ApiUser(pub Principal);

impl std::ops::Deref for ApiUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorised = || {
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                axum::Json(serde_json::json!({"error": "unauthorized", "message": "send Authorization: Bearer TOKEN (see `rosette token create`)"})),
            )
                .into_response()
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .ok_or_else(unauthorised)?;
        let load = async {
            let hash = secrets::digest(token);
            let mut tx = state.db.read_once().await?;
            let Some((last_used, user, assignments)) =
                accounts::token_holder(&mut tx, &hash).await?
            else {
                return Ok(None);
            };
            drop(tx);
            let found = Principal::acting(user, &assignments);
            // As with sessions: a write per request would serialise the API on SQLite,
            // and "last used" to the minute is plenty.
            let now = Utc::now();
            if found.is_some()
                && last_used
                    .last_used_at
                    .is_none_or(|at| now - at > Duration::minutes(1))
            {
                let mut tx = state.db.begin().await?;
                accounts::touch_token(&mut tx, &hash, now).await?;
                tx.commit().await?;
            }
            Ok::<_, WebError>(found)
        };
        match load.await {
            Ok(Some(who)) => Ok(ApiUser(who)),
            Ok(None) => Err(unauthorised()),
            Err(e) => Err(e.into_response()),
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
    done: String,
}

/// What wrong passwords are counted under: the account and the address they came from
/// (with an empty address, the start of every such key for the account).
fn failure_key(email: &str, address: &str) -> String {
    format!("account:{email}|{address}")
}

/// The token of an `Authorization: Bearer TOKEN` header. The scheme's name is
/// case-insensitive (RFC 9110, section 11.1), so `bearer` and `BEARER` do too.
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Only paths on this site, so a crafted link cannot send someone elsewhere after sign-in.
/// Every byte must be visible ASCII: browsers drop tabs and line breaks from a location
/// (`/\t/evil.example` becomes `//evil.example`, another site), a CR cannot be sent in a
/// header at all, and a backslash reads as a slash.
fn safe_next(next: &str) -> String {
    let on_this_site = next.starts_with('/')
        && !next.starts_with("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if on_this_site {
        next.to_string()
    } else {
        "/".to_string()
    }
}

pub async fn sign_in_page(Query(q): Query<NextQuery>) -> Result<Html<String>, WebError> {
    let notice = match q.done.as_str() {
        "password" => Some(
            "Your password is set. Sign in with it now. Anywhere else this account was signed in, and any other emailed link for it, no longer works.".to_string(),
        ),
        "out" => Some("You have signed out.".to_string()),
        _ => None,
    };
    Ok(Html(
        SignInPage {
            next: safe_next(&q.next),
            email: String::new(),
            error: None,
            notice,
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The peer's IP address, for throttling; "unknown" where the server was not given one
/// (in-process tests).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_else(|| "unknown".into()),
        ))
    }
}

pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let email = form.email.trim().to_lowercase();
    let next = safe_next(&form.next);
    if let Err(e) = check_text(&email, false) {
        let html = SignInPage {
            next,
            email: String::new(),
            error: Some(format!("Email address: {e}.")),
            notice: None,
        }
        .render()?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    }
    let account_key = failure_key(&email, &client);
    let address_key = format!("address:{client}");
    let since = Utc::now() - Duration::minutes(THROTTLE_MINUTES);
    let mut tx = state.db.begin().await?;
    let throttled = accounts::failures_since(&mut tx, &account_key, since).await?
        >= ACCOUNT_FAILURES
        || accounts::failures_since(&mut tx, &address_key, since).await? >= ADDRESS_FAILURES;
    let page = |error: &str| SignInPage {
        next: next.clone(),
        email: form.email.clone(),
        error: Some(error.to_string()),
        notice: None,
    };
    if throttled {
        drop(tx);
        let html = page("Too many attempts to sign in. Wait 15 minutes, or reset your password.")
            .render()?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, Html(html)).into_response());
    }
    let user = accounts::user_by_email(&mut tx, &email).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| secrets::decoy_hash().to_string());
    let password = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(u) if ok && u.disabled_at.is_none() && u.password_hash.is_some() => u,
        _ => {
            accounts::record_failure(&mut tx, &account_key).await?;
            accounts::record_failure(&mut tx, &address_key).await?;
            tx.commit().await?;
            let html = page("That email address and password do not match an account.").render()?;
            return Ok((StatusCode::UNAUTHORIZED, Html(html)).into_response());
        }
    };
    accounts::clear_failures(&mut tx, &account_key).await?;
    let old = jar
        .get(cookie_name(&state.config))
        .map(|c| secrets::digest(c.value()));
    if let Some(old) = old {
        accounts::end_session(&mut tx, &old).await?;
    }
    // A new id at every sign-in, so an id planted before sign-in is worth nothing after.
    let session_id = secrets::new_token();
    let pending = user.totp_secret.is_some();
    accounts::create_session(
        &mut tx,
        &secrets::digest(&session_id),
        user.id,
        &secrets::new_token(),
        pending,
    )
    .await?;
    tx.commit().await?;
    let cookie = Cookie::build((cookie_name(&state.config), session_id))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .build();
    let to = if pending {
        format!("/sign-in/code?next={}", super::urlencode(&next))
    } else {
        next
    };
    Ok((jar.add(cookie), Redirect::to(&to)).into_response())
}

/// A form with nothing but its CSRF token (sign out, delete, remove), which `Posted`
/// checks.
#[derive(serde::Deserialize)]
pub struct NoFields {}

pub async fn sign_out(
    State(state): State<AppState>,
    jar: CookieJar,
    _: Posted<NoFields>,
) -> Result<Response, WebError> {
    let name = cookie_name(&state.config);
    if let Some(c) = jar.get(name) {
        let mut tx = state.db.begin().await?;
        accounts::end_session(&mut tx, &secrets::digest(c.value())).await?;
        tx.commit().await?;
    }
    let gone = Cookie::build((name, "")).path("/").build();
    Ok((jar.remove(gone), Redirect::to("/sign-in?done=out")).into_response())
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPasswordPage {
    heading: &'static str,
    name: String,
    action: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub title: String,
    pub message: String,
}

fn link_gone() -> Result<Response, WebError> {
    let page = MessagePage {
        title: "This link has expired".into(),
        message: "The link has been used already or is too old. Ask your Secretary for a new invitation, or reset your password from the sign-in page.".into(),
    };
    Ok((StatusCode::GONE, Html(page.render()?)).into_response())
}

async fn password_page(
    state: &AppState,
    token: &str,
    purpose: LinkPurpose,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let Some(user_id) =
        accounts::link_user(&mut tx, &secrets::digest(token), purpose, Utc::now()).await?
    else {
        return link_gone();
    };
    let user = accounts::user(&mut tx, user_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let (heading, action) = match purpose {
        LinkPurpose::Invitation => ("Welcome to Rosette", format!("/welcome/{token}")),
        LinkPurpose::PasswordReset => ("Choose a new password", format!("/reset/{token}")),
    };
    Ok(Html(
        SetPasswordPage {
            heading,
            name: user.name,
            action,
            error: None,
        }
        .render()?,
    )
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    password: String,
    #[serde(default)]
    password_again: String,
}

async fn set_password(
    state: &AppState,
    token: &str,
    purpose: LinkPurpose,
    form: PasswordForm,
) -> Result<Response, WebError> {
    let digest = secrets::digest(token);
    let mut tx = state.db.begin().await?;
    let now = Utc::now();
    let Some(user_id) = accounts::link_user(&mut tx, &digest, purpose, now).await? else {
        return link_gone();
    };
    let user = accounts::user(&mut tx, user_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let problem = if form.password != form.password_again {
        Some("The two passwords are not the same.".to_string())
    } else {
        password::check(&form.password, &user.email, &user.name)
            .err()
            .map(|p| format!("Please choose another password: {p}."))
    };
    if let Some(error) = problem {
        let (heading, action) = match purpose {
            LinkPurpose::Invitation => ("Welcome to Rosette", format!("/welcome/{token}")),
            LinkPurpose::PasswordReset => ("Choose a new password", format!("/reset/{token}")),
        };
        let html = SetPasswordPage {
            heading,
            name: user.name,
            action,
            error: Some(error),
        }
        .render()?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    }
    let password = form.password;
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|e| WebError::BadRequest(e.to_string()))??;
    if accounts::use_link(&mut tx, &digest, purpose, now)
        .await?
        .is_none()
    {
        return link_gone();
    }
    accounts::set_password(&mut tx, user.id, &hash).await?;
    accounts::end_sessions_of(&mut tx, user.id).await?;
    accounts::clear_failures_starting(&mut tx, &failure_key(&user.email, "")).await?;
    tx.commit().await?;
    Ok(Redirect::to("/sign-in?done=password").into_response())
}

pub async fn welcome_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    password_page(&state, &token, LinkPurpose::Invitation).await
}

pub async fn welcome(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    set_password(&state, &token, LinkPurpose::Invitation, form).await
}

pub async fn reset_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    password_page(&state, &token, LinkPurpose::PasswordReset).await
}

pub async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    set_password(&state, &token, LinkPurpose::PasswordReset, form).await
}

#[derive(Template)]
#[template(path = "reset_request.html")]
struct ResetRequestPage {
    sent: bool,
    mail_folder: Option<String>,
}

pub async fn reset_request_page(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    Ok(Html(
        ResetRequestPage {
            sent: false,
            mail_folder: mail_folder(&state),
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct ResetRequestForm {
    email: String,
}

pub async fn reset_request(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Form(form): Form<ResetRequestForm>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let address_key = format!("reset:{client}");
    let since = Utc::now() - Duration::minutes(THROTTLE_MINUTES);
    // Counted like failures, so the form cannot be used to flood someone's inbox.
    if accounts::failures_since(&mut tx, &address_key, since).await? < ACCOUNT_FAILURES {
        accounts::record_failure(&mut tx, &address_key).await?;
        // Text no address can hold is looked up as no one.
        if check_text(&form.email, false).is_ok()
            && let Some(user) = accounts::user_by_email(&mut tx, &form.email).await?
            && user.disabled_at.is_none()
        {
            send_link(
                &mut tx,
                &state.config.public_url,
                &user,
                LinkPurpose::PasswordReset,
                "",
            )
            .await?;
        }
        tx.commit().await?;
    }
    // The same answer whether or not the address has an account.
    Ok(Html(
        ResetRequestPage {
            sent: true,
            mail_folder: mail_folder(&state),
        }
        .render()?,
    ))
}

pub fn mail_folder(state: &AppState) -> Option<String> {
    state
        .config
        .mailer
        .file_folder()
        .map(|p| p.display().to_string())
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    next: String,
    error: Option<String>,
}

pub async fn code_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    match live_session(&state, &headers).await? {
        Some((_, s)) if s.second_factor_pending => Ok(Html(
            CodePage {
                next: safe_next(&q.next),
                error: None,
            }
            .render()?,
        )
        .into_response()),
        Some(_) => Ok(Redirect::to(&safe_next(&q.next)).into_response()),
        None => Ok(Redirect::to("/sign-in").into_response()),
    }
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    let next = safe_next(&form.next);
    let Some((hash, session)) = live_session(&state, &headers).await? else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    if !session.second_factor_pending {
        return Ok(Redirect::to(&next).into_response());
    }
    let mut tx = state.db.begin().await?;
    let user = accounts::user(&mut tx, session.user_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let key = format!("code:{}", user.id);
    let since = Utc::now() - Duration::minutes(THROTTLE_MINUTES);
    let error = if accounts::failures_since(&mut tx, &key, since).await? >= ACCOUNT_FAILURES {
        Some("Too many wrong codes. Wait 15 minutes and sign in again.")
    } else {
        let step = user
            .totp_secret
            .as_deref()
            .and_then(|secret| secrets::totp_step(secret, &form.code, unix_now()));
        match step {
            Some(step) if accounts::use_totp_step(&mut tx, user.id, step).await? => None,
            _ => {
                accounts::record_failure(&mut tx, &key).await?;
                Some("That code is not right. Use the newest code your app shows.")
            }
        }
    };
    if let Some(error) = error {
        tx.commit().await?;
        let html = CodePage {
            next,
            error: Some(error.to_string()),
        }
        .render()?;
        return Ok((StatusCode::UNAUTHORIZED, Html(html)).into_response());
    }
    accounts::complete_second_factor(&mut tx, &hash).await?;
    accounts::clear_failures(&mut tx, &key).await?;
    tx.commit().await?;
    Ok(Redirect::to(&next).into_response())
}

fn unix_now() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    nav: super::view::Nav,
    enabled: bool,
    pending: Option<(String, String)>,
    required: bool,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TwoFactorQuery {
    done: String,
}

pub async fn two_factor_page(
    State(state): State<AppState>,
    officer: Officer,
    Query(q): Query<TwoFactorQuery>,
) -> Result<Html<String>, WebError> {
    let notice = match q.done.as_str() {
        "on" => Some(
            "Two-step sign-in is on. You will be asked for a code each time you sign in."
                .to_string(),
        ),
        "off" => Some("Two-step sign-in is off.".to_string()),
        _ => None,
    };
    render_two_factor(&state, &officer, None, notice).await
}

async fn render_two_factor(
    state: &AppState,
    officer: &Officer,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Html<String>, WebError> {
    let mut tx = state.db.begin().await?;
    let required = units::requires_second_factor(&mut tx, &officer.scope.local_parties).await?
        && officer.scope.sees_everyone();
    tx.commit().await?;
    Ok(Html(
        TwoFactorPage {
            nav: officer.nav(),
            enabled: officer.user.totp_secret.is_some(),
            pending: officer.user.totp_pending.as_ref().map(|secret| {
                (
                    secret.clone(),
                    secrets::totp_uri(secret, &officer.user.email),
                )
            }),
            required,
            error,
            notice,
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct TwoFactorForm {
    #[serde(default)]
    code: String,
}

pub async fn two_factor_start(
    State(state): State<AppState>,
    Posted { officer, .. }: Posted<NoFields>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let secret = secrets::new_totp_secret();
    accounts::set_totp(
        &mut tx,
        officer.user.id,
        Some(&secret),
        officer.user.totp_secret.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/account/two-factor").into_response())
}

pub async fn two_factor_confirm(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<TwoFactorForm>,
) -> Result<Response, WebError> {
    let Some(secret) = officer.user.totp_pending.clone() else {
        return Ok(Redirect::to("/account/two-factor").into_response());
    };
    let mut tx = state.db.begin().await?;
    let step = secrets::totp_step(&secret, &form.code, unix_now());
    match step {
        Some(step) if accounts::use_totp_step(&mut tx, officer.user.id, step).await? => {
            accounts::set_totp(&mut tx, officer.user.id, None, Some(&secret)).await?;
            tx.commit().await?;
            Ok(Redirect::to("/account/two-factor?done=on").into_response())
        }
        _ => {
            drop(tx);
            let error =
                "That code is not right. Check the key was typed in full, and use the newest code.";
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_two_factor(&state, &officer, Some(error.into()), None).await?,
            )
                .into_response())
        }
    }
}

pub async fn two_factor_off(
    State(state): State<AppState>,
    Posted { officer, form }: Posted<TwoFactorForm>,
) -> Result<Response, WebError> {
    let mut tx = state.db.begin().await?;
    let required = units::requires_second_factor(&mut tx, &officer.scope.local_parties).await?
        && officer.scope.sees_everyone();
    let step = officer
        .user
        .totp_secret
        .as_deref()
        .and_then(|secret| secrets::totp_step(secret, &form.code, unix_now()));
    let error = if required {
        Some(
            "Your local party requires two-step sign-in for your role, so it cannot be turned off.",
        )
    } else {
        match step {
            Some(step) if accounts::use_totp_step(&mut tx, officer.user.id, step).await? => None,
            _ => Some("That code is not right; two-step sign-in is still on."),
        }
    };
    if let Some(error) = error {
        drop(tx);
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_two_factor(&state, &officer, Some(error.into()), None).await?,
        )
            .into_response());
    }
    accounts::set_totp(&mut tx, officer.user.id, None, None).await?;
    tx.commit().await?;
    Ok(Redirect::to("/account/two-factor?done=off").into_response())
}

/// Refuses a state change whose Origin header names another site (browsers send it on
/// cross-site form posts), as a second line behind the CSRF token.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST))
    else {
        return true;
    };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        for header in ["Bearer abc", "bearer abc", "BEARER abc", "  Bearer   abc  "] {
            assert_eq!(bearer_token(header), Some("abc"), "{header:?}");
        }
        for header in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", "abc", ""] {
            assert_eq!(bearer_token(header), None, "{header:?}");
        }
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/members?q=a"), "/members?q=a");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        for sneaky in [
            "/\t/evil.example/x",
            "/\n/evil.example/x",
            "/\r/evil.example/x",
            "/\u{b}/evil.example/x",
            "/ /evil.example/x",
            "/\u{0}",
            "/caf\u{e9}",
            "/\u{2028}/evil.example",
        ] {
            assert_eq!(safe_next(sneaky), "/", "{sneaky:?}");
        }
        assert_eq!(
            safe_next("/members?q=%C3%A9&sort=-joined"),
            "/members?q=%C3%A9&sort=-joined"
        );
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let t0 = Utc::now();
        assert!(!expired(t0, t0, t0 + Duration::minutes(29)));
        assert!(expired(t0, t0, t0 + Duration::minutes(31)));
        assert!(!expired(
            t0,
            t0 + Duration::hours(11),
            t0 + Duration::hours(11) + Duration::minutes(20)
        ));
        assert!(expired(
            t0,
            t0 + Duration::hours(12),
            t0 + Duration::hours(12) + Duration::minutes(1)
        ));
    }

    #[test]
    fn origins_must_match_the_host() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h));
        h.insert(header::HOST, "rosette.example".parse().expect("header"));
        h.insert(
            header::ORIGIN,
            "https://rosette.example".parse().expect("header"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            "https://evil.example".parse().expect("header"),
        );
        assert!(!same_origin(&h));
    }
}
