//! Counts kept while transforming, for the manifest and the run summary.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::row::RejectReason;

/// What the transform saw and decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransformStats {
    /// User records read, repeats included.
    pub users_seen: u64,
    /// Rows emitted to the license table.
    pub rows: u64,
    /// Records rejected, per reason.
    pub rejects: BTreeMap<RejectReason, u64>,
    /// Records dropped because their user key was already seen.
    pub duplicates: u64,
    /// Rows per plan name.
    pub by_plan: BTreeMap<String, u64>,
    /// Rows per status.
    pub by_status: BTreeMap<String, u64>,
}
