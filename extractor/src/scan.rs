//! Finds the user records of a page in one quick structural pass over its bytes.
//!
//! Each record is parsed later, on its own, so that one bad record never spoils its page; here it
//! only has to be located. serde_json's `RawValue` located them by fully tokenizing every value (a
//! sixth of the CPU of a replay). This scanner only follows structure: strings (jumping to the next
//! quote or backslash with `memchr`), brackets and the commas between values. It checks that the
//! page is one well-nested JSON object and not cut short, which is what a retry of a truncated body
//! needs; whether each record's numbers and escapes are valid is for the record's own parse.
//!
//! A recorded page need not be located at all: [`users_array_last`] reads only its envelope, and
//! the records are found while they are parsed (`UsersPage::parse_lazily`); [`value_end`] skips
//! one that cannot be read.

use std::ops::Range;

/// Why a body is not a well-formed page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// What was wrong.
    pub what: &'static str,
    /// Byte offset where it was noticed.
    pub at: usize,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

/// The top-level members of a page object.
#[derive(Debug, Default)]
pub struct PageLayout {
    /// Every member but `users`: the key's JSON text (quotes included) and the value's.
    pub members: Vec<(Range<usize>, Range<usize>)>,
    /// Each element of the `users` array, when the page has one.
    pub users: Option<Vec<Range<usize>>>,
}

/// Locates the members of the page object in `body`, and each element of its `users` array.
pub fn scan_page(body: &str) -> Result<PageLayout, ScanError> {
    let mut s = Scanner::open_object(body)?;
    let mut layout = PageLayout::default();
    s.skip_ws();
    if s.peek() == Some(b'}') {
        s.i += 1;
    } else {
        loop {
            let key = s.member_key()?.ok_or_else(|| s.err("expected a key"))?;
            if &s.b[key.clone()] == b"\"users\"" && s.peek() == Some(b'[') {
                layout.users = Some(s.elements()?);
            } else {
                s.member_value(key, &mut layout)?;
            }
            s.skip_ws();
            match s.peek() {
                Some(b',') => s.i += 1,
                Some(b'}') => {
                    s.i += 1;
                    break;
                }
                Some(_) => return Err(s.err("expected `,` or `}`")),
                None => return Err(s.err("unexpected end")),
            }
        }
    }
    s.skip_ws();
    if s.i != s.b.len() {
        return Err(s.err("trailing characters"));
    }
    Ok(layout)
}

/// Where the `users` array starts and ends (the indices of its `[` and `]`) in a page whose last
/// member it is, as Zoom sends pages, with the members before it; `None` for any other layout.
/// The elements are not looked at: whoever parses them must check that they end exactly at the `]`.
pub fn users_array_last(body: &str) -> Result<Option<(PageLayout, Range<usize>)>, ScanError> {
    let before_brace = body.trim_end().strip_suffix('}').map(str::trim_end);
    let Some(close) = before_brace
        .filter(|b| b.ends_with(']'))
        .map(|b| b.len() - 1)
    else {
        return Ok(None);
    };
    let mut s = Scanner::open_object(body)?;
    let mut layout = PageLayout::default();
    loop {
        let Some(key) = s.member_key()? else {
            return Ok(None);
        };
        if &s.b[key.clone()] == b"\"users\"" {
            return Ok((s.peek() == Some(b'[') && s.i < close).then_some((layout, s.i..close)));
        }
        s.member_value(key, &mut layout)?;
        s.skip_ws();
        match s.peek() {
            Some(b',') => s.i += 1,
            _ => return Ok(None),
        }
    }
}

/// The end of the JSON value starting at `start`, looking no further than `limit`.
pub fn value_end(body: &str, start: usize, limit: usize) -> Result<usize, ScanError> {
    let mut s = Scanner {
        b: &body.as_bytes()[..limit.min(body.len())],
        i: start,
    };
    s.value()?;
    Ok(s.i)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner past the `{` that opens `body`.
    fn open_object(body: &'a str) -> Result<Self, ScanError> {
        let mut s = Scanner {
            b: body.as_bytes(),
            i: 0,
        };
        s.skip_ws();
        s.eat(b'{', "expected `{`")?;
        Ok(s)
    }

    /// Skips the value of the member `key` and records both in `layout`.
    fn member_value(
        &mut self,
        key: Range<usize>,
        layout: &mut PageLayout,
    ) -> Result<(), ScanError> {
        let start = self.i;
        self.value()?;
        layout.members.push((key, start..self.i));
        Ok(())
    }

    fn err(&self, what: &'static str) -> ScanError {
        ScanError { what, at: self.i }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, byte: u8, what: &'static str) -> Result<(), ScanError> {
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else if self.peek().is_none() {
            Err(self.err("unexpected end"))
        } else {
            Err(self.err(what))
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// A member's key (its JSON text) and the `:` after it; `None` when no key starts here.
    fn member_key(&mut self) -> Result<Option<Range<usize>>, ScanError> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Ok(None);
        }
        let start = self.i;
        self.string()?;
        let key = start..self.i;
        self.skip_ws();
        self.eat(b':', "expected `:`")?;
        self.skip_ws();
        Ok(Some(key))
    }

    /// The elements of the array starting here.
    fn elements(&mut self) -> Result<Vec<Range<usize>>, ScanError> {
        self.i += 1; // `[`
        let mut elements = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(elements);
        }
        loop {
            self.skip_ws();
            let start = self.i;
            self.value()?;
            elements.push(start..self.i);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(elements);
                }
                Some(_) => return Err(self.err("expected `,` or `]`")),
                None => return Err(self.err("unexpected end")),
            }
        }
    }

    /// Skips one value: a string, a well-nested object or array, or a scalar.
    fn value(&mut self) -> Result<(), ScanError> {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'{' | b'[') => self.container(),
            Some(b',' | b'}' | b']' | b':') => Err(self.err("expected a value")),
            Some(_) => {
                while let Some(byte) = self.peek() {
                    if matches!(
                        byte,
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'{' | b'['
                    ) {
                        break;
                    }
                    self.i += 1;
                }
                Ok(())
            }
            None => Err(self.err("unexpected end")),
        }
    }

    /// Skips a string, from its opening quote to past its closing one.
    fn string(&mut self) -> Result<(), ScanError> {
        self.i += 1;
        loop {
            match memchr::memchr2(b'"', b'\\', &self.b[self.i..]) {
                None => {
                    self.i = self.b.len();
                    return Err(self.err("unterminated string"));
                }
                Some(k) if self.b[self.i + k] == b'"' => {
                    self.i += k + 1;
                    return Ok(());
                }
                // A backslash escapes the next byte (`\"`, `\\`, or the `u` of `\uXXXX`).
                Some(k) => {
                    self.i += k + 2;
                    if self.i > self.b.len() {
                        self.i = self.b.len();
                        return Err(self.err("unterminated string"));
                    }
                }
            }
        }
    }

    /// Skips an object or array, checking that brackets nest.
    fn container(&mut self) -> Result<(), ScanError> {
        let mut open: Vec<u8> = Vec::with_capacity(8);
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.err("unexpected end"));
            };
            match byte {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' => open.push(b'}'),
                b'[' => open.push(b']'),
                b'}' | b']' => {
                    if open.pop() != Some(byte) {
                        return Err(self.err("mismatched bracket"));
                    }
                    if open.is_empty() {
                        self.i += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(body: &str) -> Vec<&str> {
        let layout = scan_page(body).unwrap();
        layout
            .users
            .unwrap()
            .into_iter()
            .map(|r| &body[r])
            .collect()
    }

    #[test]
    fn finds_the_same_records_as_serde_json() {
        let body = r#" { "page_size" : 3, "users" : [ {"a":"x\"}]","b":[1,{"c":"\\"}]} ,
            {"email":"\u00e9\\\"","n":-1.5e3,"t":true,"z":null} ,[1,2],"s", 7 ,null ],
            "next_page_token": "tok" } "#;
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            users: Vec<&'a serde_json::value::RawValue>,
        }
        let expected: Page<'_> = serde_json::from_str(body).unwrap();
        let expected: Vec<&str> = expected.users.iter().map(|r| r.get()).collect();
        assert_eq!(users(body), expected);
        let layout = scan_page(body).unwrap();
        let keys: Vec<&str> = layout
            .members
            .iter()
            .map(|(k, _)| &body[k.clone()])
            .collect();
        assert_eq!(keys, vec![r#""page_size""#, r#""next_page_token""#]);
        assert_eq!(&body[layout.members[1].1.clone()], r#""tok""#);
    }

    #[test]
    fn empty_and_absent_users() {
        assert_eq!(users(r#"{"users":[]}"#), Vec::<&str>::new());
        assert!(scan_page(r#"{}"#).unwrap().users.is_none());
        assert!(scan_page(r#"{"users":null}"#).unwrap().users.is_none());
    }

    #[test]
    fn cut_or_broken_bodies_are_refused() {
        let good = r#"{"next_page_token":"","users":[{"email":"a@x","type":1},{"email":"b"}]}"#;
        // Every cut of a page is refused: a truncated body must never pass for a page.
        for cut in 0..good.len() {
            assert!(scan_page(&good[..cut]).is_err(), "accepted a cut at {cut}");
        }
        for bad in [
            r#"{"users":[{"a":1}}"#,
            r#"{"users":[{"a":1} {"b":2}]}"#,
            r#"{"users":[{"a":1},]}"#,
            r#"{"users":[{"a":"\"}]}"#,
            r#"{"users":[]} x"#,
            r#"{"users" [] }"#,
            r#"["users"]"#,
            r#"<html>"#,
        ] {
            assert!(scan_page(bad).is_err(), "accepted {bad}");
        }
    }
}
