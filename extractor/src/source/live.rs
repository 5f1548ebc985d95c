//! The live page source: sweeps of any endpoint (for users, one per status), run concurrently
//! under the rate limits, each following its pages until one says it is the last
//! ([`crate::zoom::page::Next`]: a `next_page_token` of `""`, the last `page_number`, or a first
//! page that holds its whole answer). Sweeps come in phases, so every user arrives before the sign-in events
//! that refer to them. An expired page token restarts its sweep (the transform drops repeats); a
//! refused page size falls back to 300 for every sweep. A recorder records pages as they arrive.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::error::ExtractError;
use crate::http::error::ApiError;
use crate::http::{FetchedPage, ZoomClient};
use crate::source::guard::SweepGuard;
use crate::source::recording::RecordingWriter;
use crate::source::{ApiReport, FollowUps, PageSource, SourceReport, SweepReport};
use crate::zoom::endpoint::{PageRequest, Rate};
use crate::zoom::page::Page;

pub use crate::http::FALLBACK_PAGE_SIZE;
pub use crate::zoom::users::MAX_PAGE_SIZE;
/// How often one sweep may restart after its page token expired.
pub const MAX_RESTARTS: u64 = 3;

/// Reads pages from the Zoom API.
pub struct LiveSource {
    client: Arc<ZoomClient>,
    api_url: String,
    phases: Vec<Vec<PageRequest>>,
    recorder: Option<RecordingWriter>,
    follow_ups: Option<FollowUps>,
}

impl LiveSource {
    /// A source running, phase after phase, a sweep from each request of the phase (first-page
    /// requests, their `page_size` parameter the one asked for); `recorder` records every page.
    pub fn new(
        client: Arc<ZoomClient>,
        api_url: String,
        phases: Vec<Vec<PageRequest>>,
        recorder: Option<RecordingWriter>,
    ) -> Self {
        LiveSource {
            client,
            api_url,
            phases,
            recorder,
            follow_ups: None,
        }
    }

    /// Adds, as a last phase, the requests `follow_ups` makes of every page read before.
    pub fn with_follow_ups(mut self, follow_ups: FollowUps) -> Self {
        self.follow_ups = Some(follow_ups);
        self
    }
}

/// State the sweeps share.
struct Shared {
    client: Arc<ZoomClient>,
    pages: mpsc::Sender<Page>,
    /// The last page's sequence number, locked while a page is numbered, recorded and sent, so
    /// that the order the transform reads pages in is the order the recording keeps.
    sequence: tokio::sync::Mutex<u64>,
    /// Records on the pages sent, repeats included.
    records: AtomicU64,
    page_size: AtomicU32,
    /// The smallest `page_size` a page of users said it holds: a server that clamps the size
    /// asked for says the one it used.
    served_page_size: AtomicU32,
    fell_back: AtomicBool,
    recorder: Option<Mutex<RecordingWriter>>,
    follow_ups: Option<FollowUps>,
    /// The follow-up requests asked for so far.
    followed: Mutex<Followed>,
}

/// The follow-ups of the pages read so far.
#[derive(Default)]
struct Followed {
    /// The requests by sweep, to ask for each once, in the order asked.
    requests: IndexMap<String, PageRequest>,
    /// Items that could not be asked for, each once.
    unaskable: HashSet<String>,
}

impl PageSource for LiveSource {
    async fn run(self, pages: mpsc::Sender<Page>) -> Result<SourceReport, ExtractError> {
        let all = || self.phases.iter().flatten();
        let page_size = all().filter_map(|r| r.query.page_size).max().unwrap_or(0);
        // What the manifest reports: the users' page size (other lists' pages are smaller).
        let users = all().filter(|r| r.endpoint.lists_users());
        let first_phase = users.filter_map(|r| r.query.page_size).max().unwrap_or(0);
        let heavy = all().any(|r| r.endpoint.rate == Rate::Heavy);
        let shared = Arc::new(Shared {
            client: self.client.clone(),
            pages,
            sequence: tokio::sync::Mutex::new(0),
            records: AtomicU64::new(0),
            page_size: AtomicU32::new(page_size),
            served_page_size: AtomicU32::new(u32::MAX),
            fell_back: AtomicBool::new(false),
            recorder: self.recorder.map(Mutex::new),
            follow_ups: self.follow_ups,
            followed: Mutex::new(Followed::default()),
        });
        let mut sweeps = Vec::new();
        for phase in self.phases {
            run_phase(&shared, phase, &mut sweeps).await?;
        }
        let unaskable = run_follow_ups(&shared, &mut sweeps).await?;
        sweeps.sort_by_key(|(i, _)| *i);
        let sweeps: Vec<SweepReport> = sweeps.into_iter().map(|(_, report)| report).collect();
        let shared = Arc::into_inner(shared)
            .ok_or_else(|| ExtractError::Internal("a sweep outlived the source".into()))?;
        if let Some(recorder) = shared.recorder {
            let recorder = recorder.into_inner().unwrap_or_else(|e| e.into_inner());
            let index = recorder.finish()?;
            tracing::info!(message = "Recorded run.", pages = index.pages.len());
        }
        let client = &self.client;
        Ok(SourceReport {
            account_id: client.credentials().account_id().map(str::to_owned),
            pages: sweeps.iter().map(|s| s.pages).sum(),
            records: shared.records.load(Ordering::Relaxed),
            sweeps,
            unaskable,
            api: Some(ApiReport {
                api_url: self.api_url,
                max_rps: client.max_rps(),
                heavy_max_rps: heavy.then(|| client.heavy_max_rps()),
                page_size: shared
                    .page_size
                    .load(Ordering::Relaxed)
                    .min(first_phase)
                    .min(shared.served_page_size.load(Ordering::Relaxed)),
                page_size_fallback: shared.fell_back.load(Ordering::Relaxed),
                requests: client.stats(),
            }),
        })
    }
}

/// Runs the follow-up requests of the pages read so far as a last phase; returns the unaskable.
async fn run_follow_ups(
    shared: &Arc<Shared>,
    sweeps: &mut Vec<(usize, SweepReport)>,
) -> Result<u64, ExtractError> {
    let Followed {
        requests,
        unaskable,
    } = std::mem::take(&mut *shared.followed.lock().unwrap_or_else(|e| e.into_inner()));
    let followed: Vec<PageRequest> = requests.into_values().collect();
    if followed.is_empty() {
        return Ok(unaskable.len() as u64);
    }
    let (total, before) = (followed.len(), sweeps.len());
    tracing::info!(
        message = "Reading the follow-up requests.",
        requests = total
    );
    match run_phase(shared, followed, sweeps).await {
        Ok(()) => {
            tracing::info!(message = "Follow-up requests read.", requests = total);
            Ok(unaskable.len() as u64)
        }
        Err(ExtractError::Api { sweep, error }) => {
            let done = sweeps.len() - before;
            Err(ExtractError::Api {
                sweep: format!("{sweep} ({done} of {total} such requests were done)"),
                error,
            })
        }
        Err(other) => Err(other),
    }
}

/// Runs the sweeps of one phase concurrently (a few seconds' worth of requests at once: a phase
/// may hold one per user), adding their reports to `sweeps`; a failure stops the others.
async fn run_phase(
    shared: &Arc<Shared>,
    phase: Vec<PageRequest>,
    sweeps: &mut Vec<(usize, SweepReport)>,
) -> Result<(), ExtractError> {
    let in_flight = (shared.client.max_rps() as usize * 2).clamp(8, 256);
    let first = sweeps.len();
    let mut running = JoinSet::new();
    let mut failure = None;
    for (n, request) in phase.into_iter().enumerate() {
        while running.len() >= in_flight && failure.is_none() {
            failure = join_one(&mut running, sweeps).await.err();
        }
        if failure.is_some() {
            break;
        }
        let shared = shared.clone();
        running.spawn(async move { (first + n, sweep(shared, request).await) });
    }
    while failure.is_none() && !running.is_empty() {
        failure = join_one(&mut running, sweeps).await.err();
    }
    running.shutdown().await;
    failure.map_or(Ok(()), Err)
}

/// Waits for one sweep of `running` and adds its report.
async fn join_one(
    running: &mut JoinSet<(usize, Result<SweepReport, ExtractError>)>,
    sweeps: &mut Vec<(usize, SweepReport)>,
) -> Result<(), ExtractError> {
    if let Some(joined) = running.join_next().await {
        let (i, report) = joined.map_err(|e| ExtractError::Internal(e.to_string()))?;
        sweeps.push((i, report?));
    }
    Ok(())
}

/// A page request running in the background, with the lookahead of its response's next token.
struct Inflight {
    request: PageRequest,
    task: tokio::task::JoinHandle<Result<FetchedPage, ApiError>>,
    lookahead: oneshot::Receiver<String>,
}

impl Inflight {
    /// Sends `request`, with the run's page size (which a fallback may have lowered), never
    /// raising what was asked.
    fn start(shared: &Arc<Shared>, mut request: PageRequest) -> Self {
        if let Some(size) = &mut request.query.page_size {
            *size = (*size).min(shared.page_size.load(Ordering::Relaxed));
        }
        let (sender, lookahead) = oneshot::channel();
        let client = shared.client.clone();
        let sent = request.clone();
        let task =
            tokio::spawn(async move { client.fetch_with_lookahead(&sent, Some(sender)).await });
        Inflight {
            request,
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

/// Follows one sweep from `first` to its last page, sending each page on.
async fn sweep(shared: Arc<Shared>, first: PageRequest) -> Result<SweepReport, ExtractError> {
    let sweep = first.sweep();
    let mut report = SweepReport::new(first.clone());
    // What this pass of the sweep has read: the one rule that ends every chain of pages.
    let mut guard = SweepGuard::new();
    let mut current = Inflight::start(&shared, first.clone());
    loop {
        // As soon as this response's body arrives, its next token starts the next request, which
        // then travels while this page is parsed and handed on: the network sets the pace.
        let mut next = match (&mut current.lookahead).await {
            Ok(token) => Some(Inflight::start(&shared, current.request.next(&token))),
            Err(_) => None,
        };
        let joined = (&mut current.task)
            .await
            .map_err(|e| ExtractError::Internal(format!("a page request panicked: {e}")))?;
        let fetched = match joined {
            Ok(fetched) => fetched,
            Err(error) => {
                let failed = &current.request;
                match recover(&shared, &first, failed, &mut report, &mut guard, error)? {
                    Some(request) => current = Inflight::start(&shared, request),
                    None => return Ok(report),
                }
                continue;
            }
        };
        let fetched_at = fetched.fetched_at;
        let page = take_page(&shared, fetched, &mut report);
        let following = page.next_request();
        if page.request.endpoint.paginated
            && let Err(why) = guard.admit(&page)
        {
            return Err(ExtractError::EndlessSweep { sweep, why });
        }
        note_follow_ups(&shared, &page);
        deliver(&shared, page, fetched_at).await?;
        let Some(following) = following else {
            break;
        };
        // The page a retry finally parsed names the next page; a lookahead for another is dropped.
        current = match next.take() {
            Some(inflight) if inflight.request == following => inflight,
            _ => Inflight::start(&shared, following),
        };
    }
    if let Some(total) = report.total_records
        && total != report.records_received
    {
        tracing::warn!(
            message = "Records received differ from Zoom's total_records.",
            %sweep,
            received = report.records_received,
            total_records = total
        );
    }
    // A list's sweep is a phase of the run; a request per item (a user's settings: a path
    // parameter, no pages) is one of thousands, told at debug level: info keeps one line per phase.
    let (pages, records) = (report.pages, report.records_received);
    let endpoint = first.endpoint;
    match endpoint.paginated || !endpoint.path.contains('{') {
        true => tracing::info!(message = "Sweep finished.", %sweep, pages, records),
        false => tracing::debug!(message = "Sweep finished.", %sweep, pages, records),
    }
    Ok(report)
}

/// How the sweep from `first` goes on after `failed` met `error`: the request to send instead
/// (from `first` for an expired token, with the fallback page size), `None` when the item is gone.
fn recover(
    shared: &Shared,
    first: &PageRequest,
    failed: &PageRequest,
    report: &mut SweepReport,
    guard: &mut SweepGuard,
    error: ApiError,
) -> Result<Option<PageRequest>, ExtractError> {
    let sweep = first.sweep();
    let page_size = failed.query.page_size.unwrap_or(0);
    match error {
        ApiError::PageTokenExpired(message) if report.restarts < MAX_RESTARTS => {
            report.restarts += 1;
            report.records_received = 0;
            guard.restart();
            tracing::warn!(
                message = "Page token expired; restarting the sweep from its first page.",
                %sweep,
                zoom = %message,
                restart = report.restarts
            );
            Ok(Some(first.clone()))
        }
        ApiError::PageSizeRejected(message) if page_size > FALLBACK_PAGE_SIZE => {
            shared
                .page_size
                .store(FALLBACK_PAGE_SIZE, Ordering::Relaxed);
            shared.fell_back.store(true, Ordering::Relaxed);
            tracing::warn!(
                message = "Zoom refused the page size; falling back.",
                %sweep,
                page_size,
                fallback = FALLBACK_PAGE_SIZE,
                zoom = %message
            );
            Ok(Some(failed.clone()))
        }
        ApiError::Rejected {
            status: 404, code, ..
        } if first.endpoint.gone_code == Some(code) => {
            tracing::warn!(message = "Gone since it was listed; skipped.", %sweep);
            report.gone = true;
            // Recorded too: a replay then knows the answer was "gone", not lost.
            let body = serde_json::json!({ "code": code }).to_string();
            record(shared, first, 404, chrono::Utc::now(), body.as_bytes())?;
            Ok(None)
        }
        error => Err(ExtractError::Api { sweep, error }),
    }
}

/// Counts a fetched page; notes a server that serves fewer users per page than asked for.
fn take_page(shared: &Shared, fetched: FetchedPage, report: &mut SweepReport) -> Page {
    let page = fetched.page;
    let page_size = page.request.query.page_size.unwrap_or(0);
    report.count_page(&page);
    let served = page
        .meta
        .page_size
        .filter(|_| page.request.endpoint.lists_users());
    if let Some(served) = served.and_then(|s| u32::try_from(s).ok())
        && (1..page_size).contains(&served)
        && shared.served_page_size.fetch_min(served, Ordering::Relaxed) > served
    {
        tracing::info!(
            message = "Zoom sends fewer users per page than asked for; following its pages.",
            sweep = %page.request.sweep(),
            asked = page_size,
            served
        );
    }
    shared
        .records
        .fetch_add(page.record_count() as u64, Ordering::Relaxed);
    page
}

/// Numbers, records and sends `page` as one step, so the concurrent sweeps cannot make the
/// recording's (the replay's) page order differ from the live run's.
async fn deliver(
    shared: &Shared,
    mut page: Page,
    fetched_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), ExtractError> {
    let mut sequence = shared.sequence.lock().await;
    *sequence += 1;
    page.sequence = *sequence;
    record(
        shared,
        &page.request,
        200,
        fetched_at,
        page.body().as_bytes(),
    )?;
    let sent = shared.pages.send(page).await;
    sent.map_err(|_| ExtractError::ConsumerGone)
}

/// Writes an answer to the recording, when the run records.
fn record(
    shared: &Shared,
    request: &PageRequest,
    http_status: u16,
    fetched_at: chrono::DateTime<chrono::Utc>,
    body: &[u8],
) -> Result<(), ExtractError> {
    let Some(recorder) = &shared.recorder else {
        return Ok(());
    };
    let mut recorder = recorder.lock().unwrap_or_else(|e| e.into_inner());
    recorder.record_page(request, http_status, fetched_at, body)
}

/// Adds the follow-up requests `page` makes, each once (a restarted sweep reads its pages again).
fn note_follow_ups(shared: &Shared, page: &Page) {
    let Some(follow_ups) = &shared.follow_ups else {
        return;
    };
    let more = follow_ups(page);
    if more.requests.is_empty() && more.unaskable.is_empty() {
        return;
    }
    let mut followed = shared.followed.lock().unwrap_or_else(|e| e.into_inner());
    for request in more.requests {
        followed.requests.entry(request.sweep()).or_insert(request);
    }
    followed.unaskable.extend(more.unaskable);
}

/// Every page of the sweep from `first`, one request after the other, bounded by [`SweepGuard`]:
/// a short list read before a run (a master account's sub accounts).
pub async fn every_page(
    client: &ZoomClient,
    first: PageRequest,
) -> Result<Vec<Page>, ExtractError> {
    let sweep = first.sweep();
    let mut guard = SweepGuard::new();
    let mut pages = Vec::new();
    let mut request = first;
    loop {
        let page = match client.fetch(&request).await {
            Ok(fetched) => fetched.page,
            Err(error) => return Err(ExtractError::Api { sweep, error }),
        };
        if let Err(why) = guard.admit(&page) {
            return Err(ExtractError::EndlessSweep { sweep, why });
        }
        let next = page.next_request();
        pages.push(page);
        match next {
            Some(next) => request = next,
            None => return Ok(pages),
        }
    }
}
