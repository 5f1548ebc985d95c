//! The token file of the authorization-code flow, written atomically with mode 0600. Zoom rotates
//! refresh tokens (a refresh kills the old one), so a refresh first marks the file
//! (`refresh_started_at`) and saves the new tokens before using them: a run that died in between
//! leaves the mark, and the next one can say what happened when Zoom refuses the old token.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::secret::{Secret, without_file_text};

/// Layout version of the token file.
pub const TOKEN_FILE_VERSION: u32 = 1;

/// The token file's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredToken {
    /// Always [`TOKEN_FILE_VERSION`].
    pub version: u32,
    /// The OAuth app the tokens belong to.
    pub client_id: String,
    /// The current access token.
    pub access_token: Secret,
    /// The current (latest) refresh token.
    pub refresh_token: Secret,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// When these tokens were obtained.
    pub obtained_at: DateTime<Utc>,
    /// Set while a refresh is in flight; still set afterwards means that refresh was interrupted.
    #[serde(default)]
    pub refresh_started_at: Option<DateTime<Utc>>,
}

/// Why the token file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenStoreError {
    /// There is no token file yet.
    #[error(
        "no token file at {0}: run `zoom-licenses auth` first to connect a Zoom account (or set \
         ZOOM_ACCOUNT_ID for a Server-to-Server OAuth app)"
    )]
    Missing(PathBuf),
    /// It cannot be read or written.
    #[error("token file {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// Group or others may read or write it: a permissions problem, not damage.
    #[error(
        "token file {path}: group or others may read or write it (mode {mode:o}), and its tokens \
         are the Zoom account's keys: run `chmod 600 {path}`; if someone else may have copied it, \
         then run `zoom-licenses revoke` and `zoom-licenses auth` to replace the tokens"
    )]
    Shared {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// It is not a token file of this version.
    #[error(
        "token file {path} is damaged ({reason}); run `zoom-licenses auth` again to replace it"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// `$ZOOM_TOKEN_FILE`'s default: `$XDG_CONFIG_HOME/zoom-licenses/token.json` (or `~/.config/…`).
pub fn default_token_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("zoom-licenses").join("token.json"))
}

impl StoredToken {
    /// Reads the token file.
    pub fn load(path: &Path) -> Result<Self, TokenStoreError> {
        let text = crate::regular_file::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => TokenStoreError::Missing(path.to_path_buf()),
            _ => io_error(path)(e),
        })?;
        check_private(path)?;
        let invalid = |reason| TokenStoreError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        // serde_json's message may quote the value it could not read, or name an unknown key (a
        // token pasted as one): never show either.
        let token: StoredToken =
            serde_json::from_str(&text).map_err(|e| invalid(without_file_text(&e.to_string())))?;
        if token.version != TOKEN_FILE_VERSION {
            return Err(invalid(format!(
                "version {} is not {TOKEN_FILE_VERSION}",
                token.version
            )));
        }
        Ok(token)
    }

    /// Writes the token file atomically (temporary file, fsync, rename), with mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), TokenStoreError> {
        let io = io_error(path);
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        fs::create_dir_all(dir).map_err(io)?;
        // tempfile creates files with mode 0600, and the rename keeps it.
        let mut temp = tempfile::Builder::new()
            .prefix(".token.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(io)?;
        let json = serde_json::to_vec_pretty(self).map_err(|e| io(e.into()))?;
        temp.write_all(&json).map_err(io)?;
        temp.as_file().sync_all().map_err(io)?;
        temp.persist(path).map_err(|e| io(e.error))?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        Ok(())
    }
}

/// Maps an I/O error on `path` to [`TokenStoreError::Io`], for `map_err`.
fn io_error(path: &Path) -> impl Fn(std::io::Error) -> TokenStoreError + Copy + '_ {
    move |error| TokenStoreError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Refuses a token file that group or others may read or write: its tokens are the account's keys.
fn check_private(path: &Path) -> Result<(), TokenStoreError> {
    match crate::regular_file::shared_mode(path).map_err(io_error(path))? {
        Some(mode) => Err(TokenStoreError::Shared {
            path: path.to_path_buf(),
            mode,
        }),
        None => Ok(()),
    }
}

/// An exclusive lock on `<token file>.lock`, held while refreshing, so two runs sharing one token
/// file never spend the same refresh token twice.
pub struct TokenLock {
    _file: File,
}

impl TokenLock {
    /// Waits for the lock.
    pub fn acquire(path: &Path) -> Result<Self, TokenStoreError> {
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        let lock_path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_error(&lock_path))?;
        file.lock().map_err(io_error(&lock_path))?;
        Ok(TokenLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_with_mode_0600_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/token.json");
        let token = StoredToken {
            version: TOKEN_FILE_VERSION,
            client_id: "cid".into(),
            access_token: Secret::new("access-7Qx2"),
            refresh_token: Secret::new("refresh-9Kz4"),
            expires_at: Utc::now(),
            scopes: vec!["user:read:list_users:admin".into()],
            obtained_at: Utc::now(),
            refresh_started_at: None,
        };
        token.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let back = StoredToken::load(&path).unwrap();
        assert_eq!(back.refresh_token.expose(), "refresh-9Kz4");
        // Neither token shows in Debug, quoted or not.
        let debug = format!("{back:?}");
        assert!(
            !debug.contains("7Qx2") && !debug.contains("9Kz4"),
            "{debug}"
        );
        assert!(matches!(
            StoredToken::load(&dir.path().join("nope.json")),
            Err(TokenStoreError::Missing(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
            assert!(matches!(
                StoredToken::load(&path),
                Err(TokenStoreError::Shared { mode: 0o640, .. })
            ));
        }
    }
}
