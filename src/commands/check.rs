//! `zoom-licenses check`, the "Test Connection" step: gets a token, lists one user of each status,
//! reads Zoom's own user counts when the app may, and reports what an extract would see. Exit 0 only
//! when an extract would work.

use std::fmt::Display;
use std::io::Write;

use chrono::NaiveDate;
use extractor::http::error::human_duration;
use extractor::http::{FetchedPage, RateLimitHeaders};
use extractor::zoom::activities::{self, ACTIVITIES};
use extractor::zoom::host_report::{self, HOST_REPORT};
use extractor::zoom::sub_accounts::{self, SUB_ACCOUNTS};
use extractor::zoom::user_settings::USER_SETTINGS;
use extractor::zoom::users::{self, ACCOUNT_USERS, USERS, UserStatus};
use extractor::zoom::users_me::{self, USERS_ME};
use extractor::zoom::users_summary::{self, USERS_SUMMARY, UsersSummary};
use extractor::{Credentials, Endpoint, PageRequest, ZoomClient};

use crate::accounts;
use crate::cli::CheckArgs;
use crate::config::{client_config, connection};
use run::exit::{self, Failure};

/// Runs `check`; the report goes to stdout, line by line as each step succeeds (with
/// `--all-accounts`, one line per active account).
pub async fn run(args: CheckArgs) -> Result<(), Failure> {
    if args.all_accounts {
        return run_all(&args).await;
    }
    let entry = accounts::selected(&args.connect.config, &args.connect.account)?;
    let mut out = std::io::stdout().lock();
    check(&args, entry.as_ref(), |line| {
        // A closed stdout only loses the report; the exit code still tells the result.
        let _ = writeln!(out, "{line}");
    })
    .await
}

/// Every active account of the accounts file checked in turn, one line each: `NAME: ok; …` with
/// what it lists, or `NAME: failed (exit N): …`. Exit 1 when any failed.
async fn run_all(args: &CheckArgs) -> Result<(), Failure> {
    let Some(path) = &args.connect.config else {
        return Err(Failure::usage(
            "--all-accounts needs the accounts file: pass --config FILE or set ZOOM_LICENSES_CONFIG",
        ));
    };
    let entries = accounts::load(path)?;
    if entries.iter().all(|e| !e.active) {
        return Err(Failure::usage(format!(
            "the accounts file {} has no active account to check",
            path.display()
        )));
    }
    let (mut checked, mut failed) = (0, Vec::new());
    for entry in entries.iter().filter(|e| e.active) {
        let mut lines = Vec::new();
        let line = match check(args, Some(entry), |line| lines.push(line)).await {
            Ok(()) => {
                // What it lists: its users' counts, or a master account's sub accounts.
                let listed = lines
                    .iter()
                    .find(|l| l.starts_with("users listed:") || l.starts_with("sub accounts:"));
                let listed = listed.map_or("", |l| l.as_str());
                format!(
                    "{}: ok; {}",
                    entry.name,
                    listed.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            }
            Err(failure) => {
                failed.push(entry.name.clone());
                let error = extractor::auth::secret::redact(&failure.to_string()).into_owned();
                format!("{}: failed (exit {}): {error}", entry.name, failure.code)
            }
        };
        checked += 1;
        let _ = writeln!(std::io::stdout(), "{line}");
    }
    match failed.len() {
        0 => Ok(()),
        n => Err(Failure::failed_msg(format!(
            "{n} of {checked} accounts failed the check: {}",
            failed.join(", ")
        ))),
    }
}

/// Checks one account (the entry's, or the flags' and environment's), saying each report line.
async fn check(
    args: &CheckArgs,
    entry: Option<&accounts::AccountEntry>,
    mut say: impl FnMut(String),
) -> Result<(), Failure> {
    let connection = connection(&args.connect, args.requests.max_rps, entry)?;
    let config = client_config(&connection, &args.requests)?;
    let client = ZoomClient::new(config).map_err(Failure::failed_msg)?;
    // Scopes and account details are the server's words: redacted like any log line.
    let mut say = |line: String| say(extractor::auth::secret::redact(&line).into_owned());
    say(field("auth mode:", auth_mode(&connection.credentials)));
    if let Some(entry) = entry {
        say(field("account name:", &entry.name));
    }
    say(field("api url:", &connection.api_url));
    let token = client.token().await.map_err(api_failure)?;
    let granted = &token.scopes;
    say(field("token:", token_scopes(granted)));
    say("scopes:".into());
    scope_lines(granted).for_each(&mut say);
    if let Credentials::AuthorizationCode { .. } = &connection.credentials {
        say(field("account id:", account_id(&client, granted).await));
    }
    // A master account's app with only the :master scopes reads sub accounts, not its own users.
    if !USERS.granted_by(granted)
        && SUB_ACCOUNTS.granted_by(granted)
        && ACCOUNT_USERS.granted_by(granted)
    {
        say(field("sub accounts:", count_sub_accounts(&client).await?));
        say("connection ok: an extract with --sub-accounts would work".into());
        return Ok(());
    }
    let (listed, active, last) = count_users(&client).await?;
    say(field("users listed:", listed));
    let (summary, licensed) = users_summary(&client, granted).await;
    say(field("users summary:", summary));
    if USER_SETTINGS.granted_by(granted) {
        say(field("add-ons:", addons_cost(&client, licensed, active)));
    }
    let reports: [(&str, &Endpoint, Sweeps); 2] = [
        ("sign-in report:", &ACTIVITIES, activities::sweeps),
        ("hosts report:", &HOST_REPORT, host_report::sweeps),
    ];
    for (label, report, sweeps) in reports {
        if report.granted_by(granted) {
            say(field(label, report_readable(&client, report, sweeps).await));
        }
    }
    let Some(last) = last else {
        return Err(Failure::failed_msg("no users page was fetched"));
    };
    say(field("rate limit:", rate_limit(&last.rate_limit)));
    say("connection ok: an extract would work".into());
    Ok(())
}

/// A report line: its label, padded so that the values line up, then the value.
fn field(label: &str, value: impl Display) -> String {
    format!("{label:<16}{value}")
}

/// Maps a failed request to the exit code of its class.
fn api_failure(error: extractor::ApiError) -> Failure {
    Failure {
        code: exit::code_for(error.class()),
        error: anyhow::anyhow!("connection check failed: {error}"),
    }
}

/// A count Zoom may leave out: `?` when it did.
fn count(n: Option<u64>) -> String {
    n.map_or("?".into(), |n| n.to_string())
}

/// What a step reports when Zoom's answer could not be had or read.
fn not_read(error: impl Display) -> String {
    format!("not read: {error}")
}

/// The mode, with the account or token file it works on.
fn auth_mode(credentials: &Credentials) -> String {
    match credentials {
        Credentials::ServerToServer(s2s) => {
            format!("server-to-server (account {})", s2s.account_id)
        }
        Credentials::AuthorizationCode { token_file, .. } => {
            format!("authorization-code (token file {})", token_file.display())
        }
    }
}

/// The token's granted scopes, space-separated, or a note that Zoom listed none.
fn token_scopes(granted: &[String]) -> String {
    match granted.join(" ") {
        listed if listed.is_empty() => "ok; scopes granted: (none listed)".into(),
        listed => format!("ok; scopes granted: {listed}"),
    }
}

/// One line per dataset's scope: granted or not, and what it unlocks (users' is required).
fn scope_lines(granted: &[String]) -> impl Iterator<Item = String> + '_ {
    run::datasets::DATASETS.iter().filter_map(|dataset| {
        let scope = run::datasets::scope_text(dataset.endpoint);
        if scope.is_empty() {
            return None;
        }
        let state = match (
            dataset.endpoint.granted_by(granted),
            dataset.endpoint == &USERS,
        ) {
            (true, _) => "granted",
            (false, true) => "NOT granted",
            (false, false) => "not granted",
        };
        Some(format!("  {scope}: {state}; {}", dataset.unlocks))
    })
}

/// The account an authorization-code app works for (GET /users/me), or why it is not known.
async fn account_id(client: &ZoomClient, granted: &[String]) -> String {
    if !USERS_ME.granted_by(granted) {
        return format!(
            "not known: scope {} not granted (partitioned runs need --partition-account)",
            USERS_ME.scopes[0]
        );
    }
    match client.fetch(&users_me::request()).await {
        Err(error) => not_read(error),
        Ok(page) => users_me::account_id(&page.page)
            .map_or_else(not_read, |id| format!("{id} (GET /users/me)")),
    }
}

/// How many sub accounts Zoom says it has (`total_records` of a one-record page).
async fn count_sub_accounts(client: &ZoomClient) -> Result<String, Failure> {
    let request = sub_accounts::sweep().with_page_size(1);
    let page = client.fetch(&request).await.map_err(api_failure)?;
    let accounts = count(page.page.meta.total_records);
    Ok(format!("{accounts} (total_records of GET /accounts)"))
}

/// One user of each status: Zoom's total_records per status, the active count, the last answer.
async fn count_users(
    client: &ZoomClient,
) -> Result<(String, Option<u64>, Option<FetchedPage>), Failure> {
    let (mut listed, mut active, mut last) = (Vec::new(), None, None);
    for request in users::sweeps(&UserStatus::ALL, 1, false) {
        let page = client.fetch(&request).await.map_err(api_failure)?;
        let total = page.page.meta.total_records;
        let status = request.param("status").unwrap_or_default();
        if status == "active" {
            active = total;
        }
        listed.push(format!("{} {status}", count(total)));
        // The rate-limit line reports the last answer: the one that says how much is left.
        last = Some(page);
    }
    let listed = format!("{} (total_records of GET /users)", listed.join(", "));
    Ok((listed, active, last))
}

/// Zoom's own counts (the second opinion an extract is held to) and its licensed count, if read.
async fn users_summary(client: &ZoomClient, granted: &[String]) -> (String, Option<u64>) {
    if !USERS_SUMMARY.granted_by(granted) {
        let scope = USERS_SUMMARY.scopes[0];
        return (format!("not read: scope {scope} not granted"), None);
    }
    // An extract does not need them, so failing to read them does not fail the check.
    let summary = match client.fetch(&users_summary::request()).await {
        Ok(page) => UsersSummary::from_page(&page.page).map_err(not_read),
        Err(error) => Err(not_read(error)),
    };
    match summary {
        Ok(summary) => (render_summary(&summary), summary.licensed_users_count),
        Err(why) => (why, None),
    }
}

/// What `--with addons` would cost: one request per licensed user at --max-rps.
fn addons_cost(client: &ZoomClient, licensed: Option<u64>, active: Option<u64>) -> String {
    let rps = f64::from(client.max_rps());
    // `42s`, `17m 5s`, `2h 40m`: how long n requests take.
    let time = |n: u64| human_duration(chrono::TimeDelta::seconds((n as f64 / rps).ceil() as i64));
    match (licensed, active) {
        (Some(n), _) => format!(
            "{n} requests (one per licensed user; more with --addons-for all) take about {} \
             at {rps}/s",
            time(n)
        ),
        (None, Some(n)) => format!(
            "up to {n} requests (one per licensed active user; Zoom's licensed count needs \
             user:read:summary:admin) take up to {} at {rps}/s",
            time(n)
        ),
        (None, None) => "cannot tell how many requests: Zoom gave no count".into(),
    }
}

/// A report's first requests for ranges of days.
type Sweeps = fn(&[(NaiveDate, NaiveDate)]) -> Vec<PageRequest>;

/// Whether a report can be read: one page of today shows whether the plan allows it.
async fn report_readable(client: &ZoomClient, report: &Endpoint, sweeps: Sweeps) -> String {
    let today = chrono::Utc::now().date_naive();
    match sweeps(&activities::windows(today, 1)).first() {
        None => "not read: no range to ask for".to_string(),
        Some(request) => match client.fetch(request).await {
            Ok(_) => format!("readable (GET /{})", report.path),
            Err(error) => format!("not readable: {error}"),
        },
    }
}

/// `category Medium, remaining 9990 of 10000`, as the rate-limit headers said.
fn rate_limit(limits: &RateLimitHeaders) -> String {
    let of = limits.limit.as_deref().map(|l| format!(" of {l}"));
    format!(
        "category {}, remaining {}{}",
        limits.category.as_deref().unwrap_or("not sent"),
        limits.remaining.as_deref().unwrap_or("not sent"),
        of.unwrap_or_default()
    )
}

/// `3000 total: 1000 licensed, 1500 basic, …; 300 pending (GET /users/summary)`.
fn render_summary(s: &UsersSummary) -> String {
    format!(
        "{} total: {} licensed, {} basic, {} join-only, {} on-prem, {} room; {} pending \
         (GET /users/summary)",
        count(s.total_users_count),
        count(s.licensed_users_count),
        count(s.basic_users_count),
        count(s.join_only_users_count),
        count(s.on_prem_users_count),
        count(s.room_users_count),
        count(s.pending_users_count)
    )
}
