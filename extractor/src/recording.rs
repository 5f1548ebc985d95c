//! The recorded-run format: one file per page holding the body exactly as Zoom sent it, and an
//! `index.json` listing the pages in fetch order with their request, HTTP status and fetch time.
//!
//! Replay reads it ([`crate::ReplaySource`]); live extraction writes it with `--record`; the fixture
//! generator writes it too. The format is documented in the README ("Recorded-run format").

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ExtractError;
use crate::status::UserStatus;

/// Value of `format` in every index.
pub const FORMAT_NAME: &str = "zoom-licenses/recorded-run";
/// The version of the format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Name of the index file in a recording directory.
pub const INDEX_FILE: &str = "index.json";

/// `index.json`: what was recorded, and every page in fetch order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RecordingIndex {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Always [`FORMAT_VERSION`].
    pub version: u32,
    /// The endpoint the pages came from, `GET /v2/users`.
    pub endpoint: String,
    /// The Zoom account the pages belong to, when known.
    #[serde(default)]
    pub account_id: Option<String>,
    /// When recording started.
    pub recorded_at: DateTime<Utc>,
    /// The pages, in fetch order.
    pub pages: Vec<PageEntry>,
}

/// One fetched page in the index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PageEntry {
    /// The body file, relative to the recording directory.
    pub file: String,
    /// The request that fetched it.
    pub request: PageRequest,
    /// The HTTP status of the response; replay uses only 200 pages.
    pub http_status: u16,
    /// When the response arrived.
    pub fetched_at: DateTime<Utc>,
}

/// The request behind a page (never any credential).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PageRequest {
    /// The `status` query parameter.
    pub status: UserStatus,
    /// The `page_size` query parameter.
    pub page_size: u32,
    /// Whether a `next_page_token` was sent (false on the first page of a sweep).
    pub page_token_sent: bool,
}

impl RecordingIndex {
    /// Reads and checks `DIR/index.json`.
    pub fn read(dir: &Path) -> Result<Self, ExtractError> {
        let path = dir.join(INDEX_FILE);
        let text = fs::read_to_string(&path).map_err(|source| ExtractError::Io {
            path: path.clone(),
            error: source,
        })?;
        let invalid = |reason: String| ExtractError::InvalidIndex {
            path: path.clone(),
            reason,
        };
        let index: RecordingIndex =
            serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        if index.format != FORMAT_NAME {
            return Err(invalid(format!(
                "`format` is \"{}\", expected \"{FORMAT_NAME}\"",
                index.format
            )));
        }
        if index.version != FORMAT_VERSION {
            return Err(invalid(format!(
                "`version` is {}, this build reads version {FORMAT_VERSION}",
                index.version
            )));
        }
        if index.pages.is_empty() {
            return Err(invalid("it lists no pages".into()));
        }
        for entry in &index.pages {
            let file = Path::new(&entry.file);
            if file.is_absolute() || file.components().any(|c| c.as_os_str() == "..") {
                return Err(invalid(format!(
                    "page file \"{}\" must be a relative path inside the recording",
                    entry.file
                )));
            }
        }
        Ok(index)
    }
}

/// Writes a recorded run: page files as they arrive, the index atomically at the end.
#[derive(Debug)]
pub struct RecordingWriter {
    dir: PathBuf,
    index: RecordingIndex,
}

impl RecordingWriter {
    /// Starts a recording in `dir` (created if missing).
    pub fn create(
        dir: &Path,
        account_id: Option<String>,
        recorded_at: DateTime<Utc>,
    ) -> Result<Self, ExtractError> {
        let pages = dir.join("pages");
        fs::create_dir_all(&pages).map_err(|source| ExtractError::Io {
            path: pages.clone(),
            error: source,
        })?;
        Ok(RecordingWriter {
            dir: dir.to_path_buf(),
            index: RecordingIndex {
                format: FORMAT_NAME.into(),
                version: FORMAT_VERSION,
                endpoint: "GET /v2/users".into(),
                account_id,
                recorded_at,
                pages: Vec::new(),
            },
        })
    }

    /// Writes one response body and lists it in the index.
    pub fn record_page(
        &mut self,
        request: PageRequest,
        http_status: u16,
        fetched_at: DateTime<Utc>,
        body: &[u8],
    ) -> Result<(), ExtractError> {
        let file = format!(
            "pages/{:05}-{}.json",
            self.index.pages.len() + 1,
            request.status
        );
        let path = self.dir.join(&file);
        fs::write(&path, body).map_err(|source| ExtractError::Io {
            path,
            error: source,
        })?;
        self.index.pages.push(PageEntry {
            file,
            request,
            http_status,
            fetched_at,
        });
        Ok(())
    }

    /// Writes `index.json` atomically; a recording without it is never mistaken for a whole one.
    pub fn finish(self) -> Result<RecordingIndex, ExtractError> {
        let path = self.dir.join(INDEX_FILE);
        let io = |source| ExtractError::Io {
            path: path.clone(),
            error: source,
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".index.json.")
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(io)?;
        let json = serde_json::to_vec_pretty(&self.index).map_err(|e| io(e.into()))?;
        tmp.write_all(&json).map_err(io)?;
        tmp.write_all(b"\n").map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(self.index)
    }
}
