//! What a killed run leaves behind (a `.tmp` file beside an output, a staging folder), told apart
//! from what a live run is still writing: a live run holds an exclusive lock (`flock`) on its
//! temporary file or its staging folder's lock file, and the kernel drops it when the process dies,
//! even on SIGKILL. The next run of the same target removes what nobody holds.

use std::fs;
use std::path::Path;
use std::time::Duration;

/// Younger than this, a leftover is left alone: its run may have created it and not yet locked it.
const GRACE: Duration = Duration::from_secs(60);

/// Whether `made` (a file or folder) was left by a run that is gone: older than a minute, and
/// `lock` is missing or can be locked.
pub fn abandoned(made: &Path, lock: &Path) -> bool {
    let old = fs::symlink_metadata(made)
        .and_then(|m| m.modified())
        .is_ok_and(|at| at.elapsed().unwrap_or_default() > GRACE);
    if !old {
        return false;
    }
    // Only a plain file is opened: opening a FIFO would wait for a writer.
    match fs::symlink_metadata(lock) {
        Ok(meta) if meta.file_type().is_file() => {
            // Dropping the file right after releases the lock just taken.
            fs::File::open(lock).is_ok_and(|file| file.try_lock().is_ok())
        }
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// Removes the entries of `dir` whose names `matches` and that [`abandoned`] says are left over;
/// `lock_of` gives an entry's lock file. Returns how many were removed; failures are skipped.
pub fn remove_abandoned(
    dir: &Path,
    matches: impl Fn(&str) -> bool,
    lock_of: impl Fn(&Path) -> std::path::PathBuf,
) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if !matches(&name.to_string_lossy()) || !abandoned(&path, &lock_of(&path)) {
            continue;
        }
        let gone = match entry.file_type() {
            Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets a path's modification time `ago` in the past.
    fn age(path: &Path, ago: Duration) {
        let at = std::time::SystemTime::now() - ago;
        fs::File::open(path).unwrap().set_modified(at).unwrap();
    }

    #[test]
    fn only_old_unlocked_leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        for name in [
            ".a.parquet.1.tmp",
            ".a.parquet.2.tmp",
            ".a.parquet.3.tmp",
            "a.parquet",
        ] {
            fs::write(path(name), "x").unwrap();
        }
        age(&path(".a.parquet.1.tmp"), Duration::from_secs(600));
        age(&path(".a.parquet.2.tmp"), Duration::from_secs(600));
        age(&path("a.parquet"), Duration::from_secs(600));
        // A live writer holds .2; .3 is too young to judge.
        let held = fs::OpenOptions::new()
            .write(true)
            .open(path(".a.parquet.2.tmp"))
            .unwrap();
        held.lock().unwrap();
        let removed = remove_abandoned(
            dir.path(),
            |n| n.starts_with(".a.parquet.") && n.ends_with(".tmp"),
            Path::to_path_buf,
        );
        assert_eq!(removed, 1);
        assert!(!path(".a.parquet.1.tmp").exists());
        assert!(path(".a.parquet.2.tmp").exists());
        assert!(path(".a.parquet.3.tmp").exists());
        assert!(path("a.parquet").exists());
    }
}
