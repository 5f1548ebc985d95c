//! `GET /groups`: the account's groups, which the license table's `group_ids` refer to (Pro plans
//! and up); each read as a `zoom::named::Named`, per Zoom's List groups reference as PSZoom's
//! `Get-ZoomGroups` and a connector client following `next_page_token` read it.

use crate::zoom::endpoint::{Endpoint, PageRequest};

/// `GET /groups`.
pub static GROUPS: Endpoint = Endpoint {
    path: "groups",
    records: Some("groups"),
    paginated: true,
    // Answered in one body, without `next_page_token`, before it paged (docs/zoom-behaviour.md).
    paged_later: true,
    max_page_size: Some(300),
    scopes: &["group:read:list_groups:admin", "group:read:admin"],
    ..Endpoint::DEFAULTS
};

/// The first request of the sweep.
pub fn sweep() -> PageRequest {
    PageRequest::first(&GROUPS, &[]).largest_pages()
}
