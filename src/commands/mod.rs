//! One module per subcommand; each turns its parsed arguments into a run and a result.

pub mod auth;
pub mod check;
pub mod extract;
pub mod revoke;
