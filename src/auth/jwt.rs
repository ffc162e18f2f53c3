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
///
/// Tokens name their key in the header (`kid`, a digest of the secret that
/// does not reveal it), so the secret can be rotated without logging anyone
/// out: the new secret signs, the previous one (configured beside it) still
/// verifies what it signed until those tokens expire.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    previous: Option<(String, DecodingKey)>,
    validation: Validation,
    ttl: Duration,
}

/// The key id of a secret: the first 8 bytes of its SHA-256, in hex.
fn key_id(secret: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl JwtKeys {
    /// Keys from the configured secret, and the previous one while a
    /// rotation is under way.
    pub fn with_previous(secret: &[u8], previous: Option<&[u8]>, ttl: Duration) -> Self {
        let mut keys = Self::new(secret, ttl);
        keys.previous = previous.map(|p| (key_id(p), DecodingKey::from_secret(p)));
        keys
    }

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
            kid: key_id(secret),
            previous: None,
            validation,
            ttl,
        }
    }

    fn header(&self) -> Header {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        header
    }

    /// Decodes with the key the token names: the previous secret's when its
    /// `kid` is that one's, else the current secret's.
    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<T, jsonwebtoken::errors::Error> {
        let kid = jsonwebtoken::decode_header(token)?.kid;
        let key = match (&self.previous, &kid) {
            (Some((previous_kid, key)), Some(kid)) if previous_kid == kid => key,
            _ => &self.decoding,
        };
        match (decode::<T>(token, key, validation), &self.previous, kid) {
            // Tokens from before key ids were written name none: either key.
            (Err(_), Some((_, previous)), None) => {
                decode::<T>(token, previous, validation).map(|data| data.claims)
            }
            (decoded, _, _) => decoded.map(|data| data.claims),
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
        encode(&self.header(), &claims, &self.encoding)
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
        let token = encode(&self.header(), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("signing a preview token failed: {e}")))?;
        Ok((token, claims.exp))
    }

    /// The article a preview token is for; 401 when it is forged or expired.
    pub fn verify_preview(&self, token: &str) -> Result<String, ApiError> {
        let mut validation = self.validation.clone();
        validation.set_audience(&[PREVIEW_AUDIENCE]);
        self.decode::<PreviewClaims>(token, &validation)
            .map(|claims| claims.sub)
            .map_err(|_| {
                ApiError::Unauthorized("the preview link is not valid or has expired".into())
            })
    }

    /// Verifies signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        self.decode::<Claims>(token, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match e.kind() {
                ErrorKind::ExpiredSignature => "the access token has expired",
                _ => "the access token is not valid",
            };
            ApiError::Unauthorized(why.into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &[u8] = b"the-old-secret-the-old-secret-0123456789";
    const NEW: &[u8] = b"the-new-secret-the-new-secret-0123456789";
    const TTL: Duration = Duration::from_secs(900);

    #[test]
    fn a_rotation_keeps_old_tokens_until_they_expire() {
        let old = JwtKeys::new(OLD, TTL);
        let token = old.issue("user-1", Role::Editor).expect("token");
        let (preview, _) = old
            .issue_preview("article-1", Duration::from_secs(60))
            .expect("preview");
        assert_eq!(
            jsonwebtoken::decode_header(&token).expect("header").kid,
            Some(key_id(OLD))
        );
        let rotated = JwtKeys::with_previous(NEW, Some(OLD), TTL);
        assert_eq!(rotated.verify(&token).expect("still valid").sub, "user-1");
        assert_eq!(
            rotated.verify_preview(&preview).expect("valid"),
            "article-1"
        );
        let fresh = rotated.issue("user-1", Role::Editor).expect("token");
        assert!(rotated.verify(&fresh).is_ok());
        assert!(
            old.verify(&fresh).is_err(),
            "the old key does not verify new tokens"
        );
        // Once the previous secret is dropped, its tokens stop working.
        let done = JwtKeys::new(NEW, TTL);
        assert!(done.verify(&token).is_err());
        assert!(done.verify(&fresh).is_ok());
        // A token naming the previous key but signed with another is refused.
        let forged = JwtKeys::new(b"someone-elses-secret-someone-elses-0123", TTL);
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key_id(OLD));
        let claims = jsonwebtoken::decode::<Claims>(
            &token,
            &DecodingKey::from_secret(OLD),
            &rotated.validation,
        )
        .expect("claims")
        .claims;
        let forged = encode(&header, &claims, &forged.encoding).expect("forged");
        assert!(rotated.verify(&forged).is_err());
    }
}
