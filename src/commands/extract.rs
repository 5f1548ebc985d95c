//! `zoom-licenses extract`: one account, one named account, or every active account of a file.

use std::path::{Path, PathBuf};

use run::accounts::{AccountsRun, each_account};
use run::config::{ExtractConfig, SourceConfig};
use run::exit::Failure;
use run::{extract as pipeline, summary};

use extractor::zoom::users::ACCOUNT_USERS;

use crate::accounts::{self, AccountEntry};
use crate::cli::ExtractArgs;

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
    let mut cfg = crate::config::extract_config(&args, entry.as_ref(), false, now)?;
    if let Some(id) = &args.sub_account {
        refuse_with_for_sub_accounts(&args)?;
        cfg = cfg.reading_sub_account(id, None)?;
    }
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
            Some(p) => format!("{} (partition {})", p.root.display(), run::config::date_folder(p.date)),
            None => cfg.output.display_name(),
        }
    );
    let bars = progress.then(crate::progress::Bars::start);
    let result = pipeline::run_extract(cfg, bars).await?;
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
    let mut output_dir: Option<PathBuf> = None;
    let accounts = entries.iter().map(|e| (e.name.clone(), None, e));
    let (outcomes, stopped) = each_account(accounts, async |entry: &AccountEntry| {
        if !entry.active {
            tracing::info!(message = "Skipping inactive account.", account = %entry.name);
            return None;
        }
        let mut cfg = match crate::config::extract_config(args, Some(entry), true, now) {
            Ok(cfg) => cfg,
            Err(failure) => return Some(Err(failure)),
        };
        cfg.run_id = run_id.clone();
        // The folder holding every account's folder: the parent of this account's manifest folder.
        let root = cfg.manifest.parent().and_then(Path::parent);
        output_dir.get_or_insert_with(|| root.unwrap_or(Path::new(".")).to_path_buf());
        Some(run_one(&cfg, quiet, progress).await)
    })
    .await;
    let run = AccountsRun {
        manifest: accounts_manifest(args, now, output_dir),
        run_id,
        config: path.display().to_string(),
        planned: entries.iter().filter(|e| e.active).count(),
        kind: "accounts",
    };
    run::accounts::finish_accounts(run, outcomes, stopped, print_path)
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
    refuse_with_for_sub_accounts(args)?;
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
    let also = [&ACCOUNT_USERS];
    let subs = tokio::select! {
        listed = run::accounts::list_sub_accounts(&client, &also) => listed?,
        signal = run::signals::interrupted() => return Err(run::signals::stopped_by(signal)),
    };
    tracing::info!(message = "Sub accounts listed.", count = subs.len());
    let run_id = base.run_id.clone();
    // The sub accounts' folders are made beside the configured files: their manifest goes there.
    let beside = base.manifest.parent().unwrap_or(Path::new("."));
    let output_dir = Some(beside.to_path_buf());
    let planned = subs.len();
    let accounts = subs
        .into_iter()
        .map(|(id, name)| (id.clone(), name.clone(), (id, name)));
    let (outcomes, stopped) = each_account(accounts, async |(id, name)| {
        Some(match base.for_sub_account(&id, name.as_deref()) {
            Ok(cfg) => run_one(&cfg, quiet, progress).await,
            Err(failure) => Err(failure),
        })
    })
    .await;
    let run = AccountsRun {
        manifest: accounts_manifest(args, now, output_dir),
        run_id,
        config: format!("{}accounts (sub accounts)", live.client.api_url),
        planned,
        kind: "sub accounts",
    };
    run::accounts::finish_accounts(run, outcomes, stopped, print_path)
}

/// Sub accounts are read without `--with`: its tables need the `:master` variants of their scopes.
fn refuse_with_for_sub_accounts(args: &ExtractArgs) -> Result<(), Failure> {
    match args.with.is_empty() {
        true => Ok(()),
        false => Err(Failure::usage(
            "--with is not read for sub accounts yet (it needs the :master variants of its \
             scopes): leave --with out with --sub-accounts or --sub-account",
        )),
    }
}

/// Where a run over many accounts writes its accounts manifest: per date beside the partitions
/// (readers of `*.parquet` ignore it), else in the folder holding the accounts' folders.
fn accounts_manifest(
    args: &ExtractArgs,
    now: chrono::DateTime<chrono::Utc>,
    output_dir: Option<PathBuf>,
) -> PathBuf {
    match &args.output_dir {
        Some(root) => {
            let date = args
                .partition_date
                .unwrap_or(args.as_of.unwrap_or(now).date_naive());
            run::config::date_dir(root, transform::Table::Licenses.folder(), date)
                .join("_accounts_manifest.json")
        }
        None => output_dir
            .unwrap_or_else(|| PathBuf::from(run::config::DEFAULT_DIR))
            .join("accounts_manifest.json"),
    }
}

/// Prints a manifest's path as stdout's last line. Its reader having gone away is not an error
/// (the outputs are written); any other failure to print it is, since a scheduler reads it.
fn print_path(path: &Path) -> Result<(), Failure> {
    use std::io::Write;
    match writeln!(std::io::stdout(), "{}", path.display()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::failed_msg(format!(
            "the outputs are written, but their manifest's path could not be printed on stdout \
             ({e}): it is {}",
            path.display()
        ))),
        _ => Ok(()),
    }
}
