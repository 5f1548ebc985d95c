//! The datasets an extract may add to the license table (`--with`).

use clap::ValueEnum;

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
}

impl std::fmt::Display for WithOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WithOption::Activity => "activity",
            WithOption::Addons => "addons",
            WithOption::Groups => "groups",
            WithOption::Roles => "roles",
        })
    }
}
