//! The short summary printed to stderr at the end of a run: users by plan, exclusions by reason.

use std::fmt::Write;

use transform::Table;

use crate::manifest::Manifest;

/// The summary text (several lines, no trailing newline).
pub fn render(manifest: &Manifest, manifest_path: &std::path::Path) -> String {
    let mut out = String::new();
    let join = |counts: &mut dyn Iterator<Item = (String, u64)>| {
        counts
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "zoom-licenses: run {} read {} pages, {} user records",
        manifest.run_id, manifest.pages_read, manifest.users_seen
    );
    let _ = writeln!(
        out,
        "  users written: {} -> {}",
        manifest.rows_written,
        manifest.outputs.path(Table::Licenses).unwrap_or("-")
    );
    let by_plan = join(&mut manifest.by_plan.iter().map(|(k, v)| (k.clone(), *v)));
    let _ = writeln!(
        out,
        "  by plan: {}",
        if by_plan.is_empty() { "-" } else { &by_plan }
    );
    let _ = writeln!(
        out,
        "  excluded: {} ({}) -> {}",
        manifest.rejected(),
        join(&mut manifest.rejects.iter().map(|(k, v)| (k.to_string(), *v))),
        manifest.outputs.path(Table::Rejects).unwrap_or("-")
    );
    let _ = writeln!(out, "  duplicates dropped: {}", manifest.duplicates);
    let tables = &manifest.outputs.tables;
    if let (Some(a), Some(events), Some(users)) = (
        &manifest.activity,
        tables.get(&Table::SigninEvents),
        tables.get(&Table::UserActivity),
    ) {
        let c = &a.counts;
        let _ = writeln!(
            out,
            "  sign-in events {} to {}: {} written ({} repeats dropped, {} matched to users) -> {}",
            a.window_start, a.window_end, c.events_written, c.duplicates, c.matched, events.path
        );
        let _ = writeln!(
            out,
            "  users who signed in: {} of {} -> {}",
            c.users_signed_in, users.rows, users.path
        );
    }
    for (status, counts) in &manifest.statuses {
        if counts.short_of_total > 0 {
            let _ = writeln!(
                out,
                "  warning: {} {status} users fewer than Zoom's total_records ({} of {}): users \
                 changed during the sweep, or Zoom sent short pages",
                counts.short_of_total,
                counts.users_received,
                counts.total_records.unwrap_or(0)
            );
        }
    }
    if let Some(reconciliation) = &manifest.reconciliation {
        let differences = reconciliation.differences();
        if differences.is_empty() {
            let _ = writeln!(
                out,
                "  Zoom's own counts ({}): all agree",
                reconciliation.source
            );
        }
        for difference in differences {
            let _ = writeln!(
                out,
                "  warning: Zoom's own counts ({}) differ: {difference}",
                reconciliation.source
            );
        }
    }
    if let (Some(a), Some(path)) = (&manifest.addons, manifest.outputs.path(Table::UserAddons)) {
        let _ = writeln!(
            out,
            "  add-ons: {} on, held by {} of {} users read ({} gone since listed) -> {path}",
            a.counts.addons, a.counts.users_with_addons, a.counts.users_read, a.users_gone
        );
    }
    let _ = write!(out, "  manifest: {}", manifest_path.display());
    out
}
