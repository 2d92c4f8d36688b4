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
    /// How many referrals a "Show more" step (or the first `page-size`) wants shown once the
    /// rows it needs are loaded; `None` when no step is waiting for a page. The revealed count
    /// moves only when the whole step can be shown, so every step is exactly `page-size` rows
    /// (the last one excepted), however the endpoint's pages fall.
    pub wanted: Option<usize>,
    /// A session request is in flight.
    pub loading: bool,
    /// A cursor page request is in flight.
    pub loading_more: bool,
    /// The most recent failure, cleared by the next success.
    pub error: Option<WidgetError>,
    /// Counts sessions loaded, never reset (not by [`Action::Cleared`] either): the app fires
    /// `rd-load` once for each new value, when it is on screen.
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
    /// The `page-size` attribute changed: show that many (fetching pages when more are needed).
    Resize {
        /// The new `page-size`.
        page_size: usize,
    },
    /// "Show more": reveal `page_size` more, at once when they are loaded, else once the pages
    /// holding them have arrived (see [`State::needs_page`]).
    Reveal {
        /// The element's `page-size`.
        page_size: usize,
    },
    /// A cursor page request started.
    PageRequested,
    /// A cursor page arrived; the waiting step is revealed once it has all its rows.
    PageLoaded(Page),
    /// A cursor page request failed; what is shown stays and the waiting step is dropped.
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

    /// Whether a page must be fetched now: a step wants rows that are not loaded yet, there is
    /// a next page, and no page request is in flight.
    pub fn needs_page(&self) -> bool {
        self.wanted.is_some_and(|wanted| wanted > self.items.len())
            && self.next.is_some()
            && !self.loading_more
    }

    /// Asks for `target` rows: revealed now when they are loaded (or nothing more exists),
    /// else left waiting in `wanted` for the pages that hold them.
    fn want(&mut self, target: usize) {
        self.wanted = Some(target);
        self.settle();
    }

    /// Reveals the waiting step once everything it needs is loaded, or nothing more can be.
    fn settle(&mut self) {
        if let Some(wanted) = self.wanted
            && (wanted <= self.items.len() || self.next.is_none())
        {
            self.shown = wanted.min(self.items.len());
            self.wanted = None;
        }
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
            // A `page-size` larger than the first page fetches the pages it needs.
            let wanted = state.wanted.unwrap_or(0).max(page_size);
            if wanted > next.shown {
                next.want(wanted);
            }
        }
        Action::Failed(error) => {
            next.loading = false;
            next.error = Some(error);
        }
        // Everything but the count of loads, which only grows (the app announces each new one).
        Action::Cleared => {
            next = State {
                loads: state.loads,
                ..State::default()
            }
        }
        Action::Resize { page_size } => {
            next.shown = page_size.min(state.items.len());
            next.want(page_size);
        }
        Action::Reveal { page_size } => next.want(state.shown + page_size),
        Action::PageRequested => next.loading_more = true,
        Action::PageLoaded(page) => {
            next.loading_more = false;
            let mut items = (*state.items).clone();
            let before = items.len();
            items.extend(
                page.items
                    .into_iter()
                    .filter(|new| state.items.iter().all(|old| old.id != new.id)),
            );
            let grew = items.len() > before;
            next.items = Rc::new(items);
            next.next = page.next;
            next.settle();
            // A page that brought nothing new ends the step with what is loaded, rather than
            // asking again and again (the button stays while there is a cursor).
            if !grew && let Some(wanted) = next.wanted.take() {
                next.shown = wanted.min(next.items.len());
            }
        }
        Action::PageFailed(error) => {
            next.loading_more = false;
            next.wanted = None;
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
            rewards: None,
            program: None,
            dropped: None,
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

    fn page(ids: &[&str], next: Option<&str>) -> Action {
        Action::PageLoaded(Page {
            items: ids.iter().map(|id| referral(id)).collect(),
            next: next.map(Into::into),
        })
    }

    #[test]
    fn a_step_beyond_what_is_loaded_waits_for_the_page_then_shows_all_of_it() {
        let state = loaded(&["a", "b", "c"], Some("p2"));
        assert!(!state.needs_page());
        let state = reduce(&state, Action::Reveal { page_size: 2 });
        assert_eq!(state.shown, 2, "no half step with what is loaded");
        assert!(state.needs_page());
        let state = reduce(&state, Action::PageRequested);
        assert!(!state.needs_page(), "one page request at a time");
        let state = reduce(&state, page(&["d", "e", "f"], None));
        assert_eq!(state.shown, 4);
        assert_eq!(ids(&state), ["a", "b", "c", "d", "e", "f"]);
        let state = reduce(&state, Action::Reveal { page_size: 2 });
        assert_eq!(state.shown, 6);
        assert!(!state.has_more());
    }

    /// Drives the reducer as the controller does against an endpoint holding `total` referrals
    /// in pages of `endpoint_page`, pressing "Show more" until nothing is left. Returns the
    /// revealed count after the first load and after each press, and for each page request the
    /// press that caused it (0: the first load).
    fn show_all(total: usize, endpoint_page: usize, page_size: usize) -> (Vec<usize>, Vec<usize>) {
        let names: Vec<String> = (0..total).map(|i| format!("r{i}")).collect();
        let slice = |from: usize| {
            let to = (from + endpoint_page).min(total);
            let ids: Vec<&str> = names[from..to].iter().map(String::as_str).collect();
            let next = (to < total).then(|| to.to_string());
            (ids, next)
        };
        let mut requests = Vec::new();
        let (ids, next) = slice(0);
        let mut state = reduce(
            &reduce(&State::default(), Action::Requested),
            Action::Loaded {
                session: session(&ids, next.as_deref()),
                page_size,
            },
        );
        let mut press = 0;
        let mut fetch = |state: &mut State, press: usize| {
            while state.needs_page() {
                requests.push(press);
                let from: usize = state.next.as_deref().unwrap().parse().unwrap();
                let (ids, next) = slice(from);
                *state = reduce(
                    &reduce(state, Action::PageRequested),
                    page(&ids, next.as_deref()),
                );
            }
        };
        fetch(&mut state, press);
        let mut shown = vec![state.shown];
        while state.has_more() {
            press += 1;
            assert!(press <= total, "Show more never reaches the end");
            state = reduce(&state, Action::Reveal { page_size });
            fetch(&mut state, press);
            shown.push(state.shown);
        }
        assert_eq!(state.items.len(), total);
        (shown, requests)
    }

    /// `page_size`, twice `page_size`, … up to `total`.
    fn even_steps(total: usize, page_size: usize) -> Vec<usize> {
        (1..=total.div_ceil(page_size))
            .map(|k| (k * page_size).min(total))
            .collect()
    }

    #[test]
    fn show_more_steps_evenly_over_pages_of_25() {
        for total in [37, 60] {
            for page_size in [1, 3, 10, 25] {
                let (shown, requests) = show_all(total, 25, page_size);
                assert_eq!(
                    shown,
                    even_steps(total, page_size),
                    "{total} referrals, page-size {page_size}"
                );
                // A page is fetched exactly at the press whose step needs rows beyond it.
                let expected: Vec<usize> = (1..total.div_ceil(25))
                    .map(|p| (p * 25) / page_size)
                    .collect();
                assert_eq!(
                    requests, expected,
                    "{total} referrals, page-size {page_size}: presses that fetched"
                );
            }
        }
        // 37 referrals in pages of 25, page-size 10: 10 → 20 → 30 → 37, the second press
        // sends nothing.
        assert_eq!(show_all(37, 25, 10), (vec![10, 20, 30, 37], vec![2]));
    }

    #[test]
    fn a_step_larger_than_the_endpoint_pages_fetches_as_many_as_it_needs() {
        assert_eq!(
            show_all(37, 4, 10),
            (vec![10, 20, 30, 37], vec![0, 0, 1, 1, 2, 2, 2, 3, 3])
        );
        // The first load too: page-size 30 against pages of 25 shows 30 at once.
        assert_eq!(show_all(60, 25, 30), (vec![30, 60], vec![0, 1]));
    }

    #[test]
    fn a_page_with_nothing_new_ends_the_step_without_asking_again() {
        let state = reduce(
            &loaded(&["a", "b"], Some("p2")),
            Action::Reveal { page_size: 2 },
        );
        let state = reduce(
            &reduce(&state, Action::PageRequested),
            page(&["b"], Some("p2")),
        );
        assert_eq!(state.shown, 2);
        assert!(
            !state.needs_page(),
            "no request loop on a page that repeats itself"
        );
        assert!(state.has_more(), "the button stays for another try");
    }

    #[test]
    fn a_failed_page_drops_the_step_and_the_next_press_asks_again() {
        let state = reduce(
            &loaded(&["a", "b", "c"], Some("p2")),
            Action::Reveal { page_size: 2 },
        );
        let state = reduce(&state, Action::PageRequested);
        let state = reduce(
            &state,
            Action::PageFailed(WidgetError::new(ErrorKind::Network, "x")),
        );
        assert_eq!(state.shown, 2);
        assert!(!state.needs_page());
        let state = reduce(&state, Action::Reveal { page_size: 2 });
        assert_eq!(state.shown, 2);
        assert!(state.needs_page());
    }

    #[test]
    fn refresh_keeps_pages_loaded_by_cursor() {
        let state = loaded(&["b", "a"], Some("p2"));
        let state = reduce(&state, Action::Reveal { page_size: 1 });
        let state = reduce(&state, page(&["z"], Some("p3")));
        assert_eq!(state.shown, 3);
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
        let state = reduce(&state, page(&["z"], None));
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
    fn clearing_forgets_everything_but_the_count_of_loads() {
        let before = loaded(&["a"], None);
        let state = reduce(&before, Action::Cleared);
        assert_eq!(
            state,
            State {
                loads: before.loads,
                ..State::default()
            }
        );
        assert!(before.loads > 0);
    }
}
