//! The placeholder shown while the first session loads.

use std::rc::Rc;

use yew::prelude::*;

use crate::i18n::{Msg, Texts};

/// Props of [`skeleton`].
pub struct SkeletonProps {
    /// Texts.
    pub texts: Rc<Texts>,
}

/// Grey blocks in the shape of the dashboard, with an accessible loading text: the same markup
/// as the loader's skeleton (`pkg-template/element.js`), which this one replaces.
pub fn skeleton(props: &SkeletonProps) -> Html {
    html! {
        <div class="skeleton" role="status">
            <span class="sr-only">{ props.texts.get(Msg::Loading) }</span>
            <div class="sk-top" aria-hidden="true">
                <div class="sk-main">
                    <div class="bone sk-link"></div><div class="bone sk-share"></div>
                </div>
                <div class="bone sk-qr"></div>
            </div>
            <div class="bones" aria-hidden="true">
                <div class="bone"></div><div class="bone"></div><div class="bone"></div>
            </div>
            <div class="sk-list" aria-hidden="true">
                <div class="bone sk-head"></div>
                <div class="bone"></div><div class="bone"></div><div class="bone"></div>
                <div class="bone"></div><div class="bone"></div>
                <div class="bone sk-more"></div>
            </div>
        </div>
    }
}
