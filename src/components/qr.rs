//! The QR code of the referral link, drawn locally as SVG.

use yew::prelude::*;

use crate::qr::QrPath;
use crate::session::push_usize;

/// Props of [`qr_code`].
pub struct QrCodeProps<'a> {
    /// The link's QR code, encoded once per link by the caller (`qr::encode`); `None` when the
    /// link is too long for one.
    pub drawing: Option<&'a QrPath>,
    /// Accessible name.
    pub label: AttrValue,
}

/// The link's QR code (nothing when there is none).
pub fn qr_code(props: &QrCodeProps) -> Html {
    let Some(drawing) = props.drawing else {
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
