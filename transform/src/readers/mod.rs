//! The readers of the datasets a run can read, one per dataset: a new dataset is one reader here
//! and one entry in [`for_run`].

mod addons;
mod directory;
mod licenses;
mod signin;

use crate::context::RunContext;
use crate::reader::PageReader;

/// One reader per dataset, for a run of `ctx`. A users page's rows are told to the readers in this
/// order.
pub(crate) fn for_run(ctx: &RunContext) -> Vec<Box<dyn PageReader>> {
    vec![
        Box::new(licenses::LicenseReader::default()),
        Box::new(signin::SigninReader::new(ctx)),
        Box::new(addons::AddonReader::default()),
        Box::new(directory::ListPages::new(&directory::GROUPS_LIST)),
        Box::new(directory::ListPages::new(&directory::ROLES_LIST)),
    ]
}
