//! Who is asking: the host's user, proven by an HS256 JWT (SPEC §6) or by a Rust host's own
//! extractor through [`IdentityProvider`].

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;
use serde_json::Value;

use crate::error::Error;

/// The furthest in the future a token may expire: identity tokens are minted per page load or
/// per request, so a long-lived one is more likely stolen than intended.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Tolerated clock difference between the host that signs and this server.
const LEEWAY_SECS: u64 = 30;

/// Longest accepted `sub`: longer ones are not ids but an attempt to fill memory and logs.
pub const MAX_SUBJECT_LEN: usize = 255;

/// Longest accepted `email` (RFC 5321's limits allow 320 characters).
pub const MAX_EMAIL_LEN: usize = 320;

/// Longest accepted `name` claim.
pub const MAX_NAME_LEN: usize = 200;

/// The host's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The host's stable user id (`sub`).
    pub subject: String,
    /// Their email, trimmed; the platform matches referrers by it (see [`Identity::email_key`]).
    pub email: String,
    /// Their display name, used as the referrer's first name on creation.
    pub name: Option<String>,
    /// Whether the host has verified that the user owns `email` (the OpenID Connect claim
    /// `email_verified`). Only then may an existing platform account with that email be linked.
    pub email_verified: bool,
}

impl Identity {
    /// The email as compared everywhere: trimmed and lower-cased.
    pub fn email_key(&self) -> String {
        crate::personal::email_key(&self.email)
    }
}

/// Turns a request into an [`Identity`]. Implement it to use your own session instead of JWTs.
pub trait IdentityProvider: Send + Sync + 'static {
    /// The identity behind the request.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] when the request proves no identity.
    fn identify(&self, parts: &Parts) -> impl Future<Output = Result<Identity, Error>> + Send;
}

/// Identity from `Authorization: Bearer <JWT>` signed with HS256.
pub struct JwtIdentity {
    keys: Vec<DecodingKey>,
    validation: Validation,
}

#[derive(Deserialize)]
struct Claims {
    sub: Value,
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email_verified: Option<Value>,
    exp: u64,
}

impl JwtIdentity {
    /// Verifies tokens signed with `secret`: HS256 only, `exp` required, `nbf` honoured.
    pub fn new(secret: &[u8]) -> Self {
        // HS256 only: tokens with "none" or any other algorithm are refused.
        let mut validation = Validation::new(Algorithm::HS256);
        // `sub` is required by `Claims` itself: the library's own check would refuse a numeric
        // one, which SPEC §6 allows.
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        // Checked only when configured (below); a token's own `aud` is otherwise ignored.
        validation.validate_aud = false;
        Self {
            keys: vec![DecodingKey::from_secret(secret)],
            validation,
        }
    }

    /// Also accepts tokens signed with `secret` (sandbox mode: the demo tokens' own secret).
    #[must_use]
    pub fn also_accepting(mut self, secret: &[u8]) -> Self {
        self.keys.push(DecodingKey::from_secret(secret));
        self
    }

    /// Requires `aud` to be `audience`.
    #[must_use]
    pub fn audience(mut self, audience: &str) -> Self {
        self.validation.set_audience(&[audience]);
        self.validation.validate_aud = true;
        self.validation
            .required_spec_claims
            .insert("aud".to_owned());
        self
    }

    /// Requires `iss` to be `issuer`.
    #[must_use]
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.validation.set_issuer(&[issuer]);
        self.validation
            .required_spec_claims
            .insert("iss".to_owned());
        self
    }

    /// Verifies one token.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] with the reason.
    pub fn verify(&self, token: &str) -> Result<Identity, Error> {
        // Nothing longer is a plausible token; refuse before any parsing.
        if token.len() > MAX_TOKEN_LEN {
            return Err(Error::Unauthenticated("the identity token is too long"));
        }
        // RFC 7515 §4.1.11: a token that names critical extensions must be refused by a
        // recipient that does not understand them, and this one understands none.
        match jsonwebtoken::decode_header(token) {
            Ok(header) if header.crit.is_some() => {
                return Err(Error::Unauthenticated(
                    "the identity token names critical header parameters (crit) this server does not understand",
                ));
            }
            Ok(_) => {}
            Err(error) => return Err(Error::Unauthenticated(reason(error.kind()))),
        }
        // The signature is checked before the claims: an error other than a bad signature means
        // this key signed the token, so that error is the one to report.
        let mut data = None;
        let mut refusal = "the identity token's signature is invalid";
        for key in &self.keys {
            match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
                Ok(decoded) => {
                    data = Some(decoded);
                    break;
                }
                Err(error) if *error.kind() == ErrorKind::InvalidSignature => {}
                Err(error) => {
                    refusal = reason(error.kind());
                    break;
                }
            }
        }
        let Some(data) = data else {
            return Err(Error::Unauthenticated(refusal));
        };
        let claims = data.claims;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if claims.exp > now + MAX_TOKEN_LIFETIME.as_secs() + LEEWAY_SECS {
            return Err(Error::Unauthenticated(
                "the identity token expires too far ahead (at most 15 minutes)",
            ));
        }
        let subject = match &claims.sub {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string(),
            _ => String::new(),
        };
        let email = claims.email.trim();
        if subject.chars().any(char::is_control) {
            // A NUL or another control character: no host means it, and some databases cannot
            // even store it.
            return Err(Error::Unauthenticated(
                "the identity token's sub contains a control character",
            ));
        }
        if subject.is_empty() || !is_plausible_email(email) {
            return Err(Error::Unauthenticated(
                "the identity token needs a non-empty sub and a valid email",
            ));
        }
        if subject.len() > MAX_SUBJECT_LEN
            || email.len() > MAX_EMAIL_LEN
            || claims.name.as_ref().is_some_and(|n| n.len() > MAX_NAME_LEN)
        {
            return Err(Error::Unauthenticated(
                "the identity token's claims are too long (sub 255, email 320, name 200 bytes)",
            ));
        }
        let email_verified = match claims.email_verified {
            Some(Value::Bool(verified)) => verified,
            // Some identity providers send it as a string.
            Some(Value::String(text)) => text.trim().eq_ignore_ascii_case("true"),
            _ => false,
        };
        Ok(Identity {
            subject,
            email: email.to_owned(),
            name: claims
                .name
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
            email_verified,
        })
    }
}

/// Longest token looked at: a few claims signed with HS256 fit in well under this.
const MAX_TOKEN_LEN: usize = 4096;

fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "the identity token has expired",
        ErrorKind::ImmatureSignature => "the identity token is not valid yet (nbf)",
        ErrorKind::InvalidSignature => "the identity token's signature is invalid",
        ErrorKind::InvalidAlgorithm => "the identity token must be signed with HS256",
        ErrorKind::InvalidAudience => "the identity token is for another audience (aud)",
        ErrorKind::InvalidIssuer => "the identity token is from another issuer (iss)",
        ErrorKind::MissingRequiredClaim(_) => {
            "the identity token lacks a required claim (sub, email, exp, and aud/iss when configured)"
        }
        ErrorKind::Json(_) => {
            "the identity token's claims are malformed (sub, email and exp are required)"
        }
        _ => "the identity token is malformed",
    }
}

impl IdentityProvider for JwtIdentity {
    async fn identify(&self, parts: &Parts) -> Result<Identity, Error> {
        let header =
            parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .ok_or(Error::Unauthenticated(
                    "missing Authorization: Bearer token",
                ))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Error::Unauthenticated(
                "the Authorization header must be 'Bearer <token>'",
            ))?;
        self.verify(token)
    }
}

fn is_plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !email.contains(|c: char| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests;
