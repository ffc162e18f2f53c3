//! What a file is, decided from its first bytes (magic numbers), never from
//! its name or the client's Content-Type.

/// The kinds of asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Still images.
    Image,
    /// Video.
    Video,
    /// Audio.
    Audio,
    /// PDF documents.
    Document,
}

impl Kind {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Video => "video",
            Kind::Audio => "audio",
            Kind::Document => "document",
        }
    }
}

/// An accepted file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileType {
    /// Its media type.
    pub mime: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// The usual file-name extensions, first the canonical one.
    pub extensions: &'static [&'static str],
}

const JPEG: FileType = FileType {
    mime: "image/jpeg",
    kind: Kind::Image,
    extensions: &["jpg", "jpeg", "jpe"],
};
const PNG: FileType = FileType {
    mime: "image/png",
    kind: Kind::Image,
    extensions: &["png"],
};
const GIF: FileType = FileType {
    mime: "image/gif",
    kind: Kind::Image,
    extensions: &["gif"],
};
const WEBP: FileType = FileType {
    mime: "image/webp",
    kind: Kind::Image,
    extensions: &["webp"],
};
const AVIF: FileType = FileType {
    mime: "image/avif",
    kind: Kind::Image,
    extensions: &["avif"],
};
const MP4: FileType = FileType {
    mime: "video/mp4",
    kind: Kind::Video,
    extensions: &["mp4", "m4v"],
};
const WEBM: FileType = FileType {
    mime: "video/webm",
    kind: Kind::Video,
    extensions: &["webm"],
};
const MP3: FileType = FileType {
    mime: "audio/mpeg",
    kind: Kind::Audio,
    extensions: &["mp3"],
};
const PDF: FileType = FileType {
    mime: "application/pdf",
    kind: Kind::Document,
    extensions: &["pdf"],
};

/// Every accepted type.
pub const ACCEPTED: [FileType; 9] = [JPEG, PNG, GIF, WEBP, AVIF, MP4, WEBM, MP3, PDF];

/// How many leading bytes [`detect`] needs.
pub const SNIFF_LEN: usize = 64;

/// The type of a file from its first bytes; `None` for anything not accepted.
pub fn detect(head: &[u8]) -> Option<FileType> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some(JPEG);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(PNG);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(GIF);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(WEBP);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        if brand == b"avif" || brand == b"avis" {
            return Some(AVIF);
        }
        // ISO base media: the common MP4 brands.
        const MP4_BRANDS: [&[u8]; 9] = [
            b"isom", b"iso2", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash",
        ];
        if MP4_BRANDS.contains(&brand) {
            return Some(MP4);
        }
        return None;
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        // Matroska's EBML header; WebM names its doctype within the first bytes.
        return head.windows(4).any(|w| w == b"webm").then_some(WEBM);
    }
    if starts(b"ID3")
        || (head.len() >= 2 && head[0] == 0xFF && matches!(head[1], 0xFB | 0xF3 | 0xF2))
    {
        return Some(MP3);
    }
    if starts(b"%PDF-") {
        return Some(PDF);
    }
    None
}

/// Whether the bytes look like markup (SVG, HTML, XML): refused because a
/// browser would run their scripts.
pub fn looks_like_markup(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    first == Some(&b'<')
}

/// The accepted type a file-name extension names, if any.
pub fn type_for_extension(filename: &str) -> Option<FileType> {
    let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    ACCEPTED
        .into_iter()
        .find(|t| t.extensions.contains(&ext.as_str()))
}

/// The accepted type a declared media type names, if any.
pub fn type_for_mime(mime: &str) -> Option<FileType> {
    let essence = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let essence = match essence.as_str() {
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        "audio/mp3" => "audio/mpeg",
        other => other,
    }
    .to_string();
    ACCEPTED.into_iter().find(|t| t.mime == essence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic() {
        assert_eq!(
            detect(b"\xFF\xD8\xFF\xE0\0\x10JFIF").map(|t| t.mime),
            Some("image/jpeg")
        );
        assert_eq!(
            detect(b"\x89PNG\r\n\x1a\n\0\0").map(|t| t.mime),
            Some("image/png")
        );
        assert_eq!(
            detect(b"RIFF\0\0\0\0WEBPVP8 ").map(|t| t.mime),
            Some("image/webp")
        );
        assert_eq!(
            detect(b"\0\0\0\x20ftypavif").map(|t| t.mime),
            Some("image/avif")
        );
        assert_eq!(
            detect(b"\0\0\0\x20ftypisom").map(|t| t.mime),
            Some("video/mp4")
        );
        assert_eq!(detect(b"%PDF-1.7").map(|t| t.mime), Some("application/pdf"));
        assert_eq!(detect(b"ID3\x04").map(|t| t.mime), Some("audio/mpeg"));
        assert_eq!(detect(b"hello world"), None);
        assert!(looks_like_markup(b"\xEF\xBB\xBF  <svg xmlns="));
        assert!(!looks_like_markup(b"%PDF-"));
    }

    #[test]
    fn names_and_declared_types() {
        assert_eq!(
            type_for_extension("Photo.JPG").map(|t| t.mime),
            Some("image/jpeg")
        );
        assert_eq!(type_for_extension("noext"), None);
        assert_eq!(
            type_for_mime("image/jpg").map(|t| t.mime),
            Some("image/jpeg")
        );
        assert_eq!(type_for_mime("application/octet-stream"), None);
    }
}
