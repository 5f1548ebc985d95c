//! Paid add-ons per user (`zoom_user_addons`), from each user's settings: one row per user and
//! add-on that is on, with its capacity when Zoom gives one, and the add-on's own members of the
//! `feature` object (`webinar`, `webinar_capacity`, …) as JSON text, so a detail Zoom adds to an
//! add-on later is kept. A row holds only that, bounded: a settings body of megabytes makes rows of
//! the same few hundred bytes.
//!
//! What counts as on: a member of `feature` that is `true` (`large_meeting`, `webinar`,
//! `zoom_phone`, …), or a short text other than `""` and `None` (`concurrent_meeting`: `Basic` or
//! `Plus`). A member's capacity is the number in `<member>_capacity`; numbers on their own
//! (`meeting_capacity`, the capacities) are not add-ons, nor are the flags in [`NOT_ADDONS`].
//! A user's settings are read once: a repeat (a users sweep read again) is counted and dropped.

use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, SchemaRef};
use extractor::Page;
use extractor::zoom::user_settings::Settings;
use serde::Serialize;
use serde_json::Value;

use crate::batch::{repeat_option, repeat_text, repeat_time};
use crate::context::RunContext;
use crate::schema::{shared, text, timestamp_type};

/// `zoom_user_addons`: one row per user and add-on that is on.
pub fn addons_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    shared(&SCHEMA, || {
        vec![
            text("account_id", true),
            text("user_key", false),
            text("addon", false),
            text("value", false),
            Field::new("capacity", DataType::Int32, true),
            text("feature", false),
            Field::new("extracted_at", timestamp_type(), false),
            text("run_id", false),
        ]
    })
}

/// The longest text value, and member name, read as an add-on: Zoom's levels are words (`Basic`,
/// `Plus`); a longer text is no level, and is not copied into rows.
pub const LONGEST_TEXT: usize = 64;

/// The most of an add-on's own members (`webinar`, `webinar_capacity`, …) a row keeps.
pub const MOST_OWN_MEMBERS: usize = 8;

/// `feature` flags that are not paid add-ons: where meetings may be hosted (`cn_meeting`: China,
/// `in_meeting`: India).
pub const NOT_ADDONS: &[&str] = &["cn_meeting", "in_meeting"];

/// Counts of the users' settings, for the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AddonStats {
    /// Users whose settings were read.
    pub users_read: u64,
    /// Users with at least one add-on on.
    pub users_with_addons: u64,
    /// Rows written: add-ons that are on.
    pub addons: u64,
    /// Users whose settings had no `feature` object (no rows).
    pub without_feature: u64,
    /// `feature` members left out for being no add-on Zoom sends: a name or text longer than
    /// [`LONGEST_TEXT`].
    pub odd_members: u64,
    /// Settings of a user already read, dropped.
    pub duplicates: u64,
}

/// The add-ons counted so far, and the users whose settings were read.
#[derive(Debug, Default)]
pub struct AddonTally {
    /// The counts.
    pub stats: AddonStats,
    seen: std::collections::HashSet<String>,
}

impl AddonStats {
    /// What the run must say of the settings it could not read: `Err` when no settings answer had
    /// a `feature` object, or when every one of at least two users asked was `gone` (Zoom's own
    /// answers would not all say so: the add-ons cannot be read at all, so an empty table would
    /// be a lie); a warning when some lacked a `feature` object.
    pub fn verdict(&self, gone: u64) -> Result<Option<String>, String> {
        if gone >= 2 && self.users_read == 0 {
            return Err(format!(
                "every one of the {gone} users' settings asked for answered \"not found\", so no \
                 add-on can be read (an API address that is not Zoom's, or a proxy)"
            ));
        }
        match (self.without_feature, self.users_read) {
            (0, _) => Ok(None),
            (lacking, read) if lacking == read => Err(format!(
                "none of the {read} users' settings Zoom sent had a `feature` object, so no add-on \
                 can be read (a changed API, or answers that are not Zoom's)"
            )),
            (lacking, read) => Ok(Some(format!(
                "{lacking} of {read} users' settings had no `feature` object: those users show no \
                 add-ons (`without_feature` in the manifest)"
            ))),
        }
    }
}

/// An add-on that is on: its name, its value as text, its capacity, and its own members of
/// `feature` as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AddonOn {
    /// The member's name, e.g. `webinar`.
    pub name: String,
    /// `true`, or the level (`Plus`).
    pub value: String,
    /// `<name>_capacity`, when a number.
    pub capacity: Option<i64>,
    /// `{"webinar":true,"webinar_capacity":1000}`: the member and those named after it.
    pub own_members: String,
}

/// The add-ons that are on in a `feature` object, and how many of its members were too long to
/// be one.
pub fn addons_on(feature: &serde_json::Map<String, Value>) -> (Vec<AddonOn>, u64) {
    let mut odd = 0;
    let mut on = Vec::new();
    for (name, value) in feature {
        if NOT_ADDONS.contains(&name.as_str()) {
            continue;
        }
        let text = match value {
            Value::Bool(true) => "true",
            Value::String(text) if !text.is_empty() && text != "None" => text.as_str(),
            _ => continue,
        };
        if name.len() > LONGEST_TEXT || text.len() > LONGEST_TEXT {
            odd += 1;
            continue;
        }
        let prefix = format!("{name}_");
        let capacity_key = format!("{prefix}capacity");
        let mut own: Vec<(&String, &Value)> = feature
            .iter()
            .filter(|(k, v)| {
                (*k == name || k.starts_with(&prefix))
                    && k.len() <= LONGEST_TEXT
                    && match v {
                        Value::String(t) => t.len() <= LONGEST_TEXT,
                        _ => !v.is_array() && !v.is_object(),
                    }
            })
            .collect();
        // The member itself and its capacity are always kept; the others as room allows.
        own.sort_by_key(|(k, _)| (*k != name, **k != capacity_key));
        let own: serde_json::Map<String, Value> = own
            .into_iter()
            .take(MOST_OWN_MEMBERS)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        on.push(AddonOn {
            name: name.clone(),
            value: text.to_string(),
            capacity: feature.get(&capacity_key).and_then(Value::as_i64),
            own_members: Value::Object(own).to_string(),
        });
    }
    (on, odd)
}

/// One user's settings page as rows of `zoom_user_addons`.
pub fn addon_rows(
    page: &Page,
    run: &RunContext,
    tally: &mut AddonTally,
) -> Result<RecordBatch, String> {
    let stats = &mut tally.stats;
    let user_key = page
        .request
        .param("userId")
        .ok_or("a settings page without its user id")?;
    if !tally.seen.insert(user_key.to_string()) {
        stats.duplicates += 1;
        return Ok(RecordBatch::new_empty(addons_schema()));
    }
    // Odd settings lose no user: they count as settings without add-ons.
    let settings: Settings = serde_json::from_str(page.body()).unwrap_or_default();
    stats.users_read += 1;
    let Some(serde_json::Value::Object(feature)) = settings.feature else {
        stats.without_feature += 1;
        return Ok(RecordBatch::new_empty(addons_schema()));
    };
    let (on, odd) = addons_on(&feature);
    stats.odd_members += odd;
    if !on.is_empty() {
        stats.users_with_addons += 1;
    }
    stats.addons += on.len() as u64;
    let n = on.len();
    let text = |value: fn(&AddonOn) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(on.iter().map(value)))
    };
    let capacities = on
        .iter()
        .map(|a| a.capacity.and_then(|c| i32::try_from(c).ok()));
    let columns: Vec<ArrayRef> = vec![
        repeat_option(run.account_id.as_deref(), n),
        repeat_text(user_key, n),
        text(|a| &a.name),
        text(|a| &a.value),
        Arc::new(Int32Array::from_iter(capacities)),
        text(|a| &a.own_members),
        repeat_time(run.extracted_at_micros, n),
        repeat_option(Some(&run.run_id), n),
    ];
    RecordBatch::try_new(addons_schema(), columns).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_means_true_or_a_level_and_capacities_go_with_their_addon() {
        let feature: serde_json::Map<String, Value> = serde_json::from_str(
            r#"{"meeting_capacity":300,"large_meeting":true,"large_meeting_capacity":500,
                "webinar":false,"webinar_capacity":1000,"zoom_phone":true,
                "concurrent_meeting":"Plus","zoom_events":"None","zoom_docs":""}"#,
        )
        .unwrap();
        let (on, odd) = addons_on(&feature);
        let mut on: Vec<(&str, &str, Option<i64>, &str)> = on
            .iter()
            .map(|a| (&*a.name, &*a.value, a.capacity, &*a.own_members))
            .collect();
        on.sort();
        assert_eq!(
            on,
            [
                (
                    "concurrent_meeting",
                    "Plus",
                    None,
                    r#"{"concurrent_meeting":"Plus"}"#
                ),
                (
                    "large_meeting",
                    "true",
                    Some(500),
                    r#"{"large_meeting":true,"large_meeting_capacity":500}"#
                ),
                ("zoom_phone", "true", None, r#"{"zoom_phone":true}"#),
            ]
        );
        assert_eq!(odd, 0);
    }

    /// Where meetings may be hosted (China, India) is a flag, not a paid add-on.
    #[test]
    fn hosting_regions_are_not_addons() {
        let feature: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"cn_meeting":true,"in_meeting":true,"webinar":true}"#)
                .unwrap();
        let (on, _) = addons_on(&feature);
        let names: Vec<&str> = on.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["webinar"]);
    }

    /// A settings body of megabytes (a huge text, an add-on's member that is a huge array, very
    /// many members named after an add-on) still makes rows of a few hundred bytes.
    #[test]
    fn a_row_is_bounded_whatever_the_feature_object_holds() {
        let huge = "x".repeat(5 << 20);
        let mut feature = serde_json::Map::new();
        feature.insert("webinar".into(), Value::Bool(true));
        feature.insert(
            "webinar_list".into(),
            Value::Array(vec![Value::from(1); 100_000]),
        );
        for n in 0..10_000 {
            feature.insert(format!("webinar_{n}"), Value::from(n));
        }
        feature.insert("zoom_events".into(), Value::String(huge.clone()));
        feature.insert(huge.clone(), Value::Bool(true));
        feature.insert("webinar_capacity".into(), Value::from(1000));
        let (on, odd) = addons_on(&feature);
        assert_eq!(odd, 2, "the huge text and the huge name");
        assert_eq!(on.len(), 1);
        assert_eq!(on[0].name, "webinar");
        assert!(on[0].own_members.len() < 400, "{}", on[0].own_members);
        // Among ten thousand members named after it, its flag and capacity are kept.
        let own: Value = serde_json::from_str(&on[0].own_members).unwrap();
        assert_eq!(own["webinar"], true, "{own}");
        assert_eq!(own["webinar_capacity"], 1000, "{own}");
    }

    #[test]
    fn settings_without_a_feature_object_are_a_warning_or_a_failure() {
        let stats = |read, without_feature| AddonStats {
            users_read: read,
            without_feature,
            ..AddonStats::default()
        };
        assert_eq!(stats(5, 0).verdict(0), Ok(None));
        assert_eq!(stats(0, 0).verdict(0), Ok(None));
        let warning = stats(5, 2).verdict(0).unwrap().unwrap();
        assert!(warning.starts_with("2 of 5 users' settings"), "{warning}");
        let failure = stats(5, 5).verdict(0).unwrap_err();
        assert!(failure.contains("none of the 5"), "{failure}");
        // One user deleted between the list and the settings is a counted skip, every one of
        // several is no Zoom.
        assert_eq!(stats(0, 0).verdict(1), Ok(None));
        assert_eq!(stats(3, 0).verdict(2), Ok(None));
        let failure = stats(0, 0).verdict(2).unwrap_err();
        assert!(failure.contains("every one of the 2"), "{failure}");
    }
}
