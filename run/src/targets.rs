//! Where one run writes: the configured files, or, for partitioned output, a staging area whose
//! partition folders are swapped into place once everything in them is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use sinks::Destination;
use sinks::partition::{PublishTurn, StagingArea};
use transform::Table;

use crate::config::{ExtractConfig, PARTITION_MANIFEST};
use crate::exit::Failure;
use crate::manifest::PartitionInfo;

/// Where one run writes: the configured files, or a staging area published as partitions.
pub struct Targets {
    /// Each table's destination (in the staging area when partitioned).
    pub tables: BTreeMap<Table, Destination>,
    /// Where the manifest is written (in the staging area when partitioned).
    pub manifest: PathBuf,
    /// Copies of the manifest (in each partition but the license table's).
    pub extra_manifests: Vec<PathBuf>,
    /// The staging area, for partitioned output.
    pub staged: Option<Staged>,
}

/// A partitioned run's staging area and where its partitions go.
pub struct Staged {
    area: StagingArea,
    /// Partition folders in publishing order: the license table's (the one readers key on) last.
    partitions: Vec<PathBuf>,
    /// Where readers find each table.
    pub finals: BTreeMap<Table, PathBuf>,
    final_manifest: PathBuf,
    /// The partition's keys, for the manifest.
    pub info: PartitionInfo,
}

impl Staged {
    /// Waits for the turn of the output root (see [`publish_turn`]).
    pub fn take_turn(&self) -> Result<PublishTurn, Failure> {
        publish_turn(self.area.root())
    }

    /// Swaps the partitions into place under `turn`; returns the published manifest's path.
    pub fn publish(self, turn: &PublishTurn) -> Result<PathBuf, Failure> {
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
    /// The targets of `cfg` for `tables`; a partitioned run's `account=` falls back to
    /// `account_id`.
    pub fn new(
        cfg: &ExtractConfig,
        account_id: Option<&str>,
        tables: &[Table],
    ) -> Result<Self, Failure> {
        let ext = cfg.format.extension();
        let Some(partition) = &cfg.partition else {
            // The license table and its rejects where configured; the others beside the license
            // table, named after it: out/zoom_users_signin_events.parquet.
            let (dir, stem) = crate::config::output_dir_and_stem(&cfg.output);
            let mut destinations = BTreeMap::new();
            for &table in tables {
                let destination = match table {
                    Table::Licenses => cfg.output.clone(),
                    Table::Rejects => cfg.rejects.clone(),
                    _ => {
                        let path = dir.join(format!("{stem}{}.{ext}", table.file_suffix()));
                        sinks::output::check_replaceable(&path).map_err(Failure::usage)?;
                        Destination::File(path)
                    }
                };
                destinations.insert(table, destination);
            }
            return Ok(Targets {
                tables: destinations,
                manifest: cfg.manifest.clone(),
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
        // A run without an option leaves an earlier run's partitions of that option's tables for
        // this day in place: say so, as they no longer match the license table beside them.
        let stale: Vec<String> = Table::PUBLISH_ORDER
            .into_iter()
            .filter(|table| !tables.contains(table))
            .map(|table| partition.dir(table.folder(), &account))
            .filter(|dir| dir.exists())
            .map(|dir| dir.display().to_string())
            .collect();
        if !stale.is_empty() {
            tracing::warn!(
                message = "Partitions of an earlier run remain for this day and account in tables \
                           this run does not write (its --with options differ); they are not replaced.",
                partitions = %stale.join(", ")
            );
        }
        // The derived tables of this day were made from the partition being replaced.
        let derived: Vec<String> = [Table::ReclaimCandidates, Table::UserChanges]
            .into_iter()
            .filter(|table| !(cfg.changes && *table == Table::UserChanges))
            .map(|table| partition.dir(table.folder(), &account))
            .filter(|dir| dir.exists())
            .map(|dir| dir.display().to_string())
            .collect();
        if !derived.is_empty() {
            tracing::warn!(
                message = "Derived partitions of this day and account were made from the partition \
                           this run replaces; run `zoom-licenses reclaim` (or `changes`) again for it.",
                partitions = %derived.join(", ")
            );
        }
        let area = StagingArea::create(&partition.root).map_err(|e| {
            Failure::failed(anyhow!(e).context(format!(
                "cannot create a staging folder under {}",
                partition.root.display()
            )))
        })?;
        if area.leftovers_removed() > 0 {
            tracing::info!(
                message = "Removed staging folders that killed runs left behind.",
                removed = area.leftovers_removed(),
                under = %partition.root.display()
            );
        }
        // Published in this order: the license table, the one readers key on, last.
        let order = Table::PUBLISH_ORDER
            .into_iter()
            .filter(|t| tables.contains(t));
        let partitions: Vec<(Table, PathBuf)> = order
            .map(|table| (table, partition.dir(table.folder(), &account)))
            .collect();
        let finals: BTreeMap<Table, PathBuf> = partitions
            .iter()
            .map(|(table, dir)| (*table, dir.join(format!("part-0.{ext}"))))
            .collect();
        let licenses_dir = partition.dir(Table::Licenses.folder(), &account);
        let final_manifest = licenses_dir.join(PARTITION_MANIFEST);
        let extra_manifests = partitions
            .iter()
            .filter(|(table, _)| *table != Table::Licenses)
            .map(|(_, dir)| area.staged(&dir.join(PARTITION_MANIFEST)))
            .collect();
        Ok(Targets {
            tables: finals
                .iter()
                .map(|(table, path)| (*table, Destination::File(area.staged(path))))
                .collect(),
            manifest: area.staged(&final_manifest),
            extra_manifests,
            staged: Some(Staged {
                area,
                partitions: partitions.into_iter().map(|(_, dir)| dir).collect(),
                finals,
                final_manifest,
                info: PartitionInfo {
                    dt: partition.date.format("%Y-%m-%d").to_string(),
                    account,
                },
            }),
        })
    }
}

/// The turn to read and publish the partitions under `root`: held by one run at a time, so what a
/// run reads of them (`extract --changes`, `changes`, `reclaim`) is still there when it publishes
/// what it made of it. Waiting longer than another run's turn should take is a temporary failure
/// (exit 75): a retry finds the root free.
pub fn publish_turn(root: &Path) -> Result<PublishTurn, Failure> {
    PublishTurn::take(root, &crate::signals::stop_requested).map_err(|e| Failure {
        code: match e.kind() {
            std::io::ErrorKind::TimedOut => crate::exit::TEMPORARY,
            std::io::ErrorKind::Interrupted => {
                crate::signals::exit_code(crate::signals::received().unwrap_or("SIGTERM"))
            }
            _ => crate::exit::FAILED,
        },
        error: anyhow!(e).context(format!(
            "cannot take the turn to publish under {}",
            root.display()
        )),
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
