//! The pager: which page of a listing to fetch next, and which of a
//! page's items are new. Its decisions are drawn in the documentation of
//! `list.rs`.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::BuildHasher;

use url::Url;

use super::items::Items;
use super::list::{page_key, ListPage, Listing, Page};
use crate::error::Error;
use crate::registry::Registry;

/// How many distinct items a [`Pager`] accepts unless told otherwise
/// ([`Pager::max_items`]).
pub const DEFAULT_MAX_ITEMS: u64 = 1_000_000;

/// How many pages a [`Pager`] fetches at most, whatever the registry's
/// `Link`s say: a backstop against a registry that sends empty pages with
/// ever new links.
pub const MAX_PAGES: u64 = 100_000;

/// Pages through a listing without doing I/O: it names the next page to
/// fetch ([`Pager::next_page`]) and takes each fetched page back
/// ([`Pager::accept`]), returning the items not seen before.
///
/// It follows `Link` (and the `last=` fallback of [`Page::read`]) and
/// ends on the first of:
/// - a page with no `next`;
/// - a `next` that was fetched already (a repeated or self-pointing
///   `Link`, a loop through several pages);
/// - a page with items of which none is new (a registry that ignores
///   `last` sends the same page again);
///
/// and fails with [`Error::TooMany`] past [`Pager::max_items`] distinct
/// items or [`MAX_PAGES`] pages. An empty page with a new `next` is
/// followed.
///
/// It holds no items: only a 64-bit hash of each item and of each fetched
/// page's URL, through a `RandomState` per pager. The trade-off: two
/// distinct items with the same hash count as one, so the second is
/// dropped (and two pages with the same hash end the listing early).
/// Among the default million items the chance that any two collide is
/// about 3 in 100 million (n² / 2⁶⁵). Where std has an entropy source the
/// keys are random, so a registry cannot choose colliding names; on
/// `wasm32-unknown-unknown` it has none and the keys are guessable, so a
/// hostile registry could hide an item that way (never add one). A
/// million hashes take about 9 MiB, whatever the length of the names
/// (a sorted list, and a table of the latest merged into it now and
/// then: a hash table would take twice that, and three times while it
/// grows). A page's new items stay in the page's own buffer
/// ([`Items::retain`]).
///
/// Driving it against canned responses from a registry 2.8.2 tag list
/// (which ignores `n` and `last` and sends every tag, unsorted):
///
/// ```
/// use std::time::SystemTime;
/// use ocireg_core::auth::Session;
/// use ocireg_core::http;
/// use ocireg_core::ops::{Context, Input, Listing, Operation, Pager, Step};
/// use ocireg_core::registry::{Registry, Scheme};
///
/// let registry = Registry::new(Scheme::Http, "localhost:5000").unwrap();
/// let mut pager = Pager::new(registry, Listing::tags("app".parse()?), Some(5));
/// let mut session = Session::default();
/// let (mut sent, mut tags) = (Vec::new(), Vec::new());
/// while let Some(mut op) = pager.next_page() {
///     let page = loop {
///         let mut cx = Context::new(SystemTime::UNIX_EPOCH, &mut session);
///         match op.poll(&mut cx) {
///             Step::Send(request) => {
///                 sent.push(request.url().to_string());
///                 let body = br#"{"name":"app","tags":["b","c","e","a","d"]}"#;
///                 op.handle(&mut cx, Input::Response(http::Response::new(body.to_vec())));
///             }
///             Step::Done(page) => break page?,
///             Step::Read | Step::Sleep(_) => unreachable!("a page only sends"),
///         }
///     };
///     tags.extend(pager.accept(page)?);
/// }
/// // A full page of 5: the fallback asks for the tags after "d", gets the
/// // same page again, and the listing ends with each tag once.
/// assert_eq!(sent, [
///     "http://localhost:5000/v2/app/tags/list?n=5",
///     "http://localhost:5000/v2/app/tags/list?n=5&last=d",
/// ]);
/// assert_eq!(tags, ["b", "c", "e", "a", "d"]);
/// # Ok::<(), ocireg_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Pager {
    registry: Registry,
    listing: Listing,
    page_size: Option<u32>,
    max_items: u64,
    /// The page to fetch next; `None` once the listing is over.
    next: Option<Url>,
    hasher: RandomState,
    /// Hashes of the items seen.
    items: Seen,
    /// Hashes of the page URLs fetched (see [`page_key`]).
    pages: HashSet<u64>,
    item_count: u64,
    page_count: u64,
}

impl Pager {
    /// A pager over `listing`, asking for `page_size` items per page when
    /// given (registry 2.8.2 refuses more than 1000 for the catalog).
    pub fn new(registry: Registry, listing: Listing, page_size: Option<u32>) -> Pager {
        Pager {
            next: Some(listing.first_url(&registry, page_size)),
            registry,
            listing,
            page_size,
            max_items: DEFAULT_MAX_ITEMS,
            hasher: RandomState::new(),
            items: Seen::default(),
            pages: HashSet::new(),
            item_count: 0,
            page_count: 0,
        }
    }

    /// Fails the listing with [`Error::TooMany`] past `max` distinct items
    /// (default [`DEFAULT_MAX_ITEMS`]).
    pub fn max_items(mut self, max: u64) -> Pager {
        self.max_items = max;
        self
    }

    /// The operation that fetches the next page, or `None` when the
    /// listing is over. Until [`Pager::accept`] takes that page, this
    /// names the same page again (to retry after a failed fetch).
    pub fn next_page(&self) -> Option<ListPage> {
        let url = self.next.as_ref()?;
        Some(ListPage::at(
            self.registry.clone(),
            self.listing.clone(),
            self.page_size,
            url,
        ))
    }

    /// Whether the listing is over (the pager names no next page).
    pub fn is_done(&self) -> bool {
        self.next.is_none()
    }

    /// Takes the page fetched for [`Pager::next_page`] and returns its
    /// items not seen before, in the page's order, deciding what comes
    /// next as [`Pager`] describes.
    ///
    /// Fails with [`Error::TooMany`] past the item or page bounds (the
    /// listing is then over), or with [`Error::InvalidInput`] for a page
    /// given once the listing is over.
    pub fn accept(&mut self, page: Page) -> Result<Items, Error> {
        let Some(fetched) = self.next.take() else {
            return Err(Error::InvalidInput {
                what: "pager",
                message: "a page was given after the listing ended".into(),
            });
        };
        self.pages.insert(self.page_hash(&fetched));
        self.page_count = self.page_count.saturating_add(1);
        let had_items = !page.items.is_empty();
        let mut new = page.items;
        let mut too_many = false;
        new.retain(|item| {
            if too_many || !self.items.insert(self.hasher.hash_one(item)) {
                return false;
            }
            self.item_count = self.item_count.saturating_add(1);
            too_many = self.item_count > self.max_items;
            !too_many
        });
        if too_many {
            return Err(Error::TooMany {
                what: "items in the listing",
                limit: self.max_items,
            });
        }
        if had_items && new.is_empty() {
            return Ok(new);
        }
        let next = page
            .next
            .filter(|u| !self.pages.contains(&self.page_hash(u)));
        if next.is_some() && self.page_count >= MAX_PAGES {
            return Err(Error::TooMany {
                what: "pages in the listing",
                limit: MAX_PAGES,
            });
        }
        self.next = next;
        Ok(new)
    }

    fn page_hash(&self, url: &Url) -> u64 {
        self.hasher.hash_one(page_key(url).as_str())
    }
}

/// The hashes a [`Pager`] saw: a sorted list, and a table of the latest
/// that is merged into the list (in place, from its end) once it holds an
/// eighth as many. About 8 bytes a hash, where a `HashSet<u64>` takes 9 to
/// 18, and its old table on top while it grows.
#[derive(Debug, Default)]
struct Seen {
    sorted: Vec<u64>,
    recent: HashSet<u64>,
}

impl Seen {
    /// The fewest hashes `recent` holds before a merge.
    const MERGE_AT: usize = 4096;

    /// Adds `hash`; `false` if it was there.
    fn insert(&mut self, hash: u64) -> bool {
        if self.sorted.binary_search(&hash).is_ok() || !self.recent.insert(hash) {
            return false;
        }
        if self.recent.len() >= Self::MERGE_AT.max(self.sorted.len() / 8) {
            self.merge();
        }
        true
    }

    /// Moves `recent` into `sorted`.
    fn merge(&mut self) {
        let mut recent: Vec<u64> = self.recent.drain().collect();
        recent.sort_unstable();
        let (mut i, mut j) = (self.sorted.len(), recent.len());
        self.sorted.resize(i + j, 0);
        // From the back: each slot written is free (past the old end, or
        // already moved up).
        for k in (0..self.sorted.len()).rev() {
            if j == 0 {
                break;
            }
            if i > 0 && self.sorted[i - 1] > recent[j - 1] {
                self.sorted[k] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k] = recent[j - 1];
                j -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Scheme;

    fn pager(n: Option<u32>) -> Pager {
        Pager::new(
            Registry::new(Scheme::Http, "r.example").unwrap(),
            Listing::Catalog,
            n,
        )
    }

    fn page(items: &[&str], next: Option<&str>) -> Page {
        Page {
            items: items.iter().map(|s| s.to_string()).collect(),
            next: next.map(|u| Url::parse(u).unwrap()),
        }
    }

    fn next_url(p: &Pager) -> Option<String> {
        p.next.as_ref().map(Url::to_string)
    }

    const C: &str = "http://r.example/v2/_catalog";

    #[test]
    fn starts_at_the_first_page_and_names_it_until_accepted() {
        let p = pager(Some(2));
        assert_eq!(
            next_url(&p).as_deref(),
            Some("http://r.example/v2/_catalog?n=2")
        );
        assert!(p.next_page().is_some() && p.next_page().is_some());
        assert!(!p.is_done());
    }

    #[test]
    fn follows_new_links_and_returns_only_new_items() {
        let mut p = pager(Some(2));
        let two = format!("{C}?n=2&last=b");
        assert_eq!(p.accept(page(&["a", "b"], Some(&two))).unwrap(), ["a", "b"]);
        assert_eq!(next_url(&p), Some(two));
        let three = format!("{C}?n=2&last=c");
        assert_eq!(
            p.accept(page(&["b", "c", "c"], Some(&three))).unwrap(),
            ["c"]
        );
        assert_eq!(p.accept(page(&["d"], None)).unwrap(), ["d"]);
        assert!(p.is_done() && p.next_page().is_none());
        let err = p.accept(page(&["e"], None)).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { what: "pager", .. }),
            "{err}"
        );
    }

    #[test]
    fn an_empty_page_with_a_new_link_is_followed() {
        let mut p = pager(None);
        let two = format!("{C}?page=2");
        assert!(p.accept(page(&[], Some(&two))).unwrap().is_empty());
        assert_eq!(next_url(&p), Some(two));
        assert!(p.accept(page(&[], None)).unwrap().is_empty());
        assert!(p.is_done());
    }

    #[test]
    fn stops_on_a_page_that_adds_nothing() {
        let mut p = pager(Some(2));
        p.accept(page(&["a", "b"], Some(&format!("{C}?n=2&last=b"))))
            .unwrap();
        let same = p.accept(page(&["b", "a"], Some(&format!("{C}?n=2&last=x"))));
        assert!(same.unwrap().is_empty());
        assert!(p.is_done());
    }

    #[test]
    fn stops_on_a_link_to_a_page_already_fetched() {
        // Back to the first page (written another way), then to itself.
        let mut p = pager(Some(2));
        let two = format!("{C}?last=b&n=2");
        p.accept(page(&["a", "b"], Some(&two))).unwrap();
        assert_eq!(
            p.accept(page(&["c"], Some(&format!("{C}?n=2#top"))))
                .unwrap(),
            ["c"]
        );
        assert!(p.is_done());

        let mut p = pager(None);
        assert_eq!(p.accept(page(&[], Some(C))).unwrap(), Vec::<String>::new());
        assert!(p.is_done());
    }

    #[test]
    fn more_than_max_items_is_too_many() {
        let mut p = pager(Some(2)).max_items(3);
        p.accept(page(&["a", "b", "a"], Some(&format!("{C}?n=2&last=b"))))
            .unwrap();
        let err = p.accept(page(&["c", "d"], None)).unwrap_err();
        assert_eq!(
            err,
            Error::TooMany {
                what: "items in the listing",
                limit: 3
            }
        );
        assert!(p.is_done());
        // Exactly max_items is fine.
        let mut p = pager(None).max_items(2);
        assert_eq!(p.accept(page(&["a", "b", "b"], None)).unwrap(), ["a", "b"]);
    }

    #[test]
    fn more_than_max_pages_is_too_many() {
        let mut p = pager(None);
        p.page_count = MAX_PAGES - 1;
        let err = p.accept(page(&[], Some(&format!("{C}?p=1")))).unwrap_err();
        assert_eq!(
            err,
            Error::TooMany {
                what: "pages in the listing",
                limit: MAX_PAGES
            }
        );
        assert!(p.is_done());
        // The last allowed page may still end the listing normally.
        let mut p = pager(None);
        p.page_count = MAX_PAGES - 1;
        assert_eq!(p.accept(page(&["a"], None)).unwrap(), ["a"]);
    }

    #[test]
    fn seen_hashes_merge_and_stay_unique() {
        let mut seen = Seen::default();
        // Enough to merge several times; every value once, then again.
        let values: Vec<u64> = (0..50_000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        assert!(values.iter().all(|&v| seen.insert(v)));
        assert!(seen.sorted.len() >= 40_000, "{}", seen.sorted.len());
        assert!(seen.sorted.windows(2).all(|w| w[0] < w[1]));
        assert!(values.iter().all(|&v| !seen.insert(v)));
        assert_eq!(seen.sorted.len() + seen.recent.len(), values.len());
    }
}
