//! The rate limit as the mock Zoom sees it: requests of concurrent sweeps arrive evenly spaced at
//! `--max-rps`, never in bursts. The exact spacing is tested with governor's fake clock in
//! `extractor/src/http/rate_gate.rs`; this test checks that every request of every sweep goes
//! through that one gate, with margins a busy machine cannot break (the wall clock only delays).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use mock_zoom::{Account, MockZoom, generated_users};

/// Three sweeps of five pages each, running at once at 5 requests a second: the fifteen requests
/// arrive one period (200 ms) apart, never three within 50 ms (which allows one request delayed on
/// its way by 150 ms), and span the time the rate asks for. A limiter that lets a burst through
/// (governor's `allow_burst(10)`) sends the first ten together and fails both.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sweeps_arrive_evenly_spaced_never_in_bursts() {
    const MAX_RPS: u32 = 5;
    let users = generated_users(50, 50, 50);
    let mock = MockZoom::start(Account::new(users), BTreeMap::new(), Duration::ZERO).await;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = against_mock(&mock);
    cmd.args(["extract", "--format", "ndjson", "--output"])
        .arg(out.path().join("u.ndjson"))
        .args(["--max-rps", &MAX_RPS.to_string(), "--page-size", "10"])
        .args(["--statuses", "active,pending,inactive"]);
    let output = run_blocking(cmd).await;
    assert_succeeded(&output);

    let seen = mock.seen();
    let offsets = &seen.request_offsets;
    assert_eq!(offsets.len(), 15, "{:?}", seen.requests);
    // The sweeps ran at once: their requests interleave rather than come status after status.
    let switches = seen
        .requests
        .windows(2)
        .filter(|pair| pair[0].0 != pair[1].0)
        .count();
    assert!(
        switches > 2,
        "the sweeps ran one after another: {:?}",
        seen.requests
    );

    let period = Duration::from_secs(1) / MAX_RPS;
    let close = Duration::from_millis(50);
    for (n, three) in offsets.windows(3).enumerate() {
        assert!(
            three[2] - three[0] >= close,
            "requests {n} to {} arrived within {:?} (a burst; evenly spaced is {period:?} apart): \
             {offsets:?}",
            n + 2,
            three[2] - three[0]
        );
    }
    // 15 requests are 14 periods; a delay of the first request on its way shortens the span, for
    // which one period is allowed. Sleeps on a busy machine only lengthen it.
    let span = offsets[14] - offsets[0];
    assert!(
        span >= period * 13,
        "15 requests within {span:?}: more than {MAX_RPS} a second ({offsets:?})"
    );
    assert!(
        span < period * 14 * 4,
        "the limiter is far too slow: {span:?}"
    );
}
