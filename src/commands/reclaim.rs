//! `zoom-licenses reclaim`: the licensed seats a run's outputs show can be taken back
//! (`zoom_reclaim_candidates`), with a summary per account on stderr and in the manifest.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use sinks::partition::PublishTurn;
use transform::Table;
use transform::prices::{PriceList, as_decimal};
use transform::reclaim::{
    Evidences, KeepList, ReclaimReason, ReclaimRules, ReclaimStats, Reclaimer, license_columns,
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
    /// The price list and keep list given, as named on the command line.
    prices_file: Option<&'a Path>,
    keep_file: Option<&'a Path>,
    /// Candidates as a share of licensed seats.
    share: f64,
    #[serde(flatten)]
    stats: &'a ReclaimStats,
}

/// Runs `reclaim` over each run the flags name.
pub fn run(args: ReclaimArgs, quiet: bool) -> Result<(), Failure> {
    let prices = args.prices.as_deref().map(read_prices).transpose()?;
    let keep = match &args.keep {
        Some(path) => KeepList::parse(&read_list("--keep", path)?),
        None => KeepList::default(),
    };
    let lists = Lists { prices, keep };
    let args = &args;
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
        return reclaim_one(&run, &licenses, &place, args, &lists, quiet, None);
    }
    let (Some(root), Some(date)) = (&args.out.output_dir, &args.partition_date) else {
        return Err(Failure::usage(
            "say which run to read: give --input MANIFEST, or --output-dir DIR with \
             --partition-date D",
        ));
    };
    let date = *date;
    let account = args.out.partition_account.as_deref();
    let output = args.out.output.as_deref();
    run::derived::for_each_account(root, date, account, output, |manifest, _, place, turn| {
        let run = RunOutputs::load(manifest)?;
        let licenses = run.table(Table::Licenses)?;
        reclaim_one(&run, &licenses, place, args, &lists, quiet, Some(turn))
    })
}

/// The lists the flags name, read once before any run.
struct Lists {
    prices: Option<PriceList>,
    keep: KeepList,
}

/// A file a flag names, as text; one that cannot be read is a usage error naming the flag.
fn read_list(flag: &str, path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("{flag} {}: cannot read it: {e}", path.display())))
}

/// The price list at `path`; a mistake in it is a usage error with its line.
fn read_prices(path: &Path) -> Result<PriceList, Failure> {
    let text = read_list("--prices", path)?;
    PriceList::from_toml(&text).map_err(|(at, what)| {
        let before = &text.as_bytes()[..at.min(text.len())];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        Failure::usage(format!("--prices {}: line {line}: {what}", path.display()))
    })
}

fn reclaim_one(
    run: &RunOutputs,
    licenses: &TableFile,
    place: &Place,
    args: &ReclaimArgs,
    lists: &Lists,
    quiet: bool,
    turn: Option<&PublishTurn>,
) -> Result<(), Failure> {
    let evidence = Evidences {
        sign_ins: run.evidence()?,
        hosting: run.evidence()?,
        // Add-ons only price a removal; group names only match a keep list.
        addons: match lists.prices {
            Some(_) => run.evidence()?,
            None => None,
        },
        groups: match lists.keep.is_empty() {
            true => None,
            false => run.evidence()?,
        },
    };
    if let Some(days) = args.hosting_days {
        check_hosting_days(days, &evidence, run)?;
    }
    let rules = ReclaimRules {
        idle_days: args.idle_days,
        pending_days: args.pending_days,
        as_of: run.extracted_at.timestamp_micros(),
        run_id: run.run_id.clone(),
        prices: lists.prices.clone(),
        keep: lists.keep.clone(),
    };
    // Without the groups table, a group name in the keep list matches no one.
    let groups_read = evidence.groups.is_some();
    let mut reclaimer = Reclaimer::new(rules, evidence);
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
        prices_file: args.prices.as_deref(),
        keep_file: args.keep.as_deref(),
        share: stats.share(),
        stats,
    };
    let inputs = BTreeMap::from([("run", InputRun::from(run))]);
    let (manifest, receipt) = writer.finish("reclaim", inputs, &summary, turn)?;
    let account = run.account_label();
    let not_found = reclaimer.keep_not_found();
    if !not_found.is_empty() {
        let shown: Vec<&str> = not_found.iter().take(10).copied().collect();
        let more = if not_found.len() > shown.len() {
            ", …"
        } else {
            ""
        };
        let hint = match groups_read {
            true => "",
            false => " (group names match only a run extracted --with groups)",
        };
        tracing::warn!(
            "{} of the {} --keep entries match no user of {account}: {}{more}{hint}",
            not_found.len(),
            lists.keep.len(),
            shown.join(", "),
        );
    }
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
        note!("  {}", render_saving(stats));
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
    if let Some(days) = s.hosting_days {
        line.push_str(&format!(
            ", {} not hosting (no meeting hosted in the {days} days read; a downgrade to Basic)",
            n(ReclaimReason::NotHosting)
        ));
    }
    if s.without_creation_time > 0 {
        line.push_str(&format!(
            "; {} more never logged in but have no creation time, so they cannot be aged",
            s.without_creation_time
        ));
    }
    if s.not_hosting_unaged > 0 {
        line.push_str(&format!(
            "; {} more hosted nothing but have no creation time, so may be newer than the window",
            s.not_hosting_unaged
        ));
    }
    if s.hosting_without_login > 0 {
        line.push_str(&format!(
            "; {} more had no login for {}+ days but hosted meetings, so are not listed",
            s.hosting_without_login, args.idle_days
        ));
    }
    if s.keep_entries > 0 {
        line.push_str(&format!("; {} kept by the --keep list", s.kept));
    }
    line
}

/// `saves USD 1234.50 a month: …`, or how to have it said.
fn render_saving(s: &ReclaimStats) -> String {
    let Some(saving) = &s.monthly_saving else {
        return "monthly saving unknown: give --prices FILE (see docs/derived-tables.md, \"Prices\")"
            .into();
    };
    let money = |hundredths: u64| format!("{:.2}", as_decimal(hundredths));
    let parts: Vec<String> = (saving.by_reason.iter())
        .map(|(r, amount)| format!("{} {}", money(*amount), r.as_str().replace('_', " ")))
        .collect();
    let addons = match saving.addons_counted {
        true => "seats and removed users' add-ons",
        false => "seats only: extract --with addons to count removed users' add-ons",
    };
    format!(
        "saves {} {} a month ({}): {addons}",
        saving.currency,
        money(saving.total),
        parts.join(", ")
    )
}

/// `--hosting-days N` judges only the window the run read the hosts report over.
fn check_hosting_days(days: u32, evidence: &Evidences, run: &RunOutputs) -> Result<(), Failure> {
    let hosting = evidence.hosting.as_ref();
    let account = run.account_label();
    match hosting.and_then(|h| Some((h.window()?, h.days()?))) {
        None => Err(Failure::usage(format!(
            "--hosting-days {days}: the run of {account} did not read the hosts report; extract \
             it with --with hosting --activity-days {days}"
        ))),
        Some(((from, to), read)) if read != days => Err(Failure::usage(format!(
            "--hosting-days {days}: the run of {account} read the hosts report over {read} days \
             ({from} to {to}), the only window it can judge; extract with --with hosting \
             --activity-days {days}, or leave --hosting-days out"
        ))),
        Some(_) => Ok(()),
    }
}
