//! The plan's cover logo: a PNG or an SVG the coordinator uploads, printed on the cover of the
//! PDF and Word exports (not in Markdown).
//!
//! An upload is hostile until [`CoverLogo::check`] passes it: a PNG is decoded row by row
//! (so a broken or oversized one never reaches an export) and kept as uploaded; an SVG is
//! parsed by usvg and kept as usvg writes it again, so scripts, event handlers, external
//! references, foreign elements and embedded pictures are gone, and text is outlines. Both
//! checks refuse with messages that name the field `logo`.

use std::io::Cursor;
use std::sync::{Arc, LazyLock};

use resvg::{tiny_skia, usvg};

/// Largest logo accepted, in bytes (checked before more is read).
pub const MAX_LOGO_BYTES: usize = 512 * 1024;
/// Largest side of a PNG logo, in pixels.
pub const MAX_LOGO_SIDE: u32 = 3000;
/// Most pixels of a PNG logo: enough for a logo 12 cm wide at 300 dpi, small enough that an
/// export decoding it stays cheap.
pub const MAX_LOGO_PIXELS: u64 = 4_000_000;
/// The logo's box on the cover, in millimetres: it is scaled to fit, keeping its aspect ratio.
pub const COVER_MAX_WIDTH_MM: f64 = 120.0;
pub const COVER_MAX_HEIGHT_MM: f64 = 30.0;
/// Resolution of an SVG logo rasterized for Word.
const RASTER_DPI: f64 = 300.0;

/// The two kinds of logo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoKind {
    Png,
    Svg,
}

impl LogoKind {
    /// The name stored in the database and used as file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            LogoKind::Png => "png",
            LogoKind::Svg => "svg",
        }
    }

    /// The kind a stored name means.
    pub fn from_name(name: &str) -> Option<LogoKind> {
        match name {
            "png" => Some(LogoKind::Png),
            "svg" => Some(LogoKind::Svg),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            LogoKind::Png => "image/png",
            LogoKind::Svg => "image/svg+xml",
        }
    }

    /// The kind a `Content-Type` names (parameters and case ignored); `None` for any other.
    pub fn from_content_type(value: &str) -> Option<LogoKind> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("image/png") {
            Some(LogoKind::Png)
        } else if essence.eq_ignore_ascii_case("image/svg+xml") {
            Some(LogoKind::Svg)
        } else {
            None
        }
    }
}

/// A checked logo, as stored and as exports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverLogo {
    pub kind: LogoKind,
    pub bytes: Vec<u8>,
}

/// Why a logo was refused (every message names the field `logo`), or could not be drawn.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoError {
    #[error("logo is empty")]
    Empty,
    #[error("logo is larger than {} KiB", MAX_LOGO_BYTES / 1024)]
    TooLarge,
    #[error("logo must be a PNG (image/png) or SVG (image/svg+xml) image")]
    UnsupportedType,
    #[error("logo is not a readable PNG image: {0}")]
    NotPng(String),
    #[error(
        "logo is {width}×{height} pixels; at most {MAX_LOGO_SIDE} on a side and {MAX_LOGO_PIXELS} in all"
    )]
    TooManyPixels { width: u32, height: u32 },
    #[error("logo is not a readable SVG image: {0}")]
    NotSvg(String),
    #[error(
        "logo: the SVG draws nothing that can be kept (embedded pictures and links are removed)"
    )]
    NothingDrawn,
    #[error("logo could not be drawn as a picture")]
    Raster,
}

impl CoverLogo {
    /// Checks an upload of `kind`: the logo to store, or why it is refused.
    pub fn check(kind: LogoKind, bytes: &[u8]) -> Result<CoverLogo, LogoError> {
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge);
        }
        let bytes = match kind {
            LogoKind::Png => {
                decode_png(bytes)?;
                bytes.to_vec()
            }
            LogoKind::Svg => {
                let tree = parse_svg(bytes)?;
                if !tree.root().has_children() {
                    return Err(LogoError::NothingDrawn);
                }
                let written = tree.to_string(&usvg::WriteOptions::default());
                // What is stored must read back the same way in every export.
                parse_svg(written.as_bytes())?;
                written.into_bytes()
            }
        };
        Ok(CoverLogo { kind, bytes })
    }

    /// The logo's own size (pixels for a PNG, user units for an SVG), for its aspect ratio.
    fn natural_size(&self) -> Result<(f64, f64), LogoError> {
        match self.kind {
            LogoKind::Png => {
                let (width, height) = decode_png(&self.bytes)?;
                Ok((f64::from(width), f64::from(height)))
            }
            LogoKind::Svg => {
                let size = parse_svg(&self.bytes)?.size();
                Ok((f64::from(size.width()), f64::from(size.height())))
            }
        }
    }

    /// Width and height on the cover in millimetres (to 0.1 mm): as large as fits in
    /// [`COVER_MAX_WIDTH_MM`] × [`COVER_MAX_HEIGHT_MM`], keeping the aspect ratio.
    pub fn cover_size_mm(&self) -> Result<(f64, f64), LogoError> {
        let (width, height) = self.natural_size()?;
        Ok(fit(width, height))
    }

    /// The logo as PNG bytes, for formats that take no SVG (Word): a PNG as it is, an SVG drawn
    /// at the cover size and [`RASTER_DPI`].
    pub fn to_png(&self) -> Result<Vec<u8>, LogoError> {
        if self.kind == LogoKind::Png {
            return Ok(self.bytes.clone());
        }
        let tree = parse_svg(&self.bytes)?;
        let (width_mm, height_mm) = fit(
            f64::from(tree.size().width()),
            f64::from(tree.size().height()),
        );
        let pixels = |mm: f64| ((mm / 25.4 * RASTER_DPI).round() as u32).max(1);
        let (width, height) = (pixels(width_mm), pixels(height_mm));
        draw_png(&tree, width, height)
    }
}

/// Draws `tree` as a `width` × `height` PNG.
fn draw_png(tree: &usvg::Tree, width: u32, height: u32) -> Result<Vec<u8>, LogoError> {
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or(LogoError::Raster)?;
    let transform = tiny_skia::Transform::from_scale(
        width as f32 / tree.size().width(),
        height as f32 / tree.size().height(),
    );
    resvg::render(tree, transform, &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|_| LogoError::Raster)
}

/// An SVG document the exports draw themselves (the status report's chart) as a PNG of
/// `scale` pixels per user unit, read like a logo ([`parse_svg`]: nothing outside it is
/// loaded, text in the exports' fonts).
pub(crate) fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, LogoError> {
    let tree = parse_svg(svg.as_bytes())?;
    let pixels = |side: f32| ((side * scale).round() as u32).max(1);
    draw_png(
        &tree,
        pixels(tree.size().width()),
        pixels(tree.size().height()),
    )
}

/// Scales `width` × `height` into the cover's box, rounded to 0.1 mm.
fn fit(width: f64, height: f64) -> (f64, f64) {
    if !(width > 0.0 && height > 0.0 && width.is_finite() && height.is_finite()) {
        return (COVER_MAX_HEIGHT_MM, COVER_MAX_HEIGHT_MM);
    }
    let scale = (COVER_MAX_WIDTH_MM / width).min(COVER_MAX_HEIGHT_MM / height);
    let round = |mm: f64| ((mm * scale * 10.0).round() / 10.0).max(0.1);
    (round(width), round(height))
}

/// Decodes a whole PNG, one row at a time (a broken stream is found now, not in an export):
/// its width and height.
fn decode_png(bytes: &[u8]) -> Result<(u32, u32), LogoError> {
    let not_png = |e: png::DecodingError| LogoError::NotPng(e.to_string());
    let decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: 16 * 1024 * 1024,
        },
    );
    let mut reader = decoder.read_info().map_err(not_png)?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width > MAX_LOGO_SIDE
        || height > MAX_LOGO_SIDE
        || u64::from(width) * u64::from(height) > MAX_LOGO_PIXELS
    {
        return Err(LogoError::TooManyPixels { width, height });
    }
    while reader.next_row().map_err(not_png)?.is_some() {}
    reader.finish().map_err(not_png)?;
    Ok((width, height))
}

/// Parses an SVG document (UTF-8 text; compressed SVG is refused) without reaching outside
/// it: no file, no URL, no embedded picture is loaded, and text is drawn with the exports'
/// embedded fonts.
fn parse_svg(bytes: &[u8]) -> Result<usvg::Tree, LogoError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| LogoError::NotSvg("not UTF-8 text (compressed SVG is not accepted)".into()))?;
    let options = usvg::Options {
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        fontdb: FONTS.clone(),
        font_family: "Noto Sans".into(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(text, &options).map_err(|e| LogoError::NotSvg(e.to_string()))
}

/// The exports' embedded fonts, for text in SVG logos; every generic family is Noto Sans, so
/// text in a font we do not have is drawn rather than dropped.
static FONTS: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut fonts = usvg::fontdb::Database::new();
    for data in super::world::FONT_FILES {
        fonts.load_font_data(data.to_vec());
    }
    fonts.set_serif_family("Noto Sans");
    fonts.set_sans_serif_family("Noto Sans");
    fonts.set_cursive_family("Noto Sans");
    fonts.set_fantasy_family("Noto Sans");
    fonts.set_monospace_family("Noto Sans");
    Arc::new(fonts)
});

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid `width` × `height` PNG (black and white, so that large ones stay small).
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header().expect("header");
        writer
            .write_image_data(&vec![0x5a; (width.div_ceil(8) * height) as usize])
            .expect("data");
        writer.finish().expect("finish");
        out
    }

    const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="50" viewBox="0 0 200 50" onload="alert(1)">
      <script>alert(2)</script>
      <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
      <image href="/etc/passwd" width="10" height="10"/>
      <image xlink:href="https://example.org/x.png" width="10" height="10"/>
      <a href="javascript:alert(3)"><rect width="200" height="50" fill="#1f4e79" onclick="alert(4)"/></a>
    </svg>"##;

    #[test]
    fn a_png_is_kept_as_uploaded_and_measured() {
        let bytes = png(40, 10);
        let logo = CoverLogo::check(LogoKind::Png, &bytes).expect("valid");
        assert_eq!(logo.bytes, bytes);
        assert_eq!(logo.cover_size_mm(), Ok((120.0, 30.0)));
        assert_eq!(
            CoverLogo::check(LogoKind::Png, &png(10, 40)).map(|l| l.cover_size_mm()),
            Ok(Ok((7.5, 30.0)))
        );
        assert_eq!(logo.to_png(), Ok(bytes));
    }

    #[test]
    fn broken_or_huge_pngs_and_other_files_are_refused() {
        let bytes = png(20, 20);
        for (upload, expected) in [
            (Vec::new(), "logo is empty"),
            (
                bytes[..bytes.len() / 2].to_vec(),
                "logo is not a readable PNG",
            ),
            (
                bytes[..bytes.len() - 12].to_vec(),
                "logo is not a readable PNG",
            ),
            (
                b"\xff\xd8\xff\xe0JFIF".to_vec(),
                "logo is not a readable PNG",
            ),
            (SVG.as_bytes().to_vec(), "logo is not a readable PNG"),
            (vec![0; MAX_LOGO_BYTES + 1], "logo is larger than 512 KiB"),
            (png(MAX_LOGO_SIDE + 1, 1), "logo is 3001×1 pixels"),
            (png(2001, 2000), "logo is 2001×2000 pixels"),
        ] {
            let refused = CoverLogo::check(LogoKind::Png, &upload).expect_err(expected);
            assert!(refused.to_string().starts_with(expected), "{refused}");
        }
    }

    #[test]
    fn an_svg_is_written_again_without_anything_foreign() {
        let logo = CoverLogo::check(LogoKind::Svg, SVG.as_bytes()).expect("valid");
        let text = String::from_utf8(logo.bytes.clone()).expect("utf-8");
        for gone in [
            "script",
            "alert",
            "onload",
            "onclick",
            "foreignObject",
            "javascript",
            "passwd",
            "example.org",
            "<image",
            "href",
        ] {
            assert!(!text.contains(gone), "{gone} survived: {text}");
        }
        assert!(text.contains("<path") || text.contains("<rect"), "{text}");
        assert_eq!(logo.cover_size_mm(), Ok((120.0, 30.0)));
        // Checking what was stored again changes nothing.
        assert_eq!(
            CoverLogo::check(LogoKind::Svg, &logo.bytes),
            Ok(logo.clone())
        );
        let png = logo.to_png().expect("drawn");
        let decoded = png::Decoder::new(Cursor::new(&png))
            .read_info()
            .expect("png");
        assert_eq!((decoded.info().width, decoded.info().height), (1417, 354));
    }

    #[test]
    fn svg_text_becomes_outlines() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20"><text x="0" y="15" font-family="Arial">Bydel Nordstrand</text></svg>"#;
        let logo = CoverLogo::check(LogoKind::Svg, svg.as_bytes()).expect("valid");
        let text = String::from_utf8(logo.bytes).expect("utf-8");
        assert!(text.contains("<path"), "{text}");
        assert!(!text.contains("Nordstrand"), "{text}");
    }

    #[test]
    fn bad_svgs_are_refused() {
        let compressed = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0];
        for (upload, expected) in [
            (b"not xml".to_vec(), "logo is not a readable SVG"),
            (b"<html><body/></html>".to_vec(), "logo is not a readable SVG"),
            (compressed.to_vec(), "logo is not a readable SVG"),
            (png(4, 4), "logo is not a readable SVG"),
            (
                br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="/etc/passwd" width="10" height="10"/></svg>"#.to_vec(),
                "logo: the SVG draws nothing",
            ),
        ] {
            let refused = CoverLogo::check(LogoKind::Svg, &upload).expect_err(expected);
            assert!(refused.to_string().starts_with(expected), "{refused}");
        }
    }

    #[test]
    fn content_types_name_the_kind() {
        assert_eq!(
            LogoKind::from_content_type("image/png"),
            Some(LogoKind::Png)
        );
        assert_eq!(
            LogoKind::from_content_type("Image/SVG+XML; charset=utf-8"),
            Some(LogoKind::Svg)
        );
        for other in ["image/jpeg", "text/html", "image/svg", "", "image/png2"] {
            assert_eq!(LogoKind::from_content_type(other), None, "{other}");
        }
        for kind in [LogoKind::Png, LogoKind::Svg] {
            assert_eq!(LogoKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(LogoKind::from_content_type(kind.content_type()), Some(kind));
        }
    }
}
