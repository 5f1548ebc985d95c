//! `--with addons`: each licensed user's settings read into `zoom_user_addons`, against the mock.
//! Expectations come from the mock's own users and features, read here with the documented rule (docs/more-tables.md)
//! (on = `true`, or a level other than `None`; capacity from `<name>_capacity`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_feature, generated_users};
use serde_json::Value;

const SCOPES: &str = "user:read:list_users:admin user:read:settings:admin";

/// 100 active users (40 of them licensed: plan type 2), 5 pending (no id), 5 inactive.
async fn mock(configure: impl FnOnce(&mut Account)) -> (MockZoom, BTreeMap<String, Vec<Value>>) {
    let users = generated_users(100, 5, 5);
    let mut account = Account::new(users.clone());
    account.scopes = SCOPES.into();
    configure(&mut account);
    (
        MockZoom::start(account, BTreeMap::new(), Duration::ZERO).await,
        users,
    )
}

fn extract(mock: &MockZoom, out: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = against_mock(mock);
    cmd.args(["extract", "--with", "addons", "--max-rps", "200"])
        .args([
            "--retry-min-delay-ms",
            "20",
            "--format",
            "ndjson",
            "--output",
        ])
        .arg(out.join("u.ndjson"))
        .args(extra);
    cmd
}

/// The active users' ids, the licensed ones only unless `all`.
fn ids(users: &BTreeMap<String, Vec<Value>>, all: bool) -> BTreeSet<String> {
    users["active"]
        .iter()
        .filter(|u| all || u["type"] == 2)
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

/// (user, add-on, capacity) of every add-on on, from the mock's features.
fn expected_addons(ids: &BTreeSet<String>) -> BTreeSet<(String, String, Option<i64>)> {
    let mut want = BTreeSet::new();
    for id in ids {
        let feature = generated_feature(id);
        let feature = feature.as_object().unwrap();
        for (name, value) in feature {
            let on = value == &Value::Bool(true)
                || value.as_str().is_some_and(|v| !v.is_empty() && v != "None");
            if on {
                let capacity = feature
                    .get(&format!("{name}_capacity"))
                    .and_then(Value::as_i64);
                want.insert((id.clone(), name.clone(), capacity));
            }
        }
    }
    want
}

fn written_addons(out: &Path) -> BTreeSet<(String, String, Option<i64>)> {
    ndjson_file(&out.join("u_user_addons.ndjson"))
        .iter()
        .map(|r| {
            (
                r["user_key"].as_str().unwrap().to_string(),
                r["addon"].as_str().unwrap().to_string(),
                r["capacity"].as_i64(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_addons_table_equals_the_mocks_features_for_every_licensed_user() {
    let (mock, users) = mock(|_| {}).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let licensed = ids(&users, false);
    assert_eq!(licensed.len(), 40);
    let requests = mock.seen().settings_requests;
    let asked: BTreeSet<String> = requests.iter().cloned().collect();
    assert_eq!(
        asked, licensed,
        "a settings request per licensed user, no other"
    );
    assert_eq!(requests.len(), licensed.len(), "a user asked twice");
    assert_eq!(written_addons(out.path()), expected_addons(&licensed));
    let rows = ndjson_file(&out.path().join("u_user_addons.ndjson"));
    assert_eq!(
        rows.len(),
        expected_addons(&licensed).len(),
        "a row written twice"
    );
    // Every row carries its add-on's own members of the feature object, and no other.
    for row in &rows {
        let addon = row["addon"].as_str().unwrap();
        let own: Value = serde_json::from_str(row["feature"].as_str().unwrap()).unwrap();
        let own = own.as_object().unwrap();
        assert!(own.contains_key(addon), "{row}");
        let prefix = format!("{addon}_");
        assert!(
            own.keys().all(|k| k == addon || k.starts_with(&prefix)),
            "{row}"
        );
    }
    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["addons"]["users_asked"], 40);
    assert_eq!(m["addons"]["users_read"], 40);
    assert_eq!(m["addons"]["addons"], rows.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn addons_for_all_covers_every_user_with_an_id() {
    let (mock, users) = mock(|_| {}).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &["--addons-for", "all"])).await;
    assert_succeeded(&output);
    let everyone = ids(&users, true);
    let asked: BTreeSet<String> = mock.seen().settings_requests.into_iter().collect();
    assert_eq!(asked, everyone);
    assert_eq!(written_addons(out.path()), expected_addons(&everyone));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_deleted_between_the_list_and_the_settings_is_a_counted_skip() {
    let users = generated_users(100, 5, 5);
    let gone = ids(&users, false).into_iter().next().unwrap();
    let (mock, users) = mock(|a| a.settings_gone = vec![gone.clone()]).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Gone since it was listed"), "{stderr}");
    let mut rest = ids(&users, false);
    rest.remove(&gone);
    assert_eq!(written_addons(out.path()), expected_addons(&rest));
    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["addons"]["users_gone"], 1);
    assert_eq!(m["addons"]["users_read"], 39);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daily_limit_mid_way_is_exit_75_saying_how_many_were_done() {
    let (mock, _) = mock(|a| a.settings_quota = Some(10)).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(75), "{stderr}");
    assert!(stderr.contains("daily API quota"), "{stderr}");
    assert!(stderr.contains("of 40 such requests were done"), "{stderr}");
    assert!(dir_entries(out.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_settings_scope_the_run_stops_before_any_page() {
    let (mock, _) = mock(|a| a.scopes = "user:read:list_users:admin".into()).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("user:read:settings:admin"), "{stderr}");
    assert!(mock.seen().requests.is_empty());
    assert!(dir_entries(out.path()).is_empty());
}

/// `check` says what `--with addons` would cost: a request per licensed user at `--max-rps`.
#[tokio::test(flavor = "multi_thread")]
async fn check_tells_how_many_settings_requests_and_how_long() {
    let (mock, users) = mock(|a| {
        a.scopes = format!("{SCOPES} user:read:summary:admin");
    })
    .await;
    let licensed = ids(&users, false).len();
    let mut cmd = against_mock(&mock);
    cmd.arg("check");
    let output = run_blocking(cmd).await;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}");
    // 40 requests at the default 10 a second: 4 seconds.
    assert_eq!(licensed, 40);
    assert!(
        report.contains(
            "add-ons:        40 requests (one per licensed user; more with --addons-for all) \
             take about 4s at 10/s"
        ),
        "{report}"
    );

    // Without Zoom's licensed count, the bound is every active user.
    let (without, _) = self::mock(|_| {}).await;
    let mut cmd = against_mock(&without);
    cmd.arg("check");
    let report = String::from_utf8_lossy(&run_blocking(cmd).await.stdout).into_owned();
    assert!(
        report.contains("add-ons:        up to 100 requests"),
        "{report}"
    );
}

/// A users sweep restarted after its page token expired reads its pages again: each user's
/// settings are still asked for once, and their add-ons written once.
#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_users_sweep_asks_for_each_users_settings_once() {
    let users = generated_users(100, 5, 5);
    let mut account = Account::new(users.clone());
    account.scopes = SCOPES.into();
    // The active sweep's third request (with a page token) answers "token expired".
    let faults = BTreeMap::from([(3, mock_zoom::Fault::ExpirePageToken)]);
    let mock = MockZoom::start(account, faults, Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let extra = ["--page-size", "20", "--statuses", "active"];
    let output = run_blocking(extract(&mock, out.path(), &extra)).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("restarting the sweep"), "{stderr}");
    let licensed = ids(&users, false);
    let requests = mock.seen().settings_requests;
    assert_eq!(
        requests.len(),
        licensed.len(),
        "a user's settings asked twice"
    );
    let rows = ndjson_file(&out.path().join("u_user_addons.ndjson"));
    assert_eq!(
        rows.len(),
        expected_addons(&licensed).len(),
        "add-ons written twice"
    );
}

/// Settings answers without a `feature` object (`null`, a number, an array): when no answer had
/// one, the run fails (exit 1, nothing written) instead of writing a table that says "no add-ons";
/// when some lacked it, those users have no rows and the run warns with their count.
#[tokio::test(flavor = "multi_thread")]
async fn settings_without_a_feature_object_fail_when_none_has_one_and_warn_when_some_lack_it() {
    let lacking: [fn(&str) -> Value; 3] = [
        |_| Value::Null,
        |_| serde_json::json!(5),
        |_| serde_json::json!([{"webinar": true}]),
    ];
    for feature_of in lacking {
        let (mock, _) = mock(|a| a.feature_of = feature_of).await;
        let out = tempfile::tempdir().unwrap();
        let output = run_blocking(extract(&mock, out.path(), &[])).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("none of the 40 users' settings"),
            "{stderr}"
        );
        assert!(
            dir_entries(out.path()).is_empty(),
            "{:?}",
            dir_entries(out.path())
        );
    }

    // Users whose number ends in 7 get no feature object.
    fn some_lack(id: &str) -> Value {
        let digits: String = id.chars().filter(char::is_ascii_digit).collect();
        match digits.ends_with('7') {
            true => Value::Null,
            false => generated_feature(id),
        }
    }
    let (mock, users) = mock(|a| a.feature_of = some_lack).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    assert_succeeded(&output);
    let licensed = ids(&users, false);
    let (lack, have): (BTreeSet<String>, BTreeSet<String>) =
        licensed.into_iter().partition(|id| some_lack(id).is_null());
    assert!(!lack.is_empty() && !have.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = format!(
        "{} of 40 users' settings had no `feature` object",
        lack.len()
    );
    assert!(stderr.contains(&said), "{stderr}");
    assert_eq!(written_addons(out.path()), expected_addons(&have));
    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["addons"]["without_feature"], lack.len());
}

/// A recording of `--with addons` replays to the same add-ons, a user gone since the list
/// included; a recording from which one licensed user's settings answer was removed is refused
/// (exit 1, naming the page that lists that user) instead of losing their add-ons in silence.
#[tokio::test(flavor = "multi_thread")]
async fn a_replay_needs_every_listed_licensed_users_settings() {
    let users = generated_users(100, 5, 5);
    let gone = ids(&users, false).into_iter().next().unwrap();
    let (mock, _) = mock(|a| a.settings_gone = vec![gone.clone()]).await;
    let work = tempfile::tempdir().unwrap();
    let recording = work.path().join("recording");
    let live = work.path().join("live");
    let mut cmd = extract(&mock, &live, &[]);
    cmd.arg("--record").arg(&recording);
    assert_succeeded(&run_blocking(cmd).await);

    let replay = |out: &Path| {
        let mut cmd = zoom_licenses();
        cmd.args(["extract", "--replay"])
            .arg(&recording)
            .args(["--format", "ndjson", "--output"])
            .arg(out.join("u.ndjson"));
        cmd
    };
    let whole = work.path().join("whole");
    assert_succeeded(&run_blocking(replay(&whole)).await);
    assert_eq!(written_addons(&whole), written_addons(&live));
    let m: Value = json_file(whole.join("u_manifest.json"));
    assert_eq!(m["addons"]["users_gone"], 1);

    // Remove one licensed user's settings answer (not the gone one's) from the index.
    let index_path = recording.join("index.json");
    let mut index: Value = json_file(&index_path);
    let pages = index["pages"].as_array_mut().unwrap();
    let settings_of = |p: &Value| p["request"]["endpoint"] == "users/{userId}/settings";
    let at = pages
        .iter()
        .position(|p| settings_of(p) && p["request"]["query"]["userId"] != gone.as_str())
        .unwrap();
    let removed = pages.remove(at);
    std::fs::write(&index_path, serde_json::to_vec_pretty(&index).unwrap()).unwrap();
    let out = work.path().join("broken");
    std::fs::create_dir(&out).unwrap();
    let output = run_blocking(replay(&out)).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let user = removed["request"]["query"]["userId"].as_str().unwrap();
    assert!(
        stderr.contains(&format!("settings?userId={user}`")),
        "{stderr}"
    );
    assert!(stderr.contains("pages/"), "the page is not named: {stderr}");
    assert!(dir_entries(&out).is_empty());
}

/// A licensed user whose id is not one Zoom gives (`../x`, `a%2Fb`, `a?b`) cannot have their
/// settings asked for: that user is skipped, counted and warned about, and every other user's
/// add-ons are read (the run used to fail as a whole); the user stays a row of the license table.
#[tokio::test(flavor = "multi_thread")]
async fn a_licensed_user_with_an_odd_id_is_skipped_and_counted() {
    let odd = ["../x", "a%2Fb", "a?b"];
    let (mock, users) = mock(|a| {
        let active = a.users.get_mut("active").unwrap();
        for (n, id) in odd.iter().enumerate() {
            active.push(serde_json::json!({
                "id": id, "email": format!("odd{n}@example.com"), "type": 2, "status": "active",
            }));
        }
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    let stderr = assert_succeeded(&output);
    assert!(stderr.contains("users=3"), "{stderr}");
    let asked: BTreeSet<String> = mock.seen().settings_requests.into_iter().collect();
    assert_eq!(
        asked,
        ids(&users, false),
        "every other licensed user was asked"
    );
    assert_eq!(
        written_addons(out.path()),
        expected_addons(&ids(&users, false))
    );
    let m: Value = json_file(out.path().join("u_manifest.json"));
    assert_eq!(m["addons"]["users_skipped"], 3);
    let keys: BTreeSet<String> = ndjson_file(&out.path().join("u.ndjson"))
        .iter()
        .map(|r| r["user_key"].as_str().unwrap().to_string())
        .collect();
    assert!(odd.iter().all(|id| keys.contains(*id)), "{keys:?}");
}

/// When every licensed user's settings answer "gone" (a 404), no add-on could be read: the run
/// fails (exit 1, nothing written) instead of writing an empty table that says "no add-ons".
#[tokio::test(flavor = "multi_thread")]
async fn every_users_settings_gone_is_a_failure_not_an_empty_table() {
    let users = generated_users(100, 5, 5);
    let all = ids(&users, false).into_iter().collect::<Vec<_>>();
    let (mock, _) = mock(|a| a.settings_gone = all.clone()).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("every one of the 40 users' settings"),
        "{stderr}"
    );
    assert!(
        dir_entries(out.path()).is_empty(),
        "{:?}",
        dir_entries(out.path())
    );
}

/// Settings bodies of megabytes (a huge text beside the add-ons, ten thousand members named after
/// one) make add-on rows of a few hundred bytes: a row keeps its add-on's own members, bounded,
/// never the whole `feature` object (30 bodies of 5 MiB once made a 1.9 GB table).
#[tokio::test(flavor = "multi_thread")]
async fn huge_settings_bodies_make_small_addon_rows() {
    fn huge(id: &str) -> Value {
        let mut feature = generated_feature(id);
        let object = feature.as_object_mut().unwrap();
        object.insert("notes".into(), Value::String("x".repeat(5 << 20)));
        for n in 0..10_000 {
            object.insert(format!("large_meeting_{n}"), Value::from(n));
        }
        feature
    }
    let (mock, users) = mock(|a| a.feature_of = huge).await;
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    assert_succeeded(&output);
    assert_eq!(
        written_addons(out.path()),
        expected_addons(&ids(&users, false))
    );
    let rows = ndjson_file(&out.path().join("u_user_addons.ndjson"));
    for row in &rows {
        let own = row["feature"].as_str().unwrap();
        assert!(own.len() < 1024, "{} bytes: {}", own.len(), &own[..200]);
    }
    let size = std::fs::metadata(out.path().join("u_user_addons.ndjson"))
        .unwrap()
        .len();
    assert!(size < 64 * 1024, "{size} bytes for {} rows", rows.len());
}

/// Info logging keeps one line per phase: reading 40 users' settings adds one line saying the
/// follow-up requests were read, not one per user (those are at debug level, `-v`).
#[tokio::test(flavor = "multi_thread")]
async fn info_logs_one_line_per_phase_not_per_user() {
    let (mock, users) = mock(|_| {}).await;
    let licensed = ids(&users, false).len();
    assert_eq!(licensed, 40);
    let out = tempfile::tempdir().unwrap();
    let count = |stderr: &str, what: &str| stderr.lines().filter(|l| l.contains(what)).count();
    let output = run_blocking(extract(&mock, out.path(), &[])).await;
    let stderr = assert_succeeded(&output);
    // One sweep per status (active, pending), none per user.
    assert_eq!(count(&stderr, "Sweep finished."), 2, "{stderr}");
    assert_eq!(
        count(&stderr, "Follow-up requests read. requests=40"),
        1,
        "{stderr}"
    );
    let out = tempfile::tempdir().unwrap();
    let output = run_blocking(extract(&mock, out.path(), &["-v"])).await;
    let stderr = assert_succeeded(&output);
    assert_eq!(count(&stderr, "Sweep finished."), 2 + licensed, "{stderr}");
}
