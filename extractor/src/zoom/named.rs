//! A record of a list of named things (`GET /groups`, `GET /roles`), each member read leniently
//! (an odd value kept as text, a count given as text still a count).

use serde::Deserialize;

/// One group or role, as Zoom sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Named {
    /// Its id, as in users' `group_ids` or `role_id`.
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub id: Option<String>,
    /// Its name.
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub name: Option<String>,
    /// What it is for (roles only).
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub description: Option<String>,
    /// Its member count.
    #[serde(default, deserialize_with = "crate::zoom::text::any_count")]
    pub total_members: Option<i64>,
}
