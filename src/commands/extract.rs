//! `zoom-licenses extract`: one account, one named account, or every active account of a file.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::accounts::{self, AccountEntry};
use crate::cli::ExtractArgs;
use crate::config::{ExtractConfig, SourceConfig};
use crate::exit::{self, Failure};
use crate::{pipeline, summary};

/// Runs `extract`; `quiet` (or JSON logs) leaves out the text summary.
pub async fn run(args: ExtractArgs, quiet: bool, progress: bool) -> Result<(), Failure> {
    let now = chrono::Utc::now();
    if args.all_accounts {
        return run_all(&args, quiet, progress, now).await;
    }
    let entry = accounts::selected(&args.connect.config, &args.connect.account)?;
    let cfg = ExtractConfig::from_args(&args, entry.as_ref(), false, now)?;
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
    let result = pipeline::run_extract(cfg, progress).await?;
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
    Ok(result.manifest_path)
}

/// One account's outcome in an `--all-accounts` run.
#[derive(Debug, Serialize)]
struct AccountOutcome {
    name: String,
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
    for entry in &entries {
        if !entry.active {
            tracing::info!(message = "Skipping inactive account.", account = %entry.name);
            outcomes.push(outcome(entry, "skipped", None, None));
            continue;
        }
        let result = match ExtractConfig::from_args(args, Some(entry), true, now) {
            Ok(mut cfg) => {
                cfg.run_id = run_id.clone();
                output_dir.get_or_insert_with(|| accounts_root(&cfg, entry));
                run_one(&cfg, quiet, progress).await
            }
            Err(failure) => Err(failure),
        };
        match result {
            Ok(manifest) => outcomes.push(AccountOutcome {
                manifest: Some(manifest.display().to_string()),
                ..outcome(entry, "ok", None, None)
            }),
            Err(failure) => {
                tracing::error!(message = "Account failed.", account = %entry.name, exit_code = failure.code, error = %failure);
                outcomes.push(outcome(
                    entry,
                    "failed",
                    Some(failure.code),
                    Some(failure.to_string()),
                ));
            }
        }
    }
    let manifest_path = match &args.output_dir {
        // Per date, beside the partitions (readers of `*.parquet` ignore it).
        Some(root) => {
            let at = crate::config::extracted_at(args, now)?;
            let date = crate::config::partition_date(args, at)?.format("%Y-%m-%d");
            root.join(transform::Table::Licenses.folder())
                .join(format!("dt={date}"))
                .join("_accounts_manifest.json")
        }
        None => output_dir
            .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_DIR))
            .join("accounts_manifest.json"),
    };
    let manifest = AccountsManifest {
        run_id,
        config: path.display().to_string(),
        accounts: outcomes,
    };
    sinks::write_json_atomically(&manifest_path, &manifest).map_err(|e| {
        Failure::failed(anyhow::anyhow!(e).context("cannot write the accounts manifest"))
    })?;
    print_path(&manifest_path)?;
    let failed: Vec<&AccountOutcome> = manifest
        .accounts
        .iter()
        .filter(|a| a.status == "failed")
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = failed.iter().map(|a| a.name.as_str()).collect();
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

fn outcome(
    entry: &AccountEntry,
    status: &'static str,
    exit_code: Option<u8>,
    error: Option<String>,
) -> AccountOutcome {
    AccountOutcome {
        name: entry.name.clone(),
        status,
        exit_code,
        error,
        manifest: None,
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
