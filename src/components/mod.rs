//! The Yew components, one per file. They render from the controller's state and report
//! user actions back through callbacks; none of them fetches or dispatches events itself.
//! DOM listeners go through [`listen::use_event`], never Yew's `on*` props (see there why).

pub mod app;
pub mod error;
pub mod link;
pub mod listen;
pub mod qr;
pub mod referrals;
pub mod share;
pub mod skeleton;
pub mod stats;
