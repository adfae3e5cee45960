//! 予診票 (pre-screening questionnaire) reissued at the desk, one A4 page.

use std::path::Path;

use chrono::NaiveDate;
use vax_domain::resident::{age_on, Sex};
use vax_domain::voucher::OcrLine;

use crate::draw::{Align, Canvas};
use crate::font::JapaneseFont;
use crate::{single_page_pdf, write_file, PrintError};
use vax_domain::wareki::{format_seireki, format_wareki};

/// Version of the 予診票 layout and question list, printed in the page's top-left corner.
///
/// The national form was revised several times (Dec 2021, May 2022, ...); a reissued form
/// must say which revision it follows so that a doctor comparing two forms knows why the
/// questions differ. Bump it whenever [`QUESTIONS`] or the layout changes.
pub const YOSHINHYO_TEMPLATE: &str = "予診票様式 VX-2022.05 r2";

/// Residents younger than this on the day the form is printed get the 保護者 (guardian)
/// signature field: the guardian must sign for ages 12–15 (DOMAIN.md §5, 本人記入欄).
pub const GUARDIAN_BELOW_AGE: u32 = 16;

/// Whether the form for this resident carries the guardian's signature field.
pub fn needs_guardian(input: &YoshinhyoInput) -> bool {
    age_on(input.birth_date, input.print_date) < GUARDIAN_BELOW_AGE
}

/// The questions (はい/いいえ), in the order of the MHLW 「予診票の確認のポイント」.
pub const QUESTIONS: &[&str] = &[
    "新型コロナワクチンの接種を受けたことがありますか（回数・前回の接種日・ワクチンの種類）",
    "住民票のある市町村と、クーポン券（接種券）の市町村は同じですか",
    "「新型コロナワクチンの説明書」を読んで効果や副反応を理解しましたか",
    "接種順位の上位となる対象グループに該当しますか",
    "現在何らかの病気にかかって治療（投薬など）を受けていますか（心臓病・腎臓病・肝臓病・血液疾患・血が止まりにくい病気・免疫不全・その他）",
    "その病気を診てもらっている医師に今日の予防接種を受けてよいと言われましたか",
    "最近1か月以内に熱が出たり、病気にかかったりしましたか",
    "今日、体に具合が悪いところがありますか",
    "けいれん（ひきつけ）を起こしたことがありますか",
    "薬や食品などで、重いアレルギー症状（アナフィラキシーなど）を起こしたことがありますか",
    "これまでに予防接種を受けて具合が悪くなったことはありますか",
    "現在、妊娠している可能性はありますか。または、授乳中ですか",
    "2週間以内に予防接種を受けましたか",
    "今日の予防接種について質問がありますか",
];

/// What a reissued 予診票 prints: the resident's fields as the desk has them, the voucher
/// line and the print date. A plain struct so the desk can fill it from any source.
#[derive(Debug, Clone, PartialEq)]
pub struct YoshinhyoInput {
    /// 郵便番号, 7 digits (a hyphen is added when printing).
    pub postal_code: String,
    /// 住所.
    pub address: String,
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 生年月日.
    pub birth_date: NaiveDate,
    /// 性別.
    pub sex: Sex,
    /// 電話番号 as it should be printed; empty prints a blank field to fill in by hand.
    pub phone: String,
    /// The 18-digit voucher line, printed as QR and as 券番号.
    pub voucher: OcrLine,
    /// Day of printing; 満年齢 is computed on this day.
    pub print_date: NaiveDate,
}

/// `1234567` → `123-4567`; anything else is printed as given.
pub(crate) fn postal(code: &str) -> String {
    if code.len() == 7 && code.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &code[..3], &code[3..])
    } else {
        code.to_owned()
    }
}

const L: f32 = 12.0; // left margin
const R: f32 = 198.0; // right margin
const THICK: f32 = 1.2;
const THIN: f32 = 0.5;
const HEADER_GREY: f32 = 0.88;

/// Lays out the 予診票 on one A4 page.
pub(crate) fn draw(c: &mut Canvas<'_>, input: &YoshinhyoInput) {
    let line = input.voucher.to_digits();
    c.text(L, 9.0, 6.5, Align::Left, YOSHINHYO_TEMPLATE);
    c.text(
        R,
        9.0,
        8.0,
        Align::Right,
        &format!("再発行日 {}", format_wareki(input.print_date)),
    );
    c.text(
        105.0,
        19.0,
        15.0,
        Align::Center,
        "新型コロナワクチン接種の予診票",
    );
    c.text(
        105.0,
        25.5,
        8.0,
        Align::Center,
        "※太枠内は市町村の記録から印字しています。誤りがあれば受付にお申し出ください。",
    );

    header(c, input, 30.0);
    voucher_box(c, &line, input, 30.0);
    let y = questions(c, 95.0);
    let y = doctor_block(c, y + 3.0);
    let y = consent_block(c, y + 2.0, needs_guardian(input));
    record_block(c, y + 2.0);
    c.text(L, 290.0, 6.5, Align::Left, "vaxledger ・ 予診票（再発行）");
    c.text(
        R,
        290.0,
        6.5,
        Align::Right,
        &format!("券番号 {}", input.voucher.number),
    );
}

/// The resident block (太枠): 住所, フリガナ, 氏名, 生年月日・満年齢, 性別, 電話番号, 体温.
fn header(c: &mut Canvas<'_>, input: &YoshinhyoInput, top: f32) {
    let right = 152.0;
    let label_w = 24.0;
    let vx = L + label_w + 2.5;
    let rows: [(&str, f32); 6] = [
        ("住所", 14.0),
        ("フリガナ", 6.0),
        ("氏名", 12.0),
        ("生年月日", 9.0),
        ("性別", 9.0),
        ("診察前の体温", 10.0),
    ];
    let total: f32 = rows.iter().map(|r| r.1).sum();
    c.fill(L, top, label_w, total, HEADER_GREY);
    c.line_width(THIN);
    let mut y = top;
    for (i, (label, h)) in rows.iter().enumerate() {
        if i > 0 {
            // フリガナ and 氏名 share one cell on the real form: a dotted feel via thin line.
            c.line(L, y, right, y);
        }
        c.text_mid(L + label_w / 2.0, y, *h, 8.5, Align::Center, label);
        match i {
            0 => {
                c.text(
                    vx,
                    y + 4.0,
                    8.5,
                    Align::Left,
                    &format!("〒{}", postal(&input.postal_code)),
                );
                let lines = c.wrap(&input.address, 10.5, right - vx - 2.0);
                if lines.len() > 1 {
                    let lines = c.wrap(&input.address, 8.5, right - vx - 2.0);
                    for (k, l) in lines.iter().take(2).enumerate() {
                        c.text(vx, y + 8.3 + k as f32 * 3.6, 8.5, Align::Left, l);
                    }
                } else {
                    c.text(vx, y + 10.8, 10.5, Align::Left, &input.address);
                }
            }
            1 => c.text_mid(vx, y, *h, 8.5, Align::Left, &input.name_kana),
            2 => c.text_mid(vx, y, *h, 15.0, Align::Left, &input.name),
            3 => {
                let age = age_on(input.birth_date, input.print_date);
                let s = format!(
                    "{}生（{}）　満 {} 歳",
                    format_wareki(input.birth_date),
                    format_seireki(input.birth_date),
                    age
                );
                c.text_mid(vx, y, *h, 10.0, Align::Left, &s);
            }
            4 => {
                c.text_mid(vx, y, *h, 10.5, Align::Left, input.sex.label_ja());
                let split = L + label_w + 26.0;
                c.line(split, y, split, y + h);
                c.fill(split, y, 22.0, *h, HEADER_GREY);
                c.line(split + 22.0, y, split + 22.0, y + h);
                c.text_mid(split + 11.0, y, *h, 8.5, Align::Center, "電話番号");
                c.text_mid(split + 25.0, y, *h, 10.5, Align::Left, &input.phone);
            }
            _ => {
                // Left blank for the nurse: 「　　度　　分」 as on the national form.
                c.text_mid(vx + 16.0, y, *h, 10.0, Align::Left, "度");
                c.text_mid(vx + 32.0, y, *h, 10.0, Align::Left, "分");
            }
        }
        y += h;
    }
    c.line(L + label_w, top, L + label_w, top + total);
    c.line_width(THICK);
    c.rect(L, top, right - L, total);
}

/// The printed voucher: QR of the 18-digit line, 券番号, 市町村コード and the line itself.
fn voucher_box(c: &mut Canvas<'_>, line: &str, input: &YoshinhyoInput, top: f32) {
    let (x, w, h) = (155.0, R - 155.0, 60.0);
    let mid = x + w / 2.0;
    c.fill(x, top, w, 6.0, HEADER_GREY);
    c.line_width(THIN);
    c.line(x, top + 6.0, R, top + 6.0);
    c.text_mid(mid, top, 6.0, 8.5, Align::Center, "接種券（印字）");
    let side = 20.0;
    c.qr(mid - side / 2.0, top + 9.0, side, line);
    c.text(mid, top + 35.0, 7.5, Align::Center, "券番号");
    c.text(
        mid,
        top + 41.5,
        12.0,
        Align::Center,
        input.voucher.number.as_str(),
    );
    c.text(
        mid,
        top + 47.5,
        7.5,
        Align::Center,
        &format!(
            "市町村コード {}　{}回目",
            input.voucher.municipality, input.voucher.dose
        ),
    );
    c.text(mid, top + 54.5, 8.5, Align::Center, line);
    c.line_width(THICK);
    c.rect(x, top, w, h);
}

/// The question table; returns its bottom edge.
fn questions(c: &mut Canvas<'_>, top: f32) -> f32 {
    let (q_right, a_right) = (147.0, 176.5);
    let size = 8.0;
    let lh = 3.5;
    let head = 6.5;
    c.fill(L, top, R - L, head, HEADER_GREY);
    c.text_mid(
        (L + q_right) / 2.0,
        top,
        head,
        8.5,
        Align::Center,
        "質問事項",
    );
    c.text_mid(
        (q_right + a_right) / 2.0,
        top,
        head,
        8.5,
        Align::Center,
        "回答欄",
    );
    c.text_mid(
        (a_right + R) / 2.0,
        top,
        head,
        8.5,
        Align::Center,
        "医師記入欄",
    );
    c.line_width(THIN);
    let mut y = top + head;
    for (i, q) in QUESTIONS.iter().enumerate() {
        c.line(L, y, R, y);
        let lines = c.wrap(q, size, q_right - L - 9.0);
        let h = (lines.len() as f32 * lh + 3.0).max(6.8);
        c.text_mid(L + 4.0, y, h, size, Align::Center, &format!("{}", i + 1));
        let first = y + (h - lines.len() as f32 * lh) / 2.0 + lh * 0.78;
        for (k, l) in lines.iter().enumerate() {
            c.text(L + 8.0, first + k as f32 * lh, size, Align::Left, l);
        }
        // The pair of boxes is centred in the answer column.
        let pair = 2.0 * 4.2 + 3.0 + c.width("はい", size) + c.width("いいえ", size);
        let x0 = (q_right + a_right - pair) / 2.0;
        let x = c.checkbox(x0, y + h / 2.0, size, "はい");
        c.checkbox(x + 3.0, y + h / 2.0, size, "いいえ");
        y += h;
    }
    c.line(q_right, top, q_right, y);
    c.line(a_right, top, a_right, y);
    c.line(L + 7.0, top + head, L + 7.0, y);
    c.line(L, top + head, R, top + head);
    c.line_width(THICK);
    c.rect(L, top, q_right - L, y - top);
    c.line_width(THIN);
    c.rect(L, top, R - L, y - top);
    y
}

/// A block with a grey label column on the left; returns the x where content starts.
fn labelled_block(c: &mut Canvas<'_>, top: f32, h: f32, label: &str) -> f32 {
    let label_w = 24.0;
    c.fill(L, top, label_w, h, HEADER_GREY);
    c.line_width(THIN);
    c.rect(L, top, R - L, h);
    c.line(L + label_w, top, L + label_w, top + h);
    c.text_mid(L + label_w / 2.0, top, h, 8.5, Align::Center, label);
    L + label_w + 3.0
}

/// An underline for a signature from `x` to the right margin.
fn signature_line(c: &mut Canvas<'_>, x: f32, y: f32) {
    c.line(x, y + 1.0, R - 3.0, y + 1.0);
}

/// Left-aligned lines of text at `x`, each `(y, size, text)`.
fn left_lines(c: &mut Canvas<'_>, x: f32, lines: &[(f32, f32, &str)]) {
    for &(y, size, text) in lines {
        c.text(x, y, size, Align::Left, text);
    }
}

/// A signature field: `label` at `(x, y)` and the line to sign on after it.
fn signature(c: &mut Canvas<'_>, x: f32, y: f32, label: &str) {
    c.text(x, y, 8.5, Align::Left, label);
    signature_line(c, x + c.width(label, 8.5) + 3.0, y);
}

fn doctor_block(c: &mut Canvas<'_>, top: f32) -> f32 {
    let h = 20.0;
    let x = labelled_block(c, top, h, "医師記入欄");
    left_lines(
        c,
        x,
        &[
            (
                top + 5.5,
                8.5,
                "以上の問診及び診察の結果、今日の接種は（　可能　・　見合わせる　）",
            ),
            (
                top + 11.0,
                8.0,
                "本人（保護者）に対して、接種の効果、副反応及び予防接種健康被害救済制度について、説明をした。",
            ),
        ],
    );
    signature(c, x, top + 17.0, "医師署名又は記名押印");
    top + h
}

/// 本人記入欄: the consent, the resident's signature and, for minors, the guardian's
/// signature with the relationship.
fn consent_block(c: &mut Canvas<'_>, top: f32, guardian: bool) -> f32 {
    let h = if guardian { 27.0 } else { 21.0 };
    let x = labelled_block(c, top, h, "本人記入欄");
    // Two fixed lines rather than wrapping, so that the choice in brackets is never split.
    left_lines(
        c,
        x,
        &[
            (
                top + 5.0,
                8.5,
                "医師の診察・説明を受け、接種の効果や副反応などについて理解した上で、",
            ),
            (top + 9.2, 8.5, "接種を（　希望します　・　希望しません　）"),
        ],
    );
    signature(c, x, top + 14.5, "本人の自署");
    let note_y = if guardian {
        let label = "保護者の自署";
        c.text(x, top + 20.5, 8.5, Align::Left, label);
        let relation = "（続柄　　　　　）";
        let rel_w = c.width(relation, 8.5);
        c.text(R - 3.0, top + 20.5, 8.5, Align::Right, relation);
        let start = x + c.width(label, 8.5) + 3.0;
        c.line(start, top + 21.5, R - 6.0 - rel_w, top + 21.5);
        top + 25.0
    } else {
        top + 19.0
    };
    let note = if guardian {
        "※12〜15歳の方は保護者の署名が必要です。自署できない場合は代筆者が署名し、代筆者氏名及び続柄を記載してください。"
    } else {
        "※自署できない場合は代筆者が署名し、代筆者氏名及び被接種者との続柄を記載してください。"
    };
    c.text(x, note_y, 6.5, Align::Left, note);
    top + h
}

fn record_block(c: &mut Canvas<'_>, top: f32) {
    let h = 27.0;
    let x0 = labelled_block(c, top, h, "接種記録欄") - 3.0;
    let cols = [x0, x0 + 52.0, x0 + 76.0, R];
    let head = 6.0;
    c.fill(x0, top, R - x0, head, HEADER_GREY);
    c.rect(L, top, R - L, h);
    c.line(x0, top + head, R, top + head);
    for x in &cols[1..3] {
        c.line(*x, top, *x, top + h);
    }
    let heads = [
        "ワクチン名・ロット番号",
        "接種量",
        "実施場所・医師名・接種年月日",
    ];
    for (k, t) in heads.iter().enumerate() {
        c.text_mid(
            (cols[k] + cols[k + 1]) / 2.0,
            top,
            head,
            8.0,
            Align::Center,
            t,
        );
    }
    let body = top + head;
    c.text_mid(
        (cols[0] + cols[1]) / 2.0,
        body,
        h - head,
        7.0,
        Align::Center,
        "（シールを貼付）",
    );
    c.text_mid(cols[2] - 3.0, body, h - head, 9.0, Align::Right, "mL");
    let x = cols[2] + 3.0;
    for (k, label) in ["実施場所", "医師名", "接種年月日　令和　　年　　月　　日"]
        .iter()
        .enumerate()
    {
        c.text(x, body + 5.5 + k as f32 * 6.5, 8.5, Align::Left, label);
    }
}

/// The 予診票 as PDF bytes.
pub fn yoshinhyo_pdf(font: &JapaneseFont, input: &YoshinhyoInput) -> Vec<u8> {
    single_page_pdf(font, "予診票", |c| draw(c, input))
}

/// Writes the 予診票 to `path` (atomically: a partial file never appears under its name).
pub fn write_yoshinhyo(
    font: &JapaneseFont,
    input: &YoshinhyoInput,
    path: &Path,
) -> Result<(), PrintError> {
    write_file(path, &yoshinhyo_pdf(font, input))
}
