//! The account the mock serves: its users and credentials, and how its endpoints misbehave.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::generate::generated_feature;

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
    /// Sub accounts whose users' requests are answered HTTP 503 (Zoom unavailable for a while).
    pub sub_accounts_unavailable: Vec<String>,
    /// Whether `GET /accounts` answers, after its first page, empty pages that each name a fresh
    /// next page, without end (a server that would keep a client listing for ever).
    pub sub_accounts_endless: bool,
    /// `GET /groups` answers' groups (`{id, name, total_members}`), in order.
    pub groups: Vec<Value>,
    /// Whether `GET /groups` answers `groups` in one body without any paging member, as Zoom did
    /// before it paged groups (`{"groups": […]}`).
    pub groups_unpaged: bool,
    /// `GET /roles`'s roles (`{id, name, description, total_members}`).
    pub roles: Vec<Value>,
    /// `GET /report/activities` events (`activity_logs` entries), newest first as Zoom lists them.
    pub activity: Vec<Value>,
    /// Events served in the first range asked for, whatever their dates: a report that dates
    /// events wrongly (1970, 2999).
    pub activity_misdated: Vec<Value>,
    /// Meetings hosted (`{host_id, date, participants, minutes}`, and `host_email` for a host the
    /// account no longer lists), summed per host and range by `GET /report/users`.
    pub meetings: Vec<Value>,
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
    /// The report range starting on this date (`from`) answers each page after this delay, the
    /// others at once: concurrent sweeps whose pages arrive interleaved.
    pub activity_slow_from: Option<(String, Duration)>,
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
            sub_accounts_unavailable: Vec::new(),
            sub_accounts_endless: false,
            settings_gone: Vec::new(),
            settings_quota: None,
            groups: vec![
                json!({"id": "g-Sales4x7Q", "name": "Sales", "total_members": 2}),
                json!({"id": "-gEngR2d2", "name": "Engineering", "total_members": 1}),
            ],
            groups_unpaged: false,
            roles: vec![
                json!({"id": "0", "name": "Owner", "description": "Account owner", "total_members": 1}),
                json!({"id": "1", "name": "Admin", "description": "Account admin", "total_members": 0}),
                json!({"id": "2", "name": "Member", "description": "Account member", "total_members": 3}),
            ],
            activity: Vec::new(),
            activity_misdated: Vec::new(),
            meetings: Vec::new(),
            reports_allowed: true,
            today: "2026-12-01".into(),
            activity_throttled: Vec::new(),
            activity_quota_spent: false,
            activity_slow_from: None,
            settings_bare_404: Vec::new(),
        }
    }
}
