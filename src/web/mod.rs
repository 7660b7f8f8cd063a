//! The HTTP server: officers' pages (server-rendered, escaped by default, no script), the
//! JSON API under `/api/v1`, sign-in and sessions. Handlers are thin: they check the form,
//! ask the store within the signed-in user's scope, and render.

mod api;
mod auth;
mod pages;
mod view;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use chrono::NaiveDate;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::domain::Rules;
use crate::mail::Mailer;
use crate::store::{Backend, Db, units};

pub use api::document as api_document;
pub use auth::SESSION_COOKIE;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Where reads' audit entries are written, many requests to a transaction.
    pub audit: crate::app::audit::Appender,
    pub rules: Arc<Rules>,
    /// Today's date in the local party's time zone, asked for on every request.
    pub today: fn() -> NaiveDate,
    pub config: Arc<WebConfig>,
}

/// How the server is reached and where its mail goes.
#[derive(Clone)]
pub struct WebConfig {
    /// The address people use, for links in emails (`https://…` turns on Secure cookies).
    pub public_url: String,
    pub mailer: Mailer,
}

impl WebConfig {
    /// Secure (and `__Host-`) cookies when people reach the server over HTTPS, as set by
    /// `ROSETTE_PUBLIC_URL`. Browsers drop Secure cookies sent over plain HTTP, even on
    /// loopback, so a plain-HTTP demo gets an ordinary HttpOnly cookie instead.
    fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Export(#[from] crate::app::export::ExportError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Officer(#[from] crate::app::officers::OfficerError),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in first")]
    SignIn(String),
    #[error("give the second factor's code first")]
    SecondFactor(String),
    #[error("set up two-step sign-in first")]
    EnrolSecondFactor,
    #[error("a request handler panicked")]
    Panicked,
    #[error("too many attempts")]
    TooMany,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
}

impl From<crate::app::AppError> for WebError {
    fn from(e: crate::app::AppError) -> Self {
        use crate::app::AppError;
        match e {
            AppError::Store(e) => WebError::Store(e),
            AppError::NotFound => WebError::NotFound,
            AppError::Forbidden => WebError::Forbidden,
            AppError::Throttled => WebError::TooMany,
            // A form handler shows these beside its fields; one that reaches here is a
            // request no form of Rosette's makes.
            shown @ (AppError::Invalid(_) | AppError::Duplicate(_)) => {
                WebError::BadRequest(shown.to_string())
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it is not yours to see.".to_string(),
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your role does not let you do this. Ask your local party's Secretary if you need it.".to_string(),
            ),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Please check", m.clone()),
            WebError::TooMany => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "There have been too many attempts from here. Wait an hour and try again."
                    .to_string(),
            ),
            WebError::SignIn(next) => {
                let to = format!("/sign-in?next={}", urlencode(next));
                return Redirect::to(&to).into_response();
            }
            WebError::SecondFactor(next) => {
                let to = format!("/sign-in/code?next={}", urlencode(next));
                return Redirect::to(&to).into_response();
            }
            WebError::EnrolSecondFactor => {
                return Redirect::to("/account/two-factor").into_response();
            }
            _ => {
                tracing::error!(error = %self, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side; it has been logged.".to_string(),
                )
            }
        };
        let page = ErrorPage { title, message };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, title).into_response(),
        }
    }
}

/// Room for a page before it is rendered. askama's own estimate counts a template's text
/// once, however many rows its loops write: a member list page (19 kB) grew its string
/// three times, copying it each time: a quarter of the instructions spent rendering it. The
/// string becomes the response body as it is, unused room and all, and is freed once sent.
const PAGE_ROOM: usize = 32 * 1024;

/// A rendered page: 422 when it is showing the user's mistakes, so nothing reads it as
/// a success, 200 otherwise.
fn render<T: Template>(page: &T, invalid: bool) -> Result<Response, WebError> {
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut html = String::with_capacity(T::SIZE_HINT.max(PAGE_ROOM));
    page.render_into(&mut html)?;
    Ok((status, Html(html)).into_response())
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

pub fn router(state: AppState) -> Router {
    let app = Router::new()
        .route("/", get(pages::dashboard::dashboard))
        .route("/healthz", get(healthz))
        .route("/static/rosette.css", get(stylesheet))
        .route("/sign-in", get(auth::sign_in_page).post(auth::sign_in))
        .route("/sign-in/code", get(auth::code_page).post(auth::code))
        .route("/sign-out", post(auth::sign_out))
        .route("/account/two-factor", get(auth::two_factor_page))
        .route("/account/two-factor/start", post(auth::two_factor_start))
        .route(
            "/account/two-factor/confirm",
            post(auth::two_factor_confirm),
        )
        .route("/account/two-factor/off", post(auth::two_factor_off))
        .route("/roles/two-factor", post(pages::roles::require_two_factor))
        .route("/roles/report-period", post(pages::roles::report_period))
        .route(
            "/welcome/{token}",
            get(auth::welcome_page).post(auth::welcome),
        )
        .route(
            "/reset",
            get(auth::reset_request_page).post(auth::reset_request),
        )
        .route("/reset/{token}", get(auth::reset_page).post(auth::reset))
        .route("/members", get(pages::members::list::member_list))
        .route("/members/export", get(pages::members::list::export))
        .route(
            "/members/new",
            get(pages::members::add::add_page).post(pages::members::add::add),
        )
        .route("/people/duplicates", get(pages::members::duplicates::list))
        .route(
            "/people/merge",
            get(pages::members::duplicates::merge_page).post(pages::members::duplicates::merge),
        )
        .route("/members/{id}/forums", post(pages::members::forms::forum))
        .route(
            "/members/{id}/training",
            post(pages::members::forms::training),
        )
        .route("/events", get(pages::events::list))
        .route(
            "/events/new",
            get(pages::events::new_page).post(pages::events::create),
        )
        .route("/events/{id}", get(pages::events::show))
        .route("/events/{id}/calendar.ics", get(pages::events::event_file))
        .route("/events/{id}/walk-in", post(pages::events::walk_in))
        .route("/events/{id}/close", post(pages::events::close))
        .route(
            "/events/{id}/edit",
            get(pages::events::edit_page).post(pages::events::edit),
        )
        .route("/events/{id}/cancel", post(pages::events::cancel))
        .route("/events/{id}/remind", post(pages::events::remind))
        .route("/events/{id}/invite", post(pages::events::invite))
        .route(
            "/events/{id}/met",
            get(pages::events::met_form).post(pages::events::met),
        )
        .route("/calendar/{file}", get(pages::events::public_feed))
        .route("/calendar/private/{file}", get(pages::events::private_feed))
        .route(
            "/account/calendar",
            get(pages::events::feed_page).post(pages::events::feed),
        )
        .route(
            "/e/{id}",
            get(pages::signups::page).post(pages::signups::sign_up),
        )
        .route("/e/{id}/calendar.ics", get(pages::signups::calendar_file))
        .route(
            "/e/{id}/cancel/{token}",
            get(pages::signups::cancel_page).post(pages::signups::cancel),
        )
        .route(
            "/events/{id}/door",
            get(pages::events::door).post(pages::events::sign_in),
        )
        .route(
            "/import",
            get(pages::imports::page)
                .post(pages::imports::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::app::imports::MAX_BYTES,
                )),
        )
        .route(
            "/import/{id}",
            get(pages::imports::show).post(pages::imports::act),
        )
        .route(
            "/members/{id}/move",
            get(pages::members::forms::move_page).post(pages::members::forms::move_member),
        )
        .route("/members/{id}", get(pages::members::record::member_page))
        .route(
            "/members/{id}/edit",
            get(pages::members::forms::edit_page).post(pages::members::forms::edit),
        )
        .route(
            "/members/{id}/payment",
            get(pages::members::forms::payment_page).post(pages::members::forms::payment),
        )
        .route(
            "/members/{id}/leaving",
            get(pages::members::forms::leaving_page).post(pages::members::forms::leaving),
        )
        .route("/members/{id}/share", post(pages::members::record::share))
        .route(
            "/segments",
            get(pages::segments::segment_list).post(pages::segments::save_segment),
        )
        .route(
            "/segments/{id}/delete",
            post(pages::segments::delete_segment),
        )
        .route(
            "/roles",
            get(pages::roles::roles_page).post(pages::roles::invite),
        )
        .route("/roles/{id}/remove", post(pages::roles::remove_role))
        .route("/audit", get(pages::audit::audit_page))
        .route(
            "/reports",
            get(pages::reports::list).post(pages::reports::make),
        )
        .route("/reports/trends", get(pages::reports::trends))
        .route("/present", get(pages::presentation::page))
        .route("/reports/ladder", get(pages::ladder::page))
        .route("/reports/eligibility", get(pages::eligibility::page))
        .route("/reports/representation", get(pages::representation::page))
        .route("/reports/{id}", get(pages::reports::show))
        .route("/reports/{id}/export", get(pages::reports::export))
        .route("/calls", get(pages::calls::list).post(pages::calls::create))
        .route("/calls/new", get(pages::calls::new_page))
        .route("/calls/{id}", get(pages::calls::show))
        .route("/calls/{id}/callers", post(pages::calls::add_caller))
        .route(
            "/calls/{id}/callers/remove",
            post(pages::calls::remove_caller),
        )
        .route("/calls/{id}/next", post(pages::calls::next))
        .route("/calls/{id}/call", get(pages::calls::call))
        .route("/calls/{id}/outcome", post(pages::calls::outcome))
        .route(
            "/journeys",
            get(pages::journeys::list).post(pages::journeys::create),
        )
        .route("/journeys/new", get(pages::journeys::new_page))
        .route("/journeys/{id}", get(pages::journeys::board))
        .route("/journeys/{id}/take-off", post(pages::journeys::take_off))
        .route(
            "/journeys/{id}/edit",
            get(pages::journeys::edit_page).post(pages::journeys::edit),
        )
        .route(
            "/organisations",
            get(pages::organisations::list).post(pages::organisations::create),
        )
        .route("/organisations/new", get(pages::organisations::new_page))
        .route("/organisations/{id}", get(pages::organisations::show))
        .route(
            "/organisations/{id}/edit",
            get(pages::organisations::edit_page).post(pages::organisations::edit),
        )
        .route(
            "/organisations/{id}/contacts",
            post(pages::organisations::add_contact),
        )
        .route(
            "/organisations/{id}/contacts/remove",
            post(pages::organisations::remove_contact),
        )
        .route(
            "/organisations/{id}/dealings",
            post(pages::organisations::record_dealing),
        )
        .route(
            "/surveys",
            get(pages::surveys::list).post(pages::surveys::create),
        )
        .route("/surveys/new", get(pages::surveys::new_page))
        .route("/surveys/{id}", get(pages::surveys::show))
        .route(
            "/surveys/{id}/edit",
            get(pages::surveys::edit_page).post(pages::surveys::edit),
        )
        .route("/surveys/{id}/invite", post(pages::surveys::invite))
        .route("/surveys/{id}/close", post(pages::surveys::close))
        .route(
            "/s/{id}",
            get(pages::surveys::answer_page).post(pages::surveys::answer),
        )
        .route(
            "/notices",
            get(pages::notices::list).post(pages::notices::send),
        )
        .route("/notices/{id}", get(pages::notices::show))
        .route("/women", get(pages::women::home))
        .route("/women/welcomed", post(pages::women::welcomed))
        .route("/tasks", get(pages::tasks::my_tasks))
        .route("/tasks/{id}/done", post(pages::tasks::task_done))
        .route("/members/{id}/tasks", post(pages::tasks::add_task))
        .route(
            "/emails",
            get(pages::emails::list).post(pages::emails::create),
        )
        .route("/emails/new", get(pages::emails::new_page))
        .route("/emails/bounced", get(pages::emails::bounced))
        .route(
            "/members/{id}/email-bounce",
            post(pages::emails::lift_bounce),
        )
        .route(
            "/emails/settings",
            get(pages::emails::settings_get).post(pages::emails::settings),
        )
        .route("/emails/{id}", get(pages::emails::show))
        .route("/emails/{id}/send", post(pages::emails::send))
        .route("/emails/{id}/test", post(pages::emails::test))
        .route("/emails/{id}/cancel", post(pages::emails::cancel))
        .route(
            "/email/u/{token}",
            get(pages::emails::unsubscribe_page).post(pages::emails::unsubscribe),
        )
        .route(
            "/email/u/{token}/preferences",
            get(pages::emails::choices_page_get).post(pages::emails::choices_save),
        )
        .nest("/api/v1", api::router())
        .fallback(|| async { WebError::NotFound })
        .layer(middleware::from_fn(origin_guard))
        .layer(middleware::from_fn(no_control_characters_in_paths))
        .layer(middleware::map_response_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state);
    with_layers(app)
}

/// What every response goes through, outermost first: a request id (`x-request-id`,
/// echoed back), a tracing span, a caught panic answered as the 500 page, a timeout.
pub fn with_layers(app: Router) -> Router {
    app.layer(
        tower::ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(request_span))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(CatchPanicLayer::custom(panic_page))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                REQUEST_TIMEOUT,
            )),
    )
}

/// Longer than any page or export of one local party takes; a request still running then
/// is stuck, and its connection is better answered than held.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The span every request's log lines sit in. The path only: a query string can hold a
/// searched name, and logs are not the place for personal data.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), path = request.uri().path(), id)
}

/// A handler that panicked still answers: the error is logged with the request's span
/// and the person sees the ordinary "something went wrong" page.
fn panic_page(detail: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = detail
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| detail.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request handler panicked");
    WebError::Panicked.into_response()
}

/// Browsers name the page a form was posted from; a post from another site is refused
/// before any handler runs (the CSRF token is checked as well, in the handler).
/// An address whose path holds a control character (`/members/%00`) names nothing Rosette
/// has: every id is visible text. Answered as not found before any handler passes it to
/// the database (PostgreSQL cannot even compare a NUL).
async fn no_control_characters_in_paths(
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let path = percent_encoding::percent_decode_str(request.uri().path()).decode_utf8_lossy();
    if path.chars().any(char::is_control) {
        return if request.uri().path().starts_with("/api/") {
            api::ApiError::NotFound.into_response()
        } else {
            WebError::NotFound.into_response()
        };
    }
    next.run(request).await
}

async fn origin_guard(request: axum::extract::Request, next: middleware::Next) -> Response {
    let safe = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    // A link in an email is its own proof (a signed token); RFC 8058 has mail providers
    // post to it from their own servers.
    let exempt = ["/api/", "/email/u/"]
        .iter()
        .any(|p| request.uri().path().starts_with(p));
    if !safe && !exempt && !auth::same_origin(request.headers()) {
        return WebError::Forbidden.into_response();
    }
    next.run(request).await
}

async fn security_headers(State(state): State<AppState>, mut response: Response) -> Response {
    let h = response.headers_mut();
    // Over HTTPS, browsers are told to come back only over HTTPS for a year.
    if state.config.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        // Not no-referrer: with it, browsers send `Origin: null` on same-site form posts,
        // which the origin check would refuse. same-origin still tells other sites nothing.
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    // Personal data must not sit in shared caches or the browser's back-forward cache.
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn healthz(State(state): State<AppState>) -> Response {
    let database = match state.db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let check = async {
        let mut tx = state.db.begin_read().await?;
        units::find(&mut tx, units::DEFAULT_LOCAL_PARTY).await
    };
    match check.await {
        Ok(_) => Json(serde_json::json!({"status": "ok", "database": database})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": database})),
            )
                .into_response()
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/rosette.css"),
    )
}
