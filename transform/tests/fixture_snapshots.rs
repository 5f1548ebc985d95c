//! Snapshots of the transform over every recorded fixture set: the license rows, the rejects and the
//! counts, one JSON line per row with columns in schema order.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use extractor::{PageRequest, RecordingIndex, USERS};
use transform::{RunContext, Transformer};

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
                    DataType::Timestamp(..) => {
                        let micros = column.as_primitive::<TimestampMicrosecondType>().value(row);
                        chrono::DateTime::from_timestamp_micros(micros)
                            .unwrap()
                            .to_rfc3339()
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

/// Transforms every page of a recording and renders rows, rejects and counts.
fn transform_recording(name: &str) -> String {
    let dir = fixtures().join(name);
    let index = RecordingIndex::read(&dir).unwrap();
    let mut transformer = Transformer::new(RunContext {
        run_id: "snapshot-run".into(),
        account_id: index.account_id.clone(),
        extracted_at_micros: 1_796_198_400_000_000,
    });
    let (mut rows, mut rejects) = (String::new(), String::new());
    for (i, entry) in index.pages.iter().enumerate() {
        let body = std::fs::read_to_string(dir.join(&entry.file)).unwrap();
        let recorded = &entry.request;
        let request = PageRequest {
            endpoint: &USERS,
            query: recorded.query.clone(),
            page_token: recorded.page_token.clone(),
        };
        let page = extractor::Page::parse(request, i as u64 + 1, body).unwrap();
        let out = transformer.transform_page(&page).unwrap();
        out.licenses.iter().for_each(|b| render_rows(b, &mut rows));
        out.rejects
            .iter()
            .for_each(|b| render_rows(b, &mut rejects));
    }
    let stats = transformer.finish();
    let stats = serde_json::to_string_pretty(&stats).unwrap();
    format!("## stats\n{stats}\n## rows\n{rows}## rejects\n{rejects}")
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
