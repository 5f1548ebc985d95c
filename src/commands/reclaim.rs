//! `zoom-licenses reclaim`: the licensed seats a run's outputs show can be taken back
//! (`zoom_reclaim_candidates`), with a summary per account on stderr and in the manifest.

use std::collections::BTreeMap;

use serde::Serialize;
use sinks::partition::PublishTurn;
use transform::Table;
use transform::reclaim::{
    ReclaimReason, ReclaimRules, ReclaimStats, Reclaimer, SignIns, activity_columns,
    license_columns,
};

use crate::cli::ReclaimArgs;
use run::derived::{DerivedWriter, InputRun, Place};
use run::exit::Failure;
use run::runs::{RunOutputs, TableFile};

/// The reclaim manifest's `summary`.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    idle_days: u32,
    pending_days: u32,
    /// Candidates as a share of licensed seats.
    share: f64,
    #[serde(flatten)]
    stats: &'a ReclaimStats,
}

/// Runs `reclaim` over each run the flags name.
pub fn run(args: ReclaimArgs, quiet: bool) -> Result<(), Failure> {
    if let Some(input) = &args.input {
        let run = RunOutputs::load(input)?;
        let licenses = run.table(Table::Licenses)?;
        let place = run::derived::default_place(
            &run,
            &licenses,
            Table::ReclaimCandidates,
            &args.out.derived(),
            &[],
        )?;
        return reclaim_one(&run, &licenses, &place, &args, quiet, None);
    }
    let (Some(root), Some(date)) = (&args.out.output_dir, &args.partition_date) else {
        return Err(Failure::usage(
            "say which run to read: give --input MANIFEST, or --output-dir DIR with \
             --partition-date D",
        ));
    };
    let date = *date;
    let account = args.out.partition_account.as_deref();
    run::derived::for_each_account(root, date, account, |manifest, place, turn| {
        let run = RunOutputs::load(manifest)?;
        let licenses = run.table(Table::Licenses)?;
        reclaim_one(&run, &licenses, place, &args, quiet, Some(turn))
    })
}

fn reclaim_one(
    run: &RunOutputs,
    licenses: &TableFile,
    place: &Place,
    args: &ReclaimArgs,
    quiet: bool,
    turn: Option<&PublishTurn>,
) -> Result<(), Failure> {
    let sign_ins = match run.has(Table::UserActivity) {
        false => None,
        true => {
            let mut sign_ins = SignIns::default();
            let activity = run.table(Table::UserActivity)?;
            activity.each_batch(&activity_columns(), |batch| {
                sign_ins.add(batch).map_err(Failure::failed)
            })?;
            Some(sign_ins)
        }
    };
    let rules = ReclaimRules {
        idle_days: args.idle_days,
        pending_days: args.pending_days,
        as_of: run.extracted_at.timestamp_micros(),
        run_id: run.run_id.clone(),
    };
    let mut reclaimer = Reclaimer::new(rules, sign_ins);
    let format = run::derived::format(&args.out.derived(), run)?;
    let table = Table::ReclaimCandidates;
    let mut writer = DerivedWriter::open(table, format, run.csv_raw, place)?;
    licenses.each_batch(&license_columns(), |batch| {
        match reclaimer.push(batch).map_err(Failure::failed)? {
            Some(rows) => writer.write(&rows),
            None => Ok(()),
        }
    })?;
    let stats = reclaimer.stats();
    let summary = Summary {
        idle_days: args.idle_days,
        pending_days: args.pending_days,
        share: stats.share(),
        stats,
    };
    let inputs = BTreeMap::from([("run", InputRun::from(run))]);
    let (manifest, receipt) = writer.finish("reclaim", inputs, &summary, turn)?;
    let account = run.account_label();
    tracing::info!(
        message = "Reclaim candidates written.",
        account = %account,
        candidates = stats.candidates,
        licensed_seats = stats.licensed_seats,
        output = %receipt.path,
        manifest = %manifest
    );
    if !quiet {
        note!("{}", render(&account, run, args, stats));
        note!("  written to {} (manifest {})", receipt.path, manifest);
    }
    Ok(())
}

/// `acme: 12 of 40 licensed seats can be reclaimed (30.0%) as of 2026-12-01: …`.
fn render(account: &str, run: &RunOutputs, args: &ReclaimArgs, s: &ReclaimStats) -> String {
    let n = |reason| s.by_reason.get(&reason).copied().unwrap_or(0);
    let seen = match s.with_activity {
        true => "login or sign-in",
        false => "login",
    };
    let mut line = format!(
        "reclaim {account}: {} of {} licensed seats can be reclaimed ({:.1}%) as of {}: {} idle \
         (no {seen} for {}+ days), {} never logged in ({}+ days old), {} pending invitations \
         ({}+ days)",
        s.candidates,
        s.licensed_seats,
        s.share() * 100.0,
        run.extracted_at.format("%Y-%m-%d"),
        n(ReclaimReason::Idle),
        args.idle_days,
        n(ReclaimReason::NeverLoggedIn),
        args.idle_days,
        n(ReclaimReason::PendingInvitation),
        args.pending_days,
    );
    if s.without_creation_time > 0 {
        line.push_str(&format!(
            "; {} more never logged in but have no creation time, so they cannot be aged",
            s.without_creation_time
        ));
    }
    line
}
