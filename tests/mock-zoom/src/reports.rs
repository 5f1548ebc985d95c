//! `GET /v2/report/activities`, the sign-in report, and what every report shares: the range
//! rules and the Heavy rate limits.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::net::TcpStream;

use crate::endpoint::{admit, page_size};
use crate::http::{Request, respond};
use crate::server::State;

/// The checks both reports make, in Zoom's order: the token and `scopes`, a plan allowed to read
/// reports, then `from` and `to`: dates, a range of at most one month, within the last six months.
/// The exact wording of Zoom's refusals is not documented; these are this mock's.
pub(crate) fn report_range(
    request: &Request,
    state: &State,
    scopes: &[&str],
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), (u16, Value)> {
    admit(request, state, scopes)?;
    if !state.account.reports_allowed {
        return Err((400, json!({"code": 200, "message": "No permission."})));
    }
    let date = |name: &str| {
        request
            .query
            .get(name)
            .and_then(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
    };
    let today =
        chrono::NaiveDate::parse_from_str(&state.account.today, "%Y-%m-%d").expect("mock today");
    let (Some(from), Some(to)) = (date("from"), date("to")) else {
        let message = "Invalid from or to date.";
        return Err((400, json!({"code": 300, "message": message})));
    };
    let one_month = from
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt());
    if from > to || one_month.is_none_or(|end| to > end) {
        let message = "The date range should be within one month.";
        return Err((400, json!({"code": 300, "message": message})));
    }
    let six_months_ago = today.checked_sub_months(chrono::Months::new(6));
    if six_months_ago.is_some_and(|oldest| from < oldest) {
        let message = "The date range should fall within the last six months.";
        return Err((400, json!({"code": 300, "message": message})));
    }
    Ok((from, to))
}

/// `GET /v2/report/activities`: the account's sign-in/sign-out events of `from` to `to` (dates,
/// inclusive), newest first, `page_size` (default 30, at most 300) at a time.
fn activities(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let mut state = state.lock().expect("mock state");
    let scopes = ["report:read:user_activities:admin", "report:read:admin"];
    let (from, to) = match report_range(request, &state, &scopes) {
        Ok(range) => range,
        Err(refusal) => return refusal,
    };
    let token = request.query.get("next_page_token").cloned();
    state
        .seen
        .activity_requests
        .push((from.to_string(), to.to_string(), token.is_some()));
    // The events of a range, found once per range (a benchmark asks for a thousand pages).
    let in_range = match state.activity_ranges.get(&(from, to)) {
        Some(found) => found.clone(),
        None => {
            let found: Arc<Vec<usize>> = Arc::new(
                (0..state.account.activity.len())
                    .filter(|&i| {
                        let day = state.account.activity[i]["time"]
                            .as_str()
                            .and_then(|t| t.get(..10))
                            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                        day.is_some_and(|d| from <= d && d <= to)
                    })
                    .collect(),
            );
            state.activity_ranges.insert((from, to), found.clone());
            found
        }
    };
    let page_size = page_size(request);
    // The token is the offset, wrapped so it looks opaque; its range must match the request's.
    let offset = match token.as_deref().map(|t| t.split(':').collect::<Vec<_>>()) {
        None => 0,
        Some(parts) => match parts.as_slice() {
            ["act", f, t, n] if *f == from.to_string() && *t == to.to_string() => {
                n.parse().unwrap_or(usize::MAX)
            }
            _ => {
                return (
                    400,
                    json!({"code": 300, "message": "Invalid next_page_token."}),
                );
            }
        },
    };
    let mut page: Vec<Value> = in_range
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|&i| state.account.activity[i].clone())
        .collect();
    let next = offset + page.len();
    if state.seen.activity_requests.len() == 1 {
        page.extend(state.account.activity_misdated.iter().cloned());
    }
    let next_page_token = match next < in_range.len() {
        true => format!("act:{from}:{to}:{next}"),
        false => String::new(),
    };
    (
        200,
        json!({
            "from": format!("{from}T00:00:00Z"),
            "to": format!("{to}T00:00:00Z"),
            "page_size": page_size,
            "next_page_token": next_page_token,
            "activity_logs": page,
        }),
    )
}

/// `GET /v2/report/activities` behind the Heavy category's limits.
pub(crate) async fn report_activities(
    stream: &mut TcpStream,
    request: &Request,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    heavy(stream, request, state, activities).await
}

/// A report (`answer`) behind the Heavy category's limits, counted together for every report: a
/// daily-limit 429 once the quota is spent, a per-second 429 for a throttled request.
pub(crate) async fn heavy(
    stream: &mut TcpStream,
    request: &Request,
    state: &Mutex<State>,
    answer: fn(&Request, &Mutex<State>) -> (u16, Value),
) -> std::io::Result<()> {
    let mut heavy = vec![("X-RateLimit-Category", "Heavy".to_string())];
    let (throttled, quota_spent, slow) = {
        let mut state = state.lock().expect("mock state");
        state.activity_times.push(Instant::now());
        let number = state.activity_times.len();
        let account = &state.account;
        let slow = account.activity_slow_from.as_ref();
        (
            account.activity_throttled.contains(&number),
            account.activity_quota_spent,
            slow.filter(|(from, _)| request.query.get("from") == Some(from))
                .map(|(_, delay)| *delay),
        )
    };
    if let Some(delay) = slow {
        tokio::time::sleep(delay).await;
    }
    let (status, body) = match throttled {
        _ if quota_spent => {
            let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
            heavy.push(("X-RateLimit-Type", "Daily-limit".to_string()));
            heavy.push(("Retry-After", format!("{tomorrow}T00:00:00Z")));
            let message = "You have reached the maximum daily rate limit for this API. \
                           Refer to the response header for details on when you can make \
                           another request.";
            (429, json!({"code": 429, "message": message}))
        }
        true => {
            heavy.push(("X-RateLimit-Type", "QPS".to_string()));
            heavy.push(("Retry-After", "1".to_string()));
            let message = "You have reached the maximum per-second rate limit for this \
                           API. Try again later.";
            (429, json!({"code": 429, "message": message}))
        }
        false => answer(request, state),
    };
    respond(stream, status, &heavy, body.to_string().as_bytes()).await
}
