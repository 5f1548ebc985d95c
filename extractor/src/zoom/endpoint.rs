//! A Zoom GET endpoint described as data, and one request to it. Every endpoint is fetched, paced,
//! retried, paginated, recorded and replayed by the same code; what differs is written here once.

use std::collections::BTreeMap;

/// Where a Zoom endpoint is and how its answers are shaped; endpoints are told apart by path.
#[derive(Debug)]
pub struct Endpoint {
    /// The path under the API base URL, e.g. `users`; also its name in recordings and logs. A
    /// `{name}` in it is a path parameter, filled from the request's query member of that name.
    pub path: &'static str,
    /// Query parameters sent with every request to it.
    pub fixed_query: &'static [(&'static str, &'static str)],
    /// The member holding a page's records (`users`), or `None` when the answer is one object.
    pub records: Option<&'static str>,
    /// Whether answers chain with `next_page_token`, the last page having `""` or none.
    pub paginated: bool,
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
    /// Whether its answers are pages of users (`GET /users`, or a sub account's).
    pub fn lists_users(&self) -> bool {
        self.records == Some("users")
    }
}

impl PartialEq for Endpoint {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

impl Eq for Endpoint {}

/// For an endpoint that takes any query.
pub fn any_query(_: &PageRequest) -> Result<(), String> {
    Ok(())
}

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

/// Query members as they are sent.
pub type QueryPairs<'a> = Vec<(&'a str, &'a str)>;

/// One request to an endpoint: its query and, past the first page, the page token sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// The endpoint asked.
    pub endpoint: &'static Endpoint,
    /// Query parameters besides the endpoint's fixed ones and the page token (`status`, `page_size`).
    pub query: BTreeMap<String, String>,
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

    /// The page after this one: the same query with `token`.
    pub fn next(&self, token: &str) -> Self {
        PageRequest {
            page_token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// The path to request, its `{name}` parameters filled in, and the query members left (the
    /// parameters are not sent as query members). A parameter's value must be a plain id: letters,
    /// digits, `-` and `_` (Zoom's ids), so it can never climb out of the path (`..`).
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
        let query = self
            .query
            .iter()
            .filter(|(k, _)| !used.contains(k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Ok((path, query))
    }

    /// The sweep this request belongs to, for logs, errors and reports: the endpoint and its
    /// query without `page_size` (which a fallback may change mid-sweep), e.g. `users?status=active`.
    pub fn sweep(&self) -> String {
        let query: Vec<String> = self
            .query
            .iter()
            .filter(|(k, _)| k.as_str() != "page_size")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        match query.is_empty() {
            true => self.endpoint.path.to_string(),
            false => format!("{}?{}", self.endpoint.path, query.join("&")),
        }
    }
}
