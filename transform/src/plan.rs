//! Zoom's plan type codes (`type` on a user) and the plan names of the license table.

/// A base plan the license table can represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Plan {
    /// `type` 1: Basic (free).
    Basic,
    /// `type` 2: Licensed (paid seat).
    Licensed,
    /// `type` 4: Unassigned without Meetings Basic.
    Unassigned,
    /// `type` 99: None (only for accounts with Zoom products other than Meetings).
    None,
}

impl Plan {
    /// The plan for a supported code; `None` for codes the table cannot represent.
    pub fn from_code(code: i64) -> Option<Plan> {
        match code {
            1 => Some(Plan::Basic),
            2 => Some(Plan::Licensed),
            4 => Some(Plan::Unassigned),
            99 => Some(Plan::None),
            _ => None,
        }
    }

    /// The name written to the `plan` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Basic => "basic",
            Plan::Licensed => "licensed",
            Plan::Unassigned => "unassigned",
            Plan::None => "none",
        }
    }
}

/// Why a plan code is not supported, for the rejection's detail.
pub fn unsupported_detail(code: i64) -> String {
    match code {
        3 => "plan type 3 (legacy On-prem) is not supported".into(),
        _ => format!("plan type {code} is not a known Zoom plan type (known: 1, 2, 4, 99)"),
    }
}
