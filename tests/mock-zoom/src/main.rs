//! `mock-zoom`: serves a generated Zoom account on 127.0.0.1 until stopped, for trying live mode
//! and for benchmarks.
//!
//! ```text
//! mock-zoom [ACTIVE [PENDING [INACTIVE [LATENCY_MS]]]]
//! ```
//! Prints the environment a `zoom-licenses extract` needs, one `export` line each, on stdout.
//! With `MOCK_ZOOM_ACTIVITY_DAYS=N`, the app also has the sign-in report's scope and the report
//! holds N days of generated events ending today (for `extract --with activity`);
//! `MOCK_ZOOM_TODAY=YYYY-MM-DD` sets that day. `MOCK_ZOOM_SCOPES` replaces the scopes granted
//! (space-separated), e.g. to add `group:read:list_groups:admin role:read:list_roles:admin`.
//! With `MOCK_ZOOM_HOSTING=1`, the app also has the hosts report's scope, every even active user
//! hosts meetings (`meetings_of`), and every seventh user (n % 7 == 3) last logged in 200 days
//! before today, so a reclaim finds idle users beside the ones who host nothing.
//! `MOCK_ZOOM_SUB_ACCOUNTS=N` makes it a master account of N sub accounts `sub1`…`subN` (sub
//! account n has 10 + n active users and one pending), and grants the master scopes too;
//! `MOCK_ZOOM_SUB_ACCOUNTS_FAILING=ID,…` names those Zoom says do not exist.

use std::collections::BTreeMap;
use std::time::Duration;

use std::sync::Arc;

use mock_zoom::{Account, MockZoom, activity_of, generated_user, generated_users, meetings_of};

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse().unwrap_or_else(|_| {
                eprintln!("usage: mock-zoom [ACTIVE [PENDING [INACTIVE [LATENCY_MS]]]]");
                std::process::exit(2)
            })
        })
        .collect();
    let arg = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let (active, pending, inactive) = (arg(0, 850), arg(1, 70), arg(2, 80));
    // MOCK_ZOOM_TODAY=YYYY-MM-DD fixes "today", to record a reproducible fixture.
    let today = std::env::var("MOCK_ZOOM_TODAY")
        .unwrap_or_else(|_| chrono::Utc::now().date_naive().to_string());
    let hosting = std::env::var("MOCK_ZOOM_HOSTING").is_ok_and(|v| v == "1");
    let long_ago = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d")
        .map(|d| format!("{}T08:30:00Z", d - chrono::Days::new(200)))
        .unwrap_or_default();
    let user = |n: usize, status: &str| {
        let mut user = generated_user(n, status);
        if hosting && n % 7 == 3 && user.get("last_login_time").is_some() {
            user["last_login_time"] = long_ago.clone().into();
        }
        user
    };
    // Rendered one user at a time: a million `Value`s would take gigabytes.
    let mut rendered = BTreeMap::new();
    let mut first = 0;
    for (status, count) in [
        ("active", active),
        ("pending", pending),
        ("inactive", inactive),
    ] {
        let texts: Vec<String> = (first..first + count)
            .map(|n| user(n, status).to_string())
            .collect();
        rendered.insert(status.to_string(), Arc::new(texts));
        first += count;
    }
    let latency = Duration::from_millis(arg(3, 0) as u64);
    let mut account = Account::new(BTreeMap::new());
    if let Some(days) = std::env::var("MOCK_ZOOM_ACTIVITY_DAYS")
        .ok()
        .and_then(|d| d.parse::<u32>().ok())
    {
        let emails = (0..active).map(|n| format!("user{n}@example.com"));
        account.activity = activity_of(emails, &today, days.max(1));
        account.scopes = "user:read:list_users:admin report:read:user_activities:admin".into();
    }
    if hosting {
        let id = |n| {
            generated_user(n, "active")["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        let ids = (0..active).map(|n| (n, id(n)));
        account.meetings = meetings_of(ids, &today);
        account.scopes.push_str(" report:read:list_users:admin");
    }
    if let Some(n) = std::env::var("MOCK_ZOOM_SUB_ACCOUNTS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        account.sub_accounts = (1..=n)
            .map(|i| {
                (
                    format!("sub{i}"),
                    format!("Sub account {i}"),
                    generated_users(10 + i, 1, 0),
                )
            })
            .collect();
        let failing = std::env::var("MOCK_ZOOM_SUB_ACCOUNTS_FAILING").unwrap_or_default();
        account.sub_accounts_failing = failing.split(',').map(str::to_owned).collect();
        account
            .scopes
            .push_str(" account:read:list_sub_accounts:master user:read:list_users:master");
    }
    account.today = today;
    if let Ok(scopes) = std::env::var("MOCK_ZOOM_SCOPES") {
        account.scopes = scopes;
    }
    let mock = MockZoom::start_rendered(account, rendered, BTreeMap::new(), latency).await;
    if let Ok(size) = std::env::var("MOCK_ZOOM_PRERENDER_PAGE_SIZE") {
        mock.prerender(size.parse().unwrap_or(2000));
    }
    let account = mock.account();
    println!("export ZOOM_API_URL={}", mock.api_url());
    println!("export ZOOM_OAUTH_URL={}", mock.oauth_url());
    println!("export ZOOM_ACCOUNT_ID={}", account.account_id);
    println!("export ZOOM_CLIENT_ID={}", account.client_id);
    println!("export ZOOM_CLIENT_SECRET={}", account.client_secret);
    println!("export MOCK_ZOOM_READY=1");
    eprintln!("mock-zoom: serving; Ctrl-C or SIGTERM stops it");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
