//! Short-lived HS256 access tokens.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::role::Role;
use crate::error::ApiError;

const ISSUER: &str = "newsdesk";

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The role when the token was issued (the current role is read per request).
    pub role: Role,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Token id.
    pub jti: String,
    /// Always `newsdesk`.
    pub iss: String,
}

const PREVIEW_AUDIENCE: &str = "preview";

/// The claims of a preview token.
#[derive(Debug, Serialize, Deserialize)]
struct PreviewClaims {
    sub: String,
    aud: String,
    exp: u64,
    iat: u64,
    iss: String,
}

/// Keys and rules for signing and checking access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtKeys {
    /// Keys from the configured secret.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        // Only HS256 verifies: a token claiming `none` or another algorithm fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// Lifetime of an access token in seconds.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// Signs an access token for a user.
    pub fn issue(&self, user_id: &str, role: Role) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iat: now,
            exp: now + self.ttl.as_secs(),
            jti: uuid::Uuid::now_v7().to_string(),
            iss: ISSUER.to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("signing a token failed: {e}")))
    }

    /// Signs a preview token for one article: valid for `ttl`, good for
    /// reading that article only (its audience is `preview`, so it is no
    /// access token, and no access token is a preview token).
    pub fn issue_preview(
        &self,
        article_id: &str,
        ttl: Duration,
    ) -> Result<(String, u64), ApiError> {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let claims = PreviewClaims {
            sub: article_id.to_string(),
            aud: PREVIEW_AUDIENCE.to_string(),
            iat: now,
            exp: now + ttl.as_secs(),
            iss: ISSUER.to_string(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("signing a preview token failed: {e}")))?;
        Ok((token, claims.exp))
    }

    /// The article a preview token is for; 401 when it is forged or expired.
    pub fn verify_preview(&self, token: &str) -> Result<String, ApiError> {
        let mut validation = self.validation.clone();
        validation.set_audience(&[PREVIEW_AUDIENCE]);
        decode::<PreviewClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims.sub)
            .map_err(|_| {
                ApiError::Unauthorized("the preview link is not valid or has expired".into())
            })
    }

    /// Verifies signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    _ => "the access token is not valid",
                };
                ApiError::Unauthorized(why.into())
            })
    }
}
