//! The page: sections in the order a license manager reads them, each chart followed by a table
//! of its numbers, and a sentence instead of a chart where there is nothing to draw.

use std::collections::BTreeMap;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::chart;
use crate::figures::{AccountDay, Candidate, Money, ReclaimDay, Report, Usage};

/// Candidates listed per reason and account; the rest are in the table.
const ROWS_SHOWN: usize = 200;

/// The style sheet, inline: the page fetches nothing.
const STYLE: &str = "
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2430; margin: 2em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ccd; }
table { border-collapse: collapse; margin: 0.6em 0 1em; } th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #e3e6ee; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.headline td.n { font-size: 1.25em; font-weight: 600; } table.rows { font-size: 0.85em; }
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
                    (if report.accounts.len() == 1 { "" } else { "s" }) " (each run's extraction time below)." }
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

/// The date of an RFC 3339 time (`2026-12-01T18:00:00Z` → `2026-12-01`).
fn day(time: &Option<String>) -> &str {
    time.as_deref().map_or("", |t| t.get(..10).unwrap_or(t))
}

/// The accounts' total savings: every account reclaimed with a price list in one currency.
fn total_saving(report: &Report) -> Option<Money> {
    let mut total: Option<Money> = None;
    for account in &report.accounts {
        let saving = account.reclaim.as_ref()?.saving.as_ref()?;
        match &mut total {
            None => total = Some(saving.clone()),
            Some(t) if t.currency == saving.currency => t.hundredths += saving.hundredths,
            Some(_) => return None,
        }
    }
    total
}

/// The sum of `f` over the accounts, when every account has it.
fn total(report: &Report, f: impl Fn(&AccountDay) -> Option<u64>) -> Option<u64> {
    report.accounts.iter().map(f).sum()
}

/// `n`, or a dash for a number the day cannot give.
fn or_dash(n: Option<u64>) -> String {
    n.map_or_else(|| "—".to_string(), grouped)
}

/// Seats in use, when the day was reclaimed.
fn in_use(a: &AccountDay) -> Option<u64> {
    a.usage.as_ref().map(Usage::in_use)
}

/// Reclaimable seats, when the day was reclaimed.
fn reclaimable(a: &AccountDay) -> Option<u64> {
    a.reclaim.as_ref().map(|r| r.candidates)
}

fn headline(report: &Report) -> Markup {
    let saving = |a: &AccountDay| {
        a.reclaim
            .as_ref()
            .and_then(|r| r.saving.as_ref())
            .map(money)
    };
    let downgrades: u64 = report
        .accounts
        .iter()
        .filter_map(|a| a.reclaim.as_ref()?.by_reason.get("not_hosting"))
        .sum();
    html! {
        h2 { "Seats" }
        @if report.accounts.is_empty() {
            p.note { "No account has a run on this day." }
        } @else {
            table.headline {
                thead { tr { th { "account" } th { "as of" } th.n { "paid seats" } th.n { "in use" }
                    th.n { "reclaimable" } th.n { "monthly saving" } } }
                tbody {
                    @for a in &report.accounts {
                        tr data-account=(a.account) {
                            td { (a.account) }
                            td { (a.extracted_at) }
                            td.n data-figure="paid" { (grouped(a.licensed_seats)) }
                            td.n data-figure="in-use" { (or_dash(in_use(a))) }
                            td.n data-figure="reclaimable" { (or_dash(reclaimable(a))) }
                            td.n data-figure="saving" { (saving(a).unwrap_or_else(|| "—".into())) }
                        }
                    }
                    @if report.accounts.len() > 1 {
                        tr data-account="(total)" {
                            th { "total" }
                            td {}
                            td.n data-figure="paid" { (or_dash(total(report, |a| Some(a.licensed_seats)))) }
                            td.n data-figure="in-use" { (or_dash(total(report, in_use))) }
                            td.n data-figure="reclaimable" { (or_dash(total(report, reclaimable))) }
                            td.n data-figure="saving" {
                                @match total_saving(report) { Some(m) => (money(&m)), None => "—" }
                            }
                        }
                    }
                }
            }
            @if downgrades > 0 {
                p.note { "Reclaimable seats include " (downgrades) " downgrades to Basic of users who "
                    "sign in but host no meeting (" code { "not_hosting" } "); they are also counted in use." }
            }
            @for a in report.accounts.iter().filter(|a| a.reclaim.is_none()) {
                p.note { (a.account) ": no reclaim of this day's extract, so its seats in use and to "
                    "take back are not known; run " code { "zoom-licenses reclaim" } " for it." }
            }
            @if report.accounts.iter().any(|a| a.reclaim.as_ref().is_some_and(|r| r.saving.is_none())) {
                p.note { "No price list was given to reclaim: run it with "
                    code { "--prices FILE" } " to see what reclaiming saves." }
            }
            @if report.accounts.len() > 1 && total_saving(report).is_none()
                && report.accounts.iter().all(|a| a.reclaim.as_ref().is_some_and(|r| r.saving.is_some())) {
                p.note { "The accounts' prices are in different currencies: no total." }
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
    let bars: Vec<(String, u64, usize)> = total
        .iter()
        .enumerate()
        .map(|(i, (p, n))| (p.to_string(), *n, i))
        .collect();
    html! {
        h2 { "Users by plan" }
        @if bars.iter().all(|b| b.1 == 0) {
            p.note { "No users." }
        } @else {
            (chart::bars("Users by plan, all accounts", &bars))
            table {
                thead { tr { th { "plan" } @for a in &report.accounts { th.n { (a.account) } } th.n { "all accounts" } } }
                tbody {
                    @for (plan, n) in &total {
                        tr { td { (plan) }
                            @for a in &report.accounts {
                                td.n data-plan=(plan) data-account=(a.account) {
                                    (a.by_plan.get(*plan).copied().unwrap_or(0))
                                }
                            }
                            td.n data-plan=(plan) data-account="(total)" { (n) }
                        }
                    }
                }
            }
        }
    }
}

/// The categories of [`Usage`], labelled, each with its own colour, in the page's order.
fn use_bars(u: &Usage) -> Vec<(String, u64, usize)> {
    let seen = match u.hosting {
        Some(_) => "seen, not hosting",
        None => "seen",
    };
    let hosting = u.hosting.map(|h| ("hosting meetings".to_string(), h, 0));
    hosting
        .into_iter()
        .chain([
            (seen.to_string(), u.seen, 1),
            (format!("idle ({}+ days)", u.idle_days), u.idle, 2),
            ("never logged in".to_string(), u.never_logged_in, 3),
            ("pending invitation".to_string(), u.pending, 4),
        ])
        .collect()
}

fn usage(report: &Report) -> Markup {
    html! {
        h2 { "Licensed seats by use" }
        @for a in &report.accounts {
            h3 { (a.account) }
            @match &a.usage {
                None => p.note { "Not known without the day's reclaim: run "
                    code { "zoom-licenses reclaim" } " for it." },
                Some(_) if a.licensed_seats == 0 => p.note { "No licensed seats." },
                Some(u) => {
                    @let bars = use_bars(u);
                    (chart::bars("Licensed seats by use", &bars))
                    table {
                        tbody {
                            @for (label, n, _) in &bars {
                                tr { td { (label) } td.n data-use=(label) data-account=(a.account) { (n) } }
                            }
                        }
                    }
                    p.note { "Seen: a login" (if u.with_activity { " or a sign-in (the sign-in report)" } else { "" })
                        " in the last " (u.idle_days) " days. Each seat is counted once, as the day's reclaim judged it." }
                }
            }
            @for m in &a.missing {
                p.note { "Not shown: " (m.shows) ", from " code { (m.table) } ", which this run did not read; "
                    "extract with " code { (m.flag) } " to add it." }
            }
        }
    }
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
            "pending invitations",
            report.trend.iter().map(|p| Some(p.pending)).collect(),
        ),
        (
            "reclaimable",
            report.trend.iter().map(|p| p.reclaimable).collect(),
        ),
    ];
    html! {
        h2 { "Trend, last " (report.trend_days) " days" }
        @if !report.partitioned {
            p.note { "A run written to files has no earlier partitions: extract with "
                code { "--output-dir" } " every day for the trend." }
        } @else if report.trend.len() < 2 {
            p.note { "No earlier partition in the last " (report.trend_days)
                " days: the trend starts with the next day's run." }
        } @else {
            (chart::lines("Licensed, basic, pending and reclaimable seats per day", &labels, &series))
        }
        @if !report.trend.is_empty() {
            table {
                thead { tr { th { "date" } th.n { "licensed" } th.n { "basic" }
                    th.n { "pending invitations" } th.n { "reclaimable" } } }
                tbody {
                    @for p in &report.trend {
                        tr data-date=(p.date) {
                            td { (p.date) } td.n { (p.licensed) } td.n { (p.basic) } td.n { (p.pending) }
                            td.n { (or_dash(p.reclaimable)) }
                        }
                    }
                }
            }
            p.note { "Licensed and basic: users on those plans; pending invitations: on any plan; "
                "reclaimable: a dash on a day some account was not reclaimed." }
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
                    p { "Since the run extracted at " (c.since.as_deref().unwrap_or("(not known)")) ":" }
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

/// The department a candidate is grouped under.
fn department(c: &Candidate) -> &str {
    c.department
        .as_deref()
        .filter(|d| !d.is_empty())
        .unwrap_or("(none)")
}

fn reclaim_rows(r: &ReclaimDay) -> Markup {
    let mut by_reason: BTreeMap<&str, Vec<&Candidate>> = BTreeMap::new();
    for c in &r.rows {
        by_reason.entry(c.reason.as_str()).or_default().push(c);
    }
    for rows in by_reason.values_mut() {
        rows.sort_by(|a, b| (department(a), &a.email).cmp(&(department(b), &b.email)));
    }
    let currency = r.saving.as_ref().map(|m| m.currency.clone());
    html! {
        @for (reason, rows) in &by_reason {
            @let departments = departments(rows);
            h4 data-reason=(reason) {
                (reason) ": " (rows.len()) " seats (" (rows[0].action.replace('_', " ")) ")"
                @if let (Some(currency), Some(cents)) = (&currency, r.saving_by_reason.get(*reason)) {
                    ", saving " (money(&Money { currency: currency.clone(), hundredths: *cents })) " a month"
                }
            }
            table {
                thead { tr { th { "department" } th.n { "seats" } } }
                tbody { @for (d, n) in &departments { tr { td { (d) } td.n data-department=(d) data-reason=(reason) { (n) } } } }
            }
            table.rows {
                thead { tr { th { "department" } th { "email" } th { "name" } th { "last login" } th { "last sign-in" }
                    th.n { "days idle" } th.n { "days since created" } th.n { "meetings hosted" }
                    th.n { "monthly saving" } th { "add-ons" } } }
                tbody {
                    @for c in rows.iter().take(ROWS_SHOWN) {
                        tr data-reason=(reason) {
                            td { (c.department.as_deref().unwrap_or("")) }
                            td { (c.email) } td { (c.display_name.as_deref().unwrap_or("")) }
                            td { (day(&c.last_login_at)) } td { (day(&c.last_sign_in_at)) }
                            td.n { @if let Some(d) = c.days_idle { (d) } }
                            td.n { @if let Some(d) = c.days_since_created { (d) } }
                            td.n { @if let Some(m) = c.meetings_hosted { (m) } }
                            td.n { @if let Some(m) = &c.saving { (money(m)) } }
                            td { (c.addons.join(", ")) }
                        }
                    }
                }
            }
            @if rows.len() > ROWS_SHOWN {
                p.note { "The first " (ROWS_SHOWN) " of " (rows.len()) ", by department; all are in "
                    code { "zoom_reclaim_candidates" } "." }
            }
        }
    }
}

/// Candidates per department (`(none)` for none).
fn departments<'a>(rows: &[&'a Candidate]) -> BTreeMap<&'a str, u64> {
    let mut out = BTreeMap::new();
    for c in rows {
        *out.entry(department(c)).or_default() += 1;
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
                        (a.sources.join("; ")) }
                }
            }
        }
    }
}
