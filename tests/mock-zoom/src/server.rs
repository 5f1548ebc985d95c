//! The listener, what the mock holds and saw, and the routing of each request to its endpoint.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use crate::account::Account;
use crate::faults::Fault;
use crate::groups::groups;
use crate::host_report::{HostRange, hosts};
use crate::http::{read_request, respond};
use crate::oauth::{authorize, oauth_grant, revoke, token};
use crate::reports::{heavy, report_activities};
use crate::roles::roles;
use crate::settings::settings;
use crate::sub_accounts::{sub_account_users, sub_accounts};
use crate::users::{render_page, users, users_me, users_summary};

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
    /// `GET /v2/report/users` requests, in arrival order: (type, from, to, page token sent).
    pub host_requests: Vec<(String, String, String, bool)>,
    /// `GET /v2/report/activities` requests, in arrival order: (from, to, page token sent).
    pub activity_requests: Vec<(String, String, bool)>,
    /// When each of them arrived, from the first one (429s included).
    pub activity_offsets: Vec<Duration>,
    /// `GET /v2/users/{id}/settings` requests answered (the ids), in arrival order.
    pub settings_requests: Vec<String>,
    /// `GET /v2/accounts/{id}/users` requests, in arrival order: (id, page_size).
    pub sub_account_requests: Vec<(String, u32)>,
}

/// A pre-rendered page: (status, offset, page size, first page).
pub(crate) type PageKey = (String, usize, u32, bool);

/// What the mock holds and saw, shared by its connections behind one lock.
pub(crate) struct State {
    pub(crate) account: Account,
    /// Pages rendered ahead by [`MockZoom::prerender`], served without rendering work.
    pub(crate) pages: std::collections::HashMap<PageKey, Arc<Vec<u8>>>,
    /// Each status's users as JSON text, rendered once: pages are built by joining slices.
    pub(crate) rendered: BTreeMap<String, Arc<Vec<String>>>,
    /// Issued authorization codes: code → (PKCE challenge, redirect_uri).
    pub(crate) codes: BTreeMap<String, (String, String)>,
    /// The one refresh token that is valid now (Zoom rotates them).
    pub(crate) refresh_token: Option<String>,
    pub(crate) faults: BTreeMap<u64, Fault>,
    pub(crate) pending_faults: VecDeque<Fault>,
    pub(crate) latency: Duration,
    pub(crate) valid_tokens: HashSet<String>,
    pub(crate) request_times: Vec<Instant>,
    pub(crate) activity_times: Vec<Instant>,
    /// The report's events of each range asked for, by index.
    pub(crate) activity_ranges:
        std::collections::HashMap<(chrono::NaiveDate, chrono::NaiveDate), Arc<Vec<usize>>>,
    /// The host report of each (type, from, to) asked for.
    pub(crate) host_ranges:
        std::collections::HashMap<(String, chrono::NaiveDate, chrono::NaiveDate), HostRange>,
    pub(crate) seen: Seen,
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
            host_ranges: std::collections::HashMap::new(),
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

/// Reads one request and answers it from the endpoint its method and path name.
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
        ("GET", "/v2/report/activities") => report_activities(&mut stream, &request, &state).await,
        ("GET", "/v2/report/users") => heavy(&mut stream, &request, &state, hosts).await,
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
