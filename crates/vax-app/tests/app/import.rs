use vax_app::import::{
    import_register, import_register_bytes, import_survey, import_survey_bytes, ImportError,
    ImportProblem, TextEncoding,
};
use vax_app::progress::NoProgress;
use vax_domain::resident::Intention;
use vax_domain::voucher::VoucherNumber;
use vax_ledger::Ledger;

use crate::{now, sample};

const HEADER: &str =
    "市町村コード,券番号,氏名,氏名カナ,生年月日,性別,郵便番号,住所,地区,緯度,経度,電話番号\n";

fn register(ledger: &mut Ledger, csv: &str) -> Result<vax_app::import::ImportReport, ImportError> {
    import_register_bytes(
        ledger,
        csv.as_bytes(),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
}

/// A ledger holding the documented sample register.
fn ledger_with_the_sample_register() -> Ledger {
    let mut ledger = Ledger::open_in_memory().unwrap();
    import_register(
        &mut ledger,
        &sample("register.csv"),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    ledger
}

fn survey(ledger: &mut Ledger, csv: &str) -> Result<vax_app::import::ImportReport, ImportError> {
    import_survey_bytes(
        ledger,
        csv.as_bytes(),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
}

/// `(line, column)` of each problem, in the order reported.
fn lines_and_columns(p: &[ImportProblem]) -> Vec<(u64, Option<&str>)> {
    p.iter().map(|x| (x.line, x.column.as_deref())).collect()
}

fn problems(result: Result<vax_app::import::ImportReport, ImportError>) -> Vec<ImportProblem> {
    match result {
        Err(ImportError::Rejected { problems }) => problems,
        Err(other) => panic!("expected a rejection, got {other}"),
        Ok(report) => panic!(
            "expected a rejection, got an import of {} rows",
            report.rows
        ),
    }
}

#[test]
fn the_documented_sample_register_and_survey_import() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let report = import_register(
        &mut ledger,
        &sample("register.csv"),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(
        (report.rows, report.inserted),
        (3, 3),
        "three residents in the sample"
    );
    let survey = import_survey(
        &mut ledger,
        &sample("survey.csv"),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(survey.rows, 3);
    let hina = &ledger
        .reader()
        .residents_by_voucher(None, &VoucherNumber::parse("0000100015").unwrap())
        .unwrap()[0];
    assert_eq!(
        hina.resident.name_kana, "スズキ ヒナ",
        "hiragana readings are stored as katakana"
    );
    assert_eq!(hina.resident.home, None, "empty coordinates stay empty");
    let survey = hina.survey.as_ref().expect("survey applied");
    assert_eq!(survey.intention, Intention::Undecided);
    assert!(!survey.needs_transport, "an empty 送迎 means no transport");
}

#[test]
fn a_cp932_file_as_excel_saves_it_imports_the_same_as_utf8() {
    let text = std::fs::read_to_string(sample("register.csv")).unwrap();
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable, "the sample is representable in CP932");
    let mut from_sjis = Ledger::open_in_memory().unwrap();
    let r = import_register_bytes(
        &mut from_sjis,
        &bytes,
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(
        r.encoding, "CP932",
        "auto-detection picks CP932 for non-UTF-8 bytes"
    );
    let mut from_utf8 = Ledger::open_in_memory().unwrap();
    register(&mut from_utf8, &text).unwrap();
    let names = |l: &Ledger| -> Vec<String> {
        l.reader()
            .residents_by_kana_prefix("", 10)
            .unwrap()
            .into_iter()
            .map(|r| r.resident.name)
            .collect()
    };
    assert_eq!(
        names(&from_sjis),
        names(&from_utf8),
        "both encodings give the same residents"
    );
}

#[test]
fn a_utf8_file_with_a_bom_imports() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let text = format!(
        "\u{FEFF}{}",
        std::fs::read_to_string(sample("register.csv")).unwrap()
    );
    assert_eq!(
        register(&mut ledger, &text).unwrap().inserted,
        3,
        "the BOM is not part of the first header"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_rejected_with_their_line_when_utf8_is_forced() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        &encoding_rs::SHIFT_JIS
            .encode("262021,0000000001,山田 花子,ヤマダ ハナコ,1941-04-01,女,,住所,西\n")
            .0,
    );
    let result = import_register_bytes(
        &mut ledger,
        &bytes,
        TextEncoding::Utf8,
        now(),
        &mut NoProgress,
    );
    let p = problems(result);
    assert_eq!(p[0].line, 2, "the bad bytes are on line 2");
    assert!(
        p[0].message_en.contains("CP932"),
        "the message suggests CP932: {}",
        p[0].message_en
    );
}

#[test]
fn every_bad_row_is_reported_with_its_line_and_nothing_is_imported() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let csv = format!(
        "{HEADER}\
         262021,0000000001,山田 花子,ヤマダ ハナコ,1941-04-01,女,,京都府デモ市1,西舞鶴,,,\n\
         262022,0000000002,佐藤 清,サトウ キヨシ,1936-11-03,男,,京都府デモ市2,東舞鶴,,,\n\
         262021,000000003,佐藤 実,サトウ ミノル,1936-11-03,男,,京都府デモ市3,東舞鶴,,,\n\
         262021,0000000004,田中 一郎,田中 一郎,1950-02-30,X,,京都府デモ市4,東舞鶴,,,\n\
         262021,0000000005,,タナカ,1950-01-01,男,12,,東舞鶴,35.4,,03-1\n\
         262021,0000000001,山田 花子,ヤマダ ハナコ,1941-04-01,女,,京都府デモ市1,西舞鶴,,,\n\
         262021,0000000007,短い 行\n"
    );
    let p = problems(register(&mut ledger, &csv));
    let at = |line: u64, column: &str| {
        p.iter()
            .any(|x| x.line == line && x.column.as_deref() == Some(column))
    };
    assert!(at(3, "市町村コード"), "wrong check digit on line 3: {p:#?}");
    assert!(at(4, "券番号"), "9-digit voucher on line 4");
    assert!(at(5, "氏名カナ"), "kanji in the reading on line 5");
    assert!(at(5, "生年月日"), "30 February on line 5");
    assert!(at(5, "性別"), "unknown sex code on line 5");
    assert!(at(6, "氏名"), "empty name on line 6");
    assert!(at(6, "郵便番号"), "2-digit postal code on line 6");
    assert!(at(6, "住所"), "empty address on line 6");
    assert!(at(6, "電話番号"), "short phone on line 6");
    assert!(at(6, "緯度"), "latitude without longitude on line 6");
    assert!(
        p.iter().any(|x| x.line == 8 && x.column.is_none()),
        "short row on line 8"
    );
    assert!(
        p.iter().all(|x| !x.message_ja.is_empty()),
        "every problem is explained in Japanese too"
    );
    assert_eq!(
        ledger.reader().resident_count().unwrap(),
        0,
        "a file with bad rows imports nothing"
    );
}

#[test]
fn a_voucher_twice_in_one_file_is_rejected_naming_both_lines() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let row = "262021,0000000001,山田 花子,ヤマダ ハナコ,1941-04-01,女,,京都府デモ市1,西舞鶴,,,\n";
    let p = problems(register(&mut ledger, &format!("{HEADER}{row}{row}")));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].line, 3, "the second occurrence is the problem");
    assert!(
        p[0].message_en.contains("line 2"),
        "it names the first: {}",
        p[0].message_en
    );
}

/// A register of 20 lines: good rows, a record whose quoted address holds a line break
/// (lines 10–11), a blank line (15), a bad 性別 on line 19 and line 5's voucher again on
/// line 20. `eol` ends every line, and is the line break inside the quoted field too.
fn register_with_problems_late(eol: &str) -> String {
    let row = |n: u32| {
        format!(
            "262021,{n:010},山田 花子,ヤマダ ハナコ,1941-04-01,女,,京都府デモ市{n},西舞鶴,,,{eol}"
        )
    };
    let mut csv = HEADER.replace('\n', eol);
    for n in 2..=9 {
        csv.push_str(&row(n));
    }
    csv.push_str(&format!(
        "262021,0000000010,佐藤 清,サトウ キヨシ,S11.11.3,男,,\"京都府デモ市字浜{eol}12番地3\",東舞鶴,,,{eol}"
    ));
    for n in 12..=14 {
        csv.push_str(&row(n));
    }
    csv.push_str(eol);
    for n in 16..=18 {
        csv.push_str(&row(n));
    }
    csv.push_str(&format!(
        "262021,0000000019,田中 一郎,タナカ イチロウ,1950-01-01,X,,京都府デモ市19,東舞鶴,,,{eol}"
    ));
    csv.push_str(&row(5));
    csv
}

#[test]
fn problems_are_reported_on_their_own_line_in_crlf_and_lf_files() {
    for (eol, name) in [("\n", "LF"), ("\r\n", "CRLF")] {
        let mut ledger = Ledger::open_in_memory().unwrap();
        let csv = register_with_problems_late(eol);
        assert_eq!(
            csv.split(eol).count() - 1,
            20,
            "{name}: the file has 20 lines"
        );
        let p = problems(register(&mut ledger, &csv));
        let found = lines_and_columns(&p);
        assert_eq!(
            found,
            [(19, Some("性別")), (20, Some("券番号"))],
            "{name}: the bad 性別 is on line 19 and the repeated voucher on line 20: {p:#?}"
        );
        assert!(
            p[1].message_en.contains("line 5") && p[1].message_ja.contains("5行目"),
            "{name}: the repeated voucher names its first line, 5: {}",
            p[1].message_en
        );
    }
}

#[test]
fn a_bad_record_spanning_lines_is_reported_where_it_starts() {
    for eol in ["\n", "\r\n"] {
        let mut ledger = Ledger::open_in_memory().unwrap();
        let csv = format!(
            "{}262021,0000000001,山田 花子,ヤマダ ハナコ,1941-04-01,女,,\"京都府{eol}デモ市{eol}1番地\",西舞鶴,,,{eol}\
             262021,0000000002,佐藤 清,サトウ キヨシ,1936-11-03,男,,\"京都府{eol}デモ市2\",東舞鶴,,,0773{eol}\
             262021,0000000003,佐藤 実,サトウ ミノル,1936-11-03,Q,,京都府デモ市3,東舞鶴,,,{eol}",
            HEADER.replace('\n', eol)
        );
        let p = problems(register(&mut ledger, &csv));
        let lines: Vec<u64> = p.iter().map(|x| x.line).collect();
        assert_eq!(lines, [5, 7], "{eol:?}: {p:#?}");
    }
}

#[test]
fn a_repeated_voucher_is_reported_with_every_other_problem_of_the_file() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let csv = format!(
        "{HEADER}\
         262021,0000000001,山田 花子,ヤマダ ハナコ,1941-04-01,女,,京都府デモ市1,西舞鶴,,,\n\
         262021,0000000002,佐藤 清,サトウ キヨシ,1936-11-03,男,,京都府デモ市2,東舞鶴,,,\n\
         262021,0000000003,,サトウ ミノル,1936-11-03,男,,京都府デモ市3,東舞鶴,,,\n\
         262021,0000000001,山田 花子,ヤマダ ハナコ,1941-04-01,女,,京都府デモ市1,西舞鶴,,,\n\
         262021,0000000002,佐藤 清,サトウ キヨシ,1936-11-31,男,,京都府デモ市2,東舞鶴,,,\n"
    );
    let p = problems(register(&mut ledger, &csv));
    let found = lines_and_columns(&p);
    assert_eq!(
        found,
        [
            (4, Some("氏名")),
            (5, Some("券番号")),
            (6, Some("生年月日")),
            (6, Some("券番号")),
        ],
        "the empty name, both repeated vouchers (one on a row with a bad date too), in line order: {p:#?}"
    );
    assert!(p[1].message_en.contains("line 2"), "{}", p[1].message_en);
    assert!(p[3].message_en.contains("line 3"), "{}", p[3].message_en);
    assert_eq!(ledger.reader().resident_count().unwrap(), 0);
}

#[test]
fn every_line_cp932_cannot_read_is_reported() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let mut bytes = encoding_rs::SHIFT_JIS.encode(HEADER).0.into_owned();
    for n in 1..=4 {
        let row =
            format!("262021,{n:010},山田 花子,ヤマダ ハナコ,1941-04-01,女,,京都府デモ市,西,,,\r\n");
        bytes.extend_from_slice(&encoding_rs::SHIFT_JIS.encode(&row).0);
        if n % 2 == 0 {
            // a lone lead byte: not CP932
            let at = bytes.len() - 4;
            bytes.insert(at, 0x81);
        }
    }
    let p = problems(import_register_bytes(
        &mut ledger,
        &bytes,
        TextEncoding::Cp932,
        now(),
        &mut NoProgress,
    ));
    let lines: Vec<u64> = p.iter().map(|x| x.line).collect();
    assert_eq!(lines, [3, 5], "{p:#?}");
}

#[test]
fn a_missing_required_column_is_reported_on_the_header_line() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let p = problems(register(
        &mut ledger,
        "市町村コード,券番号,氏名\n262021,0000000001,山田\n",
    ));
    let missing: Vec<_> = p.iter().filter_map(|x| x.column.clone()).collect();
    assert!(
        p.iter().all(|x| x.line == 1),
        "header problems are on line 1"
    );
    assert_eq!(
        missing,
        ["氏名カナ", "生年月日", "性別", "住所", "地区"],
        "every missing column is named"
    );
}

#[test]
fn an_empty_file_is_rejected() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let p = problems(register(&mut ledger, ""));
    assert_eq!(p[0].line, 1);
}

#[test]
fn columns_in_another_order_with_extras_and_aliases_import() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let csv = "備考,地区,住所,性別,生年月日,フリガナ,氏名,接種券番号,自治体コード\n\
               メモ,西舞鶴,京都府デモ市1,女,1941-04-01,ﾔﾏﾀﾞ ﾊﾅｺ,山田 花子,0000000001,262021\n";
    let report = register(&mut ledger, csv).unwrap();
    assert_eq!(report.inserted, 1);
    assert_eq!(
        report.ignored_columns,
        ["備考"],
        "unknown columns are listed, not fatal"
    );
    let r = &ledger
        .reader()
        .residents_by_kana_prefix("ヤマダ", 5)
        .unwrap()[0];
    assert_eq!(
        r.resident.name_kana, "ヤマダ ハナコ",
        "half-width readings are stored full-width"
    );
}

#[test]
fn reimporting_a_changed_register_updates_and_never_duplicates() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let first = std::fs::read_to_string(sample("register.csv")).unwrap();
    register(&mut ledger, &first).unwrap();
    let changed = first.replace("字南田辺1番地", "字南田辺2番地").replace(
        "262021,0000100015,鈴木 陽菜,すずき ひな,20080520,2,625-0087,京都府デモ市字余部下5番地,中舞鶴,,,090-1234-5678\n",
        "",
    );
    let added = format!("{changed}262021,0000100022,高橋 翼,タカハシ ツバサ,2001-07-07,男,,京都府デモ市字浜3番地,東舞鶴,,,\n");
    let report = register(&mut ledger, &added).unwrap();
    assert_eq!(
        (
            report.inserted,
            report.updated,
            report.unchanged,
            report.not_in_file
        ),
        (1, 1, 1, 1),
        "one new, one moved, one as before, one missing from the new file"
    );
    assert_eq!(
        ledger.reader().resident_count().unwrap(),
        4,
        "no resident is duplicated or deleted"
    );
    let again = register(&mut ledger, &added).unwrap();
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 3),
        "the same file twice changes nothing"
    );
}

#[test]
fn a_survey_answer_for_an_unknown_voucher_rejects_the_whole_survey() {
    let mut ledger = ledger_with_the_sample_register();
    let csv = "市町村コード,券番号,接種意向\n262021,0000100001,希望する\n262021,0000999999,希望する\n262021,0000100008,たぶん\n";
    let p = problems(survey(&mut ledger, csv));
    let found = lines_and_columns(&p);
    assert_eq!(
        found,
        [(3, Some("券番号")), (4, Some("接種意向"))],
        "the unknown voucher on line 3 and the bad intention on line 4, both at once: {p:#?}"
    );
    let first = &ledger
        .reader()
        .residents_by_voucher(None, &VoucherNumber::parse("0000100001").unwrap())
        .unwrap()[0];
    assert_eq!(
        first.survey, None,
        "the valid line 2 was not applied either"
    );
}

#[test]
fn a_survey_lists_unknown_and_repeated_vouchers_with_its_other_problems() {
    let mut ledger = ledger_with_the_sample_register();
    let csv = "市町村コード,券番号,接種意向,回答日\r\n\
               262021,0000100001,希望する,R3.4.20\r\n\
               262021,0000999999,希望する,\r\n\
               262021,0000100001,未定,昭和65年1月1日\r\n\
               262021,0000100008,たぶん,\r\n";
    let p = problems(survey(&mut ledger, csv));
    let found = lines_and_columns(&p);
    assert_eq!(
        found,
        [
            (3, Some("券番号")),
            (4, Some("回答日")),
            (4, Some("券番号")),
            (5, Some("接種意向")),
        ],
        "{p:#?}"
    );
    assert!(p[1].message_en.contains("昭和"), "{}", p[1].message_en);
}

#[test]
fn the_demo_city_written_as_csv_imports_back_to_the_same_residents() {
    let city = vax_demo::generate(&vax_demo::DemoParams {
        residents: 2_000,
        ..vax_demo::DemoParams::default()
    });
    let (register_csv, survey_csv) = vax_app::demo::demo_csv(&city);
    let mut ledger = Ledger::open_in_memory().unwrap();
    let r = register(&mut ledger, &register_csv).unwrap();
    assert_eq!(r.inserted, 2_000, "every generated resident is valid input");
    import_survey_bytes(
        &mut ledger,
        survey_csv.as_bytes(),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    for (resident, answer) in city.residents.iter().step_by(97) {
        let stored = &ledger
            .reader()
            .residents_by_voucher(Some(&resident.municipality), &resident.voucher)
            .unwrap()[0];
        assert_eq!(stored.resident.name, resident.name);
        assert_eq!(stored.resident.birth_date, resident.birth_date);
        assert_eq!(stored.resident.phone, resident.phone, "phones round-trip");
        assert_eq!(
            stored.survey.as_ref().map(|s| s.intention),
            Some(answer.intention)
        );
    }
}

/// A register as a municipal 住民記録 system exports it for the campaign: CP932, CRLF, the
/// system's own column names (個別宛名番号, 接種券番号, half-width フリガナ) with extra columns,
/// era birth dates in several spellings, full-width digits in coded and numeric columns, a
/// quoted address holding a comma, and the empty last line Excel leaves.
const MUNICIPAL_REGISTER: &str = "\
個別宛名番号,世帯番号,自治体コード,接種券番号,氏名,フリガナ,生年月日,性別,続柄,郵便番号,住所,地区,電話番号
000012345678901,0001,262021,0000100001,山田 花子,ﾔﾏﾀﾞ ﾊﾅｺ,昭和16年4月1日,２,世帯主,〒６２４－０８５３,京都府デモ市字南田辺1番地,西舞鶴,０７７３（７５）０００１
000012345678902,0002,２６２０２１,００００１００００８,佐藤 清,ｻﾄｳ ｷﾖｼ,S11.11.03,１,世帯主,625-0036,\"京都府デモ市字浜12番地3,浜団地2号棟\",東舞鶴,0773-62-0002
０００１２３４５６７８９０３,0003,262021,0000100015,鈴木 陽菜,ｽｽﾞｷ ﾋﾅ,Ｈ２０．５．２０,2,子,6250087,京都府デモ市字余部下5番地,中舞鶴,090-1234-5678
000012345678904,0004,262021,0000100022,高橋 ツル,ﾀｶﾊｼ ﾂﾙ,明治45年7月29日,女,母,,京都府デモ市字倉谷1番地,西舞鶴,
000012345678905,0005,262021,0000100029,伊藤 正,ｲﾄｳ ﾀﾀﾞｼ,大正15年12月24日,男,世帯主,,京都府デモ市字浜1番地,東舞鶴,
000012345678906,0006,262021,0000100036,渡辺 昭,ﾜﾀﾅﾍﾞ ｱｷﾗ,Ｓ６４．１．７,1,子,,京都府デモ市字浜2番地,東舞鶴,
000012345678907,0007,262021,0000100043,小林 平,ｺﾊﾞﾔｼ ﾀｲﾗ,平成元年1月8日,1,子,,京都府デモ市字浜3番地,東舞鶴,
,0008,262021,0000100050,中村 令,ﾅｶﾑﾗ ﾚｲ,令和元年5月1日,2,孫,,京都府デモ市字浜4番地,東舞鶴,
000012345678909,0009,262021,0000100057,加藤 一,ｶﾄｳ ﾊｼﾞﾒ,１９５０／１／１５,1,世帯主,,京都府デモ市字浜5番地,東舞鶴,
";

/// The intention survey the same municipality keyed in: CP932, CRLF, 1–3 codes and dates in
/// full width and in era form.
const MUNICIPAL_SURVEY: &str = "\
市町村コード,券番号,接種意向,送迎,アナフィラキシー歴,回答日
262021,0000100001,１,１,０,令和３年４月２０日
262021,0000100008,2,,,R3.4.21
262021,0000100015,３,0,1,Ｒ３．４．２２
";

/// Text as the municipal system writes it: CRLF line ends, CP932 bytes.
fn municipal_bytes(text: &str) -> Vec<u8> {
    let crlf = text.replace('\n', "\r\n");
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&crlf);
    assert!(!unmappable, "the fixture is representable in CP932");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture really is CP932, not UTF-8"
    );
    bytes.into_owned()
}

fn resident_by(ledger: &Ledger, voucher: &str) -> vax_ledger::ResidentRow {
    ledger
        .reader()
        .residents_by_voucher(None, &VoucherNumber::parse(voucher).unwrap())
        .unwrap()
        .remove(0)
}

#[test]
fn a_real_municipal_export_imports_whole_and_its_atena_numbers_reach_the_vrs_file() {
    use chrono::NaiveDate;
    use vax_domain::resident::Sex;

    let mut ledger = Ledger::open_in_memory().unwrap();
    let report = import_register_bytes(
        &mut ledger,
        &municipal_bytes(MUNICIPAL_REGISTER),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap_or_else(|e| match e {
        ImportError::Rejected { problems } => panic!("the export must import whole: {problems:#?}"),
        other => panic!("{other}"),
    });
    assert_eq!((report.rows, report.inserted), (9, 9), "every row imports");
    assert_eq!(report.encoding, "CP932");
    assert_eq!(
        report.ignored_columns,
        ["世帯番号", "続柄"],
        "the system's other columns are listed, not fatal"
    );

    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let expected = [
        ("0000100001", day(1941, 4, 1), Some("000012345678901")),
        ("0000100008", day(1936, 11, 3), Some("000012345678902")),
        ("0000100015", day(2008, 5, 20), Some("00012345678903")),
        ("0000100022", day(1912, 7, 29), Some("000012345678904")),
        ("0000100029", day(1926, 12, 24), Some("000012345678905")),
        ("0000100036", day(1989, 1, 7), Some("000012345678906")),
        ("0000100043", day(1989, 1, 8), Some("000012345678907")),
        ("0000100050", day(2019, 5, 1), None),
        ("0000100057", day(1950, 1, 15), Some("000012345678909")),
    ];
    for (voucher, birth, atena) in expected {
        let r = resident_by(&ledger, voucher).resident;
        assert_eq!(r.birth_date, birth, "{voucher}: 生年月日");
        assert_eq!(
            r.atena_number.as_ref().map(|a| a.as_str()),
            atena,
            "{voucher}: 宛名番号, leading zeros kept, full width folded"
        );
    }
    let hanako = resident_by(&ledger, "0000100001").resident;
    assert_eq!(hanako.sex, Sex::Female, "性別 ２");
    assert_eq!(hanako.postal_code, "624-0853", "〒 and full-width digits");
    assert_eq!(
        hanako.phone.as_ref().map(|p| p.display.as_str()),
        Some("0773-75-0001"),
        "full-width phone with parentheses"
    );
    assert_eq!(
        hanako.name_kana, "ヤマダ ハナコ",
        "half-width kana stored full width"
    );
    let kiyoshi = resident_by(&ledger, "0000100008").resident;
    assert_eq!(kiyoshi.sex, Sex::Male, "性別 １");
    assert_eq!(kiyoshi.address, "京都府デモ市字浜12番地3,浜団地2号棟");

    let survey = import_survey_bytes(
        &mut ledger,
        &municipal_bytes(MUNICIPAL_SURVEY),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(survey.rows, 3);
    let answers: Vec<_> = ["0000100001", "0000100008", "0000100015"]
        .into_iter()
        .map(|v| {
            let s = resident_by(&ledger, v).survey.unwrap();
            (s.intention, s.needs_transport, s.anaphylaxis_history)
        })
        .collect();
    assert_eq!(
        answers,
        [
            (Intention::Wants, true, false),
            (Intention::Declines, false, false),
            (Intention::Undecided, false, true),
        ]
    );

    // An old register file without the column, imported again, keeps every number.
    let old_format = std::fs::read_to_string(sample("register.csv")).unwrap();
    register(&mut ledger, &old_format).unwrap();
    assert_eq!(
        resident_by(&ledger, "0000100001")
            .resident
            .atena_number
            .map(|a| a.as_str().to_owned())
            .as_deref(),
        Some("000012345678901"),
        "a register without 宛名番号 erases none"
    );

    // Two doses, one of a resident without a number: the VRS 台帳形式 file's first column.
    let given = crate::at("2021-05-24T09:30:00+09:00");
    let tx = ledger.transaction().unwrap();
    let venue = tx
        .insert_venue(&vax_domain::venue::Venue {
            code: "V01".into(),
            name: "デモ市総合文化会館".into(),
            address: "京都府デモ市浜2021".into(),
            location: vax_domain::venue::Coordinates {
                lat: 35.47,
                lon: 135.39,
            },
        })
        .unwrap();
    let lot = tx.lot("comirnaty", "FF3620", None).unwrap();
    for voucher in ["0000100001", "0000100050"] {
        let resident_id = tx
            .reader()
            .residents_by_voucher(None, &VoucherNumber::parse(voucher).unwrap())
            .unwrap()[0]
            .id;
        tx.insert_dose(&vax_ledger::NewDose {
            uid: None,
            resident_id,
            dose_number: 1,
            administered_at: given,
            venue_id: venue,
            lot_id: lot,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            recorded_at: given,
        })
        .unwrap();
    }
    tx.commit().unwrap();
    let out = tempfile::tempdir().unwrap();
    let batch = vax_vrs::export_batch(
        &mut ledger,
        vax_domain::product::Catalogue::builtin(),
        &vax_vrs::ExportOptions::default(),
        out.path(),
        crate::at("2021-05-24T23:00:00+09:00"),
        &mut |_, _| {},
    )
    .unwrap();
    let ledger_file = batch
        .files
        .iter()
        .find(|f| f.kind == vax_vrs::FileKind::Ledger)
        .unwrap();
    let text = std::fs::read_to_string(&ledger_file.path).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[0].starts_with("000012345678901,20210524093000,20210524,0000100001,"),
        "山田 花子's row starts with her 宛名番号: {}",
        rows[0]
    );
    assert!(
        rows[1].starts_with(",20210524093000,20210524,0000100050,"),
        "中村 令 has none: the column stays blank: {}",
        rows[1]
    );
}

#[test]
fn a_municipal_export_with_bad_rows_reports_each_on_its_line_and_imports_nothing() {
    // The same export with mistakes on lines 3, 5 and 8, and line 2's voucher again on 10.
    let broken = MUNICIPAL_REGISTER
        .replace("S11.11.03", "S65.11.03")
        .replace("明治45年7月29日,女", "明治45年7月29日,Ｘ")
        .replace("平成元年1月8日", "平成元年1月7日")
        .replace("0000100057", "0000100001");
    let mut ledger = Ledger::open_in_memory().unwrap();
    let p = problems(import_register_bytes(
        &mut ledger,
        &municipal_bytes(&broken),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    ));
    let found = lines_and_columns(&p);
    assert_eq!(
        found,
        [
            (3, Some("生年月日")),
            (5, Some("性別")),
            (8, Some("生年月日")),
            (10, Some("券番号")),
        ],
        "{p:#?}"
    );
    assert!(
        p[0].message_en.contains("ended on 1989-01-07") && p[0].message_ja.contains("昭和"),
        "an era date outside its era says why: {} / {}",
        p[0].message_en,
        p[0].message_ja
    );
    assert!(
        p[2].message_en.contains("that day is 昭和64年1月7日"),
        "{}",
        p[2].message_en
    );
    assert!(p[3].message_en.contains("line 2"), "{}", p[3].message_en);
    assert_eq!(ledger.reader().resident_count().unwrap(), 0);
}

// --- the survey's preference columns ---------------------------------------------------

fn preferences_of(ledger: &Ledger, voucher: &str) -> vax_domain::preference::Preferences {
    let id = ledger
        .reader()
        .residents_by_voucher(None, &VoucherNumber::parse(voucher).unwrap())
        .unwrap()[0]
        .id;
    ledger.reader().preferences_of(id).unwrap()
}

#[test]
fn the_documented_preference_sample_stores_each_residents_preferences() {
    use vax_domain::preference::{Preferences, TimesOfDay, WeekdaySet};
    let mut ledger = ledger_with_the_sample_register();
    let report = import_survey(
        &mut ledger,
        &sample("survey-preferences.csv"),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(report.rows, 3);
    assert!(report.ignored_columns.is_empty(), "{report:?}");
    assert_eq!(
        preferences_of(&ledger, "0000100001"),
        Preferences {
            venue: Some("C01".into()),
            district: None,
            avoid_weekdays: WeekdaySet::parse("土日").unwrap(),
            avoid_times: TimesOfDay::parse("夜").unwrap(),
            underlying_condition: true,
        }
    );
    let kiyoshi = preferences_of(&ledger, "0000100008");
    assert_eq!(kiyoshi.district.as_deref(), Some("東舞鶴"));
    assert_eq!(kiyoshi.avoid_times.label_ja(), "午前・夜");
    assert!(!kiyoshi.underlying_condition);
    assert_eq!(
        preferences_of(&ledger, "0000100015"),
        Preferences::default()
    );
}

#[test]
fn an_old_survey_file_stays_valid_and_keeps_the_preferences_already_stored() {
    let mut ledger = ledger_with_the_sample_register();
    import_survey(
        &mut ledger,
        &sample("survey-preferences.csv"),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    let old = std::fs::read_to_string(sample("survey.csv")).unwrap();
    survey(&mut ledger, &old).unwrap();
    assert_eq!(
        preferences_of(&ledger, "0000100001").venue.as_deref(),
        Some("C01"),
        "a file without preference columns does not clear them"
    );
}

#[test]
fn bad_preference_cells_reject_the_whole_survey_with_every_line_in_crlf_and_lf() {
    let rows = [
        "市町村コード,券番号,接種意向,希望会場,避けたい曜日,避けたい時間帯,基礎疾患",
        "262021,0000100001,希望する,Ｃ０１,土・日,午後,1",
        "262021,0000100008,希望する,会場いち,週末,,",
        "262021,0000100015,希望する,,,深夜,たぶん",
    ];
    for newline in ["\n", "\r\n"] {
        let mut ledger = ledger_with_the_sample_register();
        let csv = rows.join(newline) + newline;
        let p = problems(survey(&mut ledger, &csv));
        assert_eq!(
            lines_and_columns(&p),
            [
                (3, Some("希望会場")),
                (3, Some("避けたい曜日")),
                (4, Some("避けたい時間帯")),
                (4, Some("基礎疾患")),
            ],
            "{newline:?}: {p:#?}"
        );
        assert!(p[1].message_ja.contains("曜日"), "{}", p[1].message_ja);
        assert_eq!(
            preferences_of(&ledger, "0000100001"),
            Default::default(),
            "the good line 2 was not applied either"
        );
    }
}
