//! What the referrer has earned: the host's offer (slot), Earned and Pending per currency, the
//! rewards one by one with their coupon codes; and the banner of a program that is not live.

use yew::prelude::*;

use super::actions::Action;
use super::link::Copy;
use super::referrals::iso;
use crate::i18n::{Msg, Texts};
use crate::session::rewards::{Kind, Money, Reward, RewardStatus};
use crate::session::{Program, Rewards};

/// Props of [`rewards_part`].
pub struct RewardsProps<'a> {
    /// The session's rewards.
    pub rewards: &'a Rewards,
    /// Texts and formatting.
    pub texts: &'a Texts,
    /// What the last copy achieved, and the coupon code it was for (`None`: the link's).
    pub copy: &'a (Copy, Option<AttrValue>),
}

/// The rewards part. The list's title is not a heading element, as the referrals' (the widget
/// cannot know the host page's heading levels).
pub fn rewards_part(props: &RewardsProps) -> Html {
    let RewardsProps {
        rewards,
        texts,
        copy,
    } = props;
    let coupon_copy = match copy {
        (state, Some(code)) => (*state, code.as_str()),
        _ => (Copy::Idle, ""),
    };
    let empty = rewards.items.is_empty() && rewards.earned.is_empty() && rewards.pending.is_empty();
    let items = rewards
        .items
        .iter()
        .enumerate()
        .map(|(i, r)| reward(r, i, texts, coupon_copy));
    let announcement = match coupon_copy.0 {
        Copy::Idle => "",
        Copy::Copied => texts.get(Msg::Copied),
        Copy::Selected => texts.get(Msg::CouponCopyFallback),
    };
    html! {
        <div part="rewards" class="referrals rewards">
            <p class="heading" id="rd-rewards">{ texts.get(Msg::RewardsHeading) }</p>
            <slot name="offer"></slot>
            { totals(rewards, texts) }
            if empty {
                <p class="empty">{ texts.get(Msg::RewardsEmpty) }</p>
            } else {
                <ul class="list" aria-labelledby="rd-rewards">{ for items }</ul>
            }
            // Literal classes: a computed one would pull Yew's class-list parser into the wasm.
            if coupon_copy.0 == Copy::Selected {
                <p class="hint" role="status" aria-live="polite">{ announcement }</p>
            } else {
                <p class="sr-only" role="status" aria-live="polite">{ announcement }</p>
            }
        </div>
    }
}

/// Earned and Pending per currency; a side with nothing reads as zero in the other side's first
/// currency. Nothing when neither side has an amount (coupon-only rewards).
fn totals(rewards: &Rewards, texts: &Texts) -> Html {
    let currency = match (rewards.earned.first(), rewards.pending.first()) {
        (Some(m), _) | (None, Some(m)) => m.currency.as_str(),
        (None, None) => return Html::default(),
    };
    let side = |label: Msg, sums: &[Money]| {
        let amounts = if sums.is_empty() {
            html! { <span part="reward-amount">{ texts.money(0.0, currency) }</span> }
        } else {
            sums.iter()
                .map(|m| {
                    html! {
                        <span part="reward-amount">{ texts.money(m.amount, &m.currency) }</span>
                    }
                })
                .collect::<Html>()
        };
        html! {
            <div class="stat">
                <dt class="stat-label">{ texts.get(label) }</dt>
                <dd class="stat-value">{ amounts }</dd>
            </div>
        }
    };
    html! {
        <dl class="stats totals">
            { side(Msg::RewardsEarned, &rewards.earned) }
            { side(Msg::RewardsPending, &rewards.pending) }
        </dl>
    }
}

/// One reward: kind, amount (or "being confirmed"), status in words, date, an earned coupon's
/// code with its copy button, and what to do when it failed.
fn reward(r: &Reward, index: usize, texts: &Texts, copy: (Copy, &str)) -> Html {
    let kind = texts.get(match r.kind {
        Kind::Amount => Msg::KindAmount,
        Kind::Commission => Msg::KindCommission,
        Kind::Coupon => Msg::KindCoupon,
        Kind::Custom => Msg::KindCustom,
    });
    let confirming = r.status == RewardStatus::Pending
        && r.amount.unwrap_or_default() == 0.0
        && matches!(r.kind, Kind::Amount | Kind::Commission);
    let amount = match (confirming, r.amount) {
        (true, _) => Some(texts.get(Msg::RewardConfirming).to_owned()),
        (false, Some(amount)) => Some(match &r.currency {
            Some(currency) => texts.money(amount, currency),
            None => texts.number(amount),
        }),
        (false, None) => None,
    };
    // One badge, its look by `data-status` (a literal class: a computed one would pull Yew's
    // class-list parser into the wasm).
    let (status, text) = match r.status {
        RewardStatus::Pending => ("pending", Msg::RewardsPending),
        RewardStatus::OnItsWay => ("on_its_way", Msg::RewardOnItsWay),
        RewardStatus::Earned => ("earned", Msg::RewardsEarned),
        RewardStatus::Failed => ("failed", Msg::RewardFailed),
    };
    let coupon = r
        .coupon
        .as_deref()
        .filter(|_| r.status == RewardStatus::Earned)
        .map(|code| {
            let mut id = String::from("rd-coupon-");
            crate::session::push_usize(&mut id, index);
            let copied = copy == (Copy::Copied, code);
            html! {
                <div class="link-row">
                    <input id={id.clone()} part="coupon" type="text" readonly=true dir="ltr"
                        value={code.to_owned()} spellcheck="false"
                        aria-label={texts.get(Msg::CouponLabel).to_owned()} />
                    <button part="coupon-copy-button" type="button" class="secondary"
                        data-action={Action::COPY_COUPON} aria-describedby={id}
                        data-state={if copied { "copied" } else { "idle" }}>
                        { texts.get(if copied { Msg::Copied } else { Msg::Copy }) }
                    </button>
                </div>
            }
        });
    html! {
        <li part="reward" class="referral" key={r.id.clone()}>
            <span class="name">{ kind }</span>
            if let Some(amount) = amount {
                <span part="reward-amount" class="amount"
                    data-confirming={confirming.then_some("")}>{ amount }</span>
            }
            <span class="status" data-status={status}>{ texts.get(text) }</span>
            if let Some((at, utc)) = r.at {
                <time class="date" datetime={iso(at)}>{ texts.day(at, utc) }</time>
            }
            { for coupon }
            if r.status == RewardStatus::Failed {
                <p class="hint">{ texts.get(Msg::RewardFailedHint) }</p>
            }
        </li>
    }
}

/// The banner of a program that is not live (none for a live one). The link above stays usable.
pub fn program_banner(program: Option<Program>, texts: &Texts) -> Html {
    let msg = match program {
        Some(Program::Paused) => Msg::ProgramPaused,
        Some(Program::Ended) => Msg::ProgramEnded,
        Some(Program::NotStarted) => Msg::ProgramNotStarted,
        Some(Program::Live) | None => return Html::default(),
    };
    html! { <p part="program-status" class="program">{ texts.get(msg) }</p> }
}
