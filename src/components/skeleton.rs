//! The placeholder shown while the first session loads.

use std::rc::Rc;

use yew::prelude::*;

use crate::i18n::{Msg, Texts};

/// Props of [`Skeleton`].
pub struct SkeletonProps {
    /// Texts.
    pub texts: Rc<Texts>,
}

/// Grey blocks in the shape of the dashboard, with an accessible loading text.
pub fn skeleton(props: &SkeletonProps) -> Html {
    html! {
        <div class="skeleton" role="status">
            <span class="sr-only">{ props.texts.get(Msg::Loading) }</span>
            <div class="bone wide" aria-hidden="true"></div>
            <div class="bones" aria-hidden="true">
                <div class="bone"></div><div class="bone"></div><div class="bone"></div>
            </div>
            <div class="bone wide" aria-hidden="true"></div>
        </div>
    }
}
