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
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn token(claims: serde_json::Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    fn reason(result: Result<Identity, Error>) -> &'static str {
        match result {
            Err(Error::Unauthenticated(reason)) => reason,
            other => panic!("expected unauthenticated, got {other:?}"),
        }
    }

    #[test]
    fn valid_token_gives_the_identity() {
        let id = JwtIdentity::new(SECRET)
            .verify(&token(
                json!({"sub": "u1", "email": "a@b.example", "name": "Ada", "exp": now() + 60}),
            ))
            .unwrap();
        assert_eq!(id.subject, "u1");
        assert_eq!(id.name.as_deref(), Some("Ada"));
    }

    #[test]
    fn expired_wrongly_signed_and_far_future_tokens_are_refused() {
        let jwt = JwtIdentity::new(SECRET);
        let expired = token(json!({"sub": "u", "email": "a@b.example", "exp": now() - 3600}));
        assert!(reason(jwt.verify(&expired)).contains("expired"));
        let other = encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "u", "email": "a@b.example", "exp": now() + 60}),
            &EncodingKey::from_secret(b"another-secret-another-secret-another"),
        )
        .unwrap();
        assert!(reason(jwt.verify(&other)).contains("signature"));
        let far = token(json!({"sub": "u", "email": "a@b.example", "exp": now() + 3600}));
        assert!(reason(jwt.verify(&far)).contains("too far"));
    }

    #[test]
    fn none_and_other_algorithms_are_refused() {
        let jwt = JwtIdentity::new(SECRET);
        // {"alg":"none"} with a valid-looking payload and an empty signature.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1IiwiZW1haWwiOiJhQGIuZXhhbXBsZSIsImV4cCI6OTk5OTk5OTk5OX0.";
        assert!(jwt.verify(none).is_err());
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &json!({"sub": "u", "email": "a@b.example", "exp": now() + 60}),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(reason(jwt.verify(&hs512)).contains("HS256"));
    }

    #[test]
    fn sub_email_and_exp_are_required() {
        let jwt = JwtIdentity::new(SECRET);
        assert!(
            jwt.verify(&token(json!({"email": "a@b.example", "exp": now() + 60})))
                .is_err()
        );
        assert!(
            jwt.verify(&token(json!({"sub": "u", "exp": now() + 60})))
                .is_err()
        );
        assert!(
            jwt.verify(&token(json!({"sub": "u", "email": "a@b.example"})))
                .is_err()
        );
        assert!(
            jwt.verify(&token(
                json!({"sub": "u", "email": "nope", "exp": now() + 60})
            ))
            .is_err()
        );
        assert!(
            jwt.verify(&token(
                json!({"sub": " ", "email": "a@b.example", "exp": now() + 60})
            ))
            .is_err()
        );
    }

    #[test]
    fn sub_may_be_a_string_or_a_number_and_email_verified_is_read() {
        let jwt = JwtIdentity::new(SECRET);
        let id = jwt
            .verify(&token(
                json!({"sub": 42, "email": " A@B.example ", "exp": now() + 60,
                "email_verified": true}),
            ))
            .unwrap();
        assert_eq!(id.subject, "42");
        assert_eq!(id.email, "A@B.example");
        assert_eq!(id.email_key(), "a@b.example");
        assert!(id.email_verified);
        let id = jwt
            .verify(&token(
                json!({"sub": "u", "email": "a@b.example", "exp": now() + 60,
                "email_verified": "true"}),
            ))
            .unwrap();
        assert!(id.email_verified, "providers that send a string");
        for unverified in [json!(false), json!("false"), json!(1), json!(null)] {
            let id = jwt
                .verify(&token(
                    json!({"sub": "u", "email": "a@b.example", "exp": now() + 60,
                    "email_verified": unverified}),
                ))
                .unwrap();
            assert!(!id.email_verified, "{unverified}");
        }
        let id = jwt
            .verify(&token(
                json!({"sub": "u", "email": "a@b.example", "exp": now() + 60}),
            ))
            .unwrap();
        assert!(!id.email_verified, "absent means unverified");
        assert!(
            jwt.verify(&token(
                json!({"sub": 1.5, "email": "a@b.example", "exp": now() + 60})
            ))
            .is_err()
        );
    }

    #[test]
    fn a_token_not_valid_yet_is_refused() {
        let jwt = JwtIdentity::new(SECRET);
        let early = token(
            json!({"sub": "u", "email": "a@b.example", "exp": now() + 600,
            "nbf": now() + 300}),
        );
        assert!(reason(jwt.verify(&early)).contains("nbf"));
    }

    #[test]
    fn audience_and_issuer_are_enforced_only_when_configured() {
        let claims = |aud: &str, iss: &str| {
            token(
                json!({"sub": "u", "email": "a@b.example", "exp": now() + 60,
                "aud": aud, "iss": iss}),
            )
        };
        let open = JwtIdentity::new(SECRET);
        open.verify(&claims("anything", "anyone")).unwrap();
        let strict = JwtIdentity::new(SECRET)
            .audience("dashboard")
            .issuer("https://app.example");
        strict
            .verify(&claims("dashboard", "https://app.example"))
            .unwrap();
        assert!(reason(strict.verify(&claims("other", "https://app.example"))).contains("aud"));
        assert!(
            reason(strict.verify(&claims("dashboard", "https://evil.example"))).contains("iss")
        );
        let bare = token(json!({"sub": "u", "email": "a@b.example", "exp": now() + 60}));
        assert!(
            strict.verify(&bare).is_err(),
            "aud and iss are required then"
        );
    }

    #[test]
    fn overlong_claims_are_refused() {
        let jwt = JwtIdentity::new(SECRET);
        let long_sub = "s".repeat(MAX_SUBJECT_LEN + 1);
        let long_email = format!("{}@b.example", "a".repeat(MAX_EMAIL_LEN));
        let long_name = "n".repeat(MAX_NAME_LEN + 1);
        for claims in [
            json!({"sub": long_sub, "email": "a@b.example", "exp": now() + 60}),
            json!({"sub": "u", "email": long_email, "exp": now() + 60}),
            json!({"sub": "u", "email": "a@b.example", "name": long_name, "exp": now() + 60}),
        ] {
            assert!(reason(jwt.verify(&token(claims))).contains("too long"));
        }
        let at_limit = "s".repeat(MAX_SUBJECT_LEN);
        jwt.verify(&token(
            json!({"sub": at_limit, "email": "a@b.example", "exp": now() + 60}),
        ))
        .unwrap();
    }

    #[test]
    fn a_second_secret_is_accepted_only_when_added() {
        let demo = b"demo-secret-demo-secret-demo-secret!!";
        let demo_token = encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub": "u", "email": "a@b.example", "exp": now() + 60}),
            &EncodingKey::from_secret(demo),
        )
        .unwrap();
        assert!(JwtIdentity::new(SECRET).verify(&demo_token).is_err());
        JwtIdentity::new(SECRET)
            .also_accepting(demo)
            .verify(&demo_token)
            .unwrap();
    }
}
