//! Paid add-ons per user (`zoom_user_addons`), from each user's settings: one row per user and
//! add-on that is on, with its capacity when Zoom gives one, and the whole `feature` object as JSON
//! text in every row, so nothing Zoom adds later is lost.
//!
//! What counts as on: a member of `feature` that is `true` (`large_meeting`, `webinar`,
//! `zoom_phone`, …), or text other than `""` and `None` (`concurrent_meeting`: `Basic` or `Plus`).
//! A member's capacity is the number in `<member>_capacity`; numbers on their own
//! (`meeting_capacity`, the capacities) are not add-ons, nor are the flags in [`NOT_ADDONS`].
//! A user's settings are read once: a repeat (a users sweep read again) is counted and dropped.

use std::sync::{Arc, OnceLock};

use arrow_array::builder::{Int32Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use extractor::Page;
use extractor::zoom::user_settings::Settings;
use serde::Serialize;
use serde_json::Value;

use crate::batch::{repeat_option, repeat_time};
use crate::context::RunContext;
use crate::schema::{text, timestamp_type};

/// `zoom_user_addons`: one row per user and add-on that is on.
pub fn addons_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(vec![
                text("account_id", true),
                text("user_key", false),
                text("addon", false),
                text("value", false),
                Field::new("capacity", DataType::Int32, true),
                text("feature", false),
                Field::new("extracted_at", timestamp_type(), false),
                text("run_id", false),
            ]))
        })
        .clone()
}

/// `feature` flags that are not paid add-ons: where meetings may be hosted (`cn_meeting`: China,
/// `in_meeting`: India).
pub const NOT_ADDONS: &[&str] = &["cn_meeting", "in_meeting"];

/// Counts of the users' settings, for the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AddonStats {
    /// Users whose settings were read.
    pub users_read: u64,
    /// Users with at least one add-on on.
    pub users_with_addons: u64,
    /// Rows written: add-ons that are on.
    pub addons: u64,
    /// Users whose settings had no `feature` object (no rows).
    pub without_feature: u64,
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

/// The add-ons that are on in a `feature` object: (name, value as text, capacity).
pub fn addons_on(feature: &serde_json::Map<String, Value>) -> Vec<(String, String, Option<i64>)> {
    let capacity = |name: &str| {
        feature
            .get(&format!("{name}_capacity"))
            .and_then(Value::as_i64)
    };
    feature
        .iter()
        .filter(|(name, _)| !NOT_ADDONS.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            let on = match value {
                Value::Bool(true) => "true".to_string(),
                Value::String(text) if !text.is_empty() && text != "None" => text.clone(),
                _ => return None,
            };
            Some((name.clone(), on, capacity(name)))
        })
        .collect()
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
    let on = addons_on(&feature);
    let feature_text = Value::Object(feature).to_string();
    if !on.is_empty() {
        stats.users_with_addons += 1;
    }
    stats.addons += on.len() as u64;
    let n = on.len();
    let (mut key, mut addon, mut value, mut capacity, mut json) = (
        StringBuilder::new(),
        StringBuilder::new(),
        StringBuilder::new(),
        Int32Builder::new(),
        StringBuilder::new(),
    );
    for (name, text, cap) in &on {
        key.append_value(user_key);
        addon.append_value(name);
        value.append_value(text);
        capacity.append_option(cap.and_then(|c| i32::try_from(c).ok()));
        json.append_value(&feature_text);
    }
    let columns: Vec<ArrayRef> = vec![
        repeat_option(run.account_id.as_deref(), n),
        Arc::new(key.finish()),
        Arc::new(addon.finish()),
        Arc::new(value.finish()),
        Arc::new(capacity.finish()),
        Arc::new(json.finish()),
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
        let mut on = addons_on(&feature);
        on.sort();
        assert_eq!(
            on,
            [
                ("concurrent_meeting".to_string(), "Plus".to_string(), None),
                ("large_meeting".to_string(), "true".to_string(), Some(500)),
                ("zoom_phone".to_string(), "true".to_string(), None),
            ]
        );
    }
}
