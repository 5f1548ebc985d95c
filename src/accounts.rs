//! The file of accounts (`--config`, TOML): one `[[account]]` entry per Zoom account, so one
//! scheduled job can extract many accounts, each with its own app and limits.

use std::path::{Path, PathBuf};

use extractor::Secret;
use serde::Deserialize;

use run::exit::Failure;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    #[serde(rename = "account", default)]
    accounts: Vec<AccountEntry>,
}

/// One `[[account]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// A short name, used in output paths: letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// Whether `--all-accounts` extracts it.
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// Server-to-server: the Zoom account id.
    pub account_id: Option<String>,
    /// The app's client id.
    pub client_id: String,
    /// The environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// The client secret itself (only in a file no one else can read).
    pub client_secret: Option<Secret>,
    /// Authorization code: the app's redirect URL.
    pub redirect_uri: Option<String>,
    /// Authorization code: the token file.
    pub token_file: Option<PathBuf>,
    /// Requests per second for this account.
    pub max_rps: Option<u32>,
    /// API base URL for this account.
    pub api_url: Option<String>,
    /// OAuth base URL for this account.
    pub oauth_url: Option<String>,
}

fn active_by_default() -> bool {
    true
}

impl AccountEntry {
    /// Where this entry's credentials are set, for messages that say which to fix.
    pub fn credential_names(&self) -> extractor::auth::token::CredentialNames {
        let name = &self.name;
        extractor::auth::token::CredentialNames {
            account_id: format!("account_id of [[account]] `{name}`"),
            client_id: format!("client_id of [[account]] `{name}`"),
            client_secret: match &self.client_secret_env {
                Some(var) => format!(
                    "the environment variable {var} (client_secret_env of [[account]] `{name}`)"
                ),
                None => format!("client_secret of [[account]] `{name}`"),
            },
        }
    }

    /// The client secret, from the file or the environment variable the entry names.
    pub fn secret(&self) -> Result<Secret, Failure> {
        if let Some(secret) = &self.client_secret {
            return Ok(secret.clone());
        }
        let var = self.client_secret_env.as_deref().unwrap_or_default();
        match std::env::var(var) {
            Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
            _ => Err(Failure::usage(format!(
                "account `{}`: the environment variable {var} (its client_secret_env) is not set",
                self.name
            ))),
        }
    }
}

/// Reads and checks the accounts file.
pub fn load(path: &Path) -> Result<Vec<AccountEntry>, Failure> {
    let bad = |message: String| Failure::usage(format!("--config {}: {message}", path.display()));
    let text = extractor::regular_file::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    // TOML's own error shows the offending line, which may hold a client secret: say only where
    // and what, with any value or unknown key name left out.
    let file: AccountsFile = toml::from_str(&text).map_err(|e| {
        let before = e
            .span()
            .and_then(|at| text.get(..at.start))
            .unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let what = extractor::auth::secret::without_file_text(e.message());
        bad(format!("line {line}: {what}"))
    })?;
    if file.accounts.is_empty() {
        return Err(bad(
            "lists no accounts: add an [[account]] table for each Zoom account (see \"A file of \
             accounts\" in docs/connect.md)"
                .into(),
        ));
    }
    let mut names = std::collections::BTreeSet::new();
    for entry in &file.accounts {
        let name = &entry.name;
        if !sinks::partition::is_folder_name(name) {
            return Err(bad(format!(
                "account name `{name}` must be letters, digits, `-`, `_` or `.` (it names output folders)"
            )));
        }
        if !names.insert(name.clone()) {
            return Err(bad(format!("account `{name}` appears twice")));
        }
        match (&entry.client_secret, &entry.client_secret_env) {
            (Some(_), Some(_)) => {
                return Err(bad(format!(
                    "account `{name}`: give client_secret or client_secret_env, not both"
                )));
            }
            (None, None) => {
                return Err(bad(format!(
                    "account `{name}`: set client_secret_env to the environment variable holding the client secret"
                )));
            }
            _ => {}
        }
        if entry.account_id.is_some()
            && (entry.token_file.is_some() || entry.redirect_uri.is_some())
        {
            return Err(bad(format!(
                "account `{name}`: account_id means Server-to-Server OAuth, which has no token_file or redirect_uri"
            )));
        }
    }
    if file.accounts.iter().any(|a| a.client_secret.is_some()) {
        check_private(path)?;
    }
    Ok(file.accounts)
}

/// A secret may sit in the file only if no one but its owner can read it.
fn check_private(path: &Path) -> Result<(), Failure> {
    let shared = extractor::regular_file::shared_mode(path)
        .map_err(|e| Failure::usage(format!("--config {}: {e}", path.display())))?;
    match shared {
        Some(mode) => Err(Failure::usage(format!(
            "--config {0} holds a client_secret but is readable by group or others (mode {mode:o}): \
             run `chmod 600 {0}`, or use client_secret_env instead",
            path.display()
        ))),
        None => Ok(()),
    }
}

/// The entry named `name`, or an error listing the names there are.
pub fn find<'a>(
    accounts: &'a [AccountEntry],
    name: &str,
    path: &Path,
) -> Result<&'a AccountEntry, Failure> {
    accounts.iter().find(|a| a.name == name).ok_or_else(|| {
        let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
        Failure::usage(format!(
            "--account {name}: no such account in {} (accounts: {})",
            path.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ))
    })
}

/// The entry `--account NAME` picks from `--config FILE`, if one is named.
pub fn selected(
    config: &Option<std::path::PathBuf>,
    account: &Option<String>,
) -> Result<Option<AccountEntry>, Failure> {
    match (account, config) {
        (Some(name), Some(path)) => {
            let entries = load(path)?;
            Ok(Some(find(&entries, name, path)?.clone()))
        }
        (Some(_), None) => Err(Failure::usage(
            "--account needs the accounts file: pass --config FILE or set ZOOM_LICENSES_CONFIG",
        )),
        (None, _) => Ok(None),
    }
}
