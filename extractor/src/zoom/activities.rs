//! `GET /report/activities`: Zoom's sign-in/sign-out report (`../shared/zoom-api.md` §3.2), keyed
//! by email, without `total_records`. One request covers at most a month of the last six, so a
//! longer window is asked for in month-long ranges. Pro plans or higher (a Free account gets HTTP
//! 400, code 200, "No permission.").

use chrono::{Months, NaiveDate};
use serde::Deserialize;

use crate::zoom::endpoint::{Endpoint, PageRequest, Query, Rate};
use crate::zoom::text::any_text;

/// `GET /report/activities`.
pub static ACTIVITIES: Endpoint = Endpoint {
    path: "report/activities",
    records: Some("activity_logs"),
    paginated: true,
    max_page_size: Some(PAGE_SIZE),
    scopes: &["report:read:user_activities:admin", "report:read:admin"],
    rate: Rate::Heavy,
    personal: &["ip_address"],
    check_query: check_range,
    ..Endpoint::DEFAULTS
};

/// The longest window, in days: Zoom keeps six months of the report.
pub const MOST_DAYS: u32 = 180;

/// Records per page asked for: the endpoint's largest (300, the usual maximum of Zoom's reports).
pub const PAGE_SIZE: u32 = 300;

/// One event of the report, as Zoom sends it. Every member is read as text whatever its JSON type
/// (a number stays its digits, an object its JSON), so an odd value never loses the event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ActivityLog {
    /// The user's email: the report's only key.
    #[serde(default, deserialize_with = "any_text")]
    pub email: Option<String>,
    /// When, an RFC 3339 timestamp.
    #[serde(default, deserialize_with = "any_text")]
    pub time: Option<String>,
    /// `Sign in` or `Sign out`.
    #[serde(rename = "type", default, deserialize_with = "any_text")]
    pub kind: Option<String>,
    /// Personal data; kept only when asked for.
    #[serde(default, deserialize_with = "any_text")]
    pub ip_address: Option<String>,
    /// e.g. `Browser`, `Windows`.
    #[serde(default, deserialize_with = "any_text")]
    pub client_type: Option<String>,
    /// The client's version.
    #[serde(default, deserialize_with = "any_text")]
    pub version: Option<String>,
}

/// The ranges, oldest first, that cover the `days` days ending on `last` (inclusive), none longer
/// than one calendar month: `[from, to]` with `to` at most the day before `from` plus one month.
pub fn windows(last: NaiveDate, days: u32) -> Vec<(NaiveDate, NaiveDate)> {
    let Some(first) = last.checked_sub_days(chrono::Days::new(u64::from(days.max(1)) - 1)) else {
        return Vec::new();
    };
    let to = |from: NaiveDate| month_end(from).min(last);
    let starts = std::iter::successors(Some(first), |&from| to(from).succ_opt());
    starts
        .take_while(|&from| from <= last)
        .map(|from| (from, to(from)))
        .collect()
}

/// The last day of the month-long range starting on `from`.
fn month_end(from: NaiveDate) -> NaiveDate {
    from.checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(from)
}

/// The window report requests' queries cover (earliest `from` to latest `to`); `None` for none.
pub fn window_of<'a>(
    queries: impl IntoIterator<Item = &'a Query>,
) -> Option<(NaiveDate, NaiveDate)> {
    let day =
        |query: &Query, name: &str| NaiveDate::parse_from_str(query.get(name)?, "%Y-%m-%d").ok();
    queries.into_iter().fold(None, |window, query| {
        let (from, to) = (day(query, "from")?, day(query, "to")?);
        Some(match window {
            None => (from, to),
            Some((f, t)) => (from.min(f), to.max(t)),
        })
    })
}

/// The first request of each range's sweep.
pub fn sweeps(ranges: &[(NaiveDate, NaiveDate)]) -> Vec<PageRequest> {
    ranges
        .iter()
        .map(|(from, to)| {
            PageRequest::first(
                &ACTIVITIES,
                &[
                    ("from", from.format("%Y-%m-%d").to_string()),
                    ("to", to.format("%Y-%m-%d").to_string()),
                ],
            )
            .largest_pages()
        })
        .collect()
}

/// A request's `from` and `to` are dates, `to` at most a month after `from` (both reports' rule).
pub(crate) fn check_range(request: &PageRequest) -> Result<(), String> {
    let date = |name| {
        let text = request
            .param(name)
            .ok_or_else(|| format!("`{name}` is missing"))?;
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| format!("`{name}` {text:?}: {e}"))
    };
    let (from, to) = (date("from")?, date("to")?);
    if from <= to && to <= month_end(from) {
        return Ok(());
    }
    Err(format!(
        "{from} to {to} is not a range of at most one month"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_window_is_split_into_month_long_ranges_that_cover_it_exactly() {
        // 90 days ending 2026-12-01 start on 2026-09-03.
        let ranges = windows(day("2026-12-01"), 90);
        assert_eq!(
            ranges,
            [
                (day("2026-09-03"), day("2026-10-02")),
                (day("2026-10-03"), day("2026-11-02")),
                (day("2026-11-03"), day("2026-12-01")),
            ]
        );
        // 30 days fit in one month; one day is one range of one day.
        assert_eq!(
            windows(day("2026-12-01"), 30),
            [(day("2026-11-02"), day("2026-12-01"))]
        );
        assert_eq!(
            windows(day("2026-03-01"), 1),
            [(day("2026-03-01"), day("2026-03-01"))]
        );
        // Across February and at the longest window: contiguous, within a month each, 180 days.
        for (last, days) in [("2026-03-31", 60), ("2024-03-30", 180), ("2026-12-01", 180)] {
            let ranges = windows(day(last), days);
            let covered: i64 = ranges.iter().map(|(f, t)| (*t - *f).num_days() + 1).sum();
            assert_eq!(covered, i64::from(days), "{last} {days}");
            assert_eq!(ranges.last().unwrap().1, day(last));
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].1.succ_opt().unwrap(), pair[1].0);
            }
            for request in sweeps(&ranges) {
                check_range(&request).unwrap();
            }
        }
    }

    #[test]
    fn a_range_over_a_month_is_not_a_request_this_tool_sends() {
        let request = |from: &str, to: &str| {
            PageRequest::first(&ACTIVITIES, &[("from", from.into()), ("to", to.into())])
        };
        // A month from January 31 is February 28 (chrono clamps), so the range ends the day before:
        // on the safe side of Zoom's unstated rule.
        assert!(check_range(&request("2026-01-31", "2026-02-27")).is_ok());
        assert!(check_range(&request("2026-01-31", "2026-02-28")).is_err());
        assert!(check_range(&request("2026-03-02", "2026-04-01")).is_ok());
        assert!(check_range(&request("2026-03-02", "2026-04-02")).is_err());
        assert!(check_range(&request("2026-02-01", "2026-01-31")).is_err());
        assert!(check_range(&PageRequest::first(&ACTIVITIES, &[])).is_err());
    }
}
