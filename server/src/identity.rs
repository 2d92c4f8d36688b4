//! Who is asking: the host's user, proven by an HS256 JWT (SPEC §6) or by a Rust host's own
//! extractor through [`IdentityProvider`].

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::Deserialize;

use crate::error::Error;

/// The furthest in the future a token may expire: identity tokens are minted per page load or
/// per request, so a long-lived one is more likely stolen than intended.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Tolerated clock difference between the host that signs and this server.
const LEEWAY_SECS: u64 = 30;

/// The host's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The host's stable user id (`sub`).
    pub subject: String,
    /// Their email; the platform matches referrers by it.
    pub email: String,
    /// Their display name, used as the referrer's first name on creation.
    pub name: Option<String>,
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
    key: DecodingKey,
    validation: Validation,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    email: String,
    #[serde(default)]
    name: Option<String>,
    exp: u64,
}

impl JwtIdentity {
    /// Verifies tokens signed with `secret`.
    pub fn new(secret: &[u8]) -> Self {
        // HS256 only: tokens with "none" or any other algorithm are refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = LEEWAY_SECS;
        Self {
            key: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Verifies one token.
    ///
    /// # Errors
    /// [`Error::Unauthenticated`] with the reason.
    pub fn verify(&self, token: &str) -> Result<Identity, Error> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(
            |error| {
                Error::Unauthenticated(match error.kind() {
                    ErrorKind::ExpiredSignature => "the identity token has expired",
                    ErrorKind::InvalidSignature => "the identity token's signature is invalid",
                    ErrorKind::InvalidAlgorithm => "the identity token must be signed with HS256",
                    ErrorKind::MissingRequiredClaim(_) => {
                        "the identity token lacks a required claim (sub, email, exp)"
                    }
                    _ => "the identity token is malformed",
                })
            },
        )?;
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
        let email = claims.email.trim();
        if claims.sub.trim().is_empty() || !is_plausible_email(email) {
            return Err(Error::Unauthenticated(
                "the identity token needs a non-empty sub and a valid email",
            ));
        }
        Ok(Identity {
            subject: claims.sub,
            email: email.to_owned(),
            name: claims.name.filter(|n| !n.trim().is_empty()),
        })
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
            !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
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
}
