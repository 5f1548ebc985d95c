//! A mock of the Zoom API for tests, listening on 127.0.0.1 only.
//!
//! It serves `POST /oauth/token` (server-to-server grant), `GET /v2/users` and `GET /v2/users/summary`
//! the way Zoom does (see `shared/zoom-api.md`): one status per request, `page_count`/`page_number` on the first page
//! only, `"next_page_token": ""` on the last, pending users without `id`, `{"reason","error"}` token
//! errors, 401/124 for bad tokens, 400/4711 for a missing scope, 400/300 for an expired page token or
//! a page size above the maximum. Faults (429s, 5xx, dropped connections, truncated bodies, expiring
//! tokens) are scripted by request number, and the mock measures the highest request rate it saw.
//!
//! It is a deliberately small hand-written HTTP/1.1 server (`Connection: close` on every answer) so
//! that it can also misbehave at the socket level, which a well-behaved HTTP framework cannot.

#![warn(missing_docs)]

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The account the mock serves.
#[derive(Debug, Clone)]
pub struct Account {
    /// Expected `account_id`.
    pub account_id: String,
    /// Expected client id.
    pub client_id: String,
    /// Expected client secret.
    pub client_secret: String,
    /// Scopes granted to tokens (space-separated, as Zoom sends them).
    pub scopes: String,
    /// `expires_in` of issued tokens.
    pub token_ttl_secs: u64,
    /// The largest `page_size` accepted; above it, 400 code 300 (or a clamp, below).
    pub max_page_size: u32,
    /// Whether a `page_size` above `max_page_size` is clamped to it (the page saying the size it
    /// used in `page_size`) instead of refused: which one Zoom does is unconfirmed.
    pub clamp_page_size: bool,
    /// User objects per status (`active`, `pending`, `inactive`).
    pub users: BTreeMap<String, Vec<Value>>,
    /// Authorization code flow: the redirect URL registered in the app.
    pub redirect_uri: Option<String>,
    /// Authorization code flow: the admin denies consent.
    pub deny_consent: bool,
    /// Authorization code flow: wait this long before answering the first refresh (after
    /// rotating); later refreshes are answered at once.
    pub refresh_delay: Duration,
    /// `GET /users/{id}/settings`: the `feature` object of the user with that id.
    pub feature_of: fn(&str) -> Value,
    /// Users deleted since the list: their settings answer 404, code 1001.
    pub settings_gone: Vec<String>,
    /// After this many settings requests, the daily quota is spent (daily-limit 429s).
    pub settings_quota: Option<usize>,
    /// A master account's sub accounts: (id, name, users per status), served by `GET /accounts`
    /// and `GET /accounts/{id}/users`.
    pub sub_accounts: Vec<(String, String, BTreeMap<String, Vec<Value>>)>,
    /// Sub accounts whose users answer 400 code 2001 ("Account does not exist").
    pub sub_accounts_failing: Vec<String>,
    /// Whether `GET /accounts` answers, after its first page, empty pages that each name a fresh
    /// next page, without end (a server that would keep a client listing for ever).
    pub sub_accounts_endless: bool,
    /// `GET /groups` answers' groups (`{id, name, total_members}`), in order.
    pub groups: Vec<Value>,
    /// `GET /roles`'s roles (`{id, name, description, total_members}`).
    pub roles: Vec<Value>,
    /// `GET /report/activities` events (`activity_logs` entries), newest first as Zoom lists them.
    pub activity: Vec<Value>,
    /// Events served in the first range asked for, whatever their dates: a report that dates
    /// events wrongly (1970, 2999).
    pub activity_misdated: Vec<Value>,
    /// Whether the plan may read the report (a Free plan may not: 400, code 200).
    pub reports_allowed: bool,
    /// The date the report's six months and its ranges are counted to (Zoom's "today").
    pub today: String,
    /// `GET /report/activities` requests (numbered from 1) answered with a per-second 429 of the
    /// Heavy category and `Retry-After: 1`.
    pub activity_throttled: Vec<usize>,
    /// Whether the account's daily Heavy quota is used up: every report request gets a daily-limit
    /// 429 whose `Retry-After` is the next midnight UTC.
    pub activity_quota_spent: bool,
    /// Counts `GET /users/summary` reports differently from the users held, e.g.
    /// `{"licensed_users_count": 17}`: Zoom's count moving, or Zoom counting users the list omits.
    pub summary_overrides: Value,
    /// Users whose settings answer HTTP 404 without a Zoom code, as a proxy or a gateway might.
    pub settings_bare_404: Vec<String>,
}

impl Account {
    /// An account with these users and sensible credentials.
    pub fn new(users: BTreeMap<String, Vec<Value>>) -> Self {
        Account {
            account_id: "mockAccount123".into(),
            client_id: "mockClientId".into(),
            client_secret: "mock-client-secret-7f3a9c".into(),
            scopes: "user:read:list_users:admin".into(),
            token_ttl_secs: 3600,
            max_page_size: 2000,
            clamp_page_size: false,
            users,
            redirect_uri: None,
            deny_consent: false,
            refresh_delay: Duration::ZERO,
            summary_overrides: json!({}),
            feature_of: generated_feature,
            sub_accounts: Vec::new(),
            sub_accounts_failing: Vec::new(),
            sub_accounts_endless: false,
            settings_gone: Vec::new(),
            settings_quota: None,
            groups: vec![
                json!({"id": "g-Sales4x7Q", "name": "Sales", "total_members": 2}),
                json!({"id": "-gEngR2d2", "name": "Engineering", "total_members": 1}),
            ],
            roles: vec![
                json!({"id": "0", "name": "Owner", "description": "Account owner", "total_members": 1}),
                json!({"id": "1", "name": "Admin", "description": "Account admin", "total_members": 0}),
                json!({"id": "2", "name": "Member", "description": "Account member", "total_members": 3}),
            ],
            activity: Vec::new(),
            activity_misdated: Vec::new(),
            reports_allowed: true,
            today: "2026-12-01".into(),
            activity_throttled: Vec::new(),
            activity_quota_spent: false,
            settings_bare_404: Vec::new(),
        }
    }
}

/// A misbehaviour, applied to one `GET /v2/users` request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// HTTP 429 (per-second), with or without `Retry-After` (seconds).
    TooManyRequests {
        /// `Retry-After` value, if any.
        retry_after: Option<String>,
    },
    /// HTTP 429 daily limit with `Retry-After` as a timestamp.
    DailyLimit {
        /// `Retry-After` value.
        retry_after: String,
    },
    /// An HTTP 5xx.
    ServerError(u16),
    /// Close the connection without answering.
    Drop,
    /// Announce the full body length but send half of it, then close.
    Truncate,
    /// A 200 whose JSON body is cut in half (valid HTTP).
    HalfJson,
    /// Every token issued so far expires now: 401 code 124 "Access token is expired.".
    ExpireTokens,
    /// 400 code 300: the next page token is invalid or expired (only on a request with a token).
    ExpirePageToken,
    /// A normal page, with `X-RateLimit-Remaining: 0`; its body comes in two halves 0.3 s apart.
    RemainingZero,
    /// A normal page whose body comes in two halves [`SLOW_BODY_GAP`] apart, as over a slow
    /// network: a client acting on the first half acts before the page is whole.
    SlowBody,
    /// A normal page answered only after 60 s: the run is busy with it for as long as a test needs.
    Stall,
    /// A page whose `next_page_token` is the token the request sent (only on a request with one).
    SameToken,
    /// An HTTP error answer with this status and Zoom code, e.g. 403 with code 200 "No permission.".
    Refused(u16, i64),
    /// A 200 whose body is this text instead of the page.
    Body(&'static str),
    /// A normal page with `X-RateLimit-Remaining: 0` and this `Retry-After`.
    RemainingZeroFor(&'static str),
    /// An HTTP error (this status) whose message echoes the request's `Authorization` header and
    /// carries a terminal escape and a forged log line, as a misbehaving proxy might.
    Echo(u16),
}

/// How long after its first half the second half of a [`Fault::SlowBody`] page comes: long
/// enough that a client which waits for the whole page cannot be mistaken, even on a busy machine
/// (seconds of slack), for one that acts on the first half.
pub const SLOW_BODY_GAP: Duration = Duration::from_secs(3);
/// How long a [`Fault::Stall`] answer is held.
const STALL: Duration = Duration::from_secs(60);

/// What the mock saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// `GET /v2/users` requests, in arrival order: (status, page_size, page token sent).
    pub requests: Vec<(String, u32, bool)>,
    /// Token requests.
    pub token_requests: u64,
    /// Tokens issued.
    pub tokens_issued: Vec<String>,
    /// The most requests seen within any one-second window.
    pub max_requests_per_second: usize,
    /// When each `GET /v2/users` request arrived, from the first one.
    pub request_offsets: Vec<Duration>,
    /// Faults applied.
    pub faults_applied: Vec<Fault>,
    /// Refresh tokens issued, in order (the last one is the valid one).
    pub refresh_tokens_issued: Vec<String>,
    /// Refreshes answered (rotations).
    pub refreshes: u64,
    /// When each of those refreshes arrived.
    pub refreshed_at: Vec<Instant>,
    /// Tokens revoked.
    pub revoked: Vec<String>,
    /// `GET /v2/report/activities` requests, in arrival order: (from, to, page token sent).
    pub activity_requests: Vec<(String, String, bool)>,
    /// When each of them arrived, from the first one (429s included).
    pub activity_offsets: Vec<Duration>,
    /// `GET /v2/users/{id}/settings` requests answered (the ids), in arrival order.
    pub settings_requests: Vec<String>,
}

/// A pre-rendered page: (status, offset, page size, first page).
type PageKey = (String, usize, u32, bool);

struct State {
    account: Account,
    /// Pages rendered ahead by [`MockZoom::prerender`], served without rendering work.
    pages: std::collections::HashMap<PageKey, Arc<Vec<u8>>>,
    /// Each status's users as JSON text, rendered once: pages are built by joining slices.
    rendered: BTreeMap<String, Arc<Vec<String>>>,
    /// Issued authorization codes: code → (PKCE challenge, redirect_uri).
    codes: BTreeMap<String, (String, String)>,
    /// The one refresh token that is valid now (Zoom rotates them).
    refresh_token: Option<String>,
    faults: BTreeMap<u64, Fault>,
    pending_faults: VecDeque<Fault>,
    latency: Duration,
    valid_tokens: HashSet<String>,
    request_times: Vec<Instant>,
    activity_times: Vec<Instant>,
    /// The report's events of each range asked for, by index.
    activity_ranges:
        std::collections::HashMap<(chrono::NaiveDate, chrono::NaiveDate), Arc<Vec<usize>>>,
    seen: Seen,
}

/// A running mock; stops when dropped.
pub struct MockZoom {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockZoom {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockZoom {
    /// Starts serving `account` on an ephemeral 127.0.0.1 port; `faults` maps the 1-based number of
    /// a `GET /v2/users` request to its fault (a page-token fault waits for a request with a token).
    pub async fn start(account: Account, faults: BTreeMap<u64, Fault>, latency: Duration) -> Self {
        let rendered = account
            .users
            .iter()
            .map(|(status, users)| {
                let texts = users.iter().map(Value::to_string).collect();
                (status.clone(), Arc::new(texts))
            })
            .collect();
        Self::start_rendered(account, rendered, faults, latency).await
    }

    /// Like [`MockZoom::start`], with each status's users already rendered as JSON text (the
    /// account's `users` are then ignored): how benchmarks serve a million users cheaply.
    pub async fn start_rendered(
        account: Account,
        rendered: BTreeMap<String, Arc<Vec<String>>>,
        faults: BTreeMap<u64, Fault>,
        latency: Duration,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            account,
            pages: std::collections::HashMap::new(),
            rendered,
            codes: BTreeMap::new(),
            refresh_token: None,
            faults,
            pending_faults: VecDeque::new(),
            latency,
            valid_tokens: HashSet::new(),
            request_times: Vec::new(),
            activity_times: Vec::new(),
            activity_ranges: std::collections::HashMap::new(),
            seen: Seen::default(),
        }));
        let serving = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = serving.clone();
                tokio::spawn(async move {
                    let _ = handle(stream, state).await;
                });
            }
        });
        MockZoom { addr, state, task }
    }

    /// `http://127.0.0.1:PORT`, the OAuth base URL.
    pub fn oauth_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v2`, the API base URL.
    pub fn api_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// What the mock saw so far.
    pub fn seen(&self) -> Seen {
        let state = self.state.lock().expect("mock state");
        let mut seen = state.seen.clone();
        let times = &state.request_times;
        seen.request_offsets = times.iter().map(|t| t.duration_since(times[0])).collect();
        let activity = &state.activity_times;
        seen.activity_offsets = activity
            .iter()
            .map(|t| t.duration_since(activity[0]))
            .collect();
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= Duration::from_secs(1) {
                start += 1;
            }
            seen.max_requests_per_second = seen.max_requests_per_second.max(end - start + 1);
        }
        seen
    }

    /// Renders every page of every status at `page_size` ahead of time, so that serving a page
    /// costs only writing it: benchmarks then measure the client, not the mock.
    pub fn prerender(&self, page_size: u32) {
        let mut state = self.state.lock().expect("mock state");
        let mut pages = std::collections::HashMap::new();
        for (status, all) in &state.rendered {
            let mut offset = 0;
            loop {
                let key = (status.clone(), offset, page_size, offset == 0);
                let body = render_page(all, status, offset, page_size, offset == 0);
                pages.insert(key, Arc::new(body));
                offset += page_size as usize;
                if offset >= all.len() {
                    break;
                }
            }
        }
        state.pages = pages;
    }

    /// The account served.
    pub fn account(&self) -> Account {
        self.state.lock().expect("mock state").account.clone()
    }
}

struct Request {
    method: String,
    path: String,
    query: BTreeMap<String, String>,
    headers: BTreeMap<String, String>,
    /// Form fields of an `application/x-www-form-urlencoded` body.
    form: BTreeMap<String, String>,
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default().to_string();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let form = url::form_urlencoded::parse(&body).into_owned().collect();
    let url = url::Url::parse(&format!("http://mock{target}"))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(Some(Request {
        method,
        path: url.path().to_string(),
        query: url.query_pairs().into_owned().collect(),
        headers,
        form,
    }))
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    respond_paced(stream, status, headers, body, None).await
}

/// Like [`respond`]; with a `gap`, the body's second half follows its first that much later.
async fn respond_paced(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
    gap: Option<Duration>,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\nx-zm-trackingid: v=2.0;clid=us01;rid=MOCK\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    match gap {
        None => stream.write_all(body).await?,
        Some(gap) => {
            let (first, second) = body.split_at(body.len() / 2);
            stream.write_all(first).await?;
            stream.flush().await?;
            tokio::time::sleep(gap).await;
            stream.write_all(second).await?;
        }
    }
    stream.shutdown().await
}

async fn handle(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let latency = state.lock().expect("mock state").latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/oauth/token") => {
            let grant = request
                .query
                .get("grant_type")
                .or_else(|| request.form.get("grant_type"))
                .cloned()
                .unwrap_or_default();
            let (status, body, delay) = match grant.as_str() {
                "authorization_code" | "refresh_token" => oauth_grant(&request, &state, &grant),
                _ => {
                    let (status, body) = token(&request, &state);
                    (status, body, Duration::ZERO)
                }
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            respond(&mut stream, status, &[], body.to_string().as_bytes()).await
        }
        ("GET", "/oauth/authorize") => {
            let (status, headers, body) = authorize(&request, &state);
            respond(&mut stream, status, &headers, body.as_bytes()).await
        }
        ("POST", "/oauth/revoke") => {
            let (status, body) = revoke(&request, &state);
            respond(&mut stream, status, &[], body.to_string().as_bytes()).await
        }
        ("GET", "/v2/users") => users(&mut stream, &request, &state).await,
        ("GET", "/v2/users/me") => {
            let (status, body) = users_me(&request, &state);
            respond(&mut stream, status, &[], body.to_string().as_bytes()).await
        }
        ("GET", "/v2/report/activities") => {
            let mut heavy = vec![("X-RateLimit-Category", "Heavy".to_string())];
            let (throttled, quota_spent) = {
                let mut state = state.lock().expect("mock state");
                state.activity_times.push(Instant::now());
                let number = state.activity_times.len();
                let account = &state.account;
                (
                    account.activity_throttled.contains(&number),
                    account.activity_quota_spent,
                )
            };
            let (status, body) = match throttled {
                _ if quota_spent => {
                    let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
                    heavy.push(("X-RateLimit-Type", "Daily-limit".to_string()));
                    heavy.push(("Retry-After", format!("{tomorrow}T00:00:00Z")));
                    let message = "You have reached the maximum daily rate limit for this API. \
                                   Refer to the response header for details on when you can make \
                                   another request.";
                    (429, json!({"code": 429, "message": message}))
                }
                true => {
                    heavy.push(("X-RateLimit-Type", "QPS".to_string()));
                    heavy.push(("Retry-After", "1".to_string()));
                    let message = "You have reached the maximum per-second rate limit for this \
                                   API. Try again later.";
                    (429, json!({"code": 429, "message": message}))
                }
                false => activities(&request, &state),
            };
            respond(&mut stream, status, &heavy, body.to_string().as_bytes()).await
        }
        ("GET", path) if path.starts_with("/v2/users/") && path.ends_with("/settings") => {
            let id = &path["/v2/users/".len()..path.len() - "/settings".len()];
            let (status, headers, body) = settings(&request, &state, id);
            respond(&mut stream, status, &headers, body.to_string().as_bytes()).await
        }
        ("GET", "/v2/accounts") => {
            let (status, body) = sub_accounts(&request, &state);
            respond(&mut stream, status, &[], body.to_string().as_bytes()).await
        }
        ("GET", path) if path.starts_with("/v2/accounts/") && path.ends_with("/users") => {
            let id = &path["/v2/accounts/".len()..path.len() - "/users".len()];
            let (status, body) = sub_account_users(&request, &state, id);
            respond(&mut stream, status, &[], body.to_string().as_bytes()).await
        }
        ("GET", "/v2/groups") => {
            let (status, body) = groups(&request, &state);
            respond(&mut stream, status, &[], body.to_string().as_bytes()).await
        }
        ("GET", "/v2/roles") => {
            let (status, body) = roles(&request, &state);
            respond(&mut stream, status, &[], body.to_string().as_bytes()).await
        }
        ("GET", "/v2/users/summary") => {
            let (status, body) = users_summary(&request, &state);
            respond(&mut stream, status, &[], body.to_string().as_bytes()).await
        }
        _ => {
            let body = json!({"code": 404, "message": "Not found."});
            respond(&mut stream, 404, &[], body.to_string().as_bytes()).await
        }
    }
}

fn token(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let mut state = state.lock().expect("mock state");
    state.seen.token_requests += 1;
    let account = state.account.clone();
    let expected = basic_auth(&account);
    if request.query.get("grant_type").map(String::as_str) != Some("account_credentials") {
        return (
            400,
            json!({"reason": "unsupported grant type", "error": "unsupported_grant_type"}),
        );
    }
    if request.headers.get("authorization") != Some(&expected) {
        return (
            400,
            json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
        );
    }
    if request.query.get("account_id") != Some(&account.account_id) {
        return (
            400,
            json!({"reason": "Invalid account_id", "error": "invalid_request"}),
        );
    }
    let token = issue_access_token(&mut state);
    (
        200,
        json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": account.token_ttl_secs,
            "scope": account.scopes,
            "api_url": "https://api.zoom.us"
        }),
    )
}

fn basic_auth(account: &Account) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", account.client_id, account.client_secret))
    )
}

fn issue_access_token(state: &mut State) -> String {
    let n = state.seen.tokens_issued.len() + 1;
    let token = format!("mock-access-token-{n}-eyJhbGciOiJIUzUxMiJ9");
    state.valid_tokens.insert(token.clone());
    state.seen.tokens_issued.push(token.clone());
    token
}

/// `GET /oauth/authorize`: checks the request like Zoom, then redirects to the app's redirect URL
/// with a code (or `error=access_denied` when consent is denied).
fn authorize(
    request: &Request,
    state: &Mutex<State>,
) -> (u16, Vec<(&'static str, String)>, String) {
    let mut state = state.lock().expect("mock state");
    let account = state.account.clone();
    let q = &request.query;
    let problem = if q.get("response_type").map(String::as_str) != Some("code") {
        Some("response_type must be code")
    } else if q.get("client_id") != Some(&account.client_id) {
        Some("Invalid client_id")
    } else if q.get("redirect_uri") != account.redirect_uri.as_ref() {
        Some("4709 Redirect URI mismatch")
    } else if q.contains_key("scope") {
        Some("Invalid scopes")
    } else if q.get("code_challenge_method").map(String::as_str) != Some("S256")
        || !q.contains_key("code_challenge")
    {
        Some("PKCE S256 challenge required by this mock")
    } else {
        None
    };
    if let Some(problem) = problem {
        return (400, vec![], format!("<html><body>{problem}</body></html>"));
    }
    let redirect = account.redirect_uri.clone().unwrap_or_default();
    let app_state = q.get("state").cloned().unwrap_or_default();
    let mut location = url::Url::parse(&redirect).expect("redirect uri");
    if account.deny_consent {
        location
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &app_state);
    } else {
        let code = format!("authcode{}", state.codes.len() + 1);
        state.codes.insert(
            code.clone(),
            (q["code_challenge"].clone(), redirect.clone()),
        );
        location
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &app_state);
    }
    (302, vec![("Location", location.to_string())], String::new())
}

/// `POST /oauth/token` for `authorization_code` and `refresh_token`, with rotation.
fn oauth_grant(request: &Request, state: &Mutex<State>, grant: &str) -> (u16, Value, Duration) {
    let mut state = state.lock().expect("mock state");
    state.seen.token_requests += 1;
    let account = state.account.clone();
    let invalid_grant = json!({"reason": "Invalid Token!", "error": "invalid_grant"});
    if request.headers.get("authorization") != Some(&basic_auth(&account)) {
        return (
            400,
            json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
            Duration::ZERO,
        );
    }
    let form = &request.form;
    let delay = if grant == "authorization_code" {
        let code = form.get("code").cloned().unwrap_or_default();
        let Some((challenge, redirect)) = state.codes.remove(&code) else {
            return (400, invalid_grant, Duration::ZERO);
        };
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let digest = <sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes());
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        if expected != challenge || form.get("redirect_uri") != Some(&redirect) {
            return (400, invalid_grant, Duration::ZERO);
        }
        Duration::ZERO
    } else {
        let presented = form.get("refresh_token");
        if presented.is_none() || presented != state.refresh_token.as_ref() {
            return (400, invalid_grant, Duration::ZERO);
        }
        state.seen.refreshes += 1;
        state.seen.refreshed_at.push(Instant::now());
        match state.seen.refreshes {
            1 => account.refresh_delay,
            _ => Duration::ZERO,
        }
    };
    let access = issue_access_token(&mut state);
    let refresh = format!(
        "mock-refresh-token-{}-rT9",
        state.seen.refresh_tokens_issued.len() + 1
    );
    state.refresh_token = Some(refresh.clone());
    state.seen.refresh_tokens_issued.push(refresh.clone());
    (
        200,
        json!({
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": account.token_ttl_secs,
            "scope": account.scopes,
            "api_url": "https://api.zoom.us"
        }),
        delay,
    )
}

/// `POST /oauth/revoke`: the token stops working; the app is deauthorized.
fn revoke(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let mut state = state.lock().expect("mock state");
    let account = state.account.clone();
    if request.headers.get("authorization") != Some(&basic_auth(&account)) {
        return (
            400,
            json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
        );
    }
    let token = request.form.get("token").cloned().unwrap_or_default();
    if !state.valid_tokens.remove(&token) {
        return (
            400,
            json!({"reason": "Invalid Token!", "error": "invalid_request"}),
        );
    }
    state.refresh_token = None;
    state.seen.revoked.push(token);
    (200, json!({"status": "success"}))
}

/// Zoom's answer to a request without a valid token (401, code 124) or without any of `scopes`
/// (400, code 4711, naming the first, the granular one).
fn admit(request: &Request, state: &State, scopes: &[&str]) -> Result<(), (u16, Value)> {
    let bearer = request
        .headers
        .get("authorization")
        .and_then(|v| v.strip_prefix("Bearer "));
    if !bearer.is_some_and(|t| state.valid_tokens.contains(t)) {
        return Err((
            401,
            json!({"code": 124, "message": "Invalid access token."}),
        ));
    }
    if !state
        .account
        .scopes
        .split_whitespace()
        .any(|s| scopes.contains(&s))
    {
        let message = format!(
            "Invalid access token, does not contain scopes:[{}].",
            scopes.first().copied().unwrap_or_default()
        );
        return Err((400, json!({"code": 4711, "message": message})));
    }
    Ok(())
}

/// `GET /v2/users/{id}/settings`: the user's settings, of which only `feature` (and a little around
/// it, as Zoom sends more) is modelled. A user of `settings_gone` is 404 code 1001; past
/// `settings_quota` requests, a daily-limit 429.
fn settings(
    request: &Request,
    state: &Mutex<State>,
    id: &str,
) -> (u16, Vec<(&'static str, String)>, Value) {
    let mut state = state.lock().expect("mock state");
    if let Err((status, body)) = admit(
        request,
        &state,
        &["user:read:settings:admin", "user:read:admin"],
    ) {
        return (status, vec![], body);
    }
    if state
        .account
        .settings_quota
        .is_some_and(|quota| state.seen.settings_requests.len() >= quota)
    {
        let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(1);
        let headers = vec![
            ("X-RateLimit-Category", "Medium".to_string()),
            ("X-RateLimit-Type", "Daily-limit".to_string()),
            ("Retry-After", format!("{tomorrow}T00:00:00Z")),
        ];
        let message = "You have reached the maximum daily rate limit for this API.";
        return (429, headers, json!({"code": 429, "message": message}));
    }
    state.seen.settings_requests.push(id.to_string());
    if state.account.settings_gone.iter().any(|gone| gone == id) {
        let message = format!("User does not exist: {id}.");
        return (404, vec![], json!({"code": 1001, "message": message}));
    }
    if state
        .account
        .settings_bare_404
        .iter()
        .any(|bare| bare == id)
    {
        return (404, vec![], json!({"message": "Not Found"}));
    }
    let feature = (state.account.feature_of)(id);
    let body = json!({
        "schedule_meeting": {"host_video": true},
        "in_meeting": {"chat": true},
        "feature": feature,
    });
    (
        200,
        vec![("X-RateLimit-Category", "Medium".to_string())],
        body,
    )
}

/// The `feature` object of a generated user, from the digits of its id (`id000042…` is user 42):
/// user n has large meetings (500) when 3 divides n, webinars (1,000) when 4 does, Zoom Phone when
/// 5 does, concurrent meetings `Plus` when 6 does, and always a meeting capacity.
pub fn generated_feature(id: &str) -> Value {
    let n: usize = id
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    json!({
        "meeting_capacity": 300,
        "large_meeting": n.is_multiple_of(3),
        "large_meeting_capacity": 500,
        "webinar": n.is_multiple_of(4),
        "webinar_capacity": 1000,
        "zoom_phone": n.is_multiple_of(5),
        "concurrent_meeting": if n.is_multiple_of(6) { "Plus" } else { "None" },
    })
}

/// `items` from the request's `next_page_token` (`{prefix}-{offset}`), `page_size` (default 30, at
/// most 300) at a time: the page, the next token (`""` after the last), or a 400 for a bad token.
fn page_of<'a>(
    request: &Request,
    items: &'a [Value],
    prefix: &str,
) -> Result<(&'a [Value], String), (u16, Value)> {
    let size = request
        .query
        .get("page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 300);
    let offset = match request.query.get("next_page_token") {
        None => 0,
        Some(token) => match token
            .strip_prefix(prefix)
            .and_then(|t| t.strip_prefix('-'))
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if n <= items.len() => n,
            _ => {
                return Err((
                    400,
                    json!({"code": 300, "message": "Invalid next_page_token."}),
                ));
            }
        },
    };
    let page = &items[offset..(offset + size).min(items.len())];
    let next = offset + page.len();
    let token = match next < items.len() {
        true => format!("{prefix}-{next}"),
        false => String::new(),
    };
    Ok((page, token))
}

/// `GET /v2/accounts`: the master account's sub accounts.
fn sub_accounts(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    let scopes = [
        "account:read:list_sub_accounts:master",
        "account:read:master",
    ];
    if let Err(refusal) = admit(request, &state, &scopes) {
        return refusal;
    }
    let accounts: Vec<Value> = state
        .account
        .sub_accounts
        .iter()
        .map(|(id, name, _)| {
            json!({"id": id, "account_name": name, "owner_email": format!("owner@{id}.example"),
                   "account_type": "Pro", "seats": 10, "created_at": "2024-01-01T00:00:00Z"})
        })
        .collect();
    if state.account.sub_accounts_endless {
        // Each token is the one asked with, one letter longer: never the same twice.
        let (page, next) = match request.query.get("next_page_token") {
            None => (accounts, "endless".to_string()),
            Some(asked) => (Vec::new(), format!("{asked}x")),
        };
        let body = json!({"page_size": page.len(), "next_page_token": next, "accounts": page});
        return (200, body);
    }
    match page_of(request, &accounts, "acc") {
        Err(refusal) => refusal,
        Ok((page, token)) => (
            200,
            json!({"page_size": page.len(), "total_records": accounts.len(),
                   "next_page_token": token, "accounts": page}),
        ),
    }
}

/// `GET /v2/accounts/{id}/users`: a sub account's users of the asked `status`, as `GET /users`.
fn sub_account_users(request: &Request, state: &Mutex<State>, id: &str) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    let scopes = ["user:read:list_users:master", "user:read:master"];
    if let Err(refusal) = admit(request, &state, &scopes) {
        return refusal;
    }
    if state.account.sub_accounts_failing.iter().any(|f| f == id) {
        return (
            400,
            json!({"code": 2001, "message": format!("Account does not exist: {id}.")}),
        );
    }
    let Some((_, _, users)) = state.account.sub_accounts.iter().find(|(i, ..)| i == id) else {
        return (
            400,
            json!({"code": 2001, "message": format!("Account does not exist: {id}.")}),
        );
    };
    let status = request.query.get("status").map_or("active", String::as_str);
    let all = users.get(status).map(Vec::as_slice).unwrap_or_default();
    match page_of(request, all, "sau") {
        Err(refusal) => refusal,
        Ok((page, token)) => (
            200,
            json!({"page_size": page.len(), "total_records": all.len(),
                   "next_page_token": token, "users": page}),
        ),
    }
}

/// `GET /v2/groups`: the account's groups, `page_size` (default 30, at most 300) at a time, chained
/// by `next_page_token`.
fn groups(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    if let Err(refusal) = admit(
        request,
        &state,
        &["group:read:list_groups:admin", "group:read:admin"],
    ) {
        return refusal;
    }
    let all = &state.account.groups;
    match page_of(request, all, "grp") {
        Err(refusal) => refusal,
        Ok((page, token)) => (
            200,
            json!({"page_size": page.len(), "total_records": all.len(),
                   "next_page_token": token, "groups": page}),
        ),
    }
}

/// `GET /v2/roles`: the account's roles, in one answer.
fn roles(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    if let Err(refusal) = admit(
        request,
        &state,
        &["role:read:list_roles:admin", "role:read:admin"],
    ) {
        return refusal;
    }
    let roles = &state.account.roles;
    (200, json!({"total_records": roles.len(), "roles": roles}))
}

/// `GET /v2/report/activities`: the account's sign-in/sign-out events of `from` to `to` (dates,
/// inclusive), newest first, `page_size` (default 30, at most 300) at a time. Enforces what Zoom
/// documents: a range of at most one month, within the last six months, and a plan allowed to
/// read reports. The exact wording of Zoom's refusals is not documented; these are this mock's.
fn activities(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let mut state = state.lock().expect("mock state");
    let scopes = ["report:read:user_activities:admin", "report:read:admin"];
    if let Err(refusal) = admit(request, &state, &scopes) {
        return refusal;
    }
    if !state.account.reports_allowed {
        return (400, json!({"code": 200, "message": "No permission."}));
    }
    let date = |name: &str| {
        request
            .query
            .get(name)
            .and_then(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
    };
    let today =
        chrono::NaiveDate::parse_from_str(&state.account.today, "%Y-%m-%d").expect("mock today");
    let (Some(from), Some(to)) = (date("from"), date("to")) else {
        return (
            400,
            json!({"code": 300, "message": "Invalid from or to date."}),
        );
    };
    let one_month = from
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt());
    if from > to || one_month.is_none_or(|end| to > end) {
        let message = "The date range should be within one month.";
        return (400, json!({"code": 300, "message": message}));
    }
    let six_months_ago = today.checked_sub_months(chrono::Months::new(6));
    if six_months_ago.is_some_and(|oldest| from < oldest) {
        let message = "The date range should fall within the last six months.";
        return (400, json!({"code": 300, "message": message}));
    }
    let token = request.query.get("next_page_token").cloned();
    state
        .seen
        .activity_requests
        .push((from.to_string(), to.to_string(), token.is_some()));
    // The events of a range, found once per range (a benchmark asks for a thousand pages).
    let in_range = match state.activity_ranges.get(&(from, to)) {
        Some(found) => found.clone(),
        None => {
            let found: Arc<Vec<usize>> = Arc::new(
                (0..state.account.activity.len())
                    .filter(|&i| {
                        let day = state.account.activity[i]["time"]
                            .as_str()
                            .and_then(|t| t.get(..10))
                            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                        day.is_some_and(|d| from <= d && d <= to)
                    })
                    .collect(),
            );
            state.activity_ranges.insert((from, to), found.clone());
            found
        }
    };
    let page_size = request
        .query
        .get("page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 300);
    // The token is the offset, wrapped so it looks opaque; its range must match the request's.
    let offset = match token.as_deref().map(|t| t.split(':').collect::<Vec<_>>()) {
        None => 0,
        Some(parts) => match parts.as_slice() {
            ["act", f, t, n] if *f == from.to_string() && *t == to.to_string() => {
                n.parse().unwrap_or(usize::MAX)
            }
            _ => {
                return (
                    400,
                    json!({"code": 300, "message": "Invalid next_page_token."}),
                );
            }
        },
    };
    let mut page: Vec<Value> = in_range
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|&i| state.account.activity[i].clone())
        .collect();
    let next = offset + page.len();
    if state.seen.activity_requests.len() == 1 {
        page.extend(state.account.activity_misdated.iter().cloned());
    }
    let next_page_token = match next < in_range.len() {
        true => format!("act:{from}:{to}:{next}"),
        false => String::new(),
    };
    (
        200,
        json!({
            "from": format!("{from}T00:00:00Z"),
            "to": format!("{to}T00:00:00Z"),
            "page_size": page_size,
            "next_page_token": next_page_token,
            "activity_logs": page,
        }),
    )
}

/// `GET /users/me`: the authorizing user, with the account id (scope `user:read:user:admin`).
fn users_me(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    if let Err(refusal) = admit(
        request,
        &state,
        &["user:read:user:admin", "user:read:admin"],
    ) {
        return refusal;
    }
    (
        200,
        json!({
            "id": "meAdmin0001",
            "email": "admin@example.com",
            "type": 2,
            "status": "active",
            "role_name": "Owner",
            "account_id": state.account.account_id
        }),
    )
}

/// `GET /v2/users/summary`: the account's users counted by plan `type`. Pending users are counted
/// apart and not in the total, as Zoom's spec describes the fields; counting types 4 and 99 as
/// join-only is this mock's own choice (no real body was found to say how Zoom counts them).
fn users_summary(request: &Request, state: &Mutex<State>) -> (u16, Value) {
    let state = state.lock().expect("mock state");
    if let Err(refusal) = admit(
        request,
        &state,
        &["user:read:summary:admin", "user:read:admin"],
    ) {
        return refusal;
    }
    let users = &state.account.users;
    let active = users.get("active").map(Vec::as_slice).unwrap_or_default();
    let of_type = |codes: &[i64]| {
        let typed = active
            .iter()
            .filter(|u| codes.contains(&u["type"].as_i64().unwrap_or(0)));
        typed.count()
    };
    let (licensed, basic, join_only, on_prem) = (
        of_type(&[2]),
        of_type(&[1]),
        of_type(&[4, 99]),
        of_type(&[3]),
    );
    let pending = users.get("pending").map_or(0, Vec::len);
    let body = json!({
        "licensed_users_count": licensed,
        "basic_users_count": basic,
        "on_prem_users_count": on_prem,
        "room_users_count": 0,
        "pending_users_count": pending,
        "join_only_users_count": join_only,
        "total_users_count": licensed + basic + join_only + on_prem,
    });
    let mut body = body;
    if let (Some(body), Some(overrides)) = (
        body.as_object_mut(),
        state.account.summary_overrides.as_object(),
    ) {
        body.extend(overrides.clone());
    }
    (200, body)
}

fn error_body(code: i64, message: &str) -> Vec<u8> {
    json!({"code": code, "message": message})
        .to_string()
        .into_bytes()
}

/// What to answer a users request with, decided under the lock.
enum Answer {
    Respond(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// A 200 whose body's second half follows its first after a pause.
    Paced(Vec<(&'static str, String)>, Vec<u8>, Duration),
    /// A 200 sent after [`STALL`].
    Stalled(Vec<(&'static str, String)>, Vec<u8>),
    Drop,
    Truncate(Vec<u8>),
}

async fn users(
    stream: &mut TcpStream,
    request: &Request,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    let answer = users_answer(request, &mut state.lock().expect("mock state"));
    match answer {
        Answer::Respond(status, headers, body) => respond(stream, status, &headers, &body).await,
        Answer::Stalled(headers, body) => {
            tokio::time::sleep(STALL).await;
            respond(stream, 200, &headers, &body).await
        }
        Answer::Paced(headers, body, gap) => {
            respond_paced(stream, 200, &headers, &body, Some(gap)).await
        }
        Answer::Drop => Ok(()),
        Answer::Truncate(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body[..body.len() / 2]).await?;
            stream.shutdown().await
        }
    }
}

fn users_answer(request: &Request, state: &mut State) -> Answer {
    state.request_times.push(Instant::now());
    let number = state.request_times.len() as u64;
    let status = request
        .query
        .get("status")
        .cloned()
        .unwrap_or_else(|| "active".into());
    let page_size: u32 = request
        .query
        .get("page_size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let page_token = request.query.get("next_page_token").cloned();
    state
        .seen
        .requests
        .push((status.clone(), page_size, page_token.is_some()));

    if request.query.contains_key("access_token") {
        return Answer::Respond(
            401,
            vec![],
            error_body(
                124,
                "Invalid access token, this access token is not supported as query parameter string.",
            ),
        );
    }
    let bearer = request
        .headers
        .get("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    match &bearer {
        Some(t) if state.valid_tokens.contains(t) => {}
        Some(t) if state.seen.tokens_issued.contains(t) => {
            return Answer::Respond(401, vec![], error_body(124, "Access token is expired."));
        }
        _ => return Answer::Respond(401, vec![], error_body(124, "Invalid access token.")),
    }

    if let Some(fault) = state.faults.remove(&number) {
        state.pending_faults.push_back(fault);
    }
    let fault = match state.pending_faults.front() {
        Some(Fault::ExpirePageToken | Fault::SameToken) if page_token.is_none() => None,
        Some(_) => state.pending_faults.pop_front(),
        None => None,
    };
    if let Some(fault) = &fault {
        state.seen.faults_applied.push(fault.clone());
    }
    let mut extra = vec![("X-RateLimit-Category", "Medium".to_string())];
    match fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            let mut headers = vec![
                ("X-RateLimit-Category", "Medium".to_string()),
                ("X-RateLimit-Type", "QPS".to_string()),
            ];
            if let Some(v) = retry_after {
                headers.push(("Retry-After", v));
            }
            return Answer::Respond(
                429,
                headers,
                error_body(
                    429,
                    "You have reached the maximum per-second rate limit for this API. Try again later.",
                ),
            );
        }
        Some(Fault::DailyLimit { retry_after }) => {
            return Answer::Respond(
                429,
                vec![
                    ("X-RateLimit-Category", "Medium".to_string()),
                    ("X-RateLimit-Type", "Daily-limit".to_string()),
                    ("X-RateLimit-Limit", "2000".to_string()),
                    ("X-RateLimit-Remaining", "0".to_string()),
                    ("Retry-After", retry_after),
                ],
                error_body(
                    429,
                    "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
                ),
            );
        }
        Some(Fault::Echo(status)) => {
            let echoed = request
                .headers
                .get("authorization")
                .cloned()
                .unwrap_or_default();
            let message =
                format!("denied for {echoed} \u{1b}[2J\n2026-01-01T00:00:00Z INFO forged");
            return Answer::Respond(status, vec![], error_body(403, &message));
        }
        Some(Fault::Body(body)) => {
            return Answer::Respond(200, extra, body.as_bytes().to_vec());
        }
        Some(Fault::Refused(status, code)) => {
            return Answer::Respond(status, vec![], error_body(code, "No permission."));
        }
        Some(Fault::ServerError(code)) => {
            return Answer::Respond(code, vec![], error_body(code as i64, "Internal Error"));
        }
        Some(Fault::Drop) => return Answer::Drop,
        Some(Fault::ExpireTokens) => {
            state.valid_tokens.clear();
            return Answer::Respond(401, vec![], error_body(124, "Access token is expired."));
        }
        Some(Fault::ExpirePageToken) => {
            return Answer::Respond(
                400,
                vec![],
                error_body(300, "The next page token is invalid or expired."),
            );
        }
        Some(Fault::RemainingZero) => extra.push(("X-RateLimit-Remaining", "0".to_string())),
        Some(Fault::RemainingZeroFor(wait)) => {
            extra.push(("X-RateLimit-Remaining", "0".to_string()));
            extra.push(("Retry-After", wait.to_string()));
        }
        Some(Fault::Truncate | Fault::HalfJson | Fault::SlowBody | Fault::Stall) | None => {}
        Some(Fault::SameToken) => {
            let token = page_token.clone().unwrap_or_default();
            let all = state.rendered.get(&status).cloned().unwrap_or_default();
            let mut page: Value =
                serde_json::from_slice(&render_page(&all, &status, 0, page_size, false))
                    .unwrap_or_default();
            page["next_page_token"] = json!(token);
            return Answer::Respond(200, extra, page.to_string().into_bytes());
        }
    }

    let scopes = &state.account.scopes;
    if !scopes
        .split_whitespace()
        .any(|s| s == "user:read:list_users:admin" || s == "user:read:admin")
    {
        return Answer::Respond(
            400,
            vec![],
            error_body(
                4711,
                "Invalid access token, does not contain scopes:[user:read:list_users:admin].",
            ),
        );
    }
    let page_size = match page_size > state.account.max_page_size {
        true if state.account.clamp_page_size => state.account.max_page_size,
        _ => page_size,
    };
    if page_size > state.account.max_page_size {
        let body = json!({"code": 300, "message": "Validation Failed.",
            "errors": [{"field": "page_size", "message": "Invalid field."}]});
        return Answer::Respond(400, vec![], body.to_string().into_bytes());
    }
    let all = state.rendered.get(&status).cloned().unwrap_or_default();
    let offset = match &page_token {
        None => 0,
        Some(token) => match parse_page_token(token, &status) {
            Some(offset) => offset,
            None => {
                return Answer::Respond(
                    400,
                    vec![],
                    error_body(300, "The next page token is invalid or expired."),
                );
            }
        },
    };
    let key = (status.clone(), offset, page_size, page_token.is_none());
    let include = request.query.get("include_fields").map(String::as_str);
    let body = match (state.pages.get(&key), include) {
        // Zoom sends custom attributes only to a request that asks for them.
        (_, Some("custom_attributes")) => {
            let users = state
                .account
                .users
                .get(&status)
                .cloned()
                .unwrap_or_default();
            let with: Vec<String> = users
                .iter()
                .map(|u| with_custom_attributes(u).to_string())
                .collect();
            render_page(&with, &status, offset, page_size, page_token.is_none())
        }
        (Some(body), _) => body.as_ref().clone(),
        (None, _) => render_page(&all, &status, offset, page_size, page_token.is_none()),
    };
    match fault {
        Some(Fault::Truncate) => Answer::Truncate(body),
        Some(Fault::HalfJson) => Answer::Respond(200, extra, body[..body.len() / 2].to_vec()),
        Some(Fault::RemainingZero) => Answer::Paced(extra, body, Duration::from_millis(300)),
        Some(Fault::SlowBody) => Answer::Paced(extra, body, SLOW_BODY_GAP),
        Some(Fault::Stall) => Answer::Stalled(extra, body),
        _ => Answer::Respond(200, extra, body),
    }
}

/// `user` with the custom attributes an admin gave it: a cost centre from its email's number.
pub fn with_custom_attributes(user: &Value) -> Value {
    let mut user = user.clone();
    let email = user["email"].as_str().unwrap_or_default().to_string();
    let digits: String = email.chars().filter(char::is_ascii_digit).collect();
    let centre = digits.parse::<u64>().unwrap_or(0) % 7;
    user["custom_attributes"] = json!([
        {"key": "cbf_cost_centre", "name": "Cost centre", "value": format!("CC-{centre}")}
    ]);
    user
}

/// One page's body, in Zoom's key order: `page_count`/`page_number` on the first page only.
fn render_page(
    all: &[String],
    status: &str,
    offset: usize,
    page_size: u32,
    first: bool,
) -> Vec<u8> {
    let end = (offset + page_size as usize).min(all.len());
    let slice = &all[offset.min(end)..end];
    let next = if end < all.len() {
        format!("pt{status}x{end}xQ7w2")
    } else {
        String::new()
    };
    let mut body = String::with_capacity(256 + slice.iter().map(|u| u.len() + 1).sum::<usize>());
    body.push('{');
    if first {
        body.push_str(&format!(
            "\"page_count\":{},\"page_number\":1,",
            all.len().div_ceil(page_size as usize)
        ));
    }
    body.push_str(&format!(
        "\"page_size\":{page_size},\"total_records\":{},\"next_page_token\":\"{next}\",\"users\":[",
        all.len()
    ));
    for (i, user) in slice.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(user);
    }
    body.push_str("]}");
    body.into_bytes()
}

fn parse_page_token(token: &str, status: &str) -> Option<usize> {
    let rest = token
        .strip_prefix("pt")?
        .strip_prefix(status)?
        .strip_prefix('x')?;
    rest.strip_suffix("xQ7w2")?.parse().ok()
}

/// A realistic account: `active` users with ids, `pending` without, `inactive` deactivated.
pub fn generated_users(
    active: usize,
    pending: usize,
    inactive: usize,
) -> BTreeMap<String, Vec<Value>> {
    let ranges = [
        ("active", 0..active),
        ("pending", active..active + pending),
        ("inactive", active + pending..active + pending + inactive),
    ];
    ranges
        .into_iter()
        .map(|(status, range)| {
            let users = range.map(|n| generated_user(n, status)).collect();
            (status.to_string(), users)
        })
        .collect()
}

/// User number `n` of a generated account, with `status`.
pub fn generated_user(n: usize, status: &str) -> Value {
    let plan = [1, 2, 2, 4, 99][n % 5];
    let dept = ["Sales", "Engineering", ""][n % 3];
    let mut u = json!({
        "first_name": format!("First{n}"),
        "last_name": format!("Last{n}"),
        "display_name": format!("First{n} Last{n}"),
        "email": format!("user{n}@example.com"),
        "type": plan,
        "timezone": "Europe/Berlin",
        "verified": 1,
        "dept": dept,
        "user_created_at": "2024-03-01T10:00:00Z",
        "created_at": "2024-03-01T10:00:00Z",
        "role_id": "2",
        "group_ids": match n % 3 {
            0 => json!([]),
            1 => json!(["g-Sales4x7Q"]),
            _ => json!(["g-Sales4x7Q", "-gEngR2d2"]),
        },
        "im_group_ids": [],
        "language": "en-US",
        "status": status,
    });
    if n.is_multiple_of(4) {
        u["employee_unique_id"] = json!(format!("E{n:05}"));
    }
    if status != "pending" {
        u["id"] = json!(format!("id{n:06}aBcDeFgHiJkLmN"));
        u["pmi"] = json!(5_000_000_000u64 + n as u64);
        u["last_login_time"] = json!("2026-11-20T08:30:00Z");
        u["last_client_version"] = json!("6.2.5.40123(mac)");
    }
    u
}

/// Sign-in report events for the generated `users`, in the `days` days ending on `last`
/// (`YYYY-MM-DD`), newest first as Zoom lists them. Active user `n` signs in `n % 4` times (none
/// when `n % 4 == 0`), each sign-in followed by a sign-out an hour later, on days and clients
/// spread by `n`; every fifth such user's email comes in upper case (Zoom's report is keyed by
/// email, not id). Three events name emails that are no user of the account.
pub fn generated_activity(
    users: &BTreeMap<String, Vec<Value>>,
    last: &str,
    days: u32,
) -> Vec<Value> {
    let emails = users
        .get("active")
        .into_iter()
        .flatten()
        .map(|u| u["email"].as_str().unwrap_or_default().to_string());
    activity_of(emails, last, days)
}

/// [`generated_activity`] for active users with these emails, in order.
pub fn activity_of(emails: impl Iterator<Item = String>, last: &str, days: u32) -> Vec<Value> {
    let last = chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d").expect("a date");
    let clients = ["Windows", "Mac", "Browser", "iOS", "Android"];
    let mut events = Vec::new();
    let mut event = |email: String, day: u32, minute: usize, kind: &str, client: &str| {
        let date = last - chrono::Days::new(u64::from(day % days));
        let hour = if kind == "Sign in" { 9 } else { 10 };
        events.push(json!({
            "email": email,
            "time": format!("{date}T{hour:02}:{:02}:00Z", minute % 60),
            "type": kind,
            "ip_address": format!("192.0.2.{}", minute % 250),
            "client_type": client,
            "version": "6.2.5.40123",
        }));
    };
    for (n, email) in emails.enumerate() {
        let email = match n % 5 {
            1 => email.to_uppercase(),
            _ => email.to_string(),
        };
        for k in 0..n % 4 {
            let day = (n * 7 + k * 11) as u32;
            let client = clients[(n + k) % clients.len()];
            event(email.clone(), day, n + k, "Sign in", client);
            event(email.clone(), day, n + k, "Sign out", client);
        }
    }
    for g in 0..3 {
        event(
            format!("ghost{g}@elsewhere.example"),
            g,
            g as usize,
            "Sign in",
            "Browser",
        );
    }
    events.sort_by(|a, b| b["time"].as_str().cmp(&a["time"].as_str()));
    events
}
