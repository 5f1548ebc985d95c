//! The page: sections in the order a license manager reads them, each chart followed by a table
//! of its numbers, and a sentence instead of a chart where there is nothing to draw.

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::chart;
use crate::figures::{AccountDay, Money, ReclaimDay, Report};

/// Candidates listed per reason and account; the rest are in the table.
const ROWS_SHOWN: usize = 200;

/// The style sheet, inline: the page fetches nothing.
const STYLE: &str = "
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2430; margin: 2em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccd; }
table { border-collapse: collapse; margin: 0.6em 0 1em; } th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #e3e6ee; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.headline td.n { font-size: 1.25em; font-weight: 600; }
.note { color: #555; font-style: italic; }
.chart text { font: 12px system-ui, sans-serif; fill: #1d2430; } .axis { stroke: #888; }
.line { fill: none; stroke-width: 2; } .bar0 { fill: #2f6db5; stroke: #2f6db5; } .bar1 { fill: #e08a1e; stroke: #e08a1e; }
.bar2 { fill: #3a9a5b; stroke: #3a9a5b; } .bar3 { fill: #b53a3a; stroke: #b53a3a; } .bar4 { fill: #7d55b5; stroke: #7d55b5; } .bar5 { fill: #777; stroke: #777; }
footer { margin-top: 3em; color: #555; font-size: 0.9em; }
@page { size: A4; margin: 15mm; } @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, svg { break-inside: avoid; } }
";

/// The report as one HTML document.
pub fn render(report: &Report) -> String {
    let date = report.date.map(|d| d.to_string()).unwrap_or_default();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // Nothing is fetched: were anything ever added that would be, the browser refuses it.
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'";
                title { "Zoom licenses " (date) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Zoom licenses" }
                p { "As of " (date) ", " (report.accounts.len()) " account"
                    (if report.accounts.len() == 1 { "" } else { "s" }) "." }
                (headline(report))
                (plans(report))
                (usage(report))
                (trend(report))
                (changes(report))
                (candidates(report))
                (footer(report))
            }
        }
    };
    page.into_string()
}

/// `USD 1,234.56`.
fn money(m: &Money) -> String {
    format!(
        "{} {}.{:02}",
        m.currency,
        grouped(m.hundredths / 100),
        m.hundredths % 100
    )
}

/// `12,345`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The sum of the accounts' savings, when every account with candidates has one in one currency.
fn total_saving(report: &Report) -> Option<Money> {
    let mut total: Option<Money> = None;
    for reclaim in report.accounts.iter().filter_map(|a| a.reclaim.as_ref()) {
        let saving = reclaim.saving.as_ref()?;
        match &mut total {
            None => total = Some(saving.clone()),
            Some(t) if t.currency == saving.currency => t.hundredths += saving.hundredths,
            Some(_) => return None,
        }
    }
    total
}

fn headline(report: &Report) -> Markup {
    let sum = |f: fn(&AccountDay) -> u64| report.accounts.iter().map(f).sum::<u64>();
    let reclaimed = report.accounts.iter().all(|a| a.reclaim.is_some());
    let candidates = |a: &AccountDay| a.reclaim.as_ref().map_or(0, |r| r.candidates);
    html! {
        h2 { "Seats" }
        @if report.accounts.is_empty() {
            p.note { "No account has a run on this day." }
        } @else {
            table.headline {
                thead { tr { th { "account" } th.n { "paid seats" } th.n { "in use" }
                    th.n { "reclaimable" } th.n { "monthly saving" } } }
                tbody {
                    @for a in &report.accounts {
                        tr data-account=(a.account) {
                            td { (a.account) }
                            td.n data-figure="paid" { (grouped(a.licensed_seats)) }
                            td.n data-figure="in-use" { (grouped(a.usage.in_use())) }
                            td.n data-figure="reclaimable" {
                                @match &a.reclaim { Some(r) => (grouped(r.candidates)), None => "—" }
                            }
                            td.n data-figure="saving" {
                                @match a.reclaim.as_ref().and_then(|r| r.saving.as_ref()) {
                                    Some(m) => (money(m)), None => "—"
                                }
                            }
                        }
                    }
                    @if report.accounts.len() > 1 {
                        tr data-account="(total)" {
                            th { "total" }
                            td.n data-figure="paid" { (grouped(sum(|a| a.licensed_seats))) }
                            td.n data-figure="in-use" { (grouped(sum(|a| a.usage.in_use()))) }
                            td.n data-figure="reclaimable" {
                                @if reclaimed { (grouped(sum(candidates))) } @else { "—" }
                            }
                            td.n data-figure="saving" {
                                @match total_saving(report) { Some(m) => (money(&m)), None => "—" }
                            }
                        }
                    }
                }
            }
            @if report.accounts.iter().any(|a| a.licensed_seats == 0) {
                p.note { "An account with no licensed seat has nothing to use or reclaim." }
            }
            @for a in report.accounts.iter().filter(|a| a.reclaim.is_none()) {
                p.note { (a.account) ": no reclaim for this day; run "
                    code { "zoom-licenses reclaim" } " for it to list the seats to take back." }
            }
            @if report.accounts.iter().any(|a| a.reclaim.as_ref().is_some_and(|r| r.saving.is_none())) {
                p.note { "No price list was given to reclaim: run it with "
                    code { "--prices FILE" } " to see what reclaiming saves." }
            }
        }
    }
}

fn plans(report: &Report) -> Markup {
    let mut total: BTreeMap<&str, u64> = BTreeMap::new();
    for a in &report.accounts {
        for (plan, n) in &a.by_plan {
            *total.entry(plan.as_str()).or_default() += n;
        }
    }
    let bars: Vec<(String, u64)> = total.iter().map(|(p, n)| (p.to_string(), *n)).collect();
    html! {
        h2 { "Users by plan" }
        @if bars.iter().all(|b| b.1 == 0) {
            p.note { "No users." }
        } @else {
            (chart::bars("Users by plan", &bars))
            table {
                thead { tr { th { "plan" } @for a in &report.accounts { th.n { (a.account) } } } }
                tbody {
                    @for (plan, _) in &total {
                        tr { td { (plan) }
                            @for a in &report.accounts {
                                td.n data-plan=(plan) data-account=(a.account) {
                                    (a.by_plan.get(*plan).copied().unwrap_or(0))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn usage(report: &Report) -> Markup {
    html! {
        h2 { "Licensed seats by use" }
        @for a in &report.accounts {
            h3 { (a.account) }
            @if a.licensed_seats == 0 {
                p.note { "No licensed seats." }
            } @else {
                @let u = &a.usage;
                @let bars = use_bars(u);
                (chart::bars("Licensed seats by use", &bars))
                table {
                    tbody {
                        @for (label, n) in &bars {
                            tr { td { (label) } td.n data-use=(label) data-account=(a.account) { (n) } }
                        }
                    }
                }
                p.note { "Seen: a login" (if u.with_activity { " or a sign-in (the sign-in report)" } else { "" })
                    " in the last " (u.idle_days) " days." }
            }
            @for m in &a.missing {
                p.note { "Not shown: " (m.shows) ", from " code { (m.table) } ", which this run did not read; "
                    "extract with " code { (m.flag) } " to add it." }
            }
        }
    }
}

/// The categories of [`Usage`], labelled, in the page's order.
fn use_bars(u: &crate::Usage) -> Vec<(String, u64)> {
    let seen = match u.hosting {
        Some(_) => "seen, not hosting",
        None => "seen",
    };
    let hosting = u.hosting.map(|h| ("hosting meetings".to_string(), h));
    hosting
        .into_iter()
        .chain([
            (seen.to_string(), u.seen),
            (format!("idle ({}+ days)", u.idle_days), u.idle),
            ("never logged in".to_string(), u.never_logged_in),
            ("pending invitation".to_string(), u.pending),
        ])
        .collect()
}

fn trend(report: &Report) -> Markup {
    let labels: Vec<String> = report.trend.iter().map(|p| p.date.to_string()).collect();
    let series = [
        (
            "licensed",
            report.trend.iter().map(|p| Some(p.licensed)).collect(),
        ),
        (
            "basic",
            report.trend.iter().map(|p| Some(p.basic)).collect(),
        ),
        (
            "pending",
            report.trend.iter().map(|p| Some(p.pending)).collect(),
        ),
        (
            "reclaimable",
            report.trend.iter().map(|p| p.reclaimable).collect(),
        ),
    ];
    html! {
        h2 { "Trend, last " (report.trend_days) " days" }
        @if report.trend.len() < 2 {
            p.note { "No earlier partition in the last " (report.trend_days)
                " days: the trend starts with the next day's run." }
        } @else {
            (chart::lines("Licensed, basic, pending and reclaimable seats per day", &labels, &series))
        }
        @if !report.trend.is_empty() {
            table {
                thead { tr { th { "date" } th.n { "licensed" } th.n { "basic" } th.n { "pending" } th.n { "reclaimable" } } }
                tbody {
                    @for p in &report.trend {
                        tr data-date=(p.date) {
                            td { (p.date) } td.n { (p.licensed) } td.n { (p.basic) } td.n { (p.pending) }
                            td.n { @match p.reclaimable { Some(n) => (n), None => "—" } }
                        }
                    }
                }
            }
        }
    }
}

fn changes(report: &Report) -> Markup {
    html! {
        h2 { "Changes since the previous run" }
        @for a in &report.accounts {
            h3 { (a.account) }
            @match &a.changes {
                None => p.note { "No changes for this day: the account's first day, or "
                    code { "zoom-licenses changes" } " did not run for it." },
                Some(c) => {
                    p { "Since " (c.since.map(|d| d.to_string()).unwrap_or_else(|| "the previous run".into())) ":" }
                    table {
                        tbody {
                            @for (kind, n) in &c.by_change {
                                tr { td { (kind) } td.n data-change=(kind) data-account=(a.account) { (n) } }
                            }
                        }
                    }
                    @if !c.first_rows.is_empty() {
                        table {
                            thead { tr { th { "change" } th { "email" } th { "from" } th { "to" } } }
                            tbody {
                                @for r in &c.first_rows {
                                    tr { td { (r.change) } td { (r.email) }
                                        td { (r.before.as_deref().unwrap_or("")) } td { (r.after.as_deref().unwrap_or("")) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn candidates(report: &Report) -> Markup {
    html! {
        h2 { "Seats to take back" }
        @for a in &report.accounts {
            h3 { (a.account) }
            @match &a.reclaim {
                None => p.note { "Not reclaimed for this day." },
                Some(r) if r.rows.is_empty() => p.note { "No seat to take back." },
                Some(r) => (reclaim_rows(r)),
            }
        }
    }
}

fn reclaim_rows(r: &ReclaimDay) -> Markup {
    let mut by_reason: BTreeMap<&str, Vec<&crate::Candidate>> = BTreeMap::new();
    for c in &r.rows {
        by_reason.entry(c.reason.as_str()).or_default().push(c);
    }
    html! {
        @for (reason, rows) in &by_reason {
            @let departments = departments(rows);
            h4 { (reason) ": " (rows.len()) " (" (rows[0].action.replace('_', " ")) ")" }
            table {
                thead { tr { th { "department" } th.n { "seats" } } }
                tbody { @for (d, n) in &departments { tr { td { (d) } td.n data-department=(d) data-reason=(reason) { (n) } } } }
            }
            table {
                thead { tr { th { "email" } th { "name" } th { "department" } th.n { "days idle" }
                    th.n { "meetings hosted" } th.n { "monthly saving" } th { "add-ons" } } }
                tbody {
                    @for c in rows.iter().take(ROWS_SHOWN) {
                        tr {
                            td { (c.email) } td { (c.display_name.as_deref().unwrap_or("")) }
                            td { (c.department.as_deref().unwrap_or("")) }
                            td.n { @if let Some(d) = c.days_idle { (d) } }
                            td.n { @if let Some(m) = c.meetings_hosted { (m) } }
                            td.n { @if let Some(m) = &c.saving { (money(m)) } }
                            td { (c.addons.join(", ")) }
                        }
                    }
                }
            }
            @if rows.len() > ROWS_SHOWN {
                p.note { "The first " (ROWS_SHOWN) " of " (rows.len()) "; all are in "
                    code { "zoom_reclaim_candidates" } "." }
            }
        }
    }
}

/// Candidates per department (`(none)` for none).
fn departments<'a>(rows: &[&'a crate::Candidate]) -> BTreeMap<&'a str, u64> {
    let mut out = BTreeMap::new();
    for c in rows {
        let department = c.department.as_deref().filter(|d| !d.is_empty());
        *out.entry(department.unwrap_or("(none)")).or_default() += 1;
    }
    out
}

fn footer(report: &Report) -> Markup {
    html! {
        footer {
            p { "Made by zoom-licenses " (report.tool_version) " from these runs and tables:" }
            ul {
                @for a in &report.accounts {
                    li { (a.account) ": run " code { (a.run_id) } ", extracted " (a.extracted_at) "; "
                        (a.sources.join(", ")) }
                }
            }
        }
    }
}
