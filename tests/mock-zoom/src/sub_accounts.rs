//! A master account's sub accounts: `GET /v2/accounts` and `GET /v2/accounts/{id}/users`.

use std::sync::Mutex;

use serde_json::{Value, json};

use crate::endpoint::{admit, page_of};
use crate::http::Request;
use crate::server::State;

/// `GET /v2/accounts`: the master account's sub accounts.
pub(crate) fn sub_accounts(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    let scopes = [
        "account:read:list_sub_accounts:master",
        "account:read:master",
    ];
    if let Err(refusal) = admit(request, &state, &scopes) {
        return refusal;
    }
    let accounts: Vec<Value> = state
        .account
        .sub_accounts
        .iter()
        .map(|(id, name, _)| {
            json!({"id": id, "account_name": name, "owner_email": format!("owner@{id}.example"),
                   "account_type": "Pro", "seats": 10, "created_at": "2024-01-01T00:00:00Z"})
        })
        .collect();
    if state.account.sub_accounts_endless {
        // Each token is the one asked with, one letter longer: never the same twice.
        let (page, next) = match request.query.get("next_page_token") {
            None => (accounts, "endless".to_string()),
            Some(asked) => (Vec::new(), format!("{asked}x")),
        };
        let body = json!({"page_size": page.len(), "next_page_token": next, "accounts": page});
        return (200, body);
    }
    match page_of(request, &accounts, "acc") {
        Err(refusal) => refusal,
        Ok((page, token)) => (
            200,
            json!({"page_size": page.len(), "total_records": accounts.len(),
                   "next_page_token": token, "accounts": page}),
        ),
    }
}

/// `GET /v2/accounts/{id}/users`: a sub account's users of the asked `status`, as `GET /users`.
pub(crate) fn sub_account_users(request: &Request, state: &Mutex<State>, id: &str) -> (u16, Value) {
    let mut state = state.lock().expect("mock state");
    let scopes = ["user:read:list_users:master", "user:read:master"];
    if let Err(refusal) = admit(request, &state, &scopes) {
        return refusal;
    }
    let size = request.query.get("page_size").and_then(|s| s.parse().ok());
    let asked = (id.to_string(), size.unwrap_or(30));
    state.seen.sub_account_requests.push(asked);
    if state.account.sub_accounts_failing.iter().any(|f| f == id) {
        return (
            400,
            json!({"code": 2001, "message": format!("Account does not exist: {id}.")}),
        );
    }
    if state
        .account
        .sub_accounts_unavailable
        .iter()
        .any(|u| u == id)
    {
        return (503, json!({"code": 503, "message": "Service unavailable."}));
    }
    let Some((_, _, users)) = state.account.sub_accounts.iter().find(|(i, ..)| i == id) else {
        return (
            400,
            json!({"code": 2001, "message": format!("Account does not exist: {id}.")}),
        );
    };
    let status = request.query.get("status").map_or("active", String::as_str);
    let all = users.get(status).map(Vec::as_slice).unwrap_or_default();
    match page_of(request, all, "sau") {
        Err(refusal) => refusal,
        Ok((page, token)) => (
            200,
            json!({"page_size": page.len(), "total_records": all.len(),
                   "next_page_token": token, "users": page}),
        ),
    }
}
