//! The live page source: every status sweep of `GET /v2/users`, run concurrently under one rate
//! limit, each following `next_page_token` until Zoom sends `""` (never trusting `page_count`).
//!
//! An expired page token restarts that sweep from its first page (the transform drops the repeats);
//! a refused page size falls back to 300 once for every sweep. With a recorder, every page is
//! written to a recorded run as it arrives, so `--replay` gives the same rows later.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use tokio::sync::oneshot;

use crate::client::{ApiError, FetchedPage, RequestStats, ZoomClient};
use crate::error::ExtractError;
use crate::page::UsersPage;
use crate::recording::{PageRequest, RecordingWriter};
use crate::source::{PageSource, SourceReport, StatusReport};
use crate::status::UserStatus;

/// The largest page size Zoom documents (since its October 2024 spec).
pub const MAX_PAGE_SIZE: u32 = 2000;
/// The page size older Zoom documentation gives as the maximum; the fallback.
pub const FALLBACK_PAGE_SIZE: u32 = 300;
/// How often one sweep may restart after its page token expired.
pub const MAX_RESTARTS: u64 = 3;

/// What the live source adds to the report.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ApiReport {
    /// The API base URL.
    pub api_url: String,
    /// The page size used in the end.
    pub page_size: u32,
    /// Whether Zoom refused the requested page size and 300 was used instead.
    pub page_size_fallback: bool,
    /// Requests, retries, 429s, waits and token renewals.
    #[serde(flatten)]
    pub requests: RequestStats,
}

/// Reads users from the Zoom API.
pub struct LiveSource {
    client: Arc<ZoomClient>,
    api_url: String,
    statuses: Vec<UserStatus>,
    page_size: u32,
    recorder: Option<RecordingWriter>,
}

impl LiveSource {
    /// A source sweeping `statuses` with `page_size`; `recorder` records every page.
    pub fn new(
        client: Arc<ZoomClient>,
        api_url: String,
        statuses: Vec<UserStatus>,
        page_size: u32,
        recorder: Option<RecordingWriter>,
    ) -> Self {
        LiveSource {
            client,
            api_url,
            statuses,
            page_size,
            recorder,
        }
    }
}

/// State the sweeps share.
struct Shared {
    client: Arc<ZoomClient>,
    pages: mpsc::Sender<UsersPage>,
    sequence: AtomicU64,
    page_size: AtomicU32,
    fell_back: AtomicBool,
    recorder: Option<Mutex<RecordingWriter>>,
}

impl PageSource for LiveSource {
    async fn run(self, pages: mpsc::Sender<UsersPage>) -> Result<SourceReport, ExtractError> {
        let shared = Arc::new(Shared {
            client: self.client.clone(),
            pages,
            sequence: AtomicU64::new(0),
            page_size: AtomicU32::new(self.page_size),
            fell_back: AtomicBool::new(false),
            recorder: self.recorder.map(Mutex::new),
        });
        let mut sweeps = JoinSet::new();
        for status in self.statuses {
            sweeps.spawn(sweep(shared.clone(), status));
        }
        let mut statuses = BTreeMap::new();
        while let Some(joined) = sweeps.join_next().await {
            let (status, report) = joined.map_err(|e| ExtractError::Internal(e.to_string()))??;
            statuses.insert(status, report);
        }
        let shared = Arc::into_inner(shared)
            .ok_or_else(|| ExtractError::Internal("a sweep outlived the source".into()))?;
        if let Some(recorder) = shared.recorder {
            let recorder = recorder.into_inner().unwrap_or_else(|e| e.into_inner());
            let index = recorder.finish()?;
            tracing::info!(message = "Recorded run.", pages = index.pages.len());
        }
        Ok(SourceReport {
            account_id: self.client.credentials().account_id().map(str::to_owned),
            pages: statuses.values().map(|s: &StatusReport| s.pages).sum(),
            statuses,
            api: Some(ApiReport {
                api_url: self.api_url,
                page_size: shared.page_size.load(Ordering::Relaxed),
                page_size_fallback: shared.fell_back.load(Ordering::Relaxed),
                requests: self.client.stats(),
            }),
        })
    }
}

/// A page request running in the background, with the lookahead of its response's next token.
struct Inflight {
    token: Option<String>,
    page_size: u32,
    task: tokio::task::JoinHandle<Result<FetchedPage, ApiError>>,
    lookahead: oneshot::Receiver<String>,
}

impl Inflight {
    fn start(shared: &Arc<Shared>, status: UserStatus, token: Option<String>) -> Self {
        let page_size = shared.page_size.load(Ordering::Relaxed);
        let (sender, lookahead) = oneshot::channel();
        let client = shared.client.clone();
        let sent = token.clone();
        let task = tokio::spawn(async move {
            client
                .users_page_with_lookahead(status, page_size, sent.as_deref(), Some(sender))
                .await
        });
        Inflight {
            token,
            page_size,
            task,
            lookahead,
        }
    }
}

impl Drop for Inflight {
    fn drop(&mut self) {
        // A request nobody will read (an error or restart elsewhere) must not keep running.
        self.task.abort();
    }
}

async fn sweep(
    shared: Arc<Shared>,
    status: UserStatus,
) -> Result<(UserStatus, StatusReport), ExtractError> {
    let mut report = StatusReport::default();
    let mut current = Inflight::start(&shared, status, None);
    loop {
        // As soon as this response's body arrives, its next token starts the next request, which
        // then travels while this page is parsed and handed on: the network sets the pace.
        let mut next = match (&mut current.lookahead).await {
            Ok(token) => Some(Inflight::start(&shared, status, Some(token))),
            Err(_) => None,
        };
        let joined = (&mut current.task)
            .await
            .map_err(|e| ExtractError::Internal(format!("a page request panicked: {e}")))?;
        let page_size = current.page_size;
        let fetched = match joined {
            Ok(fetched) => fetched,
            Err(ApiError::PageTokenExpired(message)) if report.restarts < MAX_RESTARTS => {
                report.restarts += 1;
                report.users_received = 0;
                tracing::warn!(
                    message = "Page token expired; restarting the sweep from its first page.",
                    %status,
                    zoom = %message,
                    restart = report.restarts
                );
                current = Inflight::start(&shared, status, None);
                continue;
            }
            Err(ApiError::PageSizeRejected(message)) if page_size > FALLBACK_PAGE_SIZE => {
                shared
                    .page_size
                    .store(FALLBACK_PAGE_SIZE, Ordering::Relaxed);
                shared.fell_back.store(true, Ordering::Relaxed);
                tracing::warn!(
                    message = "Zoom refused the page size; falling back.",
                    %status,
                    page_size,
                    fallback = FALLBACK_PAGE_SIZE,
                    zoom = %message
                );
                current = Inflight::start(&shared, status, current.token.clone());
                continue;
            }
            Err(error) => return Err(ExtractError::Api { status, error }),
        };
        let mut page = fetched.page;
        page.sequence = shared.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(recorder) = &shared.recorder {
            let request = PageRequest {
                status,
                page_size,
                page_token_sent: current.token.is_some(),
            };
            recorder
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .record_page(request, 200, fetched.fetched_at, page.body().as_bytes())?;
        }
        report.count_page(&page);
        let token = page.meta.next_page_token.clone();
        if !token.is_empty() && current.token.as_deref() == Some(token.as_str()) {
            return Err(ExtractError::Internal(format!(
                "Zoom sent the same next_page_token twice for status `{status}`; stopping instead of looping"
            )));
        }
        shared
            .pages
            .send(page)
            .await
            .map_err(|_| ExtractError::ConsumerGone)?;
        if token.is_empty() {
            break;
        }
        // The page a retry finally parsed names the next token; a lookahead for another is dropped.
        current = match next.take() {
            Some(inflight) if inflight.token.as_deref() == Some(token.as_str()) => inflight,
            _ => Inflight::start(&shared, status, Some(token)),
        };
    }
    match report.total_records {
        Some(total) if total != report.users_received => tracing::warn!(
            message = "Users received differ from Zoom's total_records.",
            %status,
            received = report.users_received,
            total_records = total
        ),
        _ => {}
    }
    tracing::info!(
        message = "Status finished.",
        %status,
        pages = report.pages,
        users = report.users_received
    );
    Ok((status, report))
}
