//! One answer of a Zoom endpoint, read once: its envelope, and where each record is in the body
//! (records stay raw JSON text, read one by one, so one bad record never spoils its page).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::zoom::endpoint::PageRequest;

/// The envelope fields of a page (everything but the records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// `page_count`: beside a token, on the first page only; in Zoom's older paging by number,
    /// on every page.
    pub page_count: Option<u64>,
    /// `page_number`, sent with `page_count`.
    pub page_number: Option<u64>,
    /// `page_size`, the effective page size.
    pub page_size: Option<u64>,
    /// `total_records` across the sweep's pages.
    pub total_records: Option<u64>,
    /// `next_page_token`; Zoom sends `""` on the last page.
    pub next_page_token: String,
}

/// What follows a page in its sweep, as the page itself says (docs/zoom-behaviour.md, "When a
/// sweep ends").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Next {
    /// It is the sweep's last page.
    Last,
    /// The page its `next_page_token` names.
    Token(String),
    /// Page number N, in Zoom's older paging (`page_number` below `page_count`, no token).
    Number(u64),
}

/// A page: the request it answered, its envelope, and the raw JSON of each record. A body without
/// its records array, or that cannot say whether more pages follow, is refused, not read as empty
/// or as complete.
#[derive(Debug, Clone)]
pub struct Page {
    /// The request this page answered.
    pub request: PageRequest,
    /// Position of the page in the run, from 1, in fetch order.
    pub sequence: u64,
    /// The envelope fields.
    pub meta: PageMeta,
    /// What follows it.
    pub next: Next,
    body: String,
    /// Where each record's JSON text is in `body`.
    records: Vec<Range<usize>>,
}

impl Page {
    /// Reads a body as Zoom sent it; fails on bad JSON, a Zoom error, or records not in an array.
    pub fn parse(request: PageRequest, sequence: u64, body: String) -> Result<Self, String> {
        let mut reader = serde_json::Deserializer::from_str(&body);
        let envelope = EnvelopeSeed(request.endpoint.records)
            .deserialize(&mut reader)
            .and_then(|envelope| reader.end().map(|()| envelope))
            .map_err(|e| format!("invalid JSON: {e}"))?;
        let endpoint = request.endpoint;
        let records = match (
            endpoint.records,
            envelope.records,
            envelope.code,
            envelope.message,
        ) {
            (Some(_), Some(records), _, _) => records
                .iter()
                .map(|r| range_in(&body, r.get()))
                .collect::<Result<_, _>>()?,
            (_, None, Some(code), Some(message)) => {
                return Err(format!("Zoom error {code}: {message}"));
            }
            // A page of a list endpoint without its list is not an empty page: it is not a page.
            (Some(key), None, _, _) => return Err(format!("no `{key}` array")),
            (None, _, _, _) => Vec::new(),
        };
        let next = match endpoint.paginated {
            true => next_of(&request, &envelope.meta, envelope.token_sent, records.len())?,
            false => Next::Last,
        };
        Ok(Page {
            request,
            sequence,
            meta: envelope.meta,
            next,
            body,
            records,
        })
    }

    /// The request for the page after this one, `None` on a last page.
    pub fn next_request(&self) -> Option<PageRequest> {
        match &self.next {
            Next::Last => None,
            Next::Token(token) => Some(self.request.next(token)),
            Next::Number(number) => Some(self.request.numbered(*number)),
        }
    }

    /// The raw JSON text of each record, in page order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = &str> {
        self.records.iter().map(|r| &self.body[r.clone()])
    }

    /// Number of records on the page.
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    /// The body exactly as received.
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// What follows a page of a paging endpoint with `records` records, from what its body says: its
/// `next_page_token` (`""` on a last page); else Zoom's older `page_number` of `page_count`; else,
/// on a first page only, `total_records` that this page holds all of, or nothing at all from an
/// endpoint Zoom once answered whole ([`Endpoint::paged_later`]). Anything else cannot tell a
/// complete answer from a cut one, and is refused.
///
/// [`Endpoint::paged_later`]: crate::zoom::endpoint::Endpoint::paged_later
fn next_of(
    request: &PageRequest,
    meta: &PageMeta,
    token_sent: bool,
    records: usize,
) -> Result<Next, String> {
    let records = records as u64;
    let numbered = (meta.page_count, meta.page_number);
    if token_sent {
        // Asked by number, a last token must not cut short the pages its numbers still promise.
        if let (Some(_), "", (Some(count), Some(number))) = (
            request.page_number(),
            meta.next_page_token.as_str(),
            numbered,
        ) && number < count
        {
            return Err(format!(
                "`next_page_token` \"\" on page {number} of {count} asked for by its number"
            ));
        }
        return Ok(match meta.next_page_token.as_str() {
            "" => Next::Last,
            token => Next::Token(token.to_string()),
        });
    }
    if request.page_token.is_some() {
        return Err("no `next_page_token` on a page asked for with one".to_string());
    }
    let whole = |total: u64| match records >= total {
        // More than the total is a total that moved: nothing is missing.
        true => Ok(Next::Last),
        false => Err(format!(
            "no `next_page_token` nor a next `page_number`, and {records} of its {total} \
             `total_records` on its only page: the rest cannot be asked for"
        )),
    };
    if let (Some(count), Some(number)) = numbered {
        let asked = request.page_number().unwrap_or(1);
        if number != asked {
            return Err(format!(
                "no `next_page_token`, and `page_number` {number} answers a request for page \
                 {asked}"
            ));
        }
        return match (number < count, request.is_first(), meta.total_records) {
            (true, ..) => Ok(Next::Number(number + 1)),
            (false, true, Some(total)) => whole(total),
            (false, ..) => Ok(Next::Last),
        };
    }
    match (request.is_first(), meta.total_records) {
        // Zoom's older paging sent `page_count` and `page_number` on every page it numbered.
        (false, _) => {
            Err("no `page_count` and `page_number` on a page asked for by its number".to_string())
        }
        // More than the total is a total that moved: nothing is missing.
        (true, Some(total)) => whole(total),
        (true, None) if request.endpoint.paged_later => Ok(Next::Last),
        (true, None) => Err(
            "no `next_page_token` (Zoom sends \"\" on a last page), `page_number` nor \
             `total_records`: it cannot tell whether it is whole"
                .to_string(),
        ),
    }
}

/// Where `part`, a slice borrowed from `whole` (as serde_json's `RawValue`s are), lies in it.
fn range_in(whole: &str, part: &str) -> Result<Range<usize>, String> {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    let range = start..start.wrapping_add(part.len());
    match whole.get(range.clone()) {
        Some(found) if std::ptr::eq(found, part) => Ok(range),
        _ => Err("a record that is not part of its page".to_string()),
    }
}

/// What a page body holds, its records borrowed from it.
#[derive(Default)]
struct Envelope<'a> {
    meta: PageMeta,
    /// Whether `next_page_token` was there as a string.
    token_sent: bool,
    records: Option<Vec<&'a RawValue>>,
    code: Option<i64>,
    message: Option<String>,
}

/// Reads an [`Envelope`] with its records under a key known at run time (serde's derive cannot).
struct EnvelopeSeed(Option<&'static str>);

impl<'de> DeserializeSeed<'de> for EnvelopeSeed {
    type Value = Envelope<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut e = Envelope::default();
        // JSON allows a member twice and serde keeps the last: a page with two `users` arrays
        // or two tokens would lose records or end early without a word. Every member read here
        // must come once (the ones ignored may repeat).
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let read = Some(key.as_ref()) == self.0 || ENVELOPE_MEMBERS.contains(&key.as_ref());
            if read {
                if seen.contains(&key) {
                    return Err(de::Error::custom(format!("the member `{key}` comes twice")));
                }
                seen.push(key.clone());
            }
            match key.as_ref() {
                // `null` reads as absent: either way the page has no records array.
                k if Some(k) == self.0 => e.records = map.next_value()?,
                "page_count" => e.meta.page_count = map.next_value()?,
                "page_number" => e.meta.page_number = map.next_value()?,
                "page_size" => e.meta.page_size = map.next_value()?,
                "total_records" => e.meta.total_records = map.next_value()?,
                "next_page_token" => {
                    let token = map.next_value::<Option<String>>()?;
                    e.token_sent = token.is_some();
                    e.meta.next_page_token = token.unwrap_or_default();
                }
                "code" => e.code = map.next_value()?,
                "message" => e.message = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(e)
    }
}

/// The envelope members a page is read by, besides its records.
const ENVELOPE_MEMBERS: &[&str] = &[
    "page_count",
    "page_number",
    "page_size",
    "total_records",
    "next_page_token",
    "code",
    "message",
];

/// The `next_page_token` in the part of a page received so far (Zoom sends it before the member
/// `records`): `None` when that part cannot tell yet, `Some(None)` when no token comes first.
pub fn peek_token_in_prefix(prefix: &str, records: &str) -> Option<Option<String>> {
    use serde::de::Deserializer;

    /// Stops at the token (or at the records) by failing on purpose, keeping what it found.
    struct Peek<'s>(&'s mut Option<String>, &'s str);

    impl<'de> Visitor<'de> for Peek<'_> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a page")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "next_page_token" => {
                        *self.0 = Some(map.next_value::<Option<String>>()?.unwrap_or_default());
                        return Err(de::Error::custom("found"));
                    }
                    k if k == self.1 => return Err(de::Error::custom("records come first")),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }

    let mut found = None;
    match serde_json::Deserializer::from_str(prefix).deserialize_map(Peek(&mut found, records)) {
        _ if found.is_some() => Some(found),
        Err(e) if e.is_eof() => None,
        _ => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::users::USERS;

    fn parse(body: &str) -> Result<Page, String> {
        let request = PageRequest::first(&USERS, &[("status", "active".to_string())]);
        Page::parse(request, 1, body.to_string())
    }

    /// Each shape of docs/zoom-behaviour.md's "When a sweep ends", read as that table says.
    #[test]
    fn a_page_says_what_follows_it_by_its_shape() {
        use crate::zoom::groups::GROUPS;
        let users = |body: &str, request: &PageRequest| {
            Page::parse(request.clone(), 1, body.to_string()).map(|p| (p.next.clone(), p))
        };
        let first = PageRequest::first(&USERS, &[("status", "active".to_string())]);
        let two = r#"[{"id":"a"},{"id":"b"}]"#;
        // A token wins over every other member; "" ends the sweep.
        let body =
            format!(r#"{{"page_count":3,"page_number":1,"next_page_token":"","users":{two}}}"#);
        assert_eq!(users(&body, &first).unwrap().0, Next::Last);
        let body = format!(r#"{{"next_page_token":"t2","users":{two}}}"#);
        assert_eq!(users(&body, &first).unwrap().0, Next::Token("t2".into()));
        // Older paging by number: on to page_count, each page the one asked for.
        let body = |n: u64| {
            format!(
                r#"{{"page_count":3,"page_number":{n},"page_size":2,"total_records":5,"users":{two}}}"#
            )
        };
        let (next, page) = users(&body(1), &first).unwrap();
        assert_eq!(next, Next::Number(2));
        let second = page.next_request().unwrap();
        assert_eq!(second.page_number(), Some(2));
        assert_eq!(second.sweep(), first.sweep());
        assert_eq!(users(&body(2), &second).unwrap().0, Next::Number(3));
        assert_eq!(users(&body(3), &first.numbered(3)).unwrap().0, Next::Last);
        let e = users(&body(1), &second).unwrap_err();
        assert!(
            e.contains("`page_number` 1 answers a request for page 2"),
            "{e}"
        );
        // No paging member: a first page holding all of total_records (or more: a total that
        // moved) is whole; fewer is refused.
        for total in [2, 1] {
            let body = format!(r#"{{"total_records":{total},"users":{two}}}"#);
            assert_eq!(users(&body, &first).unwrap().0, Next::Last, "{total}");
        }
        let e = users(&format!(r#"{{"total_records":3,"users":{two}}}"#), &first).unwrap_err();
        assert!(e.contains("2 of its 3 `total_records`"), "{e}");
        // The same when the one page is numbered 1 of 1.
        let body = format!(r#"{{"page_count":1,"page_number":1,"total_records":3,"users":{two}}}"#);
        assert!(users(&body, &first).unwrap_err().contains("2 of its 3"));
        // Asked by number, a page may answer with a token (the next request carries no number),
        // but not end the sweep with one while its numbers promise more.
        let body =
            format!(r#"{{"page_count":3,"page_number":2,"next_page_token":"t3","users":{two}}}"#);
        let (next, page) = users(&body, &first.numbered(2)).unwrap();
        assert_eq!(next, Next::Token("t3".into()));
        let after = page.next_request().unwrap();
        assert_eq!(
            (after.page_number(), after.page_token.as_deref()),
            (None, Some("t3"))
        );
        let body =
            format!(r#"{{"page_count":3,"page_number":2,"next_page_token":"","users":{two}}}"#);
        let e = users(&body, &first.numbered(2)).unwrap_err();
        assert!(e.contains("on page 2 of 3 asked for by its number"), "{e}");
        // Nothing at all: whole only from an endpoint Zoom once answered unpaged.
        let one_group = r#"{"groups":[{"id":"g1","name":"Sales","total_members":3}]}"#;
        let groups = PageRequest::first(&GROUPS, &[]);
        let page = Page::parse(groups, 1, one_group.to_string()).unwrap();
        assert_eq!((&page.next, page.record_count()), (&Next::Last, 1));
        let e = users(&format!(r#"{{"users":{two}}}"#), &first).unwrap_err();
        assert!(e.contains("cannot tell whether it is whole"), "{e}");
        // Past the first page, only a token or a page number can say what follows, each where
        // the page was asked for by one.
        let later = first.next("t2");
        let body = format!(r#"{{"page_count":3,"page_number":2,"total_records":2,"users":{two}}}"#);
        let e = users(&body, &later).unwrap_err();
        assert!(
            e.contains("no `next_page_token` on a page asked for with one"),
            "{e}"
        );
        let e = Page::parse(
            PageRequest::first(&GROUPS, &[]).next("t"),
            1,
            one_group.to_string(),
        )
        .unwrap_err();
        assert!(e.contains("asked for with one"), "{e}");
        let e = users(
            &format!(r#"{{"total_records":9,"users":{two}}}"#),
            &first.numbered(2),
        );
        assert!(
            e.unwrap_err()
                .contains("no `page_count` and `page_number` on a page asked for by its number")
        );
    }

    #[test]
    fn each_record_is_kept_verbatim() {
        let body = r#"{"page_size":2,"next_page_token":"","users":[{"email":"a@x","type":1} , {"email":"b\"@x","type":2},[1],"s"]}"#;
        let page = parse(body).unwrap();
        let records: Vec<&str> = page.records().collect();
        assert_eq!(
            records,
            vec![
                r#"{"email":"a@x","type":1}"#,
                r#"{"email":"b\"@x","type":2}"#,
                "[1]",
                r#""s""#
            ]
        );
        assert!(page.meta.next_page_token.is_empty());
        assert_eq!(page.meta.page_count, None);
        assert_eq!(page.meta.page_size, Some(2));
    }

    #[test]
    fn members_after_the_records_are_read_too() {
        let page =
            parse(r#"{"users":[{"email":"a@x","type":1}],"next_page_token":"late"}"#).unwrap();
        assert_eq!(page.record_count(), 1);
        assert_eq!(page.meta.next_page_token, "late");
    }

    /// An empty array is an empty page; a page without its array, or without its token, is no page
    /// at all (a live run retries it, a replay fails naming the file).
    #[test]
    fn only_an_empty_array_is_an_empty_page() {
        for body in [
            r#"{"next_page_token":"","users":[]}"#,
            r#"{"next_page_token":"","users":[ ]}"#,
        ] {
            assert_eq!(parse(body).unwrap().record_count(), 0, "{body}");
        }
        for (body, says) in [
            (r#"{}"#, "no `users` array"),
            (r#"{"next_page_token":""}"#, "no `users` array"),
            (r#"{"next_page_token":"","users":null}"#, "no `users` array"),
            (r#"{"next_page_token":"","users":"x"}"#, "invalid JSON"),
            (r#"{"next_page_token":"","users":3}"#, "invalid JSON"),
            (r#"{"next_page_token":"","users":true}"#, "invalid JSON"),
            (r#"{"next_page_token":"","users":{}}"#, "invalid JSON"),
            (r#"{"users":[]}"#, "no `next_page_token`"),
            (
                r#"{"next_page_token":null,"users":[]}"#,
                "no `next_page_token`",
            ),
        ] {
            let err = parse(body).unwrap_err();
            assert!(err.contains(says), "{body}: {err}");
        }
        // An answer that is one object (no records, no pages) needs neither.
        let summary = PageRequest::first(&crate::zoom::users_summary::USERS_SUMMARY, &[]);
        assert!(Page::parse(summary, 1, r#"{"total_users_count":1}"#.into()).is_ok());
    }

    /// A body cut anywhere (a dropped connection) is refused, so that a live run retries it.
    #[test]
    fn every_cut_of_a_page_is_refused() {
        let body = r#"{"page_size":2,"total_records":2,"next_page_token":"","users":[{"id":"a","email":"a@x","type":1,"dept":"R&D \"x\""},{"id":"b","email":"b@x","type":2}]}"#;
        parse(body).unwrap();
        for end in 0..body.len() {
            assert!(parse(&body[..end]).is_err(), "accepted {}", &body[..end]);
        }
    }

    #[test]
    fn a_body_that_is_not_a_page_is_refused() {
        for bad in [
            r#"{"users":[{"email":"a"} {"email":"b"}]}"#,
            r#"{"users":[{"email":"a"},]}"#,
            r#"{"users":[{"email":"a"#,
            r#"{"users":{"email":"a"}}"#,
            r#"{"users":[]} x"#,
            r#"[1]"#,
            "<html>",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.starts_with("invalid JSON"), "{bad}: {err}");
        }
    }

    /// A member the page is read by, given twice, makes the body no page: serde would keep the
    /// last one and lose the first's users (or end the sweep at a second, empty token).
    #[test]
    fn a_member_given_twice_is_refused() {
        for body in [
            r#"{"next_page_token":"","users":[{"id":"a"},{"id":"b"}],"users":[{"id":"c"}]}"#,
            r#"{"next_page_token":"t2","next_page_token":"","users":[]}"#,
            r#"{"next_page_token":"","total_records":2,"users":[],"total_records":1}"#,
            r#"{"next_page_token":"","page_size":2,"page_size":300,"users":[]}"#,
        ] {
            let err = parse(body).unwrap_err();
            assert!(err.contains("comes twice"), "{body}: {err}");
        }
        // Members nobody reads may repeat (Zoom adds fields over time).
        parse(r#"{"next_page_token":"","from":"a","from":"b","users":[]}"#).unwrap();
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
                peek_token_in_prefix(&body[..end], "users"),
                expected,
                "{}",
                &body[..end]
            );
        }
        let last = r#"{"page_size":2000,"next_page_token":"","users":[]}"#;
        assert_eq!(
            peek_token_in_prefix(last, "users"),
            Some(Some(String::new()))
        );
        assert_eq!(
            peek_token_in_prefix(r#"{"page_size":2000,"users":["#, "users"),
            Some(None)
        );
        assert_eq!(peek_token_in_prefix(r#"<html>"#, "users"), Some(None));
        assert_eq!(peek_token_in_prefix(r#"{"page_size":2000,"#, "users"), None);
    }

    #[test]
    fn the_next_token_is_peeked_without_reading_users() {
        let body = r#"{"page_size":2,"next_page_token":"tok","users":[{"email":"a@x","type":1"#;
        let peek = |body| peek_token_in_prefix(body, "users").flatten();
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
        let err = parse(r#"{"code":124,"message":"Invalid access token."}"#).unwrap_err();
        assert!(err.contains("124"), "{err}");
    }
}
