//! The recorded-run format (docs/recordings.md, "Recorded-run format"): one file per page holding
//! the body as Zoom sent it, and an `index.json` listing the pages in fetch order with the request
//! each answered, its HTTP status and fetch time. Written by `--record` and the fixture generator,
//! read by replay.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ExtractError;
use crate::zoom::endpoint::{Endpoint, PageRequest, Query};

/// Value of `format` in every index.
pub const FORMAT_NAME: &str = "zoom-licenses/recorded-run";
/// The version of the format this build writes.
pub const FORMAT_VERSION: u32 = 2;
/// Name of the index file in a recording directory.
pub const INDEX_FILE: &str = "index.json";

/// `index.json`: what was recorded, and every page in fetch order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RecordingIndex {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`].
    pub version: u32,
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
    pub request: RecordedRequest,
    /// The HTTP status of the response; replay uses only 200 pages.
    pub http_status: u16,
    /// When the response arrived.
    pub fetched_at: DateTime<Utc>,
}

/// The request behind a page (never any credential; a page token is a cursor, not a secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RecordedRequest {
    /// The endpoint's path, e.g. `users`.
    pub endpoint: String,
    /// The query parameters, e.g. `{"page_size": "2000", "status": "active"}`.
    pub query: Query,
    /// The `next_page_token` sent, or `null` on a first page.
    pub page_token: Option<String>,
}

impl RecordedRequest {
    /// How a recording names `request`.
    pub fn of(request: &PageRequest) -> Self {
        RecordedRequest {
            endpoint: request.endpoint.path.to_string(),
            query: request.query.clone(),
            page_token: request.page_token.clone(),
        }
    }

    /// The request it was, when it is of one of `endpoints`.
    pub fn request(&self, endpoints: &[&'static Endpoint]) -> Option<PageRequest> {
        let endpoint = endpoints.iter().find(|e| e.path == self.endpoint)?;
        Some(PageRequest {
            endpoint,
            query: self.query.clone(),
            page_token: self.page_token.clone(),
        })
    }
}

impl RecordingIndex {
    /// Reads and checks `DIR/index.json`.
    pub fn read(dir: &Path) -> Result<Self, ExtractError> {
        let path = dir.join(INDEX_FILE);
        let text = crate::regular_file::read_to_string(&path).map_err(ExtractError::io(&path))?;
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
    keep_personal: bool,
}

impl RecordingWriter {
    /// Starts a recording in `dir` (created if missing).
    pub fn create(
        dir: &Path,
        account_id: Option<String>,
        recorded_at: DateTime<Utc>,
    ) -> Result<Self, ExtractError> {
        let pages = dir.join("pages");
        fs::create_dir_all(&pages).map_err(ExtractError::io(&pages))?;
        Ok(RecordingWriter {
            dir: dir.to_path_buf(),
            index: RecordingIndex {
                format: FORMAT_NAME.into(),
                version: FORMAT_VERSION,
                account_id,
                recorded_at,
                pages: Vec::new(),
            },
            keep_personal: false,
        })
    }

    /// Keeps the endpoints' `personal` members in recorded pages, which leave them out otherwise.
    pub fn keeping_personal_data(mut self, keep: bool) -> Self {
        self.keep_personal = keep;
        self
    }

    /// Writes one response body (its personal members left out unless kept) and lists it.
    pub fn record_page(
        &mut self,
        request: &PageRequest,
        http_status: u16,
        fetched_at: DateTime<Utc>,
        body: &[u8],
    ) -> Result<(), ExtractError> {
        // `00001-users-active.json`: the endpoint, then the query's values but the page size.
        let mut name = request
            .endpoint
            .path
            .replace('/', "-")
            .replace(['{', '}'], "");
        for (key, value) in &request.query.members {
            let plain = value.len() <= 32 && value.chars().all(|c| c.is_ascii_alphanumeric());
            if key != "page_size" && plain {
                name = format!("{name}-{value}");
            }
        }
        let file = format!("pages/{:05}-{name}.json", self.index.pages.len() + 1);
        let path = self.dir.join(&file);
        let redacted = match self.keep_personal {
            true => None,
            false => without_personal(request, body),
        };
        let body = redacted.as_deref().unwrap_or(body);
        // A server that echoes a credential into a page would otherwise leave it on disk (a body
        // not UTF-8 is no page, which was read as UTF-8 before it was parsed, nor a "gone" answer).
        let clean = std::str::from_utf8(body).map(crate::auth::secret::redact);
        let body = clean.as_ref().map_or(body, |text| text.as_bytes());
        fs::write(&path, body).map_err(ExtractError::io(&path))?;
        self.index.pages.push(PageEntry {
            file,
            request: RecordedRequest::of(request),
            http_status,
            fetched_at,
        });
        Ok(())
    }

    /// Writes `index.json` atomically; a recording without it is never mistaken for a whole one.
    pub fn finish(self) -> Result<RecordingIndex, ExtractError> {
        let path = self.dir.join(INDEX_FILE);
        let io = ExtractError::io(&path);
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

/// `body` without the endpoint's personal members in any of its records; `None` when there is
/// nothing to leave out (or the body is not JSON, which the page parser has already refused).
fn without_personal(request: &PageRequest, body: &[u8]) -> Option<Vec<u8>> {
    let endpoint = request.endpoint;
    let key = endpoint.records.filter(|_| !endpoint.personal.is_empty())?;
    let mut page: serde_json::Value = serde_json::from_slice(body).ok()?;
    for record in page.get_mut(key)?.as_array_mut()? {
        if let Some(record) = record.as_object_mut() {
            endpoint.personal.iter().for_each(|member| {
                record.remove(*member);
            });
        }
    }
    serde_json::to_vec(&page).ok()
}
