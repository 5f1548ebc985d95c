//! `GET /roles`: the account's roles, which the license table's `role_id` refers to. Scope
//! `role:read:list_roles:admin` (classic `role:read:admin`), rate label Medium, Pro plans and up;
//! one answer, not paginated; each role has `id`, `name`, `description` and `total_members`,
//! read as a `zoom::named::Named` (Zoom's List roles reference as generated clients carry it,
//! e.g. zoom-api 0.2 on docs.rs and github.com/pankajgarkoti/zoom-python `docs/RolesApi.md`; a
//! connector client notes "GET /v2/roles, which is not paginated").

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
