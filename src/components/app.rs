//! The root component: subscribes to the controller, picks skeleton, error or dashboard, and
//! handles every click of the card through one listener ([`super::actions`]).

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::actions::Action;
use super::error::error_state;
use super::link::{self, COPIED_FOR_MS, Copy, LinkFieldProps, link_field};
use super::listen::use_event;
use super::qr::{QrCodeProps, qr_code};
use super::referrals::{ReferralListProps, referral_list};
use super::rewards::{RewardsProps, program_banner, rewards_part};
use super::share::{self, ShareBarProps, share_bar};
use super::skeleton::{SkeletonProps, skeleton};
use super::stats::{StatsViewProps, stats};
use crate::config::Sections;
use crate::controller::Controller;
use crate::i18n::Msg;
use crate::share::Channel;
use crate::state::View;

/// Props of [`App`]: the element's controller.
#[derive(Properties, Clone)]
pub struct AppProps {
    /// The controller that owns this element's state.
    pub controller: Rc<Controller>,
    /// Called after the first render (the element shell waits for it to destroy an app removed
    /// before it ever rendered).
    pub on_mounted: Callback<()>,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.controller, &other.controller) && self.on_mounted == other.on_mounted
    }
}

/// What a share needs besides the channel: the link and the texts to send with it.
#[derive(Clone, Default)]
struct Sharing {
    link: AttrValue,
    message: AttrValue,
    subject: AttrValue,
}

/// The whole card.
#[component]
pub fn App(props: &AppProps) -> Html {
    let update = use_force_update();
    {
        let controller = props.controller.clone();
        let on_mounted = props.on_mounted.clone();
        use_effect_with((), move |_| {
            let render = update.clone();
            controller.subscribe(Some(Callback::from(move |()| render.force_update())));
            // Anything that changed between the first render and this subscription shows now.
            update.force_update();
            on_mounted.emit(());
            move || controller.subscribe(None)
        });
    }
    let controller = &props.controller;
    let state = controller.state();
    let texts = controller.texts();
    // Encoding the QR code is the costliest part of a render: once per link.
    let link = state.session.as_ref().map(|s| s.referrer.link.clone());
    let drawing = use_memo(link, |link| link.as_deref().and_then(crate::qr::encode));
    // `rd-load` once a newly loaded session is on screen: from a task queued by the render that
    // shows it. Yew commits a render to the DOM before it returns and yields to the browser only
    // between renders, so that task runs with the DOM committed, and before the effects, which
    // wait for a `setTimeout` (a frame and more) whenever the renders took over 16 ms.
    let announced = use_mut_ref(|| 0u32);
    if state.loads > *announced.borrow() {
        *announced.borrow_mut() = state.loads;
        let controller = controller.clone();
        spawn_local(async move { controller.rendered() });
    }
    // What the last copy achieved, and the coupon code it was for (`None`: the link).
    let copy = use_state(|| (Copy::Idle, None::<AttrValue>));
    let reset = use_mut_ref(|| None::<Timeout>);
    let card = use_node_ref();
    let sharing = state.session.as_ref().map(|session| Sharing {
        link: AttrValue::from(session.referrer.link.clone()),
        message: AttrValue::from(
            session
                .share
                .message
                .clone()
                .unwrap_or_else(|| texts.get(Msg::ShareMessage).to_owned()),
        ),
        subject: AttrValue::from(
            session
                .share
                .subject
                .clone()
                .unwrap_or_else(|| texts.get(Msg::ShareSubject).to_owned()),
        ),
    });
    {
        let (controller, copy, card_ref) = (controller.clone(), copy.clone(), card.clone());
        let sharing = sharing.clone().unwrap_or_default();
        use_event(
            &card,
            "click",
            Callback::from(move |event: web_sys::Event| match Action::of(&event) {
                Some(Action::Retry) => controller.retry(),
                Some(Action::More) => controller.show_more(),
                Some(Action::Share(channel)) => {
                    if !controller.share(channel, &sharing.link) {
                        // The host handles it: the link must not open.
                        event.prevent_default();
                    } else if channel == Channel::Native {
                        share::open_share_sheet(&sharing.link, &sharing.message, &sharing.subject);
                    }
                }
                Some(action @ (Action::Copy | Action::CopyCoupon)) => {
                    // The link's field, or the coupon code's field just before its button.
                    let field = if action == Action::Copy {
                        card_ref
                            .cast::<web_sys::Element>()
                            .and_then(|card| card.query_selector("input[part=link]").ok()?)
                    } else {
                        Action::control(&event).and_then(|b| b.previous_element_sibling())
                    };
                    let Some(field) = field.and_then(|f| f.dyn_into::<HtmlInputElement>().ok())
                    else {
                        return;
                    };
                    let (controller, copy, reset) =
                        (controller.clone(), copy.clone(), reset.clone());
                    let text = field.value();
                    let coupon =
                        (action == Action::CopyCoupon).then(|| AttrValue::from(text.clone()));
                    // The clipboard write starts inside the click (user activation).
                    let written = link::write(&text);
                    spawn_local(async move {
                        if written.await {
                            copy.set((Copy::Copied, coupon.clone()));
                            let what = if coupon.is_some() { "coupon" } else { "link" };
                            controller.copied(what, &text);
                            let idle = copy.clone();
                            *reset.borrow_mut() = Some(Timeout::new(COPIED_FOR_MS, move || {
                                idle.set((Copy::Idle, None));
                            }));
                        } else {
                            link::select(&field);
                            copy.set((Copy::Selected, coupon));
                        }
                    });
                }
                None => {}
            }),
        );
    }
    let title = texts.get(Msg::Title).to_owned();
    let body = match (state.view(), sharing) {
        (View::Ready, Some(sharing)) => {
            let stale = state.error.is_some() && !state.loading_more;
            let session = state.session.as_deref();
            let sections = controller.sections();
            html! {
                <>
                    { program_banner(session.and_then(|s| s.program), &texts) }
                    if sections.has(Sections::LINK) {
                    <div class="top">
                        <div class="main">
                            { link_field(&LinkFieldProps {
                                link: sharing.link.clone(),
                                texts: texts.clone(),
                                copy: if copy.1.is_none() { copy.0 } else { Copy::Idle },
                            }) }
                            { share_bar(&ShareBarProps {
                                channels: controller.channels(),
                                link: sharing.link,
                                message: sharing.message,
                                subject: sharing.subject,
                                texts: texts.clone(),
                            }) }
                        </div>
                        { qr_code(&QrCodeProps {
                            drawing: drawing.as_ref().as_ref(),
                            label: AttrValue::from(texts.get(Msg::QrLabel).to_owned()),
                        }) }
                    </div>
                    }
                    if let (true, Some(session)) = (sections.has(Sections::STATS), session) {
                        { stats(&StatsViewProps { stats: session.stats, texts: texts.clone() }) }
                    }
                    if let (true, Some(rewards)) =
                        (sections.has(Sections::REWARDS), session.and_then(|s| s.rewards.as_ref()))
                    {
                        { rewards_part(&RewardsProps { rewards, texts: &texts, copy: &copy }) }
                    }
                    if sections.has(Sections::REFERRALS) {
                    { referral_list(&ReferralListProps {
                        items: state.items.clone(),
                        shown: state.shown,
                        has_more: state.has_more(),
                        loading: state.loading_more,
                        texts: texts.clone(),
                    }) }
                    }
                    if stale {
                        <p class="notice" role="status">{ texts.get(Msg::Stale) }</p>
                    }
                </>
            }
        }
        (View::Failed, _) => error_state(&texts),
        _ => skeleton(&SkeletonProps {
            texts: texts.clone(),
        }),
    };
    html! {
        <section part="card" class="card" aria-label={title} lang={texts.locale().to_owned()}
            dir={if texts.rtl() { "rtl" } else { "ltr" }} ref={card}
            aria-busy={if state.view() == View::Loading { "true" } else { "false" }}>
            { body }
        </section>
    }
}
