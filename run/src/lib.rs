//! One run of zoom-licenses as a library call. [`extract::run_extract`] wires the stages (a page
//! source from the extractor, the transform, the sinks) on bounded channels for the datasets of
//! [`datasets::DATASETS`] a run reads; [`targets`] is the one writer of a run's outputs (files, or
//! partitions published whole, the manifest last), for the extract and for the tables
//! [`derived`] from earlier runs, which [`runs`] reads back through the same [`manifest`]; a day's
//! [`report`] is gathered from those outputs. The binary parses arguments into a
//! [`config::ExtractConfig`], calls these and prints the result.

pub mod accounts;
pub mod config;
pub mod datasets;
pub mod derived;
pub mod exit;
pub mod extract;
pub mod manifest;
pub mod reconcile;
pub mod report;
pub mod runs;
pub mod signals;
pub mod summary;
pub mod targets;

/// The tool's name, as written into outputs.
pub const TOOL: &str = "zoom-licenses";
/// The tool's version, as written into outputs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a run reports as it goes, for a person watching (progress bars).
pub trait Progress: Send + Sync {
    /// `users` more on the bar `label` (a status, or `add-ons`), out of `total` when known; a
    /// live run's request counts in `requests`.
    fn page(
        &self,
        label: &str,
        users: usize,
        total: Option<u64>,
        requests: Option<extractor::http::RequestStats>,
    );
    /// The run's pages are all read.
    fn finish(&self);
}
