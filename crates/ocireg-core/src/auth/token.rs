//! The token endpoint's response: the Docker token spec's JSON and the
//! OAuth2 shape it overlaps with.
//!
//! ```text
//! {"token":"...","access_token":"...","expires_in":300,"issued_at":"2024-01-02T03:04:05Z"}
//! {"access_token":"...","token_type":"Bearer","expires_in":3600,"refresh_token":"..."}
//! ```
//!
//! Credentials never appear in `Debug`, `Display` or error messages.
//!
//! ```
//! use ocireg_core::auth::token::TokenResponse;
//! use std::time::{Duration, SystemTime};
//!
//! let body = br#"{"token":"eyJhbGciOi","expires_in":300,"issued_at":"2024-01-02T03:04:05Z"}"#;
//! let response = TokenResponse::parse(body)?;
//! assert_eq!(response.token().expose(), "eyJhbGciOi");
//! assert_eq!(response.lifetime(), Duration::from_secs(300));
//!
//! let issued = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_164_645);
//! let now = issued + Duration::from_secs(10);
//! assert_eq!(response.expires_at(now), issued + Duration::from_secs(300));
//! assert!(!format!("{response:?} {}", response.token()).contains("eyJhbGciOi"));
//! # Ok::<(), ocireg_core::auth::token::TokenError>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::secret::Secret;
use crate::dates::rfc3339_to_unix;

/// The shortest lifetime a token is given: the Docker token spec says a
/// missing `expires_in` means 60 seconds and smaller values mean 60.
pub const MIN_LIFETIME: Duration = Duration::from_secs(60);

/// The longest lifetime accepted (`u32::MAX` seconds, about 136 years);
/// larger `expires_in` values are lowered to it so that
/// [`TokenResponse::expires_at`] cannot overflow.
pub const MAX_LIFETIME: Duration = Duration::from_secs(u32::MAX as u64);

/// A parsed token endpoint response.
///
/// The token and the refresh token are [`Secret`]s: `Debug` shows the
/// lifetime and issue time but never them. `Serialize` writes the Docker
/// shape (`token`, `expires_in`, `issued_at`, `refresh_token`) with the
/// secrets in clear, which [`TokenResponse::parse`] reads back to an equal
/// value; it is for storing, never for logging.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    #[serde(serialize_with = "exposed")]
    token: Secret,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "exposed_option"
    )]
    refresh_token: Option<Secret>,
    expires_in: u64,
    /// `issued_at` as sent, kept only when it is a valid RFC 3339 time.
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_at: Option<String>,
}

/// The wire shape; fields other than these (`token_type`, `scope`, ...)
/// are ignored. `expires_in` and `issued_at` are read as any JSON so a
/// malformed one can be ignored instead of failing the whole response
/// (and so no error message can quote a string value).
#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    issued_at: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl Wire {
    /// Reads a JSON object only: the derived `Deserialize` would also take
    /// an array (`["tok", ...]`) as the struct's fields in order.
    fn from_json(body: &[u8]) -> Result<Wire, serde_json::Error> {
        struct ObjectVisitor;

        impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
            type Value = Wire;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Wire, A::Error> {
                Wire::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }

        let mut de = serde_json::Deserializer::from_slice(body);
        let wire = serde::Deserializer::deserialize_map(&mut de, ObjectVisitor)?;
        de.end()?;
        Ok(wire)
    }
}

/// Why a token response could not be used. The messages never include the
/// body.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The body is not JSON, or not a JSON object of the expected shape
    /// (for example, `token` is a number).
    #[error("token response is not a valid JSON token object (line {line}, column {column})")]
    Json {
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
    },
    /// Neither `token` nor `access_token` is present and non-empty.
    #[error("token response has no token (neither \"token\" nor \"access_token\")")]
    MissingToken,
    /// The token holds characters that cannot go into an `Authorization`
    /// header (only visible ASCII is allowed).
    #[error("token response's token contains characters not allowed in an HTTP header")]
    InvalidToken,
}

impl TokenResponse {
    /// Parses the token endpoint's JSON body.
    ///
    /// - The token is `token`, else `access_token` (the first of them that
    ///   is present and non-empty); neither is [`TokenError::MissingToken`].
    ///   It must be visible ASCII, as it goes into a header.
    /// - `expires_in` (seconds; a numeric string is accepted) missing,
    ///   `null`, negative or not a number means 60; values below 60 are
    ///   raised to 60, fractions dropped, values above [`MAX_LIFETIME`]
    ///   lowered to it.
    /// - `issued_at` (RFC 3339) is ignored when missing or malformed.
    /// - An empty `refresh_token` counts as none.
    pub fn parse(body: &[u8]) -> Result<TokenResponse, TokenError> {
        let wire = Wire::from_json(body).map_err(|e| TokenError::Json {
            line: e.line(),
            column: e.column(),
        })?;
        let token = [wire.token, wire.access_token]
            .into_iter()
            .flatten()
            .find(|t| !t.is_empty())
            .ok_or(TokenError::MissingToken)?;
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenError::InvalidToken);
        }
        let expires_in = wire
            .expires_in
            .as_ref()
            .and_then(seconds)
            .unwrap_or(0)
            .clamp(MIN_LIFETIME.as_secs(), MAX_LIFETIME.as_secs());
        let issued_at = match wire.issued_at {
            Some(serde_json::Value::String(s)) if rfc3339_to_unix(&s).is_some() => Some(s),
            _ => None,
        };
        Ok(TokenResponse {
            token: Secret::new(token),
            refresh_token: wire
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            expires_in,
            issued_at,
        })
    }

    /// The token to send as `Authorization: Bearer <token>`.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The OAuth2 refresh token, when the server gave one.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// How long the token is valid from its issue: `expires_in`, at least
    /// 60 seconds.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.expires_in)
    }

    /// When the server says it issued the token (`issued_at`), when given
    /// and valid.
    pub fn issued_at(&self) -> Option<SystemTime> {
        let unix = rfc3339_to_unix(self.issued_at.as_deref()?)?;
        let magnitude = Duration::from_secs(unix.unsigned_abs());
        if unix >= 0 {
            SystemTime::UNIX_EPOCH.checked_add(magnitude)
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(magnitude)
        }
    }

    /// When the token expires: `issued_at` plus the lifetime, or `now` plus
    /// the lifetime when `issued_at` is missing, malformed or later than
    /// `now` (the server's clock is ahead; counting from `now` then is the
    /// cautious choice). `now` is the time the response arrived.
    pub fn expires_at(&self, now: SystemTime) -> SystemTime {
        let start = self.issued_at().filter(|t| *t <= now).unwrap_or(now);
        start.checked_add(self.lifetime()).unwrap_or(now)
    }
}

/// Serializes a secret's value (for [`TokenResponse`]'s storage form).
fn exposed<S: serde::Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

fn exposed_option<S: serde::Serializer>(secret: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => s.serialize_some(secret.expose()),
        None => s.serialize_none(),
    }
}

/// Whole seconds from a JSON number (or a numeric string, which some token
/// servers send); `None` for anything else.
fn seconds(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            // Saturating cast: huge values become u64::MAX, negatives 0.
            (f.is_finite() && f >= 0.0).then_some(f as u64)
        }),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token", &self.token)
            .field("refresh_token", &self.refresh_token)
            .field("lifetime", &self.lifetime())
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKER_HUB: &[u8] = br#"{"token":"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.hub","access_token":"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.hub","expires_in":300,"issued_at":"2024-01-02T03:04:05.123456789Z"}"#;
    const OAUTH2: &[u8] = br#"{"access_token":"gho_abcdefghijklmnop","token_type":"Bearer","expires_in":3600,"refresh_token":"ghr_refreshrefresh","scope":"repository:a:pull"}"#;

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn docker_hub_shape() {
        let r = TokenResponse::parse(DOCKER_HUB).unwrap();
        assert_eq!(
            r.token().expose(),
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.hub"
        );
        assert_eq!(r.refresh_token(), None);
        assert_eq!(r.lifetime(), Duration::from_secs(300));
        let issued = at(1_704_164_645);
        assert_eq!(r.issued_at(), Some(issued));
        assert_eq!(
            r.expires_at(issued + Duration::from_secs(1)),
            at(1_704_164_945)
        );
    }

    #[test]
    fn oauth2_shape() {
        let r = TokenResponse::parse(OAUTH2).unwrap();
        assert_eq!(r.token().expose(), "gho_abcdefghijklmnop");
        assert_eq!(
            r.refresh_token().map(Secret::expose),
            Some("ghr_refreshrefresh")
        );
        assert_eq!(r.lifetime(), Duration::from_secs(3600));
        assert_eq!(r.issued_at(), None);
        assert_eq!(r.expires_at(at(1000)), at(4600));
    }

    #[test]
    fn token_is_preferred_over_access_token() {
        let r = TokenResponse::parse(br#"{"token":"a-token","access_token":"b-token"}"#).unwrap();
        assert_eq!(r.token().expose(), "a-token");
        let r = TokenResponse::parse(br#"{"token":"","access_token":"b-token"}"#).unwrap();
        assert_eq!(r.token().expose(), "b-token");
        let r = TokenResponse::parse(br#"{"token":null,"access_token":"b-token"}"#).unwrap();
        assert_eq!(r.token().expose(), "b-token");
    }

    #[test]
    fn missing_or_tiny_expires_in_means_60_seconds() {
        for body in [
            &br#"{"token":"t"}"#[..],
            br#"{"token":"t","expires_in":null}"#,
            br#"{"token":"t","expires_in":0}"#,
            br#"{"token":"t","expires_in":59}"#,
            br#"{"token":"t","expires_in":-300}"#,
            br#"{"token":"t","expires_in":"soon"}"#,
            br#"{"token":"t","expires_in":[300]}"#,
        ] {
            let r = TokenResponse::parse(body).unwrap();
            assert_eq!(
                r.lifetime(),
                MIN_LIFETIME,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let lifetime = |body: &[u8]| TokenResponse::parse(body).unwrap().lifetime().as_secs();
        assert_eq!(lifetime(br#"{"token":"t","expires_in":61}"#), 61);
        assert_eq!(lifetime(br#"{"token":"t","expires_in":90.9}"#), 90);
        assert_eq!(lifetime(br#"{"token":"t","expires_in":"120"}"#), 120);
        assert_eq!(
            lifetime(br#"{"token":"t","expires_in":1e300}"#),
            MAX_LIFETIME.as_secs()
        );
        assert_eq!(
            lifetime(br#"{"token":"t","expires_in":18446744073709551615}"#),
            MAX_LIFETIME.as_secs()
        );
    }

    #[test]
    fn malformed_or_future_issued_at_counts_from_now() {
        for issued_at in [
            r#""yesterday""#,
            r#""2024-01-02T03:04:05""#,
            r#""2024-02-30T00:00:00Z""#,
            "1704164645",
            "null",
        ] {
            let body = format!(r#"{{"token":"t","expires_in":300,"issued_at":{issued_at}}}"#);
            let r = TokenResponse::parse(body.as_bytes()).unwrap();
            assert_eq!(r.issued_at(), None, "{issued_at}");
            assert_eq!(r.expires_at(at(5000)), at(5300), "{issued_at}");
        }
        // Issued in the future by the server's clock: count from now.
        let r =
            TokenResponse::parse(br#"{"token":"t","issued_at":"2100-01-01T00:00:00Z"}"#).unwrap();
        assert!(r.issued_at().is_some());
        assert_eq!(r.expires_at(at(5000)), at(5060));
        // Issued long ago: already expired.
        let r =
            TokenResponse::parse(br#"{"token":"t","issued_at":"1970-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(r.expires_at(at(5000)), at(60));
    }

    #[test]
    fn no_token_is_an_error() {
        for body in [
            &b"{}"[..],
            br#"{"token":""}"#,
            br#"{"token":"","access_token":""}"#,
            br#"{"token":null}"#,
            br#"{"expires_in":300,"refresh_token":"r"}"#,
        ] {
            assert_eq!(TokenResponse::parse(body), Err(TokenError::MissingToken));
        }
        assert_eq!(
            TokenError::MissingToken.to_string(),
            "token response has no token (neither \"token\" nor \"access_token\")"
        );
    }

    #[test]
    fn tokens_must_fit_in_a_header() {
        for body in [
            &br#"{"token":"a b"}"#[..],
            br#"{"token":"a\r\nX-Evil: 1"}"#,
            br#"{"token":"caf\u00e9"}"#,
        ] {
            assert_eq!(TokenResponse::parse(body), Err(TokenError::InvalidToken));
        }
    }

    #[test]
    fn non_json_is_an_error_without_the_body() {
        for body in [
            &b""[..],
            b"<html>502 Bad Gateway</html>",
            b"[]",
            b"\"secret-token-value\"",
            br#"{"token":42}"#,
            br#"{"token":"a","token":"b"}"#,
        ] {
            let err = TokenResponse::parse(body).unwrap_err();
            assert!(matches!(err, TokenError::Json { .. }), "{err}");
            assert!(!err.to_string().contains("secret"));
        }
        assert_eq!(
            TokenResponse::parse(b"nope").unwrap_err().to_string(),
            "token response is not a valid JSON token object (line 1, column 2)"
        );
    }

    #[test]
    fn debug_redacts_credentials() {
        let r = TokenResponse::parse(OAUTH2).unwrap();
        let debug = format!("{r:?}");
        assert!(!debug.contains("gho_abcdefghijklmnop"), "{debug}");
        assert!(!debug.contains("ghr_refreshrefresh"), "{debug}");
        assert_eq!(
            debug,
            "TokenResponse { token: <redacted>, refresh_token: Some(<redacted>), lifetime: 3600s, issued_at: None }"
        );
        let r = TokenResponse::parse(DOCKER_HUB).unwrap();
        let debug = format!("{r:#?}");
        assert!(!debug.contains("eyJhbGci"), "{debug}");
        assert!(debug.contains("2024-01-02T03:04:05.123456789Z"), "{debug}");
    }

    #[test]
    fn serialization_round_trips() {
        for body in [
            DOCKER_HUB,
            OAUTH2,
            br#"{"access_token":"x","expires_in":1}"#,
        ] {
            let r = TokenResponse::parse(body).unwrap();
            let json = serde_json::to_vec(&r).unwrap();
            assert_eq!(TokenResponse::parse(&json).unwrap(), r);
        }
    }
}
