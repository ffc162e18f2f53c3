//! Checks that an uploaded image is real (its header is read first, so a
//! decompression bomb is refused before any pixel is decoded), and reads the
//! credit its producer embedded: IPTC IIM, XMP and EXIF.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use chrono::NaiveDateTime;
use image::{ImageFormat, ImageReader, Limits};

use crate::media::sniff::FileType;

/// Why an image was refused.
#[derive(Debug)]
pub enum Refusal {
    /// Declared dimensions beyond the limit: not decoded.
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// Not decodable: damaged, truncated or not what it claims.
    Damaged(String),
}

/// What an image file says about itself.
#[derive(Debug, Default)]
pub struct Inspected {
    /// Pixel width.
    pub width: Option<i32>,
    /// Pixel height.
    pub height: Option<i32>,
    /// Credit and caption embedded by the camera, agency or editor.
    pub embedded: Embedded,
}

/// Metadata embedded in a JPEG (IPTC first, then XMP, then EXIF).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Embedded {
    /// By-line / dc:creator / Artist.
    pub creators: Vec<String>,
    /// Credit (the provider).
    pub provider: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Copyright notice.
    pub copyright_notice: Option<String>,
    /// Caption.
    pub caption: Option<String>,
    /// Headline.
    pub title: Option<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// When the picture was taken.
    pub taken_at: Option<NaiveDateTime>,
}

fn image_format(file_type: FileType) -> Option<ImageFormat> {
    match file_type.mime {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Inspects an image file. `max_pixels` bounds width × height.
pub fn inspect_image(
    path: &Path,
    file_type: FileType,
    max_pixels: u64,
) -> Result<Inspected, Refusal> {
    let damaged = |e: &dyn std::fmt::Display| Refusal::Damaged(e.to_string());
    let Some(format) = image_format(file_type) else {
        // AVIF: no decoder is built in; read the declared size from its `ispe` box.
        let (width, height) = avif_dimensions(path)
            .ok_or_else(|| Refusal::Damaged("no image size in the AVIF file".into()))?;
        check_pixels(width, height, max_pixels)?;
        return Ok(Inspected {
            width: to_i32(width),
            height: to_i32(height),
            embedded: Embedded::default(),
        });
    };
    let open = || -> Result<ImageReader<BufReader<File>>, Refusal> {
        let file = File::open(path).map_err(|e| damaged(&e))?;
        let mut reader = ImageReader::new(BufReader::new(file));
        reader.set_format(format);
        Ok(reader)
    };
    let (width, height) = open()?.into_dimensions().map_err(|e| damaged(&e))?;
    check_pixels(width, height, max_pixels)?;
    if format == ImageFormat::Jpeg && !jpeg_is_complete(path) {
        return Err(Refusal::Damaged(
            "the JPEG is truncated (no end-of-image marker)".into(),
        ));
    }
    let mut reader = open()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    reader.decode().map_err(|e| damaged(&e))?;
    let embedded = if format == ImageFormat::Jpeg {
        read_embedded(path)
    } else {
        Embedded::default()
    };
    Ok(Inspected {
        width: to_i32(width),
        height: to_i32(height),
        embedded,
    })
}

fn to_i32(v: u32) -> Option<i32> {
    i32::try_from(v).ok()
}

fn check_pixels(width: u32, height: u32, max_pixels: u64) -> Result<(), Refusal> {
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > max_pixels {
        return Err(Refusal::TooLarge { width, height });
    }
    Ok(())
}

/// A complete JPEG ends with the EOI marker (some writers append a little
/// padding or trailer after it, so look near the end).
fn jpeg_is_complete(path: &Path) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let tail_len = len.min(4096);
    let mut tail = vec![0u8; tail_len as usize];
    if file.seek(SeekFrom::End(-(tail_len as i64))).is_err() || file.read_exact(&mut tail).is_err()
    {
        return false;
    }
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

fn avif_dimensions(path: &Path) -> Option<(u32, u32)> {
    let mut head = Vec::new();
    File::open(path)
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    let at = head.windows(4).position(|w| w == b"ispe")?;
    let field = |offset: usize| -> Option<u32> {
        let bytes = head.get(at + offset..at + offset + 4)?;
        Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    };
    // "ispe", 4 bytes of version and flags, then width and height.
    Some((field(8)?, field(12)?))
}

/// Reads IPTC, XMP and EXIF from the first segments of a JPEG.
pub fn read_embedded(path: &Path) -> Embedded {
    let mut head = Vec::new();
    if File::open(path)
        .and_then(|f| f.take(1024 * 1024).read_to_end(&mut head))
        .is_err()
    {
        return Embedded::default();
    }
    let mut iptc = Embedded::default();
    let mut xmp = Embedded::default();
    for (marker, data) in jpeg_segments(&head) {
        match marker {
            0xED => {
                if let Some(rest) = data.strip_prefix(b"Photoshop 3.0\0") {
                    iptc = parse_photoshop_iptc(rest);
                }
            }
            0xE1 => {
                if let Some(rest) = data.strip_prefix(b"http://ns.adobe.com/xap/1.0/\0") {
                    xmp = parse_xmp(&String::from_utf8_lossy(rest));
                }
            }
            _ => {}
        }
    }
    let exif = read_exif(&head);
    let first = |a: &Option<String>, b: &Option<String>, c: &Option<String>| {
        a.clone().or_else(|| b.clone()).or_else(|| c.clone())
    };
    Embedded {
        creators: [
            iptc.creators.clone(),
            xmp.creators.clone(),
            exif.creators.clone(),
        ]
        .into_iter()
        .find(|v| !v.is_empty())
        .unwrap_or_default(),
        provider: first(&iptc.provider, &xmp.provider, &None),
        source: first(&iptc.source, &xmp.source, &None),
        copyright_notice: first(
            &iptc.copyright_notice,
            &xmp.copyright_notice,
            &exif.copyright_notice,
        ),
        caption: first(&iptc.caption, &xmp.caption, &exif.caption),
        title: first(&iptc.title, &xmp.title, &None),
        keywords: if iptc.keywords.is_empty() {
            xmp.keywords
        } else {
            iptc.keywords
        },
        taken_at: exif.taken_at,
    }
}

/// The marker segments of a JPEG up to the start of the image data.
fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut segments = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let Some(data) = bytes.get(at + 4..at + 2 + len) else {
            break;
        };
        segments.push((marker, data));
        at += 2 + len;
    }
    segments
}

fn clean(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes)
        .trim()
        .trim_matches('\0')
        .trim()
        .to_string();
    (!text.is_empty()).then_some(text)
}

/// IPTC IIM records inside Photoshop's image resource block 0x0404.
fn parse_photoshop_iptc(mut data: &[u8]) -> Embedded {
    let mut out = Embedded::default();
    while data.len() >= 12 && &data[..4] == b"8BIM" {
        let id = u16::from_be_bytes([data[4], data[5]]);
        let name_len = usize::from(data[6]);
        // The Pascal-string name, padded to an even length (with its length byte).
        let name_total = (name_len + 2) & !1;
        let size_at = 6 + name_total;
        let Some(size) = data
            .get(size_at..size_at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        else {
            break;
        };
        let start = size_at + 4;
        let Some(block) = data.get(start..start + size) else {
            break;
        };
        if id == 0x0404 {
            read_iim(block, &mut out);
        }
        data = data.get(start + ((size + 1) & !1)..).unwrap_or(&[]);
    }
    out
}

fn read_iim(mut data: &[u8], out: &mut Embedded) {
    while data.len() >= 5 && data[0] == 0x1C {
        let (record, dataset) = (data[1], data[2]);
        let len = usize::from(u16::from_be_bytes([data[3], data[4]]));
        let Some(value) = data.get(5..5 + len) else {
            break;
        };
        if record == 2 {
            let text = clean(value);
            match dataset {
                80 => out.creators.extend(text),
                110 => out.provider = out.provider.take().or(text),
                115 => out.source = out.source.take().or(text),
                116 => out.copyright_notice = out.copyright_notice.take().or(text),
                120 => out.caption = out.caption.take().or(text),
                105 => out.title = out.title.take().or(text),
                25 => out.keywords.extend(text),
                _ => {}
            }
        }
        data = &data[5 + len..];
    }
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#169;", "©")
        .replace("&amp;", "&")
}

/// The `rdf:li` items inside `<tag>…</tag>`.
fn xmp_items(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let Some(start) = xml.find(&open) else {
        return Vec::new();
    };
    let Some(end) = xml[start..].find(&close) else {
        return Vec::new();
    };
    let inner = &xml[start..start + end];
    inner
        .split("<rdf:li")
        .skip(1)
        .filter_map(|item| {
            let text = item.split_once('>')?.1.split("</rdf:li>").next()?;
            clean(unescape_xml(text).as_bytes())
        })
        .collect()
}

/// A simple property, as an element or as an attribute.
fn xmp_property(xml: &str, name: &str) -> Option<String> {
    let element = format!("<{name}>");
    if let Some(start) = xml.find(&element) {
        let rest = &xml[start + element.len()..];
        return clean(unescape_xml(rest.split('<').next()?).as_bytes());
    }
    let attribute = format!("{name}=\"");
    let start = xml.find(&attribute)? + attribute.len();
    clean(unescape_xml(xml[start..].split('"').next()?).as_bytes())
}

fn parse_xmp(xml: &str) -> Embedded {
    Embedded {
        creators: xmp_items(xml, "dc:creator"),
        provider: xmp_property(xml, "photoshop:Credit"),
        source: xmp_property(xml, "photoshop:Source"),
        copyright_notice: xmp_items(xml, "dc:rights").into_iter().next(),
        caption: xmp_items(xml, "dc:description").into_iter().next(),
        title: xmp_property(xml, "photoshop:Headline")
            .or_else(|| xmp_items(xml, "dc:title").into_iter().next()),
        keywords: xmp_items(xml, "dc:subject"),
        taken_at: None,
    }
}

fn read_exif(head: &[u8]) -> Embedded {
    let mut out = Embedded::default();
    let Ok(exif) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(head)) else {
        return out;
    };
    let text = |tag: exif::Tag| -> Option<String> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        match &field.value {
            exif::Value::Ascii(parts) => {
                clean(&parts.iter().flatten().copied().collect::<Vec<u8>>())
            }
            _ => None,
        }
    };
    out.creators.extend(text(exif::Tag::Artist));
    out.copyright_notice = text(exif::Tag::Copyright);
    out.caption = text(exif::Tag::ImageDescription);
    out.taken_at = text(exif::Tag::DateTimeOriginal)
        .and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y:%m:%d %H:%M:%S").ok());
    out
}

/// The duration of an MP4 from its `moov/mvhd` box, in seconds. Only box
/// headers are read, wherever `moov` sits in the file.
pub fn mp4_duration(path: &Path) -> Option<f64> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let (moov, moov_end) = find_box(&mut file, 0, len, b"moov")?;
    let (mvhd, _) = find_box(&mut file, moov, moov_end, b"mvhd")?;
    file.seek(SeekFrom::Start(mvhd)).ok()?;
    let mut body = [0u8; 32];
    file.read_exact(&mut body).ok()?;
    let be32 = |b: &[u8]| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let be64 = |b: &[u8]| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    // Version 0: 32-bit times; version 1: 64-bit. Then timescale and duration.
    let (timescale, duration) = if body[0] == 1 {
        (be32(&body[20..24]), be64(&body[24..32]))
    } else {
        (be32(&body[12..16]), be32(&body[16..20]))
    };
    (timescale > 0).then(|| duration as f64 / timescale as f64)
}

/// The content range of the first box of `kind` between `start` and `end`.
fn find_box(file: &mut File, start: u64, end: u64, kind: &[u8; 4]) -> Option<(u64, u64)> {
    let mut at = start;
    for _ in 0..10_000 {
        if at + 8 > end {
            return None;
        }
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header).ok()?;
        let size32 = u64::from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        let (size, header_len) = match size32 {
            0 => (end - at, 8),
            1 => {
                let mut large = [0u8; 8];
                file.read_exact(&mut large).ok()?;
                (u64::from_be_bytes(large), 16)
            }
            n => (n, 8),
        };
        if size < header_len || at + size > end {
            return None;
        }
        if &header[4..8] == kind {
            return Some((at + header_len, at + size));
        }
        at += size;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iptc_records() {
        let mut iim = Vec::new();
        for (dataset, value) in [
            (80u8, "Anna Lenz"),
            (110, "Northwire"),
            (116, "© Northwire"),
            (120, "A caption"),
        ] {
            iim.extend([0x1C, 2, dataset]);
            iim.extend((value.len() as u16).to_be_bytes());
            iim.extend(value.as_bytes());
        }
        let mut block = b"8BIM\x04\x04\0\0".to_vec();
        block.extend((iim.len() as u32).to_be_bytes());
        block.extend(&iim);
        let out = parse_photoshop_iptc(&block);
        assert_eq!(out.creators, vec!["Anna Lenz"]);
        assert_eq!(out.provider.as_deref(), Some("Northwire"));
        assert_eq!(out.copyright_notice.as_deref(), Some("© Northwire"));
        assert_eq!(out.caption.as_deref(), Some("A caption"));
    }

    #[test]
    fn reads_xmp() {
        let xml = r#"<x:xmpmeta><rdf:Description photoshop:Credit="Wire &amp; Co">
            <dc:creator><rdf:Seq><rdf:li>Jo Park</rdf:li></rdf:Seq></dc:creator>
            <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© Wire</rdf:li></rdf:Alt></dc:rights>
            </rdf:Description></x:xmpmeta>"#;
        let out = parse_xmp(xml);
        assert_eq!(out.creators, vec!["Jo Park"]);
        assert_eq!(out.provider.as_deref(), Some("Wire & Co"));
        assert_eq!(out.copyright_notice.as_deref(), Some("© Wire"));
    }
}
