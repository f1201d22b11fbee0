//! The wasm tests in Node (`wasm-bindgen-test-runner`'s default). Run with
//! `scripts/wasm-tests`, which starts the servers first.
#![cfg(target_family = "wasm")]

// Each runner skips the test that only makes sense in the other.
#[allow(dead_code)]
mod common;

use wasm_bindgen_test::wasm_bindgen_test;

macro_rules! tests {
    ($($name:ident),* $(,)?) => {$(
        #[wasm_bindgen_test]
        async fn $name() {
            common::$name().await
        }
    )*};
}

tests!(
    ping_answers_through_the_cors_proxy,
    catalog_pages_follow_link,
    catalog_pages_with_last_when_link_is_hidden,
    tags_are_listed,
    pagers_list_each_item_once,
    manifests_by_tag_are_verified,
    digest_is_computed_when_the_header_is_hidden,
    missing_manifest_is_not_found,
    platform_resolution_picks_the_child,
    summary_covers_every_platform,
    blobs_stream_and_verify,
    push_pull_mount_delete_without_auth,
    push_works_when_digest_and_link_are_hidden,
    token_auth_through_the_proxy,
    basic_auth_through_the_proxy,
    registry_urls_are_checked,
    a_closed_port_is_a_connection_failure,
);
