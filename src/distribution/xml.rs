//! A small XML writer: elements and attributes with every text escaped, so
//! that hostile text (`&`, `<`, quotes, control characters) can never break
//! a feed or a sitemap. Cyrillic and emoji pass through as UTF-8.

/// Appends `text` escaped for element content and attribute values alike.
/// Characters XML 1.0 does not allow at all (most C0 controls) are dropped.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// An XML document being written.
pub struct Xml {
    out: String,
}

impl Xml {
    /// A document with its declaration.
    pub fn new() -> Self {
        let mut out = String::with_capacity(16 * 1024);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        Self { out }
    }

    /// Opens `<name a="v"…>`.
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.start(name, attrs);
        self.out.push('>');
        self
    }

    /// `<name a="v"…/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.start(name, attrs);
        self.out.push_str("/>");
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name a="v"…>text</name>`, the text escaped.
    pub fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.open(name, attrs);
        escape_into(&mut self.out, text);
        self.close(name)
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value);
            self.out.push('"');
        }
    }

    /// The document's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

impl Default for Xml {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_controls() {
        let mut out = String::new();
        escape_into(&mut out, "a & b <c> \"d\" 'e'\u{1}\u{8} — Мир 🌍");
        assert_eq!(
            out,
            "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; — Мир 🌍"
        );
        let mut doc = Xml::new();
        doc.open("a", &[("href", "x?y=1&z=\"2\"")])
            .text("b", &[], "</b>")
            .close("a");
        let text = String::from_utf8(doc.finish()).expect("UTF-8");
        assert!(text.ends_with("<a href=\"x?y=1&amp;z=&quot;2&quot;\"><b>&lt;/b&gt;</b></a>"));
    }
}
