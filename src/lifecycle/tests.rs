//! Each rule of SPEC §4's session lifecycle, driven through inputs with time passed in.

use super::*;
use crate::session::{Referral, Referrer, Share, Status};

const MINUTE: f64 = 60_000.0;
/// An arbitrary "now" (2027-01-15T08:00:00Z).
const T0: f64 = 1_800_000_000_000.0;

fn at(now: f64) -> Clock {
    Clock { now, random: 0.5 }
}

fn referral(id: usize) -> Referral {
    Referral {
        id: format!("r{id}"),
        name: "Jo D.".into(),
        status: Status::Pending,
        joined_at: None,
        qualified_at: None,
    }
}

fn page(ids: std::ops::Range<usize>, next: Option<&str>) -> Page {
    Page {
        items: ids.map(referral).collect(),
        next: next.map(Into::into),
    }
}

fn session(expires_at: f64, first: Page) -> Session {
    Session {
        expires_at,
        referrer: Referrer {
            name: None,
            link: "https://x.example/r/A".into(),
            code: None,
        },
        stats: Stats {
            reach: 10.0,
            referrals: 3.0,
            qualified: 1.0,
        },
        referrals: first,
        share: Share::default(),
        rewards: None,
        program: None,
        dropped: None,
    }
}

fn good(expires_at: f64) -> Result<Answer<&'static str>, WidgetError> {
    Ok(Answer::Session(
        session(expires_at, page(0..3, None)),
        "as received",
    ))
}

fn failure(
    kind: ErrorKind,
    retry_after_ms: Option<f64>,
) -> Result<Answer<&'static str>, WidgetError> {
    Err(WidgetError {
        kind,
        message: "x".into(),
        status: None,
        retry_after_ms,
    })
}

/// A lifecycle configured by `attributes`, not yet connected.
fn element(attributes: &[(&str, &str)]) -> Lifecycle<&'static str> {
    let mut config = Config::default();
    for (name, value) in attributes {
        config.set(name, Some(value));
    }
    Lifecycle::new(config)
}

fn endpoint() -> Lifecycle<&'static str> {
    element(&[("endpoint", "/session")])
}

/// The requests among `commands`.
fn fetches(commands: &[Command]) -> Vec<Fetch> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Fetch(fetch) => Some(fetch.clone()),
            _ => None,
        })
        .collect()
}

/// The one request among `commands`.
fn fetch(commands: &[Command]) -> Fetch {
    let all = fetches(commands);
    assert_eq!(all.len(), 1, "one request in {commands:?}");
    all[0].clone()
}

fn timers(commands: &[Command]) -> Vec<f64> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::SetTimer(delay) => Some(*delay),
            _ => None,
        })
        .collect()
}

fn errors(commands: &[Command]) -> Vec<ErrorKind> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Dispatch(Event::Error(e)) => Some(e.kind),
            _ => None,
        })
        .collect()
}

fn answer(
    lifecycle: &mut Lifecycle<&'static str>,
    fetch: &Fetch,
    answer: Result<Answer<&'static str>, WidgetError>,
    now: f64,
) -> Vec<Command> {
    lifecycle.handle(
        Input::Answer {
            ticket: fetch.ticket,
            answer,
        },
        at(now),
    )
}

/// Connected and loaded with a session expiring at `expires_at`; returns the commands of the
/// answer.
fn loaded(lifecycle: &mut Lifecycle<&'static str>, expires_at: f64) -> Vec<Command> {
    let first = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    answer(lifecycle, &first, good(expires_at), T0)
}

#[test]
fn connecting_fetches_the_session_once() {
    let mut lifecycle = endpoint();
    let commands = lifecycle.handle(Input::Connected { visible: true }, at(T0));
    let request = fetch(&commands);
    assert_eq!(request.kind, Kind::Session);
    assert_eq!(request.endpoint, "/session");
    assert_eq!(request.cursor, None);
    assert!(lifecycle.state().loading);
    assert!(commands.contains(&Command::Render), "the skeleton shows");
}

#[test]
fn a_second_trigger_joins_the_request_in_flight() {
    let mut lifecycle = endpoint();
    let first = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    // refresh() twice and the retry button while the first request is out: no second request.
    for input in [Input::Refresh, Input::Refresh, Input::Retry] {
        assert!(fetches(&lifecycle.handle(input, at(T0))).is_empty());
    }
    // Every waiting refresh() settles with the one answer.
    let commands = answer(&mut lifecycle, &first, good(T0 + MINUTE), T0);
    assert_eq!(
        commands.iter().filter(|c| **c == Command::Settle).count(),
        1
    );
    assert_eq!(lifecycle.received(), Some(&"as received"));
}

#[test]
fn a_session_load_asked_for_during_a_page_request_runs_right_after_it() {
    let mut lifecycle = element(&[("endpoint", "/session"), ("page-size", "3")]);
    let first = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    let with_more = Ok(Answer::Session(
        session(T0 + MINUTE, page(0..3, Some("c1"))),
        "as received",
    ));
    answer(&mut lifecycle, &first, with_more, T0);
    let page_request = fetch(&lifecycle.handle(Input::ShowMore, at(T0)));
    assert_eq!(page_request.kind, Kind::Page);
    assert!(fetches(&lifecycle.handle(Input::Refresh, at(T0))).is_empty());
    let next = fetch(&answer(
        &mut lifecycle,
        &page_request,
        Ok(Answer::Page(page(3..6, None))),
        T0,
    ));
    assert_eq!(next.kind, Kind::Session, "the refresh follows the page");
    assert_eq!(lifecycle.state().shown, 6);
}

#[test]
fn a_loaded_session_is_refreshed_before_it_expires() {
    let mut lifecycle = endpoint();
    let commands = loaded(&mut lifecycle, T0 + MINUTE);
    // A tenth of a 60 s life early: at 54 s.
    assert_eq!(timers(&commands), [54_000.0]);
    assert_eq!(lifecycle.timer(), Some(T0 + 54_000.0));
    let refresh = fetch(&lifecycle.handle(Input::TimerFired, at(T0 + 54_000.0)));
    assert_eq!(refresh.kind, Kind::Session);
}

#[test]
fn a_refresh_due_while_hidden_waits_until_the_page_is_visible() {
    let mut lifecycle = endpoint();
    loaded(&mut lifecycle, T0 + MINUTE);
    lifecycle.handle(Input::Visibility { visible: false }, at(T0 + 1_000.0));
    assert!(fetches(&lifecycle.handle(Input::TimerFired, at(T0 + 54_000.0))).is_empty());
    // Hidden and shown again before expiry: the load that fell due runs now.
    let commands = lifecycle.handle(Input::Visibility { visible: true }, at(T0 + 55_000.0));
    assert_eq!(fetch(&commands).kind, Kind::Session);
}

#[test]
fn returning_to_a_page_whose_session_expired_fetches_at_once() {
    let mut lifecycle = endpoint();
    loaded(&mut lifecycle, T0 + MINUTE);
    lifecycle.handle(Input::Visibility { visible: false }, at(T0 + 1_000.0));
    let shown_before_expiry =
        lifecycle.handle(Input::Visibility { visible: true }, at(T0 + 2_000.0));
    assert!(
        fetches(&shown_before_expiry).is_empty(),
        "nothing due, nothing expired"
    );
    lifecycle.handle(Input::Visibility { visible: false }, at(T0 + 3_000.0));
    let commands = lifecycle.handle(Input::Visibility { visible: true }, at(T0 + 2.0 * MINUTE));
    assert_eq!(fetch(&commands).kind, Kind::Session);
}

#[test]
fn transient_failures_retry_with_backoff_honouring_retry_after() {
    let mut lifecycle = endpoint();
    let mut request = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    // 2 s, 4 s, 8 s (jitter 0.5 is the middle of the spread)...
    for expected in [2_000.0, 4_000.0, 8_000.0] {
        let commands = answer(
            &mut lifecycle,
            &request,
            failure(ErrorKind::Server, None),
            T0,
        );
        assert_eq!(errors(&commands), [ErrorKind::Server]);
        assert_eq!(timers(&commands), [expected]);
        request = fetch(&lifecycle.handle(Input::TimerFired, at(T0)));
    }
    // ...but never sooner than the endpoint's Retry-After.
    let commands = answer(
        &mut lifecycle,
        &request,
        failure(ErrorKind::RateLimit, Some(30_000.0)),
        T0,
    );
    assert_eq!(timers(&commands), [30_000.0]);
    // A success resets the backoff.
    let request = fetch(&lifecycle.handle(Input::TimerFired, at(T0)));
    answer(&mut lifecycle, &request, good(T0 + MINUTE), T0);
    let request = fetch(&lifecycle.handle(Input::TimerFired, at(T0 + MINUTE)));
    let commands = answer(
        &mut lifecycle,
        &request,
        failure(ErrorKind::Network, None),
        T0,
    );
    assert_eq!(timers(&commands), [2_000.0]);
}

#[test]
fn failures_that_will_not_fix_themselves_do_not_retry() {
    for kind in [
        ErrorKind::Authentication,
        ErrorKind::Configuration,
        ErrorKind::InvalidResponse,
    ] {
        let mut lifecycle = endpoint();
        let request = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
        let commands = answer(&mut lifecycle, &request, failure(kind, None), T0);
        assert_eq!(errors(&commands), [kind]);
        assert!(timers(&commands).is_empty(), "{kind:?} does not retry");
        assert_eq!(lifecycle.state().view(), crate::state::View::Failed);
    }
}

/// Connected with a token source (`token-url`), its first request refused as `authentication`;
/// returns the commands of that answer.
fn refused(lifecycle: &mut Lifecycle<&'static str>) -> Vec<Command> {
    let request = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    answer(
        lifecycle,
        &request,
        failure(ErrorKind::Authentication, None),
        T0,
    )
}

fn with_token_url() -> Lifecycle<&'static str> {
    element(&[("endpoint", "/session"), ("token-url", "/token")])
}

#[test]
fn requests_carry_the_token_url() {
    let mut lifecycle = with_token_url();
    let request = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    assert_eq!(request.token_url.as_deref(), Some("/token"));
    assert_eq!(
        fetch(&endpoint().handle(Input::Connected { visible: true }, at(T0))).token_url,
        None
    );
}

#[test]
fn an_authentication_error_with_a_token_source_asks_again_a_minute_later_then_less_often() {
    let mut lifecycle = with_token_url();
    let commands = refused(&mut lifecycle);
    assert_eq!(errors(&commands), [ErrorKind::Authentication]);
    // 1 minute, 2, 4, 8, then every 15 (jitter 0.5 adds an eighth, up to the cap).
    let mut now = T0;
    let mut commands = commands;
    for expected in [
        67_500.0, 135_000.0, 270_000.0, 540_000.0, 900_000.0, 900_000.0,
    ] {
        assert_eq!(timers(&commands), [expected]);
        now += expected;
        let request = fetch(&lifecycle.handle(Input::TimerFired, at(now)));
        commands = answer(
            &mut lifecycle,
            &request,
            failure(ErrorKind::Authentication, None),
            now,
        );
    }
    // The backend accepts the token again: the dashboard is back, the backoff forgotten.
    let request = fetch(&lifecycle.handle(Input::TimerFired, at(now + 900_000.0)));
    answer(&mut lifecycle, &request, good(now + 2.0 * MINUTE), now);
    assert_eq!(lifecycle.state().view(), crate::state::View::Ready);
    let refresh = fetch(&lifecycle.handle(Input::TimerFired, at(now + MINUTE)));
    let commands = answer(
        &mut lifecycle,
        &refresh,
        failure(ErrorKind::Authentication, None),
        now + MINUTE,
    );
    assert_eq!(
        timers(&commands),
        [67_500.0],
        "a new series starts at a minute"
    );
}

#[test]
fn a_get_auth_token_property_is_a_token_source_too() {
    let mut lifecycle = endpoint();
    lifecycle.set_auth_property(true);
    assert_eq!(timers(&refused(&mut lifecycle)), [67_500.0]);
    // Unset again: the next refusal waits for the user.
    lifecycle.set_auth_property(false);
    let request = fetch(&lifecycle.handle(Input::Refresh, at(T0 + 1.0)));
    let commands = answer(
        &mut lifecycle,
        &request,
        failure(ErrorKind::Authentication, None),
        T0 + 1.0,
    );
    assert!(timers(&commands).is_empty());
}

#[test]
fn an_authentication_error_without_a_token_source_waits_for_the_user() {
    let mut lifecycle = endpoint();
    let commands = refused(&mut lifecycle);
    assert!(
        timers(&commands).is_empty(),
        "no timer: a cookie will not renew itself"
    );
    lifecycle.handle(Input::Visibility { visible: false }, at(T0 + 1_000.0));
    let shown = lifecycle.handle(Input::Visibility { visible: true }, at(T0 + MINUTE));
    assert!(fetches(&shown).is_empty(), "nor on return");
}

#[test]
fn returning_to_the_page_after_an_authentication_error_asks_again_but_not_twice_in_a_few_seconds() {
    let mut lifecycle = with_token_url();
    refused(&mut lifecycle);
    lifecycle.handle(Input::Visibility { visible: false }, at(T0 + 1_000.0));
    let soon = lifecycle.handle(Input::Visibility { visible: true }, at(T0 + 4_999.0));
    assert!(fetches(&soon).is_empty(), "within 5 s of the last request");
    lifecycle.handle(Input::Visibility { visible: false }, at(T0 + 5_500.0));
    let request = fetch(&lifecycle.handle(Input::Visibility { visible: true }, at(T0 + 6_000.0)));
    assert_eq!(request.kind, Kind::Session);
    let commands = answer(
        &mut lifecycle,
        &request,
        failure(ErrorKind::Authentication, None),
        T0 + 6_000.0,
    );
    assert_eq!(
        timers(&commands),
        [135_000.0],
        "the backoff goes on growing"
    );
    lifecycle.handle(Input::Visibility { visible: false }, at(T0 + 7_000.0));
    let again = lifecycle.handle(Input::Visibility { visible: true }, at(T0 + 8_000.0));
    assert!(
        fetches(&again).is_empty(),
        "not in a loop: 5 s since the last request"
    );
}

#[test]
fn a_retry_due_while_hidden_waits_until_the_page_is_shown() {
    let mut lifecycle = with_token_url();
    refused(&mut lifecycle);
    lifecycle.handle(Input::Visibility { visible: false }, at(T0 + 1_000.0));
    assert!(fetches(&lifecycle.handle(Input::TimerFired, at(T0 + 67_500.0))).is_empty());
    let shown = lifecycle.handle(Input::Visibility { visible: true }, at(T0 + 10.0 * MINUTE));
    assert_eq!(fetch(&shown).kind, Kind::Session);
}

#[test]
fn refresh_always_asks_after_an_authentication_error() {
    for mut lifecycle in [endpoint(), with_token_url()] {
        refused(&mut lifecycle);
        let commands = lifecycle.handle(Input::Refresh, at(T0 + 1.0));
        assert_eq!(fetch(&commands).kind, Kind::Session);
        assert!(
            lifecycle.timer().is_none(),
            "the pending retry gave way to the request"
        );
    }
}

#[test]
fn a_failed_refresh_keeps_the_last_good_data() {
    let mut lifecycle = endpoint();
    loaded(&mut lifecycle, T0 + MINUTE);
    let refresh = fetch(&lifecycle.handle(Input::TimerFired, at(T0 + 54_000.0)));
    answer(
        &mut lifecycle,
        &refresh,
        failure(ErrorKind::Server, None),
        T0 + 54_000.0,
    );
    let state = lifecycle.state();
    assert_eq!(state.view(), crate::state::View::Ready);
    assert!(state.error.is_some(), "the quiet notice");
    assert_eq!(lifecycle.received(), Some(&"as received"));
}

#[test]
fn answers_for_an_old_endpoint_are_dropped() {
    let mut lifecycle = endpoint();
    let old = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    let commands = lifecycle.handle(
        Input::Attribute {
            name: "endpoint".into(),
            value: Some("/other".into()),
        },
        at(T0),
    );
    assert!(commands.contains(&Command::Cancel));
    let new = fetch(&commands);
    assert_eq!(new.endpoint, "/other");
    assert_ne!(new.ticket, old.ticket);
    // The old endpoint answers late: nothing happens.
    assert!(answer(&mut lifecycle, &old, good(T0 + MINUTE), T0).is_empty());
    assert!(lifecycle.state().session.is_none());
    assert!(
        lifecycle.state().loading,
        "still waiting for the new endpoint"
    );
    answer(&mut lifecycle, &new, good(T0 + MINUTE), T0);
    assert!(lifecycle.state().session.is_some());
}

#[test]
fn a_new_source_forgets_the_old_session() {
    let mut lifecycle = endpoint();
    loaded(&mut lifecycle, T0 + MINUTE);
    let commands = lifecycle.handle(
        Input::Attribute {
            name: "credentials".into(),
            value: Some("omit".into()),
        },
        at(T0),
    );
    assert!(commands.contains(&Command::ClearTimer));
    assert_eq!(fetch(&commands).credentials, Credentials::Omit);
    assert!(lifecycle.state().session.is_none());
    assert_eq!(lifecycle.received(), None);
}

#[test]
fn removal_cancels_everything_and_late_answers_are_dropped() {
    let mut lifecycle = endpoint();
    let request = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    lifecycle.handle(Input::Refresh, at(T0));
    let commands = lifecycle.handle(Input::Disconnected, at(T0));
    assert!(commands.contains(&Command::Cancel));
    assert!(
        commands.contains(&Command::Settle),
        "a waiting refresh() settles"
    );
    assert!(answer(&mut lifecycle, &request, good(T0 + MINUTE), T0).is_empty());
    // Inserted again: it starts over.
    let again = lifecycle.handle(Input::Connected { visible: true }, at(T0));
    assert_eq!(fetch(&again).kind, Kind::Session);
}

#[test]
fn reinserted_with_data_it_keeps_it_fresh_without_fetching() {
    let mut lifecycle = endpoint();
    loaded(&mut lifecycle, T0 + MINUTE);
    let removed = lifecycle.handle(Input::Disconnected, at(T0 + 1_000.0));
    assert!(removed.contains(&Command::ClearTimer));
    let back = lifecycle.handle(Input::Connected { visible: true }, at(T0 + 10_000.0));
    assert!(fetches(&back).is_empty(), "the data is still good");
    assert_eq!(
        timers(&back),
        [45_000.0],
        "refreshed before expiry from where it is"
    );
    lifecycle.handle(Input::Disconnected, at(T0 + 20_000.0));
    let expired = lifecycle.handle(Input::Connected { visible: true }, at(T0 + 2.0 * MINUTE));
    assert_eq!(fetch(&expired).kind, Kind::Session);
}

#[test]
fn show_more_fetches_pages_until_the_step_has_its_rows() {
    let mut lifecycle = element(&[("endpoint", "/session"), ("page-size", "5")]);
    let first = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    let small_pages = Ok(Answer::Session(
        session(T0 + MINUTE, page(0..7, Some("c1"))),
        "as received",
    ));
    let commands = answer(&mut lifecycle, &first, small_pages, T0);
    assert!(fetches(&commands).is_empty(), "the first step is held");
    assert_eq!(lifecycle.state().shown, 5);
    // The step to 10 needs rows 7..10: the next page, then (pages of 2) another.
    let p1 = fetch(&lifecycle.handle(Input::ShowMore, at(T0)));
    assert_eq!((p1.kind, p1.cursor.as_deref()), (Kind::Page, Some("c1")));
    assert_eq!(lifecycle.state().shown, 5, "no half step");
    let p2 = fetch(&answer(
        &mut lifecycle,
        &p1,
        Ok(Answer::Page(page(7..9, Some("c2")))),
        T0,
    ));
    assert_eq!(p2.cursor.as_deref(), Some("c2"));
    let done = answer(
        &mut lifecycle,
        &p2,
        Ok(Answer::Page(page(9..11, Some("c3")))),
        T0,
    );
    assert!(fetches(&done).is_empty(), "the step has its rows");
    assert_eq!(lifecycle.state().shown, 10);
}

#[test]
fn a_failed_page_is_reported_and_what_is_shown_stays() {
    let mut lifecycle = element(&[("endpoint", "/session"), ("page-size", "3")]);
    let first = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    let more = Ok(Answer::Session(
        session(T0 + MINUTE, page(0..3, Some("c1"))),
        "as received",
    ));
    answer(&mut lifecycle, &first, more, T0);
    let p1 = fetch(&lifecycle.handle(Input::ShowMore, at(T0)));
    let commands = answer(
        &mut lifecycle,
        &p1,
        failure(ErrorKind::InvalidResponse, None),
        T0,
    );
    assert_eq!(errors(&commands), [ErrorKind::InvalidResponse]);
    assert!(
        timers(&commands).is_empty(),
        "pages are not retried by themselves"
    );
    assert_eq!(lifecycle.state().shown, 3);
    assert_eq!(
        fetch(&lifecycle.handle(Input::ShowMore, at(T0))).kind,
        Kind::Page
    );
}

#[test]
fn a_larger_page_size_fetches_the_pages_it_needs() {
    let mut lifecycle = element(&[("endpoint", "/session"), ("page-size", "3")]);
    let first = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    let more = Ok(Answer::Session(
        session(T0 + MINUTE, page(0..4, Some("c1"))),
        "as received",
    ));
    answer(&mut lifecycle, &first, more, T0);
    let commands = lifecycle.handle(
        Input::Attribute {
            name: "page-size".into(),
            value: Some("6".into()),
        },
        at(T0),
    );
    assert_eq!(fetch(&commands).cursor.as_deref(), Some("c1"));
}

#[test]
fn demo_renders_sample_data_without_a_request() {
    let mut lifecycle = element(&[("demo", "")]);
    let commands = lifecycle.handle(Input::Connected { visible: true }, at(T0));
    assert!(fetches(&commands).is_empty());
    assert!(lifecycle.state().session.is_some());
    // Its pages are computed too.
    assert!(fetches(&lifecycle.handle(Input::ShowMore, at(T0))).is_empty());
    assert_eq!(lifecycle.state().shown, 10);
}

#[test]
fn a_missing_endpoint_is_a_configuration_error_and_no_request() {
    let mut lifecycle = element(&[]);
    let commands = lifecycle.handle(Input::Connected { visible: true }, at(T0));
    assert!(fetches(&commands).is_empty());
    assert_eq!(errors(&commands), [ErrorKind::Configuration]);
    assert_eq!(lifecycle.state().view(), crate::state::View::Failed);
    let commands = lifecycle.handle(Input::Refresh, at(T0));
    assert_eq!(errors(&commands), [ErrorKind::Configuration]);
    assert!(
        commands.contains(&Command::Settle),
        "refresh() settles at once"
    );
}

#[test]
fn rd_load_fires_once_the_session_is_rendered() {
    let mut lifecycle = endpoint();
    let commands = loaded(&mut lifecycle, T0 + MINUTE);
    assert!(
        !commands
            .iter()
            .any(|c| matches!(c, Command::Dispatch(Event::Load(_)))),
        "not before it is on screen"
    );
    let commands = lifecycle.handle(Input::Rendered, at(T0));
    assert_eq!(
        commands,
        [Command::Dispatch(Event::Load(Stats {
            reach: 10.0,
            referrals: 3.0,
            qualified: 1.0
        }))]
    );
}

#[test]
fn display_attributes_render_without_a_request() {
    let mut lifecycle = endpoint();
    loaded(&mut lifecycle, T0 + MINUTE);
    let commands = lifecycle.handle(
        Input::Attribute {
            name: "locale".into(),
            value: Some("de".into()),
        },
        at(T0),
    );
    assert_eq!(commands, [Command::UpdateTexts, Command::Render]);
    let theme = lifecycle.handle(
        Input::Attribute {
            name: "theme".into(),
            value: Some("dark".into()),
        },
        at(T0),
    );
    assert!(theme.is_empty(), "CSS reads theme itself");
}

#[test]
fn a_dropped_rewards_member_is_reported_and_the_session_still_loads() {
    let mut lifecycle = endpoint();
    let first = fetch(&lifecycle.handle(Input::Connected { visible: true }, at(T0)));
    let mut with_bad_rewards = session(T0 + MINUTE, page(0..3, None));
    with_bad_rewards.dropped = Some(Box::new(crate::session::Invalid {
        field: "rewards.items.0.status".into(),
        problem: "must be …",
    }));
    let commands = answer(
        &mut lifecycle,
        &first,
        Ok(Answer::Session(with_bad_rewards, "as received")),
        T0,
    );
    assert_eq!(errors(&commands), [ErrorKind::InvalidResponse]);
    let state = lifecycle.state();
    assert!(state.session.is_some(), "the card is drawn");
    assert_eq!(state.error, None, "no stale notice, no error state");
    assert_eq!(state.items.len(), 3);
}
