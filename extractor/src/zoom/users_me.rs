//! `GET /users/me`: the user who authorized an authorization-code app, and so its account id (a
//! Server-to-Server app is given it), `../shared/zoom-api.md` §1.3, last row.

use serde::Deserialize;

use crate::zoom::endpoint::{Endpoint, PageRequest};
use crate::zoom::page::Page;

/// `GET /users/me`: one object, no pages.
pub static USERS_ME: Endpoint = Endpoint {
    path: "users/me",
    scopes: &["user:read:user:admin", "user:read:admin"],
    ..Endpoint::DEFAULTS
};

/// The one request the endpoint takes.
pub fn request() -> PageRequest {
    PageRequest::first(&USERS_ME, &[])
}

/// What the tool reads of the answer.
#[derive(Debug, Clone, Deserialize)]
struct Me {
    account_id: Option<String>,
}

/// The account id in the answer; an error when it is missing or empty.
pub fn account_id(page: &Page) -> Result<String, String> {
    let me: Me = serde_json::from_str(page.body())
        .map_err(|e| format!("unreadable answer of GET /users/me: {e}"))?;
    me.account_id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| "GET /users/me has no account_id".to_string())
}
