//! The credit line a frontend prints under a photo.

/// Derives "© Agency / Photographer" from the credit fields: the copyright
/// notice (or "© holder", or "© provider"), then the creators.
pub fn derive_credit_line(
    creators: &[String],
    copyright_notice: Option<&str>,
    copyright_holder: Option<&str>,
    provider: Option<&str>,
) -> Option<String> {
    let rights = copyright_notice
        .map(str::to_string)
        .or_else(|| copyright_holder.or(provider).map(|who| format!("© {who}")));
    let people = creators.join(", ");
    match (rights, people.is_empty()) {
        (Some(rights), false) if rights.contains(&people) => Some(rights),
        (Some(rights), false) => Some(format!("{rights} / {people}")),
        (Some(rights), true) => Some(rights),
        (None, false) => Some(people),
        (None, true) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_lines() {
        let guneev = vec!["Sergei Guneev".to_string()];
        assert_eq!(
            derive_credit_line(&guneev, Some("© RIA Novosti"), None, Some("RIA Novosti"))
                .as_deref(),
            Some("© RIA Novosti / Sergei Guneev")
        );
        assert_eq!(
            derive_credit_line(&guneev, None, None, Some("AP")).as_deref(),
            Some("© AP / Sergei Guneev")
        );
        assert_eq!(
            derive_credit_line(&guneev, None, None, None).as_deref(),
            Some("Sergei Guneev")
        );
        assert_eq!(
            derive_credit_line(&[], None, Some("Jane Roe"), None).as_deref(),
            Some("© Jane Roe")
        );
        assert_eq!(derive_credit_line(&[], None, None, None), None);
        let two = vec!["A".to_string(), "B".to_string()];
        assert_eq!(
            derive_credit_line(&two, Some("© X"), None, None).as_deref(),
            Some("© X / A, B")
        );
    }
}
