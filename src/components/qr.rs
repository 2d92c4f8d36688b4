//! The QR code of the referral link, drawn locally as SVG.

use yew::prelude::*;

use crate::qr;
use crate::session::push_usize;

/// Props of [`QrCode`].
#[derive(Properties, PartialEq)]
pub struct QrCodeProps {
    /// The referral link.
    pub link: AttrValue,
    /// Accessible name.
    pub label: AttrValue,
}

/// The link's QR code (nothing when the link is too long for one).
#[component]
pub fn QrCode(props: &QrCodeProps) -> Html {
    let drawing = use_memo(props.link.clone(), |link| qr::encode(link));
    let Some(drawing) = drawing.as_ref() else {
        return Html::default();
    };
    let mut view_box = String::from("0 0 ");
    push_usize(&mut view_box, drawing.side);
    view_box.push(' ');
    push_usize(&mut view_box, drawing.side);
    html! {
        <figure part="qr" class="qr">
            <svg viewBox={view_box} role="img" aria-label={props.label.clone()}
                shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg">
                <path d={drawing.path.clone()} />
            </svg>
        </figure>
    }
}
