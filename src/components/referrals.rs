//! The referrals list with its status badges and "Show more".

use std::rc::Rc;

use yew::prelude::*;

use crate::i18n::{Msg, Texts};
use crate::session::{Referral, Status};

/// Props of [`ReferralList`].
#[derive(Properties, PartialEq)]
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
    /// "Show more" was pressed.
    pub on_more: Callback<()>,
}

/// The list, or the empty state.
#[component]
pub fn ReferralList(props: &ReferralListProps) -> Html {
    let texts = &props.texts;
    let heading =
        html! { <h3 class="heading" id="rd-referrals">{ texts.get(Msg::ReferralsHeading) }</h3> };
    if props.items.is_empty() {
        return html! {
            <div class="referrals">
                { heading }
                <p part="empty" class="empty">{ texts.get(Msg::Empty) }</p>
            </div>
        };
    }
    let rows = props.items.iter().take(props.shown).map(|referral| {
        let (status, class) = match referral.status {
            Status::Qualified => (texts.get(Msg::StatusQualified), "status qualified"),
            Status::Pending => (texts.get(Msg::StatusPending), "status pending"),
        };
        html! {
            <li part="referral" class="referral" key={referral.id.clone()}>
                <span class="name">{ referral.name.clone() }</span>
                <span part="status" class={class}>{ status }</span>
                if let Some(joined) = referral.joined_at {
                    <span class="date">{ texts.date(joined) }</span>
                }
            </li>
        }
    });
    let onclick = {
        let on_more = props.on_more.clone();
        Callback::from(move |_: MouseEvent| on_more.emit(()))
    };
    html! {
        <div class="referrals">
            { heading }
            <ul part="referrals" class="list" aria-labelledby="rd-referrals">{ for rows }</ul>
            if props.has_more {
                <button part="more-button" type="button" class="secondary" {onclick}
                    disabled={props.loading} aria-busy={if props.loading { "true" } else { "false" }}>
                    { texts.get(Msg::ShowMore) }
                </button>
            }
        </div>
    }
}
