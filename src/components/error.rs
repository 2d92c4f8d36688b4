//! The error state: shown when there is nothing to show and the last request failed.

use yew::prelude::*;

use super::actions::Action;
use crate::i18n::{Msg, Texts};

/// A short explanation and a retry button.
pub fn error_state(texts: &Texts) -> Html {
    html! {
        <div part="error" class="error" role="alert">
            <p>{ texts.get(Msg::ErrorTitle) }</p>
            <button part="retry-button" type="button" class="primary" data-action={Action::RETRY}>
                { texts.get(Msg::Retry) }
            </button>
        </div>
    }
}
