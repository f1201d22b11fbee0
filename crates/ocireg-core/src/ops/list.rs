//! Listing repositories (`/v2/_catalog`) and tags (`/v2/<name>/tags/list`),
//! one page at a time or all pages.
//!
//! ```text
//! ListPage:  send GET ?n=&last= --200--> Done(Page { items, next })
//!                                         next: the Link rel="next" URL
//!                                         (same host only), or, with the
//!                                         `last=` fallback, the next page
//!                                         after a full page
//! ListAll:   ListPage, then ListPage(next) ... until no next
//! ```
//!
//! Registry 2.8.2 ignores `n` for tags and sends every tag at once with no
//! `Link`; `"tags": null` is an empty page. Browsers hide `Link` unless the
//! registry's CORS setup exposes it: [`ListPage::with_last_fallback`] then
//! asks for the page after a full page with `last=<last item>`, and stops
//! when the registry repeats itself.

use std::ops::Range;

use url::Url;

use super::exchange::Exchange;
use super::fail;
use super::{Context, Input, Operation, Response, Step, LIST_LIMIT};
use crate::auth::{Scope, Scopes};
use crate::documents::{Catalog, TagList};
use crate::error::Error;
use crate::headers;
use crate::registry::Registry;
use crate::requests;

/// What is listed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Listing {
    /// Repository names (`GET /v2/_catalog`).
    Catalog,
    /// Tags of a repository (`GET /v2/<name>/tags/list`).
    Tags {
        /// The repository path.
        repository: String,
    },
}

impl Listing {
    /// The tags of `repository` (its path, as in `library/alpine`).
    pub fn tags(repository: impl Into<String>) -> Listing {
        Listing::Tags {
            repository: repository.into(),
        }
    }

    fn scopes(&self) -> Scopes {
        match self {
            Listing::Catalog => [Scope::catalog()].into_iter().collect(),
            Listing::Tags { repository } => [Scope::pull(repository)].into_iter().collect(),
        }
    }

    fn request(
        &self,
        registry: &Registry,
        n: Option<u32>,
        last: Option<&str>,
    ) -> http::Request<super::RequestBody> {
        match self {
            Listing::Catalog => requests::catalog(registry, n, last),
            Listing::Tags { repository } => requests::tags(registry, repository, n, last),
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page {
    /// Repository names or tags, in the registry's order.
    pub items: Vec<String>,
    /// Where the next page is, if there is one.
    pub next: Option<Url>,
}

/// Fetches one page.
#[derive(Debug)]
pub struct ListPage {
    listing: Listing,
    registry: Registry,
    n: Option<u32>,
    last_fallback: bool,
    ex: Exchange,
}

impl ListPage {
    /// The first page, of up to `n` items when `n` is given (registries
    /// cap it; registry 2.8.2 refuses more than 1000 for the catalog).
    pub fn first(registry: Registry, listing: Listing, n: Option<u32>) -> ListPage {
        let req = listing.request(&registry, n, None);
        Self::with_request(registry, listing, n, req)
    }

    /// The page at `next` (from a previous [`Page`]).
    pub fn at(registry: Registry, listing: Listing, n: Option<u32>, next: &Url) -> ListPage {
        let req = requests::build(http::Method::GET, next, &[], super::RequestBody::Empty);
        Self::with_request(registry, listing, n, req)
    }

    fn with_request(
        registry: Registry,
        listing: Listing,
        n: Option<u32>,
        req: http::Request<super::RequestBody>,
    ) -> ListPage {
        ListPage {
            ex: Exchange::buffered(&registry, listing.scopes(), req, LIST_LIMIT),
            listing,
            registry,
            n,
            last_fallback: false,
        }
    }

    /// When the response has no `Link` (hidden by CORS, or never sent)
    /// and the page is full (`n` items), point `next` at `last=<last
    /// item>`.
    pub fn with_last_fallback(mut self) -> ListPage {
        self.last_fallback = true;
        self
    }

    fn page(&self, resp: &Response) -> Result<Page, Error> {
        let body = resp.body();
        let items = match &self.listing {
            Listing::Catalog => Catalog::parse(body).map(|c| c.repositories),
            Listing::Tags { .. } => TagList::parse(body).map(|t| t.tags),
        }
        .map_err(|e| Error::Protocol {
            url: self.ex.url().to_string(),
            message: e.to_string(),
        })?;
        let link = resp
            .headers()
            .get_all(http::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| headers::next_link(v, self.ex.url()))
            .find(|r| !matches!(r, Ok(None)));
        let next = match link {
            Some(Ok(next)) => next,
            Some(Err(e)) => {
                return Err(Error::Protocol {
                    url: self.ex.url().to_string(),
                    message: e.to_string(),
                })
            }
            None => match (self.last_fallback, self.n, items.last()) {
                (true, Some(n), Some(last)) if items.len() as u64 >= u64::from(n) => {
                    let req = self.listing.request(&self.registry, Some(n), Some(last));
                    Url::parse(&req.uri().to_string()).ok()
                }
                _ => None,
            },
        };
        Ok(Page { items, next })
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
        Step::Done(self.page(&resp))
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.ex.handle(cx, input)
    }
}

/// Fetches every page and returns all items.
#[derive(Debug)]
pub struct ListAll {
    registry: Registry,
    listing: Listing,
    n: Option<u32>,
    last_fallback: bool,
    current: ListPage,
    items: Vec<String>,
    seen: std::collections::HashSet<String>,
    pages: u32,
}

/// A listing stops after this many pages, whatever the registry says.
const MAX_PAGES: u32 = 100_000;

impl ListAll {
    /// Every item, `n` per page when given.
    pub fn new(registry: Registry, listing: Listing, n: Option<u32>) -> ListAll {
        ListAll {
            current: ListPage::first(registry.clone(), listing.clone(), n),
            registry,
            listing,
            n,
            last_fallback: false,
            items: Vec::new(),
            seen: Default::default(),
            pages: 0,
        }
    }

    /// See [`ListPage::with_last_fallback`].
    pub fn with_last_fallback(mut self) -> ListAll {
        self.last_fallback = true;
        self.current = self.current.with_last_fallback();
        self
    }
}

impl Operation for ListAll {
    type Output = Vec<String>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Vec<String>> {
        loop {
            let page = match self.current.poll(cx) {
                Step::Done(Ok(page)) => page,
                Step::Done(Err(e)) => return fail(e),
                Step::Send(r) => return Step::Send(r),
                Step::Sleep(d) => return Step::Sleep(d),
                Step::Read => {
                    return fail(Error::InvalidInput {
                        what: "drive loop",
                        message: "a listing never streams".into(),
                    })
                }
            };
            self.pages += 1;
            // With the `last=` fallback a registry that ignores `last`
            // (or `n`) sends the same items again: keep only new ones, and
            // stop when there are none.
            let before = self.items.len();
            if self.last_fallback {
                for item in page.items {
                    if self.seen.insert(item.clone()) {
                        self.items.push(item);
                    }
                }
            } else {
                self.items.extend(page.items);
            }
            let progressed = self.items.len() > before || self.pages == 1;
            match page.next {
                Some(next) if progressed && self.pages < MAX_PAGES => {
                    let mut p =
                        ListPage::at(self.registry.clone(), self.listing.clone(), self.n, &next);
                    if self.last_fallback {
                        p = p.with_last_fallback();
                    }
                    self.current = p;
                }
                _ => return Step::Done(Ok(std::mem::take(&mut self.items))),
            }
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.current.handle(cx, input)
    }
}
