//! Reading the files a user points the tool at (recordings, the accounts file, the token file):
//! plain files only, so a FIFO or a device given by mistake is an error instead of a hang.

use std::io;
use std::path::Path;

/// The text of `path`, which must be a regular file (a symlink to one is fine).
pub fn read_to_string(path: &Path) -> io::Result<String> {
    refuse_unless_file(std::fs::metadata(path)?.file_type())?;
    std::fs::read_to_string(path)
}

/// The bytes of `path`, which must be a regular file, for the replay's page files.
pub async fn read_async(path: &Path) -> io::Result<Vec<u8>> {
    let kind = tokio::fs::metadata(path).await?.file_type();
    refuse_unless_file(kind)?;
    tokio::fs::read(path).await
}

/// The permission bits of `path` when group or others may read or write it (a file of secrets must
/// be its owner's alone); `None` when they may not, or off Unix.
pub fn shared_mode(path: &Path) -> io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Ok(Some(mode & 0o777));
        }
    }
    Ok(None)
}

fn refuse_unless_file(kind: std::fs::FileType) -> io::Result<()> {
    match kind.is_file() {
        true => Ok(()),
        false => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a directory, a FIFO or a device): give the path of a plain file",
        )),
    }
}
