//! Where a sink's bytes go: a temporary file committed by rename, or stdout.
//!
//! Bytes are counted and hashed (SHA-256) as they are written, so the manifest can describe each file
//! without reading it again.

use std::fs::{self, File};
use std::io::{self, BufWriter, Stdout, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::error::SinkError;

/// Where an output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A file, replaced atomically on commit.
    File(PathBuf),
    /// Standard output.
    Stdout,
}

impl Destination {
    /// The path as shown to people and in the manifest (`-` for stdout).
    pub fn display_name(&self) -> String {
        match self {
            Destination::File(path) => path.display().to_string(),
            Destination::Stdout => "-".into(),
        }
    }

    /// The file's path; `None` for stdout.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Destination::File(path) => Some(path),
            Destination::Stdout => None,
        }
    }
}

const BUFFER: usize = 256 * 1024;

enum Sink {
    File(BufWriter<NamedTempFile>, PathBuf),
    Stdout(BufWriter<Stdout>),
}

/// A writer that counts and hashes what it writes.
pub struct Output {
    sink: Sink,
    name: String,
    hasher: Sha256,
    bytes: u64,
}

impl Output {
    /// Opens a destination: a fresh temporary file beside the target, or stdout.
    pub fn open(destination: &Destination) -> Result<Self, SinkError> {
        let name = destination.display_name();
        let sink = match destination {
            Destination::Stdout => Sink::Stdout(BufWriter::with_capacity(BUFFER, io::stdout())),
            Destination::File(target) => {
                let io_err = SinkError::io(&name);
                let dir = parent_dir(target);
                fs::create_dir_all(dir).map_err(io_err)?;
                let file_name = target.file_name().unwrap_or_default().to_string_lossy();
                let (prefix, suffix) = (format!(".{file_name}."), ".tmp");
                // Temporary files of this target that a killed run left behind.
                crate::leftovers::remove_abandoned(
                    dir,
                    |name| name.starts_with(&prefix) && name.ends_with(suffix),
                    Path::to_path_buf,
                );
                let mut builder = tempfile::Builder::new();
                // Data files are for other programs too: 0666 less the umask, like any new file
                // (tempfile's own default is 0600).
                #[cfg(unix)]
                builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
                let temp = builder
                    .prefix(&prefix)
                    .suffix(suffix)
                    .tempfile_in(dir)
                    .map_err(io_err)?;
                // Held until the file is closed: the next run can tell it from a killed run's. Where
                // locks are not supported, nobody else can take one either, so nothing is removed.
                let _ = temp.as_file().try_lock();
                Sink::File(BufWriter::with_capacity(BUFFER, temp), target.clone())
            }
        };
        Ok(Output {
            sink,
            name,
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    /// Where temporary working files belong: beside the file (same file system, and its folder is
    /// known to be writable once the output is open), or the system's temporary directory for stdout.
    pub fn scratch_dir(&self) -> PathBuf {
        match &self.sink {
            Sink::File(_, target) => parent_dir(target).to_path_buf(),
            Sink::Stdout(_) => std::env::temp_dir(),
        }
    }

    /// The destination as shown to people.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Flushes everything and, for a file, fsyncs it; the file is not yet at its target path.
    pub fn into_pending(self) -> Result<PendingOutput, SinkError> {
        let io_err = SinkError::io(&self.name);
        let file = match self.sink {
            Sink::Stdout(mut out) => {
                out.flush().map_err(io_err)?;
                None
            }
            Sink::File(out, target) => {
                let temp = out.into_inner().map_err(|e| io_err(e.into_error()))?;
                temp.as_file().sync_all().map_err(io_err)?;
                Some((temp, target))
            }
        };
        Ok(PendingOutput {
            file,
            name: self.name,
            bytes: self.bytes,
            sha256: format!("{:x}", self.hasher.finalize()),
        })
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.sink {
            Sink::File(out, _) => out.write(buf)?,
            Sink::Stdout(out) => out.write(buf)?,
        };
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::File(out, _) => out.flush(),
            Sink::Stdout(out) => out.flush(),
        }
    }
}

/// A finished output waiting to be moved into place; dropping it deletes the temporary file.
#[derive(Debug)]
pub struct PendingOutput {
    file: Option<(NamedTempFile, PathBuf)>,
    name: String,
    bytes: u64,
    sha256: String,
}

impl PendingOutput {
    /// The file this output will be renamed to; `None` for stdout.
    pub fn target(&self) -> Option<&Path> {
        self.file.as_ref().map(|(_, target)| target.as_path())
    }

    /// Renames the temporary file over the target and fsyncs the directory.
    pub fn commit(self, rows: u64) -> Result<OutputReceipt, SinkError> {
        if let Some((temp, target)) = self.file {
            let io_err = SinkError::io(&self.name);
            check_replaceable(&target).map_err(io_err)?;
            let file = temp.persist(&target).map_err(|e| io_err(e.error))?;
            drop(file);
            sync_dir(parent_dir(&target)).map_err(io_err)?;
        }
        Ok(OutputReceipt {
            path: self.name,
            rows,
            bytes: self.bytes,
            sha256: self.sha256,
        })
    }
}

/// What was written to one output, for the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OutputReceipt {
    /// The path written (`-` for stdout).
    pub path: String,
    /// Data rows.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// Refuses a target that exists and is not a regular file: a commit renames over it, which would
/// replace a device (`/dev/full`), a FIFO, a directory or a symlink (`/dev/stdout`) with a file.
/// Refuses a target under a file too (`notes.txt/users.parquet`), which the system would only
/// answer with a bare "File exists" or "Not a directory".
pub fn check_replaceable(target: &Path) -> io::Result<()> {
    check_folders_of(target)?;
    match fs::symlink_metadata(target) {
        Ok(meta) if !meta.file_type().is_file() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} exists and is not a regular file ({}); outputs are replaced whole by a rename, \
                 which would replace it: give the path of a file, or - for stdout",
                target.display(),
                kind_of(meta.file_type())
            ),
        )),
        _ => Ok(()),
    }
}

/// Refuses a target whose nearest existing ancestor is not a folder (a missing one is made when
/// the output is opened).
fn check_folders_of(target: &Path) -> io::Result<()> {
    let ancestors = target.ancestors().skip(1);
    for ancestor in ancestors.filter(|a| !a.as_os_str().is_empty()) {
        match fs::metadata(ancestor) {
            Ok(meta) if meta.is_dir() => return Ok(()),
            Ok(meta) => {
                let kind = kind_of(meta.file_type());
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!(
                        "cannot write {}: {} is {kind}, not a folder; give a path inside a \
                         folder",
                        target.display(),
                        ancestor.display()
                    ),
                ));
            }
            // Missing, or itself under a file: the folder above tells.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) => {}
            // Unreadable (permissions): opening the output says why.
            Err(_) => return Ok(()),
        }
    }
    Ok(())
}

fn kind_of(kind: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    match (kind.is_file(), kind.is_dir(), kind.is_symlink()) {
        (true, ..) => "a file",
        (_, true, _) => "a directory",
        (.., true) => "a symlink",
        _ => "not a file",
    }
}

/// The directory a target lives in (`.` for a bare file name).
pub(crate) fn parent_dir(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes a rename in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_dropped_output_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let mut output = Output::open(&Destination::File(target.clone())).unwrap();
        output.write_all(b"half a file").unwrap();
        drop(output);
        assert!(entries(dir.path()).is_empty());

        let mut output = Output::open(&Destination::File(target)).unwrap();
        output.write_all(b"half a file").unwrap();
        drop(output.into_pending().unwrap());
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn commit_replaces_the_target_and_reports_size_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub").join("out.csv");
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(&target, "old").unwrap();
        let mut output = Output::open(&Destination::File(target.clone())).unwrap();
        output.write_all(b"abc").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        let receipt = output.into_pending().unwrap().commit(1).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "abc");
        assert_eq!(receipt.bytes, 3);
        assert_eq!(
            receipt.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(entries(target.parent().unwrap()), vec!["out.csv"]);
    }
}
