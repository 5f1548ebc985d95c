//! One page of `GET /v2/users`, parsed once: the envelope is read and each user record is located
//! (see [`crate::scan`]), but user records stay raw JSON text so that one bad record never spoils
//! its page.

use std::ops::Range;

use crate::status::UserStatus;
use crate::user::ZoomUser;

/// The envelope fields of a users page (everything but the users themselves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// `page_count`; Zoom sends it on the first page only.
    pub page_count: Option<u64>,
    /// `page_number`; first page only.
    pub page_number: Option<u64>,
    /// `page_size`, the effective page size.
    pub page_size: Option<u64>,
    /// `total_records` for this status.
    pub total_records: Option<u64>,
    /// `next_page_token`; Zoom sends `""` on the last page.
    pub next_page_token: String,
}

impl PageMeta {
    /// Whether this is the last page of its sweep.
    pub fn is_last(&self) -> bool {
        self.next_page_token.is_empty()
    }
}

/// A users page: its status sweep, envelope, and the raw JSON of each user record.
#[derive(Debug, Clone)]
pub struct UsersPage {
    /// The sweep this page belongs to (the `status` query parameter).
    pub status: UserStatus,
    /// Position of the page in the run, from 1, in fetch order.
    pub sequence: u64,
    /// The envelope fields.
    pub meta: PageMeta,
    body: String,
    records: Records,
}

/// Where a page's user records are.
#[derive(Debug, Clone)]
enum Records {
    /// Located one by one when the page was read.
    Located(Vec<Range<usize>>),
    /// Not located yet: the `[` and `]` of the `users` array; the records are found while they are
    /// parsed ([`UsersPage::visit_records`]).
    InArray(Range<usize>),
}

/// The envelope fields of a page, read one member at a time.
#[derive(Default)]
struct Envelope {
    page_count: Option<u64>,
    page_number: Option<u64>,
    page_size: Option<u64>,
    total_records: Option<u64>,
    next_page_token: Option<String>,
    code: Option<i64>,
    message: Option<String>,
}

impl Envelope {
    /// Reads the members `scan` located in `body`.
    fn read(body: &str, members: &[(Range<usize>, Range<usize>)]) -> Result<Self, String> {
        let mut envelope = Envelope::default();
        for (key, value) in members {
            envelope
                .set(&body[key.clone()], &body[value.clone()])
                .map_err(|e| format!("invalid JSON: {e}"))?;
        }
        Ok(envelope)
    }

    /// The page's envelope fields.
    fn into_meta(self) -> PageMeta {
        PageMeta {
            page_count: self.page_count,
            page_number: self.page_number,
            page_size: self.page_size,
            total_records: self.total_records,
            next_page_token: self.next_page_token.unwrap_or_default(),
        }
    }

    /// Reads one member (`key` and `value` as JSON text); members it does not know are ignored.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        fn read<T: serde::de::DeserializeOwned>(key: &str, value: &str) -> Result<T, String> {
            serde_json::from_str(value).map_err(|e| format!("field `{key}`: {e}"))
        }
        let key: std::borrow::Cow<'_, str> =
            serde_json::from_str(key).map_err(|e| format!("a key: {e}"))?;
        match key.as_ref() {
            "page_count" => self.page_count = read(&key, value)?,
            "page_number" => self.page_number = read(&key, value)?,
            "page_size" => self.page_size = read(&key, value)?,
            "total_records" => self.total_records = read(&key, value)?,
            "next_page_token" => self.next_page_token = read(&key, value)?,
            "code" => self.code = read(&key, value)?,
            "message" => self.message = read(&key, value)?,
            _ => {}
        }
        Ok(())
    }
}

/// The `next_page_token` read from the part of a page body received so far, without scanning its
/// users: Zoom sends the envelope fields before `users`, so the next request can leave while the
/// rest of this page arrives. `None` when that part ends before it can tell, `Some(None)` when the
/// page has no token before `users` (or does not start like a page), `Some(Some(token))` when the
/// token has arrived whole.
pub fn peek_token_in_prefix(prefix: &str) -> Option<Option<String>> {
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

    /// Stops at the token (or at `users`) by failing on purpose, keeping what it found.
    struct Peek<'s>(&'s mut Option<String>);

    impl<'de> Visitor<'de> for Peek<'_> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a users page")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "next_page_token" => {
                        *self.0 = Some(map.next_value::<Option<String>>()?.unwrap_or_default());
                        return Err(de::Error::custom("found"));
                    }
                    "users" => return Err(de::Error::custom("users come first")),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }

    let mut found = None;
    match serde_json::Deserializer::from_str(prefix).deserialize_map(Peek(&mut found)) {
        _ if found.is_some() => Some(found),
        Err(e) if e.is_eof() => None,
        _ => Some(None),
    }
}

impl UsersPage {
    /// Parses a page body exactly as Zoom sent it; fails when the body is not a users page.
    pub fn parse(status: UserStatus, sequence: u64, body: String) -> Result<Self, String> {
        let layout = crate::scan::scan_page(&body).map_err(|e| format!("invalid JSON: {e}"))?;
        let mut envelope = Envelope::read(&body, &layout.members)?;
        let users = match (layout.users, envelope.code.take(), envelope.message.take()) {
            (Some(users), _, _) => users,
            (None, Some(code), Some(message)) => {
                return Err(format!("Zoom error {code}: {message}"));
            }
            (None, _, _) => Vec::new(),
        };
        let meta = envelope.into_meta();
        Ok(UsersPage {
            status,
            sequence,
            meta,
            body,
            records: Records::Located(users),
        })
    }

    /// Like [`parse`](Self::parse), but when `users` is the page's last member (as in every page
    /// Zoom sends) its records are not located now: [`visit_records`](Self::visit_records) finds
    /// each one while parsing it, so a page is read once instead of twice. Meant for recorded
    /// pages; a live page is checked whole before it is accepted, so that a cut one is retried.
    pub fn parse_lazily(status: UserStatus, sequence: u64, body: String) -> Result<Self, String> {
        let Some((layout, array)) =
            crate::scan::users_array_last(&body).map_err(|e| format!("invalid JSON: {e}"))?
        else {
            return Self::parse(status, sequence, body);
        };
        let meta = Envelope::read(&body, &layout.members)?.into_meta();
        Ok(UsersPage {
            status,
            sequence,
            meta,
            body,
            records: Records::InArray(array),
        })
    }

    /// Number of user records on the page; `None` until they are located (see
    /// [`parse_lazily`](Self::parse_lazily)).
    pub fn record_count(&self) -> Option<usize> {
        match &self.records {
            Records::Located(users) => Some(users.len()),
            Records::InArray(_) => None,
        }
    }

    /// A guess at the number of records, for sizing buffers.
    pub fn len_hint(&self) -> usize {
        self.record_count()
            .or(self.meta.page_size.and_then(|n| usize::try_from(n).ok()))
            .unwrap_or(0)
            .min(10_000)
    }

    /// Calls `visit` with the raw JSON text of each user record, in page order, and with the record
    /// read as a [`ZoomUser`] when the page was read lazily and the record is a readable user
    /// object (`None` otherwise: the caller parses the text itself). Fails when the page turns out
    /// not to be well-formed JSON.
    pub fn visit_records<'a>(
        &'a self,
        mut visit: impl FnMut(&'a str, Option<ZoomUser<'a>>),
    ) -> Result<(), String> {
        let array = match &self.records {
            Records::Located(users) => {
                users
                    .iter()
                    .for_each(|r| visit(&self.body[r.clone()], None));
                return Ok(());
            }
            Records::InArray(array) => array,
        };
        let (body, bytes, close) = (self.body.as_str(), self.body.as_bytes(), array.end);
        let skip_ws = |mut at: usize| {
            while at < close && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
                at += 1;
            }
            at
        };
        let invalid = |e: crate::scan::ScanError| format!("invalid JSON: {e}");
        let mut at = skip_ws(array.start + 1);
        if at == close {
            return Ok(());
        }
        loop {
            let start = at;
            let end = match crate::quick_user::read_user(body, start, close) {
                // The common case, handed on without a detour (a user is a few hundred bytes).
                Some((user, end)) => {
                    visit(&body[start..end], Some(user));
                    end
                }
                None => {
                    let mut user = None;
                    let mut end = None;
                    if bytes[start] == b'{' {
                        let mut stream = serde_json::Deserializer::from_str(&body[start..close])
                            .into_iter::<ZoomUser<'a>>();
                        if let Some(Ok(parsed)) = stream.next() {
                            end = Some(start + stream.byte_offset());
                            user = Some(parsed);
                        }
                    }
                    // Not a readable user: find where it ends; its own parse says what is wrong.
                    let end = match end {
                        Some(end) => end,
                        None => crate::scan::value_end(body, start, close).map_err(invalid)?,
                    };
                    visit(&body[start..end], user);
                    end
                }
            };
            at = skip_ws(end);
            if at == close {
                return Ok(());
            }
            if bytes[at] != b',' {
                return Err(format!("invalid JSON: expected `,` or `]` at byte {at}"));
            }
            at = skip_ws(at + 1);
            if at == close {
                return Err(format!("invalid JSON: expected a value at byte {at}"));
            }
        }
    }

    /// The page body exactly as received.
    pub fn body(&self) -> &str {
        &self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_each_user_record_verbatim() {
        let body = r#"{"page_size":2,"next_page_token":"","users":[{"email":"a@x","type":1} , {"email":"b\"@x","type":2}]}"#;
        let page = UsersPage::parse(UserStatus::Active, 1, body.to_string()).unwrap();
        let mut users: Vec<&str> = Vec::new();
        page.visit_records(|raw, _| users.push(raw)).unwrap();
        assert_eq!(
            users,
            vec![
                r#"{"email":"a@x","type":1}"#,
                r#"{"email":"b\"@x","type":2}"#
            ]
        );
        assert!(page.meta.is_last());
        assert_eq!(page.meta.page_count, None);
    }

    /// Records of a lazily read page: raw text, and whether it came parsed.
    fn visit(body: &str) -> Result<Vec<(String, bool)>, String> {
        let page = UsersPage::parse_lazily(UserStatus::Active, 1, body.to_string())?;
        let mut seen = Vec::new();
        page.visit_records(|raw, user| seen.push((raw.to_string(), user.is_some())))?;
        Ok(seen)
    }

    #[test]
    fn a_lazily_read_page_finds_and_parses_each_record_once() {
        let body = r#"{"next_page_token":"t","users":[ {"email":"a@x","type":1} ,
            {"email":"b@x","type":"two"},[1],"s",{"email":"c\"}@x","type":2}]}"#;
        let page = UsersPage::parse_lazily(UserStatus::Active, 1, body.to_string()).unwrap();
        assert_eq!(
            page.record_count(),
            None,
            "records are not located up front"
        );
        assert_eq!(page.meta.next_page_token, "t");
        assert_eq!(
            visit(body).unwrap(),
            vec![
                (r#"{"email":"a@x","type":1}"#.to_string(), true),
                // Not a readable user: handed over as text, for its own parse to explain.
                (r#"{"email":"b@x","type":"two"}"#.to_string(), false),
                ("[1]".to_string(), false),
                (r#""s""#.to_string(), false),
                (r#"{"email":"c\"}@x","type":2}"#.to_string(), true),
            ]
        );
        assert_eq!(visit(r#"{"users":[ ]}"#).unwrap(), vec![]);
    }

    #[test]
    fn a_lazily_read_page_that_is_not_json_fails_when_read() {
        for bad in [
            r#"{"users":[{"email":"a"} {"email":"b"}]}"#,
            r#"{"users":[{"email":"a"},]}"#,
            r#"{"users":[{"email":"a"]}"#,
            r#"{"users":[{"email":"a"},}]}"#,
        ] {
            assert!(visit(bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn a_page_with_members_after_users_is_read_whole() {
        let body = r#"{"users":[{"email":"a@x","type":1}],"next_page_token":"late"}"#;
        let page = UsersPage::parse_lazily(UserStatus::Active, 1, body.to_string()).unwrap();
        assert_eq!(page.record_count(), Some(1));
        assert_eq!(page.meta.next_page_token, "late");
        // A truncated page is refused up front either way.
        assert!(UsersPage::parse_lazily(UserStatus::Active, 1, body[..30].to_string()).is_err());
    }

    #[test]
    fn a_token_is_peeked_once_its_prefix_has_arrived() {
        let body =
            r#"{"page_count":2,"page_size":2000,"next_page_token":"tok-1","users":[{"id":"a"}]}"#;
        let at = body.find("\"tok-1\"").unwrap() + "\"tok-1\"".len();
        for end in 0..body.len() {
            let expected = if end < at {
                None
            } else {
                Some(Some("tok-1".to_string()))
            };
            assert_eq!(
                peek_token_in_prefix(&body[..end]),
                expected,
                "{}",
                &body[..end]
            );
        }
        let last = r#"{"page_size":2000,"next_page_token":"","users":[]}"#;
        assert_eq!(peek_token_in_prefix(last), Some(Some(String::new())));
        assert_eq!(
            peek_token_in_prefix(r#"{"page_size":2000,"users":["#),
            Some(None)
        );
        assert_eq!(peek_token_in_prefix(r#"<html>"#), Some(None));
        assert_eq!(peek_token_in_prefix(r#"{"page_size":2000,"#), None);
    }

    #[test]
    fn the_next_token_is_peeked_without_reading_users() {
        let body = r#"{"page_size":2,"next_page_token":"tok","users":[{"email":"a@x","type":1"#;
        let peek = |body| peek_token_in_prefix(body).flatten();
        assert_eq!(peek(body).as_deref(), Some("tok"));
        assert_eq!(
            peek(r#"{"next_page_token":"","users":[]}"#).as_deref(),
            Some("")
        );
        assert_eq!(peek(r#"{"users":[],"next_page_token":"late"}"#), None);
        assert_eq!(peek("<html>"), None);
    }

    #[test]
    fn an_error_body_is_not_a_page() {
        let err = UsersPage::parse(
            UserStatus::Active,
            1,
            r#"{"code":124,"message":"Invalid access token."}"#.into(),
        )
        .unwrap_err();
        assert!(err.contains("124"), "{err}");
    }

    #[test]
    fn a_truncated_body_is_not_a_page() {
        let err =
            UsersPage::parse(UserStatus::Active, 1, r#"{"users":[{"email":"a"#.into()).unwrap_err();
        assert!(err.starts_with("invalid JSON"), "{err}");
    }
}
