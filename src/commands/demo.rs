//! `zoom-licenses demo [DIR]`: writes the bundled sample recording (fixtures/sample: 1,000
//! generated users, embedded in the binary) into DIR, so that a pip-only user can try `extract
//! --replay`, `reclaim` and `report` without a Zoom account.

use std::path::Path;

use include_dir::{Dir, include_dir};
use run::exit::Failure;

use crate::cli::DemoArgs;

/// The sample recording, as `make run` replays it.
static SAMPLE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/sample");

/// Runs `demo`: the recording appears in DIR whole (written beside it, then renamed), or not at
/// all; DIR must not exist or be empty.
pub fn run(args: DemoArgs) -> Result<(), Failure> {
    let dir = &args.dir;
    let in_use = std::fs::read_dir(dir).map(|mut entries| entries.next().is_some());
    if in_use.unwrap_or(dir.exists()) {
        return Err(Failure::usage(format!(
            "{} is not empty: give demo a new folder",
            dir.display()
        )));
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let written = std::fs::create_dir_all(parent)
        .and_then(|()| tempfile::Builder::new().prefix(".demo-").tempdir_in(parent))
        .and_then(|tmp| {
            SAMPLE.extract(tmp.path())?;
            // An empty DIR is replaced: rename cannot move a folder over a folder.
            if dir.exists() {
                std::fs::remove_dir(dir)?;
            }
            // Once renamed, the guard's removal of the temporary path finds nothing to remove.
            std::fs::rename(tmp.path(), dir)
        });
    written.map_err(|e| {
        Failure::failed_msg(format!(
            "cannot write the sample recording into {}: {e}",
            dir.display()
        ))
    })?;
    // Quoted when a shell would split it, so that the lines below can be pasted as they are.
    let dir = dir.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:,@".contains(c);
    let dir = match dir.chars().all(plain) {
        true => dir,
        false => format!("'{}'", dir.replace('\'', r"'\''")),
    };
    note!(
        "The sample recording (1,000 generated users) is in {dir}. Try:\n  zoom-licenses extract \
         --replay {dir} --output-dir out --partition-date 2026-11-02\n  zoom-licenses reclaim \
         --output-dir out --partition-date 2026-11-02\n  zoom-licenses report --output-dir out \
         --partition-date 2026-11-02"
    );
    Ok(())
}
