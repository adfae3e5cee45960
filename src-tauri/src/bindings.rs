//! The TypeScript types of everything that crosses the IPC boundary, generated from the
//! Rust types with ts-rs into `ui/src/lib/ipc/generated/types.ts`.
//!
//! The test `generated_typescript_is_current` fails when that file is stale; regenerate it
//! with `scripts/gen-bindings.sh` (`UPDATE_BINDINGS=1 cargo test -p vaxledger-desktop bindings`).

use ts_rs::{Config, TS};

/// Path of the generated file, relative to this crate.
pub const GENERATED: &str = "../ui/src/lib/ipc/generated/types.ts";

macro_rules! declarations {
    ($cfg:expr; $($t:ty),* $(,)?) => {
        vec![$(<$t as TS>::decl($cfg)),*]
    };
}

/// The whole generated file.
pub fn typescript() -> String {
    // Row ids and counts are far below 2^53: plain numbers, as serde_json writes them.
    let cfg = Config::new().with_large_int("number");
    let decls = declarations![&cfg;
        vax_domain::error::ErrorCode,
        vax_domain::error::UserError,
        vax_app::desk::SetupStatus,
        vax_app::desk::ProductChoice,
        vax_app::print::Printed,
        vax_app::vrs::VrsEncoding,
        vax_app::vrs::VrsExportRequest,
        vax_app::vrs::VrsExportSummary,
        vax_app::vrs::VrsBatchSummary,
        vax_app::print::VoucherPrintStatus,
        vax_app::print::MailingDetails,
        vax_app::desk::camera::CameraUpdate,
        vax_domain::role::Role,
        vax_domain::resident::Sex,
        vax_domain::resident::Intention,
        vax_domain::resident::Phone,
        vax_domain::resident::Resident,
        vax_domain::venue::Coordinates,
        vax_domain::venue::Venue,
        vax_domain::eligibility::DueStatus,
        vax_ledger::SurveyState,
        vax_ledger::ResidentRow,
        vax_ledger::VenueRow,
        vax_ledger::TimeBandRow,
        vax_ledger::BookingView,
        vax_ledger::DoseView,
        vax_ledger::InquiryView,
        vax_ledger::CheckInView,
        vax_ledger::LotView,
        vax_app::lookup::ResidentCard,
        vax_app::desk::Enrollment,
        vax_app::desk::Warning,
        vax_app::desk::DeskCard,
        vax_app::desk::CheckInDone,
        vax_app::desk::QueueEntry,
        vax_app::desk::DoseOverride,
        vax_app::desk::RecordDose,
        vax_app::desk::RecordedDose,
        vax_domain::product::SyringeKind,
        vax_domain::stock::SealedState,
        vax_domain::stock::WasteReason,
        vax_domain::stock::ClockColour,
        vax_domain::stock::LeftoverForecast,
        vax_domain::stock::LotTotals,
        vax_domain::stock::CallOutcome,
        vax_app::stock::StockAction,
        vax_app::stock::StockRecorded,
        vax_app::stock::FridgeRow,
        vax_app::stock::VialRow,
        vax_app::stock::LotRow,
        vax_app::stock::ManagerView,
        vax_app::stock::StandbyEntry,
        vax_app::stock::StandbyCallView,
        vax_app::stock::LotCount,
        vax_app::stock::UnbalancedLot,
        vax_app::stock::ClosedLot,
        vax_app::stock::CloseOut,
        vax_domain::product::StoragePlace,
        vax_domain::stock::cold_chain::Reading,
        vax_domain::stock::cold_chain::Excursion,
        vax_app::stock::ColdChainCheck,
        vax_app::stock::LoggerFile,
        vax_app::stock::QuarantineImpact,
        vax_app::stock::VenueStockRow,
        vax_app::stock::DeliveryNeed,
        vax_app::stock::WasteRow,
        vax_app::stock::StockReportRow,
        vax_app::stock::HqStockView,
        vax_app::desk::Observation,
        vax_app::desk::DaySummary,
        vax_app::desk::BandSummary,
        vax_app::sync::SyncStatus,
        vax_app::sync::Freshness,
        vax_app::sync::AlertView,
        vax_app::sync::Enrolled,
        vax_app::sync::SyncRun,
        vax_app::sync::SnapshotPublished,
        vax_app::desk::camera::CameraRead,
        vax_app::print::VoucherJobStatus,
        vax_app::print::JobState,
        vax_domain::notice::NoticeKind,
        vax_domain::notice::CancelReason,
        vax_domain::notice::Channel,
        vax_domain::notice::Appointment,
        vax_app::notices::OverLimit,
        vax_app::notices::NoticeOptions,
        vax_app::notices::OverLimitMessage,
        vax_app::notices::CallReason,
        vax_app::notices::CallLine,
        vax_app::notices::PendingSummary,
        vax_app::notices::NoticeBatchReport,
        vax_ledger::NoticeBatchRow,
        vax_domain::venue::VenueKind,
        vax_app::calendar::VenueForm,
        vax_app::calendar::CalendarPreview,
        vax_app::calendar::CalendarProblem,
        vax_app::calendar::BandForm,
        vax_app::calendar::BandEdit,
        vax_app::calendar::EditReport,
        vax_app::calendar::CalendarBand,
        vax_app::supply::DaySupply,
        vax_app::supply::SupplyReport,
        vax_app::calendar::CalendarView,
        vax_app::planning::PlanningSettings,
        vax_app::planning::ReasonCount,
        vax_app::planning::PlanReport,
        vax_app::planning::ReshuffleRequest,
        vax_app::planning::Slot,
        vax_app::planning::MoveRow,
        vax_app::planning::UnplacedRow,
        vax_app::planning::ReshufflePreview,
        vax_app::planning::ReshuffleApplied,
        vax_ledger::StaffRow,
        vax_ledger::AuditRow,
        vax_app::staff::NewStaff,
        vax_app::staff::RegisteredStaff,
        vax_app::staff::Credential,
        vax_app::staff::SignedIn,
        vax_app::staff::StaffStatus,
        vax_app::audit::AuditSearch,
        vax_domain::inquiry::InquiryChannel,
        vax_domain::inquiry::InquiryTopic,
        vax_domain::report::AgeBand,
        vax_ledger::FollowUpRow,
        vax_ledger::StandbyCallHistoryRow,
        vax_ledger::NoticeRow,
        vax_app::callcentre::ResidentHistory,
        vax_app::callcentre::NewCall,
        vax_app::callcentre::RebookOffer,
        vax_app::callcentre::ContactEdit,
        vax_app::callcentre::BusRide,
        vax_app::reports::Dashboard,
        vax_app::reports::Totals,
        vax_app::reports::DayTotals,
        vax_app::reports::VenueTotals,
        vax_app::reports::CoverageRow,
        vax_app::reports::TopicTotals,
        vax_app::reports::VenueFreshness,
        vax_app::reports::CsvEncoding,
        vax_ledger::LegDirection,
        vax_app::transport::NotPlanned,
        vax_app::transport::DayPlanReport,
        vax_app::transport::AnnouncedChange,
        vax_app::transport::DayReplanReport,
        vax_app::transport::RiderLine,
        vax_app::transport::BusRun,
        vax_app::transport::DayTransport,
        vax_app::transport::LegWithoutVehicle,
        vax_app::transport_move::TripRef,
        vax_app::transport_move::MoveTo,
        vax_app::transport_move::RiderMove,
        vax_app::transport_move::RiderMoved,
        vax_app::rides::BusDirection,
        vax_app::rides::BusMark,
        vax_app::rides::BusRider,
        vax_app::rides::BusTrip,
        vax_app::rides::BusList,
        vax_app::desk::paper::BackEntry,
        vax_app::desk::paper::BackEntered,
        vax_app::desk::paper_sheet::SheetFile,
        vax_app::desk::paper_sheet::SheetProblem,
        vax_app::desk::paper_sheet::SheetLine,
        vax_app::desk::paper_sheet::SheetOutcome,
        vax_app::relay_discovery::DiscoveredRelay,
        vax_app::relay::Light,
        vax_app::relay::RelayLights,
        vax_app::relay::VenueDevice,
        vax_app::relay::JoinQr,
        vax_app::relay_host::RelayHostStatus,
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:\n\
         // run scripts/gen-bindings.sh after changing a type that crosses the IPC boundary.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_typescript_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(super::GENERATED);
        let fresh = super::typescript();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).expect("writing the generated types");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: run scripts/gen-bindings.sh and commit the result",
            path.display()
        );
    }
}
