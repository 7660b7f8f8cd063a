//! `/members`: the register, a page at a time, one person, their contact details and
//! their payments.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, ApiResult, ErrorBody, MemberListParams, Page, Paging, body, pairs_of};
use crate::app::audit::Unaudited;
use crate::app::people::{self, MoveInput, NewPerson};
use crate::app::{Principal, audit, members};
use crate::domain::fields::consent_field;
use crate::domain::filter::MemberFilter;
use crate::domain::forms::{ContactInput, PaymentInput};
use crate::store::roster::{self, ListQuery, Listed};
use crate::web::AppState;
use crate::web::auth::ApiUser;

/// A person as the API shows them. Callers (who see name and phone only) get null for
/// everything else.
#[derive(Serialize, ToSchema)]
pub struct Member {
    /// Unguessable public id (UUIDv7).
    id: String,
    membership_number: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    mobile: Option<String>,
    phone: Option<String>,
    postcode: Option<String>,
    branch: Option<Branch>,
    /// A rate code such as standard, reduced or youth.
    rate: Option<String>,
    /// new, current, in_arrears, lapsed, resigned, deceased, expelled or suspended.
    status: Option<String>,
    /// member, registered_supporter, affiliated_supporter, supporter or contact.
    kind: String,
    /// woman, man, non_binary or the person's own words.
    gender: Option<String>,
    joined_on: Option<NaiveDate>,
    paid_until: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct Branch {
    slug: String,
    name: Option<String>,
}

impl Member {
    pub fn of(l: &Listed, state: &AppState, who: &Principal) -> Member {
        let full = who.scope.is_officer();
        let branch = l.branch_slug.as_ref().map(|slug| Branch {
            slug: slug.clone(),
            name: l.branch_name.clone(),
        });
        let officer = |v: &Option<String>| if full { v.clone() } else { None };
        Member {
            id: l.public_id.clone(),
            membership_number: l.membership_number.clone(),
            first_name: l.first_name.clone(),
            last_name: l.last_name.clone(),
            email: officer(&l.email),
            mobile: l.mobile.clone(),
            phone: l.phone.clone(),
            postcode: officer(&l.postcode),
            branch,
            rate: full.then(|| l.rate.clone()),
            status: full.then(|| {
                l.status(&state.rules.status, (state.today)())
                    .as_str()
                    .to_string()
            }),
            kind: l.kind.clone(),
            gender: officer(&l.gender),
            joined_on: full.then_some(l.joined_on),
            paid_until: if full { l.paid_until } else { None },
        }
    }
}

/// One person in full: what the list shows and, for officers, address, notes, tags and
/// consents.
#[derive(Serialize, ToSchema)]
pub struct MemberDetail {
    #[serde(flatten)]
    member: Member,
    address_line1: Option<String>,
    address_line2: Option<String>,
    town: Option<String>,
    notes: Option<String>,
    tags: Vec<String>,
    /// Null for callers.
    consents: Option<Consents>,
}

/// Consent per channel: true given, false refused, null never asked.
#[derive(Serialize, ToSchema)]
pub struct Consents {
    email: Option<bool>,
    phone: Option<bool>,
    sms: Option<bool>,
    post: Option<bool>,
}

/// A page of members for `filter`, audited as `what`.
pub async fn page_of(
    state: &AppState,
    who: &ApiUser,
    pairs: &[(String, String)],
    filter: &MemberFilter,
    what: &str,
) -> ApiResult<Json<Page<Member>>> {
    let paging = Paging::read(pairs)?;
    // One statement: it needs no transaction around it.
    let mut tx = state.db.read_once().await?;
    let q = ListQuery {
        grants: &who.scope.read,
        user_id: who.user.id,
        filter,
        bounds: state.rules.status.bounds((state.today)()),
    };
    let (rows, next) = roster::list(&mut tx, &q, paging.cursor.as_ref(), paging.limit).await?;
    drop(tx);
    let rows = Unaudited::shown(who, "api.member.list", what, &rows)
        .holding(rows)
        .audited(&state.audit)
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(|l| Member::of(l, state, who)).collect(),
        next_cursor: next.map(|c| c.encode()),
    }))
}

/// Members in scope, filtered as the member list is.
#[utoipa::path(
    get,
    path = "/members",
    params(MemberListParams),
    responses(
        (status = 200, description = "A page of members", body = Page<Member>),
        (status = 400, description = "The query string cannot be read", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 422, description = "A filter, limit or cursor is not valid", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    who: ApiUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Page<Member>>> {
    let pairs = pairs_of(raw)?;
    let filter = MemberFilter::parse(&pairs).map_err(ApiError::Invalid)?;
    let what = format!("members ?{}", filter.to_query());
    page_of(&state, &who, &pairs, &filter, &what).await
}

/// One person in scope.
#[utoipa::path(
    get,
    path = "/members/{id}",
    params(("id" = String, Path, description = "The person's public id")),
    responses(
        (status = 200, description = "The person", body = MemberDetail),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such person in your scope", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MemberDetail>> {
    let mut tx = state.db.begin().await?;
    let l = members::find(&mut tx, &who, &id).await?;
    let member = Member::of(&l, &state, &who);
    let detail = if who.scope.is_officer() {
        let d = members::details(&mut tx, &who, &l).await?;
        MemberDetail {
            member,
            address_line1: d.address_line1,
            address_line2: d.address_line2,
            town: d.town,
            notes: d.notes,
            tags: members::tags(&mut tx, &who, &l).await?,
            consents: Some(Consents {
                email: d.email_consent,
                phone: d.phone_consent,
                sms: d.sms_consent,
                post: d.post_consent,
            }),
        }
    } else {
        MemberDetail {
            member,
            address_line1: None,
            address_line2: None,
            town: None,
            notes: None,
            tags: Vec::new(),
            consents: None,
        }
    };
    audit::about(&mut tx, &who, &l, "member.view", "via API").await?;
    tx.commit().await?;
    Ok(Json(detail))
}

/// Fields a PATCH may change; absent fields keep their value, `null` clears one. Any
/// other field is refused (400). Each is checked as the edit page checks it (422 naming
/// the field): no control characters, names not blank, and the lengths below.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    last_name: Option<String>,
    /// An email address (one @, a domain with a dot).
    #[schema(format = Email, max_length = 254)]
    email: Option<Option<String>>,
    /// A phone number: UK (07…, 01…, +44…) or international (+ and 8 to 15 digits).
    #[schema(max_length = 40)]
    mobile: Option<Option<String>>,
    #[schema(max_length = 40)]
    phone: Option<Option<String>>,
    #[schema(max_length = 200)]
    address_line1: Option<Option<String>>,
    #[schema(max_length = 200)]
    address_line2: Option<Option<String>>,
    #[schema(max_length = 200)]
    town: Option<Option<String>>,
    /// A UK postcode, in any spacing or case.
    #[schema(max_length = 10)]
    postcode: Option<Option<String>>,
    /// woman, man, non_binary or the person's own words.
    #[schema(max_length = 60)]
    gender: Option<Option<String>>,
    /// member, registered_supporter, affiliated_supporter, supporter or contact.
    #[schema(max_length = 40)]
    kind: Option<String>,
    /// Several lines allowed.
    #[schema(max_length = 5000)]
    notes: Option<Option<String>>,
    /// true (given), false (refused) or null (never asked).
    email_consent: Option<Option<bool>>,
    phone_consent: Option<Option<bool>>,
    sms_consent: Option<Option<bool>>,
    post_consent: Option<Option<bool>>,
}

/// Changes a person's contact details, with the same checks as the edit page.
#[utoipa::path(
    patch,
    path = "/members/{id}",
    params(("id" = String, Path, description = "The person's public id")),
    request_body = MemberPatch,
    responses(
        (status = 200, description = "The person as saved", body = Member),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such person that you may change", body = ErrorBody),
        (status = 422, description = "A field is not valid; nothing was saved", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    patch: Result<Json<MemberPatch>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Member>> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &who, &id).await?;
    let patch = body(patch)?;
    let d = members::details(&mut tx, &who, &l).await?;
    let pick =
        |new: Option<Option<String>>, old: Option<String>| new.unwrap_or(old).unwrap_or_default();
    let consent = |new: Option<Option<bool>>, old: Option<bool>| consent_field(new.unwrap_or(old));
    let input = ContactInput {
        first_name: patch.first_name.unwrap_or(l.first_name.clone()),
        last_name: patch.last_name.unwrap_or(l.last_name.clone()),
        email: pick(patch.email, l.email.clone()),
        mobile: pick(patch.mobile, l.mobile.clone()),
        phone: pick(patch.phone, l.phone.clone()),
        address_line1: pick(patch.address_line1, d.address_line1),
        address_line2: pick(patch.address_line2, d.address_line2),
        town: pick(patch.town, d.town),
        postcode: pick(patch.postcode, l.postcode.clone()),
        gender: pick(patch.gender, l.gender.clone()),
        kind: patch.kind.unwrap_or(l.kind.clone()),
        notes: pick(patch.notes, d.notes),
        email_consent: consent(patch.email_consent, d.email_consent),
        phone_consent: consent(patch.phone_consent, d.phone_consent),
        sms_consent: consent(patch.sms_consent, d.sms_consent),
        post_consent: consent(patch.post_consent, d.post_consent),
    };
    let contact = input.check().map_err(ApiError::Invalid)?;
    members::save_contact(&mut tx, &who, &state.rules, (state.today)(), &l, &contact).await?;
    let updated = members::find(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok(Json(Member::of(&updated, &state, &who)))
}

#[derive(Serialize, ToSchema)]
pub struct Payment {
    id: String,
    paid_on: NaiveDate,
    amount_pence: i64,
    /// direct_debit, card, bank_transfer, cash or cheque.
    method: String,
    period_from: NaiveDate,
    period_to: NaiveDate,
}

/// A person's payments, oldest first (officers only).
#[utoipa::path(
    get,
    path = "/members/{id}/payments",
    params(("id" = String, Path, description = "The person's public id")),
    responses(
        (status = 200, description = "Every payment on one page", body = Page<Payment>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such person in your scope (callers see no payments)", body = ErrorBody),
    )
)]
pub async fn payments(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Page<Payment>>> {
    let mut tx = state.db.begin().await?;
    let l = members::find(&mut tx, &who, &id).await?;
    let payments = members::payments(&mut tx, &who, &l).await?;
    audit::about(&mut tx, &who, &l, "payment.view", "via API").await?;
    tx.commit().await?;
    Ok(Json(Page::all(
        payments
            .into_iter()
            .map(|p| Payment {
                id: p.public_id,
                paid_on: p.paid_on,
                amount_pence: p.amount_pence,
                method: p.method,
                period_from: p.period_from,
                period_to: p.period_to,
            })
            .collect(),
    )))
}

/// A payment to record. Any other field is refused (400).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    /// Pounds, as 12.50, £12.50, 1,200 or 12: more than £0.00, at most six digits of pounds.
    #[schema(pattern = "^\\s*£?[0-9][0-9,]{0,8}(\\.[0-9]{1,2})?\\s*$")]
    amount: String,
    /// The day it was paid (YYYY-MM-DD or DD/MM/YYYY); today if left out.
    #[serde(default)]
    paid_on: Option<String>,
    /// direct_debit, card, bank_transfer, cash or cheque.
    #[schema(pattern = "^(direct_debit|card|bank_transfer|cash|cheque)$")]
    method: String,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentMade {
    /// The payment's public id.
    id: String,
    /// The person as they stand after it.
    member: Member,
}

/// Records a payment; paid-until moves on by the periods it covers.
#[utoipa::path(
    post,
    path = "/members/{id}/payments",
    params(("id" = String, Path, description = "The person's public id")),
    request_body = NewPayment,
    responses(
        (status = 201, description = "Recorded", body = PaymentMade),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 404, description = "No such person that you may change", body = ErrorBody),
        (status = 422, description = "A field is not valid; nothing was saved", body = ErrorBody),
    )
)]
pub async fn add_payment(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    new: Result<Json<NewPayment>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<PaymentMade>)> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &who, &id).await?;
    let new = body(new)?;
    let input = PaymentInput {
        amount: new.amount,
        paid_on: new.paid_on.unwrap_or_default(),
        method: new.method,
    };
    let payment_id =
        members::record_payment(&mut tx, &state.rules, (state.today)(), &who, &l, &input).await?;
    let updated = members::find(&mut tx, &who, &id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(PaymentMade {
            id: payment_id,
            member: Member::of(&updated, &state, &who),
        }),
    ))
}

/// A person to add, checked exactly as a row of `rosette import members` is. Every field
/// is text as an import file has it; only the names are required (and a rate for a
/// member). Any other field is refused (400).
#[derive(Deserialize, Serialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// Left out, the local party's own next number (R0000001, …) is given.
    #[schema(max_length = 32)]
    #[serde(skip_serializing_if = "Option::is_none")]
    membership_number: Option<String>,
    first_name: String,
    last_name: String,
    /// member (the default), registered_supporter, affiliated_supporter, supporter or
    /// contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_line1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    town: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ward: Option<String>,
    /// A branch's slug or name; the ward's branch when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
    /// A rate code (standard, reduced, …): required for a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<String>,
    /// Today when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    joined_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paid_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    left_on: Option<String>,
    /// resigned, deceased or expelled, with left_on.
    #[serde(skip_serializing_if = "Option::is_none")]
    left_reason: Option<String>,
    /// woman, man, non_binary or the person's own words.
    #[serde(skip_serializing_if = "Option::is_none")]
    gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_of_birth: Option<String>,
    /// The organisation an affiliated supporter comes through.
    #[serde(skip_serializing_if = "Option::is_none")]
    affiliate: Option<String>,
    /// yes, no or blank (never asked), as in an import file.
    #[serde(skip_serializing_if = "Option::is_none")]
    email_consent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_consent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms_consent: Option<String>,
    /// Separated by semicolons.
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<String>,
    /// Add them even though they look like someone already recorded (409 otherwise).
    #[serde(default, skip_serializing)]
    allow_duplicate: bool,
}

/// Adds a person: 201 with the person, 422 naming each field that is wrong, or 409 with
/// the people they look like (same email; same name and postcode; same phone and
/// surname) unless `allow_duplicate` is true. Nothing is saved unless 201.
#[utoipa::path(
    post,
    path = "/members",
    request_body = NewMember,
    responses(
        (status = 201, description = "Added", body = Member),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "You may not add people", body = ErrorBody),
        (status = 409, description = "They look like someone already recorded", body = ErrorBody),
        (status = 422, description = "A field is not valid; nothing was saved", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    who: ApiUser,
    new: Result<Json<NewMember>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<(StatusCode, Json<Member>)> {
    let new = body(new)?;
    let fields = serde_json::to_value(&new).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let pairs = fields
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)));
    let mut input = NewPerson::from_pairs(pairs).map_err(ApiError::Invalid)?;
    input.allow_duplicate = new.allow_duplicate;
    let mut tx = state.db.begin().await?;
    let added = people::add(&mut tx, &who, &state.rules, (state.today)(), input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Member::of(&added, &state, &who))))
}

/// A move to another branch or rate. Any other field is refused (400).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// The branch's slug; null or left out for none.
    #[serde(default)]
    branch: Option<String>,
    /// The rate code; a member needs one.
    #[serde(default)]
    rate: Option<String>,
    /// When it took effect (YYYY-MM-DD or DD/MM/YYYY); today if left out.
    #[serde(default)]
    on: Option<String>,
}

/// Moves a member to another branch or rate, recorded in their history (`moved`,
/// `rate_changed`) on the day given.
#[utoipa::path(
    post,
    path = "/members/{id}/move",
    params(("id" = String, Path, description = "The person's public id")),
    request_body = Move,
    responses(
        (status = 200, description = "The person as they stand after it", body = Member),
        (status = 400, description = "The body is not a JSON object of these fields", body = ErrorBody),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
        (status = 403, description = "Seen, but not yours to change", body = ErrorBody),
        (status = 404, description = "No such person in your scope", body = ErrorBody),
        (status = 422, description = "A field is not valid; nothing was saved", body = ErrorBody),
    )
)]
pub async fn move_member(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    asked: Result<Json<Move>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Member>> {
    let mut tx = state.db.begin().await?;
    let l = members::find_writable(&mut tx, &who, &id).await?;
    let asked = body(asked)?;
    let input = MoveInput {
        branch: asked.branch.unwrap_or_default(),
        rate: asked.rate.unwrap_or_default(),
        on: asked.on.unwrap_or_default(),
    };
    let moved =
        people::move_member(&mut tx, &who, &state.rules, (state.today)(), &l, &input).await?;
    tx.commit().await?;
    Ok(Json(Member::of(&moved, &state, &who)))
}
