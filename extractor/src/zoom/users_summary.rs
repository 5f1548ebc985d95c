//! `GET /users/summary`: Zoom's own count of an account's users by kind, to hold an extract's
//! counts against. Fields and meanings are the spec's as a generated client carries them
//! (pankajgarkoti/zoom-python `docs/InlineResponse20086.md`); UNCONFIRMED by any real body.

use serde::{Deserialize, Serialize};

use crate::zoom::endpoint::{Endpoint, PageRequest};
use crate::zoom::page::Page;

/// `GET /users/summary`: one object, no pages.
pub static USERS_SUMMARY: Endpoint = Endpoint {
    path: "users/summary",
    scopes: &["user:read:summary:admin", "user:read:admin"],
    ..Endpoint::DEFAULTS
};

/// The one request the endpoint takes.
pub fn request() -> PageRequest {
    PageRequest::first(&USERS_SUMMARY, &[])
}

/// Zoom's counts; a count Zoom leaves out reads as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersSummary {
    /// Users with a paid license.
    pub licensed_users_count: Option<u64>,
    /// Basic (free) users.
    pub basic_users_count: Option<u64>,
    /// Legacy on-prem users.
    pub on_prem_users_count: Option<u64>,
    /// Zoom Rooms.
    pub room_users_count: Option<u64>,
    /// Invited users who have not activated yet.
    pub pending_users_count: Option<u64>,
    /// Users without a license who may only join meetings.
    pub join_only_users_count: Option<u64>,
    /// Licensed, basic, on-prem, join-only and room users together (pending ones not included).
    pub total_users_count: Option<u64>,
}

impl UsersSummary {
    /// Reads the summary from its page.
    pub fn from_page(page: &Page) -> Result<Self, String> {
        serde_json::from_str(page.body()).map_err(|e| format!("unreadable users summary: {e}"))
    }
}
