//! `GET /users`, one `status` per sweep: the endpoint, its sweeps, and the user record as Zoom
//! sends it, borrowed from its page. Every field but `email` and `type` is optional in Zoom's spec
//! (omitted or `null`, both `None` here); unknown fields are ignored (Zoom adds fields often).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::zoom::endpoint::{Endpoint, PageRequest};

/// What `include_fields` may ask `GET /users` for: only `custom_attributes` (`host_key`, the other
/// value Zoom takes, is a secret and never asked for).
pub const INCLUDE_CUSTOM_ATTRIBUTES: &str = "custom_attributes";

/// The largest page size Zoom documents for a list of users (since its October 2024 spec; older
/// ones say 300, [`crate::http::FALLBACK_PAGE_SIZE`], which a refusal falls back to).
pub const MAX_PAGE_SIZE: u32 = 2000;

/// `GET /users` ([Zoom's reference](https://developers.zoom.us/docs/api/users/#tag/users/GET/users)).
pub static USERS: Endpoint = Endpoint {
    path: "users",
    records: Some("users"),
    paginated: true,
    max_page_size: Some(MAX_PAGE_SIZE),
    scopes: &["user:read:list_users:admin", "user:read:admin"],
    check_query: |request| {
        match request.param("include_fields") {
            None | Some(INCLUDE_CUSTOM_ATTRIBUTES) => {}
            Some(other) => return Err(format!("include_fields `{other}` is never asked for")),
        }
        UserStatus::of(request).map(|_| ())
    },
    ..Endpoint::DEFAULTS
};

/// `GET /accounts/{accountId}/users`: a sub account's users, for a master account's app, answered
/// as `GET /users` is (`../shared/zoom-api.md` §1).
pub static ACCOUNT_USERS: Endpoint = Endpoint {
    path: "accounts/{accountId}/users",
    scopes: &["user:read:list_users:master", "user:read:master"],
    check_query: |request| {
        request.path_and_query()?;
        (USERS.check_query)(request)
    },
    ..USERS
};

/// The first request of each status's sweep of a sub account's users, like [`sweeps`].
pub fn sub_account_sweeps(
    account_id: &str,
    statuses: &[UserStatus],
    page_size: u32,
    custom_attributes: bool,
) -> Vec<PageRequest> {
    sweeps(statuses, page_size, custom_attributes)
        .into_iter()
        .map(|mut request| {
            request.endpoint = &ACCOUNT_USERS;
            request
                .query
                .insert("accountId".into(), account_id.to_string());
            request
        })
        .collect()
}

/// The first request of each status's sweep; with `custom_attributes`, each asks for them too.
pub fn sweeps(
    statuses: &[UserStatus],
    page_size: u32,
    custom_attributes: bool,
) -> Vec<PageRequest> {
    statuses
        .iter()
        .map(|status| {
            let mut query = vec![("status", status.as_str().to_string())];
            if custom_attributes {
                query.push(("include_fields", INCLUDE_CUSTOM_ATTRIBUTES.to_string()));
            }
            PageRequest::first(&USERS, &query).with_page_size(page_size)
        })
        .collect()
}

/// A user status as Zoom names it; each is listed by its own sweep of `GET /v2/users?status=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Users that exist on the account (Zoom's default sweep).
    Active,
    /// Invited users who have not activated yet; Zoom gives them no `id`.
    Pending,
    /// Users an admin deactivated.
    Inactive,
}

impl UserStatus {
    /// Every status, in the order a full extract sweeps them.
    pub const ALL: [UserStatus; 3] = [
        UserStatus::Active,
        UserStatus::Pending,
        UserStatus::Inactive,
    ];

    /// The value Zoom uses in the query string and in user records.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Pending => "pending",
            UserStatus::Inactive => "inactive",
        }
    }

    /// The status a request lists: its `status` parameter, which Zoom takes as `active` when absent.
    pub fn of(request: &PageRequest) -> Result<UserStatus, String> {
        request.param("status").unwrap_or("active").parse()
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let status = Self::ALL.into_iter().find(|status| status.as_str() == s);
        status.ok_or_else(|| {
            format!("unknown user status `{s}`: expected active, pending or inactive")
        })
    }
}

/// One user record as Zoom sends it, with only the fields the license table uses.
#[derive(Debug, Default, Deserialize)]
pub struct ZoomUser<'a> {
    /// Zoom user id; absent for pending users.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub id: Option<Cow<'a, str>>,
    /// Email address; required by Zoom's spec.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub email: Option<Cow<'a, str>>,
    /// First name.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub first_name: Option<Cow<'a, str>>,
    /// Last name.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub last_name: Option<Cow<'a, str>>,
    /// Display name.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub display_name: Option<Cow<'a, str>>,
    /// Plan type code: 1 Basic, 2 Licensed, 4 Unassigned without Meetings Basic, 99 None (3 legacy).
    #[serde(rename = "type", default)]
    pub plan_type: Option<i64>,
    /// `active`, `inactive` or `pending`.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub status: Option<Cow<'a, str>>,
    /// Department.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub dept: Option<Cow<'a, str>>,
    /// Role id, e.g. `"0"` for the owner.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub role_id: Option<Cow<'a, str>>,
    /// IANA time zone name.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub timezone: Option<Cow<'a, str>>,
    /// When the user was created (RFC 3339).
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub user_created_at: Option<Cow<'a, str>>,
    /// Deprecated creation time, used when `user_created_at` is absent.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub created_at: Option<Cow<'a, str>>,
    /// Last login (RFC 3339), lagging by up to three days.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub last_login_time: Option<Cow<'a, str>>,
    /// Client version of the last login.
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub last_client_version: Option<Cow<'a, str>>,
    /// Zoom United plan, a string code such as `"1"`; only for United users.
    #[serde(borrow, default)]
    pub plan_united_type: Option<PlanUnitedType<'a>>,
    /// `license_info_list`'s JSON text exactly as received (its `license_option` values exceed 2^53).
    #[serde(borrow, default, deserialize_with = "raw_text")]
    pub license_info_list: Option<&'a str>,
    /// Ids of the (web) groups the user belongs to.
    #[serde(default)]
    pub group_ids: Option<Vec<String>>,
    /// The employee id of SSO accounts (SAML, login type 101).
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub employee_unique_id: Option<Cow<'a, str>>,
    /// Whether the email address is verified: Zoom sends `1` or `0`.
    #[serde(default)]
    pub verified: Option<Verified>,
    /// The user's language, e.g. `en-US` (sent in list bodies, though not in Zoom's spec).
    #[serde(borrow, default, deserialize_with = "borrowed")]
    pub language: Option<Cow<'a, str>>,
    /// `custom_attributes`' JSON text as received (sent only when `include_fields` asks for it).
    #[serde(borrow, default, deserialize_with = "raw_text")]
    pub custom_attributes: Option<&'a str>,
}

/// `verified` as sent: Zoom documents the integers 1 and 0; a JSON boolean is taken as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Verified {
    /// `1` or `0` (another integer is not a verified flag).
    Code(i64),
    /// `true` or `false`.
    Flag(bool),
}

impl Verified {
    /// The flag, or `Err` naming the value when it is an integer other than 0 and 1.
    pub fn flag(self) -> Result<bool, String> {
        match self {
            Verified::Code(1) | Verified::Flag(true) => Ok(true),
            Verified::Code(0) | Verified::Flag(false) => Ok(false),
            Verified::Code(other) => Err(format!("field `verified`: {other} is not 0 or 1")),
        }
    }
}

/// A value's JSON text, borrowed from the page; `null` reads as absent.
fn raw_text<'de: 'a, 'a, D>(deserializer: D) -> Result<Option<&'a str>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<&'a RawValue>::deserialize(deserializer)?.map(RawValue::get))
}

/// Reads an optional string without copying it unless it has escapes: serde borrows a `Cow<'a, str>`
/// only when it is a field's whole type, and inside an `Option` it would allocate every value.
fn borrowed<'de: 'a, 'a, D>(deserializer: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'a>>::deserialize(deserializer)?.map(|b| b.0))
}

/// `plan_united_type`: Zoom documents a string; a bare number is accepted and kept as its digits.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PlanUnitedType<'a> {
    /// The documented form, e.g. `"1"`.
    Text(#[serde(borrow)] Cow<'a, str>),
    /// A number, e.g. `1`.
    Number(u64),
}

impl<'a> PlanUnitedType<'a> {
    /// The code as text.
    pub fn into_text(self) -> Cow<'a, str> {
        match self {
            PlanUnitedType::Text(s) => s,
            PlanUnitedType::Number(n) => Cow::Owned(n.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_info_list_is_kept_verbatim() {
        let json = r#"{"email":"a@x","type":2,"license_info_list":[{"license_type":"MEETING","license_option":9007199254740993}]}"#;
        let user: ZoomUser<'_> = serde_json::from_str(json).unwrap();
        assert_eq!(
            user.license_info_list.unwrap(),
            r#"[{"license_type":"MEETING","license_option":9007199254740993}]"#
        );
    }

    /// A member given twice in one user is an error (the record becomes a reject with the reason),
    /// never the last one kept in silence: serde's derive refuses duplicate fields.
    #[test]
    fn a_member_given_twice_is_an_error() {
        for raw in [
            r#"{"id":"a","email":"a@x","email":"b@x","type":2}"#,
            r#"{"id":"a","id":"b","email":"a@x","type":2}"#,
            r#"{"id":"a","email":"a@x","type":2,"type":1}"#,
        ] {
            let err = serde_json::from_str::<ZoomUser>(raw).unwrap_err();
            assert!(err.to_string().contains("duplicate field"), "{raw}: {err}");
        }
    }

    #[test]
    fn nulls_read_as_absent() {
        let user: ZoomUser<'_> = serde_json::from_str(
            r#"{"email":"a@x","type":1,"dept":null,"license_info_list":null}"#,
        )
        .unwrap();
        assert!(user.dept.is_none());
        assert!(user.license_info_list.is_none());
    }

    #[test]
    fn type_as_a_string_is_an_error() {
        assert!(serde_json::from_str::<ZoomUser<'_>>(r#"{"email":"a@x","type":"2"}"#).is_err());
    }

    #[test]
    fn plain_strings_are_borrowed_and_escaped_ones_owned() {
        let user: ZoomUser<'_> = serde_json::from_str(
            r#"{"email":"a@x","type":1,"dept":"Sales","display_name":"A \"B\""}"#,
        )
        .unwrap();
        assert!(matches!(user.email, Some(Cow::Borrowed("a@x"))));
        assert!(matches!(user.dept, Some(Cow::Borrowed("Sales"))));
        assert_eq!(user.display_name.as_deref(), Some("A \"B\""));
    }
}
