//! `zoom-licenses changes`: what changed between two runs of an account (`zoom_user_changes`),
//! from their outputs, with counts per kind on stderr and in the manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;
use sinks::Format;
use sinks::partition::PublishTurn;
use transform::Table;
use transform::changes::{
    ChangeKind, ChangeStats, Comparison, LaterListing, RunStamp, change_columns, reject_columns,
};

use crate::cli::ChangesArgs;
use run::derived::{DerivedWriter, InputRun, Place};
use run::exit::Failure;
use run::runs::{self, RunOutputs, TableFile};

/// Runs `changes` as the flags say.
pub fn run(args: ChangesArgs, quiet: bool) -> Result<(), Failure> {
    let Some(root) = &args.out.output_dir else {
        return between_manifests(&args, quiet);
    };
    let to_date = crate::config::parse_date("--to", &args.to)?;
    let from_date = args.from.as_deref();
    let from_date = from_date
        .map(|text| crate::config::parse_date("--from", text))
        .transpose()?;
    if let Some(from) = from_date.filter(|from| *from >= to_date) {
        return Err(Failure::usage(format!(
            "--from {from} is not before --to {to_date}: give an earlier date"
        )));
    }
    let only = args.out.partition_account.as_deref();
    let output = args.out.output.as_deref();
    run::derived::for_each_account(
        root,
        to_date,
        only,
        output,
        |to_manifest, account, place, turn| {
            let to = RunOutputs::load(to_manifest)?;
            let format = run::derived::format(&args.out.derived(), &to)?;
            let dates = (to_date, from_date);
            against_previous(root, dates, account, &to, place, format, quiet, turn)
        },
    )
}

/// `changes --from MANIFEST --to MANIFEST`: two runs named by their manifests.
fn between_manifests(args: &ChangesArgs, quiet: bool) -> Result<(), Failure> {
    let Some(from) = &args.from else {
        return Err(Failure::usage(
            "give --from MANIFEST, or --output-dir DIR to compare with the previous partition",
        ));
    };
    for (flag, value) in [("--from", from), ("--to", &args.to)] {
        if NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok() {
            return Err(Failure::usage(format!(
                "{flag} {value} is a date: dates name partitions, so give --output-dir DIR \
                 too (or the path of a manifest)"
            )));
        }
    }
    let from = RunOutputs::load(Path::new(from))?;
    let to = RunOutputs::load(Path::new(&args.to))?;
    one_account(&from, &to)?;
    if from.is_same_run(&to) {
        return Err(Failure::usage(
            "--from and --to are the same run: give an earlier run as --from",
        ));
    }
    if from.extracted_at > to.extracted_at {
        return Err(Failure::usage(format!(
            "--from ({}, extracted {}) is later than --to ({}, extracted {}): swap them",
            from.manifest.display(),
            from.extracted_at,
            to.manifest.display(),
            to.extracted_at
        )));
    }
    let later = to.table(Table::Licenses)?;
    let place = run::derived::default_place(
        &to,
        &later,
        Table::UserChanges,
        &args.out.derived(),
        &[&from],
    )?;
    let format = run::derived::format(&args.out.derived(), &to)?;
    compare(&from, &to, &later, &place, format, quiet, None)
}

/// Compares `to` (of `dates.0`) with the partition of `dates.1` (or the latest before), under the
/// root's `turn`; with no earlier partition there is nothing to compare, which is said, not
/// failed.
#[allow(clippy::too_many_arguments)]
fn against_previous(
    root: &Path,
    (to_date, from_date): (NaiveDate, Option<NaiveDate>),
    account: &str,
    to: &RunOutputs,
    place: &Place,
    format: Format,
    quiet: bool,
    turn: &PublishTurn,
) -> Result<(), Failure> {
    let from_date = match from_date {
        Some(date) => date,
        None => match runs::date_before(root, account, to_date) {
            Some(date) => date,
            None => {
                tracing::warn!(
                    message = "No earlier partition of this account to compare with; no changes written.",
                    account = %account,
                    before = %to_date
                );
                return Ok(());
            }
        },
    };
    let manifest: PathBuf = runs::partition_manifest(root, from_date, account);
    if !manifest.is_file() {
        return Err(Failure::usage(format!(
            "there is no license partition of account {account} for {from_date}: {} is missing",
            manifest.display()
        )));
    }
    let from = RunOutputs::load(&manifest)?;
    one_account(&from, to)?;
    // Partitions are ordered by their dates, not by when they were extracted (a backfill).
    let later = to.table(Table::Licenses)?;
    compare(&from, to, &later, place, format, quiet, Some(turn))
}

/// The one rule every comparison (two manifests, two partitions) is held to: runs of two Zoom accounts are not compared (exit 2), even when their partitions share an
/// `account=` name (an accounts file may give two Zoom accounts one name). When a run does not
/// name its Zoom account (an authorization-code app without the `users:me` scope, a recording
/// without an account id), nothing can be checked: the runs are compared with a warning, as
/// failing would fail every day's run of such an app for a mismatch nobody can see.
fn one_account(from: &RunOutputs, to: &RunOutputs) -> Result<(), Failure> {
    match (&from.account_id, &to.account_id) {
        (Some(a), Some(b)) if a != b => {
            let shared = match (&from.partition, &to.partition) {
                (Some((_, x)), Some((_, y))) if x == y => format!(
                    "; their partitions share the name account={x}: give each Zoom account a \
                     name of its own (--partition-account, or the accounts file), then extract \
                     again"
                ),
                _ => String::new(),
            };
            Err(Failure::usage(format!(
                "the earlier run (--from, {}) is of Zoom account {a} and the later (--to, {}) of \
                 Zoom account {b}: compare two runs of one account{shared}",
                from.manifest.display(),
                to.manifest.display()
            )))
        }
        (Some(_), Some(_)) => Ok(()),
        _ => {
            tracing::warn!(
                message = "A run does not name its Zoom account, so the two runs cannot be checked to be of one account; comparing them anyway.",
                from = %from.manifest.display(),
                from_account_id = from.account_id.as_deref().unwrap_or("(not known)"),
                to = %to.manifest.display(),
                to_account_id = to.account_id.as_deref().unwrap_or("(not known)")
            );
            Ok(())
        }
    }
}

/// The changes manifest's `summary`.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    #[serde(flatten)]
    stats: &'a ChangeStats,
}

/// Writes the changes from `from` to `to` (whose license table is `later`) at `place`, published
/// under `turn` when the caller holds the root's.
fn compare(
    from: &RunOutputs,
    to: &RunOutputs,
    later: &TableFile,
    place: &Place,
    format: Format,
    quiet: bool,
    turn: Option<&PublishTurn>,
) -> Result<(), Failure> {
    let stamp = |run: &RunOutputs| RunStamp {
        run_id: run.run_id.clone(),
        extracted_at: run.extracted_at.timestamp_micros(),
    };
    let listing = match (to.has(Table::Rejects), to.listed_inactive) {
        (false, _) => {
            tracing::warn!(
                message = "The later run's rejects went to stdout: users who left are `not_listed`, not told deactivated from deleted.",
                manifest = %to.manifest.display()
            );
            LaterListing::RejectsUnknown
        }
        (true, true) => LaterListing::EveryStatus,
        (true, false) => LaterListing::WithoutInactive,
    };
    let mut comparison = Comparison::new(stamp(from), stamp(to), listing);
    let earlier = from.table(Table::Licenses)?;
    earlier.each_batch(&change_columns(), |batch| {
        comparison.add_earlier(batch).map_err(Failure::failed)
    })?;
    if listing != LaterListing::RejectsUnknown {
        to.table(Table::Rejects)?
            .each_batch(&reject_columns(), |batch| {
                comparison.add_later_rejects(batch).map_err(Failure::failed)
            })?;
    }
    let mut writer = DerivedWriter::open(Table::UserChanges, format, to.csv_raw, place)?;
    later.each_batch(&change_columns(), |batch| {
        match comparison.compare_later(batch).map_err(Failure::failed)? {
            Some(rows) => writer.write(&rows),
            None => Ok(()),
        }
    })?;
    earlier.each_batch(&change_columns(), |batch| {
        match comparison.left_in(batch).map_err(Failure::failed)? {
            Some(rows) => writer.write(&rows),
            None => Ok(()),
        }
    })?;
    let stats = comparison.stats();
    let inputs = BTreeMap::from([("from", InputRun::from(from)), ("to", InputRun::from(to))]);
    let (manifest, receipt) = writer.finish("changes", inputs, Summary { stats }, turn)?;
    let account = to.account_label();
    let total: u64 = stats.by_kind.values().sum();
    tracing::info!(
        message = "Changes written.",
        account = %account,
        changes = total,
        output = %receipt.path,
        manifest = %manifest
    );
    if !quiet {
        note!("{}", render(&account, from, to, stats));
        note!("  written to {} (manifest {})", receipt.path, manifest);
    }
    Ok(())
}

/// The date a run stands for in the summary: its partition's date (the dates compared), else when
/// it was extracted.
fn compared(run: &RunOutputs) -> String {
    match &run.partition {
        Some((date, _)) => date.to_string(),
        None => run.extracted_at.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// `changes acme 2026-11-30 → 2026-12-01: 3 joined, 2 left (…), …`.
fn render(account: &str, from: &RunOutputs, to: &RunOutputs, s: &ChangeStats) -> String {
    let n = |kind| s.by_kind.get(&kind).copied().unwrap_or(0);
    let left_as: Vec<String> = s
        .left_as
        .iter()
        .map(|(how, n)| format!("{n} {how}"))
        .collect();
    format!(
        "changes {account} {} → {} ({} → {} users): {} joined, {} left{}, {} activated, {} plan \
         changes, {} department changes",
        compared(from),
        compared(to),
        s.from_users,
        s.to_users,
        n(ChangeKind::Joined),
        n(ChangeKind::Left),
        match left_as.is_empty() {
            true => String::new(),
            false => format!(" ({})", left_as.join(", ")),
        },
        n(ChangeKind::Activated),
        n(ChangeKind::PlanChanged),
        n(ChangeKind::DepartmentChanged),
    )
}
