//! The tables a run can write, each with its schema and its names: in partitions, beside the
//! license file, and in the manifest. A new table is one variant and one row of [`FACTS`].

use arrow_schema::SchemaRef;
use serde::Serialize;

use crate::activity::{events_schema, user_activity_schema};
use crate::addons::addons_schema;
use crate::changes::changes_schema;
use crate::directory::{groups_schema, roles_schema};
use crate::hosting::host_usage_schema;
use crate::reclaim::reclaim_schema;
use crate::schema::{license_schema, rejects_schema};

/// A table of the run's output.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
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
    /// `zoom_host_usage`: one row per license row with the meetings it hosted.
    HostUsage,
    /// `zoom_reclaim_candidates`: seats that can be taken back (`reclaim`, from a run's outputs).
    ReclaimCandidates,
    /// `zoom_user_changes`: what changed between two runs (`changes`, from their outputs).
    UserChanges,
}

/// What is known of a table: its names and its schema.
struct Facts {
    table: Table,
    /// Its folder under a partitioned output root, and its name in warehouses.
    folder: &'static str,
    /// Its key under a manifest's `outputs`: its serialized name.
    manifest_name: &'static str,
    /// What its file adds to the license file's name.
    file_suffix: &'static str,
    schema: fn() -> SchemaRef,
    origin: Origin,
}

/// What writes a table.
#[derive(Clone, Copy)]
enum Origin {
    /// An extract, from Zoom's pages.
    Extract,
    /// Its own command, from a run's outputs.
    Derived,
}
use Origin::{Derived, Extract};

/// Every table's facts, one row each, in the order of the variants.
#[rustfmt::skip]
const FACTS: &[Facts] = &[
    facts(Table::Licenses, "zoom_users", "licenses", "", license_schema, Extract),
    facts(Table::Rejects, "zoom_user_rejects", "rejects", "_rejects", rejects_schema, Extract),
    facts(Table::SigninEvents, "zoom_signin_events", "signin_events", "_signin_events", events_schema, Extract),
    facts(Table::UserActivity, "zoom_user_activity", "user_activity", "_user_activity", user_activity_schema, Extract),
    facts(Table::UserAddons, "zoom_user_addons", "user_addons", "_user_addons", addons_schema, Extract),
    facts(Table::Groups, "zoom_groups", "groups", "_groups", groups_schema, Extract),
    facts(Table::Roles, "zoom_roles", "roles", "_roles", roles_schema, Extract),
    facts(Table::HostUsage, "zoom_host_usage", "host_usage", "_host_usage", host_usage_schema, Extract),
    facts(Table::ReclaimCandidates, "zoom_reclaim_candidates", "reclaim_candidates", "_reclaim_candidates", reclaim_schema, Derived),
    facts(Table::UserChanges, "zoom_user_changes", "user_changes", "_changes", changes_schema, Derived),
];

const fn facts(
    table: Table,
    folder: &'static str,
    manifest_name: &'static str,
    file_suffix: &'static str,
    schema: fn() -> SchemaRef,
    origin: Origin,
) -> Facts {
    Facts {
        table,
        folder,
        manifest_name,
        file_suffix,
        schema,
        origin,
    }
}

// `Table::facts` indexes `FACTS` by variant: a row out of place fails the build.
const _: () = {
    let mut i = 0;
    while i < FACTS.len() {
        assert!(
            FACTS[i].table as usize == i,
            "FACTS is not in variant order"
        );
        i += 1;
    }
};

/// How many tables an extract writes.
const EXTRACT_TABLES: usize = {
    let (mut n, mut i) = (0, 0);
    while i < FACTS.len() {
        n += matches!(FACTS[i].origin, Extract) as usize;
        i += 1;
    }
    n
};

impl Table {
    /// Every table an extract writes, in the order partitions are published: the license table,
    /// the one readers key on, last. (The derived tables are written by their own commands.)
    pub const PUBLISH_ORDER: [Table; EXTRACT_TABLES] = {
        let mut order = [Table::Licenses; EXTRACT_TABLES];
        let (mut n, mut i) = (0, 0);
        while i < FACTS.len() {
            if matches!(FACTS[i].origin, Extract) && !matches!(FACTS[i].table, Table::Licenses) {
                order[n] = FACTS[i].table;
                n += 1;
            }
            i += 1;
        }
        order
    };

    /// Every table: the extract's and the derived ones.
    pub const ALL: [Table; FACTS.len()] = {
        let mut all = [Table::Licenses; FACTS.len()];
        let mut i = 0;
        while i < FACTS.len() {
            all[i] = FACTS[i].table;
            i += 1;
        }
        all
    };

    fn facts(self) -> &'static Facts {
        &FACTS[self as usize]
    }

    /// Its Arrow schema.
    pub fn schema(self) -> SchemaRef {
        (self.facts().schema)()
    }

    /// Its folder under a partitioned output root, and its name in warehouses.
    pub fn folder(self) -> &'static str {
        self.facts().folder
    }

    /// Its key under a manifest's `outputs` (as it serializes): `licenses`, `user_activity`.
    pub fn manifest_name(self) -> &'static str {
        self.facts().manifest_name
    }

    /// What its file adds to the license file's name: `out/zoom_users_rejects.parquet`.
    pub fn file_suffix(self) -> &'static str {
        self.facts().file_suffix
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

    /// The lists derived from the facts are the ones the sinks were written against.
    #[test]
    fn the_publish_order_ends_with_the_license_table() {
        use Table::*;
        assert_eq!(
            Table::PUBLISH_ORDER,
            [
                Rejects,
                SigninEvents,
                UserActivity,
                UserAddons,
                Groups,
                Roles,
                HostUsage,
                Licenses
            ]
        );
        assert_eq!(
            Table::ALL,
            [
                Licenses,
                Rejects,
                SigninEvents,
                UserActivity,
                UserAddons,
                Groups,
                Roles,
                HostUsage,
                ReclaimCandidates,
                UserChanges
            ]
        );
    }
}
