//! Reads pages from Zoom's API, live or from a recorded run, and records them. It knows Zoom and
//! nothing else: its endpoints ([`zoom`], as data), authentication ([`auth`]), fetching within its
//! limits ([`http`]) and where pages come from ([`source`]); records become rows in the transform.

#![warn(missing_docs)]

pub mod auth;
pub mod error;
pub mod http;
pub mod network;
pub mod regular_file;
pub mod source;
pub mod zoom;

pub use auth::Credentials;
pub use auth::authcode::AuthCodeApp;
pub use auth::secret::Secret;
pub use auth::server_to_server::ServerToServer;
pub use error::ExtractError;
pub use http::error::{ApiError, ErrorClass};
pub use http::{ClientConfig, ZoomClient};
pub use source::live::LiveSource;
pub use source::recording::{PageEntry, RecordedRequest, RecordingIndex, RecordingWriter};
pub use source::replay::ReplaySource;
pub use source::{PageSource, SourceReport, SweepReport};
pub use zoom::endpoint::{Endpoint, PageRequest};
pub use zoom::page::{Page, PageMeta};
pub use zoom::users::{PlanUnitedType, USERS, UserStatus, ZoomUser};
