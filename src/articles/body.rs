//! The structured body of an article: typed blocks that web and mobile
//! clients render natively, validated on write, rendered to sanitised HTML or
//! plain text on request.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// Inline formatting over a character range of a block's text.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    /// `bold`, `italic` or `link`.
    #[serde(rename = "type")]
    #[schema(example = "link")]
    pub kind: String,
    /// First character (0-based, in Unicode scalar values).
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// Target of a link: `https:`, `http:` or `mailto:`.
    pub href: Option<String>,
}

/// One block of an article body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// A paragraph with inline marks.
    Paragraph {
        /// The text.
        text: String,
        /// Bold, italic and links; they may nest but not partly overlap.
        #[serde(default)]
        marks: Vec<Mark>,
    },
    /// A subheading, level 2 to 4.
    Heading {
        /// 2, 3 or 4.
        level: u8,
        /// The text.
        text: String,
    },
    /// A quotation with who said it.
    Quote {
        /// The words quoted.
        text: String,
        /// Who said it.
        attribution: Option<String>,
    },
    /// A bulleted or numbered list.
    List {
        /// `ordered` or `unordered`.
        style: String,
        /// The items.
        items: Vec<String>,
    },
    /// An image from the media library.
    Image {
        /// Media asset id.
        media_id: String,
        /// Caption for this use, instead of the asset's.
        caption: Option<String>,
    },
    /// An embed from an allowed provider; stored, never fetched by the server.
    Embed {
        /// `https://` URL on an allowed host.
        url: String,
    },
    /// Raw HTML, sanitised on write.
    Html {
        /// The markup (scripts, event handlers and unknown tags are removed).
        html: String,
    },
}

/// Longest `embed` URL, in characters.
pub const MAX_URL: usize = 2000;

/// Hosts an `embed` block may point at.
pub const EMBED_HOSTS: &[&str] = &[
    "www.youtube.com",
    "youtube.com",
    "youtu.be",
    "vimeo.com",
    "player.vimeo.com",
    "x.com",
    "twitter.com",
    "www.instagram.com",
    "www.facebook.com",
    "www.tiktok.com",
    "open.spotify.com",
    "soundcloud.com",
    "www.google.com",
    "datawrapper.dwcdn.net",
    "flo.uri.sh",
];

const MAX_BLOCKS: usize = 1000;
const MAX_TEXT: usize = 20_000;

fn host_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.contains('@') && !host.is_empty()).then_some(host)
}

fn safe_href(href: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        && !href.chars().any(|c| c.is_control() || c == ' ')
}

/// Validates blocks in place (sanitising `html` blocks); errors name
/// `body[i].field`. Returns the media ids that image blocks use.
pub fn validate(blocks: &mut [Block], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut media = Vec::new();
    if blocks.len() > MAX_BLOCKS {
        errors.push(FieldError::new(
            "body",
            format!("may have at most {MAX_BLOCKS} blocks"),
        ));
        return media;
    }
    for (i, block) in blocks.iter_mut().enumerate() {
        let mut err = |field: &str, message: &str| {
            errors.push(FieldError::new(format!("body[{i}].{field}"), message))
        };
        let too_long = |t: &str| t.chars().count() > MAX_TEXT;
        // Text takes line breaks; HTML tabs and carriage returns too.
        let control = |t: &str| crate::validation::has_control(t, &['\n']);
        match block {
            Block::Paragraph { text, marks } => {
                if too_long(text) {
                    err("text", "is too long");
                }
                if control(text) {
                    err("text", "must not contain control characters");
                }
                let len = text.chars().count();
                for m in marks.iter() {
                    if m.start >= m.end || m.end > len {
                        err("marks", "a mark must cover characters of the text");
                    }
                    match (m.kind.as_str(), &m.href) {
                        ("bold" | "italic", None) => {}
                        ("link", Some(href)) if safe_href(href) => {}
                        ("link", _) => err("marks", "a link needs an https, http or mailto href"),
                        _ => err(
                            "marks",
                            "marks are bold, italic or link (links alone take href)",
                        ),
                    }
                }
                for (a, x) in marks.iter().enumerate() {
                    for y in marks.iter().skip(a + 1) {
                        let nested = (x.start <= y.start && y.end <= x.end)
                            || (y.start <= x.start && x.end <= y.end);
                        let apart = x.end <= y.start || y.end <= x.start;
                        if !nested && !apart {
                            err("marks", "marks may nest but not partly overlap");
                        }
                    }
                }
            }
            Block::Heading { level, text } => {
                if !(2..=4).contains(level) {
                    err("level", "must be 2, 3 or 4");
                }
                if text.trim().is_empty() || too_long(text) || control(text) {
                    err("text", "must be 1 to 20000 characters of text");
                }
            }
            Block::Quote { text, .. } => {
                if text.trim().is_empty() || too_long(text) || control(text) {
                    err("text", "must be 1 to 20000 characters of text");
                }
            }
            Block::List { style, items } => {
                if style != "ordered" && style != "unordered" {
                    err("style", "must be ordered or unordered");
                }
                if items.is_empty() || items.iter().any(|t| too_long(t) || control(t)) {
                    err(
                        "items",
                        "must be 1 or more items of at most 20000 characters",
                    );
                }
            }
            Block::Image { media_id, .. } => media.push(media_id.clone()),
            Block::Embed { url } => {
                if !host_of(url).is_some_and(|h| EMBED_HOSTS.contains(&h))
                    || url.chars().any(|c| c.is_control() || c == ' ')
                    || url.chars().count() > MAX_URL
                {
                    err(
                        "url",
                        "must be an https URL of an allowed embed provider, without spaces or control characters, of at most 2000 characters",
                    );
                }
            }
            Block::Html { html } => {
                if too_long(html) {
                    err("html", "is too long");
                }
                if crate::validation::has_control(html, &['\n', '\t', '\r']) {
                    err("html", "must not contain control characters");
                }
                *html = ammonia::clean(html);
            }
        }
    }
    media
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

/// A paragraph's text with its marks as HTML.
fn render_marks(text: &str, marks: &[Mark]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut opens: Vec<Vec<String>> = vec![Vec::new(); chars.len() + 1];
    let mut closes: Vec<Vec<&'static str>> = vec![Vec::new(); chars.len() + 1];
    // Wider marks open first and close last, so nested marks stay well formed.
    let mut sorted: Vec<&Mark> = marks
        .iter()
        .filter(|m| m.start < m.end && m.end <= chars.len())
        .collect();
    sorted.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    for m in sorted {
        let (open, close) = match m.kind.as_str() {
            "bold" => ("<strong>".to_string(), "</strong>"),
            "italic" => ("<em>".to_string(), "</em>"),
            _ => (
                format!(
                    "<a href=\"{}\" rel=\"noopener nofollow\">",
                    escape(m.href.as_deref().unwrap_or("#"))
                ),
                "</a>",
            ),
        };
        opens[m.start].push(open);
        closes[m.end].insert(0, close);
    }
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        for close in &closes[i] {
            out.push_str(close);
        }
        for open in &opens[i] {
            out.push_str(open);
        }
        out.push_str(&escape(&c.to_string()));
    }
    for close in &closes[chars.len()] {
        out.push_str(close);
    }
    out
}

/// The body as HTML. Text is escaped, `html` blocks were sanitised on write;
/// images are `<figure>`s whose source the caller supplies.
pub fn to_html(
    blocks: &[Block],
    image_src: impl Fn(&str) -> Option<(String, Option<String>)>,
) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Paragraph { text, marks } => out.push_str(&format!("<p>{}</p>", render_marks(text, marks))),
            Block::Heading { level, text } => out.push_str(&format!("<h{level}>{}</h{level}>", escape(text))),
            Block::Quote { text, attribution } => {
                out.push_str(&format!("<blockquote><p>{}</p>", escape(text)));
                if let Some(who) = attribution {
                    out.push_str(&format!("<cite>{}</cite>", escape(who)));
                }
                out.push_str("</blockquote>");
            }
            Block::List { style, items } => {
                let tag = if style == "ordered" { "ol" } else { "ul" };
                out.push_str(&format!("<{tag}>"));
                for item in items {
                    out.push_str(&format!("<li>{}</li>", escape(item)));
                }
                out.push_str(&format!("</{tag}>"));
            }
            Block::Image { media_id, caption } => {
                if let Some((src, asset_caption)) = image_src(media_id) {
                    out.push_str(&format!("<figure><img src=\"{}\" alt=\"\">", escape(&src)));
                    if let Some(c) = caption.as_ref().or(asset_caption.as_ref()) {
                        out.push_str(&format!("<figcaption>{}</figcaption>", escape(c)));
                    }
                    out.push_str("</figure>");
                }
            }
            Block::Embed { url } => out.push_str(&format!(
                "<figure class=\"embed\"><a href=\"{0}\" rel=\"noopener nofollow\">{0}</a></figure>",
                escape(url)
            )),
            Block::Html { html } => out.push_str(html),
        }
    }
    out
}

/// The plain text of a body as stored (its blocks' JSON): what search
/// indexes and excerpts.
pub fn stored_text(stored: &str) -> String {
    to_text(&serde_json::from_str::<Vec<Block>>(stored).unwrap_or_default())
}

/// The body as plain text, one block per paragraph.
pub fn to_text(blocks: &[Block]) -> String {
    let mut parts = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph { text, .. } | Block::Heading { text, .. } => parts.push(text.clone()),
            Block::Quote { text, attribution } => parts.push(match attribution {
                Some(who) => format!("“{text}” — {who}"),
                None => format!("“{text}”"),
            }),
            Block::List { items, .. } => parts.push(
                items
                    .iter()
                    .map(|i| format!("• {i}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Block::Image {
                caption: Some(c), ..
            } => parts.push(c.clone()),
            Block::Html { html } => parts.push(ammonia::Builder::empty().clean(html).to_string()),
            Block::Image { .. } | Block::Embed { .. } => {}
        }
    }
    parts.join("\n\n")
}

/// Words in the body (for `word_count` and `reading_minutes`).
pub fn word_count(blocks: &[Block]) -> usize {
    to_text(blocks)
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_marks_and_escapes() {
        let blocks = vec![
            Block::Paragraph {
                text: "Read <this> now".into(),
                marks: vec![
                    Mark {
                        kind: "bold".into(),
                        start: 0,
                        end: 11,
                        href: None,
                    },
                    Mark {
                        kind: "link".into(),
                        start: 5,
                        end: 11,
                        href: Some("https://example.com/?a=1&b=2".into()),
                    },
                ],
            },
            Block::Quote {
                text: "We hope".into(),
                attribution: Some("The minister".into()),
            },
        ];
        assert_eq!(
            to_html(&blocks, |_| None),
            "<p><strong>Read <a href=\"https://example.com/?a=1&amp;b=2\" rel=\"noopener nofollow\">&lt;this&gt;</a></strong> now</p>\
             <blockquote><p>We hope</p><cite>The minister</cite></blockquote>"
        );
        // Three words, two quoted, two of attribution.
        assert_eq!(word_count(&blocks), 7);
    }

    #[test]
    fn validates_blocks() {
        let mut blocks = vec![
            Block::Heading {
                level: 1,
                text: "x".into(),
            },
            Block::Embed {
                url: "https://evil.example/x".into(),
            },
            Block::Paragraph {
                text: "abc".into(),
                marks: vec![Mark {
                    kind: "link".into(),
                    start: 0,
                    end: 2,
                    href: Some("javascript:alert(1)".into()),
                }],
            },
            Block::Html {
                html: "<p onclick=\"x()\">ok</p><script>bad()</script>".into(),
            },
            Block::Embed {
                url: "https://www.youtube.com/watch?v=1".into(),
            },
            Block::Embed {
                url: "https://www.youtube.com/@newsroom".into(),
            },
            Block::Embed {
                url: "https://youtube.com?\u{91}".into(),
            },
            Block::Embed {
                url: "https://vimeo.com/1 2".into(),
            },
            Block::Embed {
                url: format!("https://vimeo.com/{}", "1".repeat(MAX_URL)),
            },
        ];
        let mut errors = Vec::new();
        validate(&mut blocks, &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "body[0].level",
                "body[1].url",
                "body[2].marks",
                "body[6].url",
                "body[7].url",
                "body[8].url"
            ]
        );
        assert_eq!(
            blocks[3],
            Block::Html {
                html: "<p>ok</p>".into()
            }
        );
    }
}
