//! The Zoom wire model: endpoints described as data, the page every answer is read into, and one
//! file per endpoint with its description and its records' shape.

pub mod endpoint;
pub mod page;
pub mod users;
pub mod users_summary;
