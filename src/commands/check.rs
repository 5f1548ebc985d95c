//! `zoom-licenses check`, the "Test Connection" step: gets a token, lists one user of each status,
//! reads Zoom's own user counts when the app may, and reports what an extract would see. Exit 0 only
//! when an extract would work.

use std::io::Write;

use extractor::zoom::activities::{self, ACTIVITIES};
use extractor::zoom::sub_accounts::SUB_ACCOUNTS;
use extractor::zoom::user_settings::USER_SETTINGS;
use extractor::zoom::users::{self, ACCOUNT_USERS, USERS, UserStatus};
use extractor::zoom::users_me::{self, USERS_ME};
use extractor::zoom::users_summary::{self, USERS_SUMMARY, UsersSummary};
use extractor::{Credentials, ZoomClient};

use crate::accounts;
use crate::cli::CheckArgs;
use crate::config::{client_config, connection};
use run::exit::{self, Failure};

/// Runs `check`; the report goes to stdout, line by line as each step succeeds.
pub async fn run(args: CheckArgs) -> Result<(), Failure> {
    let entry = accounts::selected(&args.connect.config, &args.connect.account)?;
    let connection = connection(&args.connect, args.requests.max_rps, entry.as_ref())?;
    let config = client_config(&connection, &args.requests)?;
    let client = ZoomClient::new(config).map_err(Failure::failed_msg)?;
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        // A closed stdout only loses the report; the exit code still tells the result. Scopes
        // and account details are the server's words: redacted like any log line.
        let _ = writeln!(out, "{}", extractor::auth::secret::redact(&line));
    };
    say(format!(
        "auth mode:      {}{}",
        connection.credentials.mode(),
        match &connection.credentials {
            Credentials::ServerToServer(s2s) => format!(" (account {})", s2s.account_id),
            Credentials::AuthorizationCode { token_file, .. } =>
                format!(" (token file {})", token_file.display()),
        }
    ));
    if let Some(name) = &connection.name {
        say(format!("account name:   {name}"));
    }
    say(format!("api url:        {}", connection.api_url));
    let token = client.token().await.map_err(api_failure)?;
    let granted = token.scopes.join(" ");
    say(format!(
        "token:          ok; scopes granted: {}",
        if granted.is_empty() {
            "(none listed)"
        } else {
            &granted
        }
    ));
    let has_scope = |scopes: &[&str]| token.scopes.iter().any(|s| scopes.contains(&s.as_str()));
    say("scopes:".into());
    for run::datasets::Dataset {
        endpoint, unlocks, ..
    } in run::datasets::DATASETS
    {
        let scope = match endpoint.scopes {
            [granular, classic, ..] => format!("{granular} (classic apps: {classic})"),
            [only] => only.to_string(),
            [] => continue,
        };
        let state = match (has_scope(endpoint.scopes), *endpoint == &USERS) {
            (true, _) => "granted",
            (false, true) => "NOT granted",
            (false, false) => "not granted",
        };
        say(format!("  {scope}: {state}; {unlocks}"));
    }
    if let Credentials::AuthorizationCode { .. } = &connection.credentials {
        let account = match has_scope(USERS_ME.scopes) {
            false => format!(
                "not known: scope {} not granted (partitioned runs need --partition-account)",
                USERS_ME.scopes[0]
            ),
            true => match client.fetch(&users_me::request()).await {
                Err(error) => format!("not read: {error}"),
                Ok(page) => users_me::account_id(&page.page)
                    .map(|id| format!("{id} (GET /users/me)"))
                    .unwrap_or_else(|error| format!("not read: {error}")),
            },
        };
        say(format!("account id:     {account}"));
    }
    // A master account's app with only the :master scopes reads sub accounts, not its own users.
    if !has_scope(USERS.scopes) && has_scope(SUB_ACCOUNTS.scopes) && has_scope(ACCOUNT_USERS.scopes)
    {
        let mut request = extractor::zoom::sub_accounts::sweep();
        request.query.insert("page_size".into(), "1".into());
        let page = client.fetch(&request).await.map_err(api_failure)?;
        say(format!(
            "sub accounts:   {} (total_records of GET /accounts)",
            page.page
                .meta
                .total_records
                .map_or("?".into(), |n| n.to_string())
        ));
        say("connection ok: an extract with --sub-accounts would work".into());
        return Ok(());
    }
    // One user of each status: Zoom's total_records says how many an extract would list.
    let mut listed = Vec::new();
    let mut fetched = None;
    let mut active = None;
    for request in users::sweeps(&UserStatus::ALL, 1, false) {
        let page = client.fetch(&request).await.map_err(api_failure)?;
        let total = page.page.meta.total_records;
        let status = request.param("status").unwrap_or_default();
        if status == "active" {
            active = total;
        }
        listed.push(format!(
            "{} {status}",
            total.map_or("?".into(), |n| n.to_string())
        ));
        // The rate-limit line reports the last answer: the one that says how much is left.
        fetched = Some(page);
    }
    say(format!(
        "users listed:   {} (total_records of GET /users)",
        listed.join(", ")
    ));
    // Zoom's own counts, when the app may read them: the second opinion an extract is held to.
    // An extract does not need them, so failing to read them does not fail the check.
    let mut licensed = None;
    let summary = match has_scope(USERS_SUMMARY.scopes) {
        false => format!("not read: scope {} not granted", USERS_SUMMARY.scopes[0]),
        true => match client.fetch(&users_summary::request()).await {
            Err(error) => format!("not read: {error}"),
            Ok(page) => match UsersSummary::from_page(&page.page) {
                Err(error) => format!("not read: {error}"),
                Ok(summary) => {
                    licensed = summary.licensed_users_count;
                    render_summary(&summary)
                }
            },
        },
    };
    say(format!("users summary:  {summary}"));
    // What --with addons would cost: one request per licensed user at --max-rps.
    if has_scope(USER_SETTINGS.scopes) {
        let rps = f64::from(client.max_rps());
        let line = match (licensed, active) {
            (Some(n), _) => format!(
                "{n} requests (one per licensed user; more with --addons-for all) take about {} \
                 at {rps}/s",
                human(n as f64 / rps)
            ),
            (None, Some(n)) => format!(
                "up to {n} requests (one per licensed active user; Zoom's licensed count needs \
                 user:read:summary:admin) take up to {} at {rps}/s",
                human(n as f64 / rps)
            ),
            (None, None) => "cannot tell how many requests: Zoom gave no count".into(),
        };
        say(format!("add-ons:        {line}"));
    }
    // The sign-in report, when the app may ask: one page of today shows whether the plan allows it.
    if has_scope(ACTIVITIES.scopes) {
        let today = chrono::Utc::now().date_naive();
        let first = activities::sweeps(&activities::windows(today, 1));
        let readable = match first.first() {
            None => "not read: no range to ask for".to_string(),
            Some(request) => match client.fetch(request).await {
                Ok(_) => "readable (GET /report/activities)".to_string(),
                Err(error) => format!("not readable: {error}"),
            },
        };
        say(format!("sign-in report: {readable}"));
    }
    let Some(fetched) = fetched else {
        return Err(Failure::failed_msg("no users page was fetched"));
    };
    let limits = &fetched.rate_limit;
    say(format!(
        "rate limit:     category {}, remaining {}{}",
        limits.category.as_deref().unwrap_or("not sent"),
        limits.remaining.as_deref().unwrap_or("not sent"),
        limits
            .limit
            .as_deref()
            .map(|l| format!(" of {l}"))
            .unwrap_or_default()
    ));
    say("connection ok: an extract would work".into());
    Ok(())
}

fn api_failure(error: extractor::ApiError) -> Failure {
    Failure {
        code: exit::code_for(error.class()),
        error: anyhow::anyhow!("connection check failed: {error}"),
    }
}

/// `42s`, `17m 5s`, `2h 40m`.
fn human(seconds: f64) -> String {
    let secs = seconds.ceil() as i64;
    extractor::http::error::human_duration(chrono::TimeDelta::seconds(secs))
}

/// `3000 total: 1000 licensed, 1500 basic, …; 300 pending (GET /users/summary)`.
fn render_summary(s: &UsersSummary) -> String {
    let n = |count: Option<u64>| count.map_or("?".to_string(), |n| n.to_string());
    format!(
        "{} total: {} licensed, {} basic, {} join-only, {} on-prem, {} room; {} pending \
         (GET /users/summary)",
        n(s.total_users_count),
        n(s.licensed_users_count),
        n(s.basic_users_count),
        n(s.join_only_users_count),
        n(s.on_prem_users_count),
        n(s.room_users_count),
        n(s.pending_users_count)
    )
}
