//! Replays a recorded run as a [`PageSource`]: the tests' and `make run`'s source of pages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;

use crate::error::ExtractError;
use crate::page::UsersPage;
use crate::recording::RecordingIndex;
use crate::source::{PageSource, SourceReport};
use crate::status::UserStatus;

/// A page source reading a recording directory in fetch order.
#[derive(Debug)]
pub struct ReplaySource {
    dir: PathBuf,
    index: RecordingIndex,
}

impl ReplaySource {
    /// Opens a recording, checking its index.
    pub fn open(dir: &Path) -> Result<Self, ExtractError> {
        let index = RecordingIndex::read(dir)?;
        Ok(ReplaySource {
            dir: dir.to_path_buf(),
            index,
        })
    }

    /// The recording's index.
    pub fn index(&self) -> &RecordingIndex {
        &self.index
    }
}

impl PageSource for ReplaySource {
    async fn run(self, pages: mpsc::Sender<UsersPage>) -> Result<SourceReport, ExtractError> {
        let mut report = SourceReport {
            account_id: self.index.account_id.clone(),
            ..SourceReport::default()
        };
        // The last page seen per status, to prove each sweep ran to its empty token.
        let mut last: BTreeMap<UserStatus, (PathBuf, String)> = BTreeMap::new();
        for entry in &self.index.pages {
            let path = self.dir.join(&entry.file);
            let started = std::time::Instant::now();
            if entry.http_status != 200 {
                tracing::debug!(
                    message = "Skipping a recorded non-200 response.",
                    file = %entry.file,
                    http_status = entry.http_status
                );
                continue;
            }
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|source| ExtractError::Io {
                    path: path.clone(),
                    error: source,
                })?;
            let body = String::from_utf8(bytes).map_err(|e| ExtractError::InvalidPage {
                path: path.clone(),
                reason: format!("not UTF-8: {e}"),
            })?;
            let status = entry.request.status;
            let page =
                UsersPage::parse_lazily(status, report.pages + 1, body).map_err(|reason| {
                    ExtractError::InvalidPage {
                        path: path.clone(),
                        reason,
                    }
                })?;
            report.count_page(&page);
            last.insert(status, (path, page.meta.next_page_token.clone()));
            tracing::debug!(
                message = "Replayed page.",
                %status,
                sequence = page.sequence,
                micros = started.elapsed().as_micros() as u64
            );
            pages
                .send(page)
                .await
                .map_err(|_| ExtractError::ConsumerGone)?;
        }
        for (status, (path, token)) in last {
            if !token.is_empty() {
                return Err(ExtractError::IncompleteSweep {
                    status,
                    path,
                    token_hint: token.chars().take(8).collect(),
                });
            }
        }
        Ok(report)
    }
}
