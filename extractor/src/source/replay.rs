//! Replays a recorded run as a [`PageSource`]: the tests' and `make run`'s source of pages.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;

use crate::error::ExtractError;
use crate::source::guard::SweepGuard;
use crate::source::recording::{PageEntry, RecordedRequest, RecordingIndex};
use crate::source::{FollowUps, PageSource, SourceReport, SweepReport};
use crate::zoom::ENDPOINTS;
use crate::zoom::endpoint::{Endpoint, PageRequest};
use crate::zoom::page::Page;

/// A page source reading a recording directory in fetch order.
pub struct ReplaySource {
    dir: PathBuf,
    index: RecordingIndex,
    endpoints: Vec<&'static Endpoint>,
    follow_ups: Option<FollowUps>,
}

impl std::fmt::Debug for ReplaySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplaySource")
            .field("dir", &self.dir)
            .field("pages", &self.index.pages.len())
            .finish_non_exhaustive()
    }
}

impl ReplaySource {
    /// Opens a recording, checking its index; its pages of `endpoints` are replayed, the others
    /// (recorded for another kind of run) are skipped. Fails when a page names an endpoint this
    /// build does not know or a query its endpoint would not send, or when no page is of
    /// `endpoints`.
    pub fn open(dir: &Path, endpoints: &[&'static Endpoint]) -> Result<Self, ExtractError> {
        let index = RecordingIndex::read(dir)?;
        let invalid = |reason: String| ExtractError::InvalidIndex {
            path: dir.join(crate::source::recording::INDEX_FILE),
            reason,
        };
        for entry in &index.pages {
            let recorded = &entry.request;
            let Some(endpoint) = ENDPOINTS.iter().find(|e| e.path == recorded.endpoint) else {
                return Err(invalid(format!(
                    "page {} is of endpoint `{}`, which this build does not know",
                    entry.file, recorded.endpoint
                )));
            };
            let request = as_request(endpoint, recorded);
            let checked = (endpoint.check_query)(&request);
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

    /// The request a recorded page answered, when it is of an endpoint this source replays.
    fn request(&self, recorded: &RecordedRequest) -> Option<PageRequest> {
        let endpoint = self
            .endpoints
            .iter()
            .find(|e| e.path == recorded.endpoint)?;
        Some(as_request(endpoint, recorded))
    }
}

/// A recorded request of `endpoint` as the request it was.
fn as_request(endpoint: &'static Endpoint, recorded: &RecordedRequest) -> PageRequest {
    PageRequest {
        endpoint,
        query: recorded.query.clone(),
        page_token: recorded.page_token.clone(),
    }
}

impl PageSource for ReplaySource {
    async fn run(self, pages: mpsc::Sender<Page>) -> Result<SourceReport, ExtractError> {
        let mut replay = Progress::default();
        replay.report.account_id = self.index.account_id.clone();
        for entry in &self.index.pages {
            let path = self.dir.join(&entry.file);
            let started = std::time::Instant::now();
            let Some(request) = self.request(&entry.request) else {
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
    /// The report so far; `report.sweeps` and `tails` share indices.
    report: SourceReport,
    /// Each sweep with an answered page: its last page and the token that page gave, to prove
    /// that its pages chain and that it ran to its end.
    tails: Vec<Tail>,
    /// Where each sweep is in `tails`.
    tail_of: HashMap<String, usize>,
    /// Each sweep with a recorded request, answered or not, and its first recorded file.
    asked: Vec<(String, PathBuf)>,
    /// The sweeps of `asked`.
    asked_once: HashSet<String>,
    /// The follow-up sweeps the replayed pages ask for, with the page that asked.
    expected: Vec<(String, PathBuf)>,
    /// Sweeps whose item was gone when asked (a recorded 404 with the endpoint's gone code).
    gone: HashSet<String>,
    /// Their reports, added after the answered sweeps'.
    gone_sweeps: Vec<SweepReport>,
    /// Follow-ups that could not be asked for.
    unaskable: HashSet<String>,
}

impl Progress {
    /// Notes that `request` (of `sweep`) was asked; whether `entry` is a page to replay (a
    /// recorded "gone" answer is noted, other errors are skipped).
    fn is_page(
        &mut self,
        entry: &PageEntry,
        request: &PageRequest,
        sweep: &str,
        path: &Path,
    ) -> bool {
        // Looked up by sweep: a run with a settings request per user has as many sweeps.
        if self.asked_once.insert(sweep.to_string()) {
            self.asked.push((sweep.to_string(), path.to_path_buf()));
        }
        if entry.http_status == 404 && request.endpoint.gone_code.is_some() {
            if self.gone.insert(sweep.to_string()) {
                let mut sweep_report = SweepReport::new(request.clone());
                sweep_report.gone = true;
                self.gone_sweeps.push(sweep_report);
            }
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

    /// Adds `page` (at `path`) to its sweep, checking that it follows the sweep's pages so far
    /// and that the sweep stays within what a live run would follow.
    fn follow(&mut self, page: &Page, sweep: &str, path: PathBuf) -> Result<(), ExtractError> {
        let known = self.tail_of.get(sweep).copied();
        if let Err(reason) = chained(page, known.map(|at| self.tails[at].next.as_str())) {
            return Err(ExtractError::BrokenRecording { path, reason });
        }
        let sweeps = &mut self.report.sweeps;
        let at = match known {
            // A sweep's first page again: it was restarted (its page token had expired).
            Some(at) if page.request.page_token.is_none() => {
                sweeps[at].restarts += 1;
                sweeps[at].records_received = 0;
                self.tails[at].guard.restart();
                at
            }
            Some(at) => at,
            None => {
                sweeps.push(SweepReport::new(page.request.clone()));
                self.tail_of.insert(sweep.to_string(), self.tails.len());
                self.tails.push(Tail {
                    sweep: sweep.to_string(),
                    path: path.clone(),
                    next: String::new(),
                    guard: SweepGuard::new(),
                });
                sweeps.len() - 1
            }
        };
        sweeps[at].count_page(page);
        let tail = &mut self.tails[at];
        // What a live run refuses to follow, a replay refuses too.
        if page.request.endpoint.paginated
            && let Err(why) = tail.guard.admit(page)
        {
            let sweep = sweep.to_string();
            return Err(ExtractError::EndlessSweep { sweep, why });
        }
        tail.path = path;
        tail.next = page.meta.next_page_token.clone();
        Ok(())
    }

    /// The report, once every sweep is proven whole: each follow-up answered, each sweep asked
    /// answered at least once, and each ended on a page with an empty token.
    fn finish(mut self) -> Result<SourceReport, ExtractError> {
        let broken = |path, reason| Err(ExtractError::BrokenRecording { path, reason });
        let asked_once = &self.asked_once;
        if let Some((sweep, path)) = self
            .expected
            .into_iter()
            .find(|(s, _)| !asked_once.contains(s))
        {
            let reason = format!(
                "it lists a user whose `{sweep}` answer is not in the recording: that user's rows \
                 would be lost"
            );
            return broken(path, reason);
        }
        let answered = |s: &String| self.tail_of.contains_key(s) || self.gone.contains(s);
        if let Some((sweep, path)) = self.asked.into_iter().find(|(s, _)| !answered(s)) {
            let reason = format!(
                "every recorded answer of `{sweep}` is an error: none of its records are here"
            );
            return broken(path, reason);
        }
        if let Some(tail) = self.tails.into_iter().find(|t| !t.next.is_empty()) {
            let reason = format!(
                "it is the last `{}` page, yet has next_page_token \"{}…\": the recording is \
                 incomplete (every sweep ends on a page with an empty token)",
                tail.sweep,
                tail.next.chars().take(8).collect::<String>()
            );
            return broken(tail.path, reason);
        }
        self.report.sweeps.extend(self.gone_sweeps);
        self.report.unaskable = self.unaskable.len() as u64;
        Ok(self.report)
    }
}

/// The last replayed page of a sweep.
struct Tail {
    /// The sweep, e.g. `users?status=active`.
    sweep: String,
    /// The page's file.
    path: PathBuf,
    /// Its `next_page_token` (`""` on a last page, and on an endpoint that does not page).
    next: String,
    /// The sweep's pass so far, bounded as a live run bounds it.
    guard: SweepGuard,
}

/// Whether `page` follows its sweep's pages so far, whose last one gave `previous` as its
/// `next_page_token` (`None`: no page of the sweep yet). A first page may come at any time (a
/// restarted sweep); a later one must have been asked for with exactly that token. Version 1
/// recordings kept no tokens (theirs read as `""`), so their chain cannot be checked.
fn chained(page: &Page, previous: Option<&str>) -> Result<(), String> {
    let Some(sent) = page.request.page_token.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let hint = |token: &str| token.chars().take(8).collect::<String>();
    match previous {
        Some(previous) if previous == sent => Ok(()),
        Some(previous) => Err(format!(
            "it was asked for with page token \"{}…\", but the page before it in `{}` gave \"{}…\": \
             a page is missing from the recording",
            hint(sent),
            page.request.sweep(),
            hint(previous)
        )),
        None => Err(format!(
            "it was asked for with a page token, but `{}` has no first page before it",
            page.request.sweep()
        )),
    }
}
