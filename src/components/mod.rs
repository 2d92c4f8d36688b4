//! The Yew app, one part of the card per file. [`app::App`] is the one component: it renders
//! the controller's state through view functions (props in, markup out) and handles every
//! click of the card with one listener, reading each control's `data-action`
//! ([`actions`]). Nothing here fetches or dispatches events itself. The listener goes through
//! [`listen::use_event`], never Yew's `on*` props (see there why).

pub mod actions;
pub mod app;
pub mod error;
pub mod link;
pub mod listen;
pub mod qr;
pub mod referrals;
pub mod rewards;
pub mod share;
pub mod skeleton;
pub mod stats;
