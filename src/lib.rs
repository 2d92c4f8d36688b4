//! `<referrer-dashboard>`: an embeddable referral dashboard, a Yew app compiled to wasm.
//!
//! The element fetches a short-lived dashboard session (SPEC §5) from the host's own backend
//! and renders the referral link, share actions, the three stats, what the referrer has earned
//! (when the session says) and the referrals. A small
//! hand-written JS loader (`pkg-template/element.js`) subclasses `HTMLElement` and forwards
//! its lifecycle to [`element::Core`]; everything else happens here.
//!
//! Every byte of this crate lands in every user's browser: `src/SIZE.md` holds the size rules
//! (no number formatting in Rust, `Intl` for what people read, few components, …) and the
//! checklist for upgrading wasm-bindgen, serde-wasm-bindgen or Yew.
//!
//! # Layout
//! - [`element`]: the shell the loader calls: shadow root, the Yew app's handle.
//! - [`lifecycle`]: one element's session lifecycle as a pure state machine (SPEC §4 rules).
//! - [`controller`]: the lifecycle's browser edge: requests, timers, renders, events.
//! - [`config`]: the element's attributes parsed into a `Config` (pure).
//! - [`session`]: the SPEC §5 session: serde decoding and validation (pure).
//! - [`fetch`]: requests to the endpoint and the mapping of failures to `rd-error` types.
//! - [`timing`]: when to refresh before expiry and when to retry after a failure (pure).
//! - [`share`]: the `channels` attribute and the networks' share URLs (pure).
//! - [`demo`]: built-in sample data for the `demo` attribute (pure).
//! - [`qr`]: the link's QR code as an SVG path (pure).
//! - [`mod@panic`]: the panic hook (the message to the console; the loader reports the trap).
//! - [`surface`]: the public surface, written once (`cargo xtask surface` writes it everywhere).
//! - [`state`]: the state and its reducer (pure).
//! - [`events`]: every `rd-*` event dispatch.
//! - [`i18n`]: message catalogues, `strings` overrides, `Intl` formatting.
//! - [`components`]: the Yew app: one component and its view functions, one per file.

pub mod components;
pub mod config;
pub mod controller;
pub mod demo;
pub mod element;
pub mod events;
pub mod fetch;
pub mod i18n;
pub mod lifecycle;
pub mod panic;
pub mod qr;
pub mod session;
pub mod share;
pub mod state;
pub mod surface;
pub mod timing;

pub use element::{Core, create};

/// The allocator: lol_alloc's free list, which grows the wasm memory as needed (see Cargo.toml
/// for why).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: `AssumeSingleThreaded` is sound only without threads: the widget's wasm is built
// without atomics or shared memory, so no two calls into it ever run at once.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
