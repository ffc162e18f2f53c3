//! Checks of text that people type: limits counted as sent (as the OpenAPI
//! document's `maxLength` counts them), and no control characters.

use crate::comments::text::{normalise, MAX_LENGTH};
use crate::error::{ApiError, FieldError};

/// A text field: at most `max` characters counted as sent (as the schema's
/// maxLength counts them, surrounding white space included), no control
/// characters but those in `allowed` (anywhere, as sent); returned trimmed ("" when blank).
pub fn checked_text(
    field: &str,
    raw: &str,
    max: usize,
    allowed: &[char],
) -> Result<String, FieldError> {
    let text = raw.trim();
    if raw.chars().count() > max {
        Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else if has_control(raw, allowed) {
        Err(FieldError::new(
            field,
            "must not contain control characters",
        ))
    } else {
        Ok(text.to_string())
    }
}

/// Whether `text` holds a control character (C0, DEL, C1) other than those
/// `allowed`; checked on the text as sent, as the OpenAPI patterns do.
pub fn has_control(text: &str, allowed: &[char]) -> bool {
    text.chars()
        .any(|c| c.is_control() && !allowed.contains(&c))
}

/// Like [`checked_text`], and not blank: a name, a reason, a notice.
pub fn required_text(
    field: &str,
    raw: &str,
    max: usize,
    allowed: &[char],
) -> Result<String, FieldError> {
    let text = checked_text(field, raw, max, allowed)?;
    if text.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    Ok(text)
}

/// A comment's text, checked and normalised (line ends, trailing spaces,
/// runs of blank lines): 1 to [`MAX_LENGTH`] characters as sent, no control
/// characters but line breaks and tabs.
pub fn comment_body(field: &str, body: &str) -> Result<String, ApiError> {
    // The limit applies to the text as sent, as the schema's maxLength does.
    let sent = body.chars().count();
    let body = normalise(body);
    if body.is_empty() || sent > MAX_LENGTH {
        return Err(ApiError::invalid(
            field,
            format!("must be 1 to {MAX_LENGTH} characters of text"),
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(body)
}
