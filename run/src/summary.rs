//! The short summary printed to stderr at the end of a run: users by plan, exclusions by reason.

use std::collections::BTreeMap;

use transform::Table;

use crate::manifest::Manifest;

/// The summary text (several lines, no trailing newline).
pub fn render(manifest: &Manifest, manifest_path: &std::path::Path) -> String {
    let join = |counts: &BTreeMap<String, u64>| {
        let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
        counts.join(", ")
    };
    let path = |table| manifest.outputs.path(table).unwrap_or("-");
    let by_plan = join(&manifest.by_plan);
    let mut lines = vec![
        format!(
            "zoom-licenses: run {} read {} pages, {} user records",
            manifest.run_id, manifest.pages_read, manifest.users_seen
        ),
        format!(
            "  users written: {} -> {}",
            manifest.rows_written,
            path(Table::Licenses)
        ),
        format!(
            "  by plan: {}",
            if by_plan.is_empty() { "-" } else { &by_plan }
        ),
        format!(
            "  excluded: {} ({}) -> {}",
            manifest.rejected(),
            join(&manifest.rejects),
            path(Table::Rejects)
        ),
        format!("  duplicates dropped: {}", manifest.duplicates),
    ];
    let tables = &manifest.outputs.tables;
    if let (Some(a), Some(events), Some(users)) = (
        &manifest.activity,
        tables.get(&Table::SigninEvents),
        tables.get(&Table::UserActivity),
    ) {
        let c = &a.counts;
        lines.push(format!(
            "  sign-in events {} to {}: {} written ({} repeats dropped, {} matched to users) -> {}",
            a.window_start, a.window_end, c.events_written, c.duplicates, c.matched, events.path
        ));
        lines.push(format!(
            "  users who signed in: {} of {} -> {}",
            c.users_signed_in, users.rows, users.path
        ));
    }
    if let (Some(h), Some(usage)) = (&manifest.hosting, tables.get(&Table::HostUsage)) {
        let c = &h.counts;
        lines.push(format!(
            "  hosts {} to {}: {} of {} users hosted a meeting ({} ranges; {} hosts not in the \
             license table, {} repeats, {} malformed) -> {}",
            h.window_start,
            h.window_end,
            c.users_hosting,
            usage.rows,
            c.ranges_read,
            c.unmatched,
            c.duplicates,
            c.malformed,
            usage.path
        ));
    }
    for (status, counts) in &manifest.statuses {
        if counts.short_of_total > 0 {
            lines.push(format!(
                "  warning: {} {status} users fewer than Zoom's total_records ({} of {}): users \
                 changed during the sweep, or Zoom sent short pages",
                counts.short_of_total,
                counts.users_received,
                counts.total_records.unwrap_or(0)
            ));
        }
    }
    if let Some(reconciliation) = &manifest.reconciliation {
        let source = &reconciliation.source;
        let differences = reconciliation.differences();
        if differences.is_empty() {
            lines.push(format!("  Zoom's own counts ({source}): all agree"));
        }
        for difference in differences {
            lines.push(format!(
                "  warning: Zoom's own counts ({source}) differ: {difference}"
            ));
        }
    }
    if let (Some(a), Some(path)) = (&manifest.addons, manifest.outputs.path(Table::UserAddons)) {
        lines.push(format!(
            "  add-ons: {} on, held by {} of {} users read ({} gone since listed) -> {path}",
            a.counts.addons, a.counts.users_with_addons, a.counts.users_read, a.users_gone
        ));
    }
    lines.push(format!("  manifest: {}", manifest_path.display()));
    lines.join("\n")
}
