//! `GET /roles`: the account's roles, which the license table's `role_id` refers to (Pro plans and
//! up); one answer, not paginated (a connector client: "GET /v2/roles, which is not paginated"),
//! each role read as a `zoom::named::Named` (Zoom's reference as zoom-api 0.2 carries it).

use crate::zoom::endpoint::{Endpoint, PageRequest};

/// `GET /roles`.
pub static ROLES: Endpoint = Endpoint {
    path: "roles",
    records: Some("roles"),
    scopes: &["role:read:list_roles:admin", "role:read:admin"],
    ..Endpoint::DEFAULTS
};

/// The one request.
pub fn request() -> PageRequest {
    PageRequest::first(&ROLES, &[])
}
