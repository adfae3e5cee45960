//! Validation of every record of a batch before anything is written. Each problem names the
//! rule, the resident (自治体コード-券番号) and the record (uid); all problems are collected,
//! not just the first.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use vax_domain::product::Catalogue;
use vax_domain::resident::AtenaNumber;
use vax_domain::voucher::{MunicipalityCode, VoucherError};
use vax_ledger::{VrsDoseRow, VrsRecord};

use crate::layout::{
    self, Encoding, LOT_NUMBER_MAX_CHARS, MAKER_LABEL_MAX_CHARS, VACCINATOR_MAX_CHARS,
    VENUE_NAME_MAX_CHARS,
};
use crate::ExportOptions;

/// The rules a record must pass (docs/vrs-export.md lists them with examples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// 自治体コード: 6 digits whose 6th is the check digit of the first five (DOMAIN.md §3.1).
    MunicipalityCode,
    /// 券番号: exactly 10 digits, leading zeros kept (DOMAIN.md §2.2).
    VoucherNumber,
    /// 接種会場名: 1 to 30 characters.
    VenueNameWidth,
    /// 接種医師名: 1 to 20 characters.
    VaccinatorWidth,
    /// ワクチンメーカー: the product is in the catalogue and its label is 1 to 20 characters.
    MakerLabel,
    /// ワクチンロット番号: `^[0-9A-Za-z-]{1,20}$` (written upper-cased).
    LotNumber,
    /// 接種日 / 登録日時 / 取消日時: readable instants, the dose not in the future and not
    /// recorded before it was given.
    Date,
    /// The dose number has a group in the 台帳形式 layout.
    DoseGroup,
    /// At most one valid record per resident and dose number.
    DuplicateDose,
    /// Every character can be written in the chosen encoding (CP932).
    Encoding,
    /// No control characters (line breaks, tabs) in a VRS field.
    ControlCharacter,
    /// 個別宛名番号: empty, or the resident's 宛名番号 as the register import keeps it (1 to
    /// 20 of 0-9, A-Z, a-z and '-').
    AtenaNumber,
}

impl Rule {
    /// A stable code for the rule (reports, the UI).
    pub fn code(self) -> &'static str {
        match self {
            Self::MunicipalityCode => "municipality_code",
            Self::VoucherNumber => "voucher_number",
            Self::VenueNameWidth => "venue_name_width",
            Self::VaccinatorWidth => "vaccinator_width",
            Self::MakerLabel => "maker_label",
            Self::LotNumber => "lot_number",
            Self::Date => "date",
            Self::DoseGroup => "dose_group",
            Self::DuplicateDose => "duplicate_dose",
            Self::Encoding => "encoding",
            Self::ControlCharacter => "control_character",
            Self::AtenaNumber => "atena_number",
        }
    }
}

/// One problem with one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The rule broken.
    pub rule: Rule,
    /// The dose record's uid.
    pub dose_uid: String,
    /// The resident's 自治体コード as stored.
    pub municipality_code: String,
    /// The resident's 券番号 as stored.
    pub voucher_number: String,
    /// The dose number.
    pub dose_number: u8,
    /// Whether the record is a correction (exported before, voided since).
    pub correction: bool,
    /// What is wrong, for a person.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "voucher {}-{} dose {}, {}record {}: [{}] {}",
            self.municipality_code,
            self.voucher_number,
            self.dose_number,
            if self.correction {
                "correction of "
            } else {
                ""
            },
            self.dose_uid,
            self.rule.code(),
            self.message
        )
    }
}

/// Every problem found in a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// The problems, in the batch's order.
    pub problems: Vec<Problem>,
}

impl ValidationReport {
    /// The problems of one rule.
    pub fn of_rule(&self, rule: Rule) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.rule == rule)
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Collects the problems of one record.
pub(crate) struct RecordCheck<'a> {
    row: &'a VrsDoseRow,
    correction: bool,
    encoding: Encoding,
    pub(crate) problems: Vec<Problem>,
}

impl<'a> RecordCheck<'a> {
    pub(crate) fn new(row: &'a VrsDoseRow, correction: bool, encoding: Encoding) -> Self {
        Self {
            row,
            correction,
            encoding,
            problems: Vec::new(),
        }
    }

    pub(crate) fn problem(&mut self, rule: Rule, message: String) {
        self.problems.push(Problem {
            rule,
            dose_uid: self.row.uid.clone(),
            municipality_code: self.row.municipality_code.clone(),
            voucher_number: self.row.voucher_number.clone(),
            dose_number: self.row.dose_number,
            correction: self.correction,
            message,
        });
    }

    /// A free-text field: width, control characters, encoding.
    fn text(&mut self, label: &str, value: &str, max: Option<(usize, Rule)>) {
        if let Some((max, rule)) = max {
            let chars = value.chars().count();
            if chars == 0 {
                self.problem(rule, format!("{label} is empty"));
            } else if chars > max {
                self.problem(
                    rule,
                    format!("{label} {value:?} is {chars} characters; VRS takes at most {max}"),
                );
            }
            if let Some(c) = value.chars().find(|c| c.is_control()) {
                self.problem(
                    Rule::ControlCharacter,
                    format!("{label} {value:?} contains the control character {c:?}"),
                );
            }
        }
        self.encodable(label, value);
    }

    pub(crate) fn encodable(&mut self, label: &str, value: &str) {
        if let Some(c) = self.encoding.first_unrepresentable(value) {
            self.problem(
                Rule::Encoding,
                format!(
                    "{label} {value:?} contains {c:?} (U+{:04X}), which CP932 cannot represent",
                    u32::from(c)
                ),
            );
        }
    }

    fn instant(&mut self, label: &str, value: &str) -> Option<DateTime<FixedOffset>> {
        match DateTime::parse_from_rfc3339(value) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(
                    Rule::Date,
                    format!("{label} {value:?} is not an RFC 3339 instant ({e})"),
                );
                None
            }
        }
    }
}

fn all_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a 6-digit municipality code; `None` when it is valid.
pub(crate) fn municipality_problem(code: &str) -> Option<String> {
    if !all_digits(code, 6) {
        return Some(format!("municipality code {code:?} is not 6 digits"));
    }
    // The check digit is the domain's rule (MunicipalityCode), checked once.
    match MunicipalityCode::parse(code) {
        Ok(_) => None,
        Err(VoucherError::MunicipalityCheckDigit { expected, .. }) => Some(format!(
            "municipality code {code:?} fails its check digit: the 6th digit should be {expected}"
        )),
        Err(e) => Some(format!("municipality code {code:?}: {e}")),
    }
}

/// Validates a pending dose and formats it as the files will hold it. Returns the record,
/// or the problems (all of them).
pub(crate) fn pending_record(
    row: VrsDoseRow,
    catalogue: &Catalogue,
    options: &ExportOptions,
    now: &DateTime<FixedOffset>,
) -> Result<VrsRecord, Vec<Problem>> {
    let mut check = RecordCheck::new(&row, false, options.layout.encoding);

    let municipality_ok = match municipality_problem(&row.municipality_code) {
        Some(m) => {
            check.problem(Rule::MunicipalityCode, m);
            false
        }
        None => true,
    };
    if !all_digits(&row.voucher_number, 10) {
        check.problem(
            Rule::VoucherNumber,
            format!(
                "voucher number {:?} is not 10 digits (leading zeros included)",
                row.voucher_number
            ),
        );
    }
    if row.dose_number == 0 || row.dose_number > options.layout.dose_groups {
        check.problem(
            Rule::DoseGroup,
            format!(
                "dose {} has no group in a layout of {} dose groups",
                row.dose_number, options.layout.dose_groups
            ),
        );
    }
    check.text(
        "venue name",
        &row.venue_name,
        Some((VENUE_NAME_MAX_CHARS, Rule::VenueNameWidth)),
    );
    check.text(
        "vaccinator",
        &row.vaccinator,
        Some((VACCINATOR_MAX_CHARS, Rule::VaccinatorWidth)),
    );
    let maker = match catalogue.product(&row.product_code) {
        Ok(p) => {
            let label = &p.vrs_maker_label;
            let chars = label.chars().count();
            if chars == 0 || chars > MAKER_LABEL_MAX_CHARS {
                check.problem(
                    Rule::MakerLabel,
                    format!(
                        "maker label {label:?} of product {:?} must be 1 to {MAKER_LABEL_MAX_CHARS} characters",
                        row.product_code
                    ),
                );
            }
            check.encodable("maker label", label);
            label.clone()
        }
        Err(_) => {
            check.problem(
                Rule::MakerLabel,
                format!(
                    "product {:?} of lot {:?} is not in the product catalogue, so it has no VRS maker label",
                    row.product_code, row.lot_number
                ),
            );
            String::new()
        }
    };
    let lot_chars = row.lot_number.chars().count();
    if lot_chars == 0 || lot_chars > LOT_NUMBER_MAX_CHARS {
        check.problem(
            Rule::LotNumber,
            format!(
                "lot number {:?} is {lot_chars} characters; VRS takes 1 to {LOT_NUMBER_MAX_CHARS}",
                row.lot_number
            ),
        );
    } else if let Some(c) = row
        .lot_number
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        check.problem(
            Rule::LotNumber,
            format!(
                "lot number {:?} contains {c:?}; only 0-9, A-Z, a-z and '-' are allowed",
                row.lot_number
            ),
        );
    }
    let atena_number = row.atena_number.clone().unwrap_or_default();
    if !atena_number.is_empty()
        && !AtenaNumber::parse(&atena_number).is_ok_and(|a| a.as_str() == atena_number)
    {
        check.problem(
            Rule::AtenaNumber,
            format!(
                "addressee number (宛名番号) {atena_number:?} is not 1 to {} of 0-9, A-Z, a-z and '-'",
                AtenaNumber::MAX_LEN
            ),
        );
    }
    let administered = check.instant("administered_at", &row.administered_at);
    let recorded = check.instant("recorded_at", &row.recorded_at);
    if let Some(a) = administered {
        if a > *now {
            check.problem(
                Rule::Date,
                format!(
                    "the dose is dated {}, after the export time {}",
                    row.administered_at,
                    now.to_rfc3339()
                ),
            );
        }
        if let Some(r) = recorded {
            if r < a {
                check.problem(
                    Rule::Date,
                    format!(
                        "recorded at {}, before the dose was given at {}",
                        row.recorded_at, row.administered_at
                    ),
                );
            }
        }
    }

    if !check.problems.is_empty() {
        return Err(check.problems);
    }
    let (Some(administered), Some(recorded)) = (administered, recorded) else {
        unreachable!("an unreadable instant is a problem above")
    };
    debug_assert!(municipality_ok || options.site_municipality.is_some());
    let site = match &options.site_municipality {
        Some(code) => code.as_str().to_owned(),
        None => row.municipality_code.clone(),
    };
    let mut lot_number = row.lot_number;
    lot_number.make_ascii_uppercase();
    Ok(VrsRecord {
        dose_uid: row.uid,
        municipality_code: row.municipality_code,
        voucher_number: row.voucher_number,
        atena_number,
        dose_number: row.dose_number,
        registered_at: layout::timestamp(&recorded),
        administered_on: layout::day(&administered),
        site_municipality_code: site,
        venue_name: row.venue_name,
        vaccinator: row.vaccinator,
        maker_label: maker,
        lot_number,
    })
}

/// Validates the void of an exported record for the correction list, and that what was
/// exported (perhaps in another encoding) can be written in this one. Returns 取消日時 and
/// 取消理由.
pub(crate) fn correction_fields(
    row: &VrsDoseRow,
    exported: &VrsRecord,
    encoding: Encoding,
) -> Result<(String, String), Vec<Problem>> {
    let mut check = RecordCheck::new(row, true, encoding);
    check.encodable("exported venue name", &exported.venue_name);
    check.encodable("exported vaccinator", &exported.vaccinator);
    check.encodable("exported maker label", &exported.maker_label);
    let voided_at = row.voided_at.as_deref().unwrap_or_default();
    let reason = row.void_reason.clone().unwrap_or_default();
    let at = check.instant("voided_at", voided_at);
    // The reason is our own free text in our own file: line breaks are quoted, not refused.
    check.encodable("void reason", &reason);
    match at {
        Some(at) if check.problems.is_empty() => Ok((layout::timestamp(&at), reason)),
        _ => Err(check.problems),
    }
}
