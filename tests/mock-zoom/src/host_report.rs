//! `GET /v2/report/users`, Zoom's active/inactive hosts report, built from the account's meetings.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::endpoint::{page_of, page_size};
use crate::http::Request;
use crate::reports::report_range;
use crate::server::State;

/// One range's report: its users (hosts, or users who hosted nothing) and the range's totals of
/// meetings, participants and minutes.
pub(crate) type HostRange = Arc<(Vec<Value>, [u64; 3])>;

/// `GET /v2/report/users`: with `type=active` (the default) each user who hosted a meeting dated
/// `from` to `to` (inclusive) with their sums, in the account's user order and then hosts the
/// account no longer lists; with `type=inactive` every user with an id who hosted none.
/// `page_size` at most 300; the range rules and Heavy limits are the sign-in report's.
pub(crate) fn hosts(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let mut state = state.lock().expect("mock state");
    let scopes = ["report:read:list_users:admin", "report:read:admin"];
    let (from, to) = match report_range(request, &state, &scopes) {
        Ok(range) => range,
        Err(refusal) => return refusal,
    };
    let kind = request.query.get("type").map_or("active", String::as_str);
    if !matches!(kind, "active" | "inactive") {
        return (400, json!({"code": 300, "message": "Invalid field: type."}));
    }
    let token = request.query.contains_key("next_page_token");
    let seen = (kind.to_string(), from.to_string(), to.to_string(), token);
    state.seen.host_requests.push(seen);
    let key = (kind.to_string(), from, to);
    let range = match state.host_ranges.get(&key) {
        Some(range) => range.clone(),
        None => {
            let range = Arc::new(report_of(&state.account, kind == "active", from, to));
            state.host_ranges.insert(key, range.clone());
            range
        }
    };
    let (users, totals) = (&range.0, range.1);
    let (page, next_page_token) =
        match page_of(request, users, &format!("hosts.{kind}.{from}.{to}")) {
            Ok(page) => page,
            Err(refusal) => return refusal,
        };
    let page_size = page_size(request);
    let active = kind == "active";
    (
        200,
        json!({
            "from": from.to_string(),
            "to": to.to_string(),
            "page_count": users.len().div_ceil(page_size),
            "page_size": page_size,
            "total_records": users.len(),
            "next_page_token": next_page_token,
            "total_meetings": if active { totals[0] } else { 0 },
            "total_participants": if active { totals[1] } else { 0 },
            "total_meeting_minutes": if active { totals[2] } else { 0 },
            "users": page,
        }),
    )
}

/// The report of one range: the sums of each host's meetings dated in it, as Zoom's records.
fn report_of(
    account: &crate::Account,
    active: bool,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> (Vec<Value>, [u64; 3]) {
    let mut sums: BTreeMap<&str, ([u64; 3], Option<&str>)> = BTreeMap::new();
    let mut totals = [0; 3];
    for meeting in &account.meetings {
        let day = meeting["date"]
            .as_str()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let (Some(host), Some(day)) = (meeting["host_id"].as_str(), day) else {
            continue;
        };
        if day < from || day > to {
            continue;
        }
        let counts = [
            1,
            meeting["participants"].as_u64().unwrap_or(0),
            meeting["minutes"].as_u64().unwrap_or(0),
        ];
        let (sum, email) = sums.entry(host).or_default();
        for i in 0..3 {
            sum[i] += counts[i];
            totals[i] += counts[i];
        }
        *email = email.or(meeting["host_email"].as_str());
    }
    let record = |user: &Value, id: &str, sum: [u64; 3]| {
        json!({
            "id": id,
            "email": user["email"],
            "user_name": format!(
                "{} {}",
                user["first_name"].as_str().unwrap_or_default(),
                user["last_name"].as_str().unwrap_or_default()
            ),
            "type": user["type"],
            "dept": user["dept"],
            "meetings": sum[0],
            "participants": sum[1],
            "meeting_minutes": sum[2],
            "create_time": user["created_at"],
            "last_client_version": "6.2.5.40123",
            "custom_attributes": [{"key": "cbf_1", "name": "Desk phone", "value": "+1 555 0100"}],
        })
    };
    let mut listed = std::collections::HashSet::new();
    let mut users = Vec::new();
    for user in account.users.values().flatten() {
        let Some(id) = user["id"].as_str().filter(|id| !id.is_empty()) else {
            continue;
        };
        listed.insert(id);
        match (sums.get(id), active) {
            (Some((sum, _)), true) => users.push(record(user, id, *sum)),
            (None, false) => users.push(record(user, id, [0; 3])),
            _ => {}
        }
    }
    if active {
        for (id, (sum, email)) in sums.iter().filter(|(id, _)| !listed.contains(*id)) {
            users.push(record(&json!({"email": email, "type": 1}), id, *sum));
        }
    }
    (users, totals)
}
