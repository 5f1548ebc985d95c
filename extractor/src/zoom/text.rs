//! Reading a record's member as text whatever its JSON type, so an odd value (a number where text
//! was expected) never loses the record.

use serde::Deserialize;

/// A member as text: a string as it is, `null` as none, anything else as its JSON.
pub fn any_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text),
        other => Some(other.to_string()),
    })
}
