//! The `status` query parameter of `GET /v2/users`: Zoom lists one status per sweep.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user status as Zoom names it; each is listed by its own sweep of `GET /v2/users?status=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Users that exist on the account (Zoom's default sweep).
    Active,
    /// Invited users who have not activated yet; Zoom gives them no `id`.
    Pending,
    /// Users an admin deactivated.
    Inactive,
}

impl UserStatus {
    /// Every status, in the order a full extract sweeps them.
    pub const ALL: [UserStatus; 3] = [
        UserStatus::Active,
        UserStatus::Pending,
        UserStatus::Inactive,
    ];

    /// The value Zoom uses in the query string and in user records.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Pending => "pending",
            UserStatus::Inactive => "inactive",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(UserStatus::Active),
            "pending" => Ok(UserStatus::Pending),
            "inactive" => Ok(UserStatus::Inactive),
            other => Err(format!(
                "unknown user status `{other}`: expected active, pending or inactive"
            )),
        }
    }
}
