//! Argon2id password hashes and the rules a new password and email must meet.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::{ApiError, FieldError};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in bytes (hashing cost grows with it).
pub const MAX_PASSWORD_CHARS: usize = 512;

/// Hashes a password with argon2id and a fresh salt (PHC string).
pub fn hash(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))
}

/// Checks a password against a stored hash. `None` (no such user) still costs
/// one full verification, so a wrong email and a wrong password take as long.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let dummy = dummy_hash();
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok();
    ok && real
}

fn dummy_hash() -> &'static String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("timing-equaliser-not-a-password").unwrap_or_default())
}

const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "1111111111",
    "qwertyuiop",
    "password12",
    "password123",
    "password1234",
    "iloveyou12",
    "abcdefghij",
    "qwerty1234",
    "1q2w3e4r5t",
    "letmein123",
    "welcome123",
    "administrator",
    "newsdesk123",
    "changeme123",
    "passw0rd123",
];

/// The rules for a new password: long enough, not absurdly long, not a
/// well-known one and not the email address.
pub fn check_password(password: &str, email: &str) -> Option<FieldError> {
    let chars = password.chars().count();
    let lower = password.to_lowercase();
    let message = if chars < MIN_PASSWORD_CHARS {
        format!("must be at least {MIN_PASSWORD_CHARS} characters")
    } else if chars > MAX_PASSWORD_CHARS {
        format!("must be at most {MAX_PASSWORD_CHARS} characters")
    } else if COMMON_PASSWORDS.contains(&lower.as_str()) {
        "is too common".to_string()
    } else if password.chars().all(|c| password.starts_with(c)) {
        "must not repeat one character".to_string()
    } else if !email.is_empty() && lower == email.to_lowercase() {
        "must not be the email address".to_string()
    } else {
        return None;
    };
    Some(FieldError::new("password", message))
}

/// Normalises an email (trimmed, lower case) and checks its shape.
pub fn normalize_email(email: &str) -> Result<String, FieldError> {
    let email = email.trim().to_lowercase();
    let bad = || FieldError::new("email", "is not a valid email address");
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(bad());
    }
    Ok(email)
}

/// Checks a display name: at most 100 characters as sent, not blank.
pub fn check_display_name(name: &str) -> Result<String, FieldError> {
    let name = crate::validation::checked_text("display_name", name, 100, &[])?;
    if name.is_empty() {
        return Err(FieldError::new("display_name", "must not be empty"));
    }
    Ok(name)
}
