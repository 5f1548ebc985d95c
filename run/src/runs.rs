//! A finished extract, found by its manifest: its stamps, and its tables streamed back after
//! checking they are the files the manifest lists. What `reclaim` and `changes` read.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use chrono::{DateTime, NaiveDate, Utc};
use extractor::UserStatus;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sinks::{Format, OutputReceipt};
use transform::Table;

use crate::config::{LONGEST_RUN_ID, partition_dir};
use crate::exit::Failure;
use crate::manifest::{MANIFEST_VERSION, Manifest};

/// A run's outputs, as its manifest lists them.
#[derive(Debug, Clone)]
pub struct RunOutputs {
    /// The manifest read.
    pub manifest: PathBuf,
    /// The run's id.
    pub run_id: String,
    /// The run's `extracted_at`.
    pub extracted_at: DateTime<Utc>,
    /// The format of its tables.
    pub format: Format,
    /// CSV written with `--csv-raw`.
    pub csv_raw: bool,
    /// The Zoom account id, when known.
    pub account_id: Option<String>,
    /// The partition's date and account, for partitioned output.
    pub partition: Option<(NaiveDate, String)>,
    /// Whether the run listed inactive users (so that a user it lacks was deleted).
    pub listed_inactive: bool,
    /// Rows per plan.
    pub by_plan: BTreeMap<String, u64>,
    /// Rows per status.
    pub by_status: BTreeMap<String, u64>,
    tables: BTreeMap<Table, OutputReceipt>,
    /// The manifest's real path, symlinks resolved.
    resolved: PathBuf,
}

/// A table of a run, found and checked: the file its manifest lists.
#[derive(Debug)]
pub struct TableFile {
    path: PathBuf,
    format: Format,
    rows: u64,
    options: sinks::SinkOptions,
    manifest: PathBuf,
}

impl RunOutputs {
    /// Reads the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self, Failure> {
        let text = extractor::regular_file::read_to_string(path).map_err(|e| {
            Failure::usage(format!(
                "cannot read the manifest {}: {e}; give the _manifest.json of an extract run",
                path.display()
            ))
        })?;
        let bad = |e: &dyn std::fmt::Display| {
            Failure::failed_msg(format!(
                "{} is not a manifest of a zoom-licenses extract: {e}",
                path.display()
            ))
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&e))?;
        if let Some(command) = value.get("command").and_then(|c| c.as_str()) {
            return Err(Failure::usage(format!(
                "{} is the manifest of `zoom-licenses {command}`, not of an extract: give the \
                 manifest the extract wrote (zoom_users_manifest.json, or _manifest.json in \
                 zoom_users/)",
                path.display(),
            )));
        }
        let version = |key: &str| value.get(key).and_then(|v| v.as_u64());
        if let (Some(manifest), Some(schema)) =
            (version("manifest_version"), version("schema_version"))
            && (manifest, schema) != (MANIFEST_VERSION.into(), transform::SCHEMA_VERSION.into())
        {
            return Err(Failure::failed_msg(format!(
                "{} describes manifest version {manifest} with schema version {schema}; this \
                 version of zoom-licenses reads manifest version {MANIFEST_VERSION} with schema \
                 version {}: extract the run again with this version",
                path.display(),
                transform::SCHEMA_VERSION
            )));
        }
        let m = Manifest::deserialize(value).map_err(|e| bad(&e))?;
        if m.run_id.len() > LONGEST_RUN_ID {
            return Err(bad(&format!(
                "its run id is {} bytes long, more than any run's ({LONGEST_RUN_ID})",
                m.run_id.len()
            )));
        }
        let format = Format::from_extension(&m.outputs.format)
            .ok_or_else(|| bad(&format!("its output format is \"{}\"", m.outputs.format)))?;
        let extracted_at = DateTime::parse_from_rfc3339(&m.extracted_at)
            .map_err(|e| bad(&format!("its extracted_at: {e}")))?;
        Ok(RunOutputs {
            manifest: path.to_path_buf(),
            // A symlinked manifest's tables are beside the file it links to.
            resolved: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            run_id: m.run_id,
            extracted_at: extracted_at.with_timezone(&Utc),
            format,
            csv_raw: m.outputs.csv_raw,
            account_id: m.source.account_id,
            partition: m.partition.map(|p| (p.dt, p.account)),
            listed_inactive: m.statuses.contains_key(&UserStatus::Inactive),
            by_plan: m.by_plan,
            by_status: m.by_status,
            tables: m.outputs.tables,
        })
    }

    /// Every file of the run that exists (its manifest, and each table where it may be), as real
    /// paths: what a derived command must never write over.
    pub fn files(&self) -> Vec<PathBuf> {
        let tables = self.tables.iter();
        let places = tables.flat_map(|(table, receipt)| self.places(*table, receipt));
        let real = places.filter_map(|p| std::fs::canonicalize(p).ok());
        std::iter::once(self.resolved.clone()).chain(real).collect()
    }

    /// Where `table`'s file may be, in the order it is looked for: beside the manifest (in its
    /// partition folder, for a partition in its place), then where the manifest wrote it
    /// (relative to the directory the extract ran in).
    fn places(&self, table: Table, receipt: &OutputReceipt) -> [PathBuf; 2] {
        let written = PathBuf::from(&receipt.path);
        let name = written.file_name().unwrap_or_default();
        let beside = match (&self.partition, self.partition_root()) {
            (Some((date, account)), Some(root)) => {
                partition_dir(&root, table.folder(), *date, account).join(name)
            }
            _ => self.resolved.parent().unwrap_or(Path::new(".")).join(name),
        };
        [beside, written]
    }

    /// How a summary names the run's account: its partition's account, else its Zoom account id.
    pub fn account_label(&self) -> String {
        match (&self.partition, &self.account_id) {
            (Some((_, account)), _) => account.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => "(account not known)".into(),
        }
    }

    /// Whether `other` is this run (the same manifest, or the same id and time).
    pub fn is_same_run(&self, other: &RunOutputs) -> bool {
        self.resolved == other.resolved
            || (self.run_id == other.run_id && self.extracted_at == other.extracted_at)
    }

    /// Whether the run wrote `table` to a file (not to stdout).
    pub fn has(&self, table: Table) -> bool {
        self.tables.get(&table).is_some_and(|r| r.path != "-")
    }

    /// The output root of a partitioned run, when its manifest is where the extract published it:
    /// in its license partition's folder ([`partition_dir`]) under the root.
    pub fn partition_root(&self) -> Option<PathBuf> {
        let (date, account) = self.partition.as_ref()?;
        let root = self.resolved.ancestors().nth(4)?.to_path_buf();
        let expected = partition_dir(&root, Table::Licenses.folder(), *date, account);
        (self.resolved.parent() == Some(expected.as_path())).then_some(root)
    }

    /// The file of `table`, found beside the manifest (file sets) or in its partition folder
    /// under the manifest's root, else where the manifest wrote it (relative to the directory
    /// the extract ran in), and checked: the one whose size and SHA-256 the manifest lists.
    pub fn table(&self, table: Table) -> Result<TableFile, Failure> {
        let Some(receipt) = self.tables.get(&table) else {
            return Err(Failure::usage(format!(
                "the run of {} wrote no {} table",
                self.manifest.display(),
                table.folder()
            )));
        };
        if receipt.path == "-" {
            return Err(Failure::usage(format!(
                "the run of {} wrote its {} table to stdout, so there is nothing to read: \
                 extract to files or partitions",
                self.manifest.display(),
                table.folder()
            )));
        }
        let [beside, written] = self.places(table, receipt);
        // One file found both ways (beside the manifest as resolved, and where the run wrote it)
        // is named once, as the run named it, so messages name each file one way.
        let places = match (
            std::fs::canonicalize(&beside),
            std::fs::canonicalize(&written),
        ) {
            (Ok(a), Ok(b)) if a == b => vec![written],
            // Beside the manifest first: a copied run's folder holds its own tables.
            _ => vec![beside, written],
        };
        checked(
            "the extract",
            places,
            receipt,
            table,
            &self.manifest,
            self.format,
            crate::extract::sink_options(&self.run_id, self.csv_raw),
        )
    }
}

/// The first of `places` that is the file `receipt` lists (size and SHA-256), as a [`TableFile`];
/// else why not, and which command (`redo`) to run again.
fn checked(
    redo: &str,
    places: Vec<PathBuf>,
    receipt: &OutputReceipt,
    table: Table,
    manifest: &Path,
    format: Format,
    options: sinks::SinkOptions,
) -> Result<TableFile, Failure> {
    let mut seen = Vec::new();
    for path in places {
        if !path.is_file() || seen.contains(&path) {
            continue;
        }
        let (bytes, sha256) = digest(&path)
            .map_err(|e| Failure::failed_msg(format!("cannot read {}: {e}", path.display())))?;
        if bytes == receipt.bytes && sha256 == receipt.sha256 {
            return Ok(TableFile {
                path,
                format,
                rows: receipt.rows,
                options,
                manifest: manifest.to_path_buf(),
            });
        }
        seen.push(path);
    }
    let looked: Vec<String> = seen.iter().map(|p| p.display().to_string()).collect();
    Err(match looked.is_empty() {
        true => Failure::usage(format!(
            "the {} table of the run of {} is not at {} any more, nor beside its manifest",
            table.folder(),
            manifest.display(),
            receipt.path
        )),
        false => Failure::failed_msg(format!(
            "{} is not the file the manifest {} lists ({} bytes, SHA-256 {}): it was \
             replaced or changed after the run; run {redo} again",
            looked.join(" and "),
            manifest.display(),
            receipt.bytes,
            receipt.sha256
        )),
    })
}

/// A `reclaim` or `changes` run, found by its manifest: its summary and its table, checked like
/// an extract's.
#[derive(Debug)]
pub struct DerivedRun {
    /// Its manifest.
    pub manifest: PathBuf,
    /// The command's settings and what it found, as its manifest gives them.
    pub summary: serde_json::Value,
    /// The runs it read, by role (`run`, or `from` and `to`), as its manifest gives them.
    pub inputs: serde_json::Value,
    /// The table it wrote.
    pub table: TableFile,
}

/// A derived manifest as written; `outputs` is read only when its table is.
#[derive(Deserialize)]
struct Written {
    command: String,
    summary: serde_json::Value,
    inputs: serde_json::Value,
    outputs: serde_json::Value,
}

impl Written {
    /// The manifest at `path` when it was made from the run `run_id` in the role `role` (`run`,
    /// or `to` for changes); `None` when there is none, or it is of another run (a stale one).
    fn of_run(path: &Path, role: &str, run_id: &str) -> Result<Option<Written>, Failure> {
        if !path.is_file() {
            return Ok(None);
        }
        let bad = |e: &dyn std::fmt::Display| {
            Failure::failed_msg(format!(
                "{} is not a manifest zoom-licenses wrote: {e}",
                path.display()
            ))
        };
        let text = extractor::regular_file::read_to_string(path).map_err(|e| bad(&e))?;
        let written: Written = serde_json::from_str(&text).map_err(|e| bad(&e))?;
        Ok((written.inputs[role]["run_id"].as_str() == Some(run_id)).then_some(written))
    }
}

/// The summary of the derived manifest at `path` when it was made from the run `run_id` (in the
/// role `role`): a figure read without its table.
pub fn derived_summary(
    path: &Path,
    role: &str,
    run_id: &str,
) -> Result<Option<serde_json::Value>, Failure> {
    Ok(Written::of_run(path, role, run_id)?.map(|w| w.summary))
}

impl DerivedRun {
    /// The run of `table` whose manifest is at `path`, when there is one and it was made from the
    /// run `run_id` (in the role `role`); its table is then checked like an extract's.
    pub fn load(
        path: &Path,
        table: Table,
        role: &str,
        run_id: &str,
    ) -> Result<Option<DerivedRun>, Failure> {
        let Some(written) = Written::of_run(path, role, run_id)? else {
            return Ok(None);
        };
        let bad = |e: &dyn std::fmt::Display| {
            Failure::failed_msg(format!(
                "{} is not a manifest of {}: {e}",
                path.display(),
                table.folder()
            ))
        };
        let outputs: crate::manifest::Outputs =
            serde_json::from_value(written.outputs).map_err(|e| bad(&e))?;
        let format = Format::from_extension(&outputs.format)
            .ok_or_else(|| bad(&format!("its output format is \"{}\"", outputs.format)))?;
        let receipt = outputs.tables.get(&table);
        let receipt = receipt.ok_or_else(|| bad(&"it lists no such table"))?;
        let beside = path
            .parent()
            .unwrap_or(Path::new("."))
            .join(Path::new(&receipt.path).file_name().unwrap_or_default());
        // Derived tables are written with the extract's CSV options: formula-like cells kept
        // only with --csv-raw (recorded in the outputs).
        let options = crate::extract::sink_options("", outputs.csv_raw);
        let places = vec![beside, PathBuf::from(&receipt.path)];
        let redo = format!("zoom-licenses {}", written.command);
        let table = checked(&redo, places, receipt, table, path, format, options)?;
        Ok(Some(DerivedRun {
            manifest: path.to_path_buf(),
            summary: written.summary,
            inputs: written.inputs,
            table,
        }))
    }
}

impl RunOutputs {
    /// The table `E` reads, kept as `E` keeps it, when the run wrote it.
    pub fn evidence<E: transform::reclaim::Evidence>(&self) -> Result<Option<E>, Failure> {
        if !self.has(E::TABLE) {
            return Ok(None);
        }
        let mut evidence = E::default();
        self.table(E::TABLE)?.each_batch(&E::columns(), |batch| {
            evidence.add(batch).map_err(Failure::failed)
        })?;
        Ok(Some(evidence))
    }
}

impl TableFile {
    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Streams the columns of `schema` through `each`, then checks as many rows were read as the
    /// manifest lists.
    pub fn each_batch(
        &self,
        schema: &SchemaRef,
        mut each: impl FnMut(&RecordBatch) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let batches = sinks::read::read_table(self.format, &self.path, schema, &self.options)
            .map_err(Failure::failed)?;
        let mut rows = 0;
        for batch in batches {
            if crate::signals::stop_requested() {
                return Err(Failure::failed_msg("stopped"));
            }
            let batch = batch.map_err(Failure::failed)?;
            rows += batch.num_rows() as u64;
            each(&batch)?;
        }
        if rows != self.rows {
            return Err(Failure::failed_msg(format!(
                "{} holds {rows} rows where the manifest {} lists {}",
                self.path.display(),
                self.manifest.display(),
                self.rows
            )));
        }
        Ok(())
    }
}

/// Size and SHA-256 (lower-case hex) of a file, read once.
fn digest(path: &Path) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok((bytes, format!("{:x}", hasher.finalize())))
}

/// The manifest of the license partition of `account` on `date` under `root`.
pub fn partition_manifest(root: &Path, date: NaiveDate, account: &str) -> PathBuf {
    crate::config::partition_manifest_of(root, Table::Licenses.folder(), date, account)
}

/// The accounts with a license partition on `date` under `root`, sorted.
pub fn accounts_on(root: &Path, date: NaiveDate) -> Vec<String> {
    let dir = crate::config::date_dir(root, Table::Licenses.folder(), date);
    let mut accounts: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| crate::config::account_of(e.file_name().to_str()?).map(str::to_string))
        .filter(|a| partition_manifest(root, date, a).is_file())
        .collect();
    accounts.sort();
    accounts
}

/// The dates with a license partition folder under `root`, in order.
pub fn dates_of(root: &Path) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = std::fs::read_dir(root.join(Table::Licenses.folder()))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| crate::config::date_of(e.file_name().to_str()?))
        .collect();
    dates.sort();
    dates
}

/// The latest date before `date` with a license partition of `account` under `root`.
pub fn date_before(root: &Path, account: &str, date: NaiveDate) -> Option<NaiveDate> {
    let dates = dates_of(root).into_iter();
    dates
        .filter(|d| *d < date && partition_manifest(root, *d, account).is_file())
        .max()
}
