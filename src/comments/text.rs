//! A comment body is plain text. Its HTML form escapes everything, turns
//! blank lines into paragraphs and line breaks into `<br>`, and makes
//! `http(s)://` addresses links that search engines do not follow. Nothing
//! the reader typed can become markup: `<script>` stays text, and only
//! `http` and `https` addresses become links (never `javascript:`).

/// The longest comment, in characters.
pub const MAX_LENGTH: usize = 5000;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Normalises a submitted body: Windows line ends become `\n`, trailing
/// spaces of the whole go, runs of more than one blank line shrink to one.
pub fn normalise(body: &str) -> String {
    let unified = body.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len());
    let mut blank_run = 0;
    for line in unified.trim().split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// Where a web address starting at `start` ends: at white space, and
/// without trailing punctuation that belongs to the sentence.
fn link_end(text: &str, start: usize) -> usize {
    let rest = &text[start..];
    let mut end = rest
        .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
        .unwrap_or(rest.len());
    while end > 0 {
        let last = rest[..end].chars().next_back().unwrap_or(' ');
        if ".,;:!?)]}'".contains(last) {
            end -= last.len_utf8();
        } else {
            break;
        }
    }
    start + end
}

/// One line, escaped, with its web addresses as links.
fn line_html(line: &str, out: &mut String) {
    let mut pos = 0;
    while pos < line.len() {
        let next = ["https://", "http://"]
            .iter()
            .filter_map(|scheme| line[pos..].find(scheme).map(|i| (pos + i, scheme.len())))
            .min();
        let Some((start, scheme_len)) = next else {
            break;
        };
        let end = link_end(line, start);
        if end <= start + scheme_len {
            // A bare scheme is no address.
            out.push_str(&escape(&line[pos..start + scheme_len]));
            pos = start + scheme_len;
            continue;
        }
        out.push_str(&escape(&line[pos..start]));
        let url = escape(&line[start..end]);
        out.push_str(&format!(
            "<a href=\"{url}\" rel=\"nofollow ugc noopener\">{url}</a>"
        ));
        pos = end;
    }
    out.push_str(&escape(&line[pos..]));
}

/// The HTML form of a (normalised) body.
pub fn to_html(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 32);
    for paragraph in body.split("\n\n") {
        out.push_str("<p>");
        for (i, line) in paragraph.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            line_html(line, &mut out);
        }
        out.push_str("</p>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_stays_text() {
        let html = to_html("<script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert_eq!(
            html,
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;</p>"
        );
    }

    #[test]
    fn only_http_addresses_become_links() {
        let html = to_html("see javascript:alert(1) and https://example.com/a?b=1&c=2.");
        assert_eq!(
            html,
            "<p>see javascript:alert(1) and <a href=\"https://example.com/a?b=1&amp;c=2\" \
             rel=\"nofollow ugc noopener\">https://example.com/a?b=1&amp;c=2</a>.</p>"
        );
        assert!(!to_html("https://\"onmouseover=x").contains("<a"));
    }

    #[test]
    fn paragraphs_and_breaks() {
        let body = normalise("First line\r\nsecond line\n\n\n\nNew paragraph  \n");
        assert_eq!(body, "First line\nsecond line\n\nNew paragraph");
        assert_eq!(
            to_html(&body),
            "<p>First line<br>second line</p><p>New paragraph</p>"
        );
    }
}
