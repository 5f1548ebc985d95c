//! Every Zoom endpoint a run may read, one row each: its `--with` name, the tables it fills, what
//! its scope unlocks, and its first requests. The extract, the replay and `check` go by these rows,
//! so a new list endpoint is one row here (plus its endpoint file in the extractor and its reader
//! in the transform).

use clap::ValueEnum;
use extractor::zoom::activities::ACTIVITIES;
use extractor::zoom::groups::{self, GROUPS};
use extractor::zoom::host_report::HOST_REPORT;
use extractor::zoom::roles::{self, ROLES};
use extractor::zoom::sub_accounts::SUB_ACCOUNTS;
use extractor::zoom::user_settings::USER_SETTINGS;
use extractor::zoom::users::{ACCOUNT_USERS, USERS};
use extractor::zoom::users_me::USERS_ME;
use extractor::zoom::users_summary::USERS_SUMMARY;
use extractor::{Endpoint, PageRequest};
use transform::Table;

use crate::exit::Failure;

/// One endpoint a run may read, and what for.
#[derive(Debug)]
pub struct Dataset {
    /// The endpoint.
    pub endpoint: &'static Endpoint,
    /// The `--with` option that asks for it; `None` for what runs read without being asked.
    pub with: Option<WithOption>,
    /// The tables its pages fill (none: it is read for a count or an id, not recorded).
    pub tables: &'static [Table],
    /// What its scope unlocks, as `check` reports it (the first row's is required).
    pub unlocks: &'static str,
    /// Its first request, for a list read whole with the users (`None`: the run builds its
    /// requests from its settings: statuses, the report's window, each user's id).
    pub first: Option<fn() -> PageRequest>,
}

/// Every endpoint the tool reads, in the order `check` reports their scopes.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        endpoint: &USERS,
        with: None,
        tables: &[Table::Licenses, Table::Rejects],
        unlocks: "required: the license table (GET /users)",
        first: None,
    },
    Dataset {
        endpoint: &USERS_SUMMARY,
        with: None,
        tables: &[],
        unlocks: "optional: Zoom's own counts, reconciled with each extract (GET /users/summary)",
        first: None,
    },
    Dataset {
        endpoint: &USERS_ME,
        with: None,
        tables: &[],
        unlocks: "optional: the account id of an authorization-code app, which names its \
                  partitions (GET /users/me)",
        first: None,
    },
    Dataset {
        endpoint: &USER_SETTINGS,
        with: Some(WithOption::Addons),
        tables: &[Table::UserAddons],
        unlocks: "optional: --with addons, each licensed user's paid add-ons (GET \
                  /users/{userId}/settings)",
        first: None,
    },
    Dataset {
        endpoint: &GROUPS,
        with: Some(WithOption::Groups),
        tables: &[Table::Groups],
        unlocks: "optional: --with groups, the account's groups by name (GET /groups)",
        first: Some(groups::sweep),
    },
    Dataset {
        endpoint: &ROLES,
        with: Some(WithOption::Roles),
        tables: &[Table::Roles],
        unlocks: "optional: --with roles, the account's roles by name (GET /roles)",
        first: Some(roles::request),
    },
    Dataset {
        endpoint: &SUB_ACCOUNTS,
        with: None,
        tables: &[],
        unlocks: "optional: --sub-accounts, a master account's sub accounts (GET /accounts)",
        first: None,
    },
    Dataset {
        endpoint: &ACCOUNT_USERS,
        with: None,
        tables: &[Table::Licenses, Table::Rejects],
        unlocks: "optional: --sub-accounts, each sub account's users (GET \
                  /accounts/{accountId}/users)",
        first: None,
    },
    Dataset {
        endpoint: &ACTIVITIES,
        with: Some(WithOption::Activity),
        tables: &[Table::SigninEvents, Table::UserActivity],
        unlocks: "optional: --with activity, Zoom's sign-in report (GET /report/activities, Pro \
                  plans and up)",
        first: None,
    },
    Dataset {
        endpoint: &HOST_REPORT,
        with: Some(WithOption::Hosting),
        tables: &[Table::HostUsage],
        unlocks: "optional: --with hosting, who hosted meetings (GET /report/users, Pro plans and \
                  up)",
        first: None,
    },
];

/// An endpoint's scope as messages name it: `granular (classic apps: classic)`, or its one name.
pub fn scope_text(endpoint: &Endpoint) -> String {
    match endpoint.scopes {
        [granular, classic, ..] => format!("{granular} (classic apps: {classic})"),
        [only] => only.to_string(),
        [] => String::new(),
    }
}

/// The failure (exit 2, before any page) of an option, e.g. `--with groups`, whose endpoint the
/// token may not read: the scope to add, and where.
pub fn missing_scope(endpoint: &Endpoint, option: &str) -> Failure {
    Failure::usage(format!(
        "{option} reads `{}`, which needs the scope {}: add it to the Zoom app (Manage → your \
         app → Scopes; an authorization-code app then needs `zoom-licenses auth` again), or leave \
         {option} out",
        endpoint.path,
        scope_text(endpoint),
    ))
}

/// The endpoints a recording may hold pages of: those whose pages fill tables.
pub fn recordable() -> Vec<&'static Endpoint> {
    let filling = DATASETS.iter().filter(|d| !d.tables.is_empty());
    filling.map(|d| d.endpoint).collect()
}

/// What `--with` can add to an extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WithOption {
    /// Zoom's sign-in/sign-out report: the zoom_signin_events and zoom_user_activity tables.
    Activity,
    /// The paid add-ons each user holds, from their settings: the zoom_user_addons table.
    Addons,
    /// The account's groups by name: the zoom_groups table.
    Groups,
    /// The account's roles by name: the zoom_roles table.
    Roles,
    /// Zoom's active-hosts report: the meetings each user hosted, the zoom_host_usage table.
    Hosting,
}

impl std::fmt::Display for WithOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The name `--with` takes, as clap derives it.
        let value = self.to_possible_value();
        f.write_str(value.as_ref().map_or("", |v| v.get_name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text the binary printed before it moved here, word for word.
    #[test]
    fn a_missing_scope_names_the_option_the_scopes_and_the_fix() {
        assert_eq!(
            missing_scope(&GROUPS, "--with groups").to_string(),
            "--with groups reads `groups`, which needs the scope group:read:list_groups:admin \
             (classic apps: group:read:admin): add it to the Zoom app (Manage → your app → Scopes; \
             an authorization-code app then needs `zoom-licenses auth` again), or leave --with \
             groups out"
        );
    }

    #[test]
    fn options_are_named_as_with_takes_them() {
        let names: Vec<String> = WithOption::value_variants()
            .iter()
            .map(|o| o.to_string())
            .collect();
        assert_eq!(names, ["activity", "addons", "groups", "roles", "hosting"]);
    }

    #[test]
    fn every_with_option_has_one_row() {
        for option in WithOption::value_variants() {
            let rows = DATASETS.iter().filter(|d| d.with == Some(*option)).count();
            assert_eq!(rows, 1, "--with {option}");
        }
    }
}
