//! A Zoom GET endpoint described as data, and one request to it. Every endpoint is fetched, paced,
//! retried, paginated, recorded and replayed by the same code; what differs is written here once.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a Zoom endpoint is and how its answers are shaped; endpoints are told apart by path.
#[derive(Debug)]
pub struct Endpoint {
    /// The path under the API base URL, e.g. `users`; also its name in recordings and logs. A
    /// `{name}` in it is a path parameter, filled from the request's query member of that name.
    pub path: &'static str,
    /// The member holding a page's records (`users`), or `None` when the answer is one object.
    pub records: Option<&'static str>,
    /// Whether answers come in pages (chained by `next_page_token`, or by Zoom's older
    /// `page_number`/`page_count`); how a page says it is the last is [`crate::zoom::page::Next`].
    pub paginated: bool,
    /// Whether Zoom once answered it whole, in one body without any paging member (`/groups`
    /// before it paged): such a first page, with no `total_records` either, is the last.
    pub paged_later: bool,
    /// The largest `page_size` Zoom documents for it (`../shared/zoom-api.md`); `None` when it does
    /// not page. A size above the client's fallback (`http::FALLBACK_PAGE_SIZE`) that Zoom refuses
    /// falls back to it.
    pub max_page_size: Option<u32>,
    /// Scopes that allow it, the granular one first: named when Zoom says one is missing.
    pub scopes: &'static [&'static str],
    /// Zoom's rate-limit category: each has its own per-second limit, shared by every app.
    pub rate: Rate,
    /// Zoom's code for "the item no longer exists" (with HTTP 404) on an endpoint of one item (a
    /// user deleted since the list): such a request is skipped and counted, not a failure.
    pub gone_code: Option<i64>,
    /// Members of its records that hold personal data a license decision does not need: left out
    /// of recordings unless the run keeps them (`--with-ip`).
    pub personal: &'static [&'static str],
    /// Whether a request's query is one this endpoint is asked with (replay refuses a recording
    /// whose request it would not send); `Err` says what is wrong.
    pub check_query: fn(&PageRequest) -> Result<(), String>,
}

/// Zoom's rate-limit categories that matter here (`../shared/zoom-api.md` §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// Light and Medium endpoints (paced together, at the Medium rate).
    Medium,
    /// Heavy endpoints (reports): a lower limit of their own.
    Heavy,
}

impl Endpoint {
    /// What an endpoint is unless its static says otherwise: one object, Medium, any query.
    pub const DEFAULTS: Endpoint = Endpoint {
        path: "",
        records: None,
        paginated: false,
        paged_later: false,
        max_page_size: None,
        scopes: &[],
        rate: Rate::Medium,
        gone_code: None,
        personal: &[],
        check_query: |_| Ok(()),
    };

    /// Whether its answers are pages of users (`GET /users`, or a sub account's).
    pub fn lists_users(&self) -> bool {
        matches!(self.path, "users" | "accounts/{accountId}/users")
    }

    /// Whether a token granted `scopes` (as Zoom lists them) may read it: any one of its scopes.
    pub fn granted_by(&self, scopes: &[String]) -> bool {
        scopes.iter().any(|s| self.scopes.contains(&s.as_str()))
    }
}

impl PartialEq for Endpoint {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

impl Eq for Endpoint {}

/// Whether `id` is a plain id, as Zoom's are: letters, digits, `-` and `_`. Only such a value
/// goes into a path, so it can never climb out of it (`..`) or end it (`?`, `/`).
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// What one page asks for next.
#[derive(Debug, Default)]
pub struct FollowUp {
    /// The requests to send.
    pub requests: Vec<PageRequest>,
    /// Items that cannot be asked for (an id that is not one Zoom gives, such as `../x`): skipped
    /// and counted, so one odd record does not stop the run.
    pub unaskable: Vec<String>,
}

/// Query members as they are sent, in name order.
pub type QueryPairs<'a> = Vec<(&'a str, Cow<'a, str>)>;

/// The name of the page size among the query members.
const PAGE_SIZE: &str = "page_size";

/// The name of the page asked for among the query members, in Zoom's older paging by number.
const PAGE_NUMBER: &str = "page_number";

/// A request's query besides the page token; recorded as one map of text, `page_size` among the
/// others (`{"page_size": "2000", "status": "active"}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `page_size`: records per page asked for; `None` leaves it to Zoom.
    pub page_size: Option<u32>,
    /// The other members (`status`, `from`, a path parameter such as `userId`), by name. A
    /// `page_size` here is one that is not a plain number (sent and recorded as it is).
    pub members: BTreeMap<String, String>,
}

impl Query {
    /// A member's text (the page size is [`Query::page_size`]).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.members.get(name).map(String::as_str)
    }

    /// Sets a member; a `page_size` written as a plain number becomes the typed page size.
    pub fn insert(&mut self, name: String, value: String) {
        let size = value.parse::<u32>().ok();
        match size.filter(|n| name == PAGE_SIZE && n.to_string() == value) {
            Some(size) => {
                self.members.remove(PAGE_SIZE);
                self.page_size = Some(size);
            }
            None => {
                if name == PAGE_SIZE {
                    self.page_size = None;
                }
                self.members.insert(name, value);
            }
        }
    }

    /// Every member as sent, in name order, the page size among them.
    pub fn pairs(&self) -> QueryPairs<'_> {
        let size = self
            .page_size
            .map(|n| (PAGE_SIZE, Cow::Owned(n.to_string())));
        let members = self.members.iter();
        let members = members.map(|(k, v)| (k.as_str(), Cow::Borrowed(v.as_str())));
        let mut pairs: QueryPairs<'_> = size.into_iter().chain(members).collect();
        pairs.sort_by_key(|(k, _)| *k);
        pairs
    }
}

impl Serialize for Query {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.pairs())
    }
}

impl<'de> Deserialize<'de> for Query {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let members = BTreeMap::<String, String>::deserialize(deserializer)?;
        Ok(members.into_iter().collect())
    }
}

impl FromIterator<(String, String)> for Query {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(members: I) -> Self {
        let mut query = Query::default();
        members
            .into_iter()
            .for_each(|(name, value)| query.insert(name, value));
        query
    }
}

/// One request to an endpoint: its query and, past the first page, the page token sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The endpoint asked.
    pub endpoint: &'static Endpoint,
    /// Query parameters besides the page token.
    pub query: Query,
    /// The `next_page_token` sent; `None` on a first page.
    pub page_token: Option<String>,
}

impl PageRequest {
    /// The first page of `endpoint` with `query`.
    pub fn first(endpoint: &'static Endpoint, query: &[(&str, String)]) -> Self {
        PageRequest {
            endpoint,
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            page_token: None,
        }
    }

    /// This request asking for `size` records per page.
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.query.page_size = Some(size);
        self
    }

    /// This request asking for the largest pages its endpoint serves ([`Endpoint::max_page_size`]).
    pub fn largest_pages(mut self) -> Self {
        self.query.page_size = self.endpoint.max_page_size;
        self
    }

    /// The page after this one: the same query with `token` (and no page number).
    pub fn next(&self, token: &str) -> Self {
        let mut request = PageRequest {
            page_token: Some(token.to_string()),
            ..self.clone()
        };
        request.query.members.remove(PAGE_NUMBER);
        request
    }

    /// Page `number` of this request's sweep, in Zoom's older paging (`page_number`).
    pub fn numbered(&self, number: u64) -> Self {
        let mut request = PageRequest {
            page_token: None,
            ..self.clone()
        };
        let number = number.to_string();
        request.query.insert(PAGE_NUMBER.into(), number);
        request
    }

    /// The page number asked for, in Zoom's older paging; `None` when not asked by number.
    pub fn page_number(&self) -> Option<u64> {
        self.param(PAGE_NUMBER).and_then(|n| n.parse().ok())
    }

    /// Whether it asks for a sweep's first page: no page token, and no page number past 1.
    pub fn is_first(&self) -> bool {
        self.page_token.is_none() && self.page_number().is_none_or(|n| n <= 1)
    }

    /// A query parameter's text (the page size is `query.page_size`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name)
    }

    /// The path with its `{name}` parameters filled in, and the query members left; a parameter
    /// must be a plain id ([`is_plain_id`]), so it can never climb out of the path (`..`).
    pub fn path_and_query(&self) -> Result<(String, QueryPairs<'_>), String> {
        let mut path = self.endpoint.path.to_string();
        let mut used = Vec::new();
        while let Some(open) = path.find('{') {
            let close = path[open..]
                .find('}')
                .map(|c| open + c)
                .ok_or_else(|| format!("`{}` has an unclosed parameter", self.endpoint.path))?;
            let name = path[open + 1..close].to_string();
            let value = self
                .param(&name)
                .filter(|v| is_plain_id(v))
                .ok_or_else(|| format!("`{}` needs a plain `{name}`", self.endpoint.path))?;
            path.replace_range(open..=close, value);
            used.push(name);
        }
        let mut query = self.query.pairs();
        query.retain(|(k, _)| !used.iter().any(|u| u == k));
        Ok((path, query))
    }

    /// The sweep this request belongs to, for logs, errors and reports: the endpoint and its
    /// query without `page_size` (which a fallback may change mid-sweep) and `page_number` (which
    /// changes each page), e.g. `users?status=active`.
    pub fn sweep(&self) -> String {
        let query: Vec<String> = self
            .query
            .members
            .iter()
            .filter(|(k, _)| ![PAGE_SIZE, PAGE_NUMBER].contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        match query.is_empty() {
            true => self.endpoint.path.to_string(),
            false => format!("{}?{}", self.endpoint.path, query.join("&")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::users::{ACCOUNT_USERS, UserStatus, sweeps};

    /// A recorded query reads its page size into the typed field and writes it back as it was.
    #[test]
    fn a_recorded_query_keeps_its_text_and_types_its_page_size() {
        for (text, size) in [
            (r#"{"page_size":"2000","status":"active"}"#, Some(2000)),
            (
                r#"{"from":"2026-01-01","page_size":"300","to":"2026-01-31"}"#,
                Some(300),
            ),
            (r#"{"status":"pending"}"#, None),
            // Not a plain number: kept as text, sent and recorded as it was.
            (r#"{"page_size":"0300","status":"active"}"#, None),
            (r#"{"page_size":"big"}"#, None),
        ] {
            let query: Query = serde_json::from_str(text).unwrap();
            assert_eq!(query.page_size, size, "{text}");
            assert_eq!(
                query.get("page_size").is_some(),
                size.is_none() && text.contains("page_size")
            );
            assert_eq!(serde_json::to_string(&query).unwrap(), text);
        }
    }

    /// The page size goes out among the other members in name order, as it did as text.
    #[test]
    fn the_page_size_is_sent_in_name_order() {
        let request = sweeps(&[UserStatus::Active], 2000, true).remove(0);
        let (path, query) = request.path_and_query().unwrap();
        let sent: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_ref())).collect();
        assert_eq!(path, "users");
        assert_eq!(
            sent,
            [
                ("include_fields", "custom_attributes"),
                ("page_size", "2000"),
                ("status", "active")
            ]
        );
        assert_eq!(
            request.sweep(),
            "users?include_fields=custom_attributes&status=active"
        );
        let mut sub = PageRequest::first(&ACCOUNT_USERS, &[("accountId", "A1".into())]);
        sub.query.insert("page_size".into(), "300".into());
        let (path, query) = sub.path_and_query().unwrap();
        assert_eq!(path, "accounts/A1/users");
        assert_eq!(query, [("page_size", Cow::Borrowed("300"))]);
        assert_eq!(sub.query.page_size, Some(300));
        assert_eq!(
            sub.largest_pages().query.page_size,
            ACCOUNT_USERS.max_page_size
        );
    }
}
