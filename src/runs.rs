//! A finished extract, found by its manifest: its stamps, and its tables streamed back after
//! checking they are the files the manifest lists. What `reclaim` and `changes` read.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sinks::Format;
use transform::{SCHEMA_VERSION, Table};

use crate::config::PARTITION_MANIFEST;
use crate::exit::Failure;
use crate::manifest::MANIFEST_VERSION;

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
    /// The Zoom account id, when known.
    pub account_id: Option<String>,
    /// The partition's `dt=` and `account=`, for partitioned output.
    pub partition: Option<(NaiveDate, String)>,
    /// Whether the run listed inactive users (so that a user it lacks was deleted).
    pub listed_inactive: bool,
    tables: BTreeMap<String, Receipt>,
}

/// A manifest's fields this module reads; the rest of the document is ignored.
#[derive(Debug, Deserialize)]
struct ManifestIn {
    manifest_version: u32,
    run_id: String,
    schema_version: u32,
    extracted_at: DateTime<Utc>,
    source: SourceIn,
    #[serde(default)]
    statuses: BTreeMap<String, serde_json::Value>,
    partition: Option<PartitionIn>,
    outputs: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct SourceIn {
    account_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PartitionIn {
    dt: NaiveDate,
    account: String,
}

/// A table's line in the manifest.
#[derive(Debug, Clone, Deserialize)]
struct Receipt {
    path: String,
    rows: u64,
    bytes: u64,
    sha256: String,
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
        let m: ManifestIn = serde_json::from_str(&text).map_err(|e| bad(&e))?;
        if m.manifest_version != MANIFEST_VERSION || m.schema_version != SCHEMA_VERSION {
            return Err(Failure::failed_msg(format!(
                "{} describes manifest version {} with schema version {}; this version of \
                 zoom-licenses reads manifest version {MANIFEST_VERSION} with schema version \
                 {SCHEMA_VERSION}: extract the run again with this version",
                path.display(),
                m.manifest_version,
                m.schema_version
            )));
        }
        let format = match m.outputs.get("format").and_then(|f| f.as_str()) {
            Some("parquet") => Format::Parquet,
            Some("csv") => Format::Csv,
            Some("ndjson") => Format::Ndjson,
            other => return Err(bad(&format!("its output format is {other:?}"))),
        };
        let mut tables = BTreeMap::new();
        for (name, value) in &m.outputs {
            if name != "format" {
                let receipt = Receipt::deserialize(value).map_err(|e| bad(&e))?;
                tables.insert(name.clone(), receipt);
            }
        }
        Ok(RunOutputs {
            manifest: path.to_path_buf(),
            run_id: m.run_id,
            extracted_at: m.extracted_at,
            format,
            account_id: m.source.account_id,
            partition: m.partition.map(|p| (p.dt, p.account)),
            listed_inactive: m.statuses.contains_key("inactive"),
            tables,
        })
    }

    /// Whether the run wrote `table`.
    pub fn has(&self, table: Table) -> bool {
        self.tables.contains_key(&manifest_name(table))
    }

    /// The license table's file, beside which a file-mode output goes.
    pub fn licenses_path(&self) -> Result<PathBuf, Failure> {
        self.locate(Table::Licenses)
    }

    /// Streams the columns of `schema` of `table` through `each`, after checking the file is the
    /// one the manifest lists (its size and SHA-256), and that as many rows were read.
    pub fn each_batch(
        &self,
        table: Table,
        schema: &SchemaRef,
        mut each: impl FnMut(&RecordBatch) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let path = self.locate(table)?;
        let receipt = &self.tables[&manifest_name(table)];
        let (bytes, sha256) = digest(&path)
            .map_err(|e| Failure::failed_msg(format!("cannot read {}: {e}", path.display())))?;
        if bytes != receipt.bytes || sha256 != receipt.sha256 {
            return Err(Failure::failed_msg(format!(
                "{} is not the file the manifest {} lists ({} bytes, SHA-256 {}): it was \
                 replaced or changed after the run; run the extract again",
                path.display(),
                self.manifest.display(),
                receipt.bytes,
                receipt.sha256
            )));
        }
        let batches =
            sinks::read::read_table(self.format, &path, schema).map_err(Failure::failed)?;
        let mut rows = 0;
        for batch in batches {
            let batch = batch.map_err(Failure::failed)?;
            rows += batch.num_rows() as u64;
            each(&batch)?;
        }
        if rows != receipt.rows {
            return Err(Failure::failed_msg(format!(
                "{} holds {rows} rows where the manifest {} lists {}",
                path.display(),
                self.manifest.display(),
                receipt.rows
            )));
        }
        Ok(())
    }

    /// Where `table`'s file is now: as the manifest wrote it (relative to the directory the
    /// extract ran in), or beside the manifest (file sets) or in its partition folder (when the
    /// run's folder was moved, or read from another directory).
    fn locate(&self, table: Table) -> Result<PathBuf, Failure> {
        let Some(receipt) = self.tables.get(&manifest_name(table)) else {
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
        let written = PathBuf::from(&receipt.path);
        let name = written.file_name().unwrap_or_default();
        let dir = self.manifest.parent().unwrap_or(Path::new("."));
        let beside = match &self.partition {
            // root/zoom_users/dt=D/account=A/_manifest.json → root/<folder>/dt=D/account=A/
            Some(_) => dir
                .parent()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .map(|root| {
                    root.join(table.folder())
                        .join(dir.parent().and_then(Path::file_name).unwrap_or_default())
                        .join(dir.file_name().unwrap_or_default())
                        .join(name)
                }),
            None => Some(dir.join(name)),
        };
        let found: Vec<PathBuf> = [Some(written), beside]
            .into_iter()
            .flatten()
            .filter(|p| p.is_file())
            .collect();
        // Of the places it can be, the one of the listed size (its hash is checked on reading);
        // else the first there, which the hash check then refuses by name.
        let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).ok();
        found
            .iter()
            .find(|p| size(p) == Some(receipt.bytes))
            .or(found.first())
            .cloned()
            .ok_or_else(|| {
                Failure::usage(format!(
                    "the {} table of the run of {} is not at {} any more (nor beside its \
                     manifest)",
                    table.folder(),
                    self.manifest.display(),
                    receipt.path
                ))
            })
    }
}

/// A table's key under the manifest's `outputs`: `licenses`, `user_activity`.
fn manifest_name(table: Table) -> String {
    match serde_json::to_value(table) {
        Ok(serde_json::Value::String(name)) => name,
        _ => table.folder().to_string(),
    }
}

/// Size and SHA-256 (lower-case hex) of a file, read once.
fn digest(path: &Path) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut File::open(path)?, &mut hasher)?;
    let sum = hasher.finalize();
    Ok((bytes, sum.iter().map(|b| format!("{b:02x}")).collect()))
}

/// The manifest of the license partition of `account` on `date` under `root`.
pub fn partition_manifest(root: &Path, date: NaiveDate, account: &str) -> PathBuf {
    root.join(Table::Licenses.folder())
        .join(format!("dt={}", date.format("%Y-%m-%d")))
        .join(format!("account={account}"))
        .join(PARTITION_MANIFEST)
}

/// The accounts with a license partition on `date` under `root`, sorted.
pub fn accounts_on(root: &Path, date: NaiveDate) -> Vec<String> {
    let dir = root
        .join(Table::Licenses.folder())
        .join(format!("dt={}", date.format("%Y-%m-%d")));
    let mut accounts: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_prefix("account=")
                .map(str::to_string)
        })
        .filter(|a| partition_manifest(root, date, a).is_file())
        .collect();
    accounts.sort();
    accounts
}

/// The latest date before `date` with a license partition of `account` under `root`.
pub fn date_before(root: &Path, account: &str, date: NaiveDate) -> Option<NaiveDate> {
    std::fs::read_dir(root.join(Table::Licenses.folder()))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let day = name.to_str()?.strip_prefix("dt=")?;
            NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
        })
        .filter(|d| *d < date && partition_manifest(root, *d, account).is_file())
        .max()
}
