//! Where one run writes and how its outputs become final, for an extract and a derived table
//! alike: files committed in place, or partitions built in a staging area and swapped in whole;
//! the manifest is always written last.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use chrono::NaiveDate;
use serde::Serialize;
use sinks::partition::{PublishTurn, StagingArea};
use sinks::{
    Destination, FinishedOutput, Format, OutputReceipt, RecordSink, SinkError, SinkOptions,
};
use transform::Table;

use crate::config::{ExtractConfig, PARTITION_MANIFEST, partition_dir};
use crate::exit::Failure;
use crate::manifest::PartitionInfo;

/// Where a derived table goes.
#[derive(Debug, Clone)]
pub enum Place {
    /// A file and its manifest file, or stdout and no manifest (the summary is on stderr).
    File {
        /// The table's file, or stdout.
        data: Destination,
        /// The manifest's file (none for stdout).
        manifest: Option<PathBuf>,
    },
    /// `part-0.<format>` and its `_manifest.json` in the table's partition folder of `account` on
    /// `date` under `root` ([`crate::config::partition_dir`]).
    Partition {
        /// The output root.
        root: PathBuf,
        /// The partition's date.
        date: NaiveDate,
        /// `account=`.
        account: String,
    },
}

/// Where one run writes: the configured files, or a staging area published as partitions.
pub struct Targets {
    /// Each table's destination (in the staging area when partitioned).
    tables: BTreeMap<Table, Destination>,
    /// Where the manifest is written (in the staging area when partitioned); none when a
    /// derived table goes to stdout.
    manifest: Option<PathBuf>,
    /// Copies of the manifest (in each partition but the main table's).
    extra_manifests: Vec<PathBuf>,
    /// The staging area, for partitioned output.
    staged: Option<Staged>,
}

/// A partitioned run's staging area and where its partitions go.
struct Staged {
    area: StagingArea,
    /// Partition folders in publishing order: the license table's (the one readers key on) last.
    partitions: Vec<PathBuf>,
    /// Where readers find each table.
    finals: BTreeMap<Table, PathBuf>,
    final_manifest: PathBuf,
    /// The partition's keys, for the manifest.
    info: PartitionInfo,
}

impl Staged {
    /// Swaps the partitions into place under `turn`; returns the published manifest's path.
    fn publish(self, turn: &PublishTurn) -> Result<PathBuf, Failure> {
        // A run killed between its two swaps leaves a pair from two runs; say that this one mends it.
        // (Read under the turn: no other run swaps them meanwhile.)
        let runs: Vec<String> = self
            .partitions
            .iter()
            .filter_map(|dir| {
                let run = run_id_in(&dir.join(PARTITION_MANIFEST))?;
                let table = dir.parent()?.parent()?.file_name()?.to_string_lossy();
                Some(format!("{table}: {run}"))
            })
            .collect();
        let distinct: std::collections::BTreeSet<&str> = runs
            .iter()
            .filter_map(|r| r.split_once(": ").map(|(_, run)| run))
            .collect();
        if distinct.len() > 1 {
            tracing::warn!(
                message = "The partitions being replaced came from different runs; this run replaces them all.",
                runs = %runs.join("; ")
            );
        }
        self.area
            .publish(turn, &self.partitions)
            .map_err(|e| Failure::failed(anyhow!(e).context("cannot publish the partitions")))?;
        Ok(self.final_manifest)
    }
}

impl Targets {
    /// The targets of the extract `cfg` for `tables`; a partitioned run's `account=` falls back
    /// to `account_id`.
    pub fn for_extract(
        cfg: &ExtractConfig,
        account_id: Option<&str>,
        tables: &[Table],
    ) -> Result<Self, Failure> {
        let ext = cfg.format.extension();
        let Some(partition) = &cfg.partition else {
            // The license table and its rejects where configured; the others beside the license
            // table, named after it: out/zoom_users_signin_events.parquet.
            let mut destinations = BTreeMap::new();
            for &table in tables {
                let destination = match table {
                    Table::Licenses => cfg.output.clone(),
                    Table::Rejects => cfg.rejects.clone(),
                    _ => {
                        let suffix = format!("{}.{ext}", table.file_suffix());
                        let path = crate::config::beside(&cfg.output, &suffix);
                        sinks::output::check_replaceable(&path).map_err(Failure::usage)?;
                        Destination::File(path)
                    }
                };
                destinations.insert(table, destination);
            }
            return Ok(Targets {
                tables: destinations,
                manifest: Some(cfg.manifest.clone()),
                extra_manifests: Vec::new(),
                staged: None,
            });
        };
        let account = match (&partition.account, account_id) {
            (Some(name), _) => name.clone(),
            (None, Some(id)) if sinks::partition::is_folder_name(id) => id.to_string(),
            (None, Some(id)) => {
                return Err(Failure::usage(format!(
                    "the account id \"{id}\" cannot name a partition folder: pass --partition-account NAME"
                )));
            }
            // Two accounts would share `account=default` and replace each other's partitions.
            (None, None) => {
                let how = match &cfg.source {
                    crate::config::SourceConfig::Replay(_) => String::new(),
                    crate::config::SourceConfig::Live(_) => format!(
                        ", or add the scope {} to the Zoom app (and run `zoom-licenses auth` \
                         again) so it is read from GET /users/me",
                        extractor::zoom::users_me::USERS_ME.scopes[0]
                    ),
                };
                return Err(Failure::usage(format!(
                    "the Zoom account id is not known, so the partition cannot be named after it: \
                     pass --partition-account NAME{how}"
                )));
            }
        };
        let (root, date) = (&partition.root, partition.date);
        // The partitions of this day and account among `others` that exist.
        let existing = |others: &mut dyn Iterator<Item = Table>| -> Vec<String> {
            let dirs = others.map(|table| partition_dir(root, table.folder(), date, &account));
            let dirs = dirs.filter(|dir| dir.exists());
            dirs.map(|dir| dir.display().to_string()).collect()
        };
        // A run without an option leaves an earlier run's partitions of that option's tables for
        // this day in place: say so, as they no longer match the license table beside them.
        let unwritten = Table::PUBLISH_ORDER.into_iter();
        let stale = existing(&mut unwritten.filter(|table| !tables.contains(table)));
        if !stale.is_empty() {
            tracing::warn!(
                message = "Partitions of an earlier run remain for this day and account in tables \
                           this run does not write (its --with options differ); they are not replaced.",
                partitions = %stale.join(", ")
            );
        }
        // The derived tables of this day were made from the partition being replaced.
        let derived = existing(&mut [Table::ReclaimCandidates, Table::UserChanges].into_iter());
        if !derived.is_empty() {
            tracing::warn!(
                message = "Derived partitions of this day and account were made from the partition \
                           this run replaces; run `zoom-licenses reclaim` (or `changes`) again for it.",
                partitions = %derived.join(", ")
            );
        }
        let written = Table::PUBLISH_ORDER
            .into_iter()
            .filter(|t| tables.contains(t));
        let written = written.collect();
        Self::staged(root, date, &account, Table::Licenses, written, cfg.format)
    }

    /// The targets of a derived `table` at `place`, in `format`.
    pub fn for_derived(table: Table, format: Format, place: &Place) -> Result<Self, Failure> {
        match place {
            Place::File { data, manifest } => {
                for path in data.file().into_iter().chain(manifest.as_deref()) {
                    sinks::output::check_replaceable(path).map_err(Failure::usage)?;
                }
                Ok(Targets {
                    tables: BTreeMap::from([(table, data.clone())]),
                    manifest: manifest.clone(),
                    extra_manifests: Vec::new(),
                    staged: None,
                })
            }
            Place::Partition {
                root,
                date,
                account,
            } => Self::staged(root, *date, account, table, vec![table], format),
        }
    }

    /// Targets in a new staging area under the output root `root`: `tables` (in publishing order)
    /// of `account` on `date`, with the manifest in `main`'s partition and a copy in each other one.
    fn staged(
        root: &Path,
        date: NaiveDate,
        account: &str,
        main: Table,
        tables: Vec<Table>,
        format: Format,
    ) -> Result<Self, Failure> {
        let area = StagingArea::create(root).map_err(|e| {
            Failure::failed(anyhow!(e).context(format!(
                "cannot create a staging folder under {}",
                root.display()
            )))
        })?;
        if area.leftovers_removed() > 0 {
            tracing::info!(
                message = "Removed staging folders that killed runs left behind.",
                removed = area.leftovers_removed(),
                under = %root.display()
            );
        }
        let dir = |table: Table| partition_dir(root, table.folder(), date, account);
        let part = format!("part-0.{}", format.extension());
        let finals: BTreeMap<Table, PathBuf> =
            tables.iter().map(|&t| (t, dir(t).join(&part))).collect();
        let final_manifest = dir(main).join(PARTITION_MANIFEST);
        let extra_manifests = tables
            .iter()
            .filter(|&&table| table != main)
            .map(|&table| area.staged(&dir(table).join(PARTITION_MANIFEST)))
            .collect();
        Ok(Targets {
            tables: finals
                .iter()
                .map(|(table, path)| (*table, Destination::File(area.staged(path))))
                .collect(),
            manifest: Some(area.staged(&final_manifest)),
            extra_manifests,
            staged: Some(Staged {
                area,
                partitions: tables.into_iter().map(dir).collect(),
                finals,
                final_manifest,
                info: PartitionInfo {
                    dt: date,
                    account: account.to_string(),
                },
            }),
        })
    }

    /// Opens a sink for each table, with `options`.
    pub fn open(
        &self,
        format: Format,
        options: &SinkOptions,
    ) -> Result<BTreeMap<Table, Box<dyn RecordSink>>, Failure> {
        let mut sinks = BTreeMap::new();
        for (table, destination) in &self.tables {
            let sink = sinks::open_sink(format, destination, options)
                .map_err(|e| Failure::failed(anyhow!(e).context("cannot open output")))?;
            sinks.insert(*table, sink);
        }
        Ok(sinks)
    }

    /// Commits every finished output, then writes the manifest that `manifest` makes of their
    /// receipts (naming the files where readers find them) and of the partition, then publishes
    /// the partitions under `turn` (taken now when `None`, and let go once they are published);
    /// returns the manifest and where readers find it (none for a derived table on stdout).
    pub fn commit<M: Serialize>(
        self,
        finished: BTreeMap<Table, FinishedOutput>,
        manifest: impl FnOnce(BTreeMap<Table, OutputReceipt>, Option<PartitionInfo>) -> M,
        turn: Option<&PublishTurn>,
    ) -> Result<(M, Option<PathBuf>), Failure> {
        let failed =
            |e: SinkError| Failure::failed(anyhow!(e).context("cannot move the output into place"));
        if let Some(path) = &self.manifest {
            let files = finished.values().filter_map(|o| o.pending.target());
            sinks::retire_manifest(files, path).map_err(failed)?;
        }
        let finals = self.staged.as_ref().map(|s| &s.finals);
        let mut receipts = BTreeMap::new();
        for (table, output) in finished {
            let mut receipt = output.commit().map_err(failed)?;
            if let Some(path) = finals.and_then(|f| f.get(&table)) {
                receipt.path = path.display().to_string();
            }
            receipts.insert(table, receipt);
        }
        let manifest = manifest(receipts, self.staged.as_ref().map(|s| s.info.clone()));
        let paths = self.extra_manifests.iter().chain(&self.manifest);
        for path in paths {
            sinks::write_json_atomically(path, &manifest)
                .map_err(|e| Failure::failed(anyhow!(e).context("cannot write the manifest")))?;
        }
        let path = match (self.staged, turn) {
            (None, _) => self.manifest,
            (Some(staged), Some(turn)) => Some(staged.publish(turn)?),
            (Some(staged), None) => {
                let turn = publish_turn(staged.area.root())?;
                Some(staged.publish(&turn)?)
            }
        };
        Ok((manifest, path))
    }
}

/// A sink's failure; the reader of stdout going away (`| head`) stops the run quietly, exit 0, as
/// Unix tools do.
pub fn sink_failure(e: SinkError) -> Failure {
    match e.is_broken_pipe() {
        true => Failure::new(crate::exit::OK, e),
        false => Failure::failed(e),
    }
}

/// The turn to read and publish the partitions under `root`: held by one run at a time, so what a
/// run reads of them (`changes`, `reclaim`) is still there when it publishes
/// what it made of it. Waiting longer than another run's turn should take is a temporary failure
/// (exit 75): a retry finds the root free.
pub fn publish_turn(root: &Path) -> Result<PublishTurn, Failure> {
    PublishTurn::take(root, &crate::signals::stop_requested).map_err(|e| {
        let code = match e.kind() {
            std::io::ErrorKind::TimedOut => crate::exit::TEMPORARY,
            std::io::ErrorKind::Interrupted => {
                crate::signals::exit_code(crate::signals::received().unwrap_or("SIGTERM"))
            }
            _ => crate::exit::FAILED,
        };
        let context = format!("cannot take the turn to publish under {}", root.display());
        Failure::new(code, anyhow!(e).context(context))
    })
}

/// `run_id started_at` of the manifest at `path`, if there is one: together they tell runs apart,
/// even two attempts given the same `--run-id`.
fn run_id_in(path: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    let field = |name: &str| manifest[name].as_str().unwrap_or("?").to_owned();
    Some(format!("{} {}", field("run_id"), field("started_at")))
}
