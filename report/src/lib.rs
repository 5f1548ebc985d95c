//! Renders one day's license report: the figures a caller gathered from a day's runs (`figures`)
//! into one self-contained HTML page (`page`, with the charts of `chart`), readable offline and
//! without JavaScript. Pure: no I/O, no clock; every text from Zoom is escaped by the templates.

#![warn(missing_docs)]

mod chart;
pub mod figures;
mod page;

pub use figures::{
    AccountDay, Candidate, ChangeRow, ChangesDay, Missing, Money, ReclaimDay, Report, TrendPoint,
    Usage,
};
pub use page::render;
