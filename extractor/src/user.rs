//! The raw Zoom user record of `GET /v2/users`, borrowed from its page.
//!
//! Every field except `email` and `type` is optional in Zoom's spec and is omitted rather than sent
//! as `null`; both forms read as `None` here. Unknown fields are ignored: Zoom adds fields often.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

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
}

/// Reads an optional string without copying it unless it has escapes.
///
/// serde borrows a `Cow<'a, str>` only when it is a field's whole type; inside an `Option` it would
/// allocate every value, which made allocation the largest cost of a replay.
impl<'a> ZoomUser<'a> {
    /// Reads one record's JSON text: quickly when it has the plain shape Zoom sends, otherwise with
    /// serde_json, whose error says what is wrong.
    pub fn from_json(raw: &'a str) -> Result<Self, serde_json::Error> {
        match crate::quick_user::read_whole(raw) {
            Some(user) => Ok(user),
            None => serde_json::from_str(raw),
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
}

#[cfg(test)]
mod borrow_tests {
    use super::*;

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
