//! Fuzzing voucher parsing with proptest (issue 15): whatever a scanner or a person types,
//! `VoucherPayload::parse` and the number parsers answer with a value or a `VoucherError`,
//! never a panic, and whatever they accept reads back as digits. Inputs are arbitrary
//! strings, strings over the characters scanners send (digits in both widths, hyphens,
//! blanks, CR/LF, kanji, combining marks), and real OCR lines mutated. Few cases per run so
//! that `cargo test` stays quick; `PROPTEST_CASES=100000` runs a long campaign
//! (docs/BENCHMARKS.md, "Fuzzing").

use proptest::prelude::*;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber, VoucherPayload};

fn parse_all(input: &str) {
    if let Ok(payload) = VoucherPayload::parse(input) {
        // What is accepted is made of digits only, however it was typed.
        let digits = match &payload {
            VoucherPayload::Line(line) => line.to_digits(),
            VoucherPayload::NumberOnly(number) => number.to_string(),
        };
        assert!(
            digits.bytes().all(|b| b.is_ascii_digit()),
            "{input:?} -> {digits:?}"
        );
    }
    if let Ok(number) = VoucherNumber::parse(input) {
        assert_eq!(number.to_string().len(), 10);
    }
    let _ = MunicipalityCode::parse(input);
}

fn scanner_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            '0', '1', '2', '5', '9', '０', '１', '９', '-', 'ー', '－', ' ', '\u{3000}', '\r',
            '\n', '\t', 'A', 'x', '舞', '鶴', '\u{0301}', '\u{feff}', '\u{0}', '٣', '𝟘',
        ]),
        0..40,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Cases per property: few in `cargo test`, `PROPTEST_CASES` for a campaign.
fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases_or(512)))]

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        parse_all(&input);
    }

    #[test]
    fn scanner_like_text_never_panics(input in scanner_text()) {
        parse_all(&input);
    }

    #[test]
    fn mutated_ocr_lines_never_panic(at in 0usize..18, with in scanner_text(), cut in 0usize..20) {
        // A valid line: kind 1, dose 1, Maizuru 262021, number 0000123456.
        let mut chars: Vec<char> = "112620210000123456".chars().collect();
        let at = at.min(chars.len());
        chars.splice(at..at, with.chars());
        chars.truncate(cut.max(1) * 2);
        parse_all(&chars.into_iter().collect::<String>());
    }
}
