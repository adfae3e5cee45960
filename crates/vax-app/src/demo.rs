//! Loading the demo city into an empty ledger and booking everyone who wants a vaccine.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use thiserror::Error;
use vax_demo::{generate, DemoParams};
use vax_domain::error::{ErrorCode, UserFacing};
use vax_ledger::{Ledger, LedgerError};
use vax_planner::PlanOptions;

use crate::planning::{plan_within, PlanReport, PlanningError};
use crate::progress::{Progress, Stage};

/// The product the demo campaign uses.
pub const DEMO_PRODUCT: &str = "comirnaty";

/// Why the demo city was not loaded.
#[derive(Debug, Error)]
pub enum DemoError {
    /// The demo only goes into an empty ledger, so it never mixes with real residents.
    #[error("the ledger already holds {0} residents; load the demo city into a new ledger / 既に住民{0}人が登録されています。デモ市は新しい台帳に読み込んでください")]
    LedgerNotEmpty(u64),
    /// A demo city must not reach the sync server: load it before enrolling (HQ then
    /// publishes it once) or into a standalone ledger.
    #[error("this ledger already replicates; load the demo city before enrolling with the sync server / この台帳は既に同期サーバーに登録されています。デモ市は登録前に読み込んでください")]
    Replicating,
    /// Booking failed (the planner refused, or its plan failed the independent check).
    #[error(transparent)]
    Plan(#[from] PlanningError),
    /// Enrolling the demo kiosk failed (an unknown venue code).
    #[error("cannot set up the demo kiosk: {0}")]
    Kiosk(crate::desk::DeskError),
    /// The ledger failed; nothing was written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UserFacing for DemoError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::LedgerNotEmpty(_) => ErrorCode::LedgerNotEmpty,
            Self::Ledger(e) => e.code(),
            Self::Kiosk(e) => e.code(),
            Self::Replicating | Self::Plan(_) => ErrorCode::DemoFailed,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            // The message says it in both languages already.
            Self::LedgerNotEmpty(_) => self.to_string(),
            Self::Ledger(e) => e.message_ja(),
            Self::Kiosk(e) => e.message_ja(),
            other => format!("デモ市を読み込めません: {other}"),
        }
    }
}

/// What was loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoReport {
    /// Residents written.
    pub residents: u64,
    /// Venues written.
    pub venues: u64,
    /// Time bands written.
    pub bands: u64,
    /// The booking run: the real planner's ([`crate::planning::run_plan`]'s) report.
    pub plan: PlanReport,
}

/// Generates the demo city and writes it, with both doses booked, in one transaction.
pub fn load_demo_city(
    ledger: &mut Ledger,
    params: &DemoParams,
    now: DateTime<FixedOffset>,
    progress: &mut dyn Progress,
) -> Result<DemoReport, DemoError> {
    if ledger.replica_identity().is_some() {
        return Err(DemoError::Replicating);
    }
    let existing = ledger.reader().resident_count()?;
    if existing > 0 {
        return Err(DemoError::LedgerNotEmpty(existing));
    }
    progress.update(Stage::Generating, 0, 1);
    let city = generate(params);
    progress.update(Stage::Generating, 1, 1);

    // A sender HQ saved before loading the demo stays.
    let keep_mailing = crate::print::mailing_details(ledger)?.is_some();
    let mut tx = ledger.transaction()?;
    let total = city.residents.len() as u64;
    for (i, (resident, answer)) in city.residents.iter().enumerate() {
        tx.upsert_resident(resident, &now)?;
        tx.apply_survey(answer, &now)?;
        if i.is_multiple_of(4096) {
            progress.update(Stage::Writing, i as u64, total);
        }
    }
    progress.update(Stage::Writing, total, total);
    for venue in &city.venues {
        let venue_id = tx.insert_venue(venue)?;
        for band in city.bands.iter().filter(|b| b.venue_code == venue.code) {
            tx.insert_time_band(venue_id, band)?;
        }
    }
    progress.update(Stage::Planning, 0, 1);
    // A demo city may start in the past (`--start 2021-05-17`, for tests and screenshots):
    // it is planned as on its first day, so that its days count as open, not as passed.
    let planned_on = params.start.min(now.date_naive());
    let plan = plan_within(&mut tx, planned_on, now, &demo_plan_options())?;
    progress.update(Stage::Planning, 1, 1);
    if !keep_mailing {
        crate::print::save_mailing_details(
            &tx,
            &crate::print::MailingDetails {
                sender: format!("{} 健康づくり課", vax_demo::CITY_NAME),
                contact: vec![format!(
                    "{} ワクチン接種コールセンター（デモ）",
                    vax_demo::CITY_NAME
                )],
            },
        )?;
    }
    tx.commit()?;
    Ok(DemoReport {
        residents: total,
        venues: city.venues.len() as u64,
        bands: city.bands.len() as u64,
        plan,
    })
}

/// The planner's options for the demo: the default seed, and a fixed number of improvement
/// steps (not a time budget) so that the same demo city always gets the same bookings.
fn demo_plan_options() -> PlanOptions<'static> {
    PlanOptions {
        improvement_steps_per_resident: DEMO_IMPROVEMENT_STEPS,
        ..PlanOptions::default()
    }
}

/// Improvement steps per resident in the demo's plan (see [`demo_plan_options`]).
const DEMO_IMPROVEMENT_STEPS: u32 = 8;

/// The lot a demo venue starts with, so a new user can record a dose at once.
pub const DEMO_LOT: &str = "DEMO-0001";

/// Loads the demo city and makes this ledger a demo kiosk: enrolled as the manager of
/// `venue_code` with a demo lot open for the campaign's first day. The desktop app's
/// first start and `vaxhq demo --kiosk` both do exactly this.
pub fn load_demo_kiosk(
    ledger: &mut Ledger,
    params: &DemoParams,
    venue_code: &str,
    now: DateTime<FixedOffset>,
    progress: &mut dyn Progress,
) -> Result<DemoReport, DemoError> {
    let report = load_demo_city(ledger, params, now, progress)?;
    let municipality = vax_domain::voucher::MunicipalityCode::parse(vax_demo::MUNICIPALITY)
        .expect("the demo municipality code is valid");
    let enrollment = crate::desk::enroll(
        ledger,
        venue_code,
        vax_domain::role::Role::VenueManager,
        &municipality,
    )
    .map_err(DemoError::Kiosk)?;
    // The lot is opened on the campaign's first day, which is today when the app loads it.
    let first_morning = params
        .start
        .and_hms_opt(8, 0, 0)
        .and_then(|t| t.and_local_timezone(*now.offset()).single())
        .unwrap_or(now);
    crate::desk::open_lot(ledger, &enrollment, DEMO_PRODUCT, DEMO_LOT, first_morning)
        .map_err(DemoError::Kiosk)?;
    Ok(report)
}

/// The demo city's register and survey as CSV files in the documented import formats
/// (UTF-8), for trying the importer and for benchmarks.
pub fn demo_csv(city: &vax_demo::DemoCity) -> (String, String) {
    let mut register = String::from(
        "市町村コード,券番号,氏名,氏名カナ,生年月日,性別,郵便番号,住所,地区,緯度,経度,電話番号\n",
    );
    let mut survey = String::from("市町村コード,券番号,接種意向,送迎,アナフィラキシー歴\n");
    let yes_no = |b: bool| if b { "あり" } else { "なし" };
    for (r, a) in &city.residents {
        let (lat, lon) = r
            .home
            .map(|h| (format!("{:.5}", h.lat), format!("{:.5}", h.lon)))
            .unwrap_or_default();
        register.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.municipality,
            r.voucher,
            r.name,
            r.name_kana,
            r.birth_date,
            r.sex.label_ja(),
            r.postal_code,
            r.address,
            r.district,
            lat,
            lon,
            r.phone.as_ref().map_or("", |p| p.display.as_str()),
        ));
        survey.push_str(&format!(
            "{},{},{},{},{}\n",
            a.municipality,
            a.voucher,
            a.intention.label_ja(),
            yes_no(a.needs_transport),
            yes_no(a.anaphylaxis_history)
        ));
    }
    (register, survey)
}
