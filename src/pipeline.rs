//! Wires the stages: a page source task, page builder threads, one thread that takes the built
//! pages in order and drops repeats, and a sink thread, joined by bounded channels so memory stays
//! flat and every stage works while the others do.
//!
//! Nothing reaches its target path until every stage succeeded: sinks finish into temporary files,
//! which are committed only then, and the manifest is written last.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::anyhow;
use extractor::{
    ExtractError, LiveSource, PageSource, RecordingWriter, ReplaySource, SourceReport, UsersPage,
    ZoomClient,
};
use sinks::{FinishedOutput, OutputReceipt, RecordSink, SinkError, SinkOptions};
use tokio::sync::mpsc;
use transform::{RunContext, TransformStats, TransformedPage, Transformer};

use crate::budget::{ByteBudget, Held};
use crate::config::{ExtractConfig, SourceConfig};
use crate::exit::{self, Failure};
use crate::keylog::FileKeyLog;
use crate::manifest::Manifest;
use crate::progress::Progress;
use crate::targets::Targets;

/// Pages waiting between the source and the transform.
const PAGE_QUEUE: usize = 2;
/// Transformed pages waiting between the transform and the sinks: one is enough to keep both busy,
/// and each can hold 2 MB of rejected records' raw JSON.
const BATCH_QUEUE: usize = 1;
/// Bytes of transformed pages accepted but not yet written past which no new page goes to a
/// builder ([`ByteBudget`]). As allocated, a page of 2,000 licenses holds about 0.9 MB and a page
/// of 2,000 rejects with their raw JSON about 2.2 MB: two pages of licenses, or one of rejects,
/// keep the de-duplication and the sinks busy without letting a run of rejects pile up.
const BATCHES_IN_FLIGHT_BYTES: usize = 2 << 20;

/// A transformed page on its way to the sinks, with the bytes it holds against the budget.
type QueuedPage = (TransformedPage, Held);

/// What a finished run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The manifest as written.
    pub manifest: Manifest,
    /// Where it was written.
    pub manifest_path: std::path::PathBuf,
}

/// Why a stage stopped.
enum StageError {
    /// The stage failed for a reason of its own.
    Failed(Failure),
    /// The stage stopped because another stage went away or the run was cancelled.
    Stopped,
}

/// An opened page source with what the run needs to know about it.
struct OpenedSource {
    source: AnySource,
    /// The Zoom account id, when known.
    account_id: Option<String>,
    /// The live client, for progress counts.
    client: Option<std::sync::Arc<ZoomClient>>,
    /// A recording's page files in order, to name the file of a page that fails.
    page_files: Vec<String>,
}

/// Either page source; `PageSource` returns `impl Future`, so it is not object-safe.
enum AnySource {
    Replay(ReplaySource),
    Live(LiveSource),
}

impl AnySource {
    /// Opens the source; returns it, the account id when known, and the live client.
    fn open(cfg: &ExtractConfig) -> Result<OpenedSource, Failure> {
        match &cfg.source {
            SourceConfig::Replay(dir) => {
                let source = ReplaySource::open(dir).map_err(|e| Failure {
                    code: exit::USAGE,
                    error: anyhow!(e).context(format!("--replay {}", dir.display())),
                })?;
                let account = source.index().account_id.clone();
                let page_files = source
                    .index()
                    .pages
                    .iter()
                    .map(|p| p.file.clone())
                    .collect();
                Ok(OpenedSource {
                    source: AnySource::Replay(source),
                    account_id: account,
                    client: None,
                    page_files,
                })
            }
            SourceConfig::Live(live) => {
                let account = live.client.credentials.account_id().map(str::to_owned);
                let api_url = live.client.api_url.to_string();
                let client = ZoomClient::new(live.client.clone()).map_err(Failure::failed_msg)?;
                let recorder = match &live.record {
                    Some(dir) => Some(
                        RecordingWriter::create(dir, account.clone(), cfg.started_at)
                            .map_err(|e| Failure::usage(format!("--record: {e}")))?,
                    ),
                    None => None,
                };
                let client = std::sync::Arc::new(client);
                let source = LiveSource::new(
                    client.clone(),
                    api_url,
                    live.statuses.clone(),
                    live.page_size,
                    recorder,
                );
                Ok(OpenedSource {
                    source: AnySource::Live(source),
                    account_id: account,
                    client: Some(client),
                    page_files: Vec::new(),
                })
            }
        }
    }
}

impl PageSource for AnySource {
    async fn run(self, pages: mpsc::Sender<UsersPage>) -> Result<SourceReport, ExtractError> {
        match self {
            AnySource::Replay(source) => source.run(pages).await,
            AnySource::Live(source) => source.run(pages).await,
        }
    }
}

/// Runs one extract to completion, or fails leaving no output at any target path.
pub async fn run_extract(cfg: &ExtractConfig, show_progress: bool) -> Result<RunResult, Failure> {
    let OpenedSource {
        source,
        account_id,
        client,
        page_files,
    } = AnySource::open(cfg)?;
    let progress = show_progress.then(|| Progress::start(client));
    let mut targets = Targets::new(cfg, account_id.as_deref())?;
    let ctx = RunContext {
        run_id: cfg.run_id.clone(),
        account_id,
        extracted_at_micros: cfg.extracted_at.timestamp_micros(),
    };
    let options = sink_options(cfg);
    let open = |dest| {
        sinks::open_sink(cfg.format, dest, &options)
            .map_err(|e| Failure::failed(anyhow!(e).context("cannot open output")))
    };
    let licenses_sink = open(&targets.output)?;
    let rejects_sink = open(&targets.rejects)?;

    let key_log_dir = targets.output.scratch_dir();
    let key_log = FileKeyLog::create_in(&key_log_dir).map_err(|e| {
        Failure::failed(anyhow!(e).context(format!(
            "cannot create the temporary log of seen users in {}",
            key_log_dir.display()
        )))
    })?;
    let transformer = Transformer::with_key_log(ctx, Box::new(key_log));

    let cancelled = Arc::new(AtomicBool::new(false));
    let (page_tx, page_rx) = mpsc::channel::<UsersPage>(PAGE_QUEUE);
    let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<QueuedPage>(BATCH_QUEUE);
    let budget = ByteBudget::new(BATCHES_IN_FLIGHT_BYTES);

    let source_task = tokio::spawn(source.run(page_tx));
    let transform_task = {
        let cancelled = cancelled.clone();
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || {
            transform_stage(
                transformer,
                build_threads(),
                page_rx,
                (batch_tx, &budget),
                &cancelled,
                progress.as_deref(),
            )
        })
    };
    let sink_task = {
        let cancelled = cancelled.clone();
        tokio::task::spawn_blocking(move || {
            sink_stage(licenses_sink, rejects_sink, batch_rx, &cancelled)
        })
    };

    let source_abort = source_task.abort_handle();
    let stages = async {
        let source = source_task.await;
        let transform = transform_task.await;
        let sinks = sink_task.await;
        (source, transform, sinks)
    };
    tokio::pin!(stages);
    let (source, transform, sinks) = tokio::select! {
        joined = &mut stages => joined,
        signal = crate::signals::interrupted() => {
            tracing::warn!(message = "Interrupted: stopping and removing partial outputs.", signal);
            cancelled.store(true, Ordering::Relaxed);
            source_abort.abort();
            let _ = stages.await;
            return Err(Failure {
                code: if signal == "SIGTERM" { exit::TERMINATED } else { exit::INTERRUPTED },
                error: anyhow!("interrupted by {signal}; no output was written"),
            });
        }
    };

    if let Some(progress) = &progress {
        progress.finish();
    }
    // Report the stage that failed first in the data flow's terms: a sink error explains why the
    // transform and source were told to stop, not the other way round.
    let (licenses, rejects) = match sinks {
        Ok(Ok(outputs)) => Some(outputs),
        Ok(Err(StageError::Failed(f))) => return Err(f),
        Ok(Err(StageError::Stopped)) => None,
        Err(join) => return Err(Failure::failed(anyhow!("sink stage panicked: {join}"))),
    }
    .unzip();
    let stats = match transform {
        Ok(Ok(stats)) => Some(stats),
        Ok(Err(StageError::Failed(f))) => return Err(name_page_file(f, &page_files, cfg)),
        Ok(Err(StageError::Stopped)) => None,
        Err(join) => return Err(Failure::failed(anyhow!("transform stage panicked: {join}"))),
    };
    let mut report = match source {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => return Err(source_failure(e, cfg)),
        Err(join) => return Err(Failure::failed(anyhow!("source stage panicked: {join}"))),
    };
    let (Some(licenses), Some(rejects), Some((stats, users_by_status))) =
        (licenses, rejects, stats)
    else {
        return Err(Failure::failed(anyhow!("the pipeline stopped early")));
    };
    // Replayed pages are read lazily: their users are counted by the transform, not the source.
    for (status, users) in users_by_status {
        report.statuses.entry(status).or_default().users_received = users;
    }

    let mut licenses = commit(licenses)?;
    let mut rejects = commit(rejects)?;
    let mut partition = None;
    if let Some(staged) = &targets.staged {
        // Receipts name the files where readers will find them, not the staging area.
        licenses.path = staged.final_output.display().to_string();
        rejects.path = staged.final_rejects.display().to_string();
        partition = Some(staged.info.clone());
    }
    let mut manifest = Manifest::new(cfg, &report, &stats, licenses, rejects, chrono::Utc::now());
    manifest.partition = partition;
    let write_manifest = |path: &std::path::Path| {
        sinks::write_json_atomically(path, &manifest)
            .map_err(|e| Failure::failed(anyhow!(e).context("cannot write the manifest")))
    };
    for path in &targets.extra_manifests {
        write_manifest(path)?;
    }
    write_manifest(&targets.manifest)?;
    let manifest_path = match targets.staged.take() {
        None => targets.manifest.clone(),
        Some(staged) => staged.publish()?,
    };
    Ok(RunResult {
        manifest,
        manifest_path,
    })
}

fn sink_options(cfg: &ExtractConfig) -> SinkOptions {
    SinkOptions {
        csv_raw: cfg.csv_raw,
        metadata: vec![
            ("run_id".into(), cfg.run_id.clone()),
            (
                "schema_version".into(),
                transform::SCHEMA_VERSION.to_string(),
            ),
            ("tool".into(), crate::TOOL.into()),
            ("tool_version".into(), crate::VERSION.into()),
        ],
        dictionary_columns: transform::schema::DICTIONARY_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .collect(),
        no_statistics_columns: transform::schema::NO_STATISTICS_COLUMNS
            .iter()
            .map(|c| c.to_string())
            .collect(),
        created_by: Some(format!("{} {}", crate::TOOL, crate::VERSION)),
    }
}

fn source_failure(e: ExtractError, cfg: &ExtractConfig) -> Failure {
    let code = exit::code_for(e.class());
    let context = match &cfg.source {
        SourceConfig::Replay(dir) => format!("replaying {}", dir.display()),
        SourceConfig::Live(live) => format!(
            "extracting {} from {}",
            match (&live.account_name, live.client.credentials.account_id()) {
                (Some(name), _) => format!("account `{name}`"),
                (None, Some(id)) => format!("account {id}"),
                (None, None) => "the authorized account".to_string(),
            },
            live.client.api_url
        ),
    };
    Failure {
        code,
        error: anyhow!(e).context(context),
    }
}

/// Names the recorded file of a page the transform found broken (pages read lazily are only
/// checked whole while their records are parsed).
fn name_page_file(mut failure: Failure, page_files: &[String], cfg: &ExtractConfig) -> Failure {
    let page = match failure.error.downcast_ref::<transform::TransformError>() {
        Some(transform::TransformError::Page { sequence, .. }) => *sequence,
        _ => return failure,
    };
    let file = usize::try_from(page.saturating_sub(1))
        .ok()
        .and_then(|i| page_files.get(i));
    if let (Some(file), SourceConfig::Replay(dir)) = (file, &cfg.source) {
        failure.error = failure
            .error
            .context(format!("replaying {}: {file}", dir.display()));
    }
    failure
}

fn sink_failure(e: SinkError) -> StageError {
    if e.is_broken_pipe() {
        // The reader of stdout went away (`| head`): stop quietly, as Unix tools do.
        return StageError::Failed(Failure {
            code: exit::OK,
            error: anyhow!(e),
        });
    }
    StageError::Failed(Failure::failed(anyhow!(e)))
}

fn commit(finished: FinishedOutput) -> Result<OutputReceipt, Failure> {
    finished
        .commit()
        .map_err(|e| Failure::failed(anyhow!(e).context("cannot move the output into place")))
}

/// Threads that build pages (parsing and classifying records is the largest share of a run's
/// work): one per core beyond the first, which the source, the de-duplication and the sinks share.
/// On the 2-core benchmark machine one builder was as fast as two and used 10 MiB less memory
/// (BENCHMARKS.md); more cores give more builders, up to four.
fn build_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() - 1).clamp(1, 4))
}

/// User records read, per status sweep.
type UsersByStatus = std::collections::BTreeMap<extractor::UserStatus, u64>;

/// Builds pages on [`build_threads`] threads and accepts them in page order. Page `i` goes to
/// builder `i % n` and its result is taken from that builder, so order needs no reordering buffer.
/// Accepted pages hold their bytes against `budget` until the sinks drop them; while it is over
/// its limit, no new page goes to a builder.
fn transform_stage(
    mut transformer: Transformer,
    threads: usize,
    mut pages: mpsc::Receiver<UsersPage>,
    (batches, budget): (std::sync::mpsc::SyncSender<QueuedPage>, &Arc<ByteBudget>),
    cancelled: &AtomicBool,
    progress: Option<&Progress>,
) -> Result<(TransformStats, UsersByStatus), StageError> {
    use std::sync::mpsc::sync_channel;

    let threads = threads.max(1);
    let failed = |e: transform::TransformError| StageError::Failed(Failure::failed(anyhow!(e)));
    let mut users_by_status = UsersByStatus::new();
    std::thread::scope(|scope| {
        let mut to_builders = Vec::with_capacity(threads);
        let mut from_builders = Vec::with_capacity(threads);
        for _ in 0..threads {
            let (page_tx, page_rx) = sync_channel::<UsersPage>(1);
            let (built_tx, built_rx) = sync_channel(1);
            let builder = transformer.builder();
            scope.spawn(move || {
                for page in page_rx {
                    let started = std::time::Instant::now();
                    let built = builder.build(&page);
                    tracing::trace!(
                        message = "Built page.",
                        sequence = page.sequence,
                        micros = started.elapsed().as_micros() as u64
                    );
                    if built_tx.send(built).is_err() {
                        break;
                    }
                }
            });
            to_builders.push(page_tx);
            from_builders.push(built_rx);
        }
        // Hands pages out in turn; returns how many, or `None` when it had to stop early.
        let dispatcher = scope.spawn(move || {
            let mut sent = 0;
            while let Some(page) = pages.blocking_recv() {
                if !budget.wait_within_limit(cancelled) {
                    return None;
                }
                if to_builders[sent % threads].send(page).is_err() {
                    return None;
                }
                sent += 1;
            }
            Some(sent)
        });

        let mut accepted = 0;
        // A builder's channel closes once the pages have run out: page `accepted` does not exist.
        while let Ok(built) = from_builders[accepted % threads].recv() {
            if cancelled.load(Ordering::Relaxed) {
                return Err(StageError::Stopped);
            }
            let built = built.map_err(failed)?;
            // Counted here: a page read lazily only knows its users once they are parsed.
            *users_by_status.entry(built.status).or_default() += built.users();
            if let Some(progress) = progress {
                progress.page(built.status, built.users() as usize, built.total_records);
            }
            let transformed = transformer.accept(built).map_err(failed)?;
            let held = budget.hold(transformed.memory_size());
            if batches.send((transformed, held)).is_err() {
                return Err(StageError::Stopped);
            }
            accepted += 1;
        }
        drop(from_builders);
        match dispatcher.join() {
            Ok(Some(sent)) if sent == accepted => {}
            Ok(_) => return Err(StageError::Stopped),
            Err(_) => {
                return Err(StageError::Failed(Failure::failed(anyhow!(
                    "the page dispatcher panicked"
                ))));
            }
        }
        // Records the de-duplication held back are decided now, and go last.
        let (last, stats) = transformer.finish().map_err(failed)?;
        let held = budget.hold(last.memory_size());
        if batches.send((last, held)).is_err() {
            return Err(StageError::Stopped);
        }
        Ok((stats, users_by_status))
    })
}

fn sink_stage(
    mut licenses: Box<dyn RecordSink>,
    mut rejects: Box<dyn RecordSink>,
    batches: std::sync::mpsc::Receiver<QueuedPage>,
    cancelled: &AtomicBool,
) -> Result<(FinishedOutput, FinishedOutput), StageError> {
    licenses
        .begin(&transform::license_schema())
        .map_err(sink_failure)?;
    rejects
        .begin(&transform::rejects_schema())
        .map_err(sink_failure)?;
    // Each page's bytes are released when it is dropped, once written.
    for (page, _held) in batches {
        if cancelled.load(Ordering::Relaxed) {
            return Err(StageError::Stopped);
        }
        for batch in &page.licenses {
            licenses.write_batch(batch).map_err(sink_failure)?;
        }
        for batch in &page.rejects {
            rejects.write_batch(batch).map_err(sink_failure)?;
        }
    }
    if cancelled.load(Ordering::Relaxed) {
        return Err(StageError::Stopped);
    }
    Ok((
        licenses.finish().map_err(sink_failure)?,
        rejects.finish().map_err(sink_failure)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page of a recording, parsed, its records located now or while they are read.
    fn pages(set: &str, lazily: bool) -> Vec<UsersPage> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(set);
        let index = extractor::RecordingIndex::read(&dir).unwrap();
        index
            .pages
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let body = std::fs::read_to_string(dir.join(&entry.file)).unwrap();
                let parse = match lazily {
                    true => UsersPage::parse_lazily,
                    false => UsersPage::parse,
                };
                parse(entry.request.status, i as u64 + 1, body).unwrap()
            })
            .collect()
    }

    /// Starts the transform stage over a fixture set on a thread of its own: returns what it sends
    /// towards the sinks, and the stage's counts once it is done.
    fn start(
        set: &str,
        threads: usize,
        lazily: bool,
        budget: Arc<ByteBudget>,
    ) -> (
        std::sync::mpsc::Receiver<QueuedPage>,
        std::thread::JoinHandle<TransformStats>,
    ) {
        let transformer = Transformer::new(RunContext {
            run_id: "r".into(),
            account_id: None,
            extracted_at_micros: 0,
        });
        let (page_tx, page_rx) = mpsc::channel(2);
        let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel(1);
        let pages = pages(set, lazily);
        let feeder = std::thread::spawn(move || {
            for page in pages {
                page_tx.blocking_send(page).unwrap();
            }
        });
        let stage = std::thread::spawn(move || {
            let cancelled = AtomicBool::new(false);
            let batches = (batch_tx, &budget);
            let (stats, _) =
                transform_stage(transformer, threads, page_rx, batches, &cancelled, None)
                    .unwrap_or_else(|_| panic!("the stage failed"));
            feeder.join().unwrap();
            stats
        });
        (batch_rx, stage)
    }

    /// The transform stage's output with `threads` builders and a budget of `budget_bytes`: every
    /// page's batches, then the counts.
    fn run_with_budget(
        set: &str,
        threads: usize,
        lazily: bool,
        budget_bytes: usize,
    ) -> (Vec<TransformedPage>, TransformStats) {
        let (batches, stage) = start(set, threads, lazily, ByteBudget::new(budget_bytes));
        let pages = batches.into_iter().map(|(page, _held)| page).collect();
        (pages, stage.join().unwrap())
    }

    /// The transform stage's output with `threads` builders and the run's budget.
    fn run(set: &str, threads: usize, lazily: bool) -> (Vec<TransformedPage>, TransformStats) {
        run_with_budget(set, threads, lazily, BATCHES_IN_FLIGHT_BYTES)
    }

    /// Pages read lazily (records found while parsed) or located first, by one builder or several:
    /// the same batches in the same order, and the same counts.
    #[test]
    fn every_way_of_building_gives_the_same_batches_in_the_same_order() {
        for set in [
            "sample",
            "duplicates",
            "malformed",
            "statuses",
            "awkward-text",
        ] {
            let (one, one_stats) = run(set, 1, false);
            for (threads, lazily) in [(1, true), (2, false), (3, true), (5, false)] {
                let (many, many_stats) = run(set, threads, lazily);
                assert_eq!(many_stats, one_stats, "{set} with {threads} builders");
                assert_eq!(many.len(), one.len(), "{set} with {threads} builders");
                for (a, b) in many.iter().zip(&one) {
                    assert_eq!(a.licenses, b.licenses, "{set} with {threads} builders");
                    assert_eq!(a.rejects, b.rejects, "{set} with {threads} builders");
                }
            }
            let located: usize = pages(set, false)
                .iter()
                .filter_map(UsersPage::record_count)
                .sum();
            assert_eq!(one_stats.users_seen as usize, located);
        }
    }

    /// While the pages waiting for the sinks hold more than the budget, no page is built; once
    /// they are written, the run goes on and loses nothing.
    #[test]
    fn no_page_is_built_while_the_budget_is_spent() {
        for (held, expect_wait) in [(1_001, true), (1_000, false)] {
            let budget = ByteBudget::new(1_000);
            // Pages the sinks have not written yet.
            let unwritten = budget.hold(held);
            let (batches, stage) = start("sample", 2, true, budget.clone());
            // Waited for briefly where nothing may come, and long enough on a loaded machine
            // where a page must; released on arrival, as the sinks release a written page.
            let wait = std::time::Duration::from_millis(if expect_wait { 300 } else { 10_000 });
            let first = batches.recv_timeout(wait).map(|(page, _held)| page);
            assert_eq!(first.is_err(), expect_wait, "{held} bytes held");
            drop(unwritten);
            let rest: Vec<_> = batches.into_iter().map(|(page, _held)| page).collect();
            let stats = stage.join().unwrap();
            let (whole, whole_stats) = run("sample", 1, false);
            assert_eq!(stats, whole_stats);
            assert_eq!(rest.len() + usize::from(first.is_ok()), whole.len());
            assert_eq!(budget.used(), 0, "every page's bytes are released");
        }
    }

    /// A budget smaller than any page lets pages through one at a time, in order, all of them.
    #[test]
    fn a_budget_smaller_than_a_page_still_lets_every_page_through() {
        let (one_at_a_time, stats) = run_with_budget("duplicates", 2, true, 1);
        let (whole, whole_stats) = run("duplicates", 1, false);
        assert_eq!(stats, whole_stats);
        assert_eq!(one_at_a_time.len(), whole.len());
        for (a, b) in one_at_a_time.iter().zip(&whole) {
            assert_eq!(a.licenses, b.licenses);
            assert_eq!(a.rejects, b.rejects);
        }
    }
}
