//! The tables a run can write, each with its schema and its names: in partitions, beside the
//! license file, and in the manifest. A new table is one variant here.

use arrow_schema::SchemaRef;
use serde::Serialize;

use crate::activity::{events_schema, user_activity_schema};
use crate::addons::addons_schema;
use crate::changes::changes_schema;
use crate::directory::{groups_schema, roles_schema};
use crate::reclaim::reclaim_schema;
use crate::schema::{license_schema, rejects_schema};

/// A table of the run's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// `zoom_users`: one row per user with a supported plan.
    Licenses,
    /// `zoom_user_rejects`: every record left out, with its reason.
    Rejects,
    /// `zoom_signin_events`: the sign-in report's events.
    SigninEvents,
    /// `zoom_user_activity`: one row per license row with its sign-ins.
    UserActivity,
    /// `zoom_user_addons`: the paid add-ons each user holds.
    UserAddons,
    /// `zoom_groups`: the account's groups.
    Groups,
    /// `zoom_roles`: the account's roles.
    Roles,
    /// `zoom_reclaim_candidates`: seats that can be taken back (`reclaim`, from a run's outputs).
    ReclaimCandidates,
    /// `zoom_user_changes`: what changed between two runs (`changes`, from their outputs).
    UserChanges,
}

impl Table {
    /// Every table an extract writes, in the order partitions are published: the license table,
    /// the one readers key on, last. (The derived tables are written by their own commands.)
    pub const PUBLISH_ORDER: [Table; 7] = [
        Table::Rejects,
        Table::SigninEvents,
        Table::UserActivity,
        Table::UserAddons,
        Table::Groups,
        Table::Roles,
        Table::Licenses,
    ];

    /// Every table: the extract's and the derived ones.
    pub const ALL: [Table; 9] = [
        Table::Licenses,
        Table::Rejects,
        Table::SigninEvents,
        Table::UserActivity,
        Table::UserAddons,
        Table::Groups,
        Table::Roles,
        Table::ReclaimCandidates,
        Table::UserChanges,
    ];

    /// Its Arrow schema.
    pub fn schema(self) -> SchemaRef {
        match self {
            Table::Licenses => license_schema(),
            Table::Rejects => rejects_schema(),
            Table::SigninEvents => events_schema(),
            Table::UserActivity => user_activity_schema(),
            Table::UserAddons => addons_schema(),
            Table::Groups => groups_schema(),
            Table::Roles => roles_schema(),
            Table::ReclaimCandidates => reclaim_schema(),
            Table::UserChanges => changes_schema(),
        }
    }

    /// Its folder under a partitioned output root, and its name in warehouses.
    pub fn folder(self) -> &'static str {
        match self {
            Table::Licenses => "zoom_users",
            Table::Rejects => "zoom_user_rejects",
            Table::SigninEvents => "zoom_signin_events",
            Table::UserActivity => "zoom_user_activity",
            Table::UserAddons => "zoom_user_addons",
            Table::Groups => "zoom_groups",
            Table::Roles => "zoom_roles",
            Table::ReclaimCandidates => "zoom_reclaim_candidates",
            Table::UserChanges => "zoom_user_changes",
        }
    }

    /// Its key under a manifest's `outputs` (as it serializes): `licenses`, `user_activity`.
    pub fn manifest_name(self) -> &'static str {
        match self {
            Table::Licenses => "licenses",
            Table::Rejects => "rejects",
            Table::SigninEvents => "signin_events",
            Table::UserActivity => "user_activity",
            Table::UserAddons => "user_addons",
            Table::Groups => "groups",
            Table::Roles => "roles",
            Table::ReclaimCandidates => "reclaim_candidates",
            Table::UserChanges => "user_changes",
        }
    }

    /// What its file adds to the license file's name: `out/zoom_users_rejects.parquet`.
    pub fn file_suffix(self) -> &'static str {
        match self {
            Table::Licenses => "",
            Table::Rejects => "_rejects",
            Table::SigninEvents => "_signin_events",
            Table::UserActivity => "_user_activity",
            Table::UserAddons => "_user_addons",
            Table::Groups => "_groups",
            Table::Roles => "_roles",
            Table::ReclaimCandidates => "_reclaim_candidates",
            Table::UserChanges => "_changes",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifest names a table's receipt by its serde name; reading a manifest back looks it up
    /// by `manifest_name`: the two agree for every table.
    #[test]
    fn manifest_names_are_the_serialized_names() {
        for table in Table::ALL {
            let serialized = serde_json::to_value(table).unwrap();
            assert_eq!(serialized, table.manifest_name(), "{table:?}");
        }
    }
}
