//! A price list: what a licensed seat and each paid add-on cost a month, in one currency. Prices
//! are kept in hundredths of the currency's unit, so a saving summed over thousands of seats is
//! exact. The tool never guesses a price: without a list, savings are unknown (null).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

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
        p if p > MOST => Err(format!("is over {MOST} a month ({p:e})")),
        // A price in cents: more digits would be rounded away from every sum, silently.
        p if ((p * 100.0).round() - p * 100.0).abs() > 1e-6 => Err(format!(
            "has more than two decimals ({p}): give the price a month in cents, as billed"
        )),
        // Within range: the cast is exact after rounding.
        p => Ok((p * 100.0).round() as u64),
    }
}

/// Hundredths as the decimal a table or summary shows (`1599` → `15.99`).
pub fn as_decimal(hundredths: u64) -> f64 {
    hundredths as f64 / 100.0
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    currency: Spanned<String>,
    per_month: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

impl PriceList {
    /// The list a price file's TOML `text` gives, or where (a byte offset) and what is wrong:
    /// `currency = "USD"`, then `[per_month]` with `licensed = 15.99` and paid add-ons by name.
    pub fn from_toml(text: &str) -> Result<PriceList, (usize, String)> {
        from_toml(text)
    }
}

/// [`PriceList::from_toml`], one check after the other.
fn from_toml(text: &str) -> Result<PriceList, (usize, String)> {
    let file: PriceFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        (
            at,
            format!(
                "{} (see docs/derived-tables.md, \"Prices\")",
                e.message().trim()
            ),
        )
    })?;
    let currency = file.currency.get_ref().trim();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        let what = format!("currency {currency:?} is not a three-letter code such as \"USD\"");
        return Err((file.currency.span().start, what));
    }
    let mut list = PriceList {
        currency: currency.to_string(),
        seat: 0,
        addons: BTreeMap::new(),
    };
    let mut seat = None;
    for (name, price) in &file.per_month {
        let (key, at) = (name.get_ref().as_str(), name.span().start);
        let number = match price.get_ref() {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            other => {
                let what = format!("`{key}` is {}, not a price", other.type_str());
                return Err((price.span().start, what));
            }
        };
        let cents =
            hundredths(number).map_err(|why| (price.span().start, format!("`{key}` {why}")))?;
        match key {
            SEAT => seat = Some(cents),
            addon if PRICED_ADDONS.contains(&addon) => {
                list.addons.insert(addon.to_string(), cents);
            }
            unknown => {
                let what = format!(
                    "`{unknown}` is neither `{SEAT}` nor a paid add-on ({})",
                    PRICED_ADDONS.join(", ")
                );
                return Err((at, what));
            }
        }
    }
    list.seat = seat.ok_or_else(|| {
        let what = format!("[per_month] gives no `{SEAT}` price: the price of a licensed seat");
        (text.find("[per_month]").unwrap_or(0), what)
    })?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of an error in `text`, and its message.
    fn refusal(text: &str) -> (usize, String) {
        let (at, what) = PriceList::from_toml(text).unwrap_err();
        (text[..at].matches('\n').count() + 1, what)
    }

    #[test]
    fn a_list_gives_hundredths_per_seat_and_add_on() {
        let list = PriceList::from_toml(
            "currency = \"USD\"\n[per_month]\nlicensed = 15.99\nwebinar = 79\nzoom_phone = 10.0\n",
        )
        .unwrap();
        assert_eq!(list.currency, "USD");
        assert_eq!(list.seat, 1599);
        let expected: BTreeMap<String, u64> =
            [("webinar".into(), 7900), ("zoom_phone".into(), 1000)].into();
        assert_eq!(list.addons, expected);
    }

    #[test]
    fn each_mistake_names_its_line_and_key() {
        let head = "currency = \"USD\"\n[per_month]\nlicensed = 15.99\n";
        let (line, what) = refusal(&format!("{head}webinar = -79.0\n"));
        assert_eq!(line, 4);
        assert!(what.contains("`webinar` is negative"), "{what}");
        let (line, what) = refusal(&format!("{head}webinar = \"79\"\n"));
        assert_eq!(line, 4);
        assert!(what.contains("`webinar` is string, not a price"), "{what}");
        let (line, what) = refusal(&format!("{head}\nwebinars = 79.0\n"));
        assert_eq!(line, 5);
        assert!(what.contains("`webinars` is neither"), "{what}");
        let (line, what) = refusal("currency = \"dollars\"\n[per_month]\nlicensed = 1\n");
        assert_eq!(line, 1);
        assert!(what.contains("three-letter"), "{what}");
        let (line, what) = refusal("currency = \"EUR\"\n\n[per_month]\nwebinar = 1\n");
        assert_eq!(line, 3);
        assert!(what.contains("no `licensed` price"), "{what}");
        let (line, what) = refusal("currency = \"EUR\"\n[per_month]\nlicensed = 1\nlicensed = 2\n");
        assert_eq!(line, 4);
        assert!(what.to_lowercase().contains("duplicate"), "{what}");
        let (_, what) = refusal("[per_month]\nlicensed = 1\n");
        assert!(what.contains("currency"), "{what}");
        let (line, what) = refusal("currency = \"EUR\"\nvat = 0.2\n[per_month]\nlicensed = 1\n");
        assert_eq!(line, 2);
        assert!(what.contains("vat"), "{what}");
    }

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
