//! The widget's state and the reducer that changes it. Pure: every transition is a plain
//! function of the old state and an [`Action`], tested on the host.
//!
//! What the user sees (skeleton, dashboard, error) is derived from the state by [`State::view`]
//! rather than stored, so it cannot disagree with the data.

use std::rc::Rc;

use crate::fetch::WidgetError;
use crate::session::{Page, Referral, Session};

/// Everything the dashboard renders from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// The last valid session; kept on screen when a refresh fails.
    pub session: Option<Rc<Session>>,
    /// Referrals loaded so far: the session's first page, then pages fetched by cursor.
    pub items: Rc<Vec<Referral>>,
    /// How many of `items` came with the session itself (the rest came by cursor).
    pub first_page_len: usize,
    /// Cursor of the next page not yet loaded.
    pub next: Option<String>,
    /// How many referrals are revealed.
    pub shown: usize,
    /// A session request is in flight.
    pub loading: bool,
    /// A cursor page request is in flight.
    pub loading_more: bool,
    /// The most recent failure, cleared by the next success.
    pub error: Option<WidgetError>,
    /// Counts sessions loaded; the app fires `rd-load` once each is on screen.
    pub loads: u32,
}

/// What the card shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Nothing to show yet: the skeleton.
    Loading,
    /// The dashboard (possibly with a quiet notice that a refresh failed).
    Ready,
    /// Nothing to show and the last attempt failed: the error state with a retry button.
    Failed,
}

/// Everything that can happen to the state.
#[derive(Clone, Debug)]
pub enum Action {
    /// A session request started.
    Requested,
    /// A valid session arrived.
    Loaded {
        /// The session.
        session: Session,
        /// The element's `page-size`.
        page_size: usize,
    },
    /// A session request failed.
    Failed(WidgetError),
    /// The source changed (`endpoint`, `demo`, `credentials`): forget the old session.
    Cleared,
    /// The `page-size` attribute changed: show that many (of what is loaded).
    Resize {
        /// The new `page-size`.
        page_size: usize,
    },
    /// "Show more": reveal up to `page_size` more of what is loaded.
    Reveal {
        /// The element's `page-size`.
        page_size: usize,
    },
    /// A cursor page request started.
    PageRequested,
    /// A cursor page arrived; reveal up to `page_size` of it.
    PageLoaded {
        /// The page.
        page: Page,
        /// The element's `page-size`.
        page_size: usize,
    },
    /// A cursor page request failed; what is shown stays.
    PageFailed(WidgetError),
}

impl State {
    /// What to show.
    pub fn view(&self) -> View {
        if self.session.is_some() {
            View::Ready
        } else if self.error.is_some() && !self.loading {
            View::Failed
        } else {
            View::Loading
        }
    }

    /// Whether a "Show more" button has anything to do.
    pub fn has_more(&self) -> bool {
        self.shown < self.items.len() || self.next.is_some()
    }

    /// Whether "Show more" must fetch a page (everything loaded is already revealed).
    pub fn needs_page(&self) -> bool {
        self.shown >= self.items.len() && self.next.is_some() && !self.loading_more
    }
}

/// Applies `action` to `state`.
pub fn reduce(state: &State, action: Action) -> State {
    let mut next = state.clone();
    match action {
        Action::Requested => next.loading = true,
        Action::Loaded { session, page_size } => {
            next.loading = false;
            next.loads = state.loads.wrapping_add(1);
            next.error = None;
            let fresh = session.referrals.items.clone();
            // When the user already loaded pages by cursor, what they loaded stays (minus what
            // the new first page holds) and paging continues from where it was; otherwise the
            // new session simply replaces the old one.
            let same_referrer = state
                .session
                .as_ref()
                .is_some_and(|old| old.referrer.link == session.referrer.link);
            let paged = same_referrer && state.items.len() > state.first_page_len;
            let extra: Vec<Referral> = if paged {
                state
                    .items
                    .iter()
                    .filter(|old| fresh.iter().all(|new| new.id != old.id))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            next.next = if paged {
                state.next.clone()
            } else {
                session.referrals.next.clone()
            };
            next.first_page_len = fresh.len();
            let mut items = fresh;
            items.extend(extra);
            let first_reveal = page_size.min(items.len());
            next.shown = state.shown.min(items.len()).max(first_reveal);
            next.items = Rc::new(items);
            next.session = Some(Rc::new(session));
        }
        Action::Failed(error) => {
            next.loading = false;
            next.error = Some(error);
        }
        Action::Cleared => next = State::default(),
        Action::Resize { page_size } => {
            next.shown = page_size.min(state.items.len());
        }
        Action::Reveal { page_size } => {
            next.shown = (state.shown + page_size).min(state.items.len());
        }
        Action::PageRequested => next.loading_more = true,
        Action::PageLoaded { page, page_size } => {
            next.loading_more = false;
            let mut items = (*state.items).clone();
            items.extend(
                page.items
                    .into_iter()
                    .filter(|new| state.items.iter().all(|old| old.id != new.id)),
            );
            next.shown = (state.shown + page_size).min(items.len());
            next.items = Rc::new(items);
            next.next = page.next;
        }
        Action::PageFailed(error) => {
            next.loading_more = false;
            next.error = Some(error);
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::ErrorKind;
    use crate::session::{Referrer, Share, Stats, Status};

    fn referral(id: &str) -> Referral {
        Referral {
            id: id.into(),
            name: "Jo D.".into(),
            status: Status::Pending,
            joined_at: None,
            qualified_at: None,
        }
    }

    fn session(ids: &[&str], next: Option<&str>) -> Session {
        Session {
            expires_at: 0.0,
            referrer: Referrer {
                name: None,
                link: "https://x.example/r/A".into(),
                code: None,
            },
            stats: Stats::default(),
            referrals: Page {
                items: ids.iter().map(|id| referral(id)).collect(),
                next: next.map(Into::into),
            },
            share: Share::default(),
        }
    }

    fn loaded(ids: &[&str], next: Option<&str>) -> State {
        let state = reduce(&State::default(), Action::Requested);
        reduce(
            &state,
            Action::Loaded {
                session: session(ids, next),
                page_size: 2,
            },
        )
    }

    fn ids(state: &State) -> Vec<&str> {
        state.items.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn skeleton_then_dashboard() {
        let state = reduce(&State::default(), Action::Requested);
        assert_eq!(state.view(), View::Loading);
        let state = loaded(&["a", "b", "c"], None);
        assert_eq!(state.view(), View::Ready);
        assert_eq!(state.shown, 2);
        assert!(state.has_more());
    }

    #[test]
    fn failure_without_data_is_the_error_state() {
        let state = reduce(&State::default(), Action::Requested);
        let state = reduce(
            &state,
            Action::Failed(WidgetError::new(ErrorKind::Network, "x")),
        );
        assert_eq!(state.view(), View::Failed);
        // Retrying shows the skeleton again, not a stale error.
        assert_eq!(reduce(&state, Action::Requested).view(), View::Loading);
    }

    #[test]
    fn failed_refresh_keeps_the_last_good_data() {
        let state = reduce(&loaded(&["a"], None), Action::Requested);
        let state = reduce(
            &state,
            Action::Failed(WidgetError::new(ErrorKind::Server, "x")),
        );
        assert_eq!(state.view(), View::Ready);
        assert_eq!(ids(&state), ["a"]);
        assert!(state.error.is_some());
    }

    #[test]
    fn reveal_then_fetch_pages_until_next_is_null() {
        let state = loaded(&["a", "b", "c"], Some("p2"));
        assert!(!state.needs_page());
        let state = reduce(&state, Action::Reveal { page_size: 2 });
        assert_eq!(state.shown, 3);
        assert!(state.needs_page());
        let state = reduce(&state, Action::PageRequested);
        assert!(!state.needs_page(), "one page request at a time");
        let state = reduce(
            &state,
            Action::PageLoaded {
                page: Page {
                    items: vec![referral("d"), referral("e"), referral("f")],
                    next: None,
                },
                page_size: 2,
            },
        );
        assert_eq!(state.shown, 5);
        assert_eq!(ids(&state), ["a", "b", "c", "d", "e", "f"]);
        let state = reduce(&state, Action::Reveal { page_size: 2 });
        assert_eq!(state.shown, 6);
        assert!(!state.has_more());
    }

    #[test]
    fn refresh_keeps_pages_loaded_by_cursor() {
        let state = loaded(&["b", "a"], Some("p2"));
        let state = reduce(
            &state,
            Action::PageLoaded {
                page: Page {
                    items: vec![referral("z")],
                    next: Some("p3".into()),
                },
                page_size: 2,
            },
        );
        // A new referral "c" arrived; the refreshed first page pushes "a" out of it, yet "a"
        // stays listed because the user had paged past it.
        let state = reduce(
            &state,
            Action::Loaded {
                session: session(&["c", "b"], Some("q2")),
                page_size: 2,
            },
        );
        assert_eq!(state.loads, 2);
        assert_eq!(ids(&state), ["c", "b", "a", "z"]);
        assert_eq!(state.next.as_deref(), Some("p3"));
        assert_eq!(state.shown, 3);
    }

    #[test]
    fn another_referrers_session_replaces_the_list() {
        let state = loaded(&["b", "a"], Some("p2"));
        let state = reduce(
            &state,
            Action::PageLoaded {
                page: Page {
                    items: vec![referral("z")],
                    next: None,
                },
                page_size: 2,
            },
        );
        let mut other = session(&["q"], None);
        other.referrer.link = "https://x.example/r/OTHER".into();
        let state = reduce(
            &state,
            Action::Loaded {
                session: other,
                page_size: 2,
            },
        );
        assert_eq!(ids(&state), ["q"]);
        assert_eq!(state.next, None);
    }

    #[test]
    fn a_new_page_size_applies_at_once() {
        let state = loaded(&["a", "b", "c", "d"], None);
        assert_eq!(state.shown, 2);
        assert_eq!(reduce(&state, Action::Resize { page_size: 3 }).shown, 3);
        assert_eq!(reduce(&state, Action::Resize { page_size: 1 }).shown, 1);
        assert_eq!(reduce(&state, Action::Resize { page_size: 9 }).shown, 4);
    }

    #[test]
    fn clearing_forgets_everything() {
        let state = reduce(&loaded(&["a"], None), Action::Cleared);
        assert_eq!(state, State::default());
    }
}
