//! A keep list: the users a reclaim never lists (executives, shared room accounts), one per line
//! as an email, a Zoom user id or a group name; `#` starts a comment (at the start of a line, or
//! after a space). Emails and group names match whatever their case; ids match exactly.

use std::collections::HashMap;

/// The entries of a keep list, and which of them matched a user of the run.
#[derive(Debug, Default, Clone)]
pub struct KeepList {
    /// Each entry as written.
    entries: Vec<String>,
    /// Lower-cased entries with an `@`, to their entries.
    emails: HashMap<String, Vec<usize>>,
    /// Lower-cased entries without an `@` (group names), to their entries.
    groups: HashMap<String, Vec<usize>>,
    /// Entries without an `@` as written (user ids), to their entries.
    ids: HashMap<String, Vec<usize>>,
    /// Whether each entry matched a user.
    found: Vec<bool>,
}

impl KeepList {
    /// The list a keep file's `text` gives: every line that is not blank or a comment is an entry.
    pub fn parse(text: &str) -> KeepList {
        let mut list = KeepList::default();
        // A byte-order mark (a list saved by Notepad) is no part of the first entry.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for line in text.lines() {
            let entry = match line.find(" #").or_else(|| line.find("\t#")) {
                Some(at) => &line[..at],
                None => line,
            }
            .trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            let index = list.entries.len();
            list.entries.push(entry.to_string());
            list.found.push(false);
            let folded = entry.to_lowercase();
            // An entry with no `@` may be a user id or a group name: it is looked up as both.
            match entry.contains('@') {
                true => list.emails.entry(folded).or_default().push(index),
                false => {
                    list.groups.entry(folded).or_default().push(index);
                    list.ids.entry(entry.to_string()).or_default().push(index);
                }
            }
        }
        list
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries read.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list names this user, by email, id or one of its groups' names; the entries
    /// that do are marked found.
    pub fn keeps<'a>(
        &mut self,
        email: &str,
        user_id: Option<&str>,
        groups: impl Iterator<Item = &'a str>,
    ) -> bool {
        let KeepList {
            emails,
            groups: names,
            ids,
            found,
            ..
        } = self;
        let by_email = emails.get(&email.trim().to_lowercase());
        let by_id = user_id.and_then(|id| ids.get(id));
        let by_group = groups.filter_map(|g| names.get(&g.to_lowercase()));
        let mut kept = false;
        for &i in by_email.into_iter().chain(by_id).chain(by_group).flatten() {
            found[i] = true;
            kept = true;
        }
        kept
    }

    /// The entries that matched no user, as written.
    pub fn not_found(&self) -> Vec<&str> {
        let entries = self.entries.iter().zip(&self.found);
        entries
            .filter(|(_, found)| !**found)
            .map(|(e, _)| e.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# executives\nCEO@Example.com\n  cfo@example.com   # the CFO\n\n\
                        id000042aBcDeFgHiJkLmN\nBoard Room # shared\nnobody@example.com\n";

    #[test]
    fn entries_skip_blanks_and_comments() {
        let mut bom = KeepList::parse("\u{feff}ceo@example.com\r\n");
        assert!(bom.keeps("ceo@example.com", None, std::iter::empty()));
        let list = KeepList::parse(LIST);
        assert_eq!(list.len(), 5);
        assert_eq!(list.not_found().len(), 5);
        assert!(KeepList::parse("# only a comment\n\n").is_empty());
    }

    #[test]
    fn emails_and_group_names_match_in_any_case_and_ids_exactly() {
        let mut list = KeepList::parse(LIST);
        assert!(list.keeps("ceo@example.COM", None, std::iter::empty()));
        assert!(list.keeps("x@example.com", None, ["board room"].into_iter()));
        assert!(list.keeps(
            "y@example.com",
            Some("id000042aBcDeFgHiJkLmN"),
            std::iter::empty()
        ));
        assert!(!list.keeps(
            "z@example.com",
            Some("ID000042ABCDEFGHIJKLMN"),
            std::iter::empty()
        ));
        // An email entry is no group name, and a group name no email.
        assert!(!list.keeps("board room", None, ["cfo@example.com"].into_iter()));
        assert_eq!(
            list.not_found(),
            vec!["cfo@example.com", "nobody@example.com"]
        );
    }
}
