//! Golden tests: every line of `tests/golden/vouchers.tsv` is parsed and its result
//! compared with the expected text. Add a case by adding a line.

use vax_domain::voucher::VoucherPayload;

fn render(input: &str) -> String {
    match VoucherPayload::parse(input) {
        Ok(VoucherPayload::Line(l)) => format!(
            "line kind={} dose={} muni={} number={}",
            l.kind, l.dose, l.municipality, l.number
        ),
        Ok(VoucherPayload::NumberOnly(n)) => format!("number {n}"),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn every_golden_voucher_case_parses_as_recorded() {
    let golden = include_str!("golden/vouchers.tsv");
    let mut cases = 0;
    for (i, line) in golden.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (input, expected) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("line {} of vouchers.tsv has no tab", i + 1));
        assert_eq!(
            render(input),
            expected,
            "line {} of vouchers.tsv: input {input:?}",
            i + 1
        );
        cases += 1;
    }
    assert!(cases >= 20, "the golden file holds the cases ({cases})");
}
