//! The order of `zoom_user_changes` rows, as docs/derived-tables.md gives it: "Rows of the later
//! run come first, in its order, then the users who left, in the earlier run's order." The runs
//! here are large enough to be read back in more than one batch (of 8,192 rows), and their page
//! order is neither the keys' order, nor the emails', nor the earlier run's, so any sorting or
//! regrouping of the rows shows.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use serde_json::{Value, json};

/// Users per page of the recordings (Zoom's page size on older accounts).
const PAGE: usize = 300;
/// Active users of the earlier run: more than one batch.
const ACTIVE: usize = 9000;
/// The end of the numbers of the earlier run's 300 invitations.
const PENDING_END: usize = ACTIVE + 300;

/// A stand-in for a shuffle: the numbers `0..n` in an order far from sorted (a multiplicative
/// step coprime with `n`), different for each `seed`.
fn scrambled(n: usize, seed: usize) -> Vec<usize> {
    let step = (1..n)
        .map(|k| (k * 7919 + seed * 104_729) % n)
        .find(|s| *s > 1 && gcd(*s, n) == 1)
        .unwrap();
    (0..n).map(|i| (i * step + seed) % n).collect()
}

fn gcd(a: usize, b: usize) -> usize {
    match b {
        0 => a,
        _ => gcd(b, a % b),
    }
}

/// Writes a recording of `sweeps` (status and users), each sweep in pages of [`PAGE`] chained by
/// page tokens, the sweeps' pages interleaved as a live run fetches them.
fn record(dir: &Path, sweeps: &[(&str, Vec<Value>)]) {
    std::fs::create_dir_all(dir.join("pages")).unwrap();
    let chunked: Vec<(&str, Vec<&[Value]>)> = sweeps
        .iter()
        .map(|(status, users)| {
            let mut pages: Vec<&[Value]> = users.chunks(PAGE).collect();
            if pages.is_empty() {
                pages.push(&[]);
            }
            (*status, pages)
        })
        .collect();
    let most = chunked.iter().map(|(_, p)| p.len()).max().unwrap_or(0);
    let mut index = Vec::new();
    for n in 0..most {
        for (status, pages) in &chunked {
            let Some(users) = pages.get(n) else { continue };
            let file = format!("pages/{:05}-{status}.json", index.len() + 1);
            let next = match n + 1 < pages.len() {
                true => format!("{status}-token-{}", n + 1),
                false => String::new(),
            };
            let total: usize = pages.iter().map(|p| p.len()).sum();
            let body = json!({
                "page_size": PAGE, "total_records": total, "next_page_token": next,
                "users": users,
            });
            std::fs::write(dir.join(&file), body.to_string()).unwrap();
            let token = (n > 0).then(|| format!("{status}-token-{n}"));
            index.push(json!({
                "file": file,
                "request": {
                    "endpoint": "users",
                    "query": {"page_size": PAGE.to_string(), "status": status},
                    "page_token": token,
                },
                "http_status": 200,
                "fetched_at": "2026-11-30T23:00:00Z",
            }));
        }
    }
    let index = json!({
        "format": "zoom-licenses/recorded-run", "version": 2, "account_id": "acct1",
        "recorded_at": "2026-11-30T23:00:00Z", "pages": index,
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

fn user(id: &str, email: &str, plan: u8, dept: &str, status: &str) -> Value {
    zoom_user(
        id,
        email,
        plan,
        dept,
        status,
        Some("2025-01-01T00:00:00Z"),
        None,
    )
}

/// The earlier run: 9,000 active users and 300 pending ones, in a scrambled order of ids.
fn earlier() -> Vec<(&'static str, Vec<Value>)> {
    let active = scrambled(ACTIVE, 1)
        .into_iter()
        .map(|n| {
            let plan = if n % 2 == 0 { 2 } else { 1 };
            let email = format!("a{n:05}@x.example");
            user(
                &format!("u{n:05}"),
                &email,
                plan,
                &format!("D{}", n % 4),
                "active",
            )
        })
        .collect();
    let pending = scrambled(300, 2)
        .into_iter()
        .map(|n| user("", &format!("p{n:05}@x.example"), 2, "", "pending"))
        .collect();
    vec![
        ("active", active),
        ("pending", pending),
        ("inactive", vec![]),
    ]
}

/// The later run, in another scrambled order: of the earlier active users, every 7th is gone
/// (deleted) and every 11th deactivated (listed inactive), every 5th has another plan and every
/// 3rd another department; every 4th invitation was accepted (a new id, the email in capitals),
/// every 9th withdrawn; and 1,200 users joined, spread through the list (more than a batch in all).
fn later() -> Vec<(&'static str, Vec<Value>)> {
    let mut active = Vec::new();
    let mut inactive = Vec::new();
    let mut pending = Vec::new();
    let order = scrambled(ACTIVE + 300 + 1200, 3);
    for n in order {
        match n {
            0..ACTIVE if n % 7 == 0 => {}
            0..ACTIVE => {
                let plan = match (n % 2 == 0, n % 5 == 0) {
                    (true, false) | (false, true) => 2,
                    _ => 1,
                };
                let dept = match n % 3 {
                    0 => format!("E{}", n % 4),
                    _ => format!("D{}", n % 4),
                };
                let (id, email) = (format!("u{n:05}"), format!("a{n:05}@x.example"));
                match n % 11 {
                    0 => inactive.push(user(&id, &email, plan, &dept, "inactive")),
                    _ => active.push(user(&id, &email, plan, &dept, "active")),
                }
            }
            ACTIVE..PENDING_END => {
                let p = n - ACTIVE;
                let email = format!("p{p:05}@x.example");
                match (p % 4, p % 9) {
                    (0, _) => active.push(user(
                        &format!("v{p:05}"),
                        &email.to_uppercase(),
                        2,
                        "",
                        "active",
                    )),
                    (_, 0) => {}
                    _ => pending.push(user("", &email, 2, "", "pending")),
                }
            }
            _ => {
                let j = n - PENDING_END;
                let email = format!("j{j:05}@x.example");
                active.push(user(&format!("w{j:05}"), &email, 1, "D0", "active"));
            }
        }
    }
    vec![
        ("active", active),
        ("pending", pending),
        ("inactive", inactive),
    ]
}

/// A license row's fields the changes go by.
#[derive(Debug, Clone)]
struct Row {
    key: String,
    email: String,
    status: String,
    plan: String,
    department: Option<String>,
}

fn rows_of(path: &Path) -> Vec<Row> {
    let text = |v: &Value, k: &str| v[k].as_str().map(str::to_string);
    ndjson_file(path)
        .iter()
        .map(|v| Row {
            key: text(v, "user_key").unwrap(),
            email: text(v, "email").unwrap(),
            status: text(v, "status").unwrap(),
            plan: text(v, "plan").unwrap(),
            department: text(v, "department"),
        })
        .collect()
}

/// The changes docs/derived-tables.md describes, in the order it gives, worked out from the two
/// runs' license tables as written: each user's key and the set of its change kinds.
fn documented_changes(from: &[Row], to: &[Row]) -> Vec<(String, BTreeSet<String>)> {
    let earlier: BTreeMap<&str, &Row> = from.iter().map(|r| (r.key.as_str(), r)).collect();
    let mut matched = BTreeSet::new();
    let mut changes = Vec::new();
    for row in to {
        let invited = format!("pending:{}", row.email.to_lowercase());
        let (before, activated) = match earlier.get(row.key.as_str()) {
            Some(before) => (Some(*before), false),
            None if row.status == "active" && !matched.contains(&invited) => {
                match earlier.get(invited.as_str()) {
                    Some(before) if before.status == "pending" => (Some(*before), true),
                    _ => (None, false),
                }
            }
            None => (None, false),
        };
        let mut kinds = BTreeSet::new();
        match before {
            None => {
                kinds.insert("joined".to_string());
            }
            Some(before) => {
                matched.insert(before.key.clone());
                if activated {
                    kinds.insert("activated".to_string());
                }
                if before.plan != row.plan {
                    kinds.insert("plan_changed".to_string());
                }
                if before.department != row.department {
                    kinds.insert("department_changed".to_string());
                }
            }
        }
        if !kinds.is_empty() {
            changes.push((row.key.clone(), kinds));
        }
    }
    for row in from {
        if !matched.contains(&row.key) {
            changes.push((row.key.clone(), BTreeSet::from(["left".to_string()])));
        }
    }
    changes
}

/// Each user's key and kinds as the changes table lists them, one entry per run of rows of the
/// same user (so a user whose rows were split apart shows twice).
fn listed_changes(rows: &[Value]) -> Vec<(String, BTreeSet<String>)> {
    let mut listed: Vec<(String, BTreeSet<String>)> = Vec::new();
    for row in rows {
        let key = row["user_key"].as_str().unwrap().to_string();
        let kind = row["change"].as_str().unwrap().to_string();
        match listed.last_mut() {
            Some((last, kinds)) if *last == key => {
                kinds.insert(kind);
            }
            _ => listed.push((key, BTreeSet::from([kind]))),
        }
    }
    listed
}

#[test]
fn change_rows_follow_the_later_run_then_the_earlier_runs_order_for_those_who_left() {
    let work = tempfile::tempdir().unwrap();
    for (day, sweeps, as_of) in [
        ("d1", earlier(), "2026-11-30T06:00:00Z"),
        ("d2", later(), "2026-12-01T06:00:00Z"),
    ] {
        let recording = work.path().join(format!("rec-{day}"));
        record(&recording, &sweeps);
        zoom_licenses()
            .args(["-q", "extract", "--format", "ndjson", "--replay"])
            .arg(&recording)
            .args(["--as-of", as_of, "--output"])
            .arg(work.path().join(format!("{day}/u.ndjson")))
            .assert()
            .success();
    }
    let from = rows_of(&work.path().join("d1/u.ndjson"));
    let to = rows_of(&work.path().join("d2/u.ndjson"));
    // Every active and pending user is a row (all plans here are supported).
    let listed = |sweeps: Vec<(&str, Vec<Value>)>| -> usize {
        sweeps
            .iter()
            .filter(|(status, _)| *status != "inactive")
            .map(|(_, users)| users.len())
            .sum()
    };
    assert_eq!((from.len(), to.len()), (listed(earlier()), listed(later())));
    assert!(
        from.len().min(to.len()) > 8192,
        "each run spans more than one batch"
    );

    let output = zoom_licenses()
        .args(["-q", "changes", "--from"])
        .arg(work.path().join("d1/u_manifest.json"))
        .arg("--to")
        .arg(work.path().join("d2/u_manifest.json"))
        .arg("--output")
        .arg(work.path().join("changes.ndjson"))
        .output()
        .unwrap();
    assert_succeeded(&output);
    let rows = ndjson_file(&work.path().join("changes.ndjson"));
    let listed = listed_changes(&rows);
    let expected = documented_changes(&from, &to);

    // Every kind is there in numbers, so the order below is tested on each.
    let count = |kind: &str| expected.iter().filter(|(_, k)| k.contains(kind)).count();
    for kind in [
        "joined",
        "left",
        "activated",
        "plan_changed",
        "department_changed",
    ] {
        assert!(count(kind) >= 40, "only {} {kind}", count(kind));
    }
    // Neither the later run's order nor the order of those who left is the keys' order.
    let keys: Vec<&String> = expected.iter().map(|(k, _)| k).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_ne!(keys, sorted);

    assert_eq!(
        listed.len(),
        expected.len(),
        "rows of one user apart, or lost"
    );
    for (n, (got, want)) in listed.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "change {n} (of {}) out of place", expected.len());
    }
}
