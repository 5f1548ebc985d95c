//! Zoom's active-hosts report (`GET /report/users`, issue 26) as the project's mock serves it: the
//! sums per host and range, both types, paging, and Zoom's refusals. Expectations are built by hand
//! from the meetings the test gives the mock.

use std::collections::BTreeMap;
use std::time::Duration;

use mock_zoom::{Account, MockZoom, generated_users};
use serde_json::{Value, json};

const SCOPES: &str = "user:read:list_users:admin report:read:list_users:admin";

/// A token from the mock's server-to-server grant.
async fn token(mock: &MockZoom, http: &reqwest::Client) -> String {
    let account = mock.account();
    let url = format!(
        "{}/oauth/token?grant_type=account_credentials&account_id={}",
        mock.oauth_url(),
        account.account_id
    );
    let answer = http
        .post(url)
        .basic_auth(&account.client_id, Some(&account.client_secret))
        .send()
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    answer["access_token"].as_str().unwrap().to_string()
}

/// `GET /report/users` with `query`: the status and the body.
async fn report(mock: &MockZoom, query: &[(&str, &str)]) -> (u16, Value) {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let token = token(mock, &http).await;
    // The query's values are dates, digits and the mock's tokens: nothing to escape.
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let url = format!("{}/report/users?{}", mock.api_url(), query.join("&"));
    let answer = http.get(url).bearer_auth(token).send().await.unwrap();
    let status = answer.status().as_u16();
    (
        status,
        serde_json::from_str(&answer.text().await.unwrap()).unwrap(),
    )
}

fn meeting(host: &str, date: &str, participants: u64, minutes: u64) -> Value {
    json!({"host_id": host, "date": date, "participants": participants, "minutes": minutes})
}

/// Four users with ids u0..u3 (active), meetings by u0 and u2 and by a host the account no longer
/// lists, in two months.
async fn mock() -> MockZoom {
    let mut users = generated_users(4, 1, 0);
    for (n, user) in users.get_mut("active").unwrap().iter_mut().enumerate() {
        user["id"] = json!(format!("u{n}"));
    }
    let mut account = Account::new(users);
    account.scopes = SCOPES.into();
    account.meetings = vec![
        meeting("u0", "2026-11-05", 3, 40),
        meeting("u2", "2026-11-06", 10, 55),
        meeting("u0", "2026-11-30", 2, 15),
        meeting("u0", "2026-10-01", 7, 60),
        json!({"host_id": "gone1", "host_email": "gone@example.com", "date": "2026-11-20",
               "participants": 4, "minutes": 30}),
    ];
    MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await
}

fn row(users: &Value, id: &str) -> (u64, u64, u64) {
    let user = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .unwrap();
    let n = |name: &str| user[name].as_u64().unwrap();
    (n("meetings"), n("participants"), n("meeting_minutes"))
}

#[tokio::test]
async fn the_active_hosts_of_a_range_carry_their_sums_and_the_range_its_totals() {
    let mock = mock().await;
    let range = [("from", "2026-11-01"), ("to", "2026-11-30")];
    let (status, body) = report(&mock, &[&[("type", "active")], &range[..]].concat()).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    // u0's October meeting is outside the range; the host the account no longer lists is listed.
    assert_eq!(ids, ["u0", "u2", "gone1"]);
    assert_eq!(row(&body["users"], "u0"), (2, 5, 55));
    assert_eq!(row(&body["users"], "u2"), (1, 10, 55));
    assert_eq!(row(&body["users"], "gone1"), (1, 4, 30));
    assert_eq!(body["users"][2]["email"], "gone@example.com");
    assert_eq!(
        (&body["total_meetings"], &body["total_participants"]),
        (&json!(4), &json!(19))
    );
    assert_eq!(body["total_meeting_minutes"], 140);
    assert_eq!(
        (&body["total_records"], &body["next_page_token"]),
        (&json!(3), &json!(""))
    );

    // type=inactive: the users with an id who hosted nothing (the pending user has no id).
    let (status, body) = report(&mock, &[&[("type", "inactive")], &range[..]].concat()).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u1", "u3"]);
    assert_eq!(row(&body["users"], "u1"), (0, 0, 0));
    assert_eq!(mock.seen().host_requests.len(), 2);
}

#[tokio::test]
async fn pages_chain_by_token_within_their_range() {
    let mock = mock().await;
    let query = [
        ("from", "2026-11-01"),
        ("to", "2026-11-30"),
        ("page_size", "2"),
    ];
    let (_, first) = report(&mock, &query).await;
    assert_eq!(first["users"].as_array().unwrap().len(), 2);
    assert_eq!(first["page_count"], 2);
    let token = first["next_page_token"].as_str().unwrap().to_string();
    assert!(!token.is_empty());
    let (_, last) = report(
        &mock,
        &[&query[..], &[("next_page_token", &token)]].concat(),
    )
    .await;
    assert_eq!(last["users"][0]["id"], "gone1");
    assert_eq!(last["next_page_token"], "");
    // A token is good only for the range it came from.
    let other = [
        ("from", "2026-10-01"),
        ("to", "2026-10-31"),
        ("next_page_token", &token),
    ];
    let (status, body) = report(&mock, &other).await;
    assert_eq!((status, &body["code"]), (400, &json!(300)));
}

#[tokio::test]
async fn zoom_refuses_long_or_old_ranges_a_bad_type_and_a_plan_without_reports() {
    let mock = mock().await;
    for (from, to, message) in [
        ("2026-11-01", "2026-12-01", "within one month"),
        ("2026-05-01", "2026-05-20", "last six months"),
        ("2026-11-02", "2026-11-01", "within one month"),
    ] {
        let (status, body) = report(&mock, &[("from", from), ("to", to)]).await;
        assert_eq!(status, 400, "{from} {to}");
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{body}"
        );
    }
    let bad_type = [
        ("type", "all"),
        ("from", "2026-11-01"),
        ("to", "2026-11-02"),
    ];
    assert_eq!(report(&mock, &bad_type).await.0, 400);

    let mut account = mock.account();
    account.reports_allowed = false;
    let free = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let (status, body) = report(&free, &[("from", "2026-11-01"), ("to", "2026-11-02")]).await;
    assert_eq!((status, &body["code"]), (400, &json!(200)));

    let mut account = mock.account();
    account.scopes = "user:read:list_users:admin report:read:user_activities:admin".into();
    let no_scope = MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await;
    let (status, body) = report(&no_scope, &[("from", "2026-11-01"), ("to", "2026-11-02")]).await;
    assert_eq!((status, &body["code"]), (400, &json!(4711)), "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("report:read:list_users:admin")
    );
}
