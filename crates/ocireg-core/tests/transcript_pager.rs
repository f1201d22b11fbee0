//! Transcripts of the pager: `ListAll` and `Pager` driven page by page
//! against registries that ignore `n` and `last`, repeat their `Link`s,
//! send empty or overlapping pages, or page the catalog the way registry
//! 2.8.2 does.

mod support;

use ocireg_core::auth::Session;
use ocireg_core::ops::{ListAll, Listing, Pager, PAGE_LIMIT};
use ocireg_core::registry::{Registry, Scheme};
use ocireg_core::Error;
use serde_json::json;
use support::*;

const R: &str = "http://127.0.0.1:5000";

fn local() -> Registry {
    Registry::new(Scheme::Http, "127.0.0.1:5000").unwrap()
}

/// The request for `path_and_query` and its `200` page of `items` (a
/// catalog for catalog paths, else a tag list of repository `r`), with
/// `Link: <link>; rel="next"` unless `link` is empty.
fn page(path_and_query: &str, items: &[&str], link: &str) -> (Expect, Reply) {
    let body = if path_and_query.starts_with("/v2/_catalog") {
        json!({ "repositories": items })
    } else {
        json!({"name": "r", "tags": items})
    };
    let mut reply = resp(200).json(body);
    if !link.is_empty() {
        reply = reply.header("Link", &format!(r#"<{link}>; rel="next""#));
    }
    (req("GET", &format!("{R}{path_and_query}")), reply)
}

/// Every item through `ListAll`, checking the requests against `script`.
fn list_all(op: ListAll, script: Vec<(Expect, Reply)>) -> Result<Vec<String>, Error> {
    let mut op = op;
    drive(&mut op, &mut Session::default(), t0(), script, b"").result
}

/// The new items of each page, driving `pager` one page (one entry of
/// `script`) at a time the way a page-at-a-time consumer does; the listing
/// must be over when the script is.
fn page_by_page(pager: Pager, script: Vec<(Expect, Reply)>) -> Result<Vec<Vec<String>>, Error> {
    let mut pager = pager;
    let mut session = Session::default();
    let mut pages = Vec::new();
    let mut script = script.into_iter();
    while let Some(mut op) = pager.next_page() {
        let step = script
            .next()
            .expect("the pager asks for a page the script lacks");
        let page = drive(&mut op, &mut session, t0(), vec![step], b"").result?;
        pages.push(pager.accept(page)?.to_vec());
    }
    assert!(pager.is_done());
    assert_eq!(script.len(), 0, "the pager ended before the script");
    Ok(pages)
}

/// `script` run through `ListAll` and, page by page, through `Pager`,
/// both listing `listing` with `n` items per page: every item, and the new
/// items of each page.
fn both(listing: Listing, n: u32, script: &[(Expect, Reply)]) -> (Vec<String>, Vec<Vec<String>>) {
    let all = list_all(
        ListAll::new(local(), listing.clone(), Some(n)),
        script.to_vec(),
    )
    .unwrap();
    let pages = page_by_page(Pager::new(local(), listing, Some(n)), script.to_vec()).unwrap();
    (all, pages)
}

/// Registry 2.8.2 paging a catalog of `a` to `e` by 2 with relative
/// `Link`s; the last page links to `last_link` (nowhere when empty).
fn catalog_by_2(last_link: &str) -> [(Expect, Reply); 3] {
    [
        page("/v2/_catalog?n=2", &["a", "b"], "/v2/_catalog?last=b&n=2"),
        page(
            "/v2/_catalog?last=b&n=2",
            &["c", "d"],
            "/v2/_catalog?last=d&n=2",
        ),
        page("/v2/_catalog?last=d&n=2", &["e"], last_link),
    ]
}

fn tags() -> Listing {
    Listing::tags(repo("r"))
}

#[test]
fn a_registry_that_ignores_n_sends_everything_once_and_is_asked_once() {
    // Registry 2.8.2: every tag, unsorted, no Link, whatever n says.
    let script = [page("/v2/r/tags/list?n=2", &["b", "c", "e", "a", "d"], "")];
    let (all, pages) = both(tags(), 2, &script);
    assert_eq!(all, ["b", "c", "e", "a", "d"]);
    assert_eq!(pages, [["b", "c", "e", "a", "d"]]);
}

#[test]
fn a_full_page_asks_for_more_once_and_the_repeat_ends_it() {
    // Exactly n tags: the fallback asks for those after "d", the registry
    // ignores last and sends the same page, which ends the listing.
    let script = [
        page("/v2/r/tags/list?n=5", &["b", "c", "e", "a", "d"], ""),
        page("/v2/r/tags/list?n=5&last=d", &["b", "c", "e", "a", "d"], ""),
    ];
    let (all, pages) = both(tags(), 5, &script);
    assert_eq!(all, ["b", "c", "e", "a", "d"]);
    assert_eq!(pages, [vec!["b", "c", "e", "a", "d"], vec![]]);
}

#[test]
fn a_link_back_to_a_fetched_page_ends_the_listing() {
    // Page 2 links back to page 1 (relative, as 2.8.2 writes its Links).
    let script = [
        page("/v2/_catalog?n=2", &["a", "b"], "/v2/_catalog?last=b&n=2"),
        page("/v2/_catalog?last=b&n=2", &["c", "d"], "/v2/_catalog?n=2"),
    ];
    let (all, pages) = both(Listing::Catalog, 2, &script);
    assert_eq!(all, ["a", "b", "c", "d"]);
    assert_eq!(pages, [["a", "b"], ["c", "d"]]);

    // Page 3 links back to page 2, its query in another order.
    let (all, pages) = both(
        Listing::Catalog,
        2,
        &catalog_by_2("/v2/_catalog?n=2&last=b"),
    );
    assert_eq!(all, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
}

#[test]
fn a_link_to_the_page_itself_ends_the_listing() {
    // On the first page, as an absolute URL.
    let own = format!("{R}/v2/_catalog?n=2");
    let (all, pages) = both(
        Listing::Catalog,
        2,
        &[page("/v2/_catalog?n=2", &["a", "b"], &own)],
    );
    assert_eq!(all, ["a", "b"]);
    assert_eq!(pages, [["a", "b"]]);

    // On a later page, with its parameters in another order.
    let script = [
        page("/v2/_catalog?n=2", &["a", "b"], "/v2/_catalog?last=b&n=2"),
        page(
            "/v2/_catalog?last=b&n=2",
            &["c", "d"],
            "/v2/_catalog?n=2&last=b",
        ),
    ];
    let (all, pages) = both(Listing::Catalog, 2, &script);
    assert_eq!(all, ["a", "b", "c", "d"]);
    assert_eq!(pages, [["a", "b"], ["c", "d"]]);
}

#[test]
fn a_page_of_repeats_ends_the_listing_whatever_its_link_says() {
    // Opaque page tokens that start over: the second page brings nothing
    // new, so its (new) Link is not followed.
    let script = [
        page("/v2/_catalog?n=2", &["a", "b"], "/v2/_catalog?page=2"),
        page("/v2/_catalog?page=2", &["b", "a"], "/v2/_catalog?page=3"),
    ];
    let (all, pages) = both(Listing::Catalog, 2, &script);
    assert_eq!(all, ["a", "b"]);
    assert_eq!(pages, [vec!["a", "b"], vec![]]);
}

#[test]
fn an_empty_page_with_a_new_link_is_followed() {
    let script = [
        page("/v2/_catalog?n=2", &["a", "b"], "/v2/_catalog?page=2"),
        page("/v2/_catalog?page=2", &[], "/v2/_catalog?page=3"),
        page("/v2/_catalog?page=3", &["c"], ""),
    ];
    let (all, pages) = both(Listing::Catalog, 2, &script);
    assert_eq!(all, ["a", "b", "c"]);
    assert_eq!(pages, [vec!["a", "b"], vec![], vec!["c"]]);
}

#[test]
fn duplicates_across_pages_are_returned_once() {
    let script = [
        page(
            "/v2/r/tags/list?n=3",
            &["a", "b", "c"],
            "/v2/r/tags/list?last=c&n=3",
        ),
        page(
            "/v2/r/tags/list?last=c&n=3",
            &["c", "d", "a"],
            "/v2/r/tags/list?last=a&n=3",
        ),
        page("/v2/r/tags/list?last=a&n=3", &["e", "e"], ""),
    ];
    let (all, pages) = both(tags(), 3, &script);
    assert_eq!(all, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, [vec!["a", "b", "c"], vec!["d"], vec!["e"]]);
}

#[test]
fn more_items_than_max_items_is_a_typed_error() {
    let script = vec![
        page("/v2/_catalog?n=2", &["a", "b"], "/v2/_catalog?last=b&n=2"),
        page("/v2/_catalog?last=b&n=2", &["b", "c", "d"], ""),
    ];
    let too_many = Error::TooMany {
        what: "items in the listing",
        limit: 3,
    };
    let op = ListAll::new(local(), Listing::Catalog, Some(2)).max_items(3);
    assert_eq!(list_all(op, script.clone()).unwrap_err(), too_many);
    assert_eq!(too_many.to_string(), "more than 3 items in the listing");
    let pager = Pager::new(local(), Listing::Catalog, Some(2)).max_items(3);
    assert_eq!(page_by_page(pager, script.clone()).unwrap_err(), too_many);

    // Exactly max_items distinct items is a whole listing.
    let op = ListAll::new(local(), Listing::Catalog, Some(2)).max_items(4);
    assert_eq!(list_all(op, script).unwrap(), ["a", "b", "c", "d"]);
}

#[test]
fn the_catalog_pages_by_2_8_2_relative_links() {
    let (all, pages) = both(Listing::Catalog, 2, &catalog_by_2(""));
    assert_eq!(all, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
}

#[test]
fn the_catalog_pages_by_last_when_link_is_hidden() {
    // Behind a CORS proxy that does not expose Link.
    let script = [
        page("/v2/_catalog?n=2", &["a", "b"], ""),
        page("/v2/_catalog?n=2&last=b", &["c", "d"], ""),
        page("/v2/_catalog?n=2&last=d", &["e"], ""),
    ];
    let (all, pages) = both(Listing::Catalog, 2, &script);
    assert_eq!(all, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
}

#[test]
fn a_page_over_the_limit_is_too_large() {
    let mut body = br#"{"name":"r","tags":[""#.to_vec();
    body.resize(usize::try_from(PAGE_LIMIT).unwrap(), b'x');
    body.extend_from_slice(br#""]}"#);
    let err = list_all(
        ListAll::new(local(), tags(), Some(2)),
        vec![(
            req("GET", &format!("{R}/v2/r/tags/list?n=2")),
            resp(200).body(&body),
        )],
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit, .. } if limit == 4 << 20),
        "{err}"
    );
}
