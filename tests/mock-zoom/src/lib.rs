//! A mock of the Zoom API for tests, listening on 127.0.0.1 only.
//!
//! It serves `POST /oauth/token` (server-to-server grant), `GET /v2/users` and `GET /v2/users/summary`
//! the way Zoom does (see `shared/zoom-api.md`): one status per request, `page_count`/`page_number` on the first page
//! only, `"next_page_token": ""` on the last, pending users without `id`, `{"reason","error"}` token
//! errors, 401/124 for bad tokens, 400/4711 for a missing scope, 400/300 for an expired page token or
//! a page size above the maximum. Faults (429s, 5xx, dropped connections, truncated bodies, expiring
//! tokens) are scripted by request number, and the mock measures the highest request rate it saw.
//!
//! It is a deliberately small hand-written HTTP/1.1 server (`Connection: close` on every answer) so
//! that it can also misbehave at the socket level, which a well-behaved HTTP framework cannot.
//!
//! Its files follow the tool's seams: `server` listens, holds what the mock saw and routes each
//! request; `http` reads a request and writes an answer; `oauth` and one file per endpoint
//! (`users`, `settings`, `groups`, `roles`, `reports`, `host_report`, `sub_accounts`) answer, using what every
//! endpoint shares in `endpoint`; `account` and `faults` script the account and its
//! misbehaviours; `generate` makes realistic accounts.

#![warn(missing_docs)]

mod account;
mod endpoint;
mod faults;
mod generate;
mod groups;
mod host_report;
mod http;
mod oauth;
mod reports;
mod roles;
mod server;
mod settings;
mod sub_accounts;
mod users;

pub use account::Account;
pub use faults::{Fault, SLOW_BODY_GAP};
pub use generate::{
    activity_of, generated_activity, generated_feature, generated_user, generated_users,
    meetings_of, with_custom_attributes,
};
pub use server::{MockZoom, Seen};
