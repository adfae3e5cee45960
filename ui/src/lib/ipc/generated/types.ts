// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:
// run scripts/gen-bindings.sh after changing a type that crosses the IPC boundary.

export type ErrorCode = "NOT_ENROLLED" | "ROLE_MAY_NOT" | "LEDGER_UNAVAILABLE" | "LEDGER" | "LEDGER_NOT_EMPTY" | "DEMO_FAILED" | "NOT_FOUND" | "INVALID_INPUT" | "INTERNAL" | "BAD_VOUCHER" | "KANJI_QUERY" | "QUERY_UNRECOGNISED" | "ALREADY_CHECKED_IN" | "SERIES_COMPLETE" | "DUPLICATE_DOSE" | "INTERVAL_NOT_REACHED" | "DOSE_OUT_OF_ORDER" | "BELOW_MINIMUM_AGE" | "LOT_NOT_OPEN" | "ELIGIBILITY" | "VIAL_PAST_CLOCK" | "LOT_QUARANTINED" | "LOT_EXPIRED" | "NO_VIAL_LEFT" | "STOCK_UNBALANCED" | "NOT_ENOUGH_STOCK" | "LOGGER_FILE_INVALID" | "NO_CAMERA" | "CAMERA_FAILED" | "CAMERA_ENDED" | "NOT_A_VOUCHER" | "PRINT_BUSY" | "NO_SENDER" | "FONT_MISSING" | "PRINT_FAILED" | "NOTHING_PENDING" | "SMS_TOO_LONG" | "DAY_PASSED" | "BANDS_OVERLAP" | "STALE_PREVIEW" | "PLAN_FAILED" | "VRS_INVALID" | "VRS_FAILED" | "SYNC_NOT_CONFIGURED" | "SYNC_ALREADY_ENROLLED" | "SYNC_RECORDS_BEFORE_JOINING" | "SYNC_OFFLINE" | "SYNC_REFUSED" | "SYNC_STOPPED" | "BAD_REQUEST" | "MISSING_TOKEN" | "UNKNOWN_TOKEN" | "HQ_ONLY" | "ENROLLMENT_CODE_INVALID" | "INVALID_ENROLLMENT" | "NO_SUCH_ENDPOINT" | "TOO_LARGE" | "WRONG_VENUE" | "WRONG_SCOPE" | "STORAGE_UNAVAILABLE" | "UNKNOWN_AUTHOR" | "NOT_PERMITTED" | "MALFORMED_MESSAGE" | "UNSUPPORTED_PROTOCOL" | "WRONG_SENDER" | "INVALID_OP" | "CONFLICTING_OP" | "CLOCK_AHEAD" | "UNEXPECTED_REPLY" | "BAD_SIGNATURE" | "DEVICE_REVOKED" | "RATE_LIMITED" | "REQUEST_TIMEOUT" | "UNKNOWN_RESIDENT" | "WALK_IN_OFFLINE" | "NO_SNAPSHOT" | "STAFF_SIGN_IN_REQUIRED" | "STAFF_SIGN_IN_FAILED" | "STAFF_SIGN_IN_LOCKED" | "PLAIN_HTTP_REFUSED" | "OPS_BUDGET_EXCEEDED" | "RELAY_CANNOT_START" | "UNKNOWN";

export type IpcError = { 
/**
 * The stable code the UI branches on.
 */
code: ErrorCode, 
/**
 * English.
 */
message: string, 
/**
 * Japanese.
 */
message_ja: string, 
/**
 * Whether a doctor may override this refusal ([`ErrorCode::doctor_may_override`]).
 */
overridable: boolean, };

export type SetupStatus = { 
/**
 * The ledger file.
 */
ledger_path: string, 
/**
 * Residents in the ledger (0 on a new installation).
 */
residents: number, 
/**
 * The installation's venue and role, once enrolled.
 */
enrollment: Enrollment | null, 
/**
 * Venues to enroll to.
 */
venues: Array<VenueRow>, 
/**
 * Today in Japan.
 */
today: string, };

export type ProductChoice = { 
/**
 * Code.
 */
code: string, 
/**
 * 日本語名.
 */
name_ja: string, 
/**
 * English name.
 */
name_en: string, };

export type Printed = { 
/**
 * Where the PDF was written.
 */
path: string, 
/**
 * Whether the system's PDF viewer was started (to print from its dialog).
 */
opened: boolean, };

export type VrsEncoding = "utf8" | "utf8_bom" | "cp932";

export type VrsExportRequest = { 
/**
 * Folder to write into (created if missing).
 */
out_dir: string, 
/**
 * Text encoding.
 */
encoding: VrsEncoding, 
/**
 * Header row of Japanese item names.
 */
header: boolean, 
/**
 * CRLF line ends (else LF).
 */
crlf: boolean, 
/**
 * Export the valid records and list the rest, instead of exporting nothing.
 */
export_valid: boolean, 
/**
 * 接種自治体コード to write, when not the residents' own (blank: the residents' own).
 */
site_municipality: string | null, 
/**
 * Dose groups per row of the 台帳形式 file (default 2).
 */
dose_groups: number | null, };

export type VrsExportSummary = { 
/**
 * The new batch, or none when nothing was new.
 */
batch: number | null, 
/**
 * Files written.
 */
files: Array<string>, 
/**
 * Dose records exported.
 */
exported: number, 
/**
 * Residents in the 台帳形式 file.
 */
residents: number, 
/**
 * Corrections listed.
 */
corrections: number, 
/**
 * Records left out (with `export_valid`), one line each.
 */
left_out: Array<string>, };

export type VrsBatchSummary = { 
/**
 * Batch number.
 */
id: number, 
/**
 * When (`YYYY-MM-DD HH:MM`, Japan time).
 */
created_at: string, 
/**
 * Records exported.
 */
exports: number, 
/**
 * Corrections listed.
 */
corrections: number, 
/**
 * File names.
 */
files: Array<string>, };

export type VoucherPrintStatus = { 
/**
 * Progress, files, error.
 */
job: VoucherJobStatus, 
/**
 * Whether the folder was opened in the file manager.
 */
opened: boolean, };

export type MailingDetails = { 
/**
 * The sender, e.g. `舞鶴市 健康づくり課`.
 */
sender: string, 
/**
 * Contact lines (call centre, hours), at most 4; may be empty.
 */
contact: Array<string>, };

export type CameraUpdate = { 
/**
 * Whether the camera is on.
 */
running: boolean, 
/**
 * A newer preview picture, as a `data:image/jpeg;base64,…` URL.
 */
preview: string | null, 
/**
 * Codes read since the last poll, looked up.
 */
reads: Array<CameraRead>, 
/**
 * Set when the camera stopped by itself; the desk goes on with the USB scanner.
 */
stopped: IpcError | null, };

export type Role = "reception" | "booth" | "venue_manager" | "headquarters" | "call_centre";

export type Sex = "male" | "female";

export type Intention = "wants" | "declines" | "undecided";

export type Phone = { 
/**
 * As it is printed: digits and hyphens.
 */
display: string, 
/**
 * Digits only, the search key.
 */
digits: string, };

export type Resident = { 
/**
 * 市町村コード of the municipality that issued the voucher.
 */
municipality: string, 
/**
 * 券番号.
 */
voucher: string, 
/**
 * 氏名 in kanji.
 */
name: string, 
/**
 * 氏名 in katakana.
 */
name_kana: string, 
/**
 * 生年月日.
 */
birth_date: string, 
/**
 * 性別.
 */
sex: Sex, 
/**
 * 郵便番号, 7 digits, or empty.
 */
postal_code: string, 
/**
 * 住所.
 */
address: string, 
/**
 * 地区: the planning district (for venue assignment and bus routes).
 */
district: string, 
/**
 * Home coordinates, when geocoded.
 */
home: Coordinates | null, 
/**
 * 電話番号, when known.
 */
phone: Phone | null, };

export type Coordinates = { 
/**
 * Latitude.
 */
lat: number, 
/**
 * Longitude.
 */
lon: number, };

export type Venue = { 
/**
 * Short stable code (`V01`).
 */
code: string, 
/**
 * 会場名 as printed and exported to VRS (at most 30 characters).
 */
name: string, 
/**
 * Street address.
 */
address: string, 
/**
 * Where it is.
 */
location: Coordinates, };

export type DueStatus = { "status": "first_dose_due" } | { "status": "next_dose_due", 
/**
 * The dose number due.
 */
dose_number: number, 
/**
 * The standard day for it.
 */
standard_date: string, 
/**
 * The earliest permitted day.
 */
earliest_date: string, } | { "status": "interval_not_reached", 
/**
 * The dose number that will be due.
 */
dose_number: number, 
/**
 * The earliest permitted day.
 */
earliest_date: string, } | { "status": "series_complete", 
/**
 * How many doses were given.
 */
doses: number, };

export type SurveyState = { 
/**
 * 接種意向.
 */
intention: Intention, 
/**
 * 送迎 needed.
 */
needs_transport: boolean, 
/**
 * Anaphylaxis history: 30-minute observation.
 */
anaphylaxis_history: boolean, };

export type ResidentRow = { 
/**
 * Local row id.
 */
id: number, 
/**
 * The register's data.
 */
resident: Resident, 
/**
 * The survey's answer, once imported.
 */
survey: SurveyState | null, };

export type VenueRow = { 
/**
 * Local row id.
 */
id: number, 
/**
 * The venue.
 */
venue: Venue, 
/**
 * 集団接種会場 or 医療機関, when HQ said.
 */
kind: VenueKind | null, };

export type TimeBandRow = { 
/**
 * Local row id.
 */
id: number, 
/**
 * The venue's code.
 */
venue_code: string, 
/**
 * The day.
 */
date: string, 
/**
 * Start.
 */
start: string, 
/**
 * End.
 */
end: string, 
/**
 * Places.
 */
capacity: number, };

export type BookingView = { 
/**
 * Which dose.
 */
dose_number: number, 
/**
 * Product booked.
 */
product_code: string, 
/**
 * The band.
 */
band: TimeBandRow, 
/**
 * 会場名.
 */
venue_name: string, };

export type DoseView = { 
/**
 * Global id of the event.
 */
uid: string, 
/**
 * Which dose.
 */
dose_number: number, 
/**
 * When it was given.
 */
administered_at: string, 
/**
 * Venue code.
 */
venue_code: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * Product code.
 */
product_code: string, 
/**
 * ロット番号.
 */
lot_number: string, 
/**
 * 医師名 / vaccinator.
 */
vaccinator: string, 
/**
 * Injection site.
 */
injection_site: string, 
/**
 * When and why it was voided, if it was.
 */
voided: [string, string] | null, };

export type InquiryView = { 
/**
 * Global id.
 */
uid: string, 
/**
 * When.
 */
received_at: string, 
/**
 * How it came in.
 */
channel: InquiryChannel, 
/**
 * What it was about.
 */
topic: InquiryTopic, 
/**
 * What was said.
 */
note: string, 
/**
 * Who took it.
 */
operator: string, 
/**
 * Someone must get back to the resident.
 */
follow_up_needed: boolean, 
/**
 * Who should; empty when anyone may.
 */
follow_up_by: string, 
/**
 * The uid of the earlier inquiry whose follow-up this one completed.
 */
closes: string | null, 
/**
 * The uid of the inquiry that completed this one's follow-up (the earliest, if several).
 */
closed_by: string | null, };

export type CheckInView = { 
/**
 * Global id of the event.
 */
uid: string, 
/**
 * The resident.
 */
resident_id: number, 
/**
 * The dose they came for.
 */
dose_number: number, 
/**
 * When.
 */
checked_in_at: string, 
/**
 * When and why it was cancelled, if it was.
 */
cancelled: [string, string] | null, };

export type LotView = { 
/**
 * Local row id.
 */
id: number, 
/**
 * Product code.
 */
product_code: string, 
/**
 * ロット番号.
 */
lot_number: string, };

export type ResidentCard = { 
/**
 * The resident.
 */
resident: ResidentRow, 
/**
 * Age on the day asked about.
 */
age: number, 
/**
 * Bookings, dose 1 first.
 */
bookings: Array<BookingView>, 
/**
 * Dose records, voided ones included.
 */
doses: Array<DoseView>, 
/**
 * Inquiries, newest first.
 */
inquiries: Array<InquiryView>, 
/**
 * Which dose is due on the day asked about.
 */
due: DueStatus, };

export type Enrollment = { 
/**
 * The venue's code.
 */
venue_code: string, 
/**
 * The role.
 */
role: Role, 
/**
 * The campaign's municipality: vouchers of others are flagged.
 */
municipality: string, };

export type Warning = { "code": "no_booking", 
/**
 * The dose due.
 */
dose_number: number, } | { "code": "wrong_venue", 
/**
 * 会場名 of the booking.
 */
booked_venue: string, 
/**
 * Day of the booking.
 */
booked_date: string, } | { "code": "wrong_day", 
/**
 * Day of the booking.
 */
booked_date: string, 
/**
 * Start of the booked band.
 */
booked_start: string, } | { "code": "series_complete" } | { "code": "interval_not_reached", 
/**
 * Earliest day.
 */
earliest: string, } | { "code": "municipality_differs", 
/**
 * The voucher's 市町村コード.
 */
voucher: string, 
/**
 * The campaign's.
 */
campaign: string, } | { "code": "printed_dose_differs", 
/**
 * Printed on the voucher.
 */
printed: number, 
/**
 * Due by the ledger.
 */
due: number, } | { "code": "already_checked_in", 
/**
 * When.
 */
at: string, } | { "code": "survey_declined" } | { "code": "anaphylaxis_history" } | { "code": "needs_transport" } | { "code": "open_follow_up", 
/**
 * What the call was about.
 */
topic: InquiryTopic, 
/**
 * What was said.
 */
note: string, 
/**
 * Who should follow up; empty when anyone may.
 */
follow_up_by: string, 
/**
 * When the call came in.
 */
received_at: string, };

export type DeskCard = { 
/**
 * The card.
 */
card: ResidentCard, 
/**
 * The dose due today, if any.
 */
due_dose: number | null, 
/**
 * What to notice, most important first.
 */
warnings: Array<Warning>, 
/**
 * Today's open check-in, if any.
 */
check_in: CheckInView | null, };

export type CheckInDone = { 
/**
 * Global id of the check-in.
 */
uid: string, 
/**
 * The dose the resident came for.
 */
dose_number: number, 
/**
 * When.
 */
at: string, };

export type QueueEntry = { 
/**
 * Their check-in.
 */
check_in: CheckInView, 
/**
 * 氏名.
 */
name: string, 
/**
 * 氏名カナ.
 */
name_kana: string, 
/**
 * Age today.
 */
age: number, 
/**
 * 30-minute observation.
 */
anaphylaxis_history: boolean, };

export type DoseOverride = { 
/**
 * 医師名.
 */
doctor: string, 
/**
 * Why, in words; mandatory.
 */
reason: string, };

export type RecordDose = { 
/**
 * The resident.
 */
resident_id: number, 
/**
 * Which dose.
 */
dose_number: number, 
/**
 * A lot open at this venue today.
 */
lot_id: number, 
/**
 * 医師名 / vaccinator (VRS takes 20 characters).
 */
vaccinator: string, 
/**
 * Injection site (e.g. 左上腕).
 */
injection_site: string, 
/**
 * A doctor's override, when a rule refuses the dose.
 */
override: DoseOverride | null, };

export type RecordedDose = { 
/**
 * Global id of the dose record.
 */
uid: string, 
/**
 * Observation minutes (15, or 30 after anaphylaxis).
 */
observation_minutes: number, 
/**
 * End of the observation.
 */
observe_until: string, 
/**
 * Rules the doctor overrode (empty in the normal case).
 */
overridden: Array<string>, };

export type SyringeKind = "ordinary" | "low_dead_space";

export type SealedState = "frozen" | "fridge";

export type WasteReason = "clock_expired" | "broken" | "drawn_not_given" | "left_at_close" | "cold_chain";

export type ClockColour = "green" | "amber" | "red";

export type LeftoverForecast = { 
/**
 * People booked who have not come yet.
 */
still_booked: number, 
/**
 * The no-show rate used (0..=1).
 */
no_show_rate: number, 
/**
 * People expected: `still_booked × (1 − no_show_rate)`.
 */
expected: number, 
/**
 * Doses in open vials whose clock runs.
 */
doses_open: number, 
/**
 * Doses expected to be left in open vials at close, rounded to the nearest dose.
 */
leftover_at_close: number, 
/**
 * Doses a newly opened vial gives.
 */
doses_per_next_vial: number, 
/**
 * Open the next vial only if at least this many more people come today: the doses
 * already open plus enough people to use the new vial within the acceptable waste.
 * `None` when there is no sealed vial to open.
 */
open_next_if_at_least: number | null, };

export type LotTotals = { 
/**
 * Vials received (deliveries and transfers in).
 */
vials_received: number, 
/**
 * Vials sent to other venues.
 */
vials_transferred_out: number, 
/**
 * Net vials added by count corrections.
 */
vials_corrected: number, 
/**
 * Vials opened.
 */
vials_opened: number, 
/**
 * Sealed vials thrown away.
 */
vials_wasted: number, 
/**
 * Doses the opened vials give.
 */
doses_opened: number, 
/**
 * Doses given.
 */
doses_given: number, 
/**
 * Doses thrown away from open vials.
 */
doses_wasted: number, 
/**
 * Doses given with no vial named (before vial tracking, or another lot bookkeeping).
 */
doses_without_vial: number, };

export type CallOutcome = "not_reached" | "declined" | "coming";

export type StockAction = { "action": "receive", 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number as printed.
 */
lot: string, 
/**
 * How many vials.
 */
vials: number, 
/**
 * The manufacturer's expiry date.
 */
expires_on: string, 
/**
 * A wholesaler, or the sending venue's code.
 */
from: string, 
/**
 * For thawed vials transferred in a cool box: the end of the thawed clock the
 * sender shows.
 */
thawed_use_by: string | null, } | { "action": "thaw", 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * How many vials.
 */
vials: number, } | { "action": "open", 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * The syringes in use (decides the doses per vial).
 */
syringe: SyringeKind, } | { "action": "waste_vials", 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * How many.
 */
vials: number, 
/**
 * Freezer or fridge.
 */
from: SealedState, 
/**
 * Why.
 */
reason: WasteReason, } | { "action": "waste_doses", 
/**
 * The vial's id.
 */
vial: string, 
/**
 * How many.
 */
doses: number, 
/**
 * Why.
 */
reason: WasteReason, } | { "action": "transfer_out", 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * How many.
 */
vials: number, 
/**
 * Freezer or fridge.
 */
from: SealedState, 
/**
 * The receiving venue's code.
 */
to: string, } | { "action": "correct", 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * Vials to add (positive) or remove (negative).
 */
vials: number, 
/**
 * Which count.
 */
state: SealedState, 
/**
 * Why.
 */
reason: string, } | { "action": "quarantine", 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * What happened.
 */
reason: string, } | { "action": "void", 
/**
 * The record's id.
 */
uid: string, 
/**
 * Why.
 */
reason: string, };

export type StockRecorded = { 
/**
 * The stock event's id (a vial's id for `open`).
 */
uid: string, 
/**
 * The clock it started, if any.
 */
use_by: string | null, };

export type FridgeRow = { 
/**
 * How many.
 */
vials: number, 
/**
 * End of their thawed clock (none for products kept cold).
 */
use_by: string | null, 
/**
 * Whole days left on the clock.
 */
days_left: number | null, 
/**
 * Green, amber or red.
 */
colour: ClockColour, };

export type VialRow = { 
/**
 * The vial's id (its `opened` event).
 */
id: string, 
/**
 * When it was opened.
 */
opened_at: string, 
/**
 * End of its in-use clock.
 */
use_by: string, 
/**
 * Seconds left on the clock (0 once it ran out): the screen counts down from it.
 */
seconds_left: number, 
/**
 * Doses it gives, given, wasted, left.
 */
doses: number, 
/**
 * Given.
 */
given: number, 
/**
 * Wasted.
 */
wasted: number, 
/**
 * Left.
 */
left: number, 
/**
 * Green, amber or red.
 */
colour: ClockColour, };

export type LotRow = { 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * Expiry date.
 */
expires_on: string | null, 
/**
 * Why it is quarantined, if it is.
 */
quarantined: string | null, 
/**
 * Sealed vials in the freezer.
 */
frozen: number, 
/**
 * Sealed vials in the fridge, by clock.
 */
fridge: Array<FridgeRow>, 
/**
 * Open vials worth showing: doses left, or opened today.
 */
vials: Array<VialRow>, 
/**
 * Vials received so far.
 */
vials_received: number, 
/**
 * Doses given so far.
 */
doses_given: number, 
/**
 * Doses wasted so far (open vials).
 */
doses_wasted: number, 
/**
 * Sealed vials wasted so far.
 */
vials_wasted: number, };

export type ManagerView = { 
/**
 * When it was computed.
 */
now: string, 
/**
 * Lots with stock on hand or activity today, by product and lot.
 */
lots: Array<LotRow>, 
/**
 * Today's progress against bookings, band by band.
 */
day: DaySummary, 
/**
 * The leftover forecast.
 */
forecast: LeftoverForecast, };

export type StandbyEntry = { 
/**
 * Local row id.
 */
resident_id: number, 
/**
 * 氏名.
 */
name: string, 
/**
 * 氏名カナ.
 */
name_kana: string, 
/**
 * 電話番号.
 */
phone: string | null, 
/**
 * Straight-line distance from the venue, when their home is geocoded.
 */
distance_km: number | null, 
/**
 * The dose they would get.
 */
dose_number: number, 
/**
 * Today's calls to them from this venue, in order.
 */
calls: Array<StandbyCallView>, };

export type StandbyCallView = { 
/**
 * When.
 */
at: string, 
/**
 * What came of it.
 */
outcome: CallOutcome, };

export type LotCount = { 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * Vials counted in the freezer.
 */
frozen: number, 
/**
 * Usable vials counted in the fridge (expired ones are thrown away at close).
 */
fridge: number, };

export type UnbalancedLot = { 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * What the ledger holds in the freezer.
 */
expected_frozen: number, 
/**
 * What the ledger holds usable in the fridge after the close's waste.
 */
expected_fridge: number, 
/**
 * What was counted in the freezer.
 */
counted_frozen: number, 
/**
 * What was counted in the fridge.
 */
counted_fridge: number, 
/**
 * A count the ledger itself cannot explain (more taken than held), if any.
 */
problem: string | null, };

export type ClosedLot = { 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * Doses left in open vials, recorded as waste at close.
 */
doses_left_at_close: number, 
/**
 * Fridge vials past their clock, recorded as waste at close.
 */
vials_expired_at_close: number, 
/**
 * Sealed vials on hand after close (freezer + fridge).
 */
sealed_on_hand: number, 
/**
 * The lot's running totals after close.
 */
totals: LotTotals, };

export type CloseOut = { 
/**
 * The day.
 */
date: string, 
/**
 * Every lot with stock or activity.
 */
lots: Array<ClosedLot>, };

export type StoragePlace = "frozen" | "fridge";

export type Reading = { 
/**
 * When, in the logger's (Japan) time.
 */
at: string, 
/**
 * °C.
 */
celsius: number, 
/**
 * The file's line it came from (1-based).
 */
line: number, };

export type Excursion = { 
/**
 * The first reading out of range.
 */
from: string, 
/**
 * The last reading out of range.
 */
to: string, 
/**
 * How many readings were out.
 */
readings: number, 
/**
 * The coldest of them.
 */
min_celsius: number, 
/**
 * The warmest of them.
 */
max_celsius: number, 
/**
 * The file's line of the first.
 */
first_line: number, };

export type ColdChainCheck = { 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * Where the logger was.
 */
place: StoragePlace, 
/**
 * The label's ranges for the place, as text (`2〜8 °C`).
 */
ranges: string, 
/**
 * Readings in the file.
 */
readings: number, 
/**
 * The first and last reading's time.
 */
first: string, 
/**
 * The last reading's time.
 */
last: string, 
/**
 * Coldest and warmest reading.
 */
min_celsius: number, 
/**
 * Warmest reading.
 */
max_celsius: number, 
/**
 * Every run of readings out of range.
 */
excursions: Array<Excursion>, 
/**
 * The quarantine recorded for it (its stock event id), when there were excursions and
 * the lot was not quarantined already.
 */
quarantine: string | null, 
/**
 * The lot was quarantined before this file (nothing more recorded).
 */
already_quarantined: boolean, 
/**
 * How the file was read.
 */
time_column: string, 
/**
 * The temperature column.
 */
temperature_column: string, 
/**
 * The encoding.
 */
encoding: string, };

export type LoggerFile = { 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * Where the logger was.
 */
place: StoragePlace, 
/**
 * The file's bytes (UTF-8 or CP932, told apart as [`TextEncoding::Auto`] does).
 */
bytes: Array<number>, };

export type QuarantineImpact = { 
/**
 * 会場コード.
 */
venue: string, 
/**
 * Product code.
 */
product: string, 
/**
 * Lot number.
 */
lot: string, 
/**
 * Why it was quarantined.
 */
reason: string, 
/**
 * When the quarantine was recorded (venue time).
 */
quarantined_at: string, 
/**
 * Doses the lot held at the venue (sealed vials and open vials) that cannot be given.
 */
doses_lost: number, 
/**
 * Doses the venue still has in lots that are not quarantined.
 */
doses_usable: number, 
/**
 * First day of the period (today).
 */
from: string, 
/**
 * Last day (the replacement is expected the day after).
 */
to: string, 
/**
 * The venue's days with open bands in the period.
 */
days: number, 
/**
 * Bookings at the venue in the period.
 */
booked: number, 
/**
 * Bookings above the doses left: the ones the reshuffle moves.
 */
short: number, 
/**
 * The reshuffle to preview: the venue's daily doses capped at what is left.
 */
request: ReshuffleRequest, };

export type VenueStockRow = { 
/**
 * 会場コード.
 */
venue: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * Product code.
 */
product: string, 
/**
 * Sealed vials in the freezer (lots not quarantined).
 */
frozen: number, 
/**
 * Sealed vials in the fridge (lots not quarantined).
 */
fridge: number, 
/**
 * Doses in open vials whose clock runs.
 */
open_doses: number, 
/**
 * Doses these give (sealed vials at the default syringe's count, and open doses).
 */
usable_doses: number, 
/**
 * Vials of quarantined lots still held.
 */
quarantined_vials: number, 
/**
 * When the venue's last stock event happened (how fresh HQ's picture is).
 */
last_event: string | null, };

export type DeliveryNeed = { 
/**
 * 会場コード.
 */
venue: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * Bookings from today through the horizon.
 */
booked: number, 
/**
 * Doses the venue holds (all products, lots not quarantined).
 */
usable_doses: number, 
/**
 * Doses short.
 */
short_doses: number, 
/**
 * Vials to send (at the default syringe's doses per vial of the venue's product).
 */
vials_to_send: number, 
/**
 * The first day the venue runs short.
 */
short_from: string | null, };

export type WasteRow = { 
/**
 * 会場コード.
 */
venue: string, 
/**
 * Why.
 */
reason: WasteReason, 
/**
 * Doses thrown away from open vials.
 */
doses: number, 
/**
 * Sealed vials thrown away.
 */
vials: number, };

export type StockReportRow = { 
/**
 * The day.
 */
date: string, 
/**
 * The venue's code.
 */
venue: string, 
/**
 * Product code.
 */
product: string, 
/**
 * Vials received that day (deliveries and transfers in), less transfers out.
 */
vials_received: number, 
/**
 * Doses given that day.
 */
doses_used: number, 
/**
 * Doses thrown away that day from open vials.
 */
doses_wasted: number, 
/**
 * Sealed vials thrown away that day.
 */
vials_wasted: number, 
/**
 * Sealed vials on hand at the end of the day.
 */
vials_on_hand: number, 
/**
 * Doses left in open vials at the end of the day.
 */
doses_open_at_end: number, };

export type HqStockView = { 
/**
 * When it was computed.
 */
now: string, 
/**
 * First day of the period (waste, report).
 */
from: string, 
/**
 * Last day of the period.
 */
to: string, 
/**
 * Stock now, by venue and product.
 */
venues: Array<VenueStockRow>, 
/**
 * Venues short of doses for their bookings over the next `horizon_days`.
 */
deliveries: Array<DeliveryNeed>, 
/**
 * Days the delivery plan looks ahead.
 */
horizon_days: number, 
/**
 * Waste in the period by venue and reason.
 */
waste: Array<WasteRow>, 
/**
 * Quarantined lots with doses, and the reshuffle each calls for.
 */
quarantines: Array<QuarantineImpact>, 
/**
 * The daily report for the period.
 */
report: Array<StockReportRow>, };

export type Observation = { 
/**
 * The dose record.
 */
dose_uid: string, 
/**
 * 氏名.
 */
name: string, 
/**
 * Which dose.
 */
dose_number: number, 
/**
 * When the shot was given.
 */
administered_at: string, 
/**
 * 15 or 30.
 */
minutes: number, 
/**
 * End of the observation.
 */
until: string, 
/**
 * Whether the observation time is over.
 */
done: boolean, };

export type DaySummary = { 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * The day.
 */
date: string, 
/**
 * Bands in time order.
 */
bands: Array<BandSummary>, 
/**
 * Check-ins of residents not booked here today.
 */
walk_ins: number, 
/**
 * Valid doses recorded here today.
 */
doses_today: number, };

export type BandSummary = { 
/**
 * Start.
 */
start: string, 
/**
 * End.
 */
end: string, 
/**
 * Places.
 */
capacity: number, 
/**
 * Bookings.
 */
booked: number, 
/**
 * Booked residents checked in.
 */
checked_in: number, 
/**
 * Booked residents vaccinated.
 */
dosed: number, 
/**
 * Booked residents not checked in once the band is over.
 */
no_shows: number, };

export type SyncStatus = { 
/**
 * Whether a server is configured.
 */
configured: boolean, 
/**
 * The server's address.
 */
server_url: string | null, 
/**
 * This device's replica id.
 */
replica_id: string | null, 
/**
 * Last successful sync (RFC 3339).
 */
last_success_at: string | null, 
/**
 * Last attempt (RFC 3339).
 */
last_attempt_at: string | null, 
/**
 * Why the last attempt failed, if it did.
 */
last_error: string | null, 
/**
 * Changes made here that the server does not hold yet.
 */
ops_waiting: number, 
/**
 * Ops held, from every replica.
 */
ops_held: number, 
/**
 * Received changes that could not be written into the desk's tables (yet).
 */
unprojected: number, 
/**
 * Conflicts for HQ to resolve (duplicate doses, concurrent bookings, …).
 */
alerts: number, 
/**
 * Changes made here that the server refused for good: kept here, never sent again,
 * for the venue manager and HQ to look at. One line each: kind, record and the server's
 * code and reason.
 */
quarantined: Array<string>, 
/**
 * The colour.
 */
freshness: Freshness, };

export type Freshness = "green" | "amber" | "red";

export type AlertView = { 
/**
 * `duplicate_dose`, `concurrent_bookings`, `band_over_capacity`, `dose_from_expired_lot`
 * or `mismatched_void`.
 */
kind: string, 
/**
 * The resident's voucher number, when the alert is about one.
 */
resident: string | null, 
/**
 * The dose number, when the alert is about one resident's dose.
 */
dose_number: number | null, 
/**
 * One line in English.
 */
summary: string, 
/**
 * One line in Japanese.
 */
summary_ja: string, 
/**
 * The records involved, one line each, with the op that wrote them (to void or choose).
 */
records: Array<string>, 
/**
 * The uid of each record in `records` (the op id), in the same order: what
 * [`void_dose_record`] takes.
 */
record_ids: Array<string>, };

export type Enrolled = { 
/**
 * This device's replica id.
 */
replica_id: string, 
/**
 * Its role.
 */
role: string, 
/**
 * Its venue, for venue-bound roles.
 */
venue: string | null, 
/**
 * Ops HQ wrote to publish what its ledger already held (0 for other roles).
 */
published_ops: number, };

export type SyncRun = { 
/**
 * Ops sent to the server.
 */
sent_ops: number, 
/**
 * Ops received.
 */
received_ops: number, 
/**
 * HTTP round trips.
 */
round_trips: number, 
/**
 * Alerts the merge raised or touched.
 */
alerts: number, 
/**
 * Own changes the server refused in this run, now quarantined.
 */
quarantined: number, 
/**
 * Ops taken as HQ's snapshot before the exchange (a new device's first sync,
 * docs/sync-spec.md §7c); 0 when the device synced op by op.
 */
snapshot_ops: number, 
/**
 * Why the server's snapshot was not taken (a seal that does not verify, another
 * schema), when it was not: the ops then came one by one.
 */
snapshot_refused: string | null, };

export type SnapshotPublished = { 
/**
 * Ops the snapshot holds.
 */
ops: number, 
/**
 * Its size in bytes.
 */
bytes: number, 
/**
 * Its municipalities (empty: the whole ledger).
 */
scope: Array<string>, };

export type CameraRead = { "kind": "voucher", 
/**
 * The 18-digit line read.
 */
line: string, 
/**
 * The desk cards, with their warnings.
 */
cards: Array<DeskCard>, } | { "kind": "not_a_voucher", 
/**
 * What the code held (shortened).
 */
text: string, 
/**
 * English.
 */
message: string, 
/**
 * Japanese.
 */
message_ja: string, } | { "kind": "failed", 
/**
 * The desk error's code.
 */
code: ErrorCode, 
/**
 * English.
 */
message: string, 
/**
 * Japanese.
 */
message_ja: string, };

export type VoucherJobStatus = { 
/**
 * Where it stands.
 */
state: JobState, 
/**
 * Pages printed.
 */
done: number, 
/**
 * Pages to print (residents in the register).
 */
total: number, 
/**
 * The folder the PDFs go to.
 */
out_dir: string, 
/**
 * Files written, once finished.
 */
files: Array<string>, 
/**
 * Why it failed.
 */
error: IpcError | null, };

export type JobState = "running" | "done" | "cancelled" | "failed";

export type NoticeKind = "first" | "change" | "cancel";

export type CancelReason = "withdrawn" | "day_cut" | "no_place";

export type Channel = "letter" | "sms" | "call";

export type Appointment = { 
/**
 * Which dose.
 */
dose_number: number, 
/**
 * The venue's code.
 */
venue_code: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * The venue's address.
 */
venue_address: string, 
/**
 * The day.
 */
date: string, 
/**
 * Start of the band.
 */
start: string, 
/**
 * End of the band.
 */
end: string, };

export type OverLimit = "call_instead" | "refuse";

export type NoticeOptions = { 
/**
 * The most characters an SMS may have (UCS-2 units; 70 by default).
 */
sms_limit: number, 
/**
 * What happens to a message over it.
 */
over_limit: OverLimit, 
/**
 * The SMS of a first notice ([`SmsTemplate`] fields `{dose}` `{date}` `{time}` `{venue}`).
 */
first_template: string, 
/**
 * The SMS of a change.
 */
change_template: string, 
/**
 * The SMS of a cancellation (also `{reason}` and `{contact}`, the call centre's number;
 * `{time}` optional). Options saved before cancellations existed read as the default.
 */
cancel_template: string, };

export type OverLimitMessage = { 
/**
 * 氏名.
 */
name: string, 
/**
 * 券番号.
 */
voucher: string, 
/**
 * Its length ([`vax_domain::notice::sms_length`]).
 */
length: number, 
/**
 * The message.
 */
message: string, };

export type CallReason = "landline" | "invalid_phone" | "sms_too_long";

export type CallLine = { 
/**
 * First notice or change.
 */
kind: NoticeKind, 
/**
 * 氏名.
 */
name: string, 
/**
 * フリガナ.
 */
name_kana: string, 
/**
 * The number to call, as on file.
 */
phone: string, 
/**
 * 券番号.
 */
voucher: string, 
/**
 * What to tell.
 */
appointment: Appointment, 
/**
 * Why a call rather than an SMS.
 */
reason: CallReason, 
/**
 * For a cancellation: why the booking was cancelled (the `appointment` is the one told
 * before).
 */
cancelled: CancelReason | null, 
/**
 * For a resident who rides the bus that day: 迎え 9:20 ○○公民館前　／　帰り 11:45 会場発
 * (or that the bus told before no longer runs).
 */
ride: string | null, };

export type PendingSummary = { 
/**
 * Bookings needing a notice.
 */
bookings: number, 
/**
 * Of which never told.
 */
first: number, 
/**
 * Of which changed since the last notice.
 */
change: number, 
/**
 * Bookings told before and cancelled since (not counted in `bookings`).
 */
cancel: number, 
/**
 * Letter pages (one per resident; a second page only for a third pending dose).
 */
letters: number, 
/**
 * SMS lines.
 */
sms: number, 
/**
 * Call-list lines.
 */
calls: number, 
/**
 * Bookings of residents with no phone on file: letter only.
 */
letter_only: number, 
/**
 * SMS over the limit (on the call list, or refused, as the options say).
 */
over_limit_total: number, 
/**
 * The first [`SUMMARY_LINES`] of them.
 */
over_limit: Array<OverLimitMessage>, 
/**
 * The first [`SUMMARY_LINES`] lines of the call list, for the screen (`calls.csv` holds
 * them all; a city's first batch has tens of thousands).
 */
call_list: Array<CallLine>, };

export type NoticeBatchReport = { 
/**
 * Its number.
 */
batch_id: number, 
/**
 * The folder holding its files.
 */
folder: string, 
/**
 * The files, full paths: letters PDF(s), `sms.csv`, `calls.csv`.
 */
files: Array<string>, 
/**
 * What went out.
 */
summary: PendingSummary, };

export type NoticeBatchRow = { 
/**
 * Its number.
 */
id: number, 
/**
 * When it was made.
 */
created_at: string, 
/**
 * The folder its files went to.
 */
folder: string, 
/**
 * The files' names.
 */
files: Array<string>, 
/**
 * Letter pages (residents).
 */
letters: number, 
/**
 * SMS lines.
 */
sms: number, 
/**
 * Call-list lines.
 */
calls: number, };

export type VenueKind = "mass_site" | "clinic";

export type VenueForm = { 
/**
 * 会場コード (1 to 10 letters, digits, - or _); an existing code edits that venue.
 */
code: string, 
/**
 * 会場名 (at most 30 characters).
 */
name: string, 
/**
 * 住所 (at most 100 characters).
 */
address: string, 
/**
 * 緯度.
 */
lat: number, 
/**
 * 経度.
 */
lon: number, 
/**
 * 種別; `None` keeps what the ledger has.
 */
kind: VenueKind | null, };

export type CalendarPreview = { 
/**
 * Data rows (bands) in the file.
 */
rows: number, 
/**
 * Venues that would be added.
 */
venues_added: number, 
/**
 * Venues whose name, address, coordinates or kind would change.
 */
venues_changed: number, 
/**
 * Bands that would be added.
 */
bands_added: number, 
/**
 * Bands whose end, capacity or closing would change.
 */
bands_changed: number, 
/**
 * Bands already as the file says.
 */
bands_unchanged: number, 
/**
 * Bands that would hold more bookings than their capacity (the reshuffle's work).
 */
bands_over_capacity: number, 
/**
 * Columns the importer does not know (ignored).
 */
ignored_columns: Array<string>, 
/**
 * The encoding read (`UTF-8` or `CP932`).
 */
encoding: string, 
/**
 * Every problem of the file, in line order: when any, nothing can be imported.
 */
problems: Array<CalendarProblem>, };

export type CalendarProblem = { 
/**
 * 1-based line of the file (the header is line 1).
 */
line: number, 
/**
 * The column, when the problem is in one field.
 */
column: string | null, 
/**
 * What is wrong, in English.
 */
message_en: string, 
/**
 * What is wrong, in Japanese.
 */
message_ja: string, };

export type BandForm = { 
/**
 * 開始 (`HH:MM`).
 */
start: string, 
/**
 * 終了 (`HH:MM`).
 */
end: string, 
/**
 * 定員.
 */
capacity: number, };

export type BandEdit = { "type": "cut_day", 
/**
 * 会場コード.
 */
venue: string, 
/**
 * The day (`YYYY-MM-DD`).
 */
date: string, } | { "type": "reopen_day", 
/**
 * 会場コード.
 */
venue: string, 
/**
 * The day (`YYYY-MM-DD`).
 */
date: string, } | { "type": "close_band", 
/**
 * The band's row id.
 */
band: number, } | { "type": "reopen_band", 
/**
 * The band's row id.
 */
band: number, } | { "type": "set_capacity", 
/**
 * The band's row id.
 */
band: number, 
/**
 * The new capacity (1 to [`MAX_BAND_CAPACITY`]).
 */
capacity: number, };

export type EditReport = { 
/**
 * Bands (or venues) the change touches whose state changes.
 */
changed: number, 
/**
 * Bookings in those bands that the change leaves without a place: all bookings of a
 * closed band, those above a lowered capacity. They stay until reshuffled.
 */
affected_bookings: number, 
/**
 * Replication ops written (0 for a preview, or when the ledger does not replicate).
 */
ops: number, };

export type CalendarBand = { 
/**
 * The band's row id.
 */
id: number, 
/**
 * 会場コード.
 */
venue_code: string, 
/**
 * The day (`YYYY-MM-DD`).
 */
date: string, 
/**
 * 開始 (`HH:MM`).
 */
start: string, 
/**
 * 終了 (`HH:MM`).
 */
end: string, 
/**
 * 定員.
 */
capacity: number, 
/**
 * Bookings in it (dose 1 and dose 2 alike).
 */
booked: number, 
/**
 * Closed by HQ.
 */
closed: boolean, 
/**
 * The day has passed: it cannot be changed.
 */
past: boolean, };

export type DaySupply = { 
/**
 * 会場コード.
 */
venue_code: string, 
/**
 * The day (`YYYY-MM-DD`).
 */
date: string, 
/**
 * The product delivered (catalogue code).
 */
product: string, 
/**
 * Vials delivered (0: nothing, nobody can be booked).
 */
vials: number, 
/**
 * Doses they hold.
 */
doses: number, 
/**
 * Bookings at the venue that day (dose 1 and dose 2 alike).
 */
booked: number, 
/**
 * Bookings above the doses: the reshuffle re-seats them.
 */
over: number, 
/**
 * The day has passed: it cannot be changed.
 */
past: boolean, };

export type SupplyReport = { 
/**
 * The ledger changed (false when the entry was already so).
 */
changed: boolean, 
/**
 * The delivery as it now stands; `None`: the day is not limited.
 */
supply: DaySupply | null, 
/**
 * Bookings at the venue that day.
 */
booked: number, 
/**
 * Bookings above the doses now delivered (0 when not limited).
 */
over: number, 
/**
 * Replication ops written (0 when nothing changed or the ledger does not replicate).
 */
ops: number, 
/**
 * When bookings are above the doses: the reshuffle that re-seats them (preview it,
 * then apply). Nobody is moved until then.
 */
reshuffle: ReshuffleRequest | null, };

export type CalendarView = { 
/**
 * Every venue, by code.
 */
venues: Array<VenueRow>, 
/**
 * The days shown that have at least one band, in order (`YYYY-MM-DD`).
 */
days: Array<string>, 
/**
 * Their bands, by venue, day and start.
 */
bands: Array<CalendarBand>, 
/**
 * HQ's deliveries of the days shown, by venue and day; a venue day without one is not
 * limited ([`crate::supply`]).
 */
supply: Array<DaySupply>, };

export type PlanningSettings = { 
/**
 * Priority phases, earliest first, comma separated: `65+` (aged 65 or over; any age),
 * `underlying` (基礎疾患), `everyone`. Empty: one phase for everyone.
 */
phases: string, 
/**
 * The day ages are counted on (`YYYY-MM-DD`); today when empty.
 */
reference_date: string | null, 
/**
 * The latest day for dose 2, in days after dose 1; the product's standard interval
 * plus [`DEFAULT_EXTRA_DAYS`] when empty.
 */
max_interval_days: number | null, 
/**
 * The product booked (catalogue code).
 */
product: string, };

export type ReasonCount = { 
/**
 * Stable code (`no_room`).
 */
code: string, 
/**
 * In English.
 */
en: string, 
/**
 * In Japanese.
 */
ja: string, 
/**
 * Residents.
 */
residents: number, };

export type PlanReport = { 
/**
 * Willing residents who lacked a dose before the run.
 */
candidates: number, 
/**
 * Residents who got a new booking.
 */
residents_booked: number, 
/**
 * Bookings written (dose 1 and dose 2 count one each).
 */
doses_booked: number, 
/**
 * Residents still without both doses, by reason.
 */
unplaced: Array<ReasonCount>, 
/**
 * Mean kilometres from home to the venue over the residents booked in this run.
 */
mean_km: number, 
/**
 * Share of the residents booked in this run with a stated venue or district
 * preference who got it (0 to 1; 1 when nobody stated one).
 */
preferred_venue_share: number, 
/**
 * Replication ops written.
 */
ops: number, };

export type ReshuffleRequest = { "type": "cut_day", 
/**
 * 会場コード.
 */
venue: string, 
/**
 * The day.
 */
date: string, } | { "type": "close_band", 
/**
 * The band's row id.
 */
band: number, } | { "type": "lower_capacity", 
/**
 * The band's row id.
 */
band: number, 
/**
 * The new capacity.
 */
capacity: number, } | { "type": "calendar" } | { "type": "supply_drop", 
/**
 * 会場コード.
 */
venue: string, 
/**
 * First day.
 */
from: string, 
/**
 * Last day.
 */
to: string, 
/**
 * Doses left each day.
 */
doses_per_day: number, } | { "type": "move_request", 
/**
 * 券番号.
 */
voucher: string, 
/**
 * Which dose (1 or 2); dose 2 follows dose 1 when the interval demands.
 */
dose: number, 
/**
 * First acceptable day.
 */
from: string, 
/**
 * Last acceptable day.
 */
to: string, 
/**
 * 会場コード asked for, if any.
 */
venue: string | null, };

export type Slot = { 
/**
 * The band's row id.
 */
band_id: number, 
/**
 * 会場コード.
 */
venue_code: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * The day.
 */
date: string, 
/**
 * 開始 (`HH:MM`).
 */
start: string, 
/**
 * 終了 (`HH:MM`).
 */
end: string, };

export type MoveRow = { 
/**
 * The resident's row id.
 */
resident_id: number, 
/**
 * 氏名.
 */
name: string, 
/**
 * 券番号.
 */
voucher: string, 
/**
 * Which dose.
 */
dose: number, 
/**
 * Where it was booked.
 */
from: Slot | null, 
/**
 * Where it goes; `None`: the booking is cancelled (see the unplaced list).
 */
to: Slot | null, 
/**
 * Days later (negative: earlier) than before.
 */
shift_days: number | null, };

export type UnplacedRow = { 
/**
 * The resident's row id.
 */
resident_id: number, 
/**
 * 氏名.
 */
name: string, 
/**
 * 券番号.
 */
voucher: string, 
/**
 * The first dose without a band.
 */
dose: number, 
/**
 * Stable reason code (`no_room`).
 */
code: string, 
/**
 * The reason in English.
 */
en: string, 
/**
 * The reason in Japanese.
 */
ja: string, };

export type ReshufflePreview = { 
/**
 * What it is for.
 */
request: ReshuffleRequest, 
/**
 * The bands and bookings it was computed from (hex): applying needs the same.
 */
fingerprint: string, 
/**
 * Residents the change touched.
 */
affected: number, 
/**
 * Every booking that moves or is cancelled.
 */
moves: Array<MoveRow>, 
/**
 * Residents who could not be re-seated, with the reason.
 */
unplaced: Array<UnplacedRow>, };

export type ReshuffleApplied = { 
/**
 * The calendar change written with it (none when it was there already).
 */
calendar: EditReport, 
/**
 * Bookings moved.
 */
moved: number, 
/**
 * Bookings cancelled (nobody could take them).
 */
cancelled: number, 
/**
 * Replication ops written (calendar and bookings).
 */
ops: number, };

export type StaffRow = { 
/**
 * Staff code.
 */
code: string, 
/**
 * 氏名.
 */
name: string, 
/**
 * Their venue; `None` for HQ staff.
 */
venue_code: string | null, 
/**
 * Their role.
 */
role: Role, 
/**
 * Whether they have a PIN.
 */
has_pin: boolean, 
/**
 * Whether they have a staff card.
 */
has_card: boolean, 
/**
 * Whether they may sign in.
 */
active: boolean, };

export type AuditRow = { 
/**
 * The op id (author:counter), or a UUID where the ledger does not replicate.
 */
uid: string, 
/**
 * The device's replica id ('' where the ledger does not replicate).
 */
device: string, 
/**
 * Staff code, `None` where the device was the actor.
 */
staff_code: string | null, 
/**
 * Their name, when the staff member is known here.
 */
staff_name: string | null, 
/**
 * Venue code.
 */
venue_code: string | null, 
/**
 * `lookup`, `check_in`, `dose`, … (`vax_sync::AuditAction::code`).
 */
action: string, 
/**
 * The resident's voucher number.
 */
resident: string | null, 
/**
 * The record (op id, file name).
 */
record: string | null, 
/**
 * A few words more.
 */
detail: string, 
/**
 * When.
 */
at: string, };

export type NewStaff = { 
/**
 * Staff code, printed on the card: 1–20 letters, digits or `-`.
 */
code: string, 
/**
 * 氏名.
 */
name: string, 
/**
 * The venue they work at; `None` for HQ staff.
 */
venue_code: string | null, 
/**
 * What they do.
 */
role: Role, 
/**
 * A PIN of 4 to 8 digits, when they sign in with one.
 */
pin: string | null, 
/**
 * Whether to issue a staff card (a new one replaces the old).
 */
card: boolean, };

export type RegisteredStaff = { 
/**
 * As stored.
 */
staff: StaffRow, 
/**
 * `VAXSTAFF1.<code>.<secret>`, to print as the card's QR code.
 */
card_payload: string | null, };

export type Credential = { "kind": "pin", 
/**
 * Staff code.
 */
code: string, 
/**
 * PIN.
 */
pin: string, } | { "kind": "card", 
/**
 * What the scanner read.
 */
payload: string, };

export type SignedIn = { 
/**
 * Staff code.
 */
code: string, 
/**
 * 氏名.
 */
name: string, 
/**
 * Their role.
 */
role: Role, 
/**
 * When they signed in.
 */
since: string, 
/**
 * When the device signs them out unless they act before.
 */
locks_at: string, };

export type StaffStatus = { 
/**
 * Whether actions here need a signed-in staff member (staff are registered for the
 * venue, and this is not HQ).
 */
required: boolean, 
/**
 * Who is signed in, if anyone.
 */
signed_in: SignedIn | null, 
/**
 * Minutes without an action before the device signs them out.
 */
idle_minutes: number, };

export type AuditSearch = { 
/**
 * The resident: a voucher number (10 digits) or the ledger's resident id.
 */
resident: string | null, 
/**
 * A staff code.
 */
staff: string | null, 
/**
 * From this day on (Japan time).
 */
from: string | null, 
/**
 * Up to and including this day.
 */
to: string | null, };

export type InquiryChannel = "phone" | "counter" | "mail" | "web";

export type InquiryTopic = "rebooking" | "transport" | "side_effects" | "voucher_reissue" | "venue_and_items" | "other";

export type AgeBand = "under12" | "teens" | "twenties" | "thirties" | "forties" | "fifties" | "sixty_to_sixty_four" | "sixty_five_to_seventy_four" | "seventy_five_plus";

export type FollowUpRow = { 
/**
 * The inquiry.
 */
inquiry: InquiryView, 
/**
 * The resident's local row id.
 */
resident_id: number, 
/**
 * 氏名.
 */
name: string, 
/**
 * 氏名カナ.
 */
name_kana: string, 
/**
 * 電話番号, as written.
 */
phone: string | null, };

export type StandbyCallHistoryRow = { 
/**
 * 会場コード of the venue that called.
 */
venue_code: string, 
/**
 * When, in venue local time.
 */
at: string, 
/**
 * What came of it.
 */
outcome: CallOutcome, };

export type NoticeRow = { 
/**
 * The batch that made it.
 */
batch_id: number, 
/**
 * First or change.
 */
kind: NoticeKind, 
/**
 * How it went out.
 */
channel: Channel, 
/**
 * What it told.
 */
appointment: Appointment, 
/**
 * The number texted or to call.
 */
phone: string | null, 
/**
 * The SMS as listed.
 */
message: string | null, 
/**
 * When the batch was made.
 */
sent_at: string, 
/**
 * Why the booking was cancelled, for a cancellation.
 */
reason: CancelReason | null, };

export type ResidentHistory = { 
/**
 * Register data, survey answers, both bookings, doses, every inquiry newest first, and
 * the dose due (the desk's card).
 */
card: ResidentCard, 
/**
 * Every check-in, on any day, cancelled ones included, oldest first.
 */
check_ins: Array<CheckInView>, 
/**
 * Notices sent (letters, SMS, calls), oldest first.
 */
notices: Array<NoticeRow>, 
/**
 * On the standby list.
 */
standby: boolean, 
/**
 * Calls made to them from the standby list, oldest first.
 */
standby_calls: Array<StandbyCallHistoryRow>, 
/**
 * Their inquiries whose follow-up is still open, newest first.
 */
open_follow_ups: Array<InquiryView>, 
/**
 * Their bus rides, by day, the pick-up before the ride home.
 */
rides: Array<BusRide>, };

export type NewCall = { 
/**
 * How it came in.
 */
channel: InquiryChannel, 
/**
 * What it was about.
 */
topic: InquiryTopic, 
/**
 * What was said and done.
 */
note: string, 
/**
 * The staff member taking it.
 */
operator: string, 
/**
 * Someone must get back to the resident.
 */
follow_up_needed: boolean, 
/**
 * Who should; empty when anyone may.
 */
follow_up_by: string, };

export type RebookOffer = { 
/**
 * The dose it is for.
 */
dose: number, 
/**
 * The band's row id.
 */
band_id: number, 
/**
 * 会場コード.
 */
venue_code: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * The day.
 */
date: string, 
/**
 * 開始 (`HH:MM`).
 */
start: string, 
/**
 * Free places.
 */
free: number, 
/**
 * Straight-line distance from the resident's home, when geocoded.
 */
distance_km: number | null, };

export type ContactEdit = { 
/**
 * 電話番号; empty removes it.
 */
phone: string, 
/**
 * 郵便番号; may be empty.
 */
postal_code: string, 
/**
 * 住所.
 */
address: string, };

export type BusRide = { 
/**
 * 会場コード.
 */
venue_code: string, 
/**
 * The day.
 */
date: string, 
/**
 * `to_venue` (the pick-up) or `from_venue` (the ride home).
 */
direction: 'to_venue' | 'from_venue', 
/**
 * Pick-up (to the venue) or drop-off (home) at the door, HH:MM.
 */
at_door: string, 
/**
 * Arrival at (to) or departure from (home) the venue, HH:MM.
 */
at_venue: string, 
/**
 * The named pick-up point; `None`: fetched at home.
 */
pickup_point: string | null, 
/**
 * The vehicle.
 */
vehicle: string, 
/**
 * Its driver, when HQ named one.
 */
driver: string, 
/**
 * Rides in a wheelchair.
 */
wheelchair: boolean, 
/**
 * The reception's mark: `boarded` or `no_show`; `None`: not marked.
 */
mark: 'boarded' | 'no_show' | null, 
/**
 * When the mark was made (venue time).
 */
marked_at: string | null, };

export type Dashboard = { 
/**
 * The day it was counted for.
 */
today: string, 
/**
 * The venue it is limited to (a venue manager's); `None`: every venue (HQ).
 */
venue: string | null, 
/**
 * Today's totals.
 */
today_totals: Totals, 
/**
 * From the first day up to today (bookings of later days left out).
 */
campaign_totals: Totals, 
/**
 * Per day, up to today.
 */
per_day: Array<DayTotals>, 
/**
 * Per venue.
 */
per_venue: Array<VenueTotals>, 
/**
 * Coverage by age band, city-wide (residents belong to the city, not to a venue).
 */
coverage: Array<CoverageRow>, 
/**
 * Calls by topic, every topic listed.
 */
calls: Array<TopicTotals>, 
/**
 * Per venue: stock on hand and when the ledger last heard from the venue's devices.
 */
freshness: Array<VenueFreshness>, 
/**
 * Minutes of silence after which a venue is shown as silent
 * ([`VENUE_SILENT_MINUTES`]).
 */
silent_after_minutes: number, };

export type Totals = { 
/**
 * Bookings.
 */
booked: number, 
/**
 * Check-ins.
 */
checked_in: number, 
/**
 * Valid doses.
 */
doses: number, 
/**
 * Past bookings whose dose was never given.
 */
no_shows: number, };

export type DayTotals = { 
/**
 * The day.
 */
date: string, 
/**
 * Its totals.
 */
totals: Totals, };

export type VenueTotals = { 
/**
 * 会場コード.
 */
venue_code: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * Today.
 */
today: Totals, 
/**
 * From the first day up to today.
 */
campaign: Totals, };

export type CoverageRow = { 
/**
 * The age band, on the day asked about.
 */
band: AgeBand, 
/**
 * 地区; empty in the city-wide rows.
 */
district: string, 
/**
 * Residents.
 */
residents: number, 
/**
 * With dose 1.
 */
first: number, 
/**
 * With dose 2.
 */
second: number, };

export type TopicTotals = { 
/**
 * The topic.
 */
topic: InquiryTopic, 
/**
 * Received today.
 */
today: number, 
/**
 * Received over the campaign.
 */
campaign: number, };

export type VenueFreshness = { 
/**
 * 会場コード.
 */
venue_code: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * Sealed vials held (frozen and in the fridge), quarantined lots left out.
 */
sealed_vials: number, 
/**
 * Doses left in open vials whose clock still runs.
 */
open_doses: number, 
/**
 * Doses on hand: sealed vials at the default syringe's doses per vial, plus open doses.
 */
doses_on_hand: number, 
/**
 * Devices the ledger holds ops from that work at this venue.
 */
devices: number, 
/**
 * When the latest op from one of them was written (by its clock); `None`: never heard.
 */
last_heard: string | null, 
/**
 * Whole minutes since then (0 when the device's clock runs ahead).
 */
silent_minutes: number | null, 
/**
 * Never heard from, or silent longer than [`VENUE_SILENT_MINUTES`]: shown in the
 * warning colour.
 */
silent: boolean, 
/**
 * The venue's leftover forecast, as its manager's screen shows it.
 */
forecast: LeftoverForecast, };

export type CsvEncoding = "utf8_bom" | "cp932";

export type LegDirection = "to_venue" | "from_venue";

export type NotPlanned = { 
/**
 * The resident.
 */
resident_id: number, 
/**
 * 氏名.
 */
name: string, 
/**
 * Why, in English.
 */
reason: string, 
/**
 * Why, in Japanese.
 */
reason_ja: string, };

export type DayPlanReport = { 
/**
 * Riders (bookings with 送迎) of the day.
 */
riders: number, 
/**
 * Legs stored (a leg with a second run counts twice).
 */
legs: number, 
/**
 * Distinct vehicles used over the day.
 */
vehicles: number, 
/**
 * Kilometres of every route.
 */
km: number, 
/**
 * Riders on a route, counted once per leg.
 */
rides: number, 
/**
 * Riders of a leg the solver could not serve (by leg), with the reason.
 */
unserved: Array<NotPlanned>, 
/**
 * Riders with no home coordinates and no pick-up point.
 */
not_planned: Array<NotPlanned>, 
/**
 * Return runs made by a vehicle straight from the venue, where its previous run
 * brought riders ([`FleetSharing::LegAware`]).
 */
runs_from_venue: number, 
/**
 * Vehicles' second runs within a leg's window ([`FleetSharing::TwoRuns`]).
 */
second_runs: number, };

export type AnnouncedChange = { 
/**
 * The resident.
 */
resident_id: number, 
/**
 * 氏名.
 */
name: string, 
/**
 * Which trip.
 */
direction: LegDirection, 
/**
 * Announced time at the door (HH:MM).
 */
before: string, 
/**
 * New time at the door (HH:MM), or `None` when no longer served.
 */
after: string | null, };

export type DayReplanReport = { 
/**
 * Riders taken off (booking cancelled or moved away, or 送迎 no longer asked).
 */
cancelled: Array<string>, 
/**
 * Riders added to an existing leg.
 */
added: Array<string>, 
/**
 * Riders whose announced time moved (beyond the re-planner's tolerance, or unserved).
 */
changed: Array<AnnouncedChange>, 
/**
 * Riders who need a leg the stored plan does not have, or whose place is unknown:
 * plan the day again for them.
 */
needs_full_plan: Array<string>, };

export type RiderLine = { 
/**
 * The resident.
 */
resident_id: number, 
/**
 * Rider id in the problem (`municipality-voucher`).
 */
rider: string, 
/**
 * 氏名.
 */
name: string, 
/**
 * 氏名カナ.
 */
name_kana: string, 
/**
 * 住所.
 */
address: string, 
/**
 * 電話番号.
 */
phone: string | null, 
/**
 * The pick-up point's name, when not fetched at home.
 */
pickup_point: string | null, 
/**
 * Rides in a wheelchair.
 */
wheelchair: boolean, 
/**
 * Where they are fetched or set down.
 */
at: Coordinates | null, 
/**
 * Stop number (1-based) on the bus.
 */
stop_order: number | null, 
/**
 * Time at the door (HH:MM).
 */
at_door: string | null, 
/**
 * Why not served (Japanese), when not.
 */
unserved_ja: string | null, };

export type BusRun = { 
/**
 * The vehicle.
 */
vehicle: string, 
/**
 * Which way.
 */
direction: LegDirection, 
/**
 * The band served.
 */
band_start: string, 
/**
 * Its end.
 */
band_end: string, 
/**
 * The return trip's observation period (0 to the venue): with the direction, the band
 * and the run, it names the leg ([`crate::transport_move::TripRef`]).
 */
observation_minutes: number, 
/**
 * 1: the vehicle's first run of the leg; 2: its second run within the leg's window.
 */
run: number, 
/**
 * Leaves the garage (HH:MM).
 */
leave_garage: string, 
/**
 * Arrives at the venue (to) or leaves it (return), HH:MM.
 */
at_venue: string, 
/**
 * Back at the garage (HH:MM).
 */
back_at_garage: string, 
/**
 * Seats taken.
 */
seats_used: number, 
/**
 * Seats of the vehicle as stored with the plan (the figure a move by hand is checked
 * against), not the fleet's current one.
 */
seats: number, 
/**
 * Kilometres, garage to garage.
 */
km: number, 
/**
 * Stops in order.
 */
stops: Array<RiderLine>, };

export type DayTransport = { 
/**
 * Venue code.
 */
venue_code: string, 
/**
 * 会場名.
 */
venue_name: string, 
/**
 * The venue's address.
 */
venue_address: string, 
/**
 * The venue's place.
 */
venue_at: Coordinates, 
/**
 * The garage.
 */
garage: Coordinates | null, 
/**
 * The day.
 */
date: string, 
/**
 * When it was planned; `None`: never.
 */
planned_at: string | null, 
/**
 * Every bus run, by leg then vehicle.
 */
runs: Array<BusRun>, 
/**
 * Riders of a leg not served, with the reason.
 */
unserved: Array<RiderLine>, 
/**
 * Legs dealt no vehicle at all: their riders are not served.
 */
no_vehicle: Array<LegWithoutVehicle>, 
/**
 * Distinct vehicles over the day.
 */
vehicles: number, 
/**
 * Kilometres of every route.
 */
km: number, };

export type LegWithoutVehicle = { 
/**
 * Which way.
 */
direction: LegDirection, 
/**
 * The band's start (HH:MM).
 */
band_start: string, 
/**
 * The band's end (HH:MM).
 */
band_end: string, 
/**
 * Riders of the leg, none of them served.
 */
riders: number, 
/**
 * "No vehicle — these riders are not served", in English.
 */
message: string, 
/**
 * The same in Japanese.
 */
message_ja: string, };

export type TripRef = { 
/**
 * Which way.
 */
direction: LegDirection, 
/**
 * The band's start (HH:MM).
 */
band_start: string, 
/**
 * The return trip's observation period (0 to the venue).
 */
observation_minutes: number, 
/**
 * The vehicle's run within the leg (1 or 2).
 */
run: number, 
/**
 * The vehicle.
 */
vehicle: string, };

export type MoveTo = { "trip": TripRef } | "own_way";

export type RiderMove = { 
/**
 * The rider.
 */
resident_id: number, 
/**
 * Which of their trips.
 */
direction: LegDirection, 
/**
 * Where to.
 */
to: MoveTo, };

export type RiderMoved = { 
/**
 * 氏名.
 */
name: string, 
/**
 * The vehicle before (`None`: was not on a bus).
 */
vehicle_before: string | null, 
/**
 * The time at the door before.
 */
before: string | null, 
/**
 * The vehicle now (`None`: on their own).
 */
vehicle_after: string | null, 
/**
 * The time at the door now.
 */
after: string | null, 
/**
 * Other riders whose time at the door moved with it (tell them).
 */
changed: Array<AnnouncedChange>, };

export type BusDirection = "to_venue" | "from_venue";

export type BusMark = "boarded" | "no_show" | "cleared";

export type BusRider = { 
/**
 * The resident.
 */
resident_id: number, 
/**
 * 氏名.
 */
name: string, 
/**
 * 氏名カナ.
 */
name_kana: string, 
/**
 * Stop on the trip, from 1.
 */
stop_order: number, 
/**
 * Pick-up (to the venue) or drop-off (home) at the door, HH:MM.
 */
at_door: string, 
/**
 * The named pick-up point, when not fetched at home.
 */
pickup_point: string | null, 
/**
 * Rides in a wheelchair.
 */
wheelchair: boolean, 
/**
 * The reception's mark, when made (a cleared mark is none).
 */
mark: BusMark | null, };

export type BusTrip = { 
/**
 * The vehicle.
 */
vehicle: string, 
/**
 * Its driver (empty when HQ named none).
 */
driver: string, 
/**
 * Which way.
 */
direction: BusDirection, 
/**
 * The band its riders are booked in (HH:MM).
 */
band_start: string, 
/**
 * Arrives at the venue (to) or leaves it (home), HH:MM.
 */
at_venue: string, 
/**
 * The riders in stop order.
 */
riders: Array<BusRider>, };

export type BusList = { 
/**
 * The venue.
 */
venue_code: string, 
/**
 * The day.
 */
date: string, 
/**
 * Every trip, arrivals and departures in HQ's order.
 */
trips: Array<BusTrip>, 
/**
 * Riders marked boarded, over every trip.
 */
boarded: number, 
/**
 * Riders marked not at the pick-up.
 */
no_show: number, };

export type BackEntry = { 
/**
 * The row QR as scanned (18 digits), or the voucher number written on a blank row.
 */
voucher: string, 
/**
 * The day of the sheet.
 */
date: string, 
/**
 * 接種時刻 as written, `HH:MM`.
 */
given_at: string, 
/**
 * ロット as written (a lot open at this venue that day).
 */
lot_number: string, 
/**
 * 接種者 as written.
 */
vaccinator: string, 
/**
 * Injection site (左上腕…).
 */
injection_site: string, 
/**
 * 観察終了 as written, `HH:MM`; empty when not filled in.
 */
observed_until: string, };

export type BackEntered = { 
/**
 * 氏名.
 */
name: string, 
/**
 * The dose recorded.
 */
dose_number: number, 
/**
 * When it was given: the time written on paper.
 */
given_at: string, 
/**
 * The dose record, at the time written on paper.
 */
dose: RecordedDose, 
/**
 * The check-in recorded with it, when the resident was not checked in at a kiosk.
 */
checked_in: boolean, };

export type SheetFile = { 
/**
 * The file's bytes: UTF-8 (with or without BOM) or CP932.
 */
bytes: Array<number>, 
/**
 * The file's name as chosen (`sheet-V01-0601.csv`), named with the line in the audit
 * trail; none when the screen does not know it.
 */
name: string | null, };

export type SheetProblem = { 
/**
 * 1-based line of the file (the header is line 1).
 */
line: number, 
/**
 * The column, when the problem is in one field.
 */
column: string | null, 
/**
 * The rule: `INVALID_INPUT` for a malformed field, `DUPLICATE_DOSE`, `LOT_NOT_OPEN`…
 */
code: ErrorCode, 
/**
 * What is wrong, in English.
 */
message_en: string, 
/**
 * What is wrong, in Japanese.
 */
message_ja: string, };

export type SheetLine = { 
/**
 * The line of the file.
 */
line: number, 
/**
 * 券番号 (10 digits) of the row.
 */
voucher: string, 
/**
 * The dose and check-in recorded (or, in a preview, that would be).
 */
entered: BackEntered, };

export type SheetOutcome = { 
/**
 * `UTF-8` or `CP932`.
 */
encoding: string, 
/**
 * Every row that passes, in line order, with what it records.
 */
rows: Array<SheetLine>, 
/**
 * Every line refused, in line order: when any, nothing is recorded.
 */
refusals: Array<SheetProblem>, 
/**
 * Columns ignored.
 */
ignored_columns: Array<string>, 
/**
 * Whether the rows were recorded (false for a preview).
 */
committed: boolean, };

export type DiscoveredRelay = { 
/**
 * Its instance name (`V01 relay`).
 */
name: string, 
/**
 * The venue it says it serves.
 */
venue_code: string, 
/**
 * Its replica id.
 */
relay_id: string, 
/**
 * Where it listens: `https://192.168.1.10:8788`.
 */
url: string, };

export type Light = "off" | "green" | "red";

export type RelayLights = { 
/**
 * The relay's address, when joined.
 */
relay_url: string | null, 
/**
 * This kiosk reaches the relay (synced within [`RELAY_GREEN_SECONDS`]).
 */
reaches_relay: Light, 
/**
 * The relay reaches the centre (it synced within [`CENTRE_GREEN_SECONDS`] and its last
 * attempt did not fail, as it said at this kiosk's last sync).
 */
relay_reaches_centre: Light, 
/**
 * Last sync with the relay (RFC 3339).
 */
last_relay_sync_at: string | null, 
/**
 * The relay's last sync with the centre (RFC 3339).
 */
relay_centre_sync_at: string | null, 
/**
 * Why the last sync with the relay failed, if it did.
 */
last_error: string | null, 
/**
 * Why the relay's last attempt to reach the centre failed, if it did (as it said at this
 * kiosk's last sync): the centre light is red at once, not 2 minutes later.
 */
relay_centre_error: string | null, };

export type VenueDevice = { 
/**
 * Its name (`受付1`).
 */
name: string, 
/**
 * Its role (`reception`, `booth`, `venue_manager`, `relay`).
 */
role: string, 
/**
 * Its replica id.
 */
replica_id: string, 
/**
 * When it last synced with the relay (RFC 3339); none since the relay started.
 */
last_contact_at: string | null, };

export type JoinQr = { 
/**
 * The join code (`vaxrelay:?url=…&id=…&fp=…`).
 */
code: string, 
/**
 * Its QR code (level M), one SVG unit per module with a 4-module quiet zone.
 */
svg: string, };

export type RelayHostStatus = { 
/**
 * A relay is enrolled on this kiosk (it can be started).
 */
enrolled: boolean, 
/**
 * Its name at the centre.
 */
name: string | null, 
/**
 * Its venue.
 */
venue: string | null, 
/**
 * It is serving now.
 */
running: boolean, 
/**
 * It starts with the app (it was running when last left).
 */
starts_with_app: boolean, 
/**
 * The address it listens on (`0.0.0.0:8788`).
 */
listening_on: string | null, 
/**
 * The URL the other kiosks reach it at.
 */
url: string | null, 
/**
 * The SHA-256 fingerprint of its certificate, which the kiosks pin.
 */
fingerprint: string | null, 
/**
 * The join code the other kiosks scan or type.
 */
join_code: string | null, 
/**
 * The join code as a QR code (SVG).
 */
join_qr_svg: string | null, 
/**
 * The pairing code a kiosk that found the relay by mDNS types (`3F2A-9C41-77D0-12BE`).
 */
pairing_code: string | null, 
/**
 * The relay is advertised on the LAN by mDNS.
 */
advertised: boolean, };

