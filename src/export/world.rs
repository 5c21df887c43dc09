//! The typst `World` of the PDF export: a few virtual files and four embedded fonts, nothing
//! else. Typst asks the world for every file it reads (`#read`, `#json`, `#image`, `#import`,
//! `#include`); this one answers only `/main.typ` (the export template, compiled in),
//! `/plan.json` (the plan as data, or the status report's data for its template) and, when the plan has a cover logo, `/logo.png` or
//! `/logo.svg` (the checked logo, see [`super::logo`]), and `FileError::NotFound` for any other
//! path, so nothing in a PDF can come from the server's disk.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use super::logo::{CoverLogo, LogoKind};

/// The export template (typst markup written by us; user text never becomes markup).
pub const TEMPLATE: &str = include_str!("../../templates/export/plan.typ");
/// The status report's template (see [`super::report`]), compiled as `/main.typ` of a
/// world made with [`ExportWorld::report`]; it reads the report's data from the same path.
pub const REPORT_TEMPLATE: &str = include_str!("../../templates/export/report.typ");
/// Where the template finds the plan's data: `json("/plan.json")`.
pub const PLAN_JSON_PATH: &str = "/plan.json";
const MAIN_PATH: &str = "/main.typ";

/// Where the template finds the cover logo of `kind` (`plan.logo.path`).
pub fn logo_path(kind: LogoKind) -> &'static str {
    match kind {
        LogoKind::Png => "/logo.png",
        LogoKind::Svg => "/logo.svg",
    }
}

/// Noto Sans (SIL Open Font License 1.1, see assets/fonts/OFL.txt).
pub(super) const FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../../assets/fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../assets/fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../assets/fonts/NotoSans-Italic.ttf"),
    include_bytes!("../../assets/fonts/NotoSans-BoldItalic.ttf"),
];

/// What every export shares, built once per process: the standard library, the parsed fonts
/// and the parsed template.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
    report: Source,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
        main: Source::new(main_id(), TEMPLATE.to_owned()),
        report: Source::new(main_id(), REPORT_TEMPLATE.to_owned()),
    }
});

fn main_id() -> FileId {
    FileId::new(None, VirtualPath::new(MAIN_PATH))
}

fn plan_json_id() -> FileId {
    FileId::new(None, VirtualPath::new(PLAN_JSON_PATH))
}

/// Loads the fonts, library and template now, so the first export does not pay for it.
pub fn warm_up() {
    LazyLock::force(&SHARED);
}

/// Number of embedded font faces.
#[cfg(test)]
fn font_count() -> usize {
    SHARED.fonts.len()
}

/// One export's world: the shared parts plus this plan's data.
pub struct ExportWorld {
    plan_json: Bytes,
    today: Datetime,
    /// The cover logo's file and bytes, when the plan has one.
    logo: Option<(FileId, Bytes)>,
    /// `/main.typ` is the status report's template rather than the plan's.
    report: bool,
}

impl ExportWorld {
    /// `today` is what typst's `datetime.today()` answers (the export's own date, never the
    /// clock).
    pub fn new(plan_json: Vec<u8>, today: Datetime) -> Self {
        ExportWorld {
            plan_json: Bytes::new(plan_json),
            today,
            logo: None,
            report: false,
        }
    }

    /// A world whose `/main.typ` is [`REPORT_TEMPLATE`], with the report's data at
    /// [`PLAN_JSON_PATH`].
    pub fn report(report_json: Vec<u8>, today: Datetime) -> Self {
        ExportWorld {
            report: true,
            ..ExportWorld::new(report_json, today)
        }
    }

    /// Serves `logo` at [`logo_path`] of its kind.
    pub fn with_logo(mut self, logo: Option<&CoverLogo>) -> Self {
        self.logo = logo.map(|logo| {
            let id = FileId::new(None, VirtualPath::new(logo_path(logo.kind)));
            (id, Bytes::new(logo.bytes.clone()))
        });
        self
    }
}

impl World for ExportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        main_id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == main_id() && self.report {
            Ok(SHARED.report.clone())
        } else if id == main_id() {
            Ok(SHARED.main.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == plan_json_id() {
            Ok(self.plan_json.clone())
        } else if id == main_id() {
            Ok(Bytes::from_string(if self.report {
                REPORT_TEMPLATE
            } else {
                TEMPLATE
            }))
        } else if let Some((_, logo)) = self.logo.as_ref().filter(|(logo, _)| *logo == id) {
            Ok(logo.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().as_rooted_path().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> ExportWorld {
        ExportWorld::new(
            b"{}".to_vec(),
            Datetime::from_ymd(2026, 3, 12).expect("date"),
        )
    }

    #[test]
    fn serves_only_its_virtual_files() {
        let world = world();
        assert!(world.file(plan_json_id()).is_ok());
        assert!(world.source(main_id()).is_ok());
        for path in [
            "/etc/passwd",
            "/../etc/passwd",
            "etc/passwd",
            "/plan.json/../etc/passwd",
            "/Cargo.toml",
            "/src/main.rs",
            "/assets/fonts/NotoSans-Regular.ttf",
            "/logo.png",
            "/logo.svg",
        ] {
            let id = FileId::new(None, VirtualPath::new(path));
            assert!(
                matches!(world.file(id), Err(FileError::NotFound(_))),
                "{path} must not be served"
            );
            assert!(matches!(world.source(id), Err(FileError::NotFound(_))));
        }
    }

    #[test]
    fn serves_the_logo_of_its_kind_only() {
        let logo = CoverLogo {
            kind: LogoKind::Png,
            bytes: vec![1, 2, 3],
        };
        let world = world().with_logo(Some(&logo));
        let file = |path: &str| world.file(FileId::new(None, VirtualPath::new(path)));
        assert_eq!(file("/logo.png").ok().as_deref(), Some(&[1u8, 2, 3][..]));
        assert!(matches!(file("/logo.svg"), Err(FileError::NotFound(_))));
        assert!(matches!(
            file("/logo.png/../etc/passwd"),
            Err(FileError::NotFound(_))
        ));
    }

    #[test]
    fn embeds_four_faces_with_norwegian_letters() {
        assert_eq!(font_count(), 4);
        let world = world();
        for index in 0..4 {
            let font = world.font(index).expect("font");
            assert_eq!(font.info().family, "Noto Sans");
            for c in ['æ', 'ø', 'å', 'Æ', 'Ø', 'Å', '–', '«', '»'] {
                assert!(font.info().coverage.contains(u32::from(c)), "{c}");
            }
        }
        assert!(world.font(4).is_none());
    }
}
