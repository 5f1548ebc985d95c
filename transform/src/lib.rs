//! Turns raw Zoom user records into the normalized license table and its rejects, the sign-in
//! report into its events and per-user activity tables, the active-hosts report into per-user host
//! usage, the users' settings into their paid add-ons, and the account's groups and roles into
//! tables of their own; and derives tables from a run's outputs (reclaim, changes, with prices).
//!
//! Pure by design: no I/O, no clock, no logging. Everything a rule needs (run id, extraction time,
//! account) arrives in a [`RunContext`]; everything it decides leaves as rows, rejections and
//! [`TransformStats`]. That keeps the rules snapshot-testable over recorded pages.

#![warn(missing_docs)]

pub mod activity;
pub mod addons;
pub mod batch;
pub mod changes;
mod columns;
pub mod context;
pub mod directory;
pub mod hosting;
mod per_user;
pub mod plan;
pub mod prices;
pub mod reader;
mod readers;
pub mod reclaim;
pub mod row;
pub mod rules;
pub mod schema;
pub mod stats;
pub mod table;
pub mod transformer;

pub use activity::ActivityStats;
pub use context::{ActivityContext, RunContext};
pub use reader::{TransformError, TransformedPage};
pub use row::RejectReason;
pub use schema::SCHEMA_VERSION;
pub use stats::TransformStats;
pub use table::Table;
pub use transformer::Transformer;
