//! Wires the stages: one page source task, one transform thread, one sink thread, joined by
//! bounded channels, which are the only back-pressure: the pages in flight are bounded (memory
//! grows with the account only by the transform's set of seen keys) and each stage works while the
//! others do.
//!
//! Nothing reaches its target path until every stage succeeded: sinks finish into temporary files,
//! which are committed only then, and the manifest is written last.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::anyhow;
use chrono::NaiveDate;
use extractor::zoom::activities::{self, ACTIVITIES};
use extractor::zoom::host_report::{self, HOST_REPORT};
use extractor::zoom::user_settings::{self, USER_SETTINGS};
use extractor::zoom::users::ACCOUNT_USERS;
use extractor::zoom::users_me;
use extractor::zoom::users_summary::{self, USERS_SUMMARY, UsersSummary};
use extractor::{
    Endpoint, ExtractError, LiveSource, Page, PageSource, RecordingWriter, ReplaySource,
    SourceReport, UserStatus, ZoomClient,
};
use sinks::{FinishedOutput, RecordSink, SinkError, SinkOptions};
use tokio::sync::mpsc;
use transform::context::Window;
use transform::{ActivityContext, RunContext, Table, TransformStats, TransformedPage, Transformer};

use crate::Progress;
use crate::config::{ExtractConfig, LiveConfig, SourceConfig};
use crate::datasets::{DATASETS, Dataset, WithOption, missing_scope};
use crate::exit::{self, Failure};
use crate::manifest::{Manifest, ReportWindows};
use crate::targets::Targets;

/// Pages waiting between the source and the transform.
const PAGE_QUEUE: usize = 2;
/// Transformed pages waiting between the transform and the sinks: one keeps both busy.
const BATCH_QUEUE: usize = 1;

/// What a finished run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The manifest as written.
    pub manifest: Manifest,
    /// Where it was written.
    pub manifest_path: std::path::PathBuf,
}

/// Progress reports of a run, with the live client whose request counts they show.
struct Reporter {
    progress: Arc<dyn Progress>,
    client: Option<Arc<ZoomClient>>,
}

impl Reporter {
    fn page(&self, label: &str, users: usize, total: Option<u64>) {
        let requests = self.client.as_ref().map(|c| c.stats());
        self.progress.page(label, users, total, requests);
    }
}

/// Why a stage stopped.
enum StageError {
    /// The stage failed for a reason of its own.
    Failed(Failure),
    /// The stage stopped because another stage went away or the run was cancelled.
    Stopped,
}

/// Either page source; `PageSource` returns `impl Future`, so it is not object-safe.
enum AnySource {
    Replay(ReplaySource),
    Live(LiveSource),
}

/// An opened page source with what the run needs to know about it.
struct OpenedSource {
    source: AnySource,
    /// Zoom's own counts, to reconcile with (live runs whose app may read them).
    zoom_counts: Option<UsersSummary>,
    /// The Zoom account id, when known.
    account_id: Option<String>,
    /// The live client, for progress counts.
    client: Option<Arc<ZoomClient>>,
    /// The sign-in report's window (first and last day), when the run reads it.
    activity: Option<(NaiveDate, NaiveDate)>,
    /// The active-hosts report's window (first and last day), when the run reads it.
    hosting: Option<(NaiveDate, NaiveDate)>,
    /// The datasets read beside the users (`--with`, or what a recording holds).
    datasets: Vec<&'static Dataset>,
}

/// A recording, replayed to the tables of the datasets it holds.
fn open_replay(dir: &std::path::Path) -> Result<OpenedSource, Failure> {
    let source = ReplaySource::open(dir, &crate::datasets::recordable());
    let context = || format!("--replay {}", dir.display());
    let source = source.map_err(|e| Failure::new(exit::USAGE, anyhow!(e).context(context())))?;
    let account_id = source.index().account_id.clone();
    let pages = &source.index().pages;
    let recorded = |endpoint: &Endpoint| pages.iter().any(|p| p.request.endpoint == endpoint.path);
    // A report's window is the one its recorded requests cover.
    let window = |report: &Endpoint| {
        let requests = pages.iter().filter(|p| p.request.endpoint == report.path);
        activities::window_of(requests.map(|p| &p.request.query))
    };
    let (activity, hosting) = (window(&ACTIVITIES), window(&HOST_REPORT));
    let read: Vec<&'static Dataset> = DATASETS
        .iter()
        .filter(|d| d.with.is_some() && recorded(d.endpoint))
        .filter(|d| d.endpoint != &ACTIVITIES || activity.is_some())
        .filter(|d| d.endpoint != &HOST_REPORT || hosting.is_some())
        .collect();
    let source = match recorded(&USER_SETTINGS) {
        // Every licensed user listed must have their settings answer recorded.
        true => source.expecting(Arc::new(|page| user_settings::requests_for(page, false))),
        false => source,
    };
    Ok(OpenedSource {
        source: AnySource::Replay(source),
        zoom_counts: None,
        account_id,
        client: None,
        activity,
        hosting,
        datasets: read,
    })
}

/// Zoom, asked for the users and the datasets `--with` names, once the token's scopes say the
/// app may read them all.
async fn open_live(cfg: &ExtractConfig, live: &LiveConfig) -> Result<OpenedSource, Failure> {
    let api_url = live.client.api_url.to_string();
    let client = ZoomClient::new(live.client.clone()).map_err(Failure::failed_msg)?;
    // The token first: it is needed anyway, and its scopes say what may be asked.
    let token = client.token().await;
    let token = token.map_err(|e| Failure::of_class(e.class(), e, "connecting to Zoom"))?;
    let granted = |endpoint: &Endpoint| token.grants(endpoint);
    let mut first = match &live.sub_account {
        None => {
            extractor::zoom::users::sweeps(&live.statuses, live.page_size, live.custom_attributes)
        }
        Some(id) => {
            if !granted(&ACCOUNT_USERS) {
                return Err(missing_scope(&ACCOUNT_USERS, "--sub-accounts"));
            }
            extractor::zoom::users::sub_account_sweeps(
                id,
                &live.statuses,
                live.page_size,
                live.custom_attributes,
            )
        }
    };
    // The datasets asked for; lists read whole (groups, roles) go with the users.
    let mut read = Vec::new();
    for dataset in DATASETS {
        let Some(option) = dataset.with.filter(|w| live.with.contains(w)) else {
            continue;
        };
        if !granted(dataset.endpoint) {
            return Err(missing_scope(dataset.endpoint, &format!("--with {option}")));
        }
        first.extend(dataset.first.map(|request| request()));
        read.push(dataset);
    }
    let account = account_of(cfg, live, &client, granted(&users_me::USERS_ME)).await?;
    let recorder = match &live.record {
        Some(dir) => Some(
            RecordingWriter::create(dir, account.clone(), cfg.started_at)
                .map_err(|e| Failure::usage(format!("--record: {e}")))?
                .keeping_personal_data(cfg.with_ip),
        ),
        None => None,
    };
    let client = Arc::new(client);
    // The reports come second: every user is known when the first event or host arrives.
    let mut phases = vec![first];
    let (mut activity, mut hosting) = (None, None);
    if let Some((last, days)) = live.report_window {
        let ranges = activities::windows(last, days);
        let window = ranges.first().map(|(from, _)| (*from, last));
        let mut reports = Vec::new();
        if live.with.contains(&WithOption::Activity) {
            activity = window;
            reports.extend(activities::sweeps(&ranges));
        }
        if live.with.contains(&WithOption::Hosting) {
            hosting = window;
            reports.extend(host_report::sweeps(&ranges));
        }
        phases.push(reports);
    }
    let mut source = LiveSource::new(client.clone(), api_url, phases, recorder);
    // Add-ons: each (licensed) user's settings, once the users are listed.
    if live.with.contains(&WithOption::Addons) {
        let all = live.addons_for_all;
        source =
            source.with_follow_ups(Arc::new(move |page| user_settings::requests_for(page, all)));
    }
    Ok(OpenedSource {
        // Zoom's summary is of the app's own account, never of a sub account.
        zoom_counts: match granted(&USERS_SUMMARY) && live.sub_account.is_none() {
            true => zoom_counts(&client).await,
            false => None,
        },
        source: AnySource::Live(source),
        account_id: account,
        client: Some(client),
        activity,
        hosting,
        datasets: read,
    })
}

/// The account a live run reads: the sub account, the server-to-server app's, else the one an
/// authorization-code app was authorized for (`GET /users/me`, when `me_granted`). Needed to name
/// a partition; otherwise only recorded, so a failure to read it is then a warning.
async fn account_of(
    cfg: &ExtractConfig,
    live: &LiveConfig,
    client: &ZoomClient,
    me_granted: bool,
) -> Result<Option<String>, Failure> {
    let needed = cfg.partition.as_ref().is_some_and(|p| p.account.is_none());
    let known = live
        .sub_account
        .as_deref()
        .or(live.client.credentials.account_id());
    if let Some(id) = known {
        return Ok(Some(id.to_owned()));
    }
    match authorized_account(client, me_granted).await {
        Ok(account) => Ok(account),
        Err(e) if needed => Err(Failure::of_class(
            e.class(),
            e,
            "asking Zoom for the account id",
        )),
        Err(e) => {
            tracing::warn!(message = "Could not read the account id.", error = %e);
            Ok(None)
        }
    }
}

/// Zoom's own counts of the account's users (the app may read them); a failure to read them is a
/// warning (the extract does not need them).
async fn zoom_counts(client: &ZoomClient) -> Option<UsersSummary> {
    let read = match client.fetch(&users_summary::request()).await {
        Ok(fetched) => UsersSummary::from_page(&fetched.page),
        Err(e) => Err(e.to_string()),
    };
    read.map_err(|e| tracing::warn!(message = "Could not read Zoom's user counts.", error = %e))
        .ok()
}

/// The account an authorization-code app was authorized for, from `GET /users/me`; `None` when
/// the token lacks that endpoint's scope (`granted`).
async fn authorized_account(
    client: &ZoomClient,
    granted: bool,
) -> Result<Option<String>, extractor::ApiError> {
    if !granted {
        tracing::info!(
            message = "The account id is not known: the app lacks the scope of GET /users/me.",
            scope = users_me::USERS_ME.scopes[0]
        );
        return Ok(None);
    }
    let fetched = client.fetch(&users_me::request()).await?;
    users_me::account_id(&fetched.page)
        .map(Some)
        .map_err(extractor::ApiError::BadBody)
}

impl PageSource for AnySource {
    async fn run(self, pages: mpsc::Sender<Page>) -> Result<SourceReport, ExtractError> {
        match self {
            AnySource::Replay(source) => source.run(pages).await,
            AnySource::Live(source) => source.run(pages).await,
        }
    }
}

/// Runs one extract to completion, or fails leaving no output at any target path.
pub async fn run_extract(
    cfg: &ExtractConfig,
    progress: Option<Arc<dyn Progress>>,
) -> Result<RunResult, Failure> {
    // Opening asks Zoom for a token and the account (retried for up to minutes): a signal then
    // stops the run at once, before any output exists.
    let open = async {
        match &cfg.source {
            SourceConfig::Replay(dir) => open_replay(dir),
            SourceConfig::Live(live) => open_live(cfg, live).await,
        }
    };
    let opened = tokio::select! {
        opened = open => opened?,
        signal = crate::signals::interrupted() => return Err(crate::signals::stopped_by(signal)),
    };
    let client = opened.client;
    let progress = progress.map(|progress| Arc::new(Reporter { progress, client }));
    let mut tables = vec![Table::Licenses, Table::Rejects];
    tables.extend(opened.datasets.iter().flat_map(|d| d.tables));
    let targets = Targets::for_extract(cfg, opened.account_id.as_deref(), &tables)?;
    let activity = opened.activity;
    let windows = ReportWindows {
        activity,
        hosting: opened.hosting,
    };
    let transformer = Transformer::new(RunContext {
        run_id: cfg.run_id.clone(),
        account_id: opened.account_id.clone(),
        extracted_at_micros: cfg.extracted_at.timestamp_micros(),
        activity: activity.map(|(from, to)| ActivityContext {
            from,
            to,
            with_ip: cfg.with_ip,
        }),
        hosting: opened.hosting.map(|(from, to)| Window { from, to }),
    });
    let outputs = targets.open(cfg.format, &sink_options(&cfg.run_id, cfg.csv_raw))?;
    let (finished, stats, mut report) =
        run_stages(cfg, opened.source, transformer, outputs, progress).await?;
    // An authorization-code app's account id comes from GET /users/me, not from its credentials.
    if report.account_id.is_none() {
        report.account_id = opened.account_id;
    }
    check_outcome(&report, &stats)?;
    // Every output committed, the manifest written last, a partitioned run published.
    let zoom_counts = opened.zoom_counts;
    let manifest = |receipts, partition| {
        Manifest::new(
            cfg,
            &report,
            &stats,
            receipts,
            partition,
            windows,
            zoom_counts,
        )
    };
    let (manifest, path) = targets.commit(finished, manifest, None)?;
    let manifest_path = path.ok_or_else(|| {
        Failure::failed_msg("an extract without a manifest (a bug: please report it)")
    })?;
    Ok(RunResult {
        manifest,
        manifest_path,
    })
}

/// Runs the three stages to their end: every table's output finished (not yet committed), the
/// transform's counts and the source's report; a signal stops them and removes what they wrote.
async fn run_stages(
    cfg: &ExtractConfig,
    source: AnySource,
    transformer: Transformer,
    outputs: BTreeMap<Table, Box<dyn RecordSink>>,
    progress: Option<Arc<Reporter>>,
) -> Result<
    (
        BTreeMap<Table, FinishedOutput>,
        TransformStats,
        SourceReport,
    ),
    Failure,
> {
    let (page_tx, page_rx) = mpsc::channel::<Page>(PAGE_QUEUE);
    let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<TransformedPage>(BATCH_QUEUE);

    let source_task = tokio::spawn(source.run(page_tx));
    let transform_task = {
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || {
            transform_stage(transformer, page_rx, batch_tx, progress.as_deref())
        })
    };
    let sink_task = { tokio::task::spawn_blocking(move || sink_stage(outputs, batch_rx)) };

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
            source_abort.abort();
            let _ = stages.await;
            return Err(crate::signals::stopped_by(signal));
        }
    };

    if let Some(progress) = &progress {
        progress.progress.finish();
    }
    // The stages stop at a signal as soon as it comes, which may be before the `select!` sees it.
    if let Some(signal) = crate::signals::received() {
        return Err(crate::signals::stopped_by(signal));
    }
    // Report the stage that failed first in the data flow's terms: a sink error explains why the
    // transform and source were told to stop, not the other way round.
    let finished = match sinks {
        Ok(Ok(finished)) => Some(finished),
        Ok(Err(StageError::Failed(f))) => return Err(f),
        Ok(Err(StageError::Stopped)) => None,
        Err(join) => return Err(Failure::failed(anyhow!("sink stage panicked: {join}"))),
    };
    let stats = match transform {
        Ok(Ok(stats)) => Some(stats),
        Ok(Err(StageError::Failed(f))) => return Err(f),
        Ok(Err(StageError::Stopped)) => None,
        Err(join) => return Err(Failure::failed(anyhow!("transform stage panicked: {join}"))),
    };
    let report = match source {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => return Err(source_failure(e, cfg)),
        Err(join) => return Err(Failure::failed(anyhow!("source stage panicked: {join}"))),
    };
    let (Some(finished), Some(stats)) = (finished, stats) else {
        return Err(Failure::failed(anyhow!("the pipeline stopped early")));
    };
    Ok((finished, stats, report))
}

/// Checks a finished run before anything is committed: every user Zoom sent is a row, a rejection
/// or a counted duplicate (and every event a row or a counted duplicate), and the add-ons were
/// read; warns of what was counted aside.
fn check_outcome(report: &SourceReport, stats: &TransformStats) -> Result<(), Failure> {
    let (read, decided) = (stats.records_read(), stats.records_decided());
    if report.records != read || decided != report.records {
        return Err(Failure::failed(anyhow!(
            "{} records were received but {read} were read and {decided} decided (rows, rejects, \
             counted repeats); no output was written. This is a bug: please report it",
            report.records,
        )));
    }

    if let Some(outside) = stats.activity.as_ref().map(|a| a.outside_window)
        && outside > 0
    {
        tracing::warn!(
            message = "Sign-in events dated outside the window were written but not counted as \
                       sign-ins (activity.outside_window in the manifest).",
            events = outside
        );
    }
    if report.unaskable > 0 {
        tracing::warn!(
            message = "Users whose id is not one Zoom gives were skipped: their settings cannot be \
                       asked for (addons.users_skipped in the manifest).",
            users = report.unaskable
        );
    }
    // Only users' settings can be gone; when every one was, no settings page came at all.
    let gone = report.sweeps.iter().filter(|s| s.gone).count() as u64;
    if stats.addons.is_some() || gone > 0 {
        let addons = stats.addons.clone().unwrap_or_default();
        match addons.verdict(gone) {
            Ok(None) => {}
            Ok(Some(warning)) => tracing::warn!(message = %warning),
            Err(failure) => {
                return Err(Failure::failed(anyhow!(
                    "--with addons: {failure}; no output was written"
                )));
            }
        }
    }
    Ok(())
}

/// The sink options of a run with id `run_id`, for every table it writes.
pub fn sink_options(run_id: &str, csv_raw: bool) -> SinkOptions {
    SinkOptions {
        csv_raw,
        verbatim_columns: names(transform::schema::VERBATIM_COLUMNS),
        metadata: vec![
            ("run_id".into(), run_id.to_string()),
            (
                "schema_version".into(),
                transform::SCHEMA_VERSION.to_string(),
            ),
            ("tool".into(), crate::TOOL.into()),
            ("tool_version".into(), crate::VERSION.into()),
        ],
        dictionary_columns: names(transform::schema::DICTIONARY_COLUMNS),
        no_statistics_columns: names(transform::schema::NO_STATISTICS_COLUMNS),
        created_by: Some(format!("{} {}", crate::TOOL, crate::VERSION)),
    }
}

fn names(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| c.to_string()).collect()
}

fn source_failure(e: ExtractError, cfg: &ExtractConfig) -> Failure {
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
    Failure::of_class(e.class(), e, context)
}

fn sink_failure(e: SinkError) -> StageError {
    StageError::Failed(crate::targets::sink_failure(e))
}

/// Transforms pages as they come, in order, and hands their batches to the sinks.
fn transform_stage(
    mut transformer: Transformer,
    mut pages: mpsc::Receiver<Page>,
    batches: std::sync::mpsc::SyncSender<TransformedPage>,
    progress: Option<&Reporter>,
) -> Result<TransformStats, StageError> {
    while let Some(page) = pages.blocking_recv() {
        if crate::signals::stop_requested() {
            return Err(StageError::Stopped);
        }
        let started = std::time::Instant::now();
        let transformed = transformer
            .transform_page(&page)
            .map_err(|e| StageError::Failed(Failure::failed(anyhow!(e))))?;
        tracing::trace!(
            message = "Transformed page.",
            sequence = page.sequence,
            micros = started.elapsed().as_micros() as u64
        );
        // The bars count users: each status's, and those whose add-ons were read.
        if let Some(progress) = progress {
            let endpoint = page.request.endpoint;
            match UserStatus::of(&page.request) {
                Ok(status) if endpoint.lists_users() => {
                    progress.page(
                        status.as_str(),
                        page.record_count(),
                        page.meta.total_records,
                    );
                }
                _ if endpoint == &USER_SETTINGS => progress.page("add-ons", 1, None),
                _ => {}
            }
        }
        if batches.send(transformed).is_err() {
            return Err(StageError::Stopped);
        }
    }
    let (stats, last) = transformer
        .finish()
        .map_err(|e| StageError::Failed(Failure::failed(anyhow!(e))))?;
    for (table, batch) in last.batches {
        if batches.send(TransformedPage::of([(table, batch)])).is_err() {
            return Err(StageError::Stopped);
        }
    }
    Ok(stats)
}

/// Writes every batch to its table's sink; each sink's output is finished, not yet committed.
fn sink_stage(
    mut sinks: BTreeMap<Table, Box<dyn RecordSink>>,
    batches: std::sync::mpsc::Receiver<TransformedPage>,
) -> Result<BTreeMap<Table, FinishedOutput>, StageError> {
    for (table, sink) in &mut sinks {
        sink.begin(&table.schema()).map_err(sink_failure)?;
    }
    for page in batches {
        if crate::signals::stop_requested() {
            return Err(StageError::Stopped);
        }
        for (table, batch) in &page.batches {
            let Some(sink) = sinks.get_mut(table) else {
                return Err(StageError::Failed(Failure::failed_msg(format!(
                    "rows for {}, which this run does not write (a bug: please report it)",
                    table.folder()
                ))));
            };
            sink.write_batch(batch).map_err(sink_failure)?;
        }
    }
    if crate::signals::stop_requested() {
        return Err(StageError::Stopped);
    }
    let mut finished = BTreeMap::new();
    for (table, sink) in sinks {
        finished.insert(table, sink.finish().map_err(sink_failure)?);
    }
    Ok(finished)
}
