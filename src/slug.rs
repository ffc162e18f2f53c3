//! URL slugs: lower-case ASCII words joined by hyphens, made from any script.
//! Cyrillic follows the common Russian romanisation ("Россия" → `rossiya`),
//! which readers recognise; other scripts go through `deunicode`.

/// Longest slug, in bytes.
pub const MAX_SLUG_LEN: usize = 100;

fn cyrillic(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' => "",
        'ы' => "y",
        'ь' => "",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        'є' => "ye",
        'і' => "i",
        'ї' => "yi",
        'ґ' => "g",
        'ў' => "u",
        _ => return None,
    })
}

/// Makes a slug from a name; empty when the name has nothing to spell it with.
pub fn slugify(name: &str) -> String {
    let mut ascii = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        // Apostrophes vanish inside words ("Editor’s" → "editors").
        if c == '\'' || c == '\u{2019}' {
            continue;
        }
        match cyrillic(c) {
            Some(latin) => ascii.push_str(latin),
            None if c.is_ascii() => ascii.push(c),
            // Letters of other scripts are romanised; symbols and emoji are
            // separators ("🎉" is not worth the word "tada" in a URL).
            None if c.is_alphanumeric() => {
                ascii.push_str(deunicode::deunicode_char(c).unwrap_or(" "))
            }
            None => ascii.push(' '),
        }
    }
    let mut slug = String::with_capacity(ascii.len());
    let mut pending_dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    truncate_slug(slug)
}

fn truncate_slug(mut slug: String) -> String {
    if slug.len() > MAX_SLUG_LEN {
        slug.truncate(MAX_SLUG_LEN);
        while slug.ends_with('-') {
            slug.pop();
        }
    }
    slug
}

/// Whether a client-given slug is well formed.
pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `base`, or `base-2`, `base-3`… : the first for which `taken` says no.
pub fn first_free<E>(
    base: &str,
    mut taken: impl FnMut(&str) -> Result<bool, E>,
) -> Result<String, E> {
    if !taken(base)? {
        return Ok(base.to_string());
    }
    let mut n = 2u32;
    loop {
        let suffix = format!("-{n}");
        let stem = truncate_slug(base[..base.len().min(MAX_SLUG_LEN - suffix.len())].to_string());
        let candidate = format!("{stem}{suffix}");
        if !taken(&candidate)? {
            return Ok(candidate);
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transliterates_and_joins() {
        assert_eq!(slugify("Россия"), "rossiya");
        assert_eq!(slugify("Щука и ёж"), "shchuka-i-yozh");
        assert_eq!(slugify("  Science & Tech!  "), "science-tech");
        assert_eq!(slugify("Editor’s Picks"), "editors-picks");
        assert_eq!(slugify("Café Crème"), "cafe-creme");
        assert_eq!(slugify("🎉"), "");
        assert!(!slugify("سوريا").is_empty());
    }

    #[test]
    fn validates() {
        assert!(is_valid("world-europe-2"));
        assert!(!is_valid("World"));
        assert!(!is_valid("a--b"));
        assert!(!is_valid("-a"));
        assert!(!is_valid(""));
        assert!(!is_valid(&"a".repeat(101)));
    }

    #[test]
    fn finds_free_suffix() {
        let taken = ["news", "news-2"];
        let free = first_free::<()>("news", |s| Ok(taken.contains(&s))).unwrap_or_default();
        assert_eq!(free, "news-3");
    }
}
