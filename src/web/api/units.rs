//! `/units`: the local parties and branches the token's user works in.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, ErrorBody, Page};
use crate::store::units;
use crate::web::AppState;
use crate::web::auth::ApiUser;

#[derive(Serialize, ToSchema)]
pub struct Unit {
    slug: String,
    name: String,
    /// local_party or branch.
    kind: String,
    /// The local party a branch belongs to; null for a local party.
    parent: Option<String>,
}

impl From<units::Unit> for Unit {
    fn from(u: units::Unit) -> Unit {
        Unit {
            slug: u.slug,
            name: u.name,
            kind: u.kind,
            parent: u.parent_slug,
        }
    }
}

/// Each local party in scope, followed by those of its branches the user sees.
#[utoipa::path(
    get,
    path = "/units",
    responses(
        (status = 200, description = "Every unit on one page", body = Page<Unit>),
        (status = 401, description = "No token, or one that is unknown", body = ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, who: ApiUser) -> ApiResult<Json<Page<Unit>>> {
    // The parties and their branches are one statement, so no transaction is needed.
    let mut tx = state.db.read_once().await?;
    let parties = &who.scope.local_parties;
    let (branches, named) = units::branches_and_named(&mut tx, &who.scope.read, parties).await?;
    drop(tx);
    let mut items = Vec::new();
    for u in named {
        let id = u.id;
        items.push(Unit::from(u));
        items.extend(
            branches
                .iter()
                .filter(|(lp, _)| *lp == id)
                .map(|(_, b)| Unit::from(b.clone())),
        );
    }
    Ok(Json(Page::all(items)))
}
