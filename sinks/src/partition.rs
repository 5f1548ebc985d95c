//! Hive-style partitions replaced atomically: a run writes its partitions into a staging area beside
//! the table folders, then swaps each one into place, so a reader sees the old partition or the new
//! one, never a mix, and other partitions are never touched.
//!
//! On Linux the swap is one `renameat2(RENAME_EXCHANGE)`: truly atomic. Elsewhere (or on file systems
//! without it) the old partition is renamed away first and the new one renamed in: never mixed, but
//! absent for an instant. A run killed with SIGKILL leaves its staging folder behind, never a
//! half-written partition; staging folders are hidden (`.zoom-licenses-staging`), outside every table
//! folder, so `…/zoom_users/**/*.parquet` globs never see them, and the next run under the same root
//! removes them (see [`crate::leftovers`]).
//!
//! Runs publishing under one root take turns (a lock on `.zoom-licenses.lock`, a [`PublishTurn`]),
//! so the partitions one run publishes together (licenses and rejects) are never interleaved with
//! another run's. A run that reads partitions to derive one (`changes`, `reclaim`) holds the turn
//! from its first read to its publish, so what it read is still what is published when it
//! publishes.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Name of the staging folder under the output root.
pub const STAGING_DIR: &str = ".zoom-licenses-staging";
/// Lock file under the output root, held while a run swaps its partitions in.
pub const PUBLISH_LOCK: &str = ".zoom-licenses.lock";
/// Lock file in a run's staging folder, held for the run's life.
const RUN_LOCK: &str = ".lock";

/// Whether a value can name a folder: letters, digits, `-`, `_`, `.`, not starting with `.`.
pub fn is_folder_name(value: &str) -> bool {
    !value.is_empty()
        && !value.starts_with('.')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A private folder where a run builds its partitions before publishing them.
#[derive(Debug)]
pub struct StagingArea {
    root: PathBuf,
    dir: PathBuf,
    published: bool,
    /// Locked while the run lives: its staging folder is not a leftover.
    _lock: fs::File,
    leftovers_removed: usize,
}

impl StagingArea {
    /// Creates a fresh staging folder under `root/.zoom-licenses-staging/`.
    pub fn create(root: &Path) -> io::Result<Self> {
        let base = root.join(STAGING_DIR);
        fs::create_dir_all(&base)?;
        let removed = crate::leftovers::remove_abandoned(
            &base,
            |name| name.starts_with("run-"),
            |dir| dir.join(RUN_LOCK),
        );
        // Another run may remove the shared folder as it finishes: make it again and retry.
        let mut attempt = 0;
        let dir = loop {
            match tempfile::Builder::new().prefix("run-").tempdir_in(&base) {
                Ok(dir) => break dir.keep(),
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < 3 => {
                    attempt += 1;
                    fs::create_dir_all(&base)?;
                }
                Err(e) => return Err(e),
            }
        };
        let lock = fs::File::create(dir.join(RUN_LOCK))?;
        // Where locks are unsupported nobody can take one, so nothing is taken for a leftover.
        let _ = lock.try_lock();
        Ok(StagingArea {
            root: root.to_path_buf(),
            dir,
            published: false,
            _lock: lock,
            leftovers_removed: removed,
        })
    }

    /// The output root this area publishes under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many staging folders of killed runs were removed when this one was made.
    pub fn leftovers_removed(&self) -> usize {
        self.leftovers_removed
    }

    /// Where a path under the output root is built in the staging area.
    pub fn staged(&self, final_path: &Path) -> PathBuf {
        match final_path.strip_prefix(&self.root) {
            Ok(relative) => self.dir.join(relative),
            Err(_) => self.dir.join(final_path.file_name().unwrap_or_default()),
        }
    }

    /// Swaps each staged partition folder into place, in order, then removes the staging folder;
    /// `turn` is the root's, held by the caller (one run at a time: the partitions of one run go
    /// in together).
    pub fn publish(mut self, turn: &PublishTurn, partitions: &[PathBuf]) -> io::Result<()> {
        if turn.root != self.root {
            return Err(io::Error::other(format!(
                "publishing under {} with the turn of {}: this is a bug",
                self.root.display(),
                turn.root.display()
            )));
        }
        for target in partitions {
            let staged = self.staged(target);
            let parent = target.parent().unwrap_or(Path::new("."));
            fs::create_dir_all(parent)?;
            swap_into_place(&staged, target)?;
            fs::File::open(parent)?.sync_all()?;
        }
        self.published = true;
        fs::remove_dir_all(&self.dir)?;
        // The shared staging folder goes too, unless another run is using it.
        let _ = fs::remove_dir(self.root.join(STAGING_DIR));
        Ok(())
    }
}

impl Drop for StagingArea {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.dir);
            let _ = fs::remove_dir(self.root.join(STAGING_DIR));
        }
    }
}

/// How long a run waits for another to finish its turn (a few renames, or the derived tables of
/// a day's accounts: seconds for a million users each) before giving up. Long, since the waiting
/// run may be an extract that has already spent its sweep of Zoom.
pub const LONGEST_TURN_WAIT: Duration = Duration::from_secs(600);

/// A run's turn to read and publish the partitions under one output root: the exclusive lock on
/// `ROOT/.zoom-licenses.lock`, held until dropped. A run that waited longer than
/// [`LONGEST_TURN_WAIT`] gets an error of kind [`io::ErrorKind::TimedOut`]: worth retrying later.
#[derive(Debug)]
pub struct PublishTurn {
    root: PathBuf,
    /// `None` where the file system has no locks: runs are then not kept apart.
    _lock: Option<fs::File>,
}

impl PublishTurn {
    /// Waits for the turn of `root` (at most [`LONGEST_TURN_WAIT`]) and takes it; gives up with
    /// [`io::ErrorKind::Interrupted`] as soon as `stop` says so (a signal).
    pub fn take(root: &Path, stop: &dyn Fn() -> bool) -> io::Result<Self> {
        fs::create_dir_all(root)?;
        Ok(PublishTurn {
            root: root.to_path_buf(),
            _lock: take_turn(&root.join(PUBLISH_LOCK), stop)?,
        })
    }
}

/// Takes the exclusive lock on `path` (created if need be), waiting at most
/// [`LONGEST_TURN_WAIT`]; the lock is held until the returned file is dropped. A lock file made by
/// another user may be read-only to this one: flock works on a file opened for reading too.
fn take_turn(path: &Path, stop: &dyn Fn() -> bool) -> io::Result<Option<fs::File>> {
    let file = match fs::OpenOptions::new().create(true).append(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => fs::File::open(path)?,
        Err(e) => return Err(e),
    };
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(fs::TryLockError::WouldBlock) if stop() => {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "stopped while waiting for another run's turn",
                ));
            }
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < LONGEST_TURN_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "another run has held {} for over {} s; if no run is publishing, the process \
                     holding it is stuck: stop it",
                        path.display(),
                        LONGEST_TURN_WAIT.as_secs()
                    ),
                ));
            }
            // Where locks are unsupported, go on without: runs are then not kept apart.
            Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {
                return Ok(None);
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// Puts `staged` at `target`; an existing `target` is replaced and deleted.
fn swap_into_place(staged: &Path, target: &Path) -> io::Result<()> {
    if !target.exists() {
        return fs::rename(staged, target);
    }
    if exchange(staged, target)? {
        // `staged` now holds the old partition.
        return fs::remove_dir_all(staged);
    }
    let old = staged.with_extension("old");
    fs::rename(target, &old)?;
    fs::rename(staged, target)?;
    fs::remove_dir_all(&old)
}

/// Atomically exchanges two paths; false when the platform or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_replaces_exactly_the_staged_partitions() {
        let root = tempfile::tempdir().unwrap();
        let keep = root.path().join("t/dt=2026-11-01/account=a");
        let replace = root.path().join("t/dt=2026-11-02/account=a");
        for dir in [&keep, &replace] {
            fs::create_dir_all(dir).unwrap();
            fs::write(dir.join("part-0.parquet"), "old").unwrap();
            fs::write(dir.join("stale-extra.parquet"), "old").unwrap();
        }
        let staging = StagingArea::create(root.path()).unwrap();
        let staged = staging.staged(&replace);
        fs::create_dir_all(&staged).unwrap();
        fs::write(staged.join("part-0.parquet"), "new").unwrap();
        let turn = PublishTurn::take(root.path(), &|| false).unwrap();
        staging
            .publish(&turn, std::slice::from_ref(&replace))
            .unwrap();

        assert_eq!(
            fs::read_to_string(replace.join("part-0.parquet")).unwrap(),
            "new"
        );
        assert!(
            !replace.join("stale-extra.parquet").exists(),
            "old files mixed in"
        );
        assert_eq!(
            fs::read_to_string(keep.join("part-0.parquet")).unwrap(),
            "old"
        );
        assert!(!root.path().join(STAGING_DIR).exists());
    }

    #[test]
    fn publishing_waits_for_the_run_holding_the_turn() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("t/dt=1/account=a");
        let held = fs::File::create(root.path().join(PUBLISH_LOCK)).unwrap();
        held.lock().unwrap();
        let staging = StagingArea::create(root.path()).unwrap();
        fs::create_dir_all(staging.staged(&target)).unwrap();
        let publishing = std::thread::spawn({
            let target = target.clone();
            let root_dir = root.path().to_path_buf();
            move || staging.publish(&PublishTurn::take(&root_dir, &|| false)?, &[target])
        });
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !target.exists(),
            "published while another run held the turn"
        );
        drop(held);
        publishing.join().unwrap().unwrap();
        assert!(target.exists());
    }

    #[test]
    fn an_unpublished_staging_area_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let staging = StagingArea::create(root.path()).unwrap();
        let staged = staging.staged(&root.path().join("t/dt=1/account=a"));
        fs::create_dir_all(&staged).unwrap();
        drop(staging);
        assert!(!root.path().join(STAGING_DIR).exists());
    }
}
