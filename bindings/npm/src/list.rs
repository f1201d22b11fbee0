//! Catalog and tag listings as JavaScript async iterators, fetched a page
//! at a time:
//!
//! ```js
//! for await (const repo of client.repositories({ pageSize: 100 })) { ... }
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use ocireg_core::url::Url;
use ocireg_wasm::Client;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::errors;
use crate::task::spawn;

#[wasm_bindgen(inline_js = "
export function asyncIterable(cursor) {
  let done = false;
  return {
    next() {
      return done ? Promise.resolve({ done: true, value: undefined }) : cursor.next();
    },
    return(value) {
      if (!done) { done = true; cursor.free(); }
      return Promise.resolve({ done: true, value });
    },
    [Symbol.asyncIterator]() { return this; },
  };
}
")]
extern "C" {
    #[wasm_bindgen(js_name = asyncIterable)]
    fn async_iterable(cursor: ListCursor) -> JsValue;
}

/// What is listed.
#[derive(Clone)]
pub(crate) enum Listing {
    Catalog,
    Tags(ocireg_core::Repository),
}

struct State {
    client: Client,
    listing: Listing,
    page_size: Option<u32>,
    items: VecDeque<String>,
    /// The next page to fetch: `Some(None)` for the first, `None` when
    /// there are no more.
    next: Option<Option<Url>>,
    /// The last `next()` call, which the following one waits for (pages
    /// are fetched one after the other even if `next()` is not awaited).
    previous: Option<Promise>,
}

/// The Rust side of one listing iterator (wrapped by `asyncIterable`).
#[wasm_bindgen(skip_typescript)]
pub struct ListCursor {
    state: Rc<RefCell<State>>,
}

/// An async iterator over `listing`.
pub(crate) fn iterator(client: Client, listing: Listing, page_size: Option<u32>) -> JsValue {
    async_iterable(ListCursor {
        state: Rc::new(RefCell::new(State {
            client,
            listing,
            page_size,
            items: VecDeque::new(),
            next: Some(None),
            previous: None,
        })),
    })
}

fn result(done: bool, value: JsValue) -> JsValue {
    let out = Object::new();
    let _ = Reflect::set(&out, &"done".into(), &done.into());
    let _ = Reflect::set(&out, &"value".into(), &value);
    out.into()
}

#[wasm_bindgen]
impl ListCursor {
    /// `{ done, value }` for the next item, fetching a page when needed.
    pub fn next(&self) -> Promise {
        let state = self.state.clone();
        let previous = state.borrow_mut().previous.take();
        let promise = spawn(async move {
            if let Some(p) = previous {
                let _ = JsFuture::from(p).await;
            }
            loop {
                let (client, listing, page_size, at) = {
                    let mut s = state.borrow_mut();
                    if let Some(item) = s.items.pop_front() {
                        return Ok(result(false, item.into()));
                    }
                    let Some(at) = s.next.take() else {
                        return Ok(result(true, JsValue::UNDEFINED));
                    };
                    (s.client.clone(), s.listing.clone(), s.page_size, at)
                };
                let page = match &listing {
                    Listing::Catalog => client.catalog_page(page_size, at.as_ref()).await,
                    Listing::Tags(repo) => client.tags_page(repo, page_size, at.as_ref()).await,
                };
                // On an error the listing can be retried from the same page.
                let page = page.map_err(|e| {
                    state.borrow_mut().next = Some(at.clone());
                    errors::to_js(&e)
                })?;
                let mut s = state.borrow_mut();
                s.items.extend(page.items);
                s.next = page.next.map(Some);
            }
        });
        self.state.borrow_mut().previous = Some(promise.clone());
        promise
    }
}
