//! Snapshots of the transform over every recorded fixture set: the license rows, the rejects and the
//! counts, one JSON line per row with columns in schema order.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use extractor::zoom::ENDPOINTS;
use extractor::zoom::activities::{self, ACTIVITIES};
use extractor::zoom::host_report::HOST_REPORT;
use extractor::{PageRequest, RecordingIndex};
use transform::context::Window;
use transform::{ActivityContext, RunContext, Table, Transformer};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn render_rows(batch: &RecordBatch, out: &mut String) {
    let schema = batch.schema();
    for row in 0..batch.num_rows() {
        let mut line = serde_json::Map::new();
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            let value = if column.is_null(row) {
                serde_json::Value::Null
            } else {
                match field.data_type() {
                    DataType::Utf8 => column.as_string::<i32>().value(row).into(),
                    DataType::Int32 => column.as_primitive::<Int32Type>().value(row).into(),
                    DataType::Boolean => column.as_boolean().value(row).into(),
                    DataType::List(_) => {
                        let items = column.as_list::<i32>().value(row);
                        let items = items.as_string::<i32>();
                        items
                            .iter()
                            .map(|v| v.unwrap_or_default().to_string())
                            .collect()
                    }
                    DataType::Timestamp(..) => {
                        let micros = column.as_primitive::<TimestampMicrosecondType>().value(row);
                        chrono::DateTime::from_timestamp_micros(micros)
                            .unwrap()
                            .to_rfc3339()
                            .into()
                    }
                    DataType::Date32 => {
                        let days = column.as_primitive::<Date32Type>().value(row);
                        (chrono::NaiveDate::default() + chrono::TimeDelta::days(days.into()))
                            .to_string()
                            .into()
                    }
                    other => panic!("unexpected type {other}"),
                }
            };
            line.insert(field.name().clone(), value);
        }
        // Keys in schema order, not sorted: build the line by hand.
        let cells: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| format!("{:?}:{}", f.name(), line[f.name()]))
            .collect();
        let _ = writeln!(out, "{{{}}}", cells.join(","));
    }
}

/// A transformer for the recording in `dir`, reading its reports too when it holds them (each
/// report's window is the one its recorded requests cover, as a replay takes it).
fn transformer_for(index: &RecordingIndex, run_id: &str, extracted_at_micros: i64) -> Transformer {
    let window = |path: &str| {
        let report = index.pages.iter().filter(|p| p.request.endpoint == path);
        activities::window_of(report.map(|p| &p.request.query))
    };
    Transformer::new(RunContext {
        run_id: run_id.into(),
        account_id: index.account_id.clone(),
        extracted_at_micros,
        activity: window(ACTIVITIES.path).map(|(from, to)| ActivityContext {
            from,
            to,
            with_ip: false,
        }),
        hosting: window(HOST_REPORT.path).map(|(from, to)| Window { from, to }),
    })
}

/// The recorded page `i` of `dir`, read as its endpoint's page.
fn recorded_page(dir: &Path, i: usize, entry: &extractor::PageEntry) -> extractor::Page {
    let body = std::fs::read_to_string(dir.join(&entry.file)).unwrap();
    let endpoint = ENDPOINTS
        .iter()
        .find(|e| e.path == entry.request.endpoint)
        .unwrap();
    let request = PageRequest {
        endpoint,
        query: entry.request.query.clone(),
        page_token: entry.request.page_token.clone(),
    };
    extractor::Page::parse(request, i as u64 + 1, body).unwrap()
}

/// Transforms every page of a recording and renders rows, rejects and counts (and, for a recording
/// with the sign-in report, its events and the users' activity).
fn transform_recording(name: &str) -> String {
    let dir = fixtures().join(name);
    let index = RecordingIndex::read(&dir).unwrap();
    let mut transformer = transformer_for(&index, "snapshot-run", 1_796_198_400_000_000);
    let (mut rows, mut rejects, mut events) = (String::new(), String::new(), String::new());
    let (mut groups, mut roles, mut addons) = (String::new(), String::new(), String::new());
    for (i, entry) in index.pages.iter().enumerate() {
        let out = transformer
            .transform_page(&recorded_page(&dir, i, entry))
            .unwrap();
        let render = |table, into: &mut String| {
            out.batch(table).iter().for_each(|b| render_rows(b, into));
        };
        render(Table::Licenses, &mut rows);
        render(Table::Rejects, &mut rejects);
        render(Table::SigninEvents, &mut events);
        render(Table::Groups, &mut groups);
        render(Table::Roles, &mut roles);
        render(Table::UserAddons, &mut addons);
    }
    let (stats, activity) = transformer.finish().unwrap();
    let stats = serde_json::to_string_pretty(&stats).unwrap();
    let mut text = format!("## stats\n{stats}\n## rows\n{rows}## rejects\n{rejects}");
    if !addons.is_empty() {
        text.push_str(&format!("## user addons\n{addons}"));
    }
    if !groups.is_empty() || !roles.is_empty() {
        text.push_str(&format!("## groups\n{groups}## roles\n{roles}"));
    }
    if !activity.batches.is_empty() {
        let mut users = String::new();
        let mut hosts = String::new();
        for (table, batch) in &activity.batches {
            match table {
                Table::UserActivity => render_rows(batch, &mut users),
                Table::HostUsage => render_rows(batch, &mut hosts),
                other => panic!("{other:?} at the end of a run"),
            }
        }
        if !users.is_empty() {
            text.push_str(&format!("## events\n{events}## user activity\n{users}"));
        }
        if !hosts.is_empty() {
            text.push_str(&format!("## host usage\n{hosts}"));
        }
    }
    text
}

macro_rules! snapshot {
    ($test:ident, $dir:literal) => {
        #[test]
        fn $test() {
            insta::assert_snapshot!(transform_recording($dir));
        }
    };
}

snapshot!(plan_types, "plan-types");
snapshot!(pending_without_id, "pending-without-id");
snapshot!(optional_fields_absent, "optional-fields-absent");
snapshot!(pagination, "pagination");
snapshot!(plan_united_type, "plan-united-type");
snapshot!(license_info_list, "license-info-list");
snapshot!(awkward_text, "awkward-text");
snapshot!(duplicates, "duplicates");
snapshot!(malformed, "malformed");
snapshot!(statuses, "statuses");
snapshot!(sample, "sample");
snapshot!(timestamps, "timestamps");
snapshot!(real_shapes, "real-shapes");
snapshot!(activity, "activity");
snapshot!(hosting, "hosting");

/// What a fixture set should give, worked out from its JSON by a model written apart from the
/// transform's rules (serde_json values, chrono only to tell an RFC 3339 time): the license keys in
/// order, the rejects per reason and the duplicates. Checked against every set, so that a wrong
/// snapshot cannot be accepted unnoticed.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    keys: Vec<String>,
    rejects: BTreeMap<&'static str, u64>,
    duplicates: u64,
}

fn model(name: &str) -> Expected {
    use serde_json::Value;
    let dir = fixtures().join(name);
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut out = Expected::default();
    for page in index["pages"].as_array().unwrap() {
        // The users only: the sign-in report's pages make other tables.
        if page["request"]["endpoint"]
            .as_str()
            .is_some_and(|e| e != "users")
        {
            continue;
        }
        let sweep = page["request"]["query"]["status"]
            .as_str()
            .unwrap_or("active");
        let body: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(page["file"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        for user in body["users"].as_array().unwrap() {
            let text = |field: &str| {
                user.get(field)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            };
            let key = match (text("id"), text("email")) {
                (Some(id), _) => Some(id.to_string()),
                (None, Some(email)) => Some(format!("pending:{}", email.to_lowercase())),
                (None, None) => None,
            };
            if let Some(key) = &key
                && !seen.insert(key.clone())
            {
                out.duplicates += 1;
                continue;
            }
            let reason = verdict(user, sweep);
            match reason {
                None => out.keys.push(key.unwrap()),
                Some(reason) => *out.rejects.entry(reason).or_default() += 1,
            }
        }
    }
    out
}

/// `None` for a license row, else the reason it is left out.
fn verdict(user: &serde_json::Value, sweep: &str) -> Option<&'static str> {
    use serde_json::Value;
    let Some(object) = user.as_object() else {
        return Some("invalid_record");
    };
    let strings = [
        "id",
        "email",
        "first_name",
        "last_name",
        "display_name",
        "status",
        "dept",
        "role_id",
        "timezone",
        "user_created_at",
        "created_at",
        "last_login_time",
        "last_client_version",
        "employee_unique_id",
        "language",
    ];
    let groups_typed = match object.get("group_ids") {
        None | Some(Value::Null) => true,
        Some(Value::Array(ids)) => ids.iter().all(Value::is_string),
        Some(_) => false,
    };
    let verified_typed = match object.get("verified") {
        None | Some(Value::Null | Value::Bool(_)) => true,
        Some(Value::Number(n)) => n.is_i64(),
        Some(_) => false,
    };
    let typed = strings
        .iter()
        .all(|f| matches!(object.get(*f), None | Some(Value::Null | Value::String(_))))
        && matches!(
            object.get("type"),
            None | Some(Value::Null) | Some(Value::Number(_))
        )
        && object.get("type").is_none_or(|t| t.is_null() || t.is_i64())
        && groups_typed
        && verified_typed;
    let present = |f: &str| {
        object
            .get(f)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if !typed || present("email").is_none() {
        return Some("invalid_record");
    }
    if present("status").unwrap_or(sweep) == "inactive" {
        return Some("deactivated");
    }
    let Some(code) = object.get("type").and_then(Value::as_i64) else {
        return Some("invalid_record");
    };
    if ![1, 2, 4, 99].contains(&code) {
        return Some("unsupported_plan");
    }
    // A pending user's `created_at` (the time of the request) is never read.
    let pending = present("status").unwrap_or(sweep) == "pending";
    let created = present("user_created_at").or(present("created_at").filter(|_| !pending));
    let times = [created, present("last_login_time")];
    if times
        .iter()
        .flatten()
        .any(|t| chrono::DateTime::parse_from_rfc3339(t).is_err())
    {
        return Some("invalid_record");
    }
    if object
        .get("verified")
        .and_then(Value::as_i64)
        .is_some_and(|v| v != 0 && v != 1)
    {
        return Some("invalid_record");
    }
    None
}

#[test]
fn every_fixture_set_gives_what_an_independent_model_of_its_json_expects() {
    use arrow_array::cast::AsArray;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let dir = fixtures().join(&name);
        let index = RecordingIndex::read(&dir).unwrap();
        let mut transformer = transformer_for(&index, "r", 0);
        let mut keys = Vec::new();
        for (i, entry) in index.pages.iter().enumerate() {
            let out = transformer
                .transform_page(&recorded_page(&dir, i, entry))
                .unwrap();
            if let Some(batch) = out.batch(Table::Licenses) {
                let column = batch.column_by_name("user_key").unwrap().as_string::<i32>();
                keys.extend(column.iter().map(|k| k.unwrap().to_string()));
            }
        }
        let (stats, _) = transformer.finish().unwrap();
        let got = Expected {
            keys,
            rejects: stats
                .rejects
                .iter()
                .map(|(r, n)| (r.as_str(), *n))
                .collect(),
            duplicates: stats.duplicates,
        };
        assert_eq!(got, model(&name), "{name}");
    }
}

#[test]
fn every_fixture_set_has_a_snapshot() {
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let entry = entry.unwrap();
        if !entry.path().join("index.json").exists() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().replace('-', "_");
        let snap = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(format!("fixture_snapshots__{name}.snap"));
        if !snap.exists() {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "fixture sets without a snapshot test: {missing:?}"
    );
}
