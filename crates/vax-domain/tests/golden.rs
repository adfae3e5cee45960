//! Golden tests: every line of `tests/golden/*.tsv` is parsed and its result compared with
//! the expected text. Add a case by adding a line.

use vax_domain::resident::parse_date;
use vax_domain::voucher::VoucherPayload;

fn render_voucher(input: &str) -> String {
    match VoucherPayload::parse(input) {
        Ok(VoucherPayload::Line(l)) => format!(
            "line kind={} dose={} muni={} number={}",
            l.kind, l.dose, l.municipality, l.number
        ),
        Ok(VoucherPayload::NumberOnly(n)) => format!("number {n}"),
        Err(e) => format!("error: {e}"),
    }
}

fn render_date(input: &str) -> String {
    match parse_date(input) {
        Ok(date) => date.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

/// The input column with `\r`, `\n`, `\t`, `\\` and `\u{XXXX}` replaced by their characters,
/// so that a case can hold what a TSV line cannot.
fn unescape(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let rest: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let hex = rest
                    .strip_prefix('{')
                    .unwrap_or_else(|| panic!("\\u without braces in {input:?}"));
                let code = u32::from_str_radix(hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or_else(|| panic!("bad \\u{{{hex}}} in {input:?}"));
                out.push(code);
            }
            other => panic!("unknown escape \\{other:?} in {input:?}"),
        }
    }
    out
}

/// Checks every case of a golden file; returns how many there were.
fn check(file: &str, golden: &str, render: fn(&str) -> String) -> usize {
    let mut cases = 0;
    for (i, line) in golden.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (input, expected) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("line {} of {file} has no tab", i + 1));
        let input = unescape(input);
        assert_eq!(
            render(&input),
            expected,
            "line {} of {file}: input {input:?}",
            i + 1
        );
        cases += 1;
    }
    cases
}

#[test]
fn every_golden_voucher_case_parses_as_recorded() {
    let cases = check(
        "vouchers.tsv",
        include_str!("golden/vouchers.tsv"),
        render_voucher,
    );
    assert!(cases >= 30, "the golden file holds the cases ({cases})");
}

#[test]
fn every_golden_date_case_reads_as_recorded() {
    let cases = check("wareki.tsv", include_str!("golden/wareki.tsv"), render_date);
    assert!(cases >= 100, "the golden file holds the cases ({cases})");
}
