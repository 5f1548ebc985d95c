//! One module per subcommand; each turns its parsed arguments into a run and a result.

pub mod accounts;
pub mod auth;
pub mod changes;
pub mod check;
pub mod demo;
pub mod docs;
pub mod extract;
pub mod reclaim;
pub mod report;
pub mod revoke;
