//! Counts reconciled with Zoom: what `GET /users/summary` says beside what the extract received, so
//! a table that is short (or padded) is noticed. A difference is a warning, not a failure: Zoom's
//! counts move while a run reads the list, and Zoom may count kinds of users the list leaves out.

use std::collections::BTreeMap;

use extractor::UserStatus;
use extractor::zoom::users_summary::UsersSummary;
use serde::Serialize;
use transform::TransformStats;

/// Zoom's counts beside the extract's.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Reconciliation {
    /// Where Zoom's counts come from.
    pub source: String,
    /// Each count compared: `licensed`, `basic` (active users of those plans), `pending`, and
    /// `total` (every active user; Zoom's total leaves pending users out too, and counts its
    /// `rooms`, shown for that reason and compared with nothing).
    pub counts: BTreeMap<String, Compared>,
}

/// One count, as Zoom gave it and as the extract found it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Compared {
    /// Zoom's count (`None` when Zoom left it out).
    pub zoom: Option<u64>,
    /// The extract's (`None` when the run did not read that status).
    pub extract: Option<u64>,
    /// `extract - zoom`, when both are known.
    pub difference: Option<i64>,
}

impl Reconciliation {
    /// Compares Zoom's summary with a run's counts; `received` holds the users received for each
    /// status the run read.
    pub fn new(
        zoom: &UsersSummary,
        stats: &TransformStats,
        received: &BTreeMap<UserStatus, u64>,
    ) -> Self {
        let active = received.contains_key(&UserStatus::Active);
        let received = |status| received.get(&status).copied();
        let active_rows =
            |plan: &str| active.then(|| stats.active_by_plan.get(plan).copied().unwrap_or(0));
        let counts = [
            (
                "licensed",
                zoom.licensed_users_count,
                active_rows("licensed"),
            ),
            ("basic", zoom.basic_users_count, active_rows("basic")),
            (
                "pending",
                zoom.pending_users_count,
                received(UserStatus::Pending),
            ),
            (
                "total",
                zoom.total_users_count,
                received(UserStatus::Active),
            ),
            // Zoom's total counts its Zoom Rooms too (its spec says so); whether the user list
            // holds them is unconfirmed, so a total short by exactly the rooms is no difference.
            ("rooms", zoom.room_users_count, None),
        ];
        Reconciliation {
            source: "GET /users/summary".into(),
            counts: counts
                .into_iter()
                .map(|(name, zoom, extract)| {
                    let difference = zoom.zip(extract).map(|(z, e)| e as i64 - z as i64);
                    (
                        name.to_string(),
                        Compared {
                            zoom,
                            extract,
                            difference,
                        },
                    )
                })
                .collect(),
        }
    }

    /// One sentence per count that differs, e.g. `licensed: Zoom counts 17, the extract 16 (1 fewer)`.
    pub fn differences(&self) -> Vec<String> {
        let rooms = self.counts.get("rooms").and_then(|c| c.zoom).unwrap_or(0) as i64;
        let mut said = Vec::new();
        for (name, c) in &self.counts {
            let (Some(zoom), Some(extract), Some(d)) = (c.zoom, c.extract, c.difference) else {
                continue;
            };
            let explained = *name == "total" && rooms > 0 && d == -rooms;
            if d != 0 && !explained {
                let how = match d < 0 {
                    true => format!("{} fewer", -d),
                    false => format!("{d} more"),
                };
                said.push(format!(
                    "{name}: Zoom counts {zoom}, the extract {extract} ({how})"
                ));
            }
        }
        said
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_compared_only_where_both_sides_are_known() {
        let zoom = UsersSummary {
            licensed_users_count: Some(17),
            basic_users_count: Some(8),
            pending_users_count: Some(5),
            total_users_count: Some(40),
            ..Default::default()
        };
        let mut stats = TransformStats::default();
        stats.active_by_plan.insert("licensed".into(), 16);
        stats.active_by_plan.insert("basic".into(), 8);
        // Only active users were read: pending is not compared.
        let received = BTreeMap::from([(UserStatus::Active, 40)]);
        let r = Reconciliation::new(&zoom, &stats, &received);
        assert_eq!(r.counts["pending"].extract, None);
        assert_eq!(r.counts["pending"].difference, None);
        assert_eq!(r.counts["total"].difference, Some(0));
        assert_eq!(
            r.differences(),
            ["licensed: Zoom counts 17, the extract 16 (1 fewer)"]
        );
    }

    /// Zoom's total counts its Zoom Rooms (its spec says so): a total short by exactly the rooms
    /// agrees, whether the user list holds the rooms or not; any other difference is said.
    #[test]
    fn a_total_that_counts_zoom_rooms_agrees_either_way() {
        let zoom = |total| UsersSummary {
            total_users_count: Some(total),
            room_users_count: Some(3),
            ..Default::default()
        };
        let stats = TransformStats::default();
        let received = BTreeMap::from([(UserStatus::Active, 40)]);
        for total in [43, 40] {
            let r = Reconciliation::new(&zoom(total), &stats, &received);
            assert_eq!(r.differences(), Vec::<String>::new(), "total {total}");
        }
        let r = Reconciliation::new(&zoom(44), &stats, &received);
        assert_eq!(
            r.differences(),
            ["total: Zoom counts 44, the extract 40 (4 fewer)"]
        );
    }
}
