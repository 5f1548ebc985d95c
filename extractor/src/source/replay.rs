//! Replays a recorded run as a [`PageSource`]: the tests' and `make run`'s source of pages.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use tokio::sync::mpsc;

use crate::error::ExtractError;
use crate::source::guard::SweepGuard;
use crate::source::recording::{PageEntry, RecordingIndex};
use crate::source::{FollowUps, PageSource, SourceReport, SweepReport};
use crate::zoom::ENDPOINTS;
use crate::zoom::endpoint::{Endpoint, PageRequest};
use crate::zoom::page::{Next, Page};

/// A page source reading a recording directory in fetch order.
pub struct ReplaySource {
    dir: PathBuf,
    index: RecordingIndex,
    endpoints: Vec<&'static Endpoint>,
    follow_ups: Option<FollowUps>,
}

impl ReplaySource {
    /// Opens a recording whose pages all name a known endpoint and a query it would send; its pages
    /// of `endpoints` are replayed (the others skipped), and there must be one at least.
    pub fn open(dir: &Path, endpoints: &[&'static Endpoint]) -> Result<Self, ExtractError> {
        let index = RecordingIndex::read(dir)?;
        let invalid = |reason: String| ExtractError::InvalidIndex {
            path: dir.join(crate::source::recording::INDEX_FILE),
            reason,
        };
        for entry in &index.pages {
            let Some(request) = entry.request.request(ENDPOINTS) else {
                return Err(invalid(format!(
                    "page {} is of endpoint `{}`, which this build does not know",
                    entry.file, entry.request.endpoint
                )));
            };
            let checked = (request.endpoint.check_query)(&request);
            checked.map_err(|e| invalid(format!("page {}: {e}", entry.file)))?;
        }
        let replayed = |p: &PageEntry| endpoints.iter().any(|e| e.path == p.request.endpoint);
        if !index.pages.iter().any(replayed) {
            let names: Vec<&str> = endpoints.iter().map(|e| e.path).collect();
            return Err(invalid(format!(
                "it holds no page of `{}`",
                names.join("`, `")
            )));
        }
        Ok(ReplaySource {
            dir: dir.to_path_buf(),
            index,
            endpoints: endpoints.to_vec(),
            follow_ups: None,
        })
    }

    /// Requires an answer in the recording to every request `follow_ups` makes of a replayed
    /// page (a licensed user's settings), as a live run asked them: a missing one would lose that
    /// user's rows without a word. A recorded "gone" answer counts.
    pub fn expecting(mut self, follow_ups: FollowUps) -> Self {
        self.follow_ups = Some(follow_ups);
        self
    }

    /// The recording's index.
    pub fn index(&self) -> &RecordingIndex {
        &self.index
    }
}

impl PageSource for ReplaySource {
    async fn run(self, pages: mpsc::Sender<Page>) -> Result<SourceReport, ExtractError> {
        let mut replay = Progress::default();
        replay.report.account_id = self.index.account_id.clone();
        for entry in &self.index.pages {
            let path = self.dir.join(&entry.file);
            let started = std::time::Instant::now();
            let Some(request) = entry.request.request(&self.endpoints) else {
                tracing::debug!(
                    message = "Skipping a recorded page of an endpoint this run does not read.",
                    file = %entry.file,
                    endpoint = %entry.request.endpoint
                );
                continue;
            };
            let sweep = request.sweep();
            if !replay.is_page(entry, &request, &sweep, &path) {
                continue;
            }
            let page = read_page(&path, request, replay.report.pages + 1).await?;
            replay.report.pages += 1;
            replay.report.records += page.record_count() as u64;
            if let Some(follow_ups) = &self.follow_ups {
                let more = follow_ups(&page);
                let asks = more.requests.into_iter().map(|r| (r.sweep(), path.clone()));
                replay.expected.extend(asks);
                replay.unaskable.extend(more.unaskable);
            }
            replay.follow(&page, &sweep, path)?;
            tracing::debug!(
                message = "Replayed page.",
                %sweep,
                sequence = page.sequence,
                micros = started.elapsed().as_micros() as u64
            );
            pages
                .send(page)
                .await
                .map_err(|_| ExtractError::ConsumerGone)?;
        }
        replay.finish()
    }
}

/// Reads and parses the recorded page at `path`, answer to `request`.
async fn read_page(path: &Path, request: PageRequest, sequence: u64) -> Result<Page, ExtractError> {
    let bytes = crate::regular_file::read_async(path)
        .await
        .map_err(ExtractError::io(path))?;
    let invalid = |reason| ExtractError::InvalidPage {
        path: path.to_path_buf(),
        reason,
    };
    let body = String::from_utf8(bytes).map_err(|e| invalid(format!("not UTF-8: {e}")))?;
    Page::parse(request, sequence, body).map_err(invalid)
}

/// What a replay has read so far, to prove at its end that the recording was whole.
#[derive(Default)]
struct Progress {
    /// The report so far, but its sweeps (those of `tails`, then of `gone`).
    report: SourceReport,
    /// Each sweep with an answered page, in the order of their first pages.
    tails: IndexMap<String, Tail>,
    /// Each sweep with a recorded request, answered or not, and its first recorded file.
    asked: IndexMap<String, PathBuf>,
    /// The follow-up sweeps the replayed pages ask for, with the page that asked.
    expected: Vec<(String, PathBuf)>,
    /// Sweeps whose item was gone when asked (a recorded 404 with the endpoint's gone code).
    gone: IndexMap<String, SweepReport>,
    /// Follow-ups that could not be asked for.
    unaskable: HashSet<String>,
}

impl Progress {
    /// Notes that `sweep` was asked; whether `entry` is a page to replay (not a "gone" or error).
    fn is_page(
        &mut self,
        entry: &PageEntry,
        request: &PageRequest,
        sweep: &str,
        path: &Path,
    ) -> bool {
        // Looked up by sweep: a run with a settings request per user has as many sweeps.
        let asked = self.asked.entry(sweep.to_string());
        asked.or_insert_with(|| path.to_path_buf());
        if entry.http_status == 404 && request.endpoint.gone_code.is_some() {
            let gone = || SweepReport {
                gone: true,
                ..SweepReport::new(request.clone())
            };
            self.gone.entry(sweep.to_string()).or_insert_with(gone);
            return false;
        }
        if entry.http_status != 200 {
            tracing::debug!(
                message = "Skipping a recorded non-200 response.",
                file = %entry.file,
                http_status = entry.http_status
            );
            return false;
        }
        true
    }

    /// Adds `page` (at `path`) to its sweep, checking that it chains on and stays within bounds.
    fn follow(&mut self, page: &Page, sweep: &str, path: PathBuf) -> Result<(), ExtractError> {
        let previous = self.tails.get(sweep).map(|tail| &tail.next);
        if let Err(reason) = chained(page, previous) {
            return Err(ExtractError::BrokenRecording { path, reason });
        }
        let tail = self.tails.entry(sweep.to_string()).or_insert_with(|| Tail {
            report: SweepReport::new(page.request.clone()),
            path: path.clone(),
            next: Next::Last,
            guard: SweepGuard::new(),
        });
        // A sweep's first page again: it was restarted (its page token had expired).
        if tail.report.pages > 0 && page.request.is_first() {
            tail.report.restarts += 1;
            tail.report.records_received = 0;
            tail.guard.restart();
        }
        tail.report.count_page(page);
        // What a live run refuses to follow, a replay refuses too.
        if page.request.endpoint.paginated
            && let Err(why) = tail.guard.admit(page)
        {
            let sweep = sweep.to_string();
            return Err(ExtractError::EndlessSweep { sweep, why });
        }
        tail.path = path;
        tail.next = page.next.clone();
        Ok(())
    }

    /// The report, once every sweep is proven whole: each follow-up answered, each sweep asked
    /// answered at least once, and each ended on a page with an empty token.
    fn finish(mut self) -> Result<SourceReport, ExtractError> {
        let broken = |path, reason| Err(ExtractError::BrokenRecording { path, reason });
        let asked = &self.asked;
        if let Some((sweep, path)) = self
            .expected
            .into_iter()
            .find(|(s, _)| !asked.contains_key(s))
        {
            let reason = format!(
                "it lists a user whose `{sweep}` answer is not in the recording: that user's rows \
                 would be lost"
            );
            return broken(path, reason);
        }
        let answered = |s: &String| self.tails.contains_key(s) || self.gone.contains_key(s);
        if let Some((sweep, path)) = self.asked.iter().find(|(s, _)| !answered(s)) {
            let reason = format!(
                "every recorded answer of `{sweep}` is an error: none of its records are here"
            );
            return broken(path.clone(), reason);
        }
        if let Some((sweep, tail)) = self.tails.iter().find(|(_, t)| t.next != Next::Last) {
            let reason = format!(
                "it is the last `{sweep}` page, yet names a next one ({}): the recording is \
                 incomplete (every sweep ends on a page that says it is the last)",
                named(&tail.next)
            );
            return broken(tail.path.clone(), reason);
        }
        let answered = self.tails.into_values().map(|tail| tail.report);
        self.report.sweeps = answered.chain(self.gone.into_values()).collect();
        self.report.unaskable = self.unaskable.len() as u64;
        Ok(self.report)
    }
}

/// The last replayed page of a sweep.
struct Tail {
    /// What the sweep has read.
    report: SweepReport,
    /// The page's file.
    path: PathBuf,
    /// What it says follows it.
    next: Next,
    /// The sweep's pass so far, bounded as a live run bounds it.
    guard: SweepGuard,
}

/// A next page as a message names it: the token's first characters, or the page number.
fn named(next: &Next) -> String {
    match next {
        Next::Last => "none".to_string(),
        Next::Token(token) => format!(
            "page token \"{}…\"",
            token.chars().take(8).collect::<String>()
        ),
        Next::Number(n) => format!("page_number {n}"),
    }
}

/// Whether `page` was asked for as the page its sweep's last page named (`None`: no page yet). A
/// first page may come at any time (a restart).
fn chained(page: &Page, previous: Option<&Next>) -> Result<(), String> {
    if page.request.is_first() {
        return Ok(());
    }
    let asked = match (&page.request.page_token, page.request.page_number()) {
        (Some(token), _) => Next::Token(token.clone()),
        (None, Some(n)) => Next::Number(n),
        (None, None) => Next::Last,
    };
    match previous {
        Some(previous) if *previous == asked => Ok(()),
        Some(previous) => Err(format!(
            "it was asked for as {}, but the page before it in `{}` named {}: a page is missing \
             from the recording",
            named(&asked),
            page.request.sweep(),
            named(previous)
        )),
        None => Err(format!(
            "it was asked for as {}, but `{}` has no first page before it",
            named(&asked),
            page.request.sweep()
        )),
    }
}
