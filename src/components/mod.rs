//! The Yew components, one per file. They render from the controller's state and report
//! user actions back through callbacks; none of them fetches or dispatches events itself.

pub mod app;
pub mod error;
pub mod link;
pub mod referrals;
pub mod skeleton;
pub mod stats;
