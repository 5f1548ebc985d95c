//! `GET /report/users?type=active`: Zoom's active-hosts report (`../shared/zoom-api.md` §3.3), each
//! user who hosted at least one meeting in a range, with their meetings, participants and minutes.
//! Like the sign-in report: a range of at most a month of the last six, Heavy, Pro plans or higher.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::zoom::activities::check_range;
use crate::zoom::endpoint::{Endpoint, PageRequest, Rate};

/// `GET /report/users`.
pub static HOST_REPORT: Endpoint = Endpoint {
    path: "report/users",
    records: Some("users"),
    paginated: true,
    max_page_size: Some(300),
    scopes: &["report:read:list_users:admin", "report:read:admin"],
    rate: Rate::Heavy,
    // An account's own fields (a phone number, a cost centre): nothing a license decision reads.
    personal: &["custom_attributes"],
    check_query,
    ..Endpoint::DEFAULTS
};

/// One host of the report, as Zoom sends it; counts read whether Zoom sends numbers or digits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct HostUsage {
    /// The user's id.
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub id: Option<String>,
    /// The user's email.
    #[serde(default, deserialize_with = "crate::zoom::text::any_text")]
    pub email: Option<String>,
    /// Meetings hosted in the range.
    #[serde(default, deserialize_with = "crate::zoom::text::any_count")]
    pub meetings: Option<i64>,
    /// Participants of those meetings.
    #[serde(default, deserialize_with = "crate::zoom::text::any_count")]
    pub participants: Option<i64>,
    /// Minutes of those meetings.
    #[serde(default, deserialize_with = "crate::zoom::text::any_count")]
    pub meeting_minutes: Option<i64>,
}

/// The first request of each range's sweep: the hosts active in it (a host the report does not
/// list hosted nothing, so `type=inactive` is never needed).
pub fn sweeps(ranges: &[(NaiveDate, NaiveDate)]) -> Vec<PageRequest> {
    ranges
        .iter()
        .map(|(from, to)| {
            let day = |d: &NaiveDate| d.format("%Y-%m-%d").to_string();
            let query = [
                ("type", "active".to_string()),
                ("from", day(from)),
                ("to", day(to)),
            ];
            PageRequest::first(&HOST_REPORT, &query).largest_pages()
        })
        .collect()
}

/// A request asks for the active hosts of one range of dates, no longer than a month.
fn check_query(request: &PageRequest) -> Result<(), String> {
    match request.param("type") {
        Some("active") => check_range(request),
        other => Err(format!(
            "`type` is {other:?}, this build asks for \"active\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoom::activities::windows;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn each_range_is_one_request_for_its_active_hosts_in_the_largest_pages() {
        let requests = sweeps(&windows(day("2026-12-01"), 90));
        let asked: Vec<_> = requests
            .iter()
            .map(|r| {
                let p = |n| r.param(n).unwrap().to_string();
                (p("type"), p("from"), p("to"), r.query.page_size)
            })
            .collect();
        let expected = |from: &str, to: &str| ("active".into(), from.into(), to.into(), Some(300));
        assert_eq!(
            asked,
            [
                expected("2026-09-03", "2026-10-02"),
                expected("2026-10-03", "2026-11-02"),
                expected("2026-11-03", "2026-12-01"),
            ]
        );
        for request in &requests {
            assert_eq!(check_query(request), Ok(()));
        }
    }

    #[test]
    fn only_the_active_hosts_of_a_month_at_most_are_requests_this_tool_sends() {
        let request = |kind: Option<&str>, from: &str, to: &str| {
            let mut query = vec![("from", from.to_string()), ("to", to.to_string())];
            query.extend(kind.map(|k| ("type", k.to_string())));
            PageRequest::first(&HOST_REPORT, &query)
        };
        assert!(check_query(&request(Some("active"), "2026-03-02", "2026-04-01")).is_ok());
        assert!(check_query(&request(Some("active"), "2026-03-02", "2026-04-02")).is_err());
        assert!(check_query(&request(Some("inactive"), "2026-03-02", "2026-03-09")).is_err());
        assert!(check_query(&request(None, "2026-03-02", "2026-03-09")).is_err());
    }

    #[test]
    fn its_records_are_users_but_not_the_listing_a_run_counts() {
        // Pages of `GET /users` are the license rows; a page of hosts must never be read as one.
        assert!(!HOST_REPORT.lists_users());
        assert!(crate::zoom::users::USERS.lists_users());
    }

    #[test]
    fn a_host_is_read_whatever_type_zoom_gives_its_counts() {
        let host: HostUsage = serde_json::from_str(
            r#"{"id":"u1","email":"a@example.com","user_name":"A B","meetings":3,
                "participants":"12","meeting_minutes":95,"custom_attributes":[]}"#,
        )
        .unwrap();
        assert_eq!(host.id.as_deref(), Some("u1"));
        assert_eq!(
            (host.meetings, host.participants, host.meeting_minutes),
            (Some(3), Some(12), Some(95))
        );
    }
}
