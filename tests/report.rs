//! `zoom-licenses report` through the binary: every number on the page is read back from the page
//! (by its `data-` attributes) and compared with the manifests and tables it came from, read here
//! on their own; Zoom's texts are escaped; a day with nothing to draw says so in a sentence.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use common::*;
use serde_json::Value;

const DATES: [&str; 5] = [
    "2026-11-27",
    "2026-11-28",
    "2026-11-29",
    "2026-11-30",
    "2026-12-01",
];

fn bin() -> assert_cmd::Command {
    zoom_licenses()
}

/// `extract --replay recording` into the partition of `account` on `date`.
fn extract(recording: &Path, root: &Path, date: &str, account: &str) {
    bin()
        .args(["-q", "extract", "--replay"])
        .arg(recording)
        .arg("--output-dir")
        .arg(root)
        .args(["--partition-date", date, "--partition-account", account])
        .args(["--as-of", &format!("{date}T18:00:00Z")])
        .assert()
        .success();
}

/// `extract --replay recording` into `out/u.parquet`, at `as_of` when given.
fn extract_file(recording: &Path, out: &Path, as_of: Option<&str>) {
    let mut cmd = bin();
    cmd.args(["-q", "extract", "--replay"]).arg(recording);
    if let Some(as_of) = as_of {
        cmd.args(["--as-of", as_of]);
    }
    cmd.arg("--output")
        .arg(out.join("u.parquet"))
        .assert()
        .success();
}

/// `zoom-licenses -q COMMAND --input out/u_manifest.json EXTRA`, which must succeed.
fn on_file_run(command: &str, out: &Path, extra: &[&str]) {
    bin()
        .args(["-q", command, "--input"])
        .arg(out.join("u_manifest.json"))
        .args(extra)
        .assert()
        .success();
}

/// `zoom-licenses -q COMMAND --output-dir ROOT --partition-date DATE EXTRA`, which must succeed.
fn on_day(command: &str, root: &Path, date: &str, extra: &[&str]) {
    bin()
        .args(["-q", command, "--output-dir"])
        .arg(root)
        .args(["--partition-date", date])
        .args(extra)
        .assert()
        .success();
}

/// The text of the first element after `<tr data-account="ACCOUNT"` holding `data-figure="NAME"`.
fn figure(html: &str, account: &str, name: &str) -> String {
    let row = &html[html
        .find(&format!("<tr data-account=\"{account}\""))
        .unwrap_or_else(|| panic!("no row of {account}"))..];
    let row = &row[..row.find("</tr>").unwrap()];
    cell(row, &format!("data-figure=\"{name}\""))
}

/// The text of the element whose opening tag holds `attributes` (in that order).
fn cell(html: &str, attributes: &str) -> String {
    let at = html
        .find(attributes)
        .unwrap_or_else(|| panic!("no element with {attributes}"));
    let rest = &html[at..];
    let text = &rest[rest.find('>').unwrap() + 1..];
    text[..text.find('<').unwrap()].to_string()
}

/// Licensed seats (active or pending users on plan `licensed`) and those in use (hosting, or
/// logged in within 90 days of `as_of`), counted from a partition's tables.
fn seats(root: &Path, date: &str, account: &str, as_of: &str) -> (u64, u64) {
    let part = |table: &str| {
        root.join(format!(
            "{table}/dt={date}/account={account}/part-0.parquet"
        ))
    };
    let (users, _) = read_parquet(&part("zoom_users"));
    let hosting: BTreeMap<String, i32> = match part("zoom_host_usage").exists() {
        false => BTreeMap::new(),
        true => {
            let (batches, _) = read_parquet(&part("zoom_host_usage"));
            let keys = text_column(&batches, "user_key");
            let mut meetings = Vec::new();
            for b in &batches {
                let m = b
                    .column_by_name("meetings")
                    .unwrap()
                    .as_primitive::<Int32Type>();
                meetings.extend(m.iter().map(|v| v.unwrap()));
            }
            keys.into_iter().map(Option::unwrap).zip(meetings).collect()
        }
    };
    let as_of: chrono::DateTime<chrono::Utc> = as_of.parse().unwrap();
    let (mut paid, mut in_use) = (0, 0);
    for batch in &users {
        let one = std::slice::from_ref(batch);
        let keys = text_column(one, "user_key");
        let plans = text_column(one, "plan");
        let statuses = text_column(one, "status");
        let logins = batch
            .column_by_name("last_login_at")
            .unwrap()
            .as_primitive::<arrow_array::types::TimestampMicrosecondType>();
        for row in 0..batch.num_rows() {
            let status = statuses[row].as_deref().unwrap();
            if plans[row].as_deref() != Some("licensed") || !["active", "pending"].contains(&status)
            {
                continue;
            }
            paid += 1;
            if status != "active" {
                continue;
            }
            let hosted = hosting
                .get(keys[row].as_deref().unwrap())
                .is_some_and(|m| *m > 0);
            let recent = logins.is_valid(row) && {
                let login = chrono::DateTime::from_timestamp_micros(logins.value(row)).unwrap();
                (as_of - login).num_days() < 90
            };
            in_use += u64::from(hosted || recent);
        }
    }
    (paid, in_use)
}

#[test]
fn a_two_account_day_shows_the_numbers_of_its_manifests_and_tables() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    for date in DATES {
        extract(&fixture("hosting"), root, date, "acme");
        extract(&fixture("sample"), root, date, "emea");
    }
    let prices = root.join("prices.toml");
    std::fs::write(
        &prices,
        "currency = \"USD\"\n[per_month]\nlicensed = 15.99\nlarge_meeting = 50\n",
    )
    .unwrap();
    // Every date reclaimed but the first: its trend point has no reclaimable count.
    for date in &DATES[1..] {
        on_day(
            "reclaim",
            root,
            date,
            &["--prices", prices.to_str().unwrap()],
        );
    }
    bin()
        .args(["-q", "changes", "--output-dir"])
        .arg(root)
        .args(["--to", "2026-12-01"])
        .assert()
        .success();
    let output = bin()
        .args(["report", "--output-dir"])
        .arg(root)
        .args(["--partition-date", "2026-12-01"])
        .output()
        .unwrap();
    let stderr = assert_succeeded(&output);
    let page = root.join("report/dt=2026-12-01/zoom_licenses_report.html");
    assert!(stderr.contains(&page.display().to_string()), "{stderr}");
    let html = std::fs::read_to_string(&page).unwrap();

    let reclaim = |account: &str| {
        json_file(root.join(format!(
            "zoom_reclaim_candidates/dt=2026-12-01/account={account}/_manifest.json"
        )))
    };
    let (mut paid_total, mut use_total, mut reclaim_total, mut cents_total) = (0, 0, 0, 0);
    for account in ["acme", "emea"] {
        let (paid, in_use) = seats(root, "2026-12-01", account, "2026-12-01T18:00:00Z");
        assert_eq!(
            figure(&html, account, "paid"),
            paid.to_string(),
            "{account}"
        );
        assert_eq!(
            figure(&html, account, "in-use"),
            in_use.to_string(),
            "{account}"
        );
        let summary = &reclaim(account)["summary"];
        let candidates = summary["candidates"].as_u64().unwrap();
        assert_eq!(
            figure(&html, account, "reclaimable"),
            grouped(candidates),
            "{account}"
        );
        let cents = (summary["monthly_saving"]["total"].as_f64().unwrap() * 100.0).round() as u64;
        assert_eq!(figure(&html, account, "saving"), usd(cents), "{account}");
        paid_total += paid;
        use_total += in_use;
        reclaim_total += candidates;
        cents_total += cents;
        // Users per plan, as the extract's manifest counts them.
        let manifest = json_file(root.join(format!(
            "zoom_users/dt=2026-12-01/account={account}/_manifest.json"
        )));
        for (plan, n) in manifest["by_plan"].as_object().unwrap() {
            let attributes = format!("data-plan=\"{plan}\" data-account=\"{account}\"");
            assert_eq!(cell(&html, &attributes), n.to_string(), "{account} {plan}");
        }
        // The changes of the day, as the changes manifest counts them.
        let changes = json_file(root.join(format!(
            "zoom_user_changes/dt=2026-12-01/account={account}/_manifest.json"
        )));
        for (kind, n) in changes["summary"]["by_kind"].as_object().unwrap() {
            let attributes = format!("data-change=\"{kind}\" data-account=\"{account}\"");
            assert_eq!(cell(&html, &attributes), n.to_string(), "{account} {kind}");
        }
    }
    // Licensed seats by use, as each reclaim counted them; reasons and departments, from the
    // reclaim tables read here.
    for account in ["acme", "emea"] {
        let used = &reclaim(account)["summary"]["seat_use"];
        let labels = [
            ("seen", "seen"),
            ("idle", "idle (90+ days)"),
            ("never_logged_in", "never logged in"),
            ("pending", "pending invitation"),
        ];
        let seen_label = match used["hosting"].is_null() {
            true => "seen",
            false => "seen, not hosting",
        };
        for (key, label) in labels {
            let label = if key == "seen" { seen_label } else { label };
            let attributes = format!("data-use=\"{label}\" data-account=\"{account}\"");
            assert_eq!(
                cell(&html, &attributes),
                used[key].to_string(),
                "{account} {key}"
            );
        }
        let (rows, _) = read_parquet(&root.join(format!(
            "zoom_reclaim_candidates/dt=2026-12-01/account={account}/part-0.parquet"
        )));
        let reasons = text_column(&rows, "reason");
        let departments = text_column(&rows, "department");
        let mut per: BTreeMap<(String, String), u64> = BTreeMap::new();
        for (r, d) in reasons.iter().zip(&departments) {
            let d = d
                .clone()
                .filter(|d| !d.is_empty())
                .unwrap_or("(none)".into());
            *per.entry((r.clone().unwrap(), d)).or_default() += 1;
        }
        for ((reason, department), n) in &per {
            let attributes = format!("data-department=\"{department}\" data-reason=\"{reason}\"");
            // Searched after the account's last heading: its candidates, which come before the next.
            let heading = html.rfind(&format!("<h3>{account}</h3>")).unwrap();
            assert_eq!(
                cell(&html[heading..], &attributes),
                n.to_string(),
                "{account} {reason} {department}"
            );
        }
    }
    assert_eq!(figure(&html, "(total)", "paid"), grouped(paid_total));
    assert_eq!(figure(&html, "(total)", "in-use"), grouped(use_total));
    assert_eq!(
        figure(&html, "(total)", "reclaimable"),
        grouped(reclaim_total)
    );
    assert_eq!(figure(&html, "(total)", "saving"), usd(cents_total));

    // The trend: one row per date, from each date's manifests.
    for (i, date) in DATES.iter().enumerate() {
        let row = &html[html.find(&format!("<tr data-date=\"{date}\"")).unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        let cells: Vec<String> = row
            .split("<td")
            .skip(1)
            .map(|c| c[c.find('>').unwrap() + 1..c.find('<').unwrap()].to_string())
            .collect();
        let (mut licensed, mut basic, mut pending, mut reclaimable) = (0, 0, 0, 0);
        for account in ["acme", "emea"] {
            let m = json_file(root.join(format!(
                "zoom_users/dt={date}/account={account}/_manifest.json"
            )));
            licensed += m["by_plan"]["licensed"].as_u64().unwrap();
            basic += m["by_plan"]["basic"].as_u64().unwrap();
            pending += m["by_status"]["pending"].as_u64().unwrap();
            if i > 0 {
                let r = json_file(root.join(format!(
                    "zoom_reclaim_candidates/dt={date}/account={account}/_manifest.json"
                )));
                reclaimable += r["summary"]["candidates"].as_u64().unwrap();
            }
        }
        let reclaimable = match i {
            0 => "—".to_string(),
            _ => reclaimable.to_string(),
        };
        let want = [
            date.to_string(),
            licensed.to_string(),
            basic.to_string(),
            pending.to_string(),
            reclaimable,
        ];
        assert_eq!(cells, want, "{date}");
    }
    assert!(html.contains("<svg"), "the trend is drawn");

    // One account's partition given on its own: its page beside the day's, its trend its own.
    let acme = root.join("zoom_users/dt=2026-12-01/account=acme/_manifest.json");
    bin()
        .args(["-q", "report", "--input"])
        .arg(&acme)
        .assert()
        .success();
    let own = std::fs::read_to_string(
        root.join("report/dt=2026-12-01/account=acme/zoom_licenses_report.html"),
    )
    .unwrap();
    let licensed = json_file(&acme)["by_plan"]["licensed"].to_string();
    let row = &own[own.find("<tr data-date=\"2026-12-01\"").unwrap()..];
    assert!(
        row.starts_with(&format!(
            "<tr data-date=\"2026-12-01\"><td>2026-12-01</td><td class=\"n\">{licensed}</td>"
        )),
        "{row}"
    );
    assert!(!own.contains("data-account=\"emea\""));
    // The day's page is still the day's.
    assert_eq!(std::fs::read_to_string(&page).unwrap(), html);
}

#[test]
fn totals_need_every_account_and_one_currency() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    extract(&fixture("hosting"), root, "2026-12-01", "acme");
    extract(&fixture("sample"), root, "2026-12-01", "emea");
    extract(&fixture("sample"), root, "2026-12-01", "zulu");
    let price = |currency: &str| {
        let path = root.join(format!("{currency}.toml"));
        std::fs::write(
            &path,
            format!("currency = \"{currency}\"\n[per_month]\nlicensed = 10\n"),
        )
        .unwrap();
        path
    };
    for (account, currency) in [("acme", "USD"), ("emea", "EUR")] {
        on_day(
            "reclaim",
            root,
            "2026-12-01",
            &[
                "--partition-account",
                account,
                "--prices",
                price(currency).to_str().unwrap(),
            ],
        );
    }
    let report = || {
        bin()
            .args(["-q", "report", "--output-dir"])
            .arg(root)
            .args(["--partition-date", "2026-12-01", "-o", "-"])
            .output()
            .unwrap()
    };
    // zulu was not reclaimed: no total of what only a reclaim knows.
    let html = String::from_utf8(report().stdout).unwrap();
    assert_eq!(figure(&html, "zulu", "in-use"), "—");
    for name in ["in-use", "reclaimable", "saving"] {
        assert_eq!(figure(&html, "(total)", name), "—", "{name}");
    }
    assert!(html.contains("zulu: no reclaim of this day"), "{html}");
    // Every account reclaimed, in two currencies: counts add up, money does not.
    on_day(
        "reclaim",
        root,
        "2026-12-01",
        &[
            "--partition-account",
            "zulu",
            "--prices",
            price("EUR").to_str().unwrap(),
        ],
    );
    let html = String::from_utf8(report().stdout).unwrap();
    assert_ne!(figure(&html, "(total)", "reclaimable"), "—");
    assert_eq!(figure(&html, "(total)", "saving"), "—");
    assert!(html.contains("different currencies: no total"), "{html}");
}

/// `12,345`: groups of three digits from the right.
fn grouped(n: u64) -> String {
    let reversed: Vec<char> = n.to_string().chars().rev().collect();
    let groups: Vec<String> = reversed
        .chunks(3)
        .map(|g| g.iter().rev().collect())
        .rev()
        .collect();
    groups.join(",")
}

/// `USD 1,234.56` for cents.
fn usd(cents: u64) -> String {
    format!("USD {}.{:02}", grouped(cents / 100), cents % 100)
}

/// An account whose texts try to be markup, and one with no licensed seat.
fn hostile_recording(dir: &Path) {
    let mut user = zoom_user(
        "uScript",
        "script@x.example",
        2,
        "\"><img src=x onerror=alert(2)>",
        "active",
        Some("2024-01-01T00:00:00Z"),
        Some("2025-01-01T00:00:00Z"),
    );
    user["display_name"] = "<script>alert(1)</script>".into();
    write_recording(
        dir,
        "acctHostile",
        &[("active", vec![user]), ("pending", vec![])],
    );
}

#[test]
fn texts_from_zoom_render_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("rec");
    hostile_recording(&recording);
    let out = dir.path().join("out");
    extract_file(&recording, &out, Some("2026-12-01T00:00:00Z"));
    on_file_run("reclaim", &out, &[]);
    on_file_run("report", &out, &[]);
    let html = std::fs::read_to_string(out.join("zoom_licenses_report.html")).unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
}

#[test]
fn a_day_with_nothing_to_draw_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("rec");
    let basic = zoom_user(
        "uBasic",
        "basic@x.example",
        1,
        "Ops",
        "active",
        Some("2024-01-01T00:00:00Z"),
        Some("2026-11-30T00:00:00Z"),
    );
    write_recording(
        &recording,
        "acctBasic",
        &[("active", vec![basic]), ("pending", vec![])],
    );
    // A partition with no licensed seat, reclaimed, on its first day, without the reports.
    let root = dir.path().join("wh");
    extract(&recording, &root, "2026-12-01", "basic");
    on_day("reclaim", &root, "2026-12-01", &[]);
    on_day("report", &root, "2026-12-01", &[]);
    let html = std::fs::read_to_string(root.join("report/dt=2026-12-01/zoom_licenses_report.html"))
        .unwrap();
    for sentence in [
        "No licensed seats.",
        "No earlier partition in the last 90 days",
        "No changes for this day",
        "Not shown: who hosts meetings, from",
        "extract with <code>--with hosting</code>",
        "Not shown: sign-ins counted as use",
        "No seat to take back.",
    ] {
        assert!(html.contains(sentence), "{sentence}: {html}");
    }
    // A file run, not reclaimed.
    let out = dir.path().join("out");
    extract_file(&recording, &out, None);
    on_file_run("report", &out, &[]);
    let html = std::fs::read_to_string(out.join("zoom_licenses_report.html")).unwrap();
    for sentence in [
        "no reclaim of this day's extract, so its seats in use and to take back are not known",
        "Not known without the day's reclaim",
        "A run written to files has no earlier partitions",
    ] {
        assert!(html.contains(sentence), "{sentence}: {html}");
    }
}

#[test]
fn a_tampered_table_is_refused_and_no_page_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    extract_file(&fixture("sample"), out, Some("2026-12-01T00:00:00Z"));
    on_file_run("reclaim", out, &[]);
    let table = out.join("u_reclaim_candidates.parquet");
    let mut bytes = std::fs::read(&table).unwrap();
    bytes.push(0);
    std::fs::write(&table, bytes).unwrap();
    let output = bin()
        .args(["report", "--input"])
        .arg(out.join("u_manifest.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("run zoom-licenses reclaim again"),
        "{stderr}"
    );
    let left: Vec<String> = dir_entries(out)
        .into_iter()
        .filter(|n| n.contains("report"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The license table changed after its run: refused too, as reclaim refuses it.
    let licenses = out.join("u.parquet");
    let kept = std::fs::read(&licenses).unwrap();
    std::fs::write(&licenses, [kept.as_slice(), b"x"].concat()).unwrap();
    let output = bin()
        .args(["report", "--input"])
        .arg(out.join("u_manifest.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!out.join("zoom_licenses_report.html").exists());
    std::fs::write(&licenses, kept).unwrap();
    // A table gone is named, with nothing written either.
    std::fs::remove_file(&table).unwrap();
    let output = bin()
        .args(["report", "--input"])
        .arg(out.join("u_manifest.json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not at"), "{stderr}");
    assert!(!out.join("zoom_licenses_report.html").exists());
    // A missing manifest is a usage error.
    let output = bin()
        .args(["report", "--input"])
        .arg(out.join("nope.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let _: Value = json_file(out.join("u_manifest.json"));
}

/// Headless Chromium: `CHROMIUM`, else `chromium` on the PATH; the one line that says how to get
/// it when there is none.
fn chromium() -> String {
    let name = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let found = std::process::Command::new(&name).arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "the browser test needs headless Chromium: `apt-get install chromium` (Debian), or set \
         CHROMIUM to its path"
    );
    name
}

/// What a browser run makes of the page.
enum Output<'a> {
    /// The rendered DOM, on stdout.
    Dom,
    /// A PNG.
    Screenshot(&'a Path),
    /// The page printed, as the browser's print would.
    Pdf(&'a Path),
}

/// What Chromium did with the page at `page`: the DOM it rendered, its console messages, and the
/// URLs the page itself asked for (from the browser's own network log). Every request goes to a
/// proxy on 127.0.0.1:9 where nothing listens, so nothing leaves the machine.
fn browse(page: &Path, work: &Path, output: Output) -> (String, Vec<String>, Vec<String>) {
    let net_log = work.join("net.json");
    let mut cmd = std::process::Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--window-size=1200,3000",
    ])
    .arg(format!(
        "--user-data-dir={}",
        work.join("profile").display()
    ))
    .arg(format!("--log-net-log={}", net_log.display()));
    match output {
        Output::Dom => cmd.arg("--dump-dom"),
        Output::Screenshot(png) => cmd.arg(format!("--screenshot={}", png.display())),
        Output::Pdf(pdf) => cmd
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg("--no-pdf-header-footer"),
    };
    let output = cmd
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    // The page's own requests start jobs keyed by the file:// page; Chromium's own are not.
    let log: Value = json_file(&net_log);
    let start_job = &log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    let requests = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| &e["type"] == start_job)
        .map(|e| &e["params"])
        .filter(|p| {
            p["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|p| p["url"].as_str())
        .filter(|url| !url.starts_with("file:") && !url.starts_with("data:"))
        .map(str::to_string)
        .collect();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
        requests,
    )
}

#[test]
fn a_real_browser_renders_the_page_offline_with_no_error_and_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    // First, that this test can see what it looks for: a console error and a request.
    let control = out.join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\">\
         <script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let (_, console, requests) = browse(&control, &out.join("control"), Output::Dom);
    assert!(console.iter().any(|l| l.contains("boom")), "{console:?}");
    assert_eq!(requests, ["http://127.0.0.1:9/x.png"]);

    extract_file(&fixture("hosting"), out, Some("2026-12-01T18:00:00Z"));
    let prices = out.join("prices.toml");
    std::fs::write(
        &prices,
        "currency = \"EUR\"\n[per_month]\nlicensed = 13.99\n",
    )
    .unwrap();
    bin()
        .args(["-q", "reclaim", "--input"])
        .arg(out.join("u_manifest.json"))
        .arg("--prices")
        .arg(&prices)
        .assert()
        .success();
    on_file_run("report", out, &[]);
    let page = out.join("zoom_licenses_report.html");
    let (dom, console, requests) = browse(&page, &out.join("page"), Output::Dom);
    assert!(console.is_empty(), "{console:?}");
    assert!(requests.is_empty(), "{requests:?}");
    // The headline as the browser rendered it, against the tables and the reclaim manifest.
    let account = "mockAccount123";
    let (paid, in_use) = seats_of_file_run(out);
    let summary = &json_file(out.join("u_reclaim_candidates_manifest.json"))["summary"];
    let cents = (summary["monthly_saving"]["total"].as_f64().unwrap() * 100.0).round() as u64;
    assert_eq!(figure(&dom, account, "paid"), grouped(paid));
    assert_eq!(figure(&dom, account, "in-use"), grouped(in_use));
    let candidates = summary["candidates"].as_u64().unwrap();
    assert_eq!(figure(&dom, account, "reclaimable"), grouped(candidates));
    assert_eq!(
        figure(&dom, account, "saving"),
        format!("EUR {}.{:02}", grouped(cents / 100), cents % 100)
    );
    // A screenshot for people to look at, kept under target/.
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("zoom_licenses_report.png");
    let _ = std::fs::remove_file(&png);
    browse(&page, &out.join("shot"), Output::Screenshot(&png));
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
    // Printed, every page is A4 (595 × 842 points).
    let pdf = out.join("report.pdf");
    browse(&page, &out.join("print"), Output::Pdf(&pdf));
    let bytes = std::fs::read(&pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let boxes: Vec<Vec<f64>> = text
        .split("/MediaBox [")
        .skip(1)
        .map(|b| {
            b[..b.find(']').unwrap()]
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect()
        })
        .collect();
    assert!(!boxes.is_empty(), "no page printed");
    for b in &boxes {
        assert!(
            (b[2] - 595.3).abs() < 1.0 && (b[3] - 841.9).abs() < 1.0,
            "not A4: {b:?}"
        );
    }
}

/// [`seats`] of a file run in `dir` (`u.parquet`, `u_host_usage.parquet`).
fn seats_of_file_run(dir: &Path) -> (u64, u64) {
    let root = dir.join("as-partition");
    for (table, file) in [
        ("zoom_users", "u.parquet"),
        ("zoom_host_usage", "u_host_usage.parquet"),
    ] {
        let part = root.join(format!("{table}/dt=d/account=a"));
        std::fs::create_dir_all(&part).unwrap();
        std::fs::copy(dir.join(file), part.join("part-0.parquet")).unwrap();
    }
    seats(&root, "d", "a", "2026-12-01T18:00:00Z")
}

#[test]
fn outputs_never_replace_a_file_of_a_run_and_a_closed_stdout_is_no_failure() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    extract(&fixture("sample"), root, "2026-12-01", "acme");
    extract(&fixture("sample"), root, "2026-12-01", "emea");
    let part = |account: &str, file: &str| {
        root.join(format!("zoom_users/dt=2026-12-01/account={account}/{file}"))
    };
    let acme = part("acme", "_manifest.json");
    let before = files_under(root);
    for (command, target) in [
        ("report", part("acme", "_manifest.json")),
        ("report", part("emea", "part-0.parquet")),
        ("reclaim", part("emea", "part-0.parquet")),
        ("reclaim", part("acme", "other.parquet")),
    ] {
        let output = bin()
            .args([command, "--input"])
            .arg(&acme)
            .arg("--output")
            .arg(&target)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{command} {}: {stderr}",
            target.display()
        );
        assert!(
            stderr.contains("a file of the run being read") || stderr.contains("partition folder"),
            "{stderr}"
        );
    }
    assert_eq!(files_under(root), before, "nothing written or replaced");
    // A file run: its own license file is no place for a page.
    let dir = tempfile::tempdir().unwrap();
    extract_file(&fixture("sample"), dir.path(), None);
    let output = bin()
        .args(["report", "--input"])
        .arg(dir.path().join("u_manifest.json"))
        .arg("--output")
        .arg(dir.path().join("u.parquet"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));

    // A reader that goes away: exit 0, no error (the page is larger than a pipe's buffer).
    on_day("reclaim", root, "2026-12-01", &[]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zoom-licenses"))
        .args(["-q", "report", "--output-dir"])
        .arg(root)
        .args(["--partition-date", "2026-12-01", "--output", "-"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 10];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut head).unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(&head, b"<!DOCTYPE ");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    let page = bin()
        .args(["-q", "report", "--output-dir"])
        .arg(root)
        .args(["--partition-date", "2026-12-01", "--output", "-"])
        .output()
        .unwrap();
    assert!(page.stdout.len() > 100_000, "{}", page.stdout.len());
}

/// An earlier day written by an earlier version of the tool (another manifest version) is still a
/// point of the trend, and a reclaim that counted no use shows use as not known, not as zeros.
#[test]
fn outputs_of_an_earlier_version_are_read_for_what_they_hold() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    extract(&fixture("sample"), root, "2026-11-30", "acme");
    extract(&fixture("sample"), root, "2026-12-01", "acme");
    let old = root.join("zoom_users/dt=2026-11-30/account=acme/_manifest.json");
    let mut manifest = json_file(&old);
    manifest["manifest_version"] = 1.into();
    manifest["schema_version"] = 1.into();
    std::fs::write(&old, manifest.to_string()).unwrap();
    // The day's reclaim, as an earlier version wrote it: no count of use.
    on_day("reclaim", root, "2026-12-01", &[]);
    let reclaim = root.join("zoom_reclaim_candidates/dt=2026-12-01/account=acme/_manifest.json");
    let mut written = json_file(&reclaim);
    written["summary"]
        .as_object_mut()
        .unwrap()
        .remove("seat_use");
    std::fs::write(&reclaim, written.to_string()).unwrap();
    on_day("report", root, "2026-12-01", &[]);
    let html = std::fs::read_to_string(root.join("report/dt=2026-12-01/zoom_licenses_report.html"))
        .unwrap();
    let licensed = manifest["by_plan"]["licensed"].to_string();
    assert!(
        html.contains(&format!(
            "<tr data-date=\"2026-11-30\"><td>2026-11-30</td><td class=\"n\">{licensed}</td>"
        )),
        "{html}"
    );
    // Use not known (not zeros), while what the reclaim did count is shown.
    assert_eq!(figure(&html, "acme", "in-use"), "—");
    assert!(
        html.contains("Not known without the day's reclaim"),
        "{html}"
    );
    let candidates = written["summary"]["candidates"].as_u64().unwrap();
    assert_eq!(figure(&html, "acme", "reclaimable"), grouped(candidates));
}
