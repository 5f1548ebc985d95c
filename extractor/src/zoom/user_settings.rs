//! `GET /users/{userId}/settings`: one user's settings, whose `feature` object says which paid
//! add-ons the user holds (`../shared/zoom-api.md` §2.4). One request per user; a user deleted
//! since the list answers 404 with code 1001 ("User does not exist").

use serde::Deserialize;

use crate::zoom::endpoint::{Endpoint, FollowUp, PageRequest, is_plain_id};
use crate::zoom::page::Page;
use crate::zoom::text::object;
use crate::zoom::users::ZoomUser;

/// `GET /users/{userId}/settings`.
pub static USER_SETTINGS: Endpoint = Endpoint {
    path: "users/{userId}/settings",
    scopes: &["user:read:settings:admin", "user:read:admin"],
    gone_code: Some(USER_GONE),
    check_query: |request| request.path_and_query().map(|_| ()),
    ..Endpoint::DEFAULTS
};

/// Zoom's code for a user that no longer exists.
pub const USER_GONE: i64 = 1001;

/// The settings request of the user with `id`.
pub fn request(id: &str) -> PageRequest {
    PageRequest::first(&USER_SETTINGS, &[("userId", id.to_string())])
}

/// The settings requests for a users page: every user with an id (`all`), or only the licensed
/// ones; an id that is not one Zoom gives (`../x`) is counted as unaskable, not the end of the run.
pub fn requests_for(page: &Page, all: bool) -> FollowUp {
    let mut follow = FollowUp::default();
    if !page.request.endpoint.lists_users() {
        return follow;
    }
    let users = page
        .records()
        .filter_map(object::<ZoomUser>)
        .filter(|u| all || u.plan_type == Some(2));
    for id in users.filter_map(|u| u.id.filter(|id| !id.is_empty())) {
        match is_plain_id(&id) {
            true => follow.requests.push(request(&id)),
            false => follow.unaskable.push(id.into_owned()),
        }
    }
    follow
}

/// The part of the settings the add-ons are read from.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Settings {
    /// Add-ons and capacities, as Zoom names them (any JSON; one not an object holds none).
    #[serde(default)]
    pub feature: Option<serde_json::Value>,
}
