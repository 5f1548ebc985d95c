//! `GET /groups`: the account's groups, which the license table's `group_ids` refer to by id.
//! Scope `group:read:list_groups:admin` (classic `group:read:admin`), rate label Medium, Pro plans
//! and up; `page_size` at most 300 with `next_page_token`; each group has `id`, `name` and
//! `total_members` (Zoom's List groups reference, as two public clients read it: PSZoom's
//! `Get-ZoomGroups` and a connector client whose `GetGroups` follows `next_page_token`).

use serde::Deserialize;

use crate::zoom::endpoint::{Endpoint, PageRequest, Rate, any_query};

/// `GET /groups`.
pub static GROUPS: Endpoint = Endpoint {
    path: "groups",
    fixed_query: &[],
    records: Some("groups"),
    paginated: true,
    scopes: &["group:read:list_groups:admin", "group:read:admin"],
    rate: Rate::Medium,
    gone_code: None,
    personal: &[],
    check_query: any_query,
};

/// The first request of the sweep.
pub fn sweep() -> PageRequest {
    PageRequest::first(&GROUPS, &[("page_size", "300".to_string())])
}

/// One group, as Zoom sends it (every member read leniently: an odd value is kept as text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Group {
    /// The group's id, as in users' `group_ids`.
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub id: Option<String>,
    /// Its name.
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub name: Option<String>,
    /// Its member count.
    #[serde(default, deserialize_with = "crate::zoom::text::any_count")]
    pub total_members: Option<i64>,
}
