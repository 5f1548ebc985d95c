//! A price list: what a licensed seat and each paid add-on cost a month, in one currency. Prices
//! are kept in hundredths of the currency's unit, so a saving summed over thousands of seats is
//! exact. The tool never guesses a price: without a list, savings are unknown (null).

use std::collections::BTreeMap;

/// The add-ons a price list may name: the members of a user's `feature` settings that Zoom sells
/// (`../shared/zoom-api.md` §3), as `zoom_user_addons.addon` holds them.
pub const PRICED_ADDONS: &[&str] = &[
    "concurrent_meeting",
    "large_meeting",
    "webinar",
    "zoom_clips_plus",
    "zoom_docs",
    "zoom_events",
    "zoom_phone",
    "zoom_revenue_accelerator",
    "zoom_whiteboard",
    "zoom_workforce_management",
];

/// The name of a licensed seat's price in a list.
pub const SEAT: &str = "licensed";

/// The largest price a list may give (a million a month): above it, a typo, not a price.
const MOST: f64 = 1_000_000.0;

/// Prices per month, in hundredths of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceList {
    /// The currency, as the list names it (`USD`).
    pub currency: String,
    /// A licensed seat.
    pub seat: u64,
    /// Each add-on priced, by its name in [`PRICED_ADDONS`].
    pub addons: BTreeMap<String, u64>,
}

impl PriceList {
    /// What reclaiming one seat saves a month, in hundredths: its seat, and when the user is
    /// removed (not downgraded) the priced add-ons among `addons` too.
    pub fn saving<'a>(&self, removed: bool, addons: impl IntoIterator<Item = &'a str>) -> u64 {
        let held: u64 = match removed {
            true => addons.into_iter().filter_map(|a| self.addons.get(a)).sum(),
            false => 0,
        };
        self.seat + held
    }
}

/// A price as hundredths: `Err` says why it is no price (negative, not finite, or too large).
pub fn hundredths(price: f64) -> Result<u64, String> {
    match price {
        p if !p.is_finite() => Err("is not a number".into()),
        p if p < 0.0 => Err(format!("is negative ({p})")),
        p if p > MOST => Err(format!("is over {MOST} a month ({p})")),
        // Within range: the cast is exact after rounding.
        p => Ok((p * 100.0).round() as u64),
    }
}

/// Hundredths as the decimal a table or summary shows (`1599` → `15.99`).
pub fn as_decimal(hundredths: u64) -> f64 {
    hundredths as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> PriceList {
        PriceList {
            currency: "USD".into(),
            seat: 1599,
            addons: [
                ("webinar".to_string(), 7900),
                ("zoom_phone".to_string(), 1000),
            ]
            .into(),
        }
    }

    #[test]
    fn a_removed_seat_saves_its_priced_add_ons_too_a_downgraded_one_its_seat_only() {
        let held = ["webinar", "large_meeting", "zoom_phone"];
        // large_meeting is not priced: it adds nothing (and is never guessed).
        assert_eq!(list().saving(true, held), 1599 + 7900 + 1000);
        assert_eq!(list().saving(false, held), 1599);
        assert_eq!(list().saving(true, []), 1599);
    }

    #[test]
    fn prices_are_exact_hundredths_and_impossible_ones_are_refused() {
        assert_eq!(hundredths(15.99), Ok(1599));
        assert_eq!(hundredths(0.0), Ok(0));
        assert_eq!(hundredths(79.0), Ok(7900));
        // 10,000 seats at 15.99 sum exactly.
        assert_eq!(as_decimal(10_000 * hundredths(15.99).unwrap()), 159_900.0);
        assert!(hundredths(-1.0).is_err());
        assert!(hundredths(f64::NAN).is_err());
        assert!(hundredths(f64::INFINITY).is_err());
        assert!(hundredths(2e6).is_err());
    }

    #[test]
    fn the_priced_add_ons_are_sorted_and_none_is_the_seat() {
        assert!(PRICED_ADDONS.windows(2).all(|w| w[0] < w[1]));
        assert!(!PRICED_ADDONS.contains(&SEAT));
    }
}
