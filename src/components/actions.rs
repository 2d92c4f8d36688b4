//! What a click in the card asks for. Every control carries `data-action` (and a share action
//! its `data-channel`); the app listens once, on the card, and reads them here, so the controls
//! are plain markup and no component exists just to hold a listener.

use wasm_bindgen::JsCast;
use web_sys::{Element, Event};

use crate::share::{ALL, Channel};

/// A control's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The copy button.
    Copy,
    /// A coupon code's copy button (the code is in the field before it).
    CopyCoupon,
    /// A share action.
    Share(Channel),
    /// "Show more".
    More,
    /// The error state's retry button.
    Retry,
}

impl Action {
    /// `data-action` of the copy button.
    pub const COPY: &'static str = "copy";
    /// `data-action` of a coupon code's copy button.
    pub const COPY_COUPON: &'static str = "copy-coupon";
    /// `data-action` of a share action (with `data-channel`).
    pub const SHARE: &'static str = "share";
    /// `data-action` of "Show more".
    pub const MORE: &'static str = "more";
    /// `data-action` of the retry button.
    pub const RETRY: &'static str = "retry";

    /// The action of the control `event` happened in, if any.
    pub fn of(event: &Event) -> Option<Self> {
        let control = Self::control(event)?;
        Self::parse(
            control.get_attribute("data-action").as_deref(),
            control.get_attribute("data-channel").as_deref(),
        )
    }

    /// The control (the element with `data-action`) `event` happened in.
    pub fn control(event: &Event) -> Option<Element> {
        let target = event.target()?.dyn_into::<Element>().ok()?;
        target.closest("[data-action]").ok()?
    }

    /// The action named by a control's `data-action` and `data-channel`.
    pub fn parse(action: Option<&str>, channel: Option<&str>) -> Option<Self> {
        match action? {
            Self::COPY => Some(Self::Copy),
            Self::COPY_COUPON => Some(Self::CopyCoupon),
            Self::MORE => Some(Self::More),
            Self::RETRY => Some(Self::Retry),
            Self::SHARE => {
                let channel = channel?;
                ALL.iter()
                    .copied()
                    .find(|c| c.id() == channel)
                    .map(Self::Share)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_name_their_action() {
        assert_eq!(Action::parse(Some("copy"), None), Some(Action::Copy));
        assert_eq!(Action::parse(Some("more"), None), Some(Action::More));
        assert_eq!(
            Action::parse(Some("copy-coupon"), None),
            Some(Action::CopyCoupon)
        );
        assert_eq!(Action::parse(Some("retry"), None), Some(Action::Retry));
        assert_eq!(
            Action::parse(Some("share"), Some("whatsapp")),
            Some(Action::Share(Channel::Whatsapp))
        );
        assert_eq!(Action::parse(Some("share"), Some("myspace")), None);
        assert_eq!(Action::parse(Some("share"), None), None);
        assert_eq!(Action::parse(None, None), None);
    }
}
