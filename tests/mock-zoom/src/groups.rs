//! `GET /v2/groups`.

use std::sync::Mutex;

use serde_json::{Value, json};

use crate::endpoint::{admit, page_of};
use crate::http::Request;
use crate::server::State;

/// `GET /v2/groups`: the account's groups, `page_size` (default 30, at most 300) at a time, chained
/// by `next_page_token` (or all in one body without paging members, `groups_unpaged`).
pub(crate) fn groups(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    if let Err(refusal) = admit(
        request,
        &state,
        &["group:read:list_groups:admin", "group:read:admin"],
    ) {
        return refusal;
    }
    let all = &state.account.groups;
    if state.account.groups_unpaged {
        return (200, json!({ "groups": all }));
    }
    match page_of(request, all, "grp") {
        Err(refusal) => refusal,
        Ok((page, token)) => (
            200,
            json!({"page_size": page.len(), "total_records": all.len(),
                   "next_page_token": token, "groups": page}),
        ),
    }
}
