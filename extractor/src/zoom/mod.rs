//! The Zoom wire model: endpoints described as data, the page every answer is read into, and one
//! file per endpoint with its description and its records' shape.

pub mod activities;
pub mod endpoint;
pub mod groups;
pub mod host_report;
pub mod named;
pub mod page;
pub mod roles;
pub mod sub_accounts;
pub mod text;
pub mod user_settings;
pub mod users;
pub mod users_me;
pub mod users_summary;

use endpoint::Endpoint;

/// Every endpoint this build knows, for reading recordings: a new endpoint file adds itself here.
pub static ENDPOINTS: &[&Endpoint] = &[
    &users::USERS,
    &users_summary::USERS_SUMMARY,
    &users_me::USERS_ME,
    &activities::ACTIVITIES,
    &host_report::HOST_REPORT,
    &groups::GROUPS,
    &roles::ROLES,
    &user_settings::USER_SETTINGS,
    &users::ACCOUNT_USERS,
    &sub_accounts::SUB_ACCOUNTS,
];
