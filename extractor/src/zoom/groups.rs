//! `GET /groups`: the account's groups, which the license table's `group_ids` refer to by id.
//! Scope `group:read:list_groups:admin` (classic `group:read:admin`), rate label Medium, Pro plans
//! and up; `page_size` at most 300 with `next_page_token`; each group has `id`, `name` and
//! `total_members`, read as a `zoom::named::Named` (Zoom's List groups reference, as two public
//! clients read it: PSZoom's `Get-ZoomGroups` and a connector client whose `GetGroups` follows
//! `next_page_token`).

use crate::zoom::endpoint::{Endpoint, PageRequest, Rate, any_query};

/// `GET /groups`.
pub static GROUPS: Endpoint = Endpoint {
    path: "groups",
    fixed_query: &[],
    records: Some("groups"),
    paginated: true,
    max_page_size: Some(300),
    scopes: &["group:read:list_groups:admin", "group:read:admin"],
    rate: Rate::Medium,
    gone_code: None,
    personal: &[],
    check_query: any_query,
};

/// The first request of the sweep.
pub fn sweep() -> PageRequest {
    PageRequest::first(&GROUPS, &[]).largest_pages()
}
