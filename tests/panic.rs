#![cfg_attr(not(target_arch = "wasm32"), allow(missing_docs))]
#![cfg(target_arch = "wasm32")]
//! The panic hook (its own test page: the hook is page-wide). What a panic does to the elements
//! is the loader's job, tested with a real panic in `tests/panic_after_render.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Passes only if the panic still reaches the hook installed before ours (the harness's), that
/// is, if installing ours chained it instead of replacing it (in debug builds, as tests run).
#[wasm_bindgen_test]
#[should_panic(expected = "still visible after install")]
fn the_hook_keeps_the_previous_one() {
    referrer_dashboard::panic::install();
    panic!("still visible after install");
}
