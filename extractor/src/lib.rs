//! Reads raw user pages from Zoom.
//!
//! The extractor knows Zoom and nothing else: how a `GET /v2/users` page is shaped, how a run of pages
//! is recorded on disk, and how pages are produced by a [`PageSource`]. It never looks inside a user
//! record beyond locating it in the page: turning users into license rows is the transform's job.

#![warn(missing_docs)]

pub mod auth;
pub mod authcode;
pub mod client;
pub mod endpoint;
pub mod error;
pub mod live;
pub mod page;
mod quick_user;
pub mod ratelimit;
pub mod recording;
pub mod replay;
pub mod scan;
pub mod secret;
pub mod source;
pub mod status;
pub mod token_store;
pub mod user;

pub use auth::{Credentials, ServerToServer};
pub use authcode::AuthCodeApp;
pub use client::{ClientConfig, ZoomClient};
pub use error::{ErrorClass, ExtractError};
pub use live::LiveSource;
pub use page::{PageMeta, UsersPage};
pub use recording::{PageEntry, PageRequest, RecordingIndex, RecordingWriter};
pub use replay::ReplaySource;
pub use secret::Secret;
pub use source::{PageSource, SourceReport, StatusReport};
pub use status::UserStatus;
pub use user::{PlanUnitedType, ZoomUser};
