//! `GET /v2/roles`.

use std::sync::Mutex;

use serde_json::{Value, json};

use crate::endpoint::admit;
use crate::http::Request;
use crate::server::State;

/// `GET /v2/roles`: the account's roles, in one answer.
pub(crate) fn roles(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    if let Err(refusal) = admit(
        request,
        &state,
        &["role:read:list_roles:admin", "role:read:admin"],
    ) {
        return refusal;
    }
    let roles = &state.account.roles;
    (200, json!({"total_records": roles.len(), "roles": roles}))
}
