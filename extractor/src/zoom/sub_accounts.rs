//! `GET /accounts`: the sub accounts of a master account (Zoom partners), each then read like an
//! account of its own through `GET /accounts/{accountId}/users` (Zoom's master-account reference
//! as generated clients carry it, e.g. DataFire's `zoom_us` integration).

use serde::Deserialize;

use crate::zoom::endpoint::{Endpoint, PageRequest};

/// `GET /accounts`.
pub static SUB_ACCOUNTS: Endpoint = Endpoint {
    path: "accounts",
    records: Some("accounts"),
    paginated: true,
    max_page_size: Some(300),
    scopes: &[
        "account:read:list_sub_accounts:master",
        "account:read:master",
    ],
    ..Endpoint::DEFAULTS
};

/// The first request of the sweep.
pub fn sweep() -> PageRequest {
    PageRequest::first(&SUB_ACCOUNTS, &[]).largest_pages()
}

/// One sub account, as Zoom sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SubAccount {
    /// Its account id.
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub id: Option<String>,
    /// Its name.
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub account_name: Option<String>,
}
