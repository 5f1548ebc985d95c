//! Helpers shared by the binary's end-to-end tests.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// The binary under test.
pub fn zoom_licenses() -> Command {
    let mut cmd = Command::cargo_bin("zoom-licenses").unwrap();
    cmd.env_remove("RUST_LOG")
        .env_remove("ZOOM_LICENSES_LOG_FORMAT");
    cmd
}

/// The binary with server-to-server credentials and the endpoints of `mock` in its environment.
pub fn against_mock(mock: &mock_zoom::MockZoom) -> Command {
    let account = mock.account();
    let mut cmd = zoom_licenses();
    cmd.env("ZOOM_ACCOUNT_ID", &account.account_id)
        .env("ZOOM_CLIENT_ID", &account.client_id)
        .env("ZOOM_CLIENT_SECRET", &account.client_secret)
        .env("ZOOM_API_URL", mock.api_url())
        .env("ZOOM_OAUTH_URL", mock.oauth_url());
    cmd
}

/// A fixture set's directory.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Every batch of a Parquet file, and its key-value metadata.
pub fn read_parquet(path: &Path) -> (Vec<RecordBatch>, Vec<(String, String)>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let kv = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (batches, kv)
}

/// The values of one text column across batches (nulls as `None`).
pub fn text_column(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    batches
        .iter()
        .flat_map(|b| {
            let col = b.column_by_name(name).unwrap().as_string::<i32>().clone();
            (0..col.len())
                .map(move |i| col.is_valid(i).then(|| col.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every file under `dir`, recursively, with its bytes, by path relative to `dir`.
pub fn files_under(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

/// Every file name in a directory (hidden ones included), sorted.
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The user keys a recording should yield, worked out from its JSON with serde_json alone (not
/// with the transform's code): users whose status (or their sweep's) is not `inactive` and whose
/// `type` is 1, 2, 4 or 99, keyed by `id` or `pending:` + lower-cased email, each once. Only for
/// well-formed recordings.
pub fn expected_keys(dir: &Path) -> BTreeSet<String> {
    expected_keys_in_order(dir).into_iter().collect()
}

/// Like [`expected_keys`], in the order the recording's pages hold them (first occurrence wins).
pub fn expected_keys_in_order(dir: &Path) -> Vec<String> {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    let mut seen = BTreeSet::new();
    let mut keys = Vec::new();
    for page in index["pages"].as_array().unwrap() {
        if page["http_status"] != 200 {
            continue;
        }
        let sweep = page["request"]["query"]["status"].as_str().unwrap();
        let body: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(page["file"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        for user in body["users"].as_array().unwrap() {
            let status = user["status"].as_str().unwrap_or(sweep);
            let supported = matches!(user["type"].as_i64(), Some(1 | 2 | 4 | 99));
            let key = match user["id"].as_str() {
                Some(id) if !id.is_empty() => id.to_string(),
                _ => format!("pending:{}", user["email"].as_str().unwrap().to_lowercase()),
            };
            // A repeat is dropped even when its first occurrence was rejected.
            if !seen.insert(key.clone()) || status == "inactive" || !supported {
                continue;
            }
            keys.push(key);
        }
    }
    keys
}

/// Runs `cmd` off the async runtime's threads (the in-process mock needs them to answer it).
pub async fn run_blocking(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// The JSON objects of an NDJSON file, one per line.
pub fn ndjson_file(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Fails the test, showing the run's stderr, unless the run exited 0; returns that stderr.
#[track_caller]
pub fn assert_succeeded(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

/// The JSON document in the file at `path`.
pub fn json_file(path: impl AsRef<Path>) -> Value {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Writes a recorded run into `dir`: one page per status of `users` (`active`, `pending`,
/// `inactive`), as `--record` would have, for `extract --replay`.
pub fn write_recording(dir: &Path, account_id: &str, users: &[(&str, Vec<Value>)]) {
    write_recording_in_pages(dir, account_id, users, None);
}

/// Like [`write_recording`], each status's users in pages of `per_page` chained by their
/// `next_page_token`s (`None`: one page each, asked with a page size of 300).
pub fn write_recording_in_pages(
    dir: &Path,
    account_id: &str,
    users: &[(&str, Vec<Value>)],
    per_page: Option<usize>,
) {
    std::fs::create_dir_all(dir.join("pages")).unwrap();
    let mut pages = Vec::new();
    for (status, list) in users {
        let size = per_page.unwrap_or(list.len().max(1));
        let chunks: Vec<&[Value]> = match list.is_empty() {
            true => vec![&[]],
            false => list.chunks(size).collect(),
        };
        let token = |n: usize| format!("tok-{status}-{n}");
        for (n, chunk) in chunks.iter().enumerate() {
            let next = match n + 1 < chunks.len() {
                true => token(n + 1),
                false => String::new(),
            };
            let page_size = per_page.unwrap_or(300);
            let file = format!("pages/{:05}-{status}.json", pages.len() + 1);
            let body = serde_json::json!({
                "page_count": chunks.len(), "page_number": n + 1, "page_size": page_size,
                "total_records": list.len(), "next_page_token": next, "users": chunk,
            });
            std::fs::write(dir.join(&file), body.to_string()).unwrap();
            pages.push(serde_json::json!({
                "file": file,
                "request": {
                    "endpoint": "users",
                    "query": {"page_size": page_size.to_string(), "status": status},
                    "page_token": (n > 0).then(|| token(n)),
                },
                "http_status": 200,
                "fetched_at": "2026-11-30T23:00:00Z",
            }));
        }
    }
    let index = serde_json::json!({
        "format": "zoom-licenses/recorded-run", "version": 2, "account_id": account_id,
        "recorded_at": "2026-11-30T23:00:00Z", "pages": pages,
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

/// A Zoom user record as `GET /users` lists it; `None` leaves a field out (pending users have
/// an empty id, and no login).
pub fn zoom_user(
    id: &str,
    email: &str,
    plan: u8,
    dept: &str,
    status: &str,
    created: Option<&str>,
    last_login: Option<&str>,
) -> Value {
    let mut user = serde_json::json!({
        "id": id, "email": email, "type": plan, "dept": dept, "status": status,
        "display_name": format!("User {email}"), "group_ids": ["g1"],
    });
    if let Some(created) = created {
        user["user_created_at"] = created.into();
    }
    if let Some(login) = last_login {
        user["last_login_time"] = login.into();
    }
    user
}

/// The `user_key`s of an NDJSON license table, each checked to be there once.
pub fn written_keys(path: &Path) -> BTreeSet<String> {
    let rows = ndjson_file(path);
    let keys: BTreeSet<String> = rows
        .iter()
        .map(|r| r["user_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), rows.len(), "a user was written twice");
    keys
}

/// Runs `changes --to DATE --output-dir ROOT` with `extra` flags; what it printed, and how it ended.
pub fn changes_of_day(root: &std::path::Path, date: &str, extra: &[&str]) -> std::process::Output {
    zoom_licenses()
        .args(["changes", "--to", date, "--output-dir"])
        .arg(root)
        .args(extra)
        .output()
        .unwrap()
}

/// The body of a `GET /users?status=active` page holding generated users `range`, with `extra`
/// members (JSON text ending in a comma) before them; leaked, as a mock fault's body is static.
pub fn page_of_users(range: std::ops::Range<usize>, extra: &str) -> &'static str {
    let users: Vec<String> = range
        .map(|n| mock_zoom::generated_user(n, "active").to_string())
        .collect();
    let body = format!(r#"{{{extra}"users":[{}]}}"#, users.join(","));
    Box::leak(body.into_boxed_str())
}
