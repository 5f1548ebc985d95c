//! The rules that turn one raw user record into a license row or a rejection.
//!
//! In order: a record that cannot be read is `invalid_record`; a deactivated user is `deactivated`;
//! a plan code outside 1, 2, 4, 99 is `unsupported_plan`; a timestamp that cannot be read, or a
//! `verified` other than 0 and 1, makes the record `invalid_record`. Every rejection keeps the
//! record's JSON text. Optional text that Zoom sends as `""` becomes null, like an absent field, so
//! "unknown" has one spelling in the table.

use std::borrow::Cow;

use extractor::zoom::text::is_object;
use extractor::{UserStatus, ZoomUser};

use crate::plan::{Plan, unsupported_detail};
use crate::row::{LicenseRow, RejectReason, Rejection};

/// The decision for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "rows are the hot path: boxing them would cost an allocation per user"
)]
pub enum Outcome<'a> {
    /// The record belongs in the license table.
    Row(LicenseRow<'a>),
    /// The record is left out, with its reason (boxed: rejections are the rare case).
    Reject(Box<Rejection<'a>>),
}

impl Outcome<'_> {
    /// The user key, when one could be worked out; used to drop repeats.
    pub fn user_key(&self) -> Option<&str> {
        match self {
            Outcome::Row(row) => Some(&row.user_key),
            Outcome::Reject(rejection) => rejection.user_key.as_deref(),
        }
    }
}

/// Decides what one user record (its raw JSON text) becomes; `sweep` is the status it was listed under.
pub fn classify(raw: &str, sweep: UserStatus) -> Outcome<'_> {
    let detail = if !is_object(raw) {
        "not a user object: expected a JSON object".to_string()
    } else {
        // The plain parse is the hot path; only a failure is parsed again to name the field, since
        // tracking the path costs an allocation per field of every record.
        match serde_json::from_str::<ZoomUser<'_>>(raw) {
            Ok(user) => return classify_user(raw, user, sweep),
            Err(_) => unreadable_detail(raw),
        }
    };
    Outcome::Reject(Box::new(invalid_from_text(raw, sweep, detail)))
}

/// Says which field made a record unreadable.
fn unreadable_detail(raw: &str) -> String {
    let mut de = serde_json::Deserializer::from_str(raw);
    match serde_path_to_error::deserialize::<_, ZoomUser<'_>>(&mut de) {
        Ok(_) => "unreadable record".to_string(),
        Err(err) => match err.path().to_string() {
            path if path == "." => format!("not a user object: {}", err.inner()),
            path => format!("field `{path}`: {}", err.inner()),
        },
    }
}

fn non_empty(value: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    value.filter(|v| !v.is_empty())
}

fn user_key<'a>(id: Option<&Cow<'a, str>>, email: &str) -> Cow<'a, str> {
    match id {
        Some(id) => id.clone(),
        None => Cow::Owned(format!("pending:{}", email.to_lowercase())),
    }
}

/// What a rejection of a readable record keeps of it, besides its key and email.
struct Identity<'a> {
    raw: &'a str,
    user_id: Option<Cow<'a, str>>,
    /// Zoom's status, or the sweep's when Zoom sent none.
    status: Cow<'a, str>,
    plan_code: Option<i64>,
}

impl<'a> Identity<'a> {
    fn reject(
        &self,
        user_key: Option<Cow<'a, str>>,
        email: Option<Cow<'a, str>>,
        (reason, detail): (RejectReason, String),
    ) -> Outcome<'a> {
        Outcome::Reject(Box::new(Rejection {
            user_key,
            user_id: self.user_id.clone(),
            email,
            status: Some(self.status.clone()),
            plan_type_code: self.plan_code.and_then(|c| i32::try_from(c).ok()),
            reason,
            detail,
            raw: self.raw,
        }))
    }
}

/// What the checks made of a record that passed them.
struct Checked {
    plan: Plan,
    code: i64,
    created: Option<i64>,
    verified: Option<bool>,
    last_login: Option<i64>,
}

fn classify_user<'a>(raw: &'a str, mut user: ZoomUser<'a>, sweep: UserStatus) -> Outcome<'a> {
    let who = Identity {
        raw,
        user_id: non_empty(user.id.take()),
        status: non_empty(user.status.take()).unwrap_or(Cow::Borrowed(sweep.as_str())),
        plan_code: user.plan_type,
    };
    let Some(email) = non_empty(user.email.take()) else {
        let missing = (RejectReason::InvalidRecord, "missing `email`".into());
        return who.reject(who.user_id.clone(), None, missing);
    };
    let key = user_key(who.user_id.as_ref(), &email);
    match check(&user, &who.status) {
        Ok(checked) => Outcome::Row(license_row(who, key, email, user, checked)),
        Err(why) => who.reject(Some(key), Some(email), why),
    }
}

/// The checks of a record with an email, in order: deactivated, its plan, its creation time,
/// `verified`, its last login time.
fn check(user: &ZoomUser<'_>, status: &str) -> Result<Checked, (RejectReason, String)> {
    let invalid = |detail: String| (RejectReason::InvalidRecord, detail);
    if status == UserStatus::Inactive.as_str() {
        let detail = "deactivated by an admin (status inactive)".into();
        return Err((RejectReason::Deactivated, detail));
    }
    let code = user
        .plan_type
        .ok_or_else(|| invalid("missing `type`".into()))?;
    let plan = Plan::from_code(code)
        .ok_or_else(|| (RejectReason::UnsupportedPlan, unsupported_detail(code)))?;
    let created = created_at(user, status).map_err(invalid)?;
    let verified = user
        .verified
        .map(|v| v.flag())
        .transpose()
        .map_err(invalid)?;
    let last_login =
        parse_time("last_login_time", user.last_login_time.as_deref()).map_err(invalid)?;
    Ok(Checked {
        plan,
        code,
        created,
        verified,
        last_login,
    })
}

/// `user_created_at`, or else `created_at`. A pending user's `created_at` is the time of the API
/// call, not of the user: only active and inactive users fall back to it (real records show
/// theirs equal to `user_created_at`).
fn created_at(user: &ZoomUser<'_>, status: &str) -> Result<Option<i64>, String> {
    let fallback = match status == UserStatus::Pending.as_str() {
        true => None,
        false => user.created_at.as_deref(),
    };
    match parse_time("user_created_at", user.user_created_at.as_deref())? {
        Some(t) => Ok(Some(t)),
        None => parse_time("created_at", fallback),
    }
}

/// The license row of a record that passed the checks.
fn license_row<'a>(
    who: Identity<'a>,
    user_key: Cow<'a, str>,
    email: Cow<'a, str>,
    user: ZoomUser<'a>,
    checked: Checked,
) -> LicenseRow<'a> {
    LicenseRow {
        user_key,
        user_id: who.user_id,
        email,
        display_name: non_empty(user.display_name),
        first_name: non_empty(user.first_name),
        last_name: non_empty(user.last_name),
        status: who.status,
        plan: checked.plan.as_str(),
        // `from_code` accepted it, so it is one of 1, 2, 4, 99.
        plan_type_code: checked.code as i32,
        plan_united_type: user
            .plan_united_type
            .map(|p| p.into_text())
            .filter(|p| !p.is_empty()),
        licenses: user.license_info_list,
        department: non_empty(user.dept),
        role_id: non_empty(user.role_id),
        timezone: non_empty(user.timezone),
        user_created_at: checked.created,
        last_login_at: checked.last_login,
        last_client_version: non_empty(user.last_client_version),
        group_ids: user.group_ids,
        employee_unique_id: non_empty(user.employee_unique_id),
        verified: checked.verified,
        language: non_empty(user.language),
        custom_attributes: user.custom_attributes,
    }
}

/// Reads an RFC 3339 timestamp as UTC microseconds; empty or absent is `None`.
fn parse_time(field: &str, value: Option<&str>) -> Result<Option<i64>, String> {
    match value {
        None | Some("") => Ok(None),
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.timestamp_micros()))
            .map_err(|e| format!("field `{field}`: \"{text}\" is not an RFC 3339 timestamp ({e})")),
    }
}

/// Builds an `invalid_record` rejection from whatever identity fields can still be read.
fn invalid_from_text(raw: &str, sweep: UserStatus, detail: String) -> Rejection<'_> {
    let object = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw).ok();
    let text = |name: &str| -> Option<Cow<'static, str>> {
        object
            .as_ref()
            .and_then(|o| o.get(name))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(|s| Cow::Owned(s.to_owned()))
    };
    let user_id = text("id");
    let email = text("email");
    let user_key = match &email {
        Some(email) => Some(user_key(user_id.as_ref(), email)),
        None => user_id.clone(),
    };
    let plan_type_code = object
        .as_ref()
        .and_then(|o| o.get("type"))
        .and_then(|v| v.as_i64())
        .and_then(|c| i32::try_from(c).ok());
    Rejection {
        user_key,
        user_id,
        email,
        status: text("status").or(Some(Cow::Borrowed(sweep.as_str()))),
        plan_type_code,
        reason: RejectReason::InvalidRecord,
        detail,
        raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reject(raw: &str) -> Rejection<'_> {
        match classify(raw, UserStatus::Active) {
            Outcome::Reject(r) => *r,
            Outcome::Row(row) => panic!("expected a rejection, got {row:?}"),
        }
    }

    fn row(raw: &str, sweep: UserStatus) -> LicenseRow<'_> {
        match classify(raw, sweep) {
            Outcome::Row(row) => row,
            Outcome::Reject(r) => panic!("expected a row, got {r:?}"),
        }
    }

    #[test]
    fn plan_names_follow_the_codes() {
        for (code, plan) in [
            (1, "basic"),
            (2, "licensed"),
            (4, "unassigned"),
            (99, "none"),
        ] {
            let raw = format!(r#"{{"id":"u","email":"a@x","type":{code}}}"#);
            assert_eq!(row(&raw, UserStatus::Active).plan, plan);
        }
    }

    #[test]
    fn deactivated_users_are_rejected() {
        let r = reject(r#"{"id":"u","email":"a@x","type":2,"status":"inactive"}"#);
        assert_eq!(r.reason, RejectReason::Deactivated);
        assert_eq!(r.user_key.as_deref(), Some("u"));
    }

    #[test]
    fn the_sweep_status_stands_in_for_a_missing_status() {
        let raw = r#"{"id":"u","email":"a@x","type":2}"#;
        assert_eq!(
            reject_under(raw, UserStatus::Inactive).reason,
            RejectReason::Deactivated
        );
        assert_eq!(row(raw, UserStatus::Pending).status, "pending");
    }

    fn reject_under(raw: &str, sweep: UserStatus) -> Rejection<'_> {
        match classify(raw, sweep) {
            Outcome::Reject(r) => *r,
            Outcome::Row(row) => panic!("expected a rejection, got {row:?}"),
        }
    }

    #[test]
    fn unsupported_plans_name_the_code() {
        let r = reject(r#"{"id":"u","email":"a@x","type":7}"#);
        assert_eq!(r.reason, RejectReason::UnsupportedPlan);
        assert!(r.detail.contains('7'), "{}", r.detail);
        assert_eq!(r.plan_type_code, Some(7));
        let legacy = reject(r#"{"id":"u","email":"a@x","type":3}"#);
        assert!(legacy.detail.contains("On-prem"), "{}", legacy.detail);
    }

    #[test]
    fn pending_users_are_keyed_by_lower_cased_email() {
        let r = row(
            r#"{"email":"New.Hire@Example.com","type":1,"status":"pending"}"#,
            UserStatus::Pending,
        );
        assert_eq!(r.user_key, "pending:new.hire@example.com");
        assert_eq!(r.user_id, None);
    }

    #[test]
    fn unreadable_records_say_which_field() {
        let r = reject(r#"{"id":"u","email":"a@x","type":"2"}"#);
        assert_eq!(r.reason, RejectReason::InvalidRecord);
        assert!(r.detail.starts_with("field `type`"), "{}", r.detail);
        assert_eq!(r.user_key.as_deref(), Some("u"));
        let r = reject(r#"{"id":"u","email":"a@x","type":2,"last_login_time":"yesterday"}"#);
        assert!(r.detail.contains("last_login_time"), "{}", r.detail);
        let r = reject(r#"{"id":"u","type":2}"#);
        assert_eq!(r.detail, "missing `email`");
        let r = reject(r#"["not", "a", "user"]"#);
        assert_eq!(r.user_key, None);
    }

    #[test]
    fn created_at_stands_in_for_user_created_at() {
        let r = row(
            r#"{"id":"u","email":"a@x","type":1,"created_at":"2020-01-02T03:04:05Z"}"#,
            UserStatus::Active,
        );
        assert_eq!(r.user_created_at, Some(1_577_934_245_000_000));
    }

    /// A pending user's `created_at` is the time of the API call: it never stands in.
    #[test]
    fn a_pending_users_created_at_is_not_its_creation_time() {
        let only_created_at = r#"{"id":"","email":"a@x","type":1,"status":"pending","created_at":"2026-11-02T08:00:00Z"}"#;
        assert_eq!(
            row(only_created_at, UserStatus::Pending).user_created_at,
            None
        );
        let both = r#"{"email":"a@x","type":1,"user_created_at":"2020-01-02T03:04:05Z","created_at":"2026-11-02T08:00:00Z"}"#;
        let r = row(both, UserStatus::Pending);
        assert_eq!(r.user_created_at, Some(1_577_934_245_000_000));
    }

    #[test]
    fn verified_is_a_flag_and_other_numbers_are_refused() {
        let with = |v: &str| format!(r#"{{"id":"u","email":"a@x","type":1,"verified":{v}}}"#);
        assert_eq!(row(&with("1"), UserStatus::Active).verified, Some(true));
        assert_eq!(row(&with("0"), UserStatus::Active).verified, Some(false));
        assert_eq!(row(&with("true"), UserStatus::Active).verified, Some(true));
        assert_eq!(row(&with("null"), UserStatus::Active).verified, None);
        let two = with("2");
        assert_eq!(reject(&two).detail, "field `verified`: 2 is not 0 or 1");
    }
}
