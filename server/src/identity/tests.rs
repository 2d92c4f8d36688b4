//! Identity tokens: what is accepted, and every way a token is refused.

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
    assert!(reason(strict.verify(&claims("dashboard", "https://evil.example"))).contains("iss"));
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

#[test]
fn a_control_character_in_sub_is_refused_as_unauthenticated() {
    let identity = JwtIdentity::new(SECRET);
    for sub in ["u-\u{0}ada", "u-\nada", "\u{7f}u"] {
        let claims = json!({"sub": sub, "email": "ada@example.com", "exp": now() + 60});
        assert!(
            reason(identity.verify(&token(claims))).contains("control character"),
            "{sub:?}"
        );
    }
}

#[test]
fn a_token_naming_critical_header_parameters_is_refused() {
    let identity = JwtIdentity::new(SECRET);
    let claims = json!({"sub": "u-ada", "email": "ada@example.com", "exp": now() + 60});
    let mut header = Header::new(Algorithm::HS256);
    header.crit = Some(vec!["exp".to_owned()]);
    let critical = encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    assert!(reason(identity.verify(&critical)).contains("crit"));
    assert!(identity.verify(&token(claims)).is_ok());
}
