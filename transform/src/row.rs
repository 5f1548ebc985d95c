//! A license row and a rejection, as the rules produce them, borrowing from the page.

use std::borrow::Cow;

use serde::Serialize;

/// One user of the license table (see `license_schema` for column meanings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseRow<'a> {
    /// The Zoom `id`, or `pending:` + the lower-cased email for users without one.
    pub user_key: Cow<'a, str>,
    /// The Zoom `id`.
    pub user_id: Option<Cow<'a, str>>,
    /// Email address.
    pub email: Cow<'a, str>,
    /// Display name.
    pub display_name: Option<Cow<'a, str>>,
    /// First name.
    pub first_name: Option<Cow<'a, str>>,
    /// Last name.
    pub last_name: Option<Cow<'a, str>>,
    /// `active` or `pending`.
    pub status: Cow<'a, str>,
    /// `basic`, `licensed`, `unassigned` or `none`.
    pub plan: &'static str,
    /// Zoom's `type`.
    pub plan_type_code: i32,
    /// Zoom United plan code.
    pub plan_united_type: Option<Cow<'a, str>>,
    /// `license_info_list` JSON exactly as received.
    pub licenses: Option<&'a str>,
    /// Department.
    pub department: Option<Cow<'a, str>>,
    /// Role id.
    pub role_id: Option<Cow<'a, str>>,
    /// Time zone.
    pub timezone: Option<Cow<'a, str>>,
    /// Creation time, microseconds since the epoch, UTC.
    pub user_created_at: Option<i64>,
    /// Last login, microseconds since the epoch, UTC.
    pub last_login_at: Option<i64>,
    /// Client version of the last login.
    pub last_client_version: Option<Cow<'a, str>>,
    /// Ids of the user's groups (`None` when Zoom sent none).
    pub group_ids: Option<Vec<String>>,
    /// Employee id of SSO accounts.
    pub employee_unique_id: Option<Cow<'a, str>>,
    /// Whether the email address is verified.
    pub verified: Option<bool>,
    /// Language, e.g. `en-US`.
    pub language: Option<Cow<'a, str>>,
    /// `custom_attributes` JSON exactly as received (sent only when asked for).
    pub custom_attributes: Option<&'a str>,
}

/// Why a record was left out of the license table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The user was deactivated by an admin (`status: inactive`).
    Deactivated,
    /// The plan type is not one of 1, 2, 4, 99.
    UnsupportedPlan,
    /// The record could not be read (wrong types, bad timestamps, no email).
    InvalidRecord,
}

impl RejectReason {
    /// The value written to the `reason` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Deactivated => "deactivated",
            RejectReason::UnsupportedPlan => "unsupported_plan",
            RejectReason::InvalidRecord => "invalid_record",
        }
    }
}

/// A record left out, with its reason and the record's JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection<'a> {
    /// The key, when one could be worked out.
    pub user_key: Option<Cow<'a, str>>,
    /// The Zoom `id`, when readable.
    pub user_id: Option<Cow<'a, str>>,
    /// The email, when readable.
    pub email: Option<Cow<'a, str>>,
    /// The status, when readable.
    pub status: Option<Cow<'a, str>>,
    /// The plan type code, when readable.
    pub plan_type_code: Option<i32>,
    /// Why it was left out.
    pub reason: RejectReason,
    /// A sentence saying exactly what was wrong.
    pub detail: String,
    /// The record's JSON text, exactly as received.
    pub raw: &'a str,
}
