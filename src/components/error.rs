//! The error state: shown when there is nothing to show and the last request failed.

use std::rc::Rc;

use yew::prelude::*;

use super::listen::use_event;
use crate::i18n::{Msg, Texts};

/// Props of [`ErrorState`].
#[derive(Properties, PartialEq)]
pub struct ErrorStateProps {
    /// Texts.
    pub texts: Rc<Texts>,
    /// The retry button was pressed.
    pub on_retry: Callback<()>,
}

/// A short explanation and a retry button.
#[component]
pub fn ErrorState(props: &ErrorStateProps) -> Html {
    let button = use_node_ref();
    let on_retry = props.on_retry.clone();
    use_event(&button, "click", Callback::from(move |_| on_retry.emit(())));
    html! {
        <div part="error" class="error" role="alert">
            <p>{ props.texts.get(Msg::ErrorTitle) }</p>
            <button part="retry-button" type="button" class="primary" ref={button}>
                { props.texts.get(Msg::Retry) }
            </button>
        </div>
    }
}
