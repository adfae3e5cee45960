//! Fuzzing the CSV imports with proptest (issue 15): the documented sample files of the
//! register, the survey and the calendar, mutated (bytes flipped, lines cut, fields spliced,
//! Shift_JIS lead bytes, BOMs, quotes and line ends inserted), are imported into a ledger. No
//! import panics, and one that fails leaves the ledger as it was (all or nothing). A few cases
//! per `cargo test`; `PROPTEST_CASES=2000` runs a longer campaign (docs/BENCHMARKS.md,
//! "Fuzzing").

use proptest::prelude::*;
use vax_app::calendar::import_calendar;
use vax_app::import::{import_register_bytes, import_survey_bytes, TextEncoding};
use vax_app::progress::NoProgress;
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::{now, sample};

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Cut),
        (
            any::<usize>(),
            prop::sample::select(vec![
                b",".to_vec(),
                b"\"".to_vec(),
                b"\r\n".to_vec(),
                b"\n".to_vec(),
                b"\r".to_vec(),
                b"\xef\xbb\xbf".to_vec(),
                b"\x82\xa0".to_vec(),
                b"\x81".to_vec(),
                b"\xff\xfe".to_vec(),
                b"\0".to_vec(),
                b"9999999999999999999999".to_vec(),
                b"-1".to_vec(),
                "令和99年13月32日".as_bytes().to_vec(),
                "０１２３".as_bytes().to_vec(),
                b"=cmd|' /C calc'!A0".to_vec(),
            ])
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        let n = bytes.len();
        match m {
            Mutation::Flip(i, b) => bytes[i % n] = *b,
            Mutation::Cut(i) => bytes.truncate(i % n),
            Mutation::Insert(i, s) => {
                let at = i % n;
                bytes.splice(at..at, s.iter().copied());
            }
            Mutation::Duplicate(a, b) => {
                let (from, to) = ((a % n).min(b % n), (a % n).max(b % n));
                let part = bytes[from..to].to_vec();
                bytes.splice(to..to, part);
            }
        }
    }
    bytes
}

fn bytes_of(name: &str) -> Vec<u8> {
    std::fs::read(sample(name)).expect("sample file")
}

fn encoding(n: u8) -> TextEncoding {
    match n % 3 {
        0 => TextEncoding::Auto,
        1 => TextEncoding::Utf8,
        _ => TextEncoding::Cp932,
    }
}

fn with_register() -> Ledger {
    let mut ledger = Ledger::open_in_memory().expect("ledger");
    import_register_bytes(
        &mut ledger,
        &bytes_of("register.csv"),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .expect("the sample register imports");
    ledger
}

/// What an import may change, read back: every resident as stored (survey answers included)
/// and the venues.
fn fingerprint(ledger: &Ledger) -> String {
    let reader = ledger.reader();
    format!(
        "{:?} {:?}",
        reader.residents_after(None, 100_000).expect("residents"),
        reader.venues().expect("venues"),
    )
}

/// Cases per property: few in `cargo test`, `PROPTEST_CASES` for a campaign.
fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases_or(24)))]

    #[test]
    fn a_mutated_register_never_panics_and_a_refused_one_changes_nothing(
        mutations in prop::collection::vec(mutation(), 1..5),
        enc in any::<u8>(),
    ) {
        let mut ledger = with_register();
        let before = fingerprint(&ledger);
        let bytes = apply(bytes_of("register.csv"), &mutations);
        if import_register_bytes(&mut ledger, &bytes, encoding(enc), now(), &mut NoProgress).is_err() {
            prop_assert_eq!(fingerprint(&ledger), before);
        }
    }

    #[test]
    fn a_mutated_survey_never_panics_and_a_refused_one_changes_nothing(
        mutations in prop::collection::vec(mutation(), 1..5),
        which in any::<bool>(),
        enc in any::<u8>(),
    ) {
        let mut ledger = with_register();
        let seed = if which { "survey.csv" } else { "survey-preferences.csv" };
        let before = fingerprint(&ledger);
        let bytes = apply(bytes_of(seed), &mutations);
        if import_survey_bytes(&mut ledger, &bytes, encoding(enc), now(), &mut NoProgress).is_err() {
            prop_assert_eq!(fingerprint(&ledger), before);
        }
    }

    #[test]
    fn a_mutated_calendar_never_panics_and_a_refused_one_changes_nothing(
        mutations in prop::collection::vec(mutation(), 1..5),
        enc in any::<u8>(),
    ) {
        let mut ledger = Ledger::open_in_memory().expect("ledger");
        let before = fingerprint(&ledger);
        let bytes = apply(bytes_of("calendar.csv"), &mutations);
        if import_calendar(&mut ledger, &bytes, encoding(enc), Role::Headquarters, now()).is_err() {
            prop_assert_eq!(fingerprint(&ledger), before);
        }
    }
}
