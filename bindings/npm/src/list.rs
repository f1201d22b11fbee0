//! Catalog and tag listings as JavaScript async iterators, fetched a page
//! at a time:
//!
//! ```js
//! for await (const repo of client.repositories({ pageSize: 100 })) { ... }
//! ```
//!
//! Each iterator drives the core's `Pager` (through
//! `ocireg_wasm::Client::next_items`): it decides the next page and drops
//! items seen before, so every item comes once even from a registry that
//! ignores `n` (registry 2.8.2's tag lists). One page of items is held at
//! a time. A failed `next()` rejects; calling `next()` again retries the
//! same page.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use ocireg_wasm::{Client, ItemsIntoIter, Listing, Pager};
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

struct State {
    client: Client,
    /// The listing's pager; `None` while a `next()` fetches its page.
    pager: Option<Pager>,
    /// The new items of the last page, not handed out yet.
    items: ItemsIntoIter,
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
            pager: Some(client.pager(listing, page_size)),
            client,
            items: ItemsIntoIter::default(),
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
                let (client, mut pager) = {
                    let mut s = state.borrow_mut();
                    if let Some(item) = s.items.next() {
                        return Ok(result(false, item.into()));
                    }
                    let Some(pager) = s.pager.take() else {
                        return Ok(result(true, JsValue::UNDEFINED));
                    };
                    (s.client.clone(), pager)
                };
                let fetched = client.next_items(&mut pager).await;
                let mut s = state.borrow_mut();
                // After a failed fetch the pager names the same page again.
                s.pager = Some(pager);
                match fetched.map_err(|e| errors::to_js(&e))? {
                    Some(items) => s.items = items.into_iter(),
                    None => return Ok(result(true, JsValue::UNDEFINED)),
                }
            }
        });
        self.state.borrow_mut().previous = Some(promise.clone());
        promise
    }
}
