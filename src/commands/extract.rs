//! `zoom-licenses extract`: one account, one named account, or every active account of a file.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::accounts::{self, AccountEntry};
use crate::cli::ExtractArgs;
use run::config::{ExtractConfig, SourceConfig};
use run::exit::{self, Failure};
use run::{extract as pipeline, summary};

/// Runs `extract`; `quiet` (or JSON logs) leaves out the text summary.
pub async fn run(args: ExtractArgs, quiet: bool, progress: bool) -> Result<(), Failure> {
    let now = chrono::Utc::now();
    if args.all_accounts {
        return run_all(&args, quiet, progress, now).await;
    }
    if args.sub_accounts {
        return run_sub_accounts(&args, quiet, progress, now).await;
    }
    let entry = accounts::selected(&args.connect.config, &args.connect.account)?;
    let cfg = crate::config::extract_config(&args, entry.as_ref(), false, now)?;
    run_one(&cfg, quiet, progress).await.map(|_| ())
}

/// Runs one account; returns where its manifest was published.
async fn run_one(cfg: &ExtractConfig, quiet: bool, progress: bool) -> Result<PathBuf, Failure> {
    tracing::info!(
        message = "Extract started.",
        run_id = %cfg.run_id,
        account = cfg.account_name().unwrap_or("-"),
        source = %match &cfg.source {
            SourceConfig::Replay(dir) => dir.display().to_string(),
            SourceConfig::Live(live) => live.client.api_url.to_string(),
        },
        format = %cfg.format,
        output = %match &cfg.partition {
            Some(p) => format!("{} (partition dt={})", p.root.display(), p.date.format("%Y-%m-%d")),
            None => cfg.output.display_name(),
        }
    );
    let bars = progress.then(crate::progress::Bars::start);
    let mut result = pipeline::run_extract(cfg, bars).await?;
    let m = &result.manifest;
    tracing::info!(
        message = "Extract finished.",
        pages = m.pages_read,
        users_seen = m.users_seen,
        rows = m.rows_written,
        rejected = m.rejected(),
        duplicates = m.duplicates,
        by_plan = %serde_json::to_string(&m.by_plan).unwrap_or_default(),
        rejects = %serde_json::to_string(&m.rejects).unwrap_or_default(),
        account_id = m.source.account_id.as_deref().unwrap_or("-"),
        output = %m.outputs.path(transform::Table::Licenses).unwrap_or("-"),
        manifest = %result.manifest_path.display()
    );
    for difference in m.reconciliation.iter().flat_map(|r| r.differences()) {
        tracing::warn!(message = "Zoom's user counts differ from the extract's.", %difference);
    }
    for (status, counts) in &m.statuses {
        if counts.short_of_total > 0 {
            tracing::warn!(
                message = "Fewer users received than Zoom's total_records.",
                %status,
                received = counts.users_received,
                total_records = counts.total_records,
                short = counts.short_of_total
            );
        }
    }
    if !quiet {
        note!("{}", summary::render(m, &result.manifest_path));
    }
    let stdout = sinks::Destination::Stdout;
    if cfg.output != stdout && cfg.rejects != stdout {
        // Schedulers read the last stdout line (Airflow pushes it to XCom): the manifest's path.
        // Not after data rows, though: stdout would no longer be data only.
        print_path(&result.manifest_path)?;
    }
    if let (true, Some(partition), Some(info)) = (cfg.changes, &cfg.partition, &m.partition) {
        let (root, date) = (partition.root.clone(), partition.date);
        let (account, format) = (info.account.clone(), cfg.format);
        // The turn the partitions were published under, held until the changes are published.
        let turn = match result.turn.take() {
            Some(turn) => turn,
            None => run::targets::publish_turn(&root)?,
        };
        let compare = {
            let root = root.clone();
            move || super::changes::after_extract(&root, date, &account, format, quiet, &turn)
        };
        run::derived::stoppable(compare)
            .await
            .map_err(|failure| Failure {
                code: failure.code,
                error: failure.error.context(format!(
                    "the extract is published ({}), but its changes are not: once fixed, run \
                     `zoom-licenses changes --output-dir {} --to {date}`",
                    result.manifest_path.display(),
                    root.display()
                )),
            })?;
    }
    Ok(result.manifest_path)
}

/// One account's outcome in an `--all-accounts` run.
#[derive(Debug, Serialize)]
struct AccountOutcome {
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

impl AccountOutcome {
    /// An outcome with `status` and nothing else yet.
    fn new(name: String, account_name: Option<String>, status: &'static str) -> Self {
        AccountOutcome {
            name,
            account_name,
            status,
            exit_code: None,
            error: None,
            manifest: None,
        }
    }

    /// This account's `result` added to `outcomes`; a signal's failure is handed back, as it
    /// stops the whole run, not only this account.
    fn record(
        mut self,
        result: Result<PathBuf, Failure>,
        outcomes: &mut Vec<AccountOutcome>,
    ) -> Option<Failure> {
        let mut signal = None;
        match result {
            Ok(manifest) => self.manifest = Some(manifest.display().to_string()),
            Err(failure) => {
                tracing::error!(message = "Account failed.", account = %self.name, exit_code = failure.code, error = %failure);
                self.status = "failed";
                self.exit_code = Some(failure.code);
                // A manifest is kept and shared: no known secret value goes into it.
                let text = failure.to_string();
                self.error = Some(extractor::auth::secret::redact(&text).into_owned());
                if matches!(failure.code, exit::INTERRUPTED | exit::TERMINATED) {
                    signal = Some(failure);
                }
            }
        }
        outcomes.push(self);
        signal
    }
}

/// The `--all-accounts` run's own manifest.
#[derive(Debug, Serialize)]
struct AccountsManifest {
    run_id: String,
    config: String,
    accounts: Vec<AccountOutcome>,
}

async fn run_all(
    args: &ExtractArgs,
    quiet: bool,
    progress: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Failure> {
    let Some(path) = &args.connect.config else {
        return Err(Failure::usage(
            "--all-accounts needs the accounts file: pass --config FILE or set ZOOM_LICENSES_CONFIG",
        ));
    };
    if args.replay.is_some() {
        return Err(Failure::usage(
            "--all-accounts reads every account from Zoom; it cannot be combined with --replay",
        ));
    }
    let entries = accounts::load(path)?;
    if entries.iter().all(|e| !e.active) {
        tracing::warn!(message = "Every account in the accounts file is inactive: nothing to extract.", config = %path.display());
    }
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let mut outcomes = Vec::new();
    let mut output_dir: Option<PathBuf> = None;
    let mut stopped = None;
    for entry in &entries {
        if let Some(signal) = signal_received() {
            stopped = Some(signal);
            break;
        }
        if !entry.active {
            tracing::info!(message = "Skipping inactive account.", account = %entry.name);
            outcomes.push(AccountOutcome::new(entry.name.clone(), None, "skipped"));
            continue;
        }
        let result = match crate::config::extract_config(args, Some(entry), true, now) {
            Ok(mut cfg) => {
                cfg.run_id = run_id.clone();
                output_dir.get_or_insert_with(|| accounts_root(&cfg, entry));
                run_one(&cfg, quiet, progress).await
            }
            Err(failure) => Err(failure),
        };
        stopped = AccountOutcome::new(entry.name.clone(), None, "ok").record(result, &mut outcomes);
        if stopped.is_some() {
            break;
        }
    }
    let run = AccountsRun {
        output_dir,
        run_id,
        config: path.display().to_string(),
        planned: entries.iter().filter(|e| e.active).count(),
        kind: "accounts",
    };
    finish_accounts(args, now, run, outcomes, stopped)
}

/// Every sub account of a master account, one after the other: one failing does not stop the
/// others, and the accounts manifest lists each one's outcome.
async fn run_sub_accounts(
    args: &ExtractArgs,
    quiet: bool,
    progress: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), Failure> {
    if args.replay.is_some() {
        return Err(Failure::usage(
            "--sub-accounts reads the sub accounts from Zoom; it cannot be combined with --replay",
        ));
    }
    if !args.with.is_empty() {
        return Err(Failure::usage(
            "--with is not read for sub accounts yet (it needs the :master variants of its \
             scopes): leave --with out with --sub-accounts",
        ));
    }
    let base = crate::config::extract_config(args, None, false, now)?;
    let SourceConfig::Live(live) = &base.source else {
        return Err(Failure::usage(
            "--sub-accounts reads Zoom; it cannot replay",
        ));
    };
    if [&base.output, &base.rejects].contains(&&sinks::Destination::Stdout) {
        return Err(Failure::usage(
            "--sub-accounts writes one output per sub account: give --output and --rejects file \
             paths, not -",
        ));
    }
    let client = extractor::ZoomClient::new(live.client.clone()).map_err(Failure::failed_msg)?;
    // Listing may retry for minutes: a signal then stops the run at once (nothing is written yet).
    let subs = tokio::select! {
        listed = list_sub_accounts(&client) => listed?,
        signal = run::signals::interrupted() => return Err(run::signals::stopped_by(signal)),
    };
    tracing::info!(message = "Sub accounts listed.", count = subs.len());
    let run_id = base.run_id.clone();
    let mut outcomes = Vec::new();
    // The sub accounts' folders are made beside the configured files: their manifest goes there.
    let output_dir = Some(
        base.manifest
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    );
    let mut stopped = None;
    let planned = subs.len();
    for (id, name) in subs {
        if let Some(signal) = signal_received() {
            stopped = Some(signal);
            break;
        }
        let result = match base.for_sub_account(&id, name.as_deref()) {
            Ok(cfg) => run_one(&cfg, quiet, progress).await,
            Err(failure) => Err(failure),
        };
        stopped = AccountOutcome::new(id, name, "ok").record(result, &mut outcomes);
        if stopped.is_some() {
            break;
        }
    }
    let run = AccountsRun {
        output_dir,
        run_id,
        config: format!("{}accounts (sub accounts)", live.client.api_url),
        planned,
        kind: "sub accounts",
    };
    finish_accounts(args, now, run, outcomes, stopped)
}

/// The master account's sub accounts (id, name), every page of `GET /accounts`.
async fn list_sub_accounts(
    client: &extractor::ZoomClient,
) -> Result<Vec<(String, Option<String>)>, Failure> {
    use extractor::zoom::sub_accounts::{self, SUB_ACCOUNTS, SubAccount};
    let failure = |e: extractor::ApiError| Failure {
        code: exit::code_for(e.class()),
        error: anyhow::anyhow!(e).context("listing the sub accounts (GET /accounts)"),
    };
    let token = client.token().await.map_err(failure)?;
    // Both scopes are needed before anything is read: listing, then each sub account's users.
    for endpoint in [&SUB_ACCOUNTS, &extractor::zoom::users::ACCOUNT_USERS] {
        if !token
            .scopes
            .iter()
            .any(|s| endpoint.scopes.contains(&s.as_str()))
        {
            return Err(Failure::usage(format!(
                "--sub-accounts reads `{}` of a master account, which needs the scope {} (classic \
                 apps: {}): add it to the master account's app",
                endpoint.path, endpoint.scopes[0], endpoint.scopes[1]
            )));
        }
    }
    let pages = extractor::source::live::every_page(client, sub_accounts::sweep())
        .await
        .map_err(|e| Failure {
            code: exit::code_for(e.class()),
            error: anyhow::anyhow!(e).context("listing the sub accounts (GET /accounts)"),
        })?;
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

/// The run's failure once a signal came (exit 130 for SIGINT, 143 for SIGTERM): checked before
/// each account, since one that came between two accounts reached no pipeline.
fn signal_received() -> Option<Failure> {
    let signal = run::signals::received()?;
    tracing::warn!(
        message = "Interrupted: no further account is started.",
        signal
    );
    Some(Failure {
        code: run::signals::exit_code(signal),
        error: anyhow::anyhow!("interrupted by {signal}"),
    })
}

/// A run over many accounts, as its accounts manifest describes it.
struct AccountsRun {
    /// The folder holding the accounts' folders (file outputs).
    output_dir: Option<PathBuf>,
    run_id: String,
    /// The accounts file, or the master account's `GET /accounts`.
    config: String,
    /// The accounts to extract (active ones, or every sub account listed).
    planned: usize,
    /// `accounts` or `sub accounts`, for messages.
    kind: &'static str,
}

/// Writes the accounts manifest of a run over many accounts (beside the partitions, or in the
/// folder holding the accounts' folders) and turns their outcomes into the run's result: exit 0
/// when none failed, 75 when every failure is temporary, 1 otherwise; a signal that `stopped` the
/// run is its result once the manifest is written, saying how many accounts were written before it.
fn finish_accounts(
    args: &ExtractArgs,
    now: chrono::DateTime<chrono::Utc>,
    run: AccountsRun,
    outcomes: Vec<AccountOutcome>,
    stopped: Option<Failure>,
) -> Result<(), Failure> {
    let AccountsRun {
        output_dir,
        run_id,
        config,
        planned,
        kind,
    } = run;
    let manifest_path = match &args.output_dir {
        // Per date, beside the partitions (readers of `*.parquet` ignore it).
        Some(root) => {
            let at = crate::config::extracted_at(args, now);
            let date = crate::config::partition_date(args, at).format("%Y-%m-%d");
            root.join(transform::Table::Licenses.folder())
                .join(format!("dt={date}"))
                .join("_accounts_manifest.json")
        }
        None => output_dir
            .unwrap_or_else(|| PathBuf::from(run::config::DEFAULT_DIR))
            .join("accounts_manifest.json"),
    };
    let manifest = AccountsManifest {
        run_id,
        config,
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
            planned,
            kind,
            written.map(|()| manifest_path),
        ));
    }
    written?;
    let failed: Vec<&AccountOutcome> = manifest
        .accounts
        .iter()
        .filter(|a| a.status == "failed")
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    // The manifest names every one; the message names the first few (a master account may have
    // thousands of sub accounts, all failing for one reason).
    const NAMED: usize = 10;
    let mut names: Vec<&str> = failed.iter().take(NAMED).map(|a| a.name.as_str()).collect();
    let more = format!("and {} more", failed.len().saturating_sub(NAMED));
    if failed.len() > NAMED {
        names.push(&more);
    }
    let all_temporary = failed.iter().all(|a| a.exit_code == Some(exit::TEMPORARY));
    // Inactive accounts were not run: they count neither as failed nor among those run.
    let skipped = manifest
        .accounts
        .iter()
        .filter(|a| a.status == "skipped")
        .count();
    let run = manifest.accounts.len() - skipped;
    let skipped = match skipped {
        0 => String::new(),
        n => format!("; {n} inactive skipped"),
    };
    Err(Failure {
        code: if all_temporary {
            exit::TEMPORARY
        } else {
            exit::FAILED
        },
        error: anyhow::anyhow!(
            "{} of {run} accounts failed: {} (see {}){skipped}",
            failed.len(),
            names.join(", "),
            manifest_path.display()
        ),
    })
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
    let name = run::signals::received().unwrap_or("a signal");
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
    Failure {
        code: signal.code,
        error: anyhow::anyhow!(message),
    }
}

/// The folder holding every account's folder: the parent of this account's manifest folder.
fn accounts_root(cfg: &ExtractConfig, entry: &AccountEntry) -> PathBuf {
    let dir = cfg.manifest.parent().unwrap_or(Path::new("."));
    if dir.file_name().is_some_and(|n| n == entry.name.as_str()) {
        dir.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// Prints a manifest's path as stdout's last line. Its reader having gone away is not an error
/// (the outputs are written); any other failure to print it is, since a scheduler reads it.
fn print_path(path: &Path) -> Result<(), Failure> {
    use std::io::Write;
    match writeln!(std::io::stdout(), "{}", path.display()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::failed_msg(format!(
            "the outputs are written, but their manifest's path could not be printed on stdout \
             ({e}): it is {}",
            path.display()
        ))),
    }
}
