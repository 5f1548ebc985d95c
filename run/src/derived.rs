//! Writes a table derived from runs' outputs (`reclaim`, `changes`) with its manifest: to a file
//! (or stdout) and a manifest beside it, or to a partition published whole, like an extract's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use arrow_array::RecordBatch;
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use sinks::partition::PublishTurn;
use sinks::{Destination, Format, OutputReceipt, RecordSink};
use transform::Table;

use crate::exit::Failure;
use crate::manifest::{MANIFEST_VERSION, Outputs, PartitionInfo, Tool, rfc3339};
use crate::runs::{RunOutputs, TableFile};
pub use crate::targets::Place;
use crate::targets::{Targets, sink_failure};

/// A derived table's manifest.
#[derive(Debug, Serialize)]
pub struct DerivedManifest<S: Serialize> {
    /// Layout version of this document.
    pub manifest_version: u32,
    /// The command that wrote it: `reclaim` or `changes`.
    pub command: &'static str,
    /// This run's id.
    pub run_id: String,
    /// Tool name and version.
    pub tool: Tool,
    /// When the table was written.
    pub created_at: String,
    /// The runs read, by role (`run`, or `from` and `to`): manifest path, run id, extracted_at.
    pub inputs: BTreeMap<&'static str, InputRun>,
    /// The command's settings and what it found.
    pub summary: S,
    /// The partition written (partitioned output only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartitionInfo>,
    /// Format, and what was written to the table.
    pub outputs: Outputs,
}

/// A run read by a derived command.
#[derive(Debug, Clone, Serialize)]
pub struct InputRun {
    /// Its manifest.
    pub manifest: String,
    /// Its run id.
    pub run_id: String,
    /// Its `extracted_at`.
    pub extracted_at: String,
}

impl From<&RunOutputs> for InputRun {
    fn from(run: &RunOutputs) -> Self {
        InputRun {
            manifest: run.manifest.display().to_string(),
            run_id: run.run_id.clone(),
            extracted_at: rfc3339(run.extracted_at),
        }
    }
}

/// A derived table being written.
pub struct DerivedWriter {
    table: Table,
    format: Format,
    run_id: String,
    sink: Box<dyn RecordSink>,
    targets: Targets,
}

impl DerivedWriter {
    /// Opens `table` at `place` in `format` (CSV with formula-like cells kept when `csv_raw`).
    pub fn open(
        table: Table,
        format: Format,
        csv_raw: bool,
        place: &Place,
    ) -> Result<Self, Failure> {
        use std::io::IsTerminal;
        let to_stdout = matches!(
            place,
            Place::File {
                data: Destination::Stdout,
                ..
            }
        );
        if to_stdout && format == Format::Parquet && std::io::stdout().is_terminal() {
            return Err(Failure::usage(
                "refusing to write binary Parquet to a terminal: redirect stdout, or use \
                 --format ndjson or csv",
            ));
        }
        let run_id = uuid::Uuid::now_v7().to_string();
        let targets = Targets::for_derived(table, format, place)?;
        let options = crate::extract::sink_options(&run_id, csv_raw);
        let opened = targets.open(format, &options)?.into_values().next();
        let mut sink = opened.ok_or_else(|| Failure::failed_msg("no table to write (a bug)"))?;
        sink.begin(&table.schema()).map_err(sink_failure)?;
        Ok(DerivedWriter {
            table,
            format,
            run_id,
            sink,
            targets,
        })
    }

    /// Writes a batch of the table.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), Failure> {
        self.sink.write_batch(batch).map_err(sink_failure)
    }

    /// Commits the table, then its manifest (`summary` and the runs read), then publishes the
    /// partition under `turn` (the root's turn, held since the inputs were read; taken now when
    /// `None`); returns where the manifest is (`none` for stdout) and what was written.
    pub fn finish<S: Serialize>(
        self,
        command: &'static str,
        inputs: BTreeMap<&'static str, InputRun>,
        summary: S,
        turn: Option<&PublishTurn>,
    ) -> Result<(String, OutputReceipt), Failure> {
        let finished = self.sink.finish().map_err(sink_failure)?;
        let (table, format) = (self.table, self.format);
        let manifest = |receipts, partition| {
            let outputs = Outputs {
                format: format.extension().to_string(),
                csv_raw: false,
                tables: receipts,
            };
            DerivedManifest {
                manifest_version: MANIFEST_VERSION,
                command,
                run_id: self.run_id,
                tool: Tool::this(),
                created_at: rfc3339(Utc::now()),
                inputs,
                summary,
                partition,
                outputs,
            }
        };
        let finished = BTreeMap::from([(table, finished)]);
        let (manifest, path) = self.targets.commit(finished, manifest, turn)?;
        let receipt = manifest.outputs.tables.get(&table).cloned();
        let receipt = receipt.ok_or_else(|| Failure::failed_msg("no receipt (a bug)"))?;
        let shown = path.map(|p| p.display().to_string());
        Ok((shown.unwrap_or_else(|| "none".into()), receipt))
    }
}

/// Where a derived command was asked to write (`--format`, `--output`).
#[derive(Debug, Clone, Default)]
pub struct DerivedOutput {
    /// `--format`.
    pub format: Option<Format>,
    /// `--output`: a file, or `-` for stdout.
    pub output: Option<PathBuf>,
}

/// The format of a derived table: `--format` or the one `--output` names (see
/// [`crate::config::output_format`]), else the input run's.
pub fn format(out: &DerivedOutput, run: &RunOutputs) -> Result<Format, Failure> {
    let outputs = [("--output", out.output.as_deref())];
    let format = crate::config::output_format(out.format, &outputs)?;
    Ok(format.unwrap_or(run.format))
}

/// Where a derived table of `run` goes when the flags name a manifest: `--output` (or stdout);
/// else a partition of its own table when `run` is partitioned, or a file beside the run's
/// license file named after it (`out/zoom_users_reclaim_candidates.parquet`). Never over a file
/// of `run` or of the `others` read.
pub fn default_place(
    run: &RunOutputs,
    licenses: &TableFile,
    table: Table,
    out: &DerivedOutput,
    others: &[&RunOutputs],
) -> Result<Place, Failure> {
    let chosen = format(out, run)?;
    let ext = chosen.extension();
    if let (None, Some((date, account))) = (&out.output, &run.partition) {
        let root = run.partition_root().ok_or_else(|| {
            Failure::usage(format!(
                "{} is the manifest of a partition, but not in its place \
                 (ROOT/zoom_users/{}/account=NAME/_manifest.json), so the output root is not \
                 known: pass --output, or --output-dir ROOT with --partition-date",
                run.manifest.display(),
                crate::config::date_key("DATE")
            ))
        })?;
        return Ok(Place::Partition {
            root,
            date: *date,
            account: account.clone(),
        });
    }
    let data = match &out.output {
        Some(path) if path.as_os_str() == "-" => Destination::Stdout,
        Some(path) => Destination::File(path.clone()),
        None => {
            let licenses = Destination::File(licenses.path().to_path_buf());
            let suffix = format!("{}.{ext}", table.file_suffix());
            Destination::File(crate::config::beside(&licenses, &suffix))
        }
    };
    let manifest = data
        .file()
        .map(|_| crate::config::beside(&data, "_manifest.json"));
    let place = Place::File { data, manifest };
    refuse_inputs(&place, &[&[run], others].concat())?;
    Ok(place)
}

/// Refuses a file place that would write over a file of one of `runs`, or into a partition.
fn refuse_inputs(place: &Place, runs: &[&RunOutputs]) -> Result<(), Failure> {
    let Place::File { data, manifest } = place else {
        return Ok(());
    };
    for target in data.file().into_iter().chain(manifest.as_deref()) {
        refuse_target(target, runs)?;
    }
    Ok(())
}

/// Refuses an `--output` path that is a file of one of `runs` (`-o` naming the input's license
/// file, or its manifest), or that lies in a partition folder (`…/dt=D/account=A/…`), where only
/// whole partitions are published: a table or manifest of another run would be replaced.
pub fn refuse_target(target: &Path, runs: &[&RunOutputs]) -> Result<(), Failure> {
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = std::fs::canonicalize(parent.unwrap_or(Path::new("."))).ok();
    let real = std::fs::canonicalize(target)
        .ok()
        .or_else(|| Some(dir.as_ref()?.join(target.file_name()?)));
    let inputs: Vec<PathBuf> = runs.iter().flat_map(|run| run.files()).collect();
    if real.as_ref().is_some_and(|real| inputs.contains(real)) {
        return Err(Failure::usage(format!(
            "{} is a file of the run being read; give --output a path of its own",
            target.display()
        )));
    }
    let in_partition = |path: &Path| {
        path.ancestors().any(|folder| {
            let name = |p: &Path| p.file_name().and_then(|n| n.to_str()).map(str::to_string);
            let account = name(folder).is_some_and(|n| crate::config::account_of(&n).is_some());
            let dated = folder.parent().and_then(name);
            account && dated.is_some_and(|n| crate::config::date_of(&n).is_some())
        })
    };
    if in_partition(target) || dir.as_deref().is_some_and(in_partition) {
        return Err(Failure::usage(format!(
            "{} is in a partition folder, where only whole partitions are written (its files are \
             another run's); give --output a path outside the partitions, or --output-dir",
            target.display()
        )));
    }
    Ok(())
}

/// Runs `each` for the license partition of `date` under `root` of `account`, or of every
/// account (its manifest, its account, and where the derived table goes: a partition of it, or
/// stdout with `output` `-`, which needs one account), holding the output root's turn from its
/// first read to its publish (so an extract of that day cannot replace what it read meanwhile); an
/// account that fails is logged and the others go on; the result fails (with the first failure's
/// exit code) when any did.
pub fn for_each_account(
    root: &Path,
    date: NaiveDate,
    account: Option<&str>,
    output: Option<&Path>,
    mut each: impl FnMut(&Path, &str, &Place, &PublishTurn) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let to_stdout = match output {
        None => false,
        Some(path) if path.as_os_str() == "-" => true,
        Some(path) => {
            return Err(Failure::usage(format!(
                "with --output-dir the table goes to its partitions (or to stdout with --output -), \
                 not to {}: leave --output out, or read one run with --input",
                path.display()
            )));
        }
    };
    let accounts = match account {
        Some(account) if !sinks::partition::is_folder_name(account) => {
            return Err(Failure::usage(format!(
                "--partition-account \"{account}\" cannot name a partition folder: letters, \
                 digits, -, _ and ., not starting with ."
            )));
        }
        Some(account) => vec![account.to_string()],
        None => crate::runs::accounts_on(root, date),
    };
    if accounts.is_empty() {
        return Err(Failure::usage(format!(
            "there is no license partition for {date} under {}: run the extract for that date \
             first",
            root.join(Table::Licenses.folder()).display()
        )));
    }
    if to_stdout && accounts.len() > 1 {
        return Err(Failure::usage(format!(
            "--output - prints one account's table, and {} accounts have partitions for {date}: \
             give --partition-account NAME",
            accounts.len()
        )));
    }
    let total = accounts.len();
    let mut failed: Vec<(String, Failure)> = Vec::new();
    for (done, account) in accounts.into_iter().enumerate() {
        if let Some(signal) = crate::signals::received() {
            let message = anyhow!(
                "interrupted by {signal} after {} of {total} accounts were written (their \
                 outputs are complete); the others were not started",
                done - failed.len()
            );
            return Err(Failure::new(crate::signals::exit_code(signal), message));
        }
        let manifest = crate::runs::partition_manifest(root, date, &account);
        let place = match to_stdout {
            true => Place::File {
                data: Destination::Stdout,
                manifest: None,
            },
            false => Place::Partition {
                root: root.to_path_buf(),
                date,
                account: account.clone(),
            },
        };
        let outcome = crate::targets::publish_turn(root)
            .and_then(|turn| each(&manifest, &account, &place, &turn));
        // Stopped part way: the accounts before this one are written and stay so.
        if let (Err(_), Some(signal)) = (&outcome, crate::signals::received()) {
            let written = done - failed.len();
            if written == 0 {
                return Err(crate::signals::stopped_by(signal));
            }
            let message = anyhow!(
                "interrupted by {signal} after {written} of {total} accounts were written (their \
                 outputs are complete); {account} was stopped and its partial outputs removed; \
                 {} not started",
                total - done - 1
            );
            return Err(Failure::new(crate::signals::exit_code(signal), message));
        }
        if let Err(failure) = outcome {
            if total > 1 {
                tracing::error!(message = "Account failed.", account = %account, error = %failure);
            }
            failed.push((account, failure));
        }
    }
    match failed.len() {
        0 => Ok(()),
        1 if total == 1 => Err(failed.remove(0).1),
        n => {
            let code = failed[0].1.code;
            let names: Vec<String> = failed.iter().map(|(a, f)| format!("{a}: {f}")).collect();
            let message = anyhow!("{n} of {total} accounts failed ({})", names.join("; "));
            Err(Failure::new(code, message))
        }
    }
}

/// Runs a derived command's blocking work on its own thread; on SIGINT or SIGTERM the work stops
/// at its next batch, its partial outputs are removed (dropped), and the run exits 130 or 143.
pub async fn stoppable(
    work: impl FnOnce() -> Result<(), Failure> + Send + 'static,
) -> Result<(), Failure> {
    let handle = tokio::task::spawn_blocking(work);
    tokio::pin!(handle);
    tokio::select! {
        joined = &mut handle => joined.map_err(|e| Failure::failed_msg(format!("the work stopped unexpectedly: {e}")))?,
        signal = crate::signals::interrupted() => {
            tracing::warn!(message = "Interrupted: stopping and removing partial outputs.", signal);
            match handle.await {
                // Past its last check, the work finished: its outputs are whole and in place.
                Ok(Ok(())) => {
                    tracing::warn!(message = "The work finished before it could stop; its outputs are whole.");
                    Ok(())
                }
                // The work says what it had written when it stopped (a day of many accounts).
                Ok(Err(failure)) if failure.code == crate::signals::exit_code(signal) => Err(failure),
                _ => Err(crate::signals::stopped_by(signal)),
            }
        }
    }
}
