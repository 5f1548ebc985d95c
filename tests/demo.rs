//! `zoom-licenses demo`: the bundled sample recording written out, byte for byte, and the
//! commands it suggests run as written.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

/// Every file under `dir`, as paths relative to it, in order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            match path.is_dir() {
                true => folders.push(path),
                false => found.push(path.strip_prefix(dir).unwrap().to_path_buf()),
            }
        }
    }
    found.sort();
    found
}

#[test]
fn demo_writes_the_sample_and_its_suggestions_run() {
    let work = tempfile::tempdir().unwrap();
    let output = zoom_licenses()
        .current_dir(work.path())
        .arg("demo")
        .output()
        .unwrap();
    let stderr = assert_succeeded(&output);
    let written = work.path().join("zoom-licenses-sample");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample");
    assert_eq!(files(&written), files(&sample));
    for file in files(&sample) {
        assert!(
            fs::read(written.join(&file)).unwrap() == fs::read(sample.join(&file)).unwrap(),
            "{file:?}"
        );
    }
    // Each suggested command, as printed.
    let suggested: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("zoom-licenses "))
        .collect();
    assert_eq!(suggested.len(), 3, "{stderr}");
    for command in suggested {
        let output = zoom_licenses()
            .current_dir(work.path())
            .arg("-q")
            .args(command.split_whitespace())
            .output()
            .unwrap();
        assert_succeeded(&output);
    }
    let report = work
        .path()
        .join("out/report/dt=2026-11-02/zoom_licenses_report.html");
    assert!(report.is_file());

    // A folder in use is refused and left as it was; an empty one is filled.
    let output = zoom_licenses()
        .current_dir(work.path())
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(files(&written), files(&sample));
    fs::create_dir(work.path().join("empty")).unwrap();
    let output = zoom_licenses()
        .current_dir(work.path())
        .args(["demo", "empty"])
        .output()
        .unwrap();
    assert_succeeded(&output);
    assert_eq!(files(&work.path().join("empty")), files(&sample));
    let leftovers: Vec<String> = dir_entries(work.path())
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
