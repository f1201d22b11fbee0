//! Listing repositories (`/v2/_catalog`) and tags (`/v2/<name>/tags/list`):
//! one page ([`ListPage`]), page by page through a [`Pager`], or every
//! item at once ([`ListAll`], a [`Pager`] driven to its end).
//!
//! # One page
//!
//! [`Page::read`] turns one `200` response into a [`Page`]. It keeps no
//! state, so a caller that holds only the last page's `next` still ends:
//!
//! ```text
//! Page::read(listing, fetched URL, n, headers, body)
//!   items = "repositories" or "tags" of the body ("tags": null = no items)
//!   Link: <target>; rel="next" ?
//!   |- yes: target resolved against the fetched URL
//!   |       |- another origin ........................ Err(Protocol)
//!   |       |- the fetched page itself ............... next = None
//!   |       '- otherwise ............................. next = target
//!   '- no (never sent, or hidden by CORS): the `last=` fallback
//!           |- n not given ........................... next = None
//!           |- fewer than n items (the end) .......... next = None
//!           |- more than n items (n ignored: the
//!           |  registry sent everything) ............. next = None
//!           |- last item == the fetched URL's last= .. next = None
//!           '- exactly n items, a new last item ...... next = fetched URL
//!                                                      with n=<n>&last=<last item>
//! ```
//!
//! Pages are compared by origin, path and query parameters (decoded, in
//! any order), so registry 2.8.2's `?last=b&n=2` and the fallback's
//! `?n=2&last=b` are the same page.
//!
//! # The pager's decisions
//!
//! ```text
//! Pager::new(registry, listing, n): next = first URL (?n=<n> if given)
//!   |
//!   v
//! next_page() <---------------------------------------------------------+
//!   |- next is None -----------------------------> None: over           |
//!   | Some(ListPage for next)                                           |
//!   v                                                                   |
//! the driver runs it: one GET (auth, redirects, retries;                |
//! a body over PAGE_LIMIT fails with TooLarge);                          |
//! 200 -> Page::read -> Page                                             |
//!   |- it fails: the error is the driver's (ListAll fails);             |
//!   |  next_page() still names this page                                |
//!   |                                                                   |
//!   v                                                                   |
//! accept(page): next counts as fetched; the items whose                 |
//! hash is new are kept, in the registry's order                         |
//!   |- more than max_items distinct items -----> Err(TooMany), over     |
//!   |- the page had items, none of them new ---> Ok([]), over           |
//!   |- page.next is None ----------------------> Ok(new), over          |
//!   |- page.next was fetched already (a                                 |
//!   |  repeated or self-pointing Link, a loop) -> Ok(new), over         |
//!   |- MAX_PAGES pages fetched ----------------> Err(TooMany), over     |
//!   '- otherwise, an empty page included ------> Ok(new),               |
//!                                                next = page.next ------+
//! ```
//!
//! Registry 2.8.2 ignores `n` and `last` on tag lists: it sends every tag,
//! unsorted, with no `Link`. With `n` = 2 and five tags the first page has
//! more than `n` items, so the listing ends after one request; with `n` =
//! 5 the fallback asks for `last=<fifth tag>`, gets the same five tags
//! again and ends there, each tag returned once.

use std::borrow::Cow;
use std::ops::Range;

use http::header::LINK;
use http::HeaderMap;
use serde::Deserialize;
use url::Url;

use super::exchange::Exchange;
use super::items::Items;
use super::pager::Pager;
use super::{fail, other_step};
use super::{Context, Input, Operation, RequestBody, Step};
use crate::auth::{Scope, Scopes};
use crate::documents::parse_object;
use crate::error::Error;
use crate::headers;
use crate::manifest::json::null_as_default;
use crate::reference::Repository;
use crate::registry::Registry;
use crate::requests;

/// The largest catalog or tag-list page the core reads (4 MiB, the
/// manifest limit: some 80,000 typical tags in one page). A larger body
/// fails the page with [`Error::TooLarge`].
pub const PAGE_LIMIT: u64 = 4 << 20;

/// Items to ask for per page when the caller names no page size: the
/// most registry 2.8.2 accepts for the catalog (past 1000 it answers 400
/// `PAGINATION_NUMBER_INVALID`), so a listing takes few round trips.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;

/// What is listed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Listing {
    /// Repository names (`GET /v2/_catalog`).
    Catalog,
    /// Tags of a repository (`GET /v2/<name>/tags/list`).
    Tags {
        /// The repository path.
        repository: Repository,
    },
}

impl Listing {
    /// The tags of `repository` (its path, as in `library/alpine`).
    pub fn tags(repository: Repository) -> Listing {
        Listing::Tags { repository }
    }

    fn scopes(&self) -> Scopes {
        match self {
            Listing::Catalog => [Scope::catalog()].into_iter().collect(),
            Listing::Tags { repository } => [Scope::pull(repository)].into_iter().collect(),
        }
    }

    /// The URL of the first page.
    pub(super) fn first_url(&self, registry: &Registry, n: Option<u32>) -> Url {
        match self {
            Listing::Catalog => requests::catalog_url(registry, n, None),
            Listing::Tags { repository } => requests::tags_url(registry, repository, n, None),
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page {
    /// Repository names or tags, in the registry's order (in one buffer:
    /// see [`Items`]).
    pub items: Items,
    /// Where the next page is, if there is one.
    pub next: Option<Url>,
}

impl Page {
    /// Reads the `200` response to the page request for `fetched`, which
    /// asked for `n` items per page, by the rules of the module
    /// documentation: `next` is the `Link` target unless it points back at
    /// `fetched`; without a `Link`, it asks for `n` items after the last
    /// one (`?n=<n>&last=<item>`) only after a page of exactly `n` items
    /// whose last item is not `fetched`'s `last=`.
    ///
    /// Fails with [`Error::Protocol`] on a body that is not the listing's
    /// document, a malformed `Link`, or a `Link` to another origin.
    ///
    /// ```
    /// use ocireg_core::http::HeaderMap;
    /// use ocireg_core::ops::{Listing, Page};
    /// use ocireg_core::url::Url;
    ///
    /// let fetched = Url::parse("http://localhost:5000/v2/app/tags/list?n=2").unwrap();
    /// let listing = Listing::tags("app".parse()?);
    /// let none = HeaderMap::new();
    /// let full = Page::read(&listing, &fetched, Some(2), &none, br#"{"tags":["a","b"]}"#)?;
    /// let next = full.next.unwrap();
    /// assert_eq!(next.as_str(), "http://localhost:5000/v2/app/tags/list?n=2&last=b");
    ///
    /// // Registry 2.8.2 ignores n: more than n items is every item.
    /// let all = Page::read(&listing, &fetched, Some(2), &none, br#"{"tags":["b","c","a"]}"#)?;
    /// assert_eq!((all.items.len(), all.next), (3, None));
    /// # Ok::<(), ocireg_core::Error>(())
    /// ```
    pub fn read(
        listing: &Listing,
        fetched: &Url,
        n: Option<u32>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Page, Error> {
        let protocol = |message: String| Error::Protocol {
            url: crate::redact::url(fetched),
            message,
        };
        let items = match listing {
            Listing::Catalog => parse_object(body, "catalog").map(|c: CatalogItems| c.repositories),
            Listing::Tags { .. } => parse_object(body, "tag list").map(|t: TagItems| t.tags),
        }
        .map_err(|e| protocol(e.to_string()))?;
        let link = headers
            .get_all(LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| headers::next_link(v, fetched))
            .find(|r| !matches!(r, Ok(None)));
        let next = match link {
            Some(Ok(target)) => target.filter(|t| !same_page(t, fetched)),
            Some(Err(e)) => return Err(protocol(e.to_string())),
            None => after_last(fetched, n, &items),
        };
        Ok(Page { items, next })
    }
}

/// A catalog page as [`Catalog`](crate::documents::Catalog) reads it,
/// its items in one buffer.
#[derive(Deserialize)]
struct CatalogItems {
    #[serde(default, deserialize_with = "null_as_default")]
    repositories: Items,
}

/// A tag list page as [`TagList`](crate::documents::TagList) reads it,
/// its items in one buffer.
#[derive(Deserialize)]
struct TagItems {
    #[serde(default, deserialize_with = "null_as_default")]
    #[allow(dead_code)] // Read to check it, as TagList does.
    name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    tags: Items,
}

/// The `last=` fallback: the page after a full page of `n` items, unless
/// the registry ignored `n` or `last`.
fn after_last(fetched: &Url, n: Option<u32>, items: &Items) -> Option<Url> {
    let n = n?;
    let last = items.last()?;
    let full = usize::try_from(n).is_ok_and(|n| n == items.len());
    let asked_last = fetched
        .query_pairs()
        .find(|(k, _)| k == "last")
        .map(|(_, v)| v);
    if !full || asked_last.as_deref() == Some(last) {
        return None;
    }
    let others: Vec<(Cow<'_, str>, Cow<'_, str>)> = fetched
        .query_pairs()
        .filter(|(k, _)| k != "n" && k != "last")
        .collect();
    let mut next = fetched.clone();
    next.set_fragment(None);
    next.query_pairs_mut()
        .clear()
        .extend_pairs(others)
        .append_pair("n", &n.to_string())
        .append_pair("last", last);
    Some(next)
}

/// `url` with its query parameters decoded and sorted and no fragment:
/// two URLs of the same page give the same key.
pub(super) fn page_key(url: &Url) -> Url {
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = url.query_pairs().collect();
    pairs.sort();
    let mut key = url.clone();
    key.set_fragment(None);
    if pairs.is_empty() {
        key.set_query(None);
    } else {
        key.query_pairs_mut().clear().extend_pairs(pairs);
    }
    key
}

fn same_page(a: &Url, b: &Url) -> bool {
    page_key(a) == page_key(b)
}

/// Fetches one page and reads it with [`Page::read`].
#[derive(Debug)]
pub struct ListPage {
    listing: Listing,
    n: Option<u32>,
    ex: Exchange,
}

impl ListPage {
    /// The first page (`next: None`) or the page at `next` (a previous
    /// [`Page`]'s), of up to `n` items when `n` is given: what a caller
    /// that hands out pages one at a time (a UI's "more" button) asks for.
    pub fn new(
        registry: Registry,
        listing: Listing,
        n: Option<u32>,
        next: Option<&Url>,
    ) -> ListPage {
        match next {
            Some(url) => ListPage::at(registry, listing, n, url),
            None => ListPage::first(registry, listing, n),
        }
    }

    /// The first page, of up to `n` items when `n` is given (registries
    /// cap it; registry 2.8.2 refuses more than 1000 for the catalog).
    pub fn first(registry: Registry, listing: Listing, n: Option<u32>) -> ListPage {
        let url = listing.first_url(&registry, n);
        Self::at(registry, listing, n, &url)
    }

    /// The page at `next` (from a previous [`Page`]), for a listing that
    /// asked for `n` items per page.
    pub fn at(registry: Registry, listing: Listing, n: Option<u32>, next: &Url) -> ListPage {
        let req = requests::build(http::Method::GET, next, &[], RequestBody::Empty);
        ListPage {
            ex: Exchange::buffered(&registry, listing.scopes(), req, PAGE_LIMIT),
            listing,
            n,
        }
    }
}

impl Operation for ListPage {
    type Output = Page;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Page> {
        let resp = match self.ex.poll(cx).into_response() {
            Ok(r) => r,
            Err(step) => return step,
        };
        if resp.status() != http::StatusCode::OK {
            return fail(self.ex.status_error(&resp));
        }
        Step::Done(Page::read(
            &self.listing,
            self.ex.url(),
            self.n,
            resp.headers(),
            resp.body(),
        ))
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.ex.handle(cx, input)
    }
}

/// Fetches every page through a [`Pager`] and returns every distinct
/// item, in the registry's order (at most the pager's `max_items`).
#[derive(Debug)]
pub struct ListAll {
    pager: Pager,
    current: Option<ListPage>,
    items: Vec<String>,
}

impl ListAll {
    /// Every item, `n` per page when given.
    pub fn new(registry: Registry, listing: Listing, n: Option<u32>) -> ListAll {
        ListAll {
            pager: Pager::new(registry, listing, n),
            current: None,
            items: Vec::new(),
        }
    }

    /// Fails with [`Error::TooMany`] past `max` distinct items (see
    /// [`Pager::max_items`]).
    pub fn max_items(mut self, max: u64) -> ListAll {
        self.pager = self.pager.max_items(max);
        self
    }
}

impl Operation for ListAll {
    type Output = Vec<String>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Vec<String>> {
        loop {
            let op = match &mut self.current {
                Some(op) => op,
                None => match self.pager.next_page() {
                    Some(op) => self.current.insert(op),
                    None => return Step::Done(Ok(std::mem::take(&mut self.items))),
                },
            };
            match other_step(op.poll(cx)) {
                Ok(Ok(page)) => {
                    self.current = None;
                    match self.pager.accept(page) {
                        Ok(new) => self.items.extend(new),
                        Err(e) => return fail(e),
                    }
                }
                Ok(Err(e)) => return fail(e),
                Err(step) => return step,
            }
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        match &mut self.current {
            Some(op) => op.handle(cx, input),
            None => 0..0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn read(fetched: &str, n: Option<u32>, link: Option<&str>, items: &[&str]) -> Page {
        let mut headers = HeaderMap::new();
        if let Some(link) = link {
            headers.insert(LINK, link.parse().unwrap());
        }
        let body = serde_json::json!({ "repositories": items }).to_string();
        Page::read(
            &Listing::Catalog,
            &url(fetched),
            n,
            &headers,
            body.as_bytes(),
        )
        .unwrap()
    }

    fn next(page: &Page) -> Option<&str> {
        page.next.as_ref().map(Url::as_str)
    }

    const C: &str = "http://r.example/v2/_catalog";

    #[test]
    fn link_is_followed_resolved_against_the_fetched_url() {
        let p = read(
            &format!("{C}?n=2"),
            Some(2),
            Some(r#"</v2/_catalog?last=b&n=2>; rel="next""#),
            &["a", "b"],
        );
        assert_eq!(p.items, ["a", "b"]);
        assert_eq!(next(&p), Some("http://r.example/v2/_catalog?last=b&n=2"));
        // A Link wins over the fallback, whatever the page size.
        let p = read(
            &format!("{C}?n=2"),
            Some(2),
            Some(r#"</v2/_catalog?page=2>; rel="next""#),
            &["a", "b", "c"],
        );
        assert_eq!(next(&p), Some("http://r.example/v2/_catalog?page=2"));
    }

    #[test]
    fn a_self_pointing_link_ends_the_listing() {
        for link in [
            r#"</v2/_catalog?last=b&n=2>; rel="next""#,
            r#"</v2/_catalog?n=2&last=b>; rel="next""#,
            r#"<http://r.example/v2/_catalog?n=2&last=%62#x>; rel="next""#,
        ] {
            let p = read(&format!("{C}?n=2&last=b"), Some(2), Some(link), &["c", "d"]);
            assert_eq!(p.next, None, "{link}");
        }
    }

    #[test]
    fn a_link_to_another_origin_is_refused() {
        let err = Page::read(
            &Listing::Catalog,
            &url(&format!("{C}?n=2")),
            Some(2),
            &[(
                LINK,
                r#"<https://r.example/v2/_catalog?last=b&n=2>; rel="next""#
                    .parse()
                    .unwrap(),
            )]
            .into_iter()
            .collect(),
            br#"{"repositories":["a","b"]}"#,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
    }

    #[test]
    fn fallback_only_after_exactly_n_items_with_a_new_last() {
        // Exactly n: ask for the items after the last one.
        let p = read(&format!("{C}?n=2"), Some(2), None, &["a", "b"]);
        assert_eq!(next(&p), Some("http://r.example/v2/_catalog?n=2&last=b"));
        let p = read(&format!("{C}?n=2&last=b"), Some(2), None, &["c", "a/b c"]);
        assert_eq!(
            next(&p),
            Some("http://r.example/v2/_catalog?n=2&last=a%2Fb+c")
        );
        // Fewer: the end. More: the registry ignored n and sent everything.
        assert_eq!(read(&format!("{C}?n=2"), Some(2), None, &["a"]).next, None);
        assert_eq!(
            read(&format!("{C}?n=2"), Some(2), None, &["b", "c", "a"]).next,
            None
        );
        // No n, no items, or a registry that ignored last: no progress.
        assert_eq!(read(C, None, None, &["a", "b"]).next, None);
        assert_eq!(read(&format!("{C}?n=0"), Some(0), None, &[]).next, None);
        assert_eq!(
            read(&format!("{C}?n=2&last=b"), Some(2), None, &["a", "b"]).next,
            None
        );
    }

    #[test]
    fn fallback_keeps_other_query_parameters() {
        let p = read(
            &format!("{C}?n=9&token=t&last=x#frag"),
            Some(2),
            None,
            &["a", "b"],
        );
        assert_eq!(
            next(&p),
            Some("http://r.example/v2/_catalog?token=t&n=2&last=b")
        );
    }

    #[test]
    fn tags_null_is_an_empty_page_and_bad_bodies_are_protocol_errors() {
        let fetched = url("http://r.example/v2/a/tags/list?n=2");
        let p = Page::read(
            &Listing::tags("a".parse().unwrap()),
            &fetched,
            Some(2),
            &HeaderMap::new(),
            br#"{"name":"a","tags":null}"#,
        )
        .unwrap();
        assert_eq!((p.items.len(), p.next), (0, None));
        let err = Page::read(
            &Listing::tags("a".parse().unwrap()),
            &fetched,
            Some(2),
            &HeaderMap::new(),
            b"404 page not found",
        )
        .unwrap_err();
        assert!(matches!(err, Error::Protocol { .. }), "{err}");
    }

    #[test]
    fn page_keys_ignore_parameter_order_encoding_and_fragment() {
        assert_eq!(
            page_key(&url(&format!("{C}?last=a%2Fb&n=2#x"))),
            page_key(&url(&format!("{C}?n=2&last=a/b")))
        );
        assert_eq!(page_key(&url(&format!("{C}?"))), page_key(&url(C)));
        assert_ne!(
            page_key(&url(&format!("{C}?n=2&last=a"))),
            page_key(&url(&format!("{C}?n=2&last=b")))
        );
    }
}
