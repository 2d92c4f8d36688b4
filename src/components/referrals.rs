//! The referrals list with its status badges and "Show more".

use std::rc::Rc;

use yew::prelude::*;

use super::actions::Action;
use crate::i18n::{Msg, Texts};
use crate::session::{Referral, Status};

/// Props of [`referral_list`].
pub struct ReferralListProps {
    /// Every referral loaded so far, newest first.
    pub items: Rc<Vec<Referral>>,
    /// How many of them to show.
    pub shown: usize,
    /// Whether "Show more" has anything to reveal or fetch.
    pub has_more: bool,
    /// A page is being fetched.
    pub loading: bool,
    /// Texts and date formatting.
    pub texts: Rc<Texts>,
}

/// The list, or the empty state.
///
/// The list's title is not a heading element: the widget cannot know the host page's heading
/// levels, and a wrong level is worse for screen readers than a labelled list.
pub fn referral_list(props: &ReferralListProps) -> Html {
    let texts = &props.texts;
    let heading =
        html! { <p class="heading" id="rd-referrals">{ texts.get(Msg::ReferralsHeading) }</p> };
    if props.items.is_empty() {
        return html! {
            <div class="referrals">
                { heading }
                <div part="empty" class="empty">
                    <p class="empty-title">{ texts.get(Msg::Empty) }</p>
                    <p class="hint">{ texts.get(Msg::EmptyHint) }</p>
                </div>
            </div>
        };
    }
    let now = js_sys::Date::now();
    let rows = props.items.iter().take(props.shown).map(|referral| {
        // Literal classes: a computed one would pull Yew's class-list parser into the wasm.
        let status = match referral.status {
            Status::Qualified => html! {
                <span part="status" class="status qualified">{ texts.get(Msg::StatusQualified) }</span>
            },
            Status::Pending => html! {
                <span part="status" class="status pending">{ texts.get(Msg::StatusPending) }</span>
            },
        };
        let name = if referral.name.trim().is_empty() {
            texts.get(Msg::Anonymous).to_owned()
        } else {
            referral.name.clone()
        };
        html! {
            <li part="referral" class="referral" key={referral.id.clone()}>
                // Names are the referred people's own: their direction follows their script.
                <span class="name" dir="auto">{ name }</span>
                { status }
                if let Some(joined) = referral.joined_at {
                    <time class="date" datetime={iso(joined)} title={texts.date(joined)}>
                        { texts.relative(joined, now) }
                    </time>
                }
            </li>
        }
    });
    html! {
        <div class="referrals">
            { heading }
            <ul part="referrals" class="list" aria-labelledby="rd-referrals">{ for rows }</ul>
            if props.has_more {
                <button part="more-button" type="button" class="secondary"
                    data-action={Action::MORE} disabled={props.loading}
                    aria-busy={if props.loading { "true" } else { "false" }}>
                    { texts.get(Msg::ShowMore) }
                </button>
            }
        </div>
    }
}

/// A moment as an ISO 8601 string for `<time datetime>`.
pub fn iso(ms: f64) -> String {
    String::from(js_sys::Date::new(&ms.into()).to_iso_string())
}
