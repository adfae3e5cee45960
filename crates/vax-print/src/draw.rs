//! A small drawing layer over printpdf's operation list, in millimetres measured from the
//! top-left corner of an A4 page, as a form designer measures (PDF counts from the bottom).

use printpdf::{
    Codepoint, Color, FontId, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfFontHandle, Point,
    Pt, Rect, TextItem,
};
use qrcode::{EcLevel, QrCode};

use crate::font::JapaneseFont;

/// A4 width in mm.
pub(crate) const PAGE_W: f32 = 210.0;
/// A4 height in mm.
pub(crate) const PAGE_H: f32 = 297.0;

/// Horizontal alignment of a text run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// Collects the operations of one page.
pub(crate) struct Canvas<'a> {
    pub(crate) ops: Vec<Op>,
    font: &'a JapaneseFont,
    font_id: FontId,
}

fn pt(mm: f32) -> Pt {
    Mm(mm).into()
}

fn point(x: f32, y_top: f32) -> Point {
    Point {
        x: pt(x),
        y: pt(PAGE_H - y_top),
    }
}

impl<'a> Canvas<'a> {
    pub(crate) fn new(font: &'a JapaneseFont, font_id: FontId) -> Self {
        let ops = vec![
            Op::SetFillColor {
                col: Color::Greyscale(Greyscale::new(0.0, None)),
            },
            Op::SetOutlineColor {
                col: Color::Greyscale(Greyscale::new(0.0, None)),
            },
        ];
        Self { ops, font, font_id }
    }

    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        self.font.text_width_mm(text, size)
    }

    /// Text whose baseline is at `y` (mm from the top).
    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, align: Align, text: &str) {
        if text.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Center => x - self.width(text, size) / 2.0,
            Align::Right => x - self.width(text, size),
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(self.font_id.clone()),
                size: Pt(size),
            },
            Op::SetTextCursor { pos: point(x, y) },
            Op::ShowText {
                items: vec![self.text_item(text)],
            },
            Op::EndTextSection,
        ]);
    }

    /// `text` as printpdf takes it: the glyph ids from the font's memo, each with its
    /// character (for copy and search), so printpdf looks nothing up again; a character the
    /// font lacks is glyph 0 (.notdef), as printpdf would draw it.
    fn text_item(&self, text: &str) -> TextItem {
        if !self.font.caches_glyphs() {
            return TextItem::Text(text.to_owned());
        }
        TextItem::GlyphIds(
            text.chars()
                .map(|c| {
                    let id = self.font.glyph(c).map_or(0, |g| g.id);
                    Codepoint::with_cid(id, 0.0, c.to_string())
                })
                .collect(),
        )
    }

    /// Text vertically centred in the band `top..top + h` (baseline placed for CJK glyphs,
    /// whose visual centre is about 0.35 em above the baseline).
    pub(crate) fn text_mid(&mut self, x: f32, top: f32, h: f32, size: f32, align: Align, s: &str) {
        let em = size * 25.4 / 72.0;
        self.text(x, top + h / 2.0 + em * 0.35, size, align, s);
    }

    /// Breaks `text` into lines no wider than `max_w` mm by the Japanese line-breaking
    /// rules of [`crate::linebreak`] (no ー、。」） at the start of a line, no opening bracket at
    /// its end). Widths add up glyph by glyph: printpdf applies no kerning to these runs.
    pub(crate) fn wrap(&self, text: &str, size: f32, max_w: f32) -> Vec<String> {
        crate::linebreak::break_lines(text, max_w, |c| {
            self.width(c.encode_utf8(&mut [0u8; 4]), size)
        })
    }

    pub(crate) fn line_width(&mut self, w: f32) {
        self.ops.push(Op::SetOutlineThickness { pt: Pt(w) });
    }

    /// A stroked rectangle, `(x, y)` its top-left corner.
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.rectangle(x, y, w, h, PaintMode::Stroke);
    }

    /// A rectangle painted as `mode` says, `(x, y)` its top-left corner.
    fn rectangle(&mut self, x: f32, y: f32, w: f32, h: f32, mode: PaintMode) {
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: pt(x),
                y: pt(PAGE_H - y - h),
                width: pt(w),
                height: pt(h),
                mode: Some(mode),
                winding_order: None,
            },
        });
    }

    /// A filled rectangle in a grey level (0 = black, 1 = white).
    pub(crate) fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, grey: f32) {
        self.ops.push(Op::SetFillColor {
            col: Color::Greyscale(Greyscale::new(grey, None)),
        });
        self.rectangle(x, y, w, h, PaintMode::Fill);
        self.ops.push(Op::SetFillColor {
            col: Color::Greyscale(Greyscale::new(0.0, None)),
        });
    }

    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint {
                        p: point(x1, y1),
                        bezier: false,
                    },
                    LinePoint {
                        p: point(x2, y2),
                        bezier: false,
                    },
                ],
                is_closed: false,
            },
        });
    }

    /// A check box followed by its label; returns the x after the label.
    pub(crate) fn checkbox(&mut self, x: f32, mid_y: f32, size: f32, label: &str) -> f32 {
        let side = 3.2;
        self.rect(x, mid_y - side / 2.0, side, side);
        let em = size * 25.4 / 72.0;
        self.text(x + side + 1.0, mid_y + em * 0.35, size, Align::Left, label);
        x + side + 1.0 + self.width(label, size)
    }

    /// The QR code (Model 2, numeric mode, level M) of `data`, `side` mm wide without the
    /// quiet zone, top-left at `(x, y)`. Drawn as vector rectangles rather than an image:
    /// sharp at any printer resolution and a few hundred bytes per code.
    pub(crate) fn qr(&mut self, x: f32, y: f32, side: f32, data: &str) {
        // Level M: the code stays version 1 (21 modules) for 18 digits and survives a
        // crease or a stamp on the sheet. Encoding 18 digits cannot fail.
        let Ok(code) = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) else {
            return;
        };
        let n = code.width();
        let m = side / n as f32;
        let colors = code.to_colors();
        for row in 0..n {
            // Merge each run of dark modules into one rectangle: fewer operations, and no
            // hairline seams between neighbours in some viewers.
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    let run = (col - start) as f32;
                    self.ops.push(Op::DrawRectangle {
                        rectangle: Rect {
                            x: pt(x + start as f32 * m),
                            y: pt(PAGE_H - y - (row as f32 + 1.0) * m),
                            width: pt(run * m),
                            height: pt(m),
                            mode: Some(PaintMode::Fill),
                            winding_order: None,
                        },
                    });
                } else {
                    col += 1;
                }
            }
        }
    }
}
