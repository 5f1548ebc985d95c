//! A run over many accounts (every account of the accounts file, or every sub account of a master
//! account), one after the other: one failing does not stop the others, and an accounts manifest
//! lists each one's outcome.

use std::path::{Path, PathBuf};

use serde::Serialize;

use extractor::Endpoint;

use crate::exit::{self, Failure};

/// One account's outcome in an `--all-accounts` run.
#[derive(Debug, Serialize)]
pub struct AccountOutcome {
    name: String,
    /// A sub account's name (`--sub-accounts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    account_name: Option<String>,
    /// `ok`, `failed` or `skipped` (inactive).
    status: &'static str,
    exit_code: Option<u8>,
    error: Option<String>,
    manifest: Option<String>,
}

/// The `--all-accounts` run's own manifest.
#[derive(Debug, Serialize)]
struct AccountsManifest {
    run_id: String,
    config: String,
    accounts: Vec<AccountOutcome>,
}

/// Runs `extract` for each account in turn, named by its name (and a sub account's name), until a
/// signal stops the run; `extract` gives `None` for an account it skips (inactive). Returns every
/// account's outcome, and the signal's failure when one came.
pub async fn each_account<A>(
    accounts: impl IntoIterator<Item = (String, Option<String>, A)>,
    mut extract: impl AsyncFnMut(A) -> Option<Result<PathBuf, Failure>>,
) -> (Vec<AccountOutcome>, Option<Failure>) {
    let mut outcomes = Vec::new();
    for (name, account_name, account) in accounts {
        if let Some(signal) = signal_received() {
            return (outcomes, Some(signal));
        }
        let mut outcome = AccountOutcome {
            name,
            account_name,
            status: "skipped",
            exit_code: None,
            error: None,
            manifest: None,
        };
        match extract(account).await {
            None => {}
            Some(Ok(manifest)) => {
                outcome.status = "ok";
                outcome.manifest = Some(manifest.display().to_string());
            }
            Some(Err(failure)) => {
                tracing::error!(message = "Account failed.", account = %outcome.name, exit_code = failure.code, error = %failure);
                outcome.status = "failed";
                outcome.exit_code = Some(failure.code);
                // A manifest is kept and shared: no known secret value goes into it.
                let text = failure.to_string();
                outcome.error = Some(extractor::auth::secret::redact(&text).into_owned());
                // A signal stops the whole run, not only this account.
                if matches!(failure.code, exit::INTERRUPTED | exit::TERMINATED) {
                    outcomes.push(outcome);
                    return (outcomes, Some(failure));
                }
            }
        }
        outcomes.push(outcome);
    }
    (outcomes, None)
}

/// The master account's sub accounts (id, name), every page of `GET /accounts`, once the token
/// grants the listing and each of `also` (what the caller reads next), else a usage failure.
pub async fn list_sub_accounts(
    client: &extractor::ZoomClient,
    also: &[&Endpoint],
) -> Result<Vec<(String, Option<String>)>, Failure> {
    use extractor::zoom::sub_accounts::{self, SUB_ACCOUNTS, SubAccount};
    const LISTING: &str = "listing the sub accounts (GET /accounts)";
    let token = client.token().await;
    let token = token.map_err(|e| Failure::of_class(e.class(), e, LISTING))?;
    // Every scope needed is checked before anything is read.
    for endpoint in std::iter::once(&&SUB_ACCOUNTS).chain(also) {
        if !token.grants(endpoint) {
            return Err(Failure::usage(format!(
                "--sub-accounts reads `{}` of a master account, which needs the scope {}: add it \
                 to the master account's app",
                endpoint.path,
                crate::datasets::scope_text(endpoint),
            )));
        }
    }
    let pages = extractor::source::live::every_page(client, sub_accounts::sweep())
        .await
        .map_err(|e| Failure::of_class(e.class(), e, LISTING))?;
    let mut subs = Vec::new();
    let mut known = std::collections::HashSet::new();
    for raw in pages.iter().flat_map(|page| page.records()) {
        let sub: SubAccount = serde_json::from_str(raw).unwrap_or_default();
        match sub.id.filter(|id| !id.is_empty()) {
            // Pages that shift while listed may repeat an account: each is read once.
            Some(id) if !known.insert(id.clone()) => {}
            Some(id) => subs.push((id, sub.account_name)),
            None => tracing::warn!(message = "A sub account without an id; skipped."),
        }
    }
    Ok(subs)
}

/// One sub account as `accounts --sub-accounts` lists it.
#[derive(Debug, Serialize)]
pub struct SubAccountListed {
    /// Its account id (the `account=ID` partition an extract of it writes).
    pub id: String,
    /// Its name, when Zoom sent one.
    pub name: Option<String>,
    /// Whether one page of its users could be read with the master account's app.
    pub users_readable: bool,
    /// Why not, in Zoom's words (redacted), when they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
}

/// Every sub account of the master account, each with whether its users can be read: one
/// `GET /accounts/{id}/users?page_size=1` each. Zoom refusing one sub account (it does not exist
/// any more, no permission) marks that one unreadable; a failure that is not about the sub account
/// (the network, rate limits past their retries, the token) fails the listing.
pub async fn sub_accounts_listed(
    client: &extractor::ZoomClient,
) -> Result<Vec<SubAccountListed>, Failure> {
    use extractor::ApiError;
    use extractor::PageRequest;
    use extractor::zoom::users::ACCOUNT_USERS;
    let subs = list_sub_accounts(client, &[]).await?;
    let token = client.token().await;
    let token = token.map_err(|e| Failure::of_class(e.class(), e, "reading the token"))?;
    let may_read = token.grants(&ACCOUNT_USERS);
    let mut listed = Vec::with_capacity(subs.len());
    for (id, name) in subs {
        let mut sub = SubAccountListed {
            users_readable: false,
            why_not: None,
            id,
            name,
        };
        if !may_read {
            sub.why_not = Some(format!(
                "the master account's app lacks the scope {}",
                crate::datasets::scope_text(&ACCOUNT_USERS)
            ));
            listed.push(sub);
            continue;
        }
        let query = [("accountId", sub.id.clone()), ("status", "active".into())];
        let probe = PageRequest::first(&ACCOUNT_USERS, &query).with_page_size(1);
        match client.fetch(&probe).await {
            Ok(_) => sub.users_readable = true,
            Err(
                refusal @ (ApiError::Rejected { .. }
                | ApiError::NoPermission { .. }
                | ApiError::MissingScope { .. }),
            ) => {
                let text = refusal.to_string();
                sub.why_not = Some(extractor::auth::secret::redact(&text).into_owned());
            }
            Err(error) => {
                let what = format!("reading the users of sub account {}", sub.id);
                return Err(Failure::of_class(error.class(), error, what));
            }
        }
        listed.push(sub);
    }
    Ok(listed)
}

/// The run's failure once a signal came (exit 130 for SIGINT, 143 for SIGTERM): checked before
/// each account, since one that came between two accounts reached no pipeline.
fn signal_received() -> Option<Failure> {
    let signal = crate::signals::received()?;
    tracing::warn!(
        message = "Interrupted: no further account is started.",
        signal
    );
    let message = anyhow::anyhow!("interrupted by {signal}");
    Some(Failure::new(crate::signals::exit_code(signal), message))
}

/// A run over many accounts, as its accounts manifest describes it.
pub struct AccountsRun {
    /// Where the accounts manifest goes.
    pub manifest: PathBuf,
    /// The run id shared by every account.
    pub run_id: String,
    /// The accounts file, or the master account's `GET /accounts`.
    pub config: String,
    /// The accounts to extract (active ones, or every sub account listed).
    pub planned: usize,
    /// `accounts` or `sub accounts`, for messages.
    pub kind: &'static str,
}

/// Writes the accounts manifest of a run over many accounts (beside the partitions, or in the
/// folder holding the accounts' folders), has `print_path` print where it is, and turns their outcomes into the run's result: exit 0
/// when none failed, 75 when every failure is temporary, 1 otherwise; a signal that `stopped` the
/// run is its result once the manifest is written, saying how many accounts were written before it.
pub fn finish_accounts(
    run: AccountsRun,
    outcomes: Vec<AccountOutcome>,
    stopped: Option<Failure>,
    print_path: impl FnOnce(&Path) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let manifest_path = run.manifest;
    let manifest = AccountsManifest {
        run_id: run.run_id,
        config: run.config,
        accounts: outcomes,
    };
    let written = sinks::write_json_atomically(&manifest_path, &manifest)
        .map_err(|e| {
            Failure::failed(anyhow::anyhow!(e).context("cannot write the accounts manifest"))
        })
        .and_then(|_| print_path(&manifest_path));
    if let Some(signal) = stopped {
        return Err(stopped_after(
            signal,
            &manifest.accounts,
            run.planned,
            run.kind,
            written.map(|()| manifest_path),
        ));
    }
    written?;
    let accounts = &manifest.accounts;
    let failed: Vec<&AccountOutcome> = accounts.iter().filter(|a| a.status == "failed").collect();
    if failed.is_empty() {
        return Ok(());
    }
    // The manifest names every one; the message names the first few (a master account may have
    // thousands of sub accounts, all failing for one reason).
    const NAMED: usize = 10;
    let mut names: Vec<String> = failed.iter().take(NAMED).map(|a| a.name.clone()).collect();
    if failed.len() > NAMED {
        names.push(format!("and {} more", failed.len() - NAMED));
    }
    let all_temporary = failed.iter().all(|a| a.exit_code == Some(exit::TEMPORARY));
    // Inactive accounts were not run: they count neither as failed nor among those run.
    let skipped = accounts.iter().filter(|a| a.status == "skipped").count();
    let run = accounts.len() - skipped;
    let skipped = match skipped {
        0 => String::new(),
        n => format!("; {n} inactive skipped"),
    };
    let code = match all_temporary {
        true => exit::TEMPORARY,
        false => exit::FAILED,
    };
    let message = anyhow::anyhow!(
        "{} of {run} accounts failed: {} (see {}){skipped}",
        failed.len(),
        names.join(", "),
        manifest_path.display()
    );
    Err(Failure::new(code, message))
}

/// The failure of a run over many accounts that `signal` stopped: what was written before it (the
/// accounts run to the end, whose outputs are published), the account it stopped (whose partial
/// outputs were removed), and how many were never started; `manifest` is where they are listed.
fn stopped_after(
    signal: Failure,
    outcomes: &[AccountOutcome],
    planned: usize,
    kind: &str,
    manifest: Result<PathBuf, Failure>,
) -> Failure {
    let name = crate::signals::received().unwrap_or("a signal");
    let run = outcomes.iter().filter(|a| a.status != "skipped");
    let written = run.clone().filter(|a| a.status == "ok").count();
    let cut = run
        .clone()
        .filter(|a| a.exit_code == Some(signal.code))
        .map(|a| a.name.as_str())
        .next_back();
    let started = run.count();
    let failed = started.saturating_sub(written + usize::from(cut.is_some()));
    let mut message = format!(
        "interrupted by {name} after {written} of {planned} {kind} were written (their outputs \
         are complete)"
    );
    if let Some(cut) = cut {
        message.push_str(&format!(
            "; {cut} was stopped and its partial outputs removed"
        ));
    }
    if failed > 0 {
        message.push_str(&format!("; {failed} failed"));
    }
    let not_started = planned.saturating_sub(started);
    if not_started > 0 {
        message.push_str(&format!("; {not_started} not started"));
    }
    match manifest {
        Ok(path) => message.push_str(&format!("; outcomes in {}", path.display())),
        Err(failure) => message.push_str(&format!("; {failure}")),
    }
    Failure::new(signal.code, anyhow::anyhow!(message))
}
