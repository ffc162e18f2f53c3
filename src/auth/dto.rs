//! Wire types of the auth endpoints.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new reader account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "reader@example.com", "password": "correct horse battery", "display_name": "Jo Reader"}))]
pub struct RegisterRequest {
    /// Login email; stored in lower case.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 10 characters; not a well-known password, not the email.
    #[schema(min_length = 10, max_length = 512)]
    pub password: String,
    /// Name shown with the reader's comments (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
}

/// Email and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "editor@example.com", "password": "correct horse battery"}))]
pub struct LoginRequest {
    /// Login email (any case).
    pub email: String,
    /// Password.
    pub password: String,
}

/// A refresh token, to rotate or to revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The `refresh_token` of the last login or refresh.
    #[schema(example = "q0Wm3oX1g4dAsZJvY2V7nK9tL5pR8uCeHbFjM6iNw0s")]
    pub refresh_token: String,
}

/// A token pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Exchange at `/api/v1/auth/refresh` for a new pair; works once.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
}
