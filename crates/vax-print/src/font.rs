//! Loading the Japanese font that every document embeds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use printpdf::ParsedFont;
use thiserror::Error;

/// Noto Sans CJK JP, the default face: Debian package `fonts-noto-cjk` (SIL Open Font License 1.1).
pub const NOTO_SANS_CJK_PATH: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
/// IPAex Gothic, the fallback: Debian package `fonts-ipaexfont-gothic` (IPA Font License v1.0).
pub const IPAEX_GOTHIC_PATH: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";

/// Why the Japanese font could not be loaded.
#[derive(Debug, Error)]
pub enum FontError {
    /// The font file does not exist.
    #[error(
        "Japanese font not found at {path}: install the Debian package {package} \
         (apt-get install {package}) or configure another font path"
    )]
    Missing {
        /// Where we looked.
        path: PathBuf,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// None of the default fonts exists.
    #[error(
        "no Japanese font found (looked for {NOTO_SANS_CJK_PATH} and {IPAEX_GOTHIC_PATH}): \
         install the Debian package fonts-noto-cjk (or fonts-ipaexfont-gothic)"
    )]
    NoneInstalled,
    /// The file exists but could not be read.
    #[error("cannot read font file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a font printpdf can parse, or the collection index is wrong.
    #[error("{path} (face {index}) is not a usable TrueType/OpenType font")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Face index inside a collection.
        index: usize,
    },
}

/// Where to find the font: a file and, for a `.ttc` collection, the face index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontConfig {
    /// Path to a `.ttf`, `.otf` or `.ttc`.
    pub path: PathBuf,
    /// Face inside a collection; 0 for a single-face file. In NotoSansCJK-Regular.ttc, 0 is
    /// the JP face (`fc-query -f '%{index}: %{family}\n' FILE` lists them).
    pub index: usize,
}

impl FontConfig {
    /// Noto Sans CJK JP from `fonts-noto-cjk`.
    pub fn noto_sans_cjk() -> Self {
        Self {
            path: NOTO_SANS_CJK_PATH.into(),
            index: 0,
        }
    }

    /// IPAex Gothic from `fonts-ipaexfont-gothic`.
    pub fn ipaex_gothic() -> Self {
        Self {
            path: IPAEX_GOTHIC_PATH.into(),
            index: 0,
        }
    }

    /// A font at a configured path (face 0).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            index: 0,
        }
    }
}

/// The Debian package that ships a font path we know, for the error message.
fn package_for(path: &Path) -> &'static str {
    let s = path.to_string_lossy();
    if s.contains("ipaex") {
        "fonts-ipaexfont-gothic"
    } else {
        "fonts-noto-cjk"
    }
}

/// A character's glyph in the font, and its advance width (font units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Glyph {
    pub(crate) id: u16,
    pub(crate) advance: u16,
}

/// char → glyph, filled as characters are first drawn or measured.
type GlyphCache = Arc<Mutex<HashMap<char, Option<Glyph>>>>;

/// A parsed Japanese font, loaded once and shared by every document.
///
/// Parsing the 19 MB Noto collection takes a noticeable fraction of a second, so a batch
/// loads it once and each output file only clones the parsed face (its bytes are shared).
///
/// Each character's glyph is looked up in the font once and remembered (shared by the
/// clones): the font's cmap lookup (allsorts) scans Noto's thousands of segments linearly,
/// and printpdf would repeat it for every character it lays out and serialises — 62 % of a
/// notices batch before this cache (docs/BENCHMARKS.md). Text is handed to printpdf as the
/// glyph ids, each with its character for the PDF's ToUnicode map.
#[derive(Debug, Clone)]
pub struct JapaneseFont {
    pub(crate) parsed: ParsedFont,
    units_per_em: f32,
    config: FontConfig,
    /// `None`: no memo, text goes to printpdf as characters (the behaviour before the
    /// cache, kept as the benchmark's baseline: [`JapaneseFont::uncached`]).
    glyphs: Option<GlyphCache>,
}

impl JapaneseFont {
    /// Loads the font described by `config`.
    pub fn load(config: &FontConfig) -> Result<Self, FontError> {
        if !config.path.exists() {
            return Err(FontError::Missing {
                path: config.path.clone(),
                package: package_for(&config.path),
            });
        }
        let bytes = std::fs::read(&config.path).map_err(|source| FontError::Io {
            path: config.path.clone(),
            source,
        })?;
        let mut warnings = Vec::new();
        let parsed =
            ParsedFont::from_bytes(&bytes, config.index, &mut warnings).ok_or_else(|| {
                FontError::Parse {
                    path: config.path.clone(),
                    index: config.index,
                }
            })?;
        let units_per_em = f32::from(parsed.font_metrics.units_per_em.max(1));
        Ok(Self {
            parsed,
            units_per_em,
            config: config.clone(),
            glyphs: Some(GlyphCache::default()),
        })
    }

    /// The same face without the glyph memo: every character is looked up in the font each
    /// time and handed to printpdf as text, as before the memo. The output is the same
    /// page (tests compare the text and the rendered pixels); it exists as the baseline
    /// `cargo bench -p vax-print` measures the memo against.
    pub fn uncached(&self) -> Self {
        Self {
            glyphs: None,
            ..self.clone()
        }
    }

    /// Whether glyph lookups are memoised (see [`JapaneseFont::uncached`]).
    pub fn caches_glyphs(&self) -> bool {
        self.glyphs.is_some()
    }

    /// The glyph of `c`, looked up once; `None` when the font has none.
    pub(crate) fn glyph(&self, c: char) -> Option<Glyph> {
        let lookup = || {
            self.parsed
                .lookup_glyph_index(u32::from(c))
                .map(|id| Glyph {
                    id,
                    advance: self.parsed.get_horizontal_advance(id),
                })
        };
        match &self.glyphs {
            Some(cache) => *cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(c)
                .or_insert_with(lookup),
            None => lookup(),
        }
    }

    /// Noto Sans CJK JP if installed, else IPAex Gothic.
    pub fn system_default() -> Result<Self, FontError> {
        for config in [FontConfig::noto_sans_cjk(), FontConfig::ipaex_gothic()] {
            match Self::load(&config) {
                Err(FontError::Missing { .. }) => continue,
                other => return other,
            }
        }
        Err(FontError::NoneInstalled)
    }

    /// Where the font came from.
    pub fn config(&self) -> &FontConfig {
        &self.config
    }

    /// Width of `text` set at `size_pt`, in millimetres, from the font's advance widths
    /// (used to centre and right-align text and to wrap long questions).
    pub fn text_width_mm(&self, text: &str, size_pt: f32) -> f32 {
        let units: f32 = text
            .chars()
            .map(|c| {
                self.glyph(c)
                    .map_or(self.units_per_em, |g| f32::from(g.advance))
            })
            .sum();
        units / self.units_per_em * size_pt * 25.4 / 72.0
    }
}
