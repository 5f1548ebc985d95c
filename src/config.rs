//! Validates raw `extract` arguments into the settings of one run.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use extractor::auth::token_store::{StoredToken, TokenStoreError};
use extractor::http::base_url;
use extractor::{AuthCodeApp, ClientConfig, Credentials, Secret, ServerToServer, UserStatus};
use reqwest::Url;
use sinks::{Destination, Format};

use crate::accounts::AccountEntry;
use run::config::{
    DEFAULT_DIR, DEFAULT_STEM, ExtractConfig, LONGEST_RUN_ID, LiveConfig, PartitionConfig,
    SourceConfig, beside, check_record_dir, output_format,
};
use run::datasets::WithOption;
use run::exit::Failure;

use crate::cli::{AddonsFor, ConnectArgs, ExtractArgs, IncludeField, RequestArgs};

/// The window of a live run's reports (`--with activity`, `--with hosting`): its last day and its
/// length. It ends on the run's date (`--partition-date` when given, so a backfill reads its own
/// days) and must lie within the six months Zoom keeps, ending no later than the run's date.
fn report_window(
    args: &ExtractArgs,
    now: DateTime<Utc>,
) -> Result<Option<(NaiveDate, u32)>, Failure> {
    if args.with_ip && !args.with.contains(&WithOption::Activity) {
        return Err(Failure::usage(
            "--with-ip is about the sign-in report: add --with activity, or leave --with-ip out",
        ));
    }
    if !args
        .with
        .iter()
        .any(|w| matches!(w, WithOption::Activity | WithOption::Hosting))
    {
        let given = [
            args.activity_days.map(|_| "--activity-days"),
            args.requests.activity_max_rps.map(|_| "--activity-max-rps"),
        ];
        return match given.into_iter().flatten().next() {
            Some(flag) => Err(Failure::usage(format!(
                "{flag} is about the sign-in report and the active-hosts report: add --with \
                 activity or --with hosting, or leave {flag} out"
            ))),
            None => Ok(None),
        };
    }
    let days = args.activity_days.unwrap_or(DEFAULT_ACTIVITY_DAYS);
    // The run's own date (`--as-of` fixes it, as for every row), so a rerun checks the same way.
    let today = args.as_of.unwrap_or(now).date_naive();
    let last = args.partition_date.unwrap_or(today);
    let first = last - chrono::Days::new(u64::from(days) - 1);
    let oldest = today
        .checked_sub_months(chrono::Months::new(6))
        .unwrap_or(today);
    if last > today {
        return Err(Failure::usage(format!(
            "the report window would end on {last}, after today ({today}): Zoom has no report of \
             days to come; give a --partition-date (or --as-of) up to today"
        )));
    }
    if first < oldest {
        return Err(Failure::usage(format!(
            "the report window {first} to {last} starts before {oldest}: Zoom keeps six months of \
             the report; lower --activity-days, or give a later --partition-date"
        )));
    }
    Ok(Some((last, days)))
}

/// Requests per second to the report when `--activity-max-rps` is not given: well under Zoom's
/// Heavy limit (10/s on Pro), which every app on the account shares.
pub const DEFAULT_ACTIVITY_MAX_RPS: u32 = 2;

/// The sign-in window's length when `--activity-days` is not given.
pub const DEFAULT_ACTIVITY_DAYS: u32 = 30;

/// The date a flag gives, like 2026-11-28.
pub fn parse_date(flag: &str, text: &str) -> Result<NaiveDate, Failure> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| {
        Failure::usage(format!(
            "{flag} \"{text}\" is not a date like 2026-11-28 ({e})"
        ))
    })
}

/// The most requests per second a run may allow itself (`--max-rps`, or an account's `max_rps`).
pub const MOST_RPS: u32 = 1000;

/// Checks the arguments; `now` is the run's start time. With `entry` (an account of the
/// --config file) and `per_account`, outputs and recordings go into a folder named after it.
pub fn extract_config(
    args: &ExtractArgs,
    entry: Option<&AccountEntry>,
    per_account: bool,
    now: DateTime<Utc>,
) -> Result<ExtractConfig, Failure> {
    let sub = |path: &Path| match (per_account, entry) {
        (true, Some(e)) => path.join(&e.name),
        _ => path.to_path_buf(),
    };
    let source = match &args.replay {
        Some(dir) => {
            refuse_with_replay(args)?;
            SourceConfig::Replay(dir.clone())
        }
        None => live_config(args, entry, &sub, now)?,
    };
    let (format, output, rejects, manifest) = destinations(args, per_account, &sub)?;
    let extracted_at = args.as_of.unwrap_or(now);
    Ok(ExtractConfig {
        source,
        format,
        output,
        rejects,
        manifest,
        run_id: run_id(args)?,
        extracted_at,
        started_at: now,
        csv_raw: args.csv_raw,
        with_ip: args.with_ip,
        partition: partition_config(args, entry, extracted_at)?,
    })
}

/// Refuses the flags that choose what a live run asks Zoom for: a replay reads what was recorded.
fn refuse_with_replay(args: &ExtractArgs) -> Result<(), Failure> {
    let why = if args.record.is_some() {
        "--record saves pages of a live run; it cannot be combined with --replay"
    } else if !args.include_fields.is_empty() {
        "--include-fields asks Zoom for more fields; a replay reads what was recorded \
         (record with --include-fields to have them)"
    } else if args.addons_for.is_some() {
        "--addons-for chooses what a live run asks Zoom for; a replay reads the settings the \
         recording holds"
    } else if args.activity_days.is_some() {
        "--activity-days chooses what a live run asks Zoom for; a replay reads the days the \
         recording holds"
    } else if !args.with.is_empty() {
        "--with chooses what a live run asks Zoom for; a replay reads what the recording \
         holds (sign-in events included, when it has them)"
    } else if args.statuses != ["active", "pending"] {
        "--statuses chooses what a live run asks Zoom for; a replay reads every status the \
         recording holds"
    } else {
        return Ok(());
    };
    Err(Failure::usage(why))
}

/// A live run's settings; `sub` puts a path into the account's folder (`--all-accounts`).
fn live_config(
    args: &ExtractArgs,
    entry: Option<&AccountEntry>,
    sub: &dyn Fn(&Path) -> PathBuf,
    now: DateTime<Utc>,
) -> Result<SourceConfig, Failure> {
    let connection = connection(&args.connect, args.requests.max_rps, entry)?;
    let record = args.record.as_deref().map(sub);
    check_record_dir(&record)?;
    Ok(SourceConfig::Live(Box::new(LiveConfig {
        client: client_config(&connection, &args.requests)?,
        statuses: parse_statuses(&args.statuses)?,
        page_size: args.page_size,
        record,
        account_name: entry.map(|e| e.name.clone()),
        custom_attributes: args
            .include_fields
            .contains(&IncludeField::CustomAttributes),
        report_window: report_window(args, now)?,
        with: args.with.clone(),
        addons_for_all: match (args.with.contains(&WithOption::Addons), args.addons_for) {
            (false, Some(_)) => {
                return Err(Failure::usage(
                    "--addons-for chooses whose add-ons --with addons reads: add --with addons, or \
                     leave --addons-for out",
                ));
            }
            (_, who) => who == Some(AddonsFor::All),
        },
        sub_account: None,
    })))
}

/// The format and the destinations of the license table, the rejects and the manifest.
fn destinations(
    args: &ExtractArgs,
    per_account: bool,
    sub: &dyn Fn(&Path) -> PathBuf,
) -> Result<(Format, Destination, Destination, PathBuf), Failure> {
    let outputs = [
        ("--output", args.output.as_deref()),
        ("--rejects", args.rejects.as_deref()),
    ];
    let format = output_format(args.format.map(Format::from), &outputs)?.unwrap_or(Format::Parquet);
    let ext = format.extension();
    // A given path, in the account's folder.
    let in_sub =
        |p: &Path| sub(p.parent().unwrap_or(Path::new(""))).join(p.file_name().unwrap_or_default());
    let output = match &args.output {
        Some(p) if p.as_os_str() == "-" && per_account => {
            return Err(Failure::usage(
                "--all-accounts writes one output per account: give --output a file path, not -",
            ));
        }
        Some(p) if p.as_os_str() == "-" => Destination::Stdout,
        Some(p) => Destination::File(in_sub(p)),
        None => {
            Destination::File(sub(Path::new(DEFAULT_DIR)).join(format!("{DEFAULT_STEM}.{ext}")))
        }
    };
    let rejects = match &args.rejects {
        Some(p) if p.as_os_str() == "-" && !per_account => Destination::Stdout,
        Some(p) => Destination::File(in_sub(p)),
        None => Destination::File(beside(&output, &format!("_rejects.{ext}"))),
    };
    let manifest = match &args.manifest {
        Some(p) if p.as_os_str() == "-" => {
            return Err(Failure::usage(
                "--manifest must be a file path (it is written last, atomically); its path is \
                 printed on stdout when stdout carries no data",
            ));
        }
        Some(p) => in_sub(p),
        None => beside(&output, "_manifest.json"),
    };
    if output == rejects {
        return Err(Failure::usage(format!(
            "--output and --rejects both point at {}; give them different paths",
            output.display_name()
        )));
    }
    if [&output, &rejects].contains(&&Destination::File(manifest.clone())) {
        return Err(Failure::usage(format!(
            "--manifest {} is also a data output; give it its own path",
            manifest.display()
        )));
    }
    // Partitioned runs write under --output-dir instead (staged, then swapped in).
    let files = [&output, &rejects, &Destination::File(manifest.clone())];
    for path in files.into_iter().filter_map(Destination::file) {
        if args.output_dir.is_none() {
            sinks::output::check_replaceable(path).map_err(Failure::usage)?;
        }
    }
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    if format == Format::Parquet && output == Destination::Stdout && terminal {
        return Err(Failure::usage(
            "refusing to write binary Parquet to a terminal: redirect stdout, or use --format \
             ndjson or csv",
        ));
    }
    Ok((format, output, rejects, manifest))
}

/// The partition a run with `--output-dir` writes; flags that need one are refused without it.
fn partition_config(
    args: &ExtractArgs,
    entry: Option<&AccountEntry>,
    extracted_at: DateTime<Utc>,
) -> Result<Option<PartitionConfig>, Failure> {
    let Some(root) = &args.output_dir else {
        // clap's `requires` lets these through when --output (which conflicts with
        // --output-dir) is given: checked here, for every flag that needs partitions.
        let given = [
            args.partition_date.map(|_| "--partition-date"),
            args.partition_account
                .as_ref()
                .map(|_| "--partition-account"),
        ];
        return match given.into_iter().flatten().next() {
            Some(flag) => Err(Failure::usage(format!(
                "{flag} works on partitions: give --output-dir DIR (instead of --output)"
            ))),
            None => Ok(None),
        };
    };
    let account = match (&args.partition_account, entry) {
        (Some(name), _) if !sinks::partition::is_folder_name(name) => {
            return Err(Failure::usage(format!(
                "--partition-account \"{name}\" must be letters, digits, `-`, `_` or `.` (it \
                 names a folder)"
            )));
        }
        (Some(name), _) => Some(name.clone()),
        (None, entry) => entry.map(|e| e.name.clone()),
    };
    Ok(Some(PartitionConfig {
        root: root.clone(),
        date: args.partition_date.unwrap_or(extracted_at.date_naive()),
        account,
    }))
}

/// The run id: `--run-id`, checked, else a new UUIDv7.
fn run_id(args: &ExtractArgs) -> Result<String, Failure> {
    match args.run_id.clone() {
        Some(id) if id.trim().is_empty() => Err(Failure::usage("--run-id must not be empty")),
        // It is stamped on every row: a megabyte of it would be a terabyte of column.
        Some(id) if id.len() > LONGEST_RUN_ID => Err(Failure::usage(format!(
            "--run-id is {} bytes long; give at most {LONGEST_RUN_ID}",
            id.len()
        ))),
        Some(id) => Ok(id),
        None => Ok(uuid::Uuid::now_v7().to_string()),
    }
}

/// A resolved connection to one Zoom account.
#[derive(Debug, Clone)]
pub struct Connection {
    /// How to authenticate.
    pub credentials: Credentials,
    /// API base URL.
    pub api_url: Url,
    /// OAuth base URL.
    pub oauth_url: Url,
    /// Requests per second.
    pub max_rps: NonZeroU32,
}

/// The default requests per second: half of Zoom's Medium bucket on Pro, which every app shares.
pub const DEFAULT_MAX_RPS: u32 = 10;

/// Resolves which account and credentials to use: flags, then environment (clap merges those two),
/// then the --config entry, then defaults.
pub fn connection(
    args: &ConnectArgs,
    max_rps: Option<u32>,
    entry: Option<&AccountEntry>,
) -> Result<Connection, Failure> {
    let api_url = base_url(
        ("--api-url", args.api_url.as_ref()),
        ("api_url", entry.and_then(|e| e.api_url.as_ref())),
        "ZOOM_API_URL",
        base_url::DEFAULT_API_URL,
        entry,
    )?;
    let oauth_url = oauth_url(args, entry)?;
    let max_rps = max_rps
        .or_else(|| entry.and_then(|e| e.max_rps))
        .unwrap_or(DEFAULT_MAX_RPS);
    let max_rps = NonZeroU32::new(max_rps)
        .filter(|n| n.get() <= MOST_RPS)
        .ok_or_else(|| {
            Failure::usage(format!(
                "max_rps must be from 1 to {MOST_RPS} (--max-rps, or max_rps of the account entry)"
            ))
        })?;
    let credentials = match entry {
        Some(entry) => entry_credentials(entry, &oauth_url)?,
        None => flag_credentials(args, &oauth_url)?,
    };
    Ok(Connection {
        credentials,
        api_url,
        oauth_url,
        max_rps,
    })
}

/// The OAuth base URL: the flag, else the accounts entry's, else ZOOM_OAUTH_URL, else Zoom's.
pub fn oauth_url(args: &ConnectArgs, entry: Option<&AccountEntry>) -> Result<Url, Failure> {
    base_url(
        ("--oauth-url", args.oauth_url.as_ref()),
        ("oauth_url", entry.and_then(|e| e.oauth_url.as_ref())),
        "ZOOM_OAUTH_URL",
        base_url::DEFAULT_OAUTH_URL,
        entry,
    )
}

/// A base URL: the flag's, else the account entry's own (a setting of that account), else the
/// environment's `variable` (a default for every account), else Zoom's `default`; the one used is
/// checked and named as its source. An entry's setting that hides a different, valid one in the
/// environment is warned about (only checked URLs are logged: one may not carry credentials).
fn base_url(
    (flag, given): (&str, Option<&String>),
    (key, entry_url): (&str, Option<&String>),
    variable: &str,
    default: &str,
    entry: Option<&AccountEntry>,
) -> Result<Url, Failure> {
    let from_env = std::env::var(variable).ok();
    let entry_key = entry.map(|e| format!("{key} of [[account]] `{}`", e.name));
    let (source, text) = match (given, entry_url, &from_env) {
        (Some(url), ..) => (flag.to_string(), url.as_str()),
        (None, Some(url), _) => (entry_key.clone().unwrap_or_default(), url.as_str()),
        (None, None, Some(url)) if url.trim().is_empty() => {
            return Err(Failure::usage(format!(
                "{variable} is empty: give a value, or unset the environment variable"
            )));
        }
        (None, None, Some(url)) => (variable.to_string(), url.as_str()),
        (None, None, None) => (flag.to_string(), default),
    };
    let url = base_url::parse_base_url(&source, text).map_err(Failure::usage)?;
    let hidden = from_env
        .as_deref()
        .map(|env| base_url::parse_base_url(variable, env));
    if let (Some(Ok(env)), Some(_), Some(entry), None) = (hidden, entry_url, entry, given)
        && env != url
    {
        tracing::warn!(
            message = "The account's own setting wins over the environment's.",
            account = %entry.name,
            setting = key,
            used = %url,
            ignored = %format!("{variable}={env}")
        );
    }
    Ok(url)
}

fn entry_credentials(entry: &AccountEntry, oauth_url: &Url) -> Result<Credentials, Failure> {
    let client_secret = entry.secret()?;
    Ok(match &entry.account_id {
        Some(account_id) => Credentials::ServerToServer(ServerToServer {
            account_id: account_id.clone(),
            client_id: entry.client_id.clone(),
            client_secret,
            names: entry.credential_names(),
        }),
        None => Credentials::AuthorizationCode {
            app: AuthCodeApp {
                oauth_url: oauth_url.clone(),
                client_id: entry.client_id.clone(),
                client_secret,
                redirect_uri: entry.redirect_uri.clone(),
                names: entry.credential_names(),
            },
            token_file: token_file_or_default(&entry.token_file)?,
        },
    })
}

/// The token file path: the flag or variable, else the default under the config directory.
pub fn token_file_or_default(flag: &Option<PathBuf>) -> Result<PathBuf, Failure> {
    match flag {
        Some(path) => Ok(path.clone()),
        None => extractor::auth::token_store::default_token_file().ok_or_else(|| {
            Failure::usage("cannot tell where the token file goes (no HOME): pass --token-file")
        }),
    }
}

fn flag_credentials(args: &ConnectArgs, oauth_url: &Url) -> Result<Credentials, Failure> {
    if let Some(account_id) = &args.account_id {
        let missing = match (&args.client_id, &args.client_secret) {
            (Some(client_id), Some(client_secret)) => {
                return Ok(Credentials::ServerToServer(ServerToServer {
                    account_id: account_id.clone(),
                    client_id: client_id.clone(),
                    client_secret: Secret::new(client_secret.clone()),
                    names: Default::default(),
                }));
            }
            (None, None) => "ZOOM_CLIENT_ID (--client-id) and ZOOM_CLIENT_SECRET (--client-secret)",
            (None, Some(_)) => "ZOOM_CLIENT_ID (--client-id)",
            (Some(_), None) => "ZOOM_CLIENT_SECRET (--client-secret)",
        };
        return Err(Failure::usage(format!(
            "ZOOM_ACCOUNT_ID is set, so this is a Server-to-Server OAuth app: set {missing} too"
        )));
    }
    let token_file = token_file_or_default(&args.token_file)?;
    let stored = match StoredToken::load(&token_file) {
        Ok(stored) => stored,
        Err(TokenStoreError::Missing(_)) if args.config.is_some() => {
            return Err(Failure::usage(
                "--config names a file of accounts: choose one with --account NAME (or, for \
                 extract, all active ones with --all-accounts)",
            ));
        }
        Err(TokenStoreError::Missing(path)) => {
            return Err(Failure::usage(format!(
                "no Zoom credentials: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET for \
                 a Server-to-Server OAuth app, or run `zoom-licenses auth` to connect an OAuth app \
                 (no token file at {}), or pass --replay DIR",
                path.display()
            )));
        }
        Err(e) => return Err(Failure::usage(e)),
    };
    let Some(client_secret) = args.client_secret.clone() else {
        return Err(Failure::usage(format!(
            "ZOOM_CLIENT_SECRET (--client-secret) is needed to renew the tokens in {}",
            token_file.display()
        )));
    };
    Ok(Credentials::AuthorizationCode {
        app: AuthCodeApp {
            oauth_url: oauth_url.clone(),
            names: match &args.client_id {
                Some(_) => Default::default(),
                None => extractor::auth::token::CredentialNames {
                    client_id: format!("the client id stored in {}", token_file.display()),
                    ..Default::default()
                },
            },
            client_id: args.client_id.clone().unwrap_or(stored.client_id),
            client_secret: Secret::new(client_secret),
            redirect_uri: None,
        },
        token_file,
    })
}

/// The client settings for a connection.
pub fn client_config(
    connection: &Connection,
    requests: &RequestArgs,
) -> Result<ClientConfig, Failure> {
    let (timeout, max_wait) = (requests.timeout, requests.max_wait);
    // A timeout of 0 would fail every request.
    if !(timeout > 0.0 && timeout <= 600.0) {
        return Err(Failure::usage(format!(
            "--timeout must be a number of seconds more than 0 and at most 600, not {timeout}"
        )));
    }
    // Bounded so that no setting can make a run wait for days (or overflow a duration).
    if !(0.0..=86_400.0).contains(&max_wait) {
        return Err(Failure::usage(format!(
            "--max-wait must be a number of seconds from 0 to 86400, not {max_wait}"
        )));
    }
    let heavy_max_rps = requests
        .activity_max_rps
        .unwrap_or(DEFAULT_ACTIVITY_MAX_RPS);
    Ok(ClientConfig {
        api_url: connection.api_url.clone(),
        oauth_url: connection.oauth_url.clone(),
        credentials: connection.credentials.clone(),
        max_rps: connection.max_rps,
        // clap holds --activity-max-rps to 1..=40.
        heavy_max_rps: NonZeroU32::new(heavy_max_rps).unwrap_or(NonZeroU32::MIN),
        max_retries: requests.max_retries as usize,
        timeout: Duration::from_secs_f64(timeout),
        retry_min_delay: Duration::from_millis(requests.retry_min_delay_ms),
        max_wait: Duration::from_secs_f64(max_wait),
    })
}

fn parse_statuses(statuses: &[String]) -> Result<Vec<UserStatus>, Failure> {
    let mut parsed: Vec<UserStatus> = Vec::new();
    // clap gives at least one value, and an empty one does not parse.
    for status in statuses {
        let status =
            (status.trim().parse()).map_err(|e| Failure::usage(format!("--statuses: {e}")))?;
        if !parsed.contains(&status) {
            parsed.push(status);
        }
    }
    Ok(parsed)
}
