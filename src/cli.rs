//! The command line, parsed once by clap into raw arguments; `config` turns them into a run.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use extractor::zoom::activities::MOST_DAYS;
use run::datasets::WithOption;

/// Know exactly who holds which Zoom license.
#[derive(Debug, Parser)]
#[command(name = "zoom-licenses", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Logging options, shared by every command.
    #[command(flatten)]
    pub log: LogArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract every registered user's license into Parquet, CSV or NDJSON.
    Extract(Box<ExtractArgs>),
    /// Connect a Zoom account with an OAuth app: authorize once in a browser, store the tokens.
    Auth(AuthArgs),
    /// Test Connection: get a token, list one user, and report what an extract would see.
    Check(CheckArgs),
    /// Revoke the stored token at Zoom and delete the token file.
    Revoke(RevokeArgs),
    /// List the licensed seats that can be reclaimed, from a run's outputs (no Zoom call).
    Reclaim(ReclaimArgs),
    /// List what changed between two runs of an account, from their outputs (no Zoom call).
    Changes(ChangesArgs),
    /// Write one day's license report, a self-contained HTML page, from the runs' outputs.
    Report(ReportArgs),
    /// List a master account's sub accounts as JSON (id, name, whether its users can be read).
    Accounts(AccountsArgs),
    /// Write the bundled sample recording (1,000 generated users) into a folder, to try the tool.
    Demo(DemoArgs),
    /// Print a shell completion script: `zoom-licenses completions bash > …`.
    Completions(CompletionsArgs),
    /// Write the man pages (this command's and each subcommand's) into a folder.
    #[command(hide = true)]
    Man(ManArgs),
}

/// `completions` flags.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `man` flags.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The folder to write `zoom-licenses.1` and `zoom-licenses-<command>.1` into.
    #[arg(value_name = "DIR")]
    pub dir: std::path::PathBuf,
}

/// Logging flags.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// More logging on stderr (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only warnings and errors on stderr, and no summary.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log line format on stderr.
    #[arg(
        long,
        value_enum,
        default_value_t = LogFormat::Text,
        env = "ZOOM_LICENSES_LOG_FORMAT",
        global = true
    )]
    pub log_format: LogFormat,
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Fields `--include-fields` can ask Zoom for (never `host_key`: it is a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IncludeField {
    /// The user's custom attributes (`[{key, name, value}]`), as JSON text.
    #[value(name = "custom_attributes")]
    CustomAttributes,
}

/// Whose add-ons `--with addons` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AddonsFor {
    /// Licensed users (plan type 2): the seats that can hold paid add-ons.
    Licensed,
    /// Every user with an id (pending invitations have none).
    All,
}

/// Output formats as the CLI names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Apache Parquet (zstd).
    Parquet,
    /// CSV with a header row.
    Csv,
    /// Newline-delimited JSON.
    Ndjson,
}

impl From<FormatArg> for sinks::Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Parquet => sinks::Format::Parquet,
            FormatArg::Csv => sinks::Format::Csv,
            FormatArg::Ndjson => sinks::Format::Ndjson,
        }
    }
}

/// `extract` flags.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Read pages from a recorded run (a directory with index.json) instead of the Zoom API.
    #[arg(long, value_name = "DIR")]
    pub replay: Option<PathBuf>,
    /// Which account and how to authenticate (live runs).
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Request behaviour (live runs).
    #[command(flatten)]
    pub requests: RequestArgs,
    /// Extract every active account of the --config file, each into OUTPUT_DIR/NAME/.
    #[arg(long, conflicts_with = "account")]
    pub all_accounts: bool,
    /// A master account's app: extract each sub account (GET /accounts), each into OUTPUT_DIR/ID/
    /// or partitions account=ID (scopes account:read:list_sub_accounts:master and
    /// user:read:list_users:master).
    #[arg(long, conflicts_with_all = ["account", "all_accounts", "partition_account"])]
    pub sub_accounts: bool,
    /// A master account's app: extract the one sub account ID (an id `accounts --sub-accounts`
    /// lists), partition account=ID, as one task per sub account of a scheduler does.
    #[arg(long, value_name = "ID", value_parser = account_id,
          conflicts_with_all = ["all_accounts", "sub_accounts", "partition_account", "replay"])]
    pub sub_account: Option<String>,
    /// Record every page received into DIR as a recorded run (replayable with --replay).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// User statuses to list, comma-separated: active, pending, inactive (inactive users are
    /// listed to audit them and land in the rejects as `deactivated`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "active,pending",
        value_name = "LIST"
    )]
    pub statuses: Vec<String>,
    /// Users per page; Zoom documents 2000 as the maximum (300 on older accounts: the run falls
    /// back to 300 once if Zoom refuses, and follows smaller pages if Zoom sends them).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=2000))]
    pub page_size: u32,
    /// Output format [default: the one --output's (or --rejects') extension names: .parquet,
    /// .csv, .ndjson or .jsonl; parquet for stdout and partitions].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Output file, or `-` for stdout [default: out/zoom_users.<format>].
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Rejects file (same format) [default: <output dir>/<output name>_rejects.<format>].
    #[arg(long, value_name = "PATH")]
    pub rejects: Option<PathBuf>,
    /// Manifest file, written last [default: <output dir>/<output name>_manifest.json].
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    /// Write hive-style partitions under DIR instead of single files:
    /// DIR/zoom_users/dt=DATE/account=NAME/part-0.<format>, replaced atomically on re-runs.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["output", "rejects", "manifest"])]
    pub output_dir: Option<PathBuf>,
    /// The partition's date, e.g. Airflow's {{ ds }}, at most tomorrow's (UTC) [default: the UTC
    /// date of extracted_at].
    #[arg(long, value_name = "YYYY-MM-DD", requires = "output_dir", value_parser = run_date)]
    pub partition_date: Option<NaiveDate>,
    /// The partition's account value [default: the --config account name, else the Zoom account
    /// id; when neither is known the run asks for this flag].
    #[arg(long, value_name = "NAME", requires = "output_dir")]
    pub partition_account: Option<String>,
    /// Run id stamped on every row, at most 250 bytes [default: a new UUIDv7].
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Fix `extracted_at` (RFC 3339, on a date up to tomorrow's, UTC), making a replay
    /// byte-for-byte reproducible.
    #[arg(long, value_name = "RFC3339", value_parser = run_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// CSV: keep formula-like cells of the free-text columns (`=`, `+`, `-`, `@`, tab, CR) as they
    /// are.
    #[arg(long)]
    pub csv_raw: bool,
    /// Extra user fields to ask Zoom for (live runs): `custom_attributes` fills the column of that
    /// name, which is null otherwise.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FIELD")]
    pub include_fields: Vec<IncludeField>,
    /// More tables, comma-separated: `activity` reads Zoom's sign-in report (scope
    /// report:read:user_activities:admin) into zoom_signin_events and zoom_user_activity; `addons`
    /// each licensed user's settings (user:read:settings:admin) into zoom_user_addons; `groups`
    /// and `roles` the account's groups and roles by name (group:read:list_groups:admin,
    /// role:read:list_roles:admin) into zoom_groups and zoom_roles; `hosting` Zoom's active-hosts
    /// report (report:read:list_users:admin) into zoom_host_usage.
    #[arg(long = "with", value_enum, value_delimiter = ',', value_name = "LIST")]
    pub with: Vec<WithOption>,
    /// The reports' window (--with activity, --with hosting): days ending on the run's date
    /// (--partition-date when given); Zoom keeps six months [default: 30].
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MOST_DAYS)))]
    pub activity_days: Option<u32>,
    /// Keep the IP address of each sign-in event (personal data a license decision does not need).
    #[arg(long)]
    pub with_ip: bool,
    /// Whose add-ons `--with addons` reads, one request per user [default: licensed].
    #[arg(long, value_enum, value_name = "WHO")]
    pub addons_for: Option<AddonsFor>,
}

/// Which run a derived command reads, and where its table goes.
#[derive(Debug, Args)]
pub struct DerivedOutputArgs {
    /// Output format [default: the one --output's extension names (.parquet, .csv, .ndjson or
    /// .jsonl), else the input run's].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Output file, or `-` for stdout [default: beside the input's license file, named after it;
    /// partitioned input: a partition of the table]; with --output-dir only `-` (one account).
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The partitioned output root the runs were extracted into (and the derived table goes).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// The partitions' account value [default: every account of the date].
    #[arg(long, value_name = "NAME", requires = "output_dir")]
    pub partition_account: Option<String>,
}

impl DerivedOutputArgs {
    /// Where these flags ask a derived table to go.
    pub fn derived(&self) -> run::derived::DerivedOutput {
        run::derived::DerivedOutput {
            format: self.format.map(Into::into),
            output: self.output.clone(),
        }
    }
}

/// `reclaim` flags. `--input` and `--output-dir` with `--partition-date` are two ways to name
/// the run, so neither is required by clap (it would say both are): the command asks for one.
#[derive(Debug, Args)]
#[command(
    override_usage = "zoom-licenses reclaim --input MANIFEST [OPTIONS]\n       \
                            zoom-licenses reclaim --output-dir DIR --partition-date YYYY-MM-DD \
                            [OPTIONS]"
)]
pub struct ReclaimArgs {
    /// The run to read: its manifest (`out/zoom_users_manifest.json`, or a partition's
    /// `_manifest.json`); or give --output-dir with --partition-date.
    #[arg(long, value_name = "MANIFEST", conflicts_with = "output_dir")]
    pub input: Option<PathBuf>,
    /// With --output-dir: the partition date of the run to read.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "output_dir", value_parser = run_date)]
    pub partition_date: Option<NaiveDate>,
    /// Days without a login (or sign-in) after which an active licensed seat is idle.
    #[arg(long, default_value_t = 90, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub idle_days: u32,
    /// Days after which a licensed invitation not yet accepted is a candidate.
    #[arg(long, default_value_t = 30, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub pending_days: u32,
    /// The days without hosting a meeting that make a licensed seat `not_hosting`: must be the
    /// window the run read the hosts report over (extract --with hosting --activity-days N)
    /// [default: that window].
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MOST_DAYS)))]
    pub hosting_days: Option<u32>,
    /// A price list (TOML: `currency`, then `[per_month]` with `licensed` and paid add-ons) that
    /// gives each candidate its `monthly_saving`; without it savings are unknown.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Users never to list, one per line: an email, a Zoom user id or a group name (`#` starts a
    /// comment); counted in the summary as kept.
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,
    /// Where the table goes.
    #[command(flatten)]
    pub out: DerivedOutputArgs,
}

/// `report` flags.
#[derive(Debug, Args)]
#[command(
    override_usage = "zoom-licenses report --input MANIFEST [OPTIONS]\n       \
                            zoom-licenses report --output-dir DIR --partition-date YYYY-MM-DD \
                            [OPTIONS]"
)]
pub struct ReportArgs {
    /// The run to report on: its manifest (`out/zoom_users_manifest.json`, or a partition's
    /// `_manifest.json`); or give --output-dir with --partition-date for every account of a day.
    #[arg(long, value_name = "MANIFEST", conflicts_with = "output_dir")]
    pub input: Option<PathBuf>,
    /// The output root of partitioned runs (`extract --output-dir`).
    #[arg(long, value_name = "DIR", requires = "partition_date")]
    pub output_dir: Option<PathBuf>,
    /// With --output-dir: the day to report on.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "output_dir", value_parser = run_date)]
    pub partition_date: Option<NaiveDate>,
    /// Days of earlier partitions the trend covers.
    #[arg(long, default_value_t = 90, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Where the page goes (`-`: stdout) [default: `DIR/report/dt=D/zoom_licenses_report.html`
    /// for a day of partitions, else `zoom_licenses_report.html` beside the run's manifest].
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// `changes` flags.
#[derive(Debug, Args)]
#[command(
    override_usage = "zoom-licenses changes --from MANIFEST --to MANIFEST [OPTIONS]\n       \
                            zoom-licenses changes --output-dir DIR --to YYYY-MM-DD [--from \
                            YYYY-MM-DD] [OPTIONS]"
)]
pub struct ChangesArgs {
    /// The earlier run: its manifest, or with --output-dir its partition date [default with
    /// --output-dir: the latest date before --to with a partition of the account].
    #[arg(long, value_name = "MANIFEST|DATE", value_parser = manifest_or_run_date)]
    pub from: Option<String>,
    /// The later run: its manifest, or with --output-dir its partition date.
    #[arg(long, value_name = "MANIFEST|DATE", value_parser = manifest_or_run_date)]
    pub to: String,
    /// Where the table goes.
    #[command(flatten)]
    pub out: DerivedOutputArgs,
}

/// Which Zoom account, and how to authenticate.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// A TOML file of accounts (see docs/connect.md, "A file of accounts").
    #[arg(long, env = "ZOOM_LICENSES_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Use the account of this name from the --config file.
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Zoom account id of a Server-to-Server OAuth app; without it, the token file of
    /// `zoom-licenses auth` is used.
    #[arg(long, env = "ZOOM_ACCOUNT_ID", value_parser = non_empty, value_name = "ID")]
    pub account_id: Option<String>,
    /// Client id of the OAuth app.
    #[arg(long, env = "ZOOM_CLIENT_ID", value_parser = non_empty, value_name = "ID")]
    pub client_id: Option<String>,
    /// Client secret of the app; prefer the environment variable (flags show up in `ps`).
    #[arg(
        long,
        env = "ZOOM_CLIENT_SECRET",
        hide_env_values = true,
        value_parser = non_empty,
        value_name = "SECRET"
    )]
    pub client_secret: Option<String>,
    /// Token file of the authorization-code flow [default: ~/.config/zoom-licenses/token.json].
    #[arg(long, env = "ZOOM_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Zoom API base URL; an account entry's `api_url` wins over the environment's ZOOM_API_URL
    /// (a default for every account) [default: https://api.zoom.us/v2; Zoom for Government:
    /// https://api.zoomgov.com/v2].
    #[arg(long, value_parser = non_empty, value_name = "URL")]
    pub api_url: Option<String>,
    /// Zoom OAuth base URL; an account entry's `oauth_url` wins over the environment's
    /// ZOOM_OAUTH_URL [default: https://zoom.us; Zoom for Government: https://zoomgov.com].
    #[arg(long, value_parser = non_empty, value_name = "URL")]
    pub oauth_url: Option<String>,
}

/// How requests behave.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// Most requests per second, for all statuses together, at most 1000 [default: 10; Zoom's
    /// Medium bucket is shared by every app on the account: 20/s on Pro].
    // Bounded in `config`, with an account entry's `max_rps`: one rule for both.
    #[arg(long)]
    pub max_rps: Option<u32>,
    /// Retries of one request (network errors, timeouts, bad bodies, 5xx, 429) before giving up,
    /// at most 20 (retries wait up to 30 s each).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub max_retries: u32,
    /// Timeout of each request, in seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Longest wait Zoom may ask for (its Retry-After, a daily quota reset), in seconds, at most a
    /// day; a longer one fails fast (exit 75).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub max_wait: f64,
    /// Requests per second to Zoom's Heavy endpoints (the reports), which Zoom limits apart,
    /// at most 40: 10/s on Pro, 40/s on Business and up, shared by every app on the account
    /// [default: 2].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=40))]
    pub activity_max_rps: Option<u32>,
    /// First retry delay in milliseconds (at most 10,000); later ones double, with jitter, up to
    /// 30 s.
    #[arg(long, default_value_t = 500, value_name = "MS",
          value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pub retry_min_delay_ms: u64,
}

/// `auth` flags.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// The OAuth app (its account id, if any, is not used here).
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// The redirect URL registered in the app: http://localhost:PORT[/path].
    #[arg(long, env = "ZOOM_REDIRECT_URI", value_parser = non_empty, value_name = "URL")]
    pub redirect_uri: Option<String>,
    /// Print the authorize URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Seconds to wait for the browser's redirect (or a pasted URL).
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait: u64,
}

/// `check` flags.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check every active account of the --config file, one line each; exit 1 when any fails.
    #[arg(long, conflicts_with = "account")]
    pub all_accounts: bool,
    /// Which account and how to authenticate.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Request behaviour.
    #[command(flatten)]
    pub requests: RequestArgs,
}

/// `demo` flags.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The folder to write the recording into (new, or empty).
    #[arg(value_name = "DIR", default_value = "zoom-licenses-sample")]
    pub dir: PathBuf,
}

/// `accounts` flags.
#[derive(Debug, Args)]
pub struct AccountsArgs {
    /// List the master account's sub accounts (GET /accounts), each probed with one page of its
    /// users (GET /accounts/{id}/users); the only listing so far, so required.
    #[arg(long, required = true)]
    pub sub_accounts: bool,
    /// The master account's app and how to authenticate.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Request behaviour.
    #[command(flatten)]
    pub requests: RequestArgs,
}

/// `revoke` flags.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Which account and how to authenticate.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// A value that is not empty: an empty `ZOOM_ACCOUNT_ID=` (a template that rendered nothing) would
/// otherwise choose the kind of app, or be sent to Zoom, as if it were a value.
fn non_empty(value: &str) -> Result<String, String> {
    match value.trim().is_empty() {
        true => Err("it is empty: give a value, or unset the environment variable".into()),
        false => Ok(value.to_string()),
    }
}

/// A sub account id that can name its partition folder.
fn account_id(value: &str) -> Result<String, String> {
    match extractor::zoom::endpoint::is_plain_id(value) {
        true => Ok(value.to_string()),
        false => Err(
            "a Zoom account id is letters, digits, - and _ (as `accounts \
                      --sub-accounts` lists them)"
                .into(),
        ),
    }
}

/// Refuses a run's `date` after the latest a run may carry: tomorrow's in UTC, so that a scheduler
/// east of UTC may name its own day, while a date yet to come (a typo, a template gone wrong) is
/// refused before it names a partition or stamps every row. One bound and one message for `--as-of`
/// and every date flag.
fn not_in_future(date: NaiveDate) -> Result<(), String> {
    let latest = (Utc::now() + chrono::Days::new(1)).date_naive();
    match date > latest {
        true => Err(format!(
            "{date} is in the future: a run is dated at most one day after today (UTC), so up to \
             {latest}"
        )),
        false => Ok(()),
    }
}

/// A run's date (`--partition-date`): YYYY-MM-DD, not in the future.
fn run_date(text: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| format!("not a date like 2026-11-28 ({e})"))?;
    not_in_future(date).map(|()| date)
}

/// A run's time (`--as-of`): RFC 3339, on a date (UTC) not in the future.
fn run_time(text: &str) -> Result<DateTime<Utc>, String> {
    let time = DateTime::parse_from_rfc3339(text)
        .map_err(|e| {
            format!("not an RFC 3339 timestamp ({e}); write it like 2026-11-28T00:00:00Z")
        })?
        .with_timezone(&Utc);
    not_in_future(time.date_naive()).map(|()| time)
}

/// `changes --from`/`--to`: a manifest's path, or a partition date, which is held to the bound of
/// every run date.
fn manifest_or_run_date(text: &str) -> Result<String, String> {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => not_in_future(date).map(|()| text.to_string()),
        Err(_) => Ok(text.to_string()),
    }
}
