//! Reach, Referrals and Qualified Referrals.

use std::rc::Rc;

use yew::prelude::*;

use crate::i18n::{Msg, Texts};
use crate::session::Stats;

/// Props of [`stats`].
pub struct StatsViewProps {
    /// The counters.
    pub stats: Stats,
    /// Texts and number formatting.
    pub texts: Rc<Texts>,
}

/// The three counters with their labels. A large Reach is shown compact ("12K") with the exact
/// count as its tooltip.
pub fn stats(props: &StatsViewProps) -> Html {
    let texts = &props.texts;
    let stat = |key: &'static str, value: f64, label: Msg, compact: bool| {
        let exact = texts.number(value);
        let (shown, title) = match compact.then(|| texts.compact(value)).flatten() {
            Some(short) => (short, Some(exact)),
            None => (exact, None),
        };
        html! {
            <div part="stat" class="stat" data-stat={key}>
                <dt part="stat-label" class="stat-label">{ texts.get(label) }</dt>
                <dd part="stat-value" class="stat-value" title={title}>{ shown }</dd>
            </div>
        }
    };
    html! {
        <dl part="stats" class="stats">
            { stat("reach", props.stats.reach, Msg::Reach, true) }
            { stat("referrals", props.stats.referrals, Msg::Referrals, false) }
            { stat("qualified", props.stats.qualified, Msg::Qualified, false) }
        </dl>
    }
}
