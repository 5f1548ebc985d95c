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

use crate::user::{PlanUnitedType, ZoomUser};

/// Reads the user object starting at `start` in `text`, looking no further than `limit`; returns
/// the user and the index just past its `}`, or `None` when serde_json must read it instead.
#[inline]
pub(crate) fn read_user(text: &str, start: usize, limit: usize) -> Option<(ZoomUser<'_>, usize)> {
    let mut r = Reader {
        text,
        b: &text.as_bytes()[..limit.min(text.len())],
        i: start,
    };
    let user = r.object()?;
    Some((user, r.i))
}

/// Reads `text` whole as one user object (JSON whitespace around it allowed), or `None` as above.
pub(crate) fn read_whole(text: &str) -> Option<ZoomUser<'_>> {
    let json_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = text.bytes().take_while(json_ws).count();
    let (user, end) = read_user(text, start, text.len())?;
    text.as_bytes()[end..].iter().all(json_ws).then_some(user)
}

/// The index of the first `"`, `\` or control character in `b` from `from` on (`b.len()` when
/// there is none), eight bytes at a time: strings in user records are short, and `memchr`'s set-up
/// cost more than the search.
#[inline(always)]
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

/// Whether two short byte strings are equal, compared eight bytes at a time (the last word
/// overlapping) instead of through a call to `bcmp`.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn word(bytes: &[u8], at: usize) -> u64 {
        let mut w = [0; 8];
        w.copy_from_slice(&bytes[at..at + 8]);
        u64::from_ne_bytes(w)
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

/// A member the user model keeps, or any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Email,
    FirstName,
    LastName,
    DisplayName,
    Type,
    Status,
    Dept,
    RoleId,
    Timezone,
    UserCreatedAt,
    CreatedAt,
    LastLoginTime,
    LastClientVersion,
    PlanUnitedType,
    LicenseInfoList,
    Other,
}

impl Key {
    /// The member's name in a Zoom user record.
    fn name(self) -> &'static [u8] {
        match self {
            Key::Id => b"id",
            Key::Email => b"email",
            Key::FirstName => b"first_name",
            Key::LastName => b"last_name",
            Key::DisplayName => b"display_name",
            Key::Type => b"type",
            Key::Status => b"status",
            Key::Dept => b"dept",
            Key::RoleId => b"role_id",
            Key::Timezone => b"timezone",
            Key::UserCreatedAt => b"user_created_at",
            Key::CreatedAt => b"created_at",
            Key::LastLoginTime => b"last_login_time",
            Key::LastClientVersion => b"last_client_version",
            Key::PlanUnitedType => b"plan_united_type",
            Key::LicenseInfoList => b"license_info_list",
            Key::Other => b"",
        }
    }

    /// The user's field for a key whose value is a string; `None` for the others.
    fn text_field<'u, 'a>(
        self,
        user: &'u mut ZoomUser<'a>,
    ) -> Option<&'u mut Option<Cow<'a, str>>> {
        Some(match self {
            Key::Id => &mut user.id,
            Key::Email => &mut user.email,
            Key::FirstName => &mut user.first_name,
            Key::LastName => &mut user.last_name,
            Key::DisplayName => &mut user.display_name,
            Key::Status => &mut user.status,
            Key::Dept => &mut user.dept,
            Key::RoleId => &mut user.role_id,
            Key::Timezone => &mut user.timezone,
            Key::UserCreatedAt => &mut user.user_created_at,
            Key::CreatedAt => &mut user.created_at,
            Key::LastLoginTime => &mut user.last_login_time,
            Key::LastClientVersion => &mut user.last_client_version,
            Key::Type | Key::PlanUnitedType | Key::LicenseInfoList | Key::Other => return None,
        })
    }

    /// The key's bit in the set of fields already read (a repeated field is serde's error); 0 for
    /// an ignored member, which may repeat.
    fn bit(self) -> u32 {
        match self {
            Key::Other => 0,
            known => 1 << known as u32,
        }
    }
}

/// How deeply the values of ignored members may nest before serde_json is left to read them.
const MAX_DEPTH: u8 = 16;

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

    #[inline]
    fn object(&mut self) -> Option<ZoomUser<'a>> {
        let mut user = ZoomUser::default();
        let mut seen = 0u32;
        self.eat(b'{')?;
        self.skip_ws();
        if self.eat(b'}').is_some() {
            return Some(user);
        }
        loop {
            let key = self.key()?;
            self.skip_ws();
            self.eat(b':')?;
            self.skip_ws();
            let bit = self.member(key, &mut user)?;
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

    /// A member's key, past its closing quote. A key the user model keeps is guessed from one or
    /// two of its bytes and then checked in place, without searching for its end; any other key is
    /// read as a plain string.
    fn key(&mut self) -> Option<Key> {
        if self.peek()? != b'"' {
            return None;
        }
        let rest = &self.b[self.i + 1..];
        let at = |n: usize| rest.get(n).copied();
        let guess = match at(0)? {
            b'i' => Key::Id,
            b'e' => Key::Email,
            b'f' => Key::FirstName,
            b'l' => match at(5) {
                Some(b'n') => Key::LastName,
                Some(b'l') => Key::LastLoginTime,
                Some(b'c') => Key::LastClientVersion,
                _ => Key::LicenseInfoList,
            },
            b'd' if at(1) == Some(b'i') => Key::DisplayName,
            b'd' => Key::Dept,
            b't' if at(1) == Some(b'y') => Key::Type,
            b't' => Key::Timezone,
            b's' => Key::Status,
            b'r' => Key::RoleId,
            b'u' => Key::UserCreatedAt,
            b'c' => Key::CreatedAt,
            b'p' => Key::PlanUnitedType,
            _ => Key::Other,
        };
        let name = guess.name();
        if guess != Key::Other
            && rest.get(name.len()) == Some(&b'"')
            && same_bytes(&rest[..name.len()], name)
        {
            self.i += name.len() + 2;
            return Some(guess);
        }
        self.plain_string().map(|_| Key::Other)
    }

    /// Reads the value of member `key` into `user`; returns the field's bit (0 for an ignored one).
    fn member(&mut self, key: Key, user: &mut ZoomUser<'a>) -> Option<u32> {
        match key {
            Key::Type => user.plan_type = self.nullable(Self::integer)?,
            Key::PlanUnitedType => {
                user.plan_united_type = self.nullable(|r| match r.peek()? {
                    b'"' => Some(PlanUnitedType::Text(r.text()?)),
                    _ => Some(PlanUnitedType::Number(u64::try_from(r.integer()?).ok()?)),
                })?
            }
            Key::LicenseInfoList => user.license_info_list = self.nullable(Self::raw_value)?,
            Key::Other => self.plain_value(0)?,
            // One copy of the string reading for the thirteen text fields.
            _ => {
                let value = self.nullable(Self::text)?;
                if let Some(field) = key.text_field(user) {
                    *field = value;
                }
            }
        }
        Some(key.bit())
    }

    /// `null` as `None`, anything else as `read` reads it; `None` outside when neither can.
    #[inline(always)]
    fn nullable<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.null()? {
            true => Some(None),
            false => read(self).map(Some),
        }
    }

    /// A plain string, borrowed.
    #[inline(always)]
    fn text(&mut self) -> Option<Cow<'a, str>> {
        self.plain_string().map(Cow::Borrowed)
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
    #[inline(always)]
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

    /// An integer as serde_json reads one into an `i64`: no fraction, no exponent, no leading zero,
    /// and not `-0` (which serde_json reads as a float).
    fn integer(&mut self) -> Option<i64> {
        let negative = self.peek()? == b'-';
        let start = self.i + usize::from(negative);
        let digits = self.b[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let zero = digits > 0 && self.b[start] == b'0';
        if digits == 0 || digits > 18 || (zero && (digits > 1 || negative)) {
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

    /// Skips a number of any size as JSON writes numbers (`-`, no leading zero, optional fraction
    /// and exponent): an ignored or verbatim value is only checked, never converted.
    fn number(&mut self) -> Option<()> {
        let digits = |r: &mut Self| {
            let n = r.b[r.i..].iter().take_while(|c| c.is_ascii_digit()).count();
            r.i += n;
            n
        };
        if self.peek()? == b'-' {
            self.i += 1;
        }
        let first = self.peek()?;
        let n = digits(self);
        if n == 0 || (first == b'0' && n > 1) {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            (digits(self) > 0).then_some(())?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            (digits(self) > 0).then_some(())?;
        }
        self.delimited()
    }

    /// A value kept verbatim: its text, once it is read as plainly valid JSON.
    fn raw_value(&mut self) -> Option<&'a str> {
        let start = self.i;
        self.plain_value(0)?;
        self.text.get(start..self.i)
    }

    /// Skips a plain value: a plain string, an integer, `true`, `false`, `null`, or an array or
    /// object of plain values (nested at most [`MAX_DEPTH`] deep).
    fn plain_value(&mut self, depth: u8) -> Option<()> {
        match self.peek()? {
            b'"' => self.plain_string().map(drop),
            b'n' => self.literal(b"null"),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' | b'{' if depth < MAX_DEPTH => self.plain_container(depth + 1),
            _ => None,
        }
    }

    /// Skips an array or object of plain values.
    fn plain_container(&mut self, depth: u8) -> Option<()> {
        let close = match self.peek()? {
            b'[' => b']',
            _ => b'}',
        };
        self.i += 1;
        self.skip_ws();
        if self.eat(close).is_some() {
            return Some(());
        }
        loop {
            if close == b'}' {
                self.plain_string()?;
                self.skip_ws();
                self.eat(b':')?;
                self.skip_ws();
            }
            self.plain_value(depth)?;
            self.skip_ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.skip_ws();
                }
                c if c == close => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
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
        reads_as_serde(
            r#"{"x":[0,-0,1.5,-2e10,3E+2,4.25e-3,18446744073709551616],"y":{"a":{"b":[[],{}]},"a":1}}"#,
        );
        reads_as_serde(r#"{"license_info_list":[{"license_option":18446744073709551615}]}"#);
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
            r#"{"type":-0}"#,
            r#"{"plan_united_type":-0}"#,
            r#"{"type":99999999999999999999}"#,
            r#"{"plan_united_type":-1}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"email":"a@x",}"#,
            r#"{"email":"a@x" "id":"b"}"#,
            r#"{"pmi":01}"#,
            r#"{"pmi":1.}"#,
            r#"{"pmi":-}"#,
            r#"{"pmi":1e}"#,
            r#"{"pmi":.5}"#,
            r#"{"x":[1,]}"#,
            r#"{"x":{"a" 1}}"#,
            r#"{"x":{1:2}}"#,
            r#"{"x":nul}"#,
            r#"{"x":nullx}"#,
            r#"{"x":{"a":}}"#,
            r#"{"email":1}"#,
            r#"{"email":"a@x""#,
            r#"["a@x"]"#,
            // Unicode spaces are not JSON whitespace.
            "\u{a0}{\"email\":\"a@x\"}",
            "{\"email\":\"a@x\"}\u{2028}",
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
    fn short_byte_strings_compare_as_slices_do() {
        let names = [
            &b""[..],
            b"id",
            b"ie",
            b"dept",
            b"type",
            b"timezone",
            b"timezonf",
            b"last_name",
            b"last_login_time",
            b"last_login_timf",
            b"xast_login_time",
            b"last_client_version",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
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
            users: Option<Vec<&'a serde_json::value::RawValue>>,
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
