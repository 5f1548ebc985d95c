//! `zoom-licenses report`: one day's license report as a self-contained HTML page, from the
//! runs' outputs (extract, and the day's `reclaim` and `changes` when they ran); no Zoom call.

use std::path::PathBuf;

use run::config::{date_dir, partition_dir};
use run::exit::Failure;
use run::report::REPORT_FILE;
use run::runs::{RunOutputs, accounts_on, partition_manifest};
use sinks::Destination;

use crate::cli::ReportArgs;

/// The folder of report partitions under an output root.
const REPORT_FOLDER: &str = "report";

/// Writes the report the flags ask for.
pub fn run(args: ReportArgs, quiet: bool) -> Result<(), Failure> {
    // With --input, one account: its partition's account for the trend and the default place.
    let mut account = None;
    let (manifests, root, date) = match (&args.input, &args.output_dir, args.partition_date) {
        (Some(input), _, _) => {
            let run = RunOutputs::load(input)?;
            let date = run.partition.as_ref().map(|p| p.0);
            account = run.partition.as_ref().map(|p| p.1.clone());
            (vec![input.clone()], run.partition_root(), date)
        }
        (None, Some(root), Some(date)) => {
            let accounts = accounts_on(root, date);
            if accounts.is_empty() {
                return Err(Failure::usage(format!(
                    "there is no license partition for {date} under {}: run the extract for \
                     that date first",
                    root.display()
                )));
            }
            let manifests = accounts.iter().map(|a| partition_manifest(root, date, a));
            (manifests.collect(), Some(root.clone()), Some(date))
        }
        _ => {
            return Err(Failure::usage(
                "say which day to report on: give --input MANIFEST, or --output-dir DIR with \
                 --partition-date D",
            ));
        }
    };
    let report = run::report::gather(
        &manifests,
        root.as_deref(),
        account.as_deref(),
        date,
        args.days,
    )?;
    // A day's page for every account, or one account's beside the others' partitions.
    let path = match (&args.output, &root, report.date) {
        (Some(path), _, _) => path.clone(),
        (None, Some(root), Some(date)) => match &account {
            None => date_dir(root, REPORT_FOLDER, date).join(REPORT_FILE),
            Some(account) => partition_dir(root, REPORT_FOLDER, date, account).join(REPORT_FILE),
        },
        (None, _, _) => {
            let beside = manifests[0].parent().filter(|p| !p.as_os_str().is_empty());
            beside.map_or_else(|| PathBuf::from(REPORT_FILE), |d| d.join(REPORT_FILE))
        }
    };
    let destination = match path.as_os_str() == "-" {
        true => Destination::Stdout,
        false => Destination::File(path.clone()),
    };
    if args.output.is_some()
        && let Destination::File(target) = &destination
    {
        let runs: Vec<RunOutputs> = manifests
            .iter()
            .map(|m| RunOutputs::load(m))
            .collect::<Result<_, _>>()?;
        run::derived::refuse_target(target, &runs.iter().collect::<Vec<_>>())?;
    }
    run::report::write_page(&destination, &report::render(&report))?;
    tracing::info!(message = "Report written.", accounts = report.accounts.len(), output = %path.display());
    if !quiet {
        note!(
            "report {}: {} account{} -> {}",
            report.date.map(|d| d.to_string()).unwrap_or_default(),
            report.accounts.len(),
            if report.accounts.len() == 1 { "" } else { "s" },
            path.display()
        );
    }
    Ok(())
}
