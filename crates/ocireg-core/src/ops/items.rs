//! [`Items`]: the repository names or tags of one listing page, in one
//! buffer.

use std::fmt;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The items of one listing page (repository names or tags), in the
/// registry's order, kept as one text buffer and the end of each item in
/// it. A page is at most [`PAGE_LIMIT`](super::PAGE_LIMIT) bytes of JSON,
/// but a `Vec<String>` of it costs a heap allocation per item: 400,000
/// tags of 7 letters took some 22 MiB that way, and here take 6 MiB.
///
/// Iterating by reference gives `&str`s; by value, one `String` at a time
/// (so a stream hands items out without holding a second copy of the
/// page).
///
/// ```
/// use ocireg_core::ops::Items;
///
/// let items: Items = ["v1", "v2", "latest"].into_iter().collect();
/// assert_eq!(items.len(), 3);
/// assert_eq!(items.last(), Some("latest"));
/// assert_eq!(items, ["v1", "v2", "latest"]);
/// let owned: Vec<String> = items.into_iter().collect();
/// assert_eq!(owned, ["v1", "v2", "latest"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Items {
    /// The items' UTF-8, one after the other (bytes, so that
    /// [`Items::retain`] can move items down in place; only whole `&str`s
    /// are ever written or moved, so every item is valid UTF-8).
    text: Vec<u8>,
    /// Where each item ends in `text`.
    ends: Vec<usize>,
}

impl Items {
    /// No items.
    pub fn new() -> Items {
        Items::default()
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The item at `index`.
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            i => self.ends[i - 1],
        };
        std::str::from_utf8(&self.text[start..end]).ok()
    }

    /// The last item.
    pub fn last(&self) -> Option<&str> {
        self.get(self.len().checked_sub(1)?)
    }

    /// Adds an item at the end.
    pub fn push(&mut self, item: &str) {
        self.text.extend_from_slice(item.as_bytes());
        self.ends.push(self.text.len());
    }

    /// Keeps only the items `keep` says yes to, in order, in the same
    /// buffers (no second copy of the page).
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let (mut start, mut kept_text, mut kept) = (0, 0, 0);
        for i in 0..self.ends.len() {
            let end = self.ends[i];
            let item = std::str::from_utf8(&self.text[start..end]).unwrap_or_default();
            if keep(item) {
                // Moves the item down over the ones dropped.
                self.text.copy_within(start..end, kept_text);
                kept_text += end - start;
                self.ends[kept] = kept_text;
                kept += 1;
            }
            start = end;
        }
        self.ends.truncate(kept);
        self.text.truncate(kept_text);
    }

    /// The items, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            items: self,
            next: 0,
        }
    }

    /// The items as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }

    /// Gives back the spare room the buffers grew (a parsed page's).
    fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

impl fmt::Debug for Items {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The items of an [`Items`] by reference.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    items: &'a Items,
    next: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let item = self.items.get(self.next)?;
        self.next += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.items.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The items of an [`Items`] by value, one `String` at a time.
#[derive(Clone, Debug, Default)]
pub struct IntoIter {
    items: Items,
    next: usize,
}

impl Iterator for IntoIter {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let item = self.items.get(self.next)?.to_string();
        self.next += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.items.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for IntoIter {}

impl IntoIterator for Items {
    type Item = String;
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter {
            items: self,
            next: 0,
        }
    }
}

impl<'a> IntoIterator for &'a Items {
    type Item = &'a str;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Items {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Items {
        let mut items = Items::new();
        for item in iter {
            items.push(item.as_ref());
        }
        items
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for Items {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Items {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Items {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}

impl Serialize for Items {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Reads a JSON list of strings straight into the buffer: no allocation
/// per item, escaped or not.
impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Items, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Items;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
                let mut items = Items::new();
                while seq.next_element_seed(Push(&mut items))?.is_some() {}
                items.shrink_to_fit();
                Ok(items)
            }
        }
        deserializer.deserialize_seq(List)
    }
}

/// Appends one string of a list to the buffer.
struct Push<'a>(&'a mut Items);

impl<'de> DeserializeSeed<'de> for Push<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Push<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, item: &str) -> Result<(), E> {
        self.0.push(item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_lists_of_strings_into_one_buffer() {
        let items: Items = serde_json::from_str(r#"["a","b\"c","\u00e9",""]"#).unwrap();
        assert_eq!(items, ["a", "b\"c", "é", ""]);
        assert_eq!(items.get(1), Some("b\"c"));
        assert_eq!(items.get(4), None);
        assert_eq!(items.text, "ab\"cé".as_bytes());
        assert_eq!(
            serde_json::to_string(&items).unwrap(),
            r#"["a","b\"c","é",""]"#
        );
        assert!(serde_json::from_str::<Items>(r#"["a",1]"#).is_err());
        assert!(serde_json::from_str::<Items>(r#"{"a":"b"}"#).is_err());
        let empty: Items = serde_json::from_str("[]").unwrap();
        assert!(empty.is_empty() && empty.last().is_none());
    }

    #[test]
    fn retains_in_place() {
        let mut items: Items = ["a", "bb", "é", "ccc", "d"].into_iter().collect();
        let capacity = items.text.capacity();
        items.retain(|i| i != "bb" && i != "d");
        assert_eq!(items, ["a", "é", "ccc"]);
        assert_eq!(items.text.capacity(), capacity);
        items.retain(|_| false);
        assert!(items.is_empty() && items.text.is_empty());
    }

    #[test]
    fn iterates_by_reference_and_by_value() {
        let items: Items = ["x", "yy"].into_iter().collect();
        assert_eq!(items.iter().len(), 2);
        assert_eq!((&items).into_iter().collect::<Vec<_>>(), ["x", "yy"]);
        assert_eq!(items.to_vec(), ["x", "yy"]);
        assert_eq!(format!("{items:?}"), r#"["x", "yy"]"#);
        let mut owned = items.into_iter();
        assert_eq!(owned.len(), 2);
        assert_eq!(owned.next().as_deref(), Some("x"));
        assert_eq!(owned.collect::<Vec<_>>(), ["yy"]);
    }
}
