//! The root component: subscribes to the controller and picks skeleton, error or dashboard.

use std::rc::Rc;

use yew::prelude::*;

use super::error::ErrorState;
use super::link::LinkField;
use super::qr::{QrCodeProps, qr_code};
use super::referrals::{ReferralListProps, referral_list};
use super::share::{ShareBarProps, share_bar};
use super::skeleton::{SkeletonProps, skeleton};
use super::stats::{StatsViewProps, stats};
use crate::controller::Controller;
use crate::i18n::Msg;
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
    {
        // Effects run after the DOM is updated, so `rd-load` means "rendered".
        let controller = controller.clone();
        use_effect_with(state.loads, move |loads| {
            if *loads > 0 {
                controller.rendered();
            }
        });
    }
    let title = texts.get(Msg::Title).to_owned();
    let body = match (state.view(), &state.session) {
        (View::Ready, Some(session)) => {
            let on_copied = {
                let controller = controller.clone();
                let link = session.referrer.link.clone();
                Callback::from(move |()| controller.copied(&link))
            };
            let on_share = {
                let controller = controller.clone();
                let link = session.referrer.link.clone();
                Callback::from(move |channel| controller.share(channel, &link))
            };
            let message = session
                .share
                .message
                .clone()
                .unwrap_or_else(|| texts.get(Msg::ShareMessage).to_owned());
            let subject = session
                .share
                .subject
                .clone()
                .unwrap_or_else(|| texts.get(Msg::ShareSubject).to_owned());
            let on_more = {
                let controller = controller.clone();
                Callback::from(move |()| controller.show_more())
            };
            let stale = state.error.is_some() && !state.loading_more;
            html! {
                <>
                    <div class="top">
                        <div class="main">
                            <LinkField link={AttrValue::from(session.referrer.link.clone())}
                                texts={texts.clone()} {on_copied} />
                            { share_bar(&ShareBarProps {
                                channels: controller.channels(),
                                link: AttrValue::from(session.referrer.link.clone()),
                                message: AttrValue::from(message),
                                subject: AttrValue::from(subject),
                                texts: texts.clone(),
                                on_share,
                            }) }
                        </div>
                        { qr_code(&QrCodeProps {
                            drawing: drawing.as_ref().as_ref(),
                            label: AttrValue::from(texts.get(Msg::QrLabel).to_owned()),
                        }) }
                    </div>
                    { stats(&StatsViewProps { stats: session.stats, texts: texts.clone() }) }
                    { referral_list(&ReferralListProps {
                        items: state.items.clone(),
                        shown: state.shown,
                        has_more: state.has_more(),
                        loading: state.loading_more,
                        texts: texts.clone(),
                        on_more,
                    }) }
                    if stale {
                        <p class="notice" role="status">{ texts.get(Msg::Stale) }</p>
                    }
                </>
            }
        }
        (View::Failed, _) => {
            let on_retry = {
                let controller = controller.clone();
                Callback::from(move |()| controller.retry())
            };
            html! { <ErrorState texts={texts.clone()} {on_retry} /> }
        }
        _ => skeleton(&SkeletonProps {
            texts: texts.clone(),
        }),
    };
    html! {
        <section part="card" class="card" aria-label={title} lang={texts.locale().to_owned()}
            dir={if texts.rtl() { "rtl" } else { "ltr" }}
            aria-busy={if state.view() == View::Loading { "true" } else { "false" }}>
            { body }
        </section>
    }
}
