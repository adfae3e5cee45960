//! The letters that tell residents their booking: 接種日時のお知らせ (first notice),
//! 接種日時変更のお知らせ (a change) and 接種予約取消のお知らせ (a cancellation), one A4 page per
//! resident, for the same window envelope as the voucher sheets.

use chrono::{Datelike, NaiveDate};
use vax_domain::notice::{format_band, weekday_ja, Appointment, CancelReason, NoticeKind};
use vax_domain::ride_notice::RideNotice;
use vax_domain::voucher::OcrLine;
use vax_domain::wareki::{format_seireki, format_wareki};

use crate::draw::{Align, Canvas};
use crate::font::JapaneseFont;
use crate::voucher::{draw_contact_box, draw_envelope_header};
use crate::{BatchOptions, BatchReport, PrintError, VoucherSheet};

/// The layout revision printed in the footer, so that a letter on a desk can be matched to
/// the code that drew it.
pub const LETTER_TEMPLATE: &str = "letter-1";

/// How many appointments a letter page prints (a two-dose series); the caller puts any
/// further ones on another letter.
pub const LETTER_APPOINTMENTS: usize = 2;

/// One booked dose on a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterAppointment {
    /// Where and when now.
    pub appointment: Appointment,
    /// Where and when the last notice said, for a change.
    pub previous: Option<Appointment>,
    /// Why it is cancelled, for a cancellation (then `appointment` is the booking told
    /// before, and nothing replaces it).
    pub cancelled: Option<CancelReason>,
    /// The bus ride on that day for a resident who rides (issue 13): pick-up time and point,
    /// and when the bus home leaves. `None`: no ride (nothing is printed).
    pub ride: Option<RideNotice>,
    /// For a notice about the ride alone (`previous` is the same place and time): the ride
    /// told before, `None` when none was. A change with `ride` `None` says the bus no longer
    /// runs.
    pub ride_before: Option<RideNotice>,
}

impl LetterAppointment {
    /// Whether this tells only a ride: the booking is as told before.
    pub fn ride_only(&self) -> bool {
        self.cancelled.is_none()
            && self
                .previous
                .as_ref()
                .is_some_and(|p| p.same_slot(&self.appointment))
    }
}

/// One resident's letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// 接種日時のお知らせ, 接種日時変更のお知らせ or 接種予約取消のお知らせ.
    pub kind: NoticeKind,
    /// 郵便番号, 7 digits.
    pub postal_code: String,
    /// 住所 (printed in the envelope window).
    pub address: String,
    /// 氏名.
    pub name: String,
    /// The voucher's 18 digits, printed as the QR code the desk scans.
    pub voucher: OcrLine,
    /// The doses told, dose 1 first (one or two fit a page).
    pub appointments: Vec<LetterAppointment>,
}

/// What to bring, as every letter lists it (DOMAIN.md: the voucher, the filled 予診票, an
/// identity document, the medication notebook).
const WHAT_TO_BRING: [&str; 4] = [
    "接種券（市から郵送したもの。右のコードでも受付できます）",
    "予診票（記入してお持ちください）",
    "本人確認書類（マイナンバーカード、運転免許証、健康保険証など）",
    "お薬手帳（お持ちの方）",
];

/// `令和8年12月5日（土）`.
fn wareki_with_weekday(date: NaiveDate) -> String {
    format!("{}（{}）", format_wareki(date), weekday_ja(date.weekday()))
}

const BOX_X: f32 = 30.0;
const BOX_W: f32 = 150.0;
const LABEL_W: f32 = 24.0;
const ROW_H: f32 = 7.5;

/// One appointment's box from `top`; returns its bottom.
fn draw_appointment(c: &mut Canvas<'_>, top: f32, a: &LetterAppointment) -> f32 {
    if let Some(reason) = a.cancelled {
        return draw_cancelled(c, top, &a.appointment, reason);
    }
    let now = &a.appointment;
    let mut rows: Vec<(&str, String, f32)> = Vec::with_capacity(7);
    if let Some(before) = a.previous.as_ref().filter(|_| !a.ride_only()) {
        rows.push((
            "変更前",
            format!(
                "{}　{}　{}",
                before.venue_name,
                wareki_with_weekday(before.date),
                format_band(before.start, before.end)
            ),
            8.5,
        ));
    }
    let new_label = if a.previous.is_some() && !a.ride_only() {
        "変更後の会場"
    } else {
        "会場"
    };
    rows.push((new_label, now.venue_name.clone(), 12.0));
    rows.push(("所在地", now.venue_address.clone(), 10.0));
    rows.push((
        "接種日",
        format!(
            "{}　（{}）",
            wareki_with_weekday(now.date),
            format_seireki(now.date)
        ),
        12.0,
    ));
    rows.push(("受付時間", format_band(now.start, now.end), 12.0));
    rows.extend(ride_rows(a));
    draw_box(
        c,
        top,
        &format!("{}回目の接種", now.dose_number),
        &rows,
        &[],
    )
}

/// The rows a ride adds to the box: the ride told before (a ride-only change), and the ride
/// now, or that the bus no longer runs.
fn ride_rows(a: &LetterAppointment) -> Vec<(&'static str, String, f32)> {
    let mut rows = Vec::with_capacity(2);
    if a.ride_only() {
        if let Some(before) = &a.ride_before {
            rows.push(("変更前", before.letter_line(), 8.5));
        }
    }
    match &a.ride {
        Some(ride) => rows.push(("送迎バス", ride.letter_line(), 10.5)),
        None if a.ride_only() => rows.push((
            "送迎バス",
            "運行の予定はなくなりました（お問い合わせ先へお電話ください）".to_owned(),
            9.5,
        )),
        None => {}
    }
    rows
}

/// The title and opening of a letter that tells only bus rides (every dose on it is as
/// told before); `None` for every other letter.
fn ride_only_intro(letter: &Letter) -> Option<(&'static str, &'static str)> {
    if letter.kind != NoticeKind::Change || !letter.appointments.iter().all(|a| a.ride_only()) {
        return None;
    }
    Some(
        if letter.appointments.iter().all(|a| a.ride_before.is_none()) {
            (
            "送迎バスのお知らせ",
            "接種日の送迎バスの迎えの時刻と場所が決まりましたので、お知らせします。接種の日時と会場は変わりません。",
        )
        } else {
            (
            "送迎バス時刻変更のお知らせ",
            "接種日の送迎バスの時刻を次のとおり変更しました。ご迷惑をおかけして申し訳ありません。接種の日時と会場は変わりません。",
        )
        },
    )
}

/// A cancelled booking's box from `top`: what was booked, struck out in words, and why.
fn draw_cancelled(c: &mut Canvas<'_>, top: f32, told: &Appointment, reason: CancelReason) -> f32 {
    let rows = [
        ("会場", told.venue_name.clone(), 11.0),
        (
            "接種日",
            format!(
                "{}　（{}）",
                wareki_with_weekday(told.date),
                format_seireki(told.date)
            ),
            11.0,
        ),
        ("受付時間", format_band(told.start, told.end), 11.0),
    ];
    let why: Vec<String> = c.wrap(reason.explanation_ja(), 9.5, BOX_W - LABEL_W - 6.0);
    draw_box(
        c,
        top,
        &format!("{}回目の接種　予約取消", told.dose_number),
        &rows,
        &why,
    )
}

/// A box: the header on grey, labelled rows, then `reason` lines under the label 理由.
fn draw_box(
    c: &mut Canvas<'_>,
    top: f32,
    header: &str,
    rows: &[(&str, String, f32)],
    reason: &[String],
) -> f32 {
    let reason_h = if reason.is_empty() {
        0.0
    } else {
        (reason.len() as f32 * 4.8 + 2.7).max(ROW_H)
    };
    let h = ROW_H * (rows.len() as f32 + 1.0) + reason_h;
    // Header row: the dose, on grey.
    c.fill(BOX_X, top, BOX_W, ROW_H, 0.88);
    c.text_mid(BOX_X + 3.0, top, ROW_H, 10.5, Align::Left, header);
    c.fill(BOX_X, top + ROW_H, LABEL_W, h - ROW_H, 0.94);
    c.line_width(0.5);
    let mut y = top + ROW_H;
    for (label, value, size) in rows {
        c.line(BOX_X, y, BOX_X + BOX_W, y);
        let label_size = if label.chars().count() > 4 { 7.5 } else { 9.0 };
        c.text_mid(
            BOX_X + LABEL_W / 2.0,
            y,
            ROW_H,
            label_size,
            Align::Center,
            label,
        );
        let room = BOX_W - LABEL_W - 6.0;
        let mut size = *size;
        while size > 7.0 && c.width(value, size) > room {
            size -= 0.5;
        }
        c.text_mid(BOX_X + LABEL_W + 3.0, y, ROW_H, size, Align::Left, value);
        y += ROW_H;
    }
    if !reason.is_empty() {
        c.line(BOX_X, y, BOX_X + BOX_W, y);
        c.text_mid(
            BOX_X + LABEL_W / 2.0,
            y,
            reason_h,
            9.0,
            Align::Center,
            "理由",
        );
        let mut ly = y + 5.0;
        for l in reason {
            c.text(BOX_X + LABEL_W + 3.0, ly, 9.5, Align::Left, l);
            ly += 4.8;
        }
    }
    c.line(BOX_X + LABEL_W, top + ROW_H, BOX_X + LABEL_W, top + h);
    c.line_width(1.0);
    c.rect(BOX_X, top, BOX_W, h);
    top + h
}

fn draw(c: &mut Canvas<'_>, letter: &Letter, opts: &BatchOptions) {
    let sheet = VoucherSheet {
        postal_code: letter.postal_code.clone(),
        address: letter.address.clone(),
        name: letter.name.clone(),
        voucher: letter.voucher.clone(),
    };
    draw_envelope_header(c, &sheet, opts);
    let ride_only = ride_only_intro(letter);
    let title = ride_only.map_or(letter.kind.title_ja(), |(title, _)| title);
    c.text(105.0, 80.0, 18.0, Align::Center, title);
    let intro = match letter.kind {
        _ if ride_only.is_some() => ride_only.map_or("", |(_, intro)| intro),
        NoticeKind::First => {
            "新型コロナワクチンの接種日時が次のとおり決まりましたので、お知らせします。"
        }
        NoticeKind::Change => {
            "新型コロナワクチンの接種日時を次のとおり変更しました。ご迷惑をおかけして申し訳ありません。変更後の日時にお越しください。"
        }
        NoticeKind::Cancel => {
            "新型コロナワクチンの次の接種予約を取り消しましたので、お知らせします。ご迷惑をおかけして申し訳ありません。"
        }
    };
    let mut y = 89.0;
    for l in c.wrap(intro, 9.5, BOX_W) {
        c.text(BOX_X, y, 9.5, Align::Left, &l);
        y += 4.8;
    }
    y += 2.0;
    for a in letter.appointments.iter().take(LETTER_APPOINTMENTS) {
        y = draw_appointment(c, y, a) + 4.0;
    }

    if letter.appointments.iter().all(|a| a.cancelled.is_some()) {
        // Nothing is booked: nothing to bring; the way back is a call.
        let top = y.max(196.0) + 2.0;
        for (k, l) in c
            .wrap(
                "改めて接種を希望される方、取消にお心当たりのない方は、下記のお問い合わせ先（コールセンター）へお電話ください。接種券は引き続きお使いいただけますので、大切に保管してください。",
                9.5,
                BOX_W,
            )
            .iter()
            .enumerate()
        {
            c.text(BOX_X, top + 4.0 + k as f32 * 4.8, 9.5, Align::Left, l);
        }
        draw_contact_box(c, &opts.contact);
        footer(c);
        return;
    }

    // What to bring, with the voucher's QR code beside it.
    let top = y.max(196.0) + 2.0;
    c.text(
        BOX_X,
        top + 4.0,
        11.0,
        Align::Left,
        "当日お持ちいただくもの",
    );
    let mut ly = top + 10.0;
    for item in WHAT_TO_BRING {
        for (k, l) in c.wrap(item, 9.0, 112.0).iter().enumerate() {
            c.text(BOX_X, ly, 9.0, Align::Left, if k == 0 { "・" } else { "" });
            c.text(BOX_X + 4.0, ly, 9.0, Align::Left, l);
            ly += 4.6;
        }
    }
    let side = 22.0;
    let qx = BOX_X + BOX_W - side - 4.0;
    c.qr(qx, top, side, &letter.voucher.to_digits());
    c.text(
        qx + side / 2.0,
        top + side + 4.0,
        7.5,
        Align::Center,
        "受付で読み取ります",
    );
    c.text(
        BOX_X,
        ly + 2.0,
        8.5,
        Align::Left,
        "日時の変更・取消はお問い合わせ先へお電話ください。",
    );
    draw_contact_box(c, &opts.contact);
    footer(c);
}

fn footer(c: &mut Canvas<'_>) {
    c.text(
        105.0,
        290.0,
        6.5,
        Align::Center,
        &format!("vaxledger ・ 接種日時のお知らせ ・ {LETTER_TEMPLATE}"),
    );
}

/// Writes one A4 letter per item of `letters`, cut into files of
/// [`BatchOptions::chunk_size`] pages named `{file_prefix}-0001.pdf`, ..., and calls
/// `progress(done, total)` after each page (as [`crate::write_voucher_batches`]). A letter
/// prints at most [`LETTER_APPOINTMENTS`] appointments.
pub fn write_letter_batches<I>(
    font: &JapaneseFont,
    letters: I,
    total: usize,
    opts: &BatchOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BatchReport, PrintError>
where
    I: IntoIterator<Item = Letter>,
{
    crate::write_paged(
        font,
        "接種日時のお知らせ",
        letters,
        total,
        opts,
        draw,
        progress,
    )
}
