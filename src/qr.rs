//! The referral link as a QR code, drawn as one SVG path. Pure.
//!
//! Encoding is Nayuki's `qrcodegen` (error correction level M: readable with 15 % of the code
//! damaged, small enough for long links). Drawing merges each row's dark modules into runs, so
//! a typical link becomes a few hundred short path commands.

use qrcodegen::{QrCode, QrCodeEcc, QrSegment, Version};

use crate::session::push_usize;

/// Light modules around the code, as the QR standard asks, so scanners find its edges.
pub const QUIET_ZONE: usize = 4;

/// A QR code ready for `<svg viewBox="0 0 {side} {side}"><path d="{path}"/></svg>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrPath {
    /// Width and height of the drawing in modules, quiet zone included.
    pub side: usize,
    /// The dark modules as path commands.
    pub path: String,
}

/// Encodes `text`; `None` when it is too long for any QR code (over ~2,300 bytes at level M).
pub fn encode(text: &str) -> Option<QrPath> {
    // Byte mode only: links are mostly lowercase, which the denser alphanumeric mode cannot
    // encode anyway, and skipping qrcodegen's mode analysis keeps the widget smaller.
    let segments = [QrSegment::make_bytes(text.as_bytes())];
    let code = QrCode::encode_segments_advanced(
        &segments,
        QrCodeEcc::Medium,
        Version::MIN,
        Version::MAX,
        None,
        true,
    )
    .ok()?;
    let size = usize::try_from(code.size()).ok()?;
    let dark = |x: usize, y: usize| code.get_module(x as i32, y as i32);
    let mut path = String::with_capacity(size * size);
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && dark(x, y) {
                x += 1;
            }
            let run = x - start;
            path.push('M');
            push_usize(&mut path, start + QUIET_ZONE);
            path.push(' ');
            push_usize(&mut path, y + QUIET_ZONE);
            path.push('h');
            push_usize(&mut path, run);
            path.push_str("v1h-");
            push_usize(&mut path, run);
            path.push('z');
        }
    }
    Some(QrPath {
        side: size + 2 * QUIET_ZONE,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes the path back into the set of dark modules it paints.
    fn painted(qr: &QrPath) -> Vec<(usize, usize)> {
        let mut cells = Vec::new();
        for command in qr.path.split('z').filter(|c| !c.is_empty()) {
            let rest = command.strip_prefix('M').unwrap();
            let (xy, rest) = rest.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (run, _) = rest.split_once('v').unwrap();
            let (x, y, run): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), run.parse().unwrap());
            cells.extend((x..x + run).map(|x| (x, y)));
        }
        cells
    }

    #[test]
    fn the_path_paints_exactly_the_dark_modules() {
        let link = "https://example.com/r/ADA123";
        let qr = encode(link).unwrap();
        let code = QrCode::encode_binary(link.as_bytes(), QrCodeEcc::Medium).unwrap();
        let size = code.size() as usize;
        assert_eq!(qr.side, size + 8);
        let mut expected = Vec::new();
        for y in 0..size {
            for x in 0..size {
                if code.get_module(x as i32, y as i32) {
                    expected.push((x + QUIET_ZONE, y + QUIET_ZONE));
                }
            }
        }
        assert_eq!(painted(&qr), expected);
        // The three finder patterns: the top-left corner module is dark.
        assert!(painted(&qr).contains(&(QUIET_ZONE, QUIET_ZONE)));
    }

    #[test]
    fn longer_links_get_larger_codes_and_huge_ones_none() {
        let short = encode("https://e.x/r/A").unwrap();
        let long = encode(&["https://example.com/r/", &"x".repeat(200)].concat()).unwrap();
        assert!(long.side > short.side);
        assert!(encode(&"x".repeat(5000)).is_none());
    }
}
