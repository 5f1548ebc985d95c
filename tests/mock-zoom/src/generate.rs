//! Generated accounts: users, their settings' features, custom attributes and sign-in events.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The `feature` object of a generated user, from the digits of its id (`id000042…` is user 42):
/// user n has large meetings (500) when 3 divides n, webinars (1,000) when 4 does, Zoom Phone when
/// 5 does, concurrent meetings `Plus` when 6 does, and always a meeting capacity.
pub fn generated_feature(id: &str) -> Value {
    let n: usize = id
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    json!({
        "meeting_capacity": 300,
        "large_meeting": n.is_multiple_of(3),
        "large_meeting_capacity": 500,
        "webinar": n.is_multiple_of(4),
        "webinar_capacity": 1000,
        "zoom_phone": n.is_multiple_of(5),
        "concurrent_meeting": if n.is_multiple_of(6) { "Plus" } else { "None" },
    })
}

/// `user` with the custom attributes an admin gave it: a cost centre from its email's number.
pub fn with_custom_attributes(user: &Value) -> Value {
    let mut user = user.clone();
    let email = user["email"].as_str().unwrap_or_default().to_string();
    let digits: String = email.chars().filter(char::is_ascii_digit).collect();
    let centre = digits.parse::<u64>().unwrap_or(0) % 7;
    user["custom_attributes"] = json!([
        {"key": "cbf_cost_centre", "name": "Cost centre", "value": format!("CC-{centre}")}
    ]);
    user
}

/// A realistic account: `active` users with ids, `pending` without, `inactive` deactivated.
pub fn generated_users(
    active: usize,
    pending: usize,
    inactive: usize,
) -> BTreeMap<String, Vec<Value>> {
    let ranges = [
        ("active", 0..active),
        ("pending", active..active + pending),
        ("inactive", active + pending..active + pending + inactive),
    ];
    ranges
        .into_iter()
        .map(|(status, range)| {
            let users = range.map(|n| generated_user(n, status)).collect();
            (status.to_string(), users)
        })
        .collect()
}

/// User number `n` of a generated account, with `status`.
pub fn generated_user(n: usize, status: &str) -> Value {
    let plan = [1, 2, 2, 4, 99][n % 5];
    let dept = ["Sales", "Engineering", ""][n % 3];
    let mut u = json!({
        "first_name": format!("First{n}"),
        "last_name": format!("Last{n}"),
        "display_name": format!("First{n} Last{n}"),
        "email": format!("user{n}@example.com"),
        "type": plan,
        "timezone": "Europe/Berlin",
        "verified": 1,
        "dept": dept,
        "user_created_at": "2024-03-01T10:00:00Z",
        "created_at": "2024-03-01T10:00:00Z",
        "role_id": "2",
        "group_ids": match n % 3 {
            0 => json!([]),
            1 => json!(["g-Sales4x7Q"]),
            _ => json!(["g-Sales4x7Q", "-gEngR2d2"]),
        },
        "im_group_ids": [],
        "language": "en-US",
        "status": status,
    });
    if n.is_multiple_of(4) {
        u["employee_unique_id"] = json!(format!("E{n:05}"));
    }
    if status != "pending" {
        u["id"] = json!(format!("id{n:06}aBcDeFgHiJkLmN"));
        u["pmi"] = json!(5_000_000_000u64 + n as u64);
        u["last_login_time"] = json!("2026-11-20T08:30:00Z");
        u["last_client_version"] = json!("6.2.5.40123(mac)");
    }
    u
}

/// Meetings hosted by generated active users, given as (user number, id), on or before `last`
/// (`YYYY-MM-DD`): user n hosts when n is even, `1 + n % 5` meetings on days spread by n over 120
/// days (so a 90-day window misses some), with participants and minutes from n.
pub fn meetings_of(users: impl Iterator<Item = (usize, String)>, last: &str) -> Vec<Value> {
    let last = chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d").expect("a date");
    let mut meetings = Vec::new();
    for (n, id) in users.filter(|(n, _)| n % 2 == 0) {
        for k in 0..(1 + n % 5) {
            let day = last - chrono::Days::new(((n * 7 + k * 31) % 120) as u64);
            meetings.push(json!({"host_id": id, "date": day.to_string(),
                                 "participants": 2 + (n + k) % 9, "minutes": 15 + (n * k) % 50}));
        }
    }
    meetings
}

/// Sign-in report events for the generated `users`, in the `days` days ending on `last`
/// (`YYYY-MM-DD`), newest first as Zoom lists them. Active user `n` signs in `n % 4` times (none
/// when `n % 4 == 0`), each sign-in followed by a sign-out an hour later, on days and clients
/// spread by `n`; every fifth such user's email comes in upper case (Zoom's report is keyed by
/// email, not id). Three events name emails that are no user of the account.
pub fn generated_activity(
    users: &BTreeMap<String, Vec<Value>>,
    last: &str,
    days: u32,
) -> Vec<Value> {
    let emails = users
        .get("active")
        .into_iter()
        .flatten()
        .map(|u| u["email"].as_str().unwrap_or_default().to_string());
    activity_of(emails, last, days)
}

/// [`generated_activity`] for active users with these emails, in order.
pub fn activity_of(emails: impl Iterator<Item = String>, last: &str, days: u32) -> Vec<Value> {
    let last = chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d").expect("a date");
    let clients = ["Windows", "Mac", "Browser", "iOS", "Android"];
    let mut events = Vec::new();
    let mut event = |email: String, day: u32, minute: usize, kind: &str, client: &str| {
        let date = last - chrono::Days::new(u64::from(day % days));
        let hour = if kind == "Sign in" { 9 } else { 10 };
        events.push(json!({
            "email": email,
            "time": format!("{date}T{hour:02}:{:02}:00Z", minute % 60),
            "type": kind,
            "ip_address": format!("192.0.2.{}", minute % 250),
            "client_type": client,
            "version": "6.2.5.40123",
        }));
    };
    for (n, email) in emails.enumerate() {
        let email = match n % 5 {
            1 => email.to_uppercase(),
            _ => email.to_string(),
        };
        for k in 0..n % 4 {
            let day = (n * 7 + k * 11) as u32;
            let client = clients[(n + k) % clients.len()];
            event(email.clone(), day, n + k, "Sign in", client);
            event(email.clone(), day, n + k, "Sign out", client);
        }
    }
    for g in 0..3 {
        event(
            format!("ghost{g}@elsewhere.example"),
            g,
            g as usize,
            "Sign in",
            "Browser",
        );
    }
    events.sort_by(|a, b| b["time"].as_str().cmp(&a["time"].as_str()));
    events
}
