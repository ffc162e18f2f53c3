//! Renditions: an image resized to one of the configured widths, optionally
//! cropped to an aspect ratio around its focal point, as WebP or JPEG.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Lossy WebP.
    Webp,
    /// Baseline JPEG.
    Jpeg,
}

impl Format {
    /// From the URL's extension.
    pub fn parse(ext: &str) -> Option<Self> {
        match ext {
            "webp" => Some(Self::Webp),
            "jpeg" | "jpg" => Some(Self::Jpeg),
            _ => None,
        }
    }
    /// The canonical extension, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webp => "webp",
            Self::Jpeg => "jpeg",
        }
    }
    /// Its media type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Webp => "image/webp",
            Self::Jpeg => "image/jpeg",
        }
    }
    /// The largest width or height it can encode (libwebp refuses, and the
    /// crate panics, beyond 16383).
    pub fn max_dimension(self) -> u32 {
        match self {
            Self::Webp => 16_383,
            Self::Jpeg => 65_535,
        }
    }
}

/// Whether renditions can be made of this type (AVIF cannot be decoded here).
pub fn can_render(mime: &str) -> bool {
    matches!(
        mime,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp"
    )
}

/// The height of an image `w`×`h` scaled to `width`.
pub fn scaled_height(w: u32, h: u32, width: u32) -> u32 {
    ((f64::from(h) * f64::from(width) / f64::from(w.max(1))).round() as u32).max(1)
}

/// Parses `16:9`-style ratios (each side 1 to 100).
pub fn parse_ratio(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.split_once(':')?;
    // Digits only, no leading zero (as the OpenAPI pattern says).
    let plain =
        |s: &str| !s.is_empty() && !s.starts_with('0') && s.bytes().all(|c| c.is_ascii_digit());
    if !plain(a) || !plain(b) {
        return None;
    }
    let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
    ((1..=100).contains(&a) && (1..=100).contains(&b)).then_some((a, b))
}

fn decode(bytes: &[u8], mime: &str) -> Result<DynamicImage, String> {
    let format = match mime {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/gif" => ImageFormat::Gif,
        "image/webp" => ImageFormat::WebP,
        other => return Err(format!("cannot render {other}")),
    };
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(format);
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    // Cameras store portraits sideways with an EXIF note; readers expect them upright.
    image.apply_orientation(orientation);
    Ok(image)
}

/// The crop of a `w`×`h` image to `ratio`, as (x, y, width, height), placed
/// so that the focal point is as central as the edges allow.
pub fn crop_box(w: u32, h: u32, ratio: (u32, u32), focal: (f64, f64)) -> (u32, u32, u32, u32) {
    let target = f64::from(ratio.0) / f64::from(ratio.1);
    let (wf, hf) = (f64::from(w), f64::from(h));
    if wf / hf > target {
        let cw = ((hf * target).round() as u32).clamp(1, w);
        let x = (focal.0 * wf - f64::from(cw) / 2.0)
            .round()
            .clamp(0.0, f64::from(w - cw)) as u32;
        (x, 0, cw, h)
    } else {
        let ch = ((wf / target).round() as u32).clamp(1, h);
        let y = (focal.1 * hf - f64::from(ch) / 2.0)
            .round()
            .clamp(0.0, f64::from(h - ch)) as u32;
        (0, y, w, ch)
    }
}

/// A finished rendition.
pub struct Rendered {
    /// Encoded bytes.
    pub bytes: Vec<u8>,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// Makes a rendition of an original image.
pub fn render(
    original: &[u8],
    mime: &str,
    width: u32,
    ratio: Option<(u32, u32)>,
    focal: (f64, f64),
    format: Format,
) -> Result<Rendered, String> {
    let mut image = decode(original, mime)?;
    if let Some(ratio) = ratio {
        let (x, y, cw, ch) = crop_box(image.width(), image.height(), ratio, focal);
        image = image.crop_imm(x, y, cw, ch);
    }
    let height = scaled_height(image.width(), image.height(), width);
    let resized = image.resize_exact(width, height, FilterType::Lanczos3);
    let bytes = match format {
        Format::Jpeg => {
            let rgb = resized.to_rgb8();
            let mut out = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
                .encode_image(&rgb)
                .map_err(|e| e.to_string())?;
            out
        }
        Format::Webp => {
            if width > format.max_dimension() || height > format.max_dimension() {
                return Err(format!("{width}×{height} is too large for WebP"));
            }
            let rgba = resized.to_rgba8();
            webp::Encoder::from_rgba(&rgba, width, height)
                .encode(78.0)
                .to_vec()
        }
    };
    Ok(Rendered {
        bytes,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_around_the_focal_point() {
        // A 1600×900 picture cropped square keeps a 900-wide band around x.
        assert_eq!(crop_box(1600, 900, (1, 1), (0.5, 0.5)), (350, 0, 900, 900));
        assert_eq!(crop_box(1600, 900, (1, 1), (0.0, 0.5)), (0, 0, 900, 900));
        assert_eq!(crop_box(1600, 900, (1, 1), (1.0, 0.5)), (700, 0, 900, 900));
        // A portrait cropped 16:9 keeps a horizontal band around y.
        assert_eq!(crop_box(900, 1600, (16, 9), (0.5, 0.2)), (0, 67, 900, 506));
        assert_eq!(crop_box(900, 1600, (16, 9), (0.5, 0.0)), (0, 0, 900, 506));
        assert_eq!(scaled_height(1600, 900, 640), 360);
        assert_eq!(parse_ratio("16:9"), Some((16, 9)));
        assert_eq!(parse_ratio("0:9"), None);
        assert_eq!(parse_ratio("wide"), None);
    }
}
