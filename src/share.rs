//! Share actions (SPEC §4 `channels`): parsing the attribute and building each network's public
//! share URL. Pure.

/// One share action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The browser's share sheet (`navigator.share`), where supported.
    Native,
    /// A `mailto:` link.
    Email,
    /// X (Twitter) post intent.
    X,
    /// WhatsApp.
    Whatsapp,
    /// LinkedIn.
    Linkedin,
    /// Facebook.
    Facebook,
    /// Telegram.
    Telegram,
    /// An `sms:` link.
    Sms,
}

/// Every channel, in the order SPEC §4 lists them.
pub const ALL: [Channel; 8] = [
    Channel::Native,
    Channel::Email,
    Channel::X,
    Channel::Whatsapp,
    Channel::Linkedin,
    Channel::Facebook,
    Channel::Telegram,
    Channel::Sms,
];

/// The channels shown when the attribute is absent.
pub const DEFAULT: [Channel; 5] = [
    Channel::Native,
    Channel::Email,
    Channel::X,
    Channel::Whatsapp,
    Channel::Linkedin,
];

impl Channel {
    /// The attribute token, also `rd-share`'s `detail.channel` (`src/surface.rs` lists them).
    pub fn id(self) -> &'static str {
        crate::surface::CHANNELS[self as usize]
    }

    /// The display name of a network (brand names are not translated).
    pub fn brand(self) -> Option<&'static str> {
        match self {
            Channel::X => Some("X"),
            Channel::Whatsapp => Some("WhatsApp"),
            Channel::Linkedin => Some("LinkedIn"),
            Channel::Facebook => Some("Facebook"),
            Channel::Telegram => Some("Telegram"),
            Channel::Native | Channel::Email | Channel::Sms => None,
        }
    }

    /// Whether the share URL opens a web page (new tab) rather than an app scheme.
    pub fn is_web(self) -> bool {
        self.brand().is_some()
    }
}

/// Parses `channels`: space-separated tokens, in the host's order, unknown ones and repeats
/// ignored. An absent attribute means [`DEFAULT`]; an empty one means no share actions.
pub fn parse_channels(value: Option<&str>) -> Vec<Channel> {
    let Some(value) = value else {
        return DEFAULT.to_vec();
    };
    let mut out = Vec::new();
    for token in value.split_ascii_whitespace() {
        if let Some(channel) = ALL.iter().find(|c| c.id().eq_ignore_ascii_case(token))
            && !out.contains(channel)
        {
            out.push(*channel);
        }
    }
    out
}

/// The share URL of `channel` for `link`, with `message` (and `subject` for email). `None` for
/// [`Channel::Native`], which uses `navigator.share` instead.
pub fn share_url(channel: Channel, link: &str, message: &str, subject: &str) -> Option<String> {
    let with_link = |out: &mut String| {
        let mut text = String::from(message);
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(link);
        encode_into(out, &text);
    };
    let mut url = String::new();
    match channel {
        Channel::Native => return None,
        Channel::Email => {
            url.push_str("mailto:?subject=");
            encode_into(&mut url, subject);
            url.push_str("&body=");
            with_link(&mut url);
        }
        Channel::X => {
            url.push_str("https://x.com/intent/post?text=");
            encode_into(&mut url, message);
            url.push_str("&url=");
            encode_into(&mut url, link);
        }
        Channel::Whatsapp => {
            url.push_str("https://wa.me/?text=");
            with_link(&mut url);
        }
        Channel::Linkedin => {
            url.push_str("https://www.linkedin.com/sharing/share-offsite/?url=");
            encode_into(&mut url, link);
        }
        Channel::Facebook => {
            url.push_str("https://www.facebook.com/sharer/sharer.php?u=");
            encode_into(&mut url, link);
        }
        Channel::Telegram => {
            url.push_str("https://t.me/share/url?url=");
            encode_into(&mut url, link);
            url.push_str("&text=");
            encode_into(&mut url, message);
        }
        Channel::Sms => {
            // `?&body=` is the form both iOS and Android read.
            url.push_str("sms:?&body=");
            with_link(&mut url);
        }
    }
    Some(url)
}

/// Percent-encodes like `encodeURIComponent`.
fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 15)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_keep_the_hosts_order_and_drop_unknowns() {
        assert_eq!(parse_channels(None), DEFAULT.to_vec());
        assert_eq!(parse_channels(Some("")), Vec::<Channel>::new());
        assert_eq!(
            parse_channels(Some("sms  telegram bogus SMS x")),
            vec![Channel::Sms, Channel::Telegram, Channel::X]
        );
    }

    #[test]
    fn urls_carry_the_encoded_link_and_message() {
        let link = "https://ex.example/r/A?b=1&c=2";
        assert_eq!(
            share_url(Channel::Whatsapp, link, "Join me!", "").unwrap(),
            "https://wa.me/?text=Join%20me!%20https%3A%2F%2Fex.example%2Fr%2FA%3Fb%3D1%26c%3D2"
        );
        assert_eq!(
            share_url(Channel::Email, "https://e.x/r", "Hi", "Café").unwrap(),
            "mailto:?subject=Caf%C3%A9&body=Hi%20https%3A%2F%2Fe.x%2Fr"
        );
        assert_eq!(
            share_url(Channel::Linkedin, "https://e.x/r", "ignored", "").unwrap(),
            "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fe.x%2Fr"
        );
        assert!(share_url(Channel::Native, link, "", "").is_none());
        assert!(
            share_url(Channel::Sms, link, "", "")
                .unwrap()
                .starts_with("sms:?&body=https")
        );
    }
}
