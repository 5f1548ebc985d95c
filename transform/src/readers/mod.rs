//! The readers of the datasets a run can read, one per dataset: a new dataset is one reader here
//! (or one [`one_table::OneTable`] row) and one entry in [`for_run`].

mod hosting;
mod licenses;
mod one_table;
mod signin;

use crate::context::RunContext;
use crate::reader::PageReader;
use one_table::OneTableReader;

/// One reader per dataset, for a run of `ctx`. A users page's rows are told to the readers in this
/// order.
pub(crate) fn for_run(ctx: &RunContext) -> Vec<Box<dyn PageReader>> {
    vec![
        Box::new(licenses::LicenseReader::default()),
        Box::new(signin::SigninReader::new(ctx)),
        Box::new(hosting::HostingReader::new(ctx)),
        Box::new(OneTableReader::new(&one_table::ADDONS)),
        Box::new(OneTableReader::new(&one_table::GROUPS_LIST)),
        Box::new(OneTableReader::new(&one_table::ROLES_LIST)),
    ]
}
