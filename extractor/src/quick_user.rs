//! A quick reader for user records in the shape Zoom sends them, with serde_json the judge of the rest.
//!
//! serde_json's derived reader spent most of a replay's transform CPU on its generic machinery:
//! parsing every key as a string before matching it, wrapping every field in `Option` visitors,
//! validating every ignored value. This reader walks one record's bytes once, matches keys as
//! bytes, and borrows every plain string. It reads only the plain case: keys without escapes,
//! strings without escapes or control characters, integers where Zoom sends integers, each field
//! once. Anything else makes it decline (`None`), and the caller reads the record with serde_json,
//! whose result or error is the answer. So whenever it returns a user, serde_json would have read
//! the same user from the same text (tested on every fixture record and on altered ones).

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::user::{PlanUnitedType, ZoomUser};

/// Reads the user object starting at `start` in `text`, looking no further than `limit`; returns
/// the user and the index just past its `}`, or `None` when serde_json must read it instead.
pub(crate) fn read_user(text: &str, start: usize, limit: usize) -> Option<(ZoomUser<'_>, usize)> {
    let mut r = Reader {
        text,
        b: &text.as_bytes()[..limit.min(text.len())],
        i: start,
    };
    let user = r.object()?;
    Some((user, r.i))
}

/// Reads `text` whole as one user object (whitespace around it allowed), or `None` as above.
pub(crate) fn read_whole(text: &str) -> Option<ZoomUser<'_>> {
    let start = text.len() - text.trim_start().len();
    let (user, end) = read_user(text, start, text.len())?;
    text[end..]
        .bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .then_some(user)
}

/// The index of the first `"`, `\\` or control character in `b` from `from` on (`b.len()` when
/// there is none), eight bytes at a time: strings in user records are short, and `memchr`'s set-up
/// cost more than the search.
fn special_byte(b: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let chars = u64::from_le_bytes(word);
        let quote = chars ^ (ONES * u64::from(b'"'));
        let backslash = chars ^ (ONES * u64::from(b'\\'));
        // The classic "has a zero byte" test, for each; below 0x20 the same way. A match can only
        // be misreported above a true one, so the lowest flagged byte is exact.
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (chars.wrapping_sub(ONES * 0x20) & !chars);
        let found = found & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i.min(b.len())..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(b.len().saturating_sub(i))
}

/// Bit of each field in the set of fields already read (a repeated field is serde's error).
mod seen {
    pub const ID: u32 = 1;
    pub const EMAIL: u32 = 1 << 1;
    pub const FIRST_NAME: u32 = 1 << 2;
    pub const LAST_NAME: u32 = 1 << 3;
    pub const DISPLAY_NAME: u32 = 1 << 4;
    pub const TYPE: u32 = 1 << 5;
    pub const STATUS: u32 = 1 << 6;
    pub const DEPT: u32 = 1 << 7;
    pub const ROLE_ID: u32 = 1 << 8;
    pub const TIMEZONE: u32 = 1 << 9;
    pub const USER_CREATED_AT: u32 = 1 << 10;
    pub const CREATED_AT: u32 = 1 << 11;
    pub const LAST_LOGIN_TIME: u32 = 1 << 12;
    pub const LAST_CLIENT_VERSION: u32 = 1 << 13;
    pub const PLAN_UNITED_TYPE: u32 = 1 << 14;
    pub const LICENSE_INFO_LIST: u32 = 1 << 15;
}

struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    fn object(&mut self) -> Option<ZoomUser<'a>> {
        let mut user = ZoomUser::default();
        let mut seen = 0u32;
        self.eat(b'{')?;
        self.skip_ws();
        if self.eat(b'}').is_some() {
            return Some(user);
        }
        loop {
            let key = self.plain_string()?;
            self.skip_ws();
            self.eat(b':')?;
            self.skip_ws();
            let bit = self.member(key.as_bytes(), &mut user)?;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            self.skip_ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.skip_ws();
                }
                b'}' => {
                    self.i += 1;
                    return Some(user);
                }
                _ => return None,
            }
        }
    }

    /// Reads the value of member `key` into `user`; returns the field's bit (0 for an ignored one).
    fn member(&mut self, key: &[u8], user: &mut ZoomUser<'a>) -> Option<u32> {
        let (field, bit) = match key {
            b"id" => (&mut user.id, seen::ID),
            b"email" => (&mut user.email, seen::EMAIL),
            b"first_name" => (&mut user.first_name, seen::FIRST_NAME),
            b"last_name" => (&mut user.last_name, seen::LAST_NAME),
            b"display_name" => (&mut user.display_name, seen::DISPLAY_NAME),
            b"status" => (&mut user.status, seen::STATUS),
            b"dept" => (&mut user.dept, seen::DEPT),
            b"role_id" => (&mut user.role_id, seen::ROLE_ID),
            b"timezone" => (&mut user.timezone, seen::TIMEZONE),
            b"user_created_at" => (&mut user.user_created_at, seen::USER_CREATED_AT),
            b"created_at" => (&mut user.created_at, seen::CREATED_AT),
            b"last_login_time" => (&mut user.last_login_time, seen::LAST_LOGIN_TIME),
            b"last_client_version" => (&mut user.last_client_version, seen::LAST_CLIENT_VERSION),
            b"type" => {
                user.plan_type = match self.null()? {
                    true => None,
                    false => Some(self.integer()?),
                };
                return Some(seen::TYPE);
            }
            b"plan_united_type" => {
                user.plan_united_type = match self.peek()? {
                    b'"' => Some(PlanUnitedType::Text(Cow::Borrowed(self.plain_string()?))),
                    _ if self.null()? => None,
                    _ => Some(PlanUnitedType::Number(u64::try_from(self.integer()?).ok()?)),
                };
                return Some(seen::PLAN_UNITED_TYPE);
            }
            b"license_info_list" => {
                user.license_info_list = match self.null()? {
                    true => None,
                    false => Some(self.raw_value()?),
                };
                return Some(seen::LICENSE_INFO_LIST);
            }
            _ => {
                self.ignored_value()?;
                return Some(0);
            }
        };
        *field = match self.null()? {
            true => None,
            false => Some(Cow::Borrowed(self.plain_string()?)),
        };
        Some(bit)
    }

    /// Consumes `null` when it is next; says whether it was.
    fn null(&mut self) -> Option<bool> {
        if self.peek()? != b'n' {
            return Some(false);
        }
        self.literal(b"null")?;
        Some(true)
    }

    /// Consumes `word` and checks that a delimiter follows it.
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then_some(())?;
        self.i = end;
        self.delimited()
    }

    /// Checks that what follows a scalar can end it (serde would refuse `nullx` or `12a`).
    fn delimited(&self) -> Option<()> {
        match self.peek() {
            None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') => Some(()),
            Some(_) => None,
        }
    }

    /// A string without escapes or control characters, borrowed; the cursor ends past its quote.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let end = special_byte(self.b, start);
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        // Quotes are ASCII, so both ends fall on character boundaries of the `str`.
        self.text.get(start..end)
    }

    /// An integer as serde_json reads one into an `i64`: no fraction, no exponent, no leading zero.
    fn integer(&mut self) -> Option<i64> {
        let negative = self.peek()? == b'-';
        let start = self.i + usize::from(negative);
        let digits = self.b[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 18 || (digits > 1 && self.b[start] == b'0') {
            return None;
        }
        let mut value: i64 = 0;
        for &c in &self.b[start..start + digits] {
            value = value * 10 + i64::from(c - b'0');
        }
        self.i = start + digits;
        self.delimited()?;
        Some(if negative { -value } else { value })
    }

    /// A value kept verbatim; checked by serde_json unless it is an empty array.
    fn raw_value(&mut self) -> Option<&'a RawValue> {
        let start = self.i;
        self.i = crate::scan::value_end(self.text, start, self.b.len()).ok()?;
        let text = self.text.get(start..self.i)?;
        serde_json::from_str::<&RawValue>(text).ok()
    }

    /// Skips a value of a field the user model does not keep, as long as it is plainly valid JSON.
    fn ignored_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.plain_string().map(drop),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'-' | b'0'..=b'9' => self.integer().map(drop),
            b'[' if self.b.get(self.i + 1) == Some(&b']') => {
                self.i += 2;
                Some(())
            }
            b'[' | b'{' => self.raw_value().map(drop),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick read of `json`, and serde_json's, both as `Debug` text (`None` when declined or
    /// refused).
    fn both(json: &str) -> (Option<String>, Option<String>) {
        let quick = read_whole(json).map(|u| format!("{u:?}"));
        let serde = serde_json::from_str::<ZoomUser<'_>>(json)
            .ok()
            .map(|u| format!("{u:?}"));
        (quick, serde)
    }

    fn reads_as_serde(json: &str) {
        let (quick, serde) = both(json);
        assert!(quick.is_some(), "declined: {json}");
        assert_eq!(quick, serde, "{json}");
    }

    fn declines(json: &str) {
        assert_eq!(both(json).0, None, "read: {json}");
    }

    #[test]
    fn reads_the_plain_shape_as_serde_json_does() {
        reads_as_serde(r#"{}"#);
        reads_as_serde(
            r#" { "id" : "a1", "email":"a@x", "type":2, "pmi":7037269251, "verified":1,
                "dept":null, "status":"active", "group_ids":[], "im_group_ids":["x"],
                "plan_united_type":"4", "license_info_list":[{"license_type":"MEETING"}],
                "custom_attributes":[{"key":"k","value":null}], "phone_number":"",
                "first_name":"Björn", "x":true, "y":false, "z":-0, "last_login_time":"t"} "#,
        );
        reads_as_serde(
            r#"{"email":"a@x","type":-7,"plan_united_type":17,"license_info_list":null}"#,
        );
        reads_as_serde(r#"{"email":"a@x","type":null,"plan_united_type":null}"#);
    }

    #[test]
    fn declines_what_only_serde_json_can_judge() {
        for json in [
            r#"{"email":"a \"quoted\" name"}"#,
            r#"{"\u0069d":"x"}"#,
            r#"{"email":"tab	inside"}"#,
            r#"{"type":2.0}"#,
            r#"{"type":1e3}"#,
            r#"{"type":"2"}"#,
            r#"{"type":02}"#,
            r#"{"type":99999999999999999999}"#,
            r#"{"plan_united_type":-1}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"email":"a@x",}"#,
            r#"{"email":"a@x" "id":"b"}"#,
            r#"{"pmi":1.5}"#,
            r#"{"x":nul}"#,
            r#"{"x":nullx}"#,
            r#"{"x":{"a":}}"#,
            r#"{"email":1}"#,
            r#"{"email":"a@x""#,
            r#"["a@x"]"#,
        ] {
            declines(json);
        }
    }

    #[test]
    fn special_bytes_are_found_at_every_offset() {
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', b'\n', 0u8, 0x1f] {
                    let mut b = vec![b'a'; len];
                    b.extend_from_slice("é~\x7f ".as_bytes());
                    if at < len {
                        b[at] = special;
                    }
                    let expected = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                    for from in 0..=at.min(len) {
                        assert_eq!(
                            special_byte(&b, from),
                            expected.unwrap_or(b.len()),
                            "{b:?} from {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_record_is_read_in_place_and_its_end_given() {
        let text = r#"[{"email":"a@x","type":1} , {"email":"b@x"}]"#;
        let (user, end) = read_user(text, 1, text.len() - 1).unwrap();
        assert_eq!(user.email.as_deref(), Some("a@x"));
        assert!(matches!(user.email, Some(Cow::Borrowed(_))));
        assert_eq!(&text[1..end], r#"{"email":"a@x","type":1}"#);
        // Never past the limit, even when the object would end after it.
        assert!(read_user(text, 1, 10).is_none());
    }

    #[test]
    fn every_cut_of_a_record_is_declined_or_read_as_serde_json_reads_it() {
        let json = r#"{"id":"a1","email":"a@x","type":2,"pmi":70,"dept":"Sales","group_ids":[],"license_info_list":[{"a":1}],"status":"active"}"#;
        for end in 0..json.len() {
            let cut = &json[..end];
            let (quick, serde) = both(cut);
            if quick.is_some() {
                assert_eq!(quick, serde, "{cut}");
            }
        }
    }

    /// Every record of every fixture page, and each with one byte changed at each place: whatever
    /// the quick reader reads, serde_json reads the same; and it reads every plain fixture record.
    #[test]
    fn fixture_records_read_as_serde_json_reads_them() {
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            users: Option<Vec<&'a RawValue>>,
        }
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let (mut read, mut declined, mut mutants) = (0, 0, 0);
        for set in std::fs::read_dir(&fixtures).unwrap() {
            let Ok(files) = std::fs::read_dir(set.unwrap().path().join("pages")) else {
                continue;
            };
            for file in files {
                let body = std::fs::read_to_string(file.unwrap().path()).unwrap();
                let Ok(page) = serde_json::from_str::<Page<'_>>(&body) else {
                    continue;
                };
                for record in page.users.unwrap_or_default() {
                    let json = record.get();
                    match both(json) {
                        (Some(quick), serde) => {
                            assert_eq!(Some(quick), serde, "{json}");
                            read += 1;
                        }
                        (None, serde) => {
                            // Only escapes, or a record serde_json refuses too, are left to it.
                            assert!(json.contains('\\') || serde.is_none(), "declined: {json}");
                            declined += 1;
                        }
                    }
                    // One record in eight, altered: enough to reach every kind of member.
                    if (read + declined) % 8 != 0 {
                        continue;
                    }
                    for at in 0..json.len() {
                        for byte in [b'"', b',', b'}', b'1', b'\\', b'x'] {
                            let mut bytes = json.as_bytes().to_vec();
                            bytes[at] = byte;
                            let Ok(mutant) = String::from_utf8(bytes) else {
                                continue;
                            };
                            if let (Some(quick), serde) = both(&mutant) {
                                assert_eq!(Some(quick), serde, "{mutant}");
                            }
                            mutants += 1;
                        }
                    }
                }
            }
        }
        assert!(
            read >= 100,
            "only {read} records read ({declined} declined)"
        );
        assert!(mutants > 100_000, "only {mutants} altered records");
        eprintln!("{read} read, {declined} declined, {mutants} altered records compared");
    }
}
