//! `GET /v2/users/{id}/settings`.

use std::sync::Mutex;

use serde_json::{Value, json};

use crate::endpoint::admit;
use crate::http::Request;
use crate::server::State;

/// `GET /v2/users/{id}/settings`: the user's settings, of which only `feature` (and a little around
/// it, as Zoom sends more) is modelled. A user of `settings_gone` is 404 code 1001; past
/// `settings_quota` requests, a daily-limit 429.
pub(crate) fn settings(
    request: &Request,
    state: &Mutex<State>,
    id: &str,
) -> (u16, Vec<(&'static str, String)>, Value) {
    let mut state = state.lock().expect("mock state");
    if let Err((status, body)) = admit(
        request,
        &state,
        &["user:read:settings:admin", "user:read:admin"],
    ) {
        return (status, vec![], body);
    }
    if state
        .account
        .settings_quota
        .is_some_and(|quota| state.seen.settings_requests.len() >= quota)
    {
        let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
        let headers = vec![
            ("X-RateLimit-Category", "Medium".to_string()),
            ("X-RateLimit-Type", "Daily-limit".to_string()),
            ("Retry-After", format!("{tomorrow}T00:00:00Z")),
        ];
        let message = "You have reached the maximum daily rate limit for this API.";
        return (429, headers, json!({"code": 429, "message": message}));
    }
    state.seen.settings_requests.push(id.to_string());
    if state.account.settings_gone.iter().any(|gone| gone == id) {
        let message = format!("User does not exist: {id}.");
        return (404, vec![], json!({"code": 1001, "message": message}));
    }
    if state
        .account
        .settings_bare_404
        .iter()
        .any(|bare| bare == id)
    {
        return (404, vec![], json!({"message": "Not Found"}));
    }
    let feature = (state.account.feature_of)(id);
    let body = json!({
        "schedule_meeting": {"host_video": true},
        "in_meeting": {"chat": true},
        "feature": feature,
    });
    (
        200,
        vec![("X-RateLimit-Category", "Medium".to_string())],
        body,
    )
}
