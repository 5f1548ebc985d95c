//! `reclaim` with the hosts report, a price list and a keep list, through the binary, over the
//! recorded `fixtures/hosting` (recorded from `mock-zoom` with `MOCK_ZOOM_HOSTING=1`: every even
//! user hosts, every seventh logged in 200 days ago). The expected candidates, actions and savings
//! are worked out here from the recorded JSON by the documented rules (docs/derived-tables.md),
//! not by the tool's code.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use serde_json::{Value, json};

const AS_OF: &str = "2026-12-01T18:00:00Z";
/// The hosts report's window of the recording: 90 days ending on the run's day.
const WINDOW_START: &str = "2026-09-03";
const PRICES: &str = "currency = \"EUR\"\n[per_month]\nlicensed = 13.99\nlarge_meeting = 45.5\n\
                      webinar = 69\nzoom_phone = 8.25\n";

/// One licensed user of the recording, as the JSON has it.
#[derive(Debug)]
struct Recorded {
    id: Option<String>,
    email: String,
    status: String,
    login: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
    meetings: i64,
    /// Priced add-ons on in its settings, with their price in cents.
    addon_cents: i64,
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().map(|t| t.parse().unwrap())
}

/// The licensed users of `fixtures/hosting`, with the meetings the report gives each id and the
/// priced add-ons its settings hold.
fn recorded() -> Vec<Recorded> {
    let dir = fixture("hosting");
    let index = json_file(dir.join("index.json"));
    let mut meetings: BTreeMap<String, i64> = BTreeMap::new();
    let mut addons: BTreeMap<String, i64> = BTreeMap::new();
    let mut users = Vec::new();
    let prices = [
        ("large_meeting", 4550),
        ("webinar", 6900),
        ("zoom_phone", 825),
    ];
    for page in index["pages"].as_array().unwrap() {
        let body = json_file(dir.join(page["file"].as_str().unwrap()));
        let request = &page["request"];
        match request["endpoint"].as_str().unwrap() {
            "users" => users.extend(body["users"].as_array().unwrap().clone()),
            "report/users" => {
                for host in body["users"].as_array().unwrap() {
                    let id = host["id"].as_str().unwrap().to_string();
                    *meetings.entry(id).or_default() += host["meetings"].as_i64().unwrap();
                }
            }
            "users/{userId}/settings" => {
                let id = request["query"]["userId"].as_str().unwrap().to_string();
                let on = |name: &str| body["feature"][name] == json!(true);
                let cents = prices.iter().filter(|(n, _)| on(n)).map(|(_, c)| c).sum();
                addons.insert(id, cents);
            }
            _ => {}
        }
    }
    users
        .iter()
        .filter(|u| u["type"] == 2)
        .map(|u| {
            let id = u["id"].as_str().map(str::to_string);
            let of = |map: &BTreeMap<String, i64>| {
                id.as_ref().and_then(|i| map.get(i)).copied().unwrap_or(0)
            };
            Recorded {
                email: u["email"].as_str().unwrap().to_string(),
                status: u["status"].as_str().unwrap().to_string(),
                login: time(&u["last_login_time"]),
                created: time(&u["user_created_at"]),
                meetings: of(&meetings),
                addon_cents: of(&addons),
                id,
            }
        })
        .collect()
}

/// What a reclaim at `AS_OF` with the default thresholds lists, by email: (reason, action,
/// saving in cents). Whole days to the run's time; hosting in the window rules out idle.
fn expected() -> BTreeMap<String, (&'static str, &'static str, i64)> {
    let as_of: DateTime<Utc> = AS_OF.parse().unwrap();
    let window_start = NaiveDate::parse_from_str(WINDOW_START, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let days = |t: DateTime<Utc>| (as_of - t).num_days();
    let mut out = BTreeMap::new();
    for u in recorded() {
        let reason = match (u.status.as_str(), u.login) {
            ("pending", _) if u.created.is_some_and(|c| days(c) >= 30) => "pending_invitation",
            ("active", Some(login)) if days(login) >= 90 && u.meetings == 0 => "idle",
            ("active", Some(login)) if days(login) < 90 && u.meetings == 0 => match u.created {
                Some(c) if c <= window_start => "not_hosting",
                _ => continue,
            },
            _ => continue,
        };
        let (action, cents) = match reason {
            "not_hosting" => ("downgrade_to_basic", 1399),
            _ => ("remove", 1399 + u.addon_cents),
        };
        out.insert(u.email, (reason, action, cents));
    }
    out
}

/// Replays the fixture into `dir/u.parquet`.
fn replay(dir: &Path) {
    zoom_licenses()
        .args(["-q", "extract", "--as-of", AS_OF, "--replay"])
        .arg(fixture("hosting"))
        .arg("--output")
        .arg(dir.join("u.parquet"))
        .assert()
        .success();
}

/// `reclaim` of the replayed run into NDJSON at `dir/r.ndjson`, with `extra` flags.
fn reclaim(dir: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = zoom_licenses();
    cmd.arg("reclaim")
        .arg("--input")
        .arg(dir.join("u_manifest.json"))
        .arg("--output")
        .arg(dir.join("r.ndjson"))
        .args(extra);
    cmd
}

/// The candidates written, by email: (reason, action, saving in cents or null).
fn written(dir: &Path) -> BTreeMap<String, (String, String, Value)> {
    ndjson_file(&dir.join("r.ndjson"))
        .into_iter()
        .map(|row| {
            let text = |c: &str| row[c].as_str().unwrap().to_string();
            let cents = match &row["monthly_saving"] {
                Value::Null => Value::Null,
                // Cents as written: `65.99` is 6599.
                n => json!((n.as_f64().unwrap() * 100.0).round() as i64),
            };
            (text("email"), (text("reason"), text("action"), cents))
        })
        .collect()
}

#[test]
fn candidates_actions_and_savings_are_what_the_recorded_json_gives() {
    let dir = tempfile::tempdir().unwrap();
    replay(dir.path());
    let prices = dir.path().join("prices.toml");
    std::fs::write(&prices, PRICES).unwrap();
    let output = reclaim(dir.path(), &["--prices", prices.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = assert_succeeded(&output);

    let want = expected();
    let reasons: BTreeSet<&str> = want.values().map(|w| w.0).collect();
    assert_eq!(
        reasons,
        BTreeSet::from(["idle", "not_hosting", "pending_invitation"]),
        "the fixture should hold every reason but never_logged_in"
    );
    assert!(
        want.values().any(|w| w.0 == "idle" && w.2 > 1399),
        "an idle user with a priced add-on"
    );
    let got = written(dir.path());
    let got_plain: BTreeMap<String, (&str, &str, i64)> = got
        .iter()
        .map(|(e, (r, a, c))| (e.clone(), (r.as_str(), a.as_str(), c.as_i64().unwrap())))
        .collect();
    let want_plain: BTreeMap<String, (&str, &str, i64)> = want
        .iter()
        .map(|(e, (r, a, c))| (e.clone(), (*r, *a, *c)))
        .collect();
    assert_eq!(got_plain, want_plain);

    // The summary's totals, per reason, equal the sums of the expected rows.
    let m = json_file(dir.path().join("r_manifest.json"));
    let saving = &m["summary"]["monthly_saving"];
    assert_eq!(saving["currency"], "EUR");
    assert_eq!(saving["addons_counted"], true);
    let cents = |v: &Value| (v.as_f64().unwrap() * 100.0).round() as i64;
    let total: i64 = want.values().map(|w| w.2).sum();
    assert_eq!(cents(&saving["total"]), total);
    for reason in &reasons {
        let sum: i64 = want.values().filter(|w| w.0 == *reason).map(|w| w.2).sum();
        assert_eq!(cents(&saving["by_reason"][reason]), sum, "{reason}");
    }
    let as_of: DateTime<Utc> = AS_OF.parse().unwrap();
    let hosted_idle = recorded()
        .iter()
        .filter(|u| u.status == "active" && u.meetings > 0)
        .filter(|u| u.login.is_some_and(|l| (as_of - l).num_days() >= 90))
        .count();
    assert!(
        hosted_idle > 0,
        "the fixture should hold hosts with old logins"
    );
    assert_eq!(m["summary"]["hosting_without_login"], hosted_idle);
    assert_eq!(m["summary"]["hosting_days"], 90);
    let money = format!("saves EUR {}.{:02} a month", total / 100, total % 100);
    assert!(stderr.contains(&money), "{stderr}");
    assert!(
        stderr.contains("not hosting (no meeting hosted in the 90 days"),
        "{stderr}"
    );
}

#[test]
fn without_a_price_list_savings_are_null_and_the_summary_says_how() {
    let dir = tempfile::tempdir().unwrap();
    replay(dir.path());
    let output = reclaim(dir.path(), &[]).output().unwrap();
    let stderr = assert_succeeded(&output);
    let rows = ndjson_file(&dir.path().join("r.ndjson"));
    assert_eq!(rows.len(), expected().len());
    assert!(
        rows.iter()
            .all(|r| r["monthly_saving"].is_null() && r["currency"].is_null())
    );
    assert!(
        stderr.contains("monthly saving unknown: give --prices FILE"),
        "{stderr}"
    );
    let m = json_file(dir.path().join("r_manifest.json"));
    assert!(m["summary"]["monthly_saving"].is_null());
}

#[test]
fn the_keep_list_keeps_users_by_email_id_and_group_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    replay(dir.path());
    let users = recorded();
    let want = expected();
    let id_of = |email: &str| {
        let user = users.iter().find(|u| u.email == email).unwrap();
        user.id.clone().unwrap()
    };
    // An idle user by id, a user who hosts nothing by email in upper case, everyone in the group
    // `Engineering` (group id `-gEngR2d2`), and an entry that is nobody.
    let idle = want.iter().find(|(_, w)| w.0 == "idle").unwrap().0.clone();
    let by_email = want
        .iter()
        .find(|(_, w)| w.0 == "not_hosting")
        .unwrap()
        .0
        .clone();
    let list = format!(
        "# executives and rooms\n{}   # by id\n{}\nEngineering\n\nnobody@example.org\n",
        id_of(&idle),
        by_email.to_uppercase()
    );
    let keep = dir.path().join("keep.txt");
    std::fs::write(&keep, list).unwrap();
    let output = reclaim(dir.path(), &["--keep", keep.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = assert_succeeded(&output);

    let license = read_parquet(&dir.path().join("u.parquet")).0;
    let emails = text_column(&license, "email");
    let groups = license_groups(&license);
    let in_engineering: BTreeSet<String> = emails
        .iter()
        .zip(&groups)
        .filter(|(_, g)| g.iter().any(|g| g == "-gEngR2d2"))
        .map(|(e, _)| e.clone().unwrap())
        .collect();
    let kept: BTreeSet<String> = want
        .keys()
        .filter(|e| **e == idle || **e == by_email || in_engineering.contains(*e))
        .cloned()
        .collect();
    assert!(kept.len() > 2, "the group should keep candidates too");
    let listed: BTreeSet<String> = written(dir.path()).into_keys().collect();
    let remaining: BTreeSet<String> = want
        .keys()
        .filter(|e| !kept.contains(*e))
        .cloned()
        .collect();
    assert_eq!(listed, remaining);
    let m = json_file(dir.path().join("r_manifest.json"));
    assert_eq!(m["summary"]["kept"], kept.len());
    assert_eq!(m["summary"]["keep_entries"], 4);
    assert_eq!(m["summary"]["keep_entries_not_found"], 1);
    assert!(
        stderr.contains("1 of the 4 --keep entries match no user")
            && stderr.contains("nobody@example.org"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{} kept by the --keep list", kept.len())),
        "{stderr}"
    );
}

/// Each license row's `group_ids`.
fn license_groups(batches: &[arrow_array::RecordBatch]) -> Vec<Vec<String>> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    let mut out = Vec::new();
    for batch in batches {
        let lists = batch.column_by_name("group_ids").unwrap().as_list::<i32>();
        for row in 0..batch.num_rows() {
            let values = match lists.is_valid(row) {
                true => lists.value(row),
                false => {
                    out.push(Vec::new());
                    continue;
                }
            };
            let texts = values.as_string::<i32>();
            out.push(texts.iter().map(|t| t.unwrap().to_string()).collect());
        }
    }
    out
}

#[test]
fn price_files_and_windows_that_cannot_be_used_are_refused_with_the_line_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    replay(dir.path());
    let cases: &[(&str, &str)] = &[
        (
            "currency = \"USD\"\n[per_month]\nlicensed = -1\n",
            "line 3: `licensed` is negative",
        ),
        (
            "currency = \"USD\"\n[per_month]\nlicensed = 15.99\nwebinar = \"a lot\"\n",
            "line 4: `webinar` is string, not a price",
        ),
        (
            "currency = \"USD\"\n[per_month]\nlicensed = 15.99\n\nzoom_telepathy = 3\n",
            "line 5: `zoom_telepathy` is neither `licensed` nor a paid add-on",
        ),
        (
            "currency = \"USD\"\n[per_month]\nwebinar = 3\n",
            "gives no `licensed` price",
        ),
    ];
    for (text, message) in cases {
        let prices = dir.path().join("prices.toml");
        std::fs::write(&prices, text).unwrap();
        let output = reclaim(dir.path(), &["--prices", prices.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{text}: {stderr}");
        assert!(
            stderr.contains(&format!("--prices {}: ", prices.display())),
            "{stderr}"
        );
        assert!(stderr.contains(message), "{text}: {stderr}");
        assert!(!dir.path().join("r.ndjson").exists());
        assert!(!dir.path().join("r_manifest.json").exists());
    }
    let missing = dir.path().join("no-such-prices.toml");
    let output = reclaim(dir.path(), &["--prices", missing.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read it"), "{stderr}");

    // A window other than the one read cannot be judged from the summed table.
    let output = reclaim(dir.path(), &["--hosting-days", "30"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("read the hosts report over 90 days (2026-09-03 to 2026-12-01)"),
        "{stderr}"
    );
    assert!(!dir.path().join("r.ndjson").exists());
    // The window read is accepted.
    reclaim(dir.path(), &["--hosting-days", "90"])
        .assert()
        .success();

    // A run without the report has no window at all.
    let plain = tempfile::tempdir().unwrap();
    zoom_licenses()
        .args(["-q", "extract", "--replay"])
        .arg(fixture("sample"))
        .arg("--output")
        .arg(plain.path().join("u.parquet"))
        .assert()
        .success();
    let output = reclaim(plain.path(), &["--hosting-days", "90"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did not read the hosts report"), "{stderr}");
}
