//! The users endpoints: `GET /v2/users` (with its scripted faults), `/v2/users/me` and
//! `/v2/users/summary`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::endpoint::admit;
use crate::faults::{Fault, SLOW_BODY_GAP, STALL};
use crate::generate::with_custom_attributes;
use crate::http::{Request, respond, respond_paced};
use crate::server::State;

fn error_body(code: i64, message: &str) -> Vec<u8> {
    json!({"code": code, "message": message})
        .to_string()
        .into_bytes()
}

/// What to answer a users request with, decided under the lock.
enum Answer {
    Respond(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// A 200 whose body's second half follows its first after a pause.
    Paced(Vec<(&'static str, String)>, Vec<u8>, Duration),
    /// A 200 sent after [`STALL`].
    Stalled(Vec<(&'static str, String)>, Vec<u8>),
    Drop,
    Truncate(Vec<u8>),
}

pub(crate) async fn users(
    stream: &mut TcpStream,
    request: &Request,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    let answer = users_answer(request, &mut state.lock().expect("mock state"));
    match answer {
        Answer::Respond(status, headers, body) => respond(stream, status, &headers, &body).await,
        Answer::Stalled(headers, body) => {
            tokio::time::sleep(STALL).await;
            respond(stream, 200, &headers, &body).await
        }
        Answer::Paced(headers, body, gap) => {
            respond_paced(stream, 200, &headers, &body, Some(gap)).await
        }
        Answer::Drop => Ok(()),
        Answer::Truncate(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body[..body.len() / 2]).await?;
            stream.shutdown().await
        }
    }
}

fn users_answer(request: &Request, state: &mut State) -> Answer {
    state.request_times.push(Instant::now());
    let number = state.request_times.len() as u64;
    let status = request
        .query
        .get("status")
        .cloned()
        .unwrap_or_else(|| "active".into());
    let page_size: u32 = request
        .query
        .get("page_size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let page_token = request.query.get("next_page_token").cloned();
    state
        .seen
        .requests
        .push((status.clone(), page_size, page_token.is_some()));

    if request.query.contains_key("access_token") {
        return Answer::Respond(
            401,
            vec![],
            error_body(
                124,
                "Invalid access token, this access token is not supported as query parameter string.",
            ),
        );
    }
    let bearer = request
        .headers
        .get("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    match &bearer {
        Some(t) if state.valid_tokens.contains(t) => {}
        Some(t) if state.seen.tokens_issued.contains(t) => {
            return Answer::Respond(401, vec![], error_body(124, "Access token is expired."));
        }
        _ => return Answer::Respond(401, vec![], error_body(124, "Invalid access token.")),
    }

    if let Some(fault) = state.faults.remove(&number) {
        state.pending_faults.push_back(fault);
    }
    let fault = match state.pending_faults.front() {
        Some(Fault::ExpirePageToken | Fault::SameToken) if page_token.is_none() => None,
        Some(_) => state.pending_faults.pop_front(),
        None => None,
    };
    if let Some(fault) = &fault {
        state.seen.faults_applied.push(fault.clone());
    }
    let mut extra = vec![("X-RateLimit-Category", "Medium".to_string())];
    match fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut headers = vec![
                ("X-RateLimit-Category", "Medium".to_string()),
                ("X-RateLimit-Type", "QPS".to_string()),
            ];
            if let Some(v) = retry_after {
                headers.push(("Retry-After", v));
            }
            return Answer::Respond(
                429,
                headers,
                error_body(
                    429,
                    "You have reached the maximum per-second rate limit for this API. Try again later.",
                ),
            );
        }
        Some(Fault::DailyLimit { retry_after }) => {
            return Answer::Respond(
                429,
                vec![
                    ("X-RateLimit-Category", "Medium".to_string()),
                    ("X-RateLimit-Type", "Daily-limit".to_string()),
                    ("X-RateLimit-Limit", "2000".to_string()),
                    ("X-RateLimit-Remaining", "0".to_string()),
                    ("Retry-After", retry_after),
                ],
                error_body(
                    429,
                    "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
                ),
            );
        }
        Some(Fault::Echo(status)) => {
            let echoed = request
                .headers
                .get("authorization")
                .cloned()
                .unwrap_or_default();
            let message =
                format!("denied for {echoed} \u{1b}[2J\n2026-01-01T00:00:00Z INFO forged");
            return Answer::Respond(status, vec![], error_body(403, &message));
        }
        Some(Fault::Body(body)) => {
            return Answer::Respond(200, extra, body.as_bytes().to_vec());
        }
        Some(Fault::Refused(status, code)) => {
            return Answer::Respond(status, vec![], error_body(code, "No permission."));
        }
        Some(Fault::ServerError(code)) => {
            return Answer::Respond(code, vec![], error_body(code as i64, "Internal Error"));
        }
        Some(Fault::Drop) => return Answer::Drop,
        Some(Fault::ExpireTokens) => {
            state.valid_tokens.clear();
            return Answer::Respond(401, vec![], error_body(124, "Access token is expired."));
        }
        Some(Fault::ExpirePageToken) => {
            return Answer::Respond(
                400,
                vec![],
                error_body(300, "The next page token is invalid or expired."),
            );
        }
        Some(Fault::RemainingZero) => extra.push(("X-RateLimit-Remaining", "0".to_string())),
        Some(Fault::RemainingZeroFor(wait)) => {
            extra.push(("X-RateLimit-Remaining", "0".to_string()));
            extra.push(("Retry-After", wait.to_string()));
        }
        Some(Fault::Truncate | Fault::HalfJson | Fault::SlowBody | Fault::Stall) | None => {}
        Some(Fault::SameToken) => {
            let token = page_token.clone().unwrap_or_default();
            let all = state.rendered.get(&status).cloned().unwrap_or_default();
            let mut page: Value =
                serde_json::from_slice(&render_page(&all, &status, 0, page_size, false))
                    .unwrap_or_default();
            page["next_page_token"] = json!(token);
            return Answer::Respond(200, extra, page.to_string().into_bytes());
        }
    }

    let scopes = &state.account.scopes;
    if !scopes
        .split_whitespace()
        .any(|s| s == "user:read:list_users:admin" || s == "user:read:admin")
    {
        return Answer::Respond(
            400,
            vec![],
            error_body(
                4711,
                "Invalid access token, does not contain scopes:[user:read:list_users:admin].",
            ),
        );
    }
    let page_size = match page_size > state.account.max_page_size {
        true if state.account.clamp_page_size => state.account.max_page_size,
        _ => page_size,
    };
    if page_size > state.account.max_page_size {
        let body = json!({"code": 300, "message": "Validation Failed.",
            "errors": [{"field": "page_size", "message": "Invalid field."}]});
        return Answer::Respond(400, vec![], body.to_string().into_bytes());
    }
    let all = state.rendered.get(&status).cloned().unwrap_or_default();
    let offset = match &page_token {
        None => 0,
        Some(token) => match parse_page_token(token, &status) {
            Some(offset) => offset,
            None => {
                return Answer::Respond(
                    400,
                    vec![],
                    error_body(300, "The next page token is invalid or expired."),
                );
            }
        },
    };
    let key = (status.clone(), offset, page_size, page_token.is_none());
    let include = request.query.get("include_fields").map(String::as_str);
    let body = match (state.pages.get(&key), include) {
        // Zoom sends custom attributes only to a request that asks for them.
        (_, Some("custom_attributes")) => {
            let users = state
                .account
                .users
                .get(&status)
                .cloned()
                .unwrap_or_default();
            let with: Vec<String> = users
                .iter()
                .map(|u| with_custom_attributes(u).to_string())
                .collect();
            render_page(&with, &status, offset, page_size, page_token.is_none())
        }
        (Some(body), _) => body.as_ref().clone(),
        (None, _) => render_page(&all, &status, offset, page_size, page_token.is_none()),
    };
    match fault {
        Some(Fault::Truncate) => Answer::Truncate(body),
        Some(Fault::HalfJson) => Answer::Respond(200, extra, body[..body.len() / 2].to_vec()),
        Some(Fault::RemainingZero) => Answer::Paced(extra, body, Duration::from_millis(300)),
        Some(Fault::SlowBody) => Answer::Paced(extra, body, SLOW_BODY_GAP),
        Some(Fault::Stall) => Answer::Stalled(extra, body),
        _ => Answer::Respond(200, extra, body),
    }
}

/// One page's body, in Zoom's key order: `page_count`/`page_number` on the first page only.
pub(crate) fn render_page(
    all: &[String],
    status: &str,
    offset: usize,
    page_size: u32,
    first: bool,
) -> Vec<u8> {
    let end = (offset + page_size as usize).min(all.len());
    let slice = &all[offset.min(end)..end];
    let next = if end < all.len() {
        format!("pt{status}x{end}xQ7w2")
    } else {
        String::new()
    };
    let mut body = String::with_capacity(256 + slice.iter().map(|u| u.len() + 1).sum::<usize>());
    body.push('{');
    if first {
        body.push_str(&format!(
            "\"page_count\":{},\"page_number\":1,",
            all.len().div_ceil(page_size as usize)
        ));
    }
    body.push_str(&format!(
        "\"page_size\":{page_size},\"total_records\":{},\"next_page_token\":\"{next}\",\"users\":[",
        all.len()
    ));
    for (i, user) in slice.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(user);
    }
    body.push_str("]}");
    body.into_bytes()
}

fn parse_page_token(token: &str, status: &str) -> Option<usize> {
    let rest = token
        .strip_prefix("pt")?
        .strip_prefix(status)?
        .strip_prefix('x')?;
    rest.strip_suffix("xQ7w2")?.parse().ok()
}

/// `GET /users/me`: the authorizing user, with the account id (scope `user:read:user:admin`).
pub(crate) fn users_me(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    if let Err(refusal) = admit(
        request,
        &state,
        &["user:read:user:admin", "user:read:admin"],
    ) {
        return refusal;
    }
    (
        200,
        json!({
            "id": "meAdmin0001",
            "email": "admin@example.com",
            "type": 2,
            "status": "active",
            "role_name": "Owner",
            "account_id": state.account.account_id
        }),
    )
}

/// `GET /v2/users/summary`: the account's users counted by plan `type`. Pending users are counted
/// apart and not in the total, as Zoom's spec describes the fields; counting types 4 and 99 as
/// join-only is this mock's own choice (no real body was found to say how Zoom counts them).
pub(crate) fn users_summary(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    if let Err(refusal) = admit(
        request,
        &state,
        &["user:read:summary:admin", "user:read:admin"],
    ) {
        return refusal;
    }
    let users = &state.account.users;
    let active = users.get("active").map(Vec::as_slice).unwrap_or_default();
    let of_type = |codes: &[i64]| {
        let typed = active
            .iter()
            .filter(|u| codes.contains(&u["type"].as_i64().unwrap_or(0)));
        typed.count()
    };
    let (licensed, basic, join_only, on_prem) = (
        of_type(&[2]),
        of_type(&[1]),
        of_type(&[4, 99]),
        of_type(&[3]),
    );
    let pending = users.get("pending").map_or(0, Vec::len);
    let body = json!({
        "licensed_users_count": licensed,
        "basic_users_count": basic,
        "on_prem_users_count": on_prem,
        "room_users_count": 0,
        "pending_users_count": pending,
        "join_only_users_count": join_only,
        "total_users_count": licensed + basic + join_only + on_prem,
    });
    let mut body = body;
    if let (Some(body), Some(overrides)) = (
        body.as_object_mut(),
        state.account.summary_overrides.as_object(),
    ) {
        body.extend(overrides.clone());
    }
    (200, body)
}
