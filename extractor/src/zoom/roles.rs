//! `GET /roles`: the account's roles, which the license table's `role_id` refers to (Pro plans and
//! up); one answer, not paginated (a connector client: "GET /v2/roles, which is not paginated"),
//! each role read as a `zoom::named::Named` (Zoom's reference as zoom-api 0.2 carries it).

use crate::zoom::endpoint::{Endpoint, PageRequest, Rate, any_query};

/// `GET /roles`.
pub static ROLES: Endpoint = Endpoint {
    path: "roles",
    fixed_query: &[],
    records: Some("roles"),
    paginated: false,
    max_page_size: None,
    scopes: &["role:read:list_roles:admin", "role:read:admin"],
    rate: Rate::Medium,
    gone_code: None,
    personal: &[],
    check_query: any_query,
};

/// The one request.
pub fn request() -> PageRequest {
    PageRequest::first(&ROLES, &[])
}
