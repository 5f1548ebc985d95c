//! Validates raw `extract` arguments into the settings of one run.

use std::path::{Path, PathBuf};

use std::num::NonZeroU32;
use std::time::Duration;

use chrono::{DateTime, Utc};
use extractor::auth::token_store::{StoredToken, TokenStoreError};
use extractor::{AuthCodeApp, ClientConfig, Credentials, Secret, ServerToServer, UserStatus};
use sinks::{Destination, Format};

use crate::accounts::AccountEntry;
use run::config::{
    DEFAULT_DIR, DEFAULT_STEM, ExtractConfig, LONGEST_RUN_ID, LiveConfig, PartitionConfig,
    SourceConfig, check_record_dir, output_dir_and_stem, output_format,
};
use run::datasets::WithOption;
use run::exit::Failure;

use crate::cli::{AddonsFor, ConnectArgs, ExtractArgs, IncludeField, RequestArgs};

/// The sign-in report's window of a live run (`--with activity`): its last day and its length.
/// It ends on the run's date (`--partition-date` when given, so a backfill reads its own days) and
/// must lie within the six months Zoom keeps, ending no later than the run's date.
fn activity_window(
    args: &ExtractArgs,
    now: DateTime<Utc>,
) -> Result<Option<(chrono::NaiveDate, u32)>, Failure> {
    if !args.with.contains(&WithOption::Activity) {
        let needs = [
            (args.with_ip, "--with-ip"),
            (args.activity_days.is_some(), "--activity-days"),
            (
                args.requests.activity_max_rps.is_some(),
                "--activity-max-rps",
            ),
        ];
        if let Some((_, flag)) = needs.iter().find(|(given, _)| *given) {
            return Err(Failure::usage(format!(
                "{flag} is about the sign-in report: add --with activity, or leave {flag} out"
            )));
        }
        return Ok(None);
    }
    let days = args.activity_days.unwrap_or(DEFAULT_ACTIVITY_DAYS);
    let at = extracted_at(args, now);
    let last = partition_date(args, at);
    // The run's own date (`--as-of` fixes it, as for every row), so a rerun checks the same way.
    let today = at.date_naive();
    let first = last - chrono::Days::new(u64::from(days) - 1);
    let oldest = today
        .checked_sub_months(chrono::Months::new(6))
        .unwrap_or(today);
    if last > today {
        return Err(Failure::usage(format!(
            "the sign-in window would end on {last}, after today ({today}): Zoom has no report of \
             days to come; give a --partition-date (or --as-of) up to today"
        )));
    }
    if first < oldest {
        return Err(Failure::usage(format!(
            "the sign-in window {first} to {last} starts before {oldest}: Zoom keeps six months of \
             the report; lower --activity-days, or give a later --partition-date"
        )));
    }
    Ok(Some((last, days)))
}

/// Requests per second to the report when `--activity-max-rps` is not given: well under Zoom's
/// Heavy limit (10/s on Pro), which every app on the account shares.
pub const DEFAULT_ACTIVITY_MAX_RPS: u32 = 2;

/// Whose add-ons a run reads; `--addons-for` without `--with addons` is refused.
fn addons_for(args: &ExtractArgs) -> Result<AddonsFor, Failure> {
    match (args.with.contains(&WithOption::Addons), args.addons_for) {
        (false, Some(_)) => Err(Failure::usage(
            "--addons-for chooses whose add-ons --with addons reads: add --with addons, or leave \
             --addons-for out",
        )),
        (_, who) => Ok(who.unwrap_or(AddonsFor::Licensed)),
    }
}

/// The sign-in window's length when `--activity-days` is not given.
pub const DEFAULT_ACTIVITY_DAYS: u32 = 30;

/// `extracted_at`: `--as-of` when given, else the run's start.
pub fn extracted_at(args: &ExtractArgs, now: DateTime<Utc>) -> DateTime<Utc> {
    args.as_of.unwrap_or(now)
}

/// The `dt=` of a partitioned run: `--partition-date`, else the UTC date of `extracted_at`.
pub fn partition_date(args: &ExtractArgs, extracted_at: DateTime<Utc>) -> chrono::NaiveDate {
    args.partition_date
        .unwrap_or_else(|| extracted_at.date_naive())
}

/// The date a flag gives, like 2026-11-28.
pub fn parse_date(flag: &str, text: &str) -> Result<chrono::NaiveDate, Failure> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| {
        Failure::usage(format!(
            "{flag} \"{text}\" is not a date like 2026-11-28 ({e})"
        ))
    })
}

/// The most requests per second a run may allow itself (`--max-rps`, or an account's `max_rps`).
pub const MOST_RPS: u32 = 1000;

/// Checks a partition value: it becomes a folder name.
fn partition_value(flag: &str, value: &str) -> Result<String, Failure> {
    if sinks::partition::is_folder_name(value) {
        Ok(value.to_string())
    } else {
        Err(Failure::usage(format!(
            "{flag} \"{value}\" must be letters, digits, `-`, `_` or `.` (it names a folder)"
        )))
    }
}

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
    let extracted_at = extracted_at(args, now);
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
    let refusals = [
        (
            args.record.is_some(),
            "--record saves pages of a live run; it cannot be combined with --replay",
        ),
        (
            !args.include_fields.is_empty(),
            "--include-fields asks Zoom for more fields; a replay reads what was recorded \
             (record with --include-fields to have them)",
        ),
        (
            args.addons_for.is_some(),
            "--addons-for chooses what a live run asks Zoom for; a replay reads the settings the \
             recording holds",
        ),
        (
            args.activity_days.is_some(),
            "--activity-days chooses what a live run asks Zoom for; a replay reads the days the \
             recording holds",
        ),
        (
            !args.with.is_empty(),
            "--with chooses what a live run asks Zoom for; a replay reads what the recording \
             holds (sign-in events included, when it has them)",
        ),
        (
            args.statuses != ["active", "pending"],
            "--statuses chooses what a live run asks Zoom for; a replay reads every status the \
             recording holds",
        ),
    ];
    match refusals.into_iter().find(|(given, _)| *given) {
        Some((_, why)) => Err(Failure::usage(why)),
        None => Ok(()),
    }
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
        account_name: connection.name,
        custom_attributes: args
            .include_fields
            .contains(&IncludeField::CustomAttributes),
        activity: activity_window(args, now)?,
        with: args.with.clone(),
        addons_for_all: addons_for(args)? == AddonsFor::All,
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
    let output = match &args.output {
        Some(p) if p.as_os_str() == "-" => {
            if per_account {
                return Err(Failure::usage(
                    "--all-accounts writes one output per account: give --output a file path, not -",
                ));
            }
            Destination::Stdout
        }
        Some(p) => Destination::File(match (p.parent(), p.file_name()) {
            (Some(dir), Some(name)) => sub(dir).join(name),
            _ => p.clone(),
        }),
        None => {
            Destination::File(sub(Path::new(DEFAULT_DIR)).join(format!("{DEFAULT_STEM}.{ext}")))
        }
    };
    let (dir, stem) = output_dir_and_stem(&output);
    let rejects = match &args.rejects {
        Some(p) if p.as_os_str() == "-" && !per_account => Destination::Stdout,
        Some(p) => Destination::File(
            sub(p.parent().unwrap_or(Path::new(""))).join(p.file_name().unwrap_or_default()),
        ),
        None => Destination::File(dir.join(format!("{stem}_rejects.{ext}"))),
    };
    let manifest = match &args.manifest {
        Some(p) if p.as_os_str() == "-" => {
            return Err(Failure::usage(
                "--manifest must be a file path (it is written last, atomically); its path is \
                 printed on stdout when stdout carries no data",
            ));
        }
        Some(p) => sub(p.parent().unwrap_or(Path::new(""))).join(p.file_name().unwrap_or_default()),
        None => dir.join(format!("{stem}_manifest.json")),
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
    if format == Format::Parquet && output == Destination::Stdout {
        use std::io::IsTerminal;
        if std::io::stdout().is_terminal() {
            return Err(Failure::usage(
                "refusing to write binary Parquet to a terminal: redirect stdout, or use \
                 --format ndjson or csv",
            ));
        }
    }
    Ok((format, output, rejects, manifest))
}

/// The partition a run with `--output-dir` writes; flags that need one are refused without it.
fn partition_config(
    args: &ExtractArgs,
    entry: Option<&AccountEntry>,
    extracted_at: DateTime<Utc>,
) -> Result<Option<PartitionConfig>, Failure> {
    Ok(match &args.output_dir {
        None => {
            // clap's `requires` lets these through when --output (which conflicts with
            // --output-dir) is given: checked here, for every flag that needs partitions.
            let needs_partitions = [
                ("--partition-date", args.partition_date.is_some()),
                ("--partition-account", args.partition_account.is_some()),
            ];
            if let Some((flag, _)) = needs_partitions.iter().find(|(_, given)| *given) {
                return Err(Failure::usage(format!(
                    "{flag} works on partitions: give --output-dir DIR (instead of --output)"
                )));
            }
            None
        }
        Some(root) => {
            let date = partition_date(args, extracted_at);
            let account = match (&args.partition_account, entry) {
                (Some(name), _) => Some(partition_value("--partition-account", name)?),
                (None, Some(entry)) => Some(entry.name.clone()),
                (None, None) => None,
            };
            Some(PartitionConfig {
                root: root.clone(),
                date,
                account,
            })
        }
    })
}

/// The run id: `--run-id`, checked, else a new UUIDv7.
fn run_id(args: &ExtractArgs) -> Result<String, Failure> {
    Ok(match args.run_id.clone() {
        Some(id) if id.trim().is_empty() => {
            return Err(Failure::usage("--run-id must not be empty"));
        }
        // It is stamped on every row: a megabyte of it would be a terabyte of column.
        Some(id) if id.len() > LONGEST_RUN_ID => {
            return Err(Failure::usage(format!(
                "--run-id is {} bytes long; give at most {LONGEST_RUN_ID}",
                id.len()
            )));
        }
        Some(id) => id,
        None => uuid::Uuid::now_v7().to_string(),
    })
}

/// A resolved connection to one Zoom account.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The account's name in the --config file, if it came from there.
    pub name: Option<String>,
    /// How to authenticate.
    pub credentials: Credentials,
    /// API base URL.
    pub api_url: reqwest::Url,
    /// OAuth base URL.
    pub oauth_url: reqwest::Url,
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
    let api_url = args
        .api_url
        .clone()
        .or_else(|| entry.and_then(|e| e.api_url.clone()))
        .unwrap_or_else(|| extractor::http::base_url::DEFAULT_API_URL.into());
    let oauth_url = args
        .oauth_url
        .clone()
        .or_else(|| entry.and_then(|e| e.oauth_url.clone()))
        .unwrap_or_else(|| extractor::http::base_url::DEFAULT_OAUTH_URL.into());
    let api_url =
        extractor::http::base_url::parse_base_url("--api-url", &api_url).map_err(Failure::usage)?;
    let oauth_url = extractor::http::base_url::parse_base_url("--oauth-url", &oauth_url)
        .map_err(Failure::usage)?;
    let max_rps = max_rps
        .or_else(|| entry.and_then(|e| e.max_rps))
        .unwrap_or(DEFAULT_MAX_RPS);
    let max_rps = NonZeroU32::new(max_rps)
        .filter(|n| n.get() <= MOST_RPS)
        .ok_or_else(|| {
            Failure::usage(format!(
                "max_rps must be from 1 to {} (--max-rps, or max_rps of the account entry)",
                MOST_RPS
            ))
        })?;
    let credentials = match entry {
        Some(entry) => entry_credentials(entry, &oauth_url)?,
        None => flag_credentials(args, &oauth_url)?,
    };
    Ok(Connection {
        name: entry.map(|e| e.name.clone()),
        credentials,
        api_url,
        oauth_url,
        max_rps,
    })
}

fn entry_credentials(
    entry: &AccountEntry,
    oauth_url: &reqwest::Url,
) -> Result<Credentials, Failure> {
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
            token_file: match &entry.token_file {
                Some(file) => file.clone(),
                None => default_token_file()?,
            },
        },
    })
}

/// The token file path: the flag or variable, else the default under the config directory.
pub fn token_file_or_default(flag: &Option<PathBuf>) -> Result<PathBuf, Failure> {
    match flag {
        Some(path) => Ok(path.clone()),
        None => default_token_file(),
    }
}

fn default_token_file() -> Result<PathBuf, Failure> {
    extractor::auth::token_store::default_token_file().ok_or_else(|| {
        Failure::usage("cannot tell where the token file goes (no HOME): pass --token-file")
    })
}

fn flag_credentials(args: &ConnectArgs, oauth_url: &reqwest::Url) -> Result<Credentials, Failure> {
    if let Some(account_id) = &args.account_id {
        let missing: Vec<&str> = [
            (args.client_id.is_none(), "ZOOM_CLIENT_ID (--client-id)"),
            (
                args.client_secret.is_none(),
                "ZOOM_CLIENT_SECRET (--client-secret)",
            ),
        ]
        .into_iter()
        .filter_map(|(absent, name)| absent.then_some(name))
        .collect();
        if !missing.is_empty() {
            return Err(Failure::usage(format!(
                "ZOOM_ACCOUNT_ID is set, so this is a Server-to-Server OAuth app: set {} too",
                missing.join(" and ")
            )));
        }
        return Ok(Credentials::ServerToServer(ServerToServer {
            account_id: account_id.clone(),
            client_id: args.client_id.clone().unwrap_or_default(),
            client_secret: Secret::new(args.client_secret.clone().unwrap_or_default()),
            names: Default::default(),
        }));
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
    // Bounded so that no setting can make a run wait for days (or overflow a duration).
    let seconds = |flag: &str, value: f64, most: f64| {
        if value.is_finite() && (0.0..=most).contains(&value) {
            Ok(Duration::from_secs_f64(value))
        } else {
            Err(Failure::usage(format!(
                "{flag} must be a number of seconds from 0 to {most}, not {value}"
            )))
        }
    };
    // A timeout of 0 would fail every request.
    let timeout = match requests.timeout {
        t if t > 0.0 && t <= 600.0 => Duration::from_secs_f64(t),
        t => {
            return Err(Failure::usage(format!(
                "--timeout must be a number of seconds more than 0 and at most 600, not {t}"
            )));
        }
    };
    Ok(ClientConfig {
        api_url: connection.api_url.clone(),
        oauth_url: connection.oauth_url.clone(),
        credentials: connection.credentials.clone(),
        max_rps: connection.max_rps,
        heavy_max_rps: NonZeroU32::new(
            requests
                .activity_max_rps
                .unwrap_or(DEFAULT_ACTIVITY_MAX_RPS),
        )
        .ok_or_else(|| Failure::usage("--activity-max-rps must be at least 1"))?,
        max_retries: requests.max_retries as usize,
        timeout,
        retry_min_delay: Duration::from_millis(requests.retry_min_delay_ms),
        max_wait: seconds("--max-wait", requests.max_wait, 86_400.0)?,
    })
}

fn parse_statuses(statuses: &[String]) -> Result<Vec<UserStatus>, Failure> {
    let mut parsed: Vec<UserStatus> = Vec::new();
    for status in statuses {
        let status: UserStatus = status
            .trim()
            .parse()
            .map_err(|e| Failure::usage(format!("--statuses: {e}")))?;
        if !parsed.contains(&status) {
            parsed.push(status);
        }
    }
    if parsed.is_empty() {
        return Err(Failure::usage("--statuses must name at least one status"));
    }
    Ok(parsed)
}
