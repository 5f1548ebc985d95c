//! `zoom-licenses check`, the "Test Connection" step: gets a token, lists one user, and reports what
//! an extract would see. Exit 0 only when an extract would work.

use std::io::Write;

use extractor::client::{CLASSIC_SCOPE, NEEDED_SCOPE};
use extractor::{Credentials, UserStatus, ZoomClient};

use crate::accounts;
use crate::cli::CheckArgs;
use crate::config::{client_config, connection};
use crate::exit::{self, Failure};

/// Runs `check`; the report goes to stdout, line by line as each step succeeds.
pub async fn run(args: CheckArgs) -> Result<(), Failure> {
    let entry = accounts::selected(&args.connect.config, &args.connect.account)?;
    let connection = connection(&args.connect, args.requests.max_rps, entry.as_ref())?;
    let config = client_config(&connection, &args.requests)?;
    let client = ZoomClient::new(config).map_err(Failure::failed_msg)?;
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        // A closed stdout only loses the report; the exit code still tells the result.
        let _ = writeln!(out, "{line}");
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
    let has_scope = token
        .scopes
        .iter()
        .any(|s| s == NEEDED_SCOPE || s == CLASSIC_SCOPE);
    say(format!(
        "scope needed:   {NEEDED_SCOPE} (classic apps: {CLASSIC_SCOPE}): {}",
        if has_scope { "granted" } else { "NOT granted" }
    ));
    let fetched = client
        .users_page(UserStatus::Active, 1, None)
        .await
        .map_err(api_failure)?;
    say(format!(
        "users visible:  {} active (Zoom's total_records)",
        fetched
            .page
            .meta
            .total_records
            .map_or_else(|| "unknown".to_string(), |n| n.to_string())
    ));
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

fn api_failure(error: extractor::client::ApiError) -> Failure {
    Failure {
        code: exit::code_for(error.class()),
        error: anyhow::anyhow!("connection check failed: {error}"),
    }
}
