// The only module that calls Tauri. Failures become UserError {code, message, messageJa,
// overridable}.
import { invoke } from '@tauri-apps/api/core';
import type {
  CameraUpdate,
  CheckInDone,
  DaySummary,
  DeskCard,
  ErrorCode,
  IpcError,
  LotView,
  MailingDetails,
  Observation,
  Printed,
  ProductChoice,
  QueueEntry,
  RecordDose,
  RecordedDose,
  Role,
  SetupStatus,
  VoucherPrintStatus,
  VrsBatchSummary,
  VrsExportRequest,
  VrsExportSummary,
  SyncStatus,
  SyncRun,
  SnapshotPublished,
  Enrolled,
  AlertView,
  NoticeOptions,
  PendingSummary,
  NoticeBatchReport,
  NoticeBatchRow,
  BandEdit,
  BandForm,
  CalendarView,
  EditReport,
  SupplyReport,
  PlanReport,
  PlanningSettings,
  ReshuffleApplied,
  ReshufflePreview,
  CalendarPreview,
  ReshuffleRequest,
  VenueForm,
  ManagerView,
  StockAction,
  StockRecorded,
  StandbyEntry,
  CallOutcome,
  LotCount,
  CloseOut,
  ColdChainCheck,
  HqStockView,
  LoggerFile,
  AuditRow,
  AuditSearch,
  Credential,
  NewStaff,
  RegisteredStaff,
  SignedIn,
  StaffRow,
  StaffStatus,
  ResidentRow,
  ResidentHistory,
  NewCall,
  FollowUpRow,
  RebookOffer,
  ContactEdit,
  Dashboard,
  CsvEncoding,
  DayTransport,
  DayPlanReport,
  DayReplanReport,
  BusList,
  BusDirection,
  BusMark,
  RiderMove,
  RiderMoved,
  BackEntry,
  BackEntered,
  SheetFile,
  DiscoveredRelay,
  SheetOutcome,
  RelayLights,
  VenueDevice,
  JoinQr,
  RelayHostStatus,
} from './generated/types';

export type * from './generated/types';

export class UserError extends Error {
  readonly code: ErrorCode;
  readonly messageJa: string;
  /** Whether a doctor may go ahead anyway, with a reason (the booth's override). */
  readonly overridable: boolean;

  constructor(code: ErrorCode, message: string, messageJa: string, overridable = false) {
    super(message);
    this.code = code;
    this.messageJa = messageJa;
    this.overridable = overridable;
  }
}

function isIpcError(e: unknown): e is IpcError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e && 'message_ja' in e;
}

export function toUserError(e: unknown): UserError {
  if (e instanceof UserError) return e;
  if (isIpcError(e)) return new UserError(e.code, e.message, e.message_ja, e.overridable === true);
  const text = e instanceof Error ? e.message : String(e);
  return new UserError('INTERNAL', text, `内部エラー: ${text}`);
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toUserError(e);
  }
}

// One line per command, naming it as a string literal: a Rust test (src-tauri) reads these lines
// to check that the UI calls exactly the backend's commands.
export const api = {
  setupStatus: () => call<SetupStatus>('setup_status'),
  loadDemo: () => call<SetupStatus>('setup_load_demo'),
  enroll: (venueCode: string, role: Role) => call<SetupStatus>('setup_enroll', { venueCode, role }),
  products: () => call<ProductChoice[]>('products'),
  find: (text: string) => call<DeskCard[]>('reception_find', { text }),
  checkIn: (residentId: number) => call<CheckInDone>('reception_check_in', { residentId }),
  cancelCheckIn: (uid: string, reason: string) => call<null>('reception_cancel_check_in', { uid, reason }),
  printYoshinhyo: (residentId: number) => call<Printed>('reception_print_yoshinhyo', { residentId }),
  cameraStart: () => call<null>('reception_camera_start'),
  cameraPoll: () => call<CameraUpdate>('reception_camera_poll'),
  cameraStop: () => call<null>('reception_camera_stop'),
  boothQueue: () => call<QueueEntry[]>('booth_queue'),
  boothLots: () => call<LotView[]>('booth_lots'),
  openLot: (productCode: string, lotNumber: string) => call<LotView>('booth_open_lot', { productCode, lotNumber }),
  recordDose: (request: RecordDose) => call<RecordedDose>('booth_record_dose', { request }),
  observations: () => call<Observation[]>('booth_observations'),
  venueDay: () => call<DaySummary>('venue_day'),
  managerView: () => call<ManagerView>('manager_view'),
  recordStock: (action: StockAction) => call<StockRecorded>('manager_record_stock', { action }),
  standbyList: () => call<StandbyEntry[]>('manager_standby'),
  logStandbyCall: (residentId: number, outcome: CallOutcome) => call<null>('manager_log_call', { residentId, outcome }),
  closeDay: (counts: LotCount[]) => call<CloseOut>('manager_close_day', { counts }),
  importLogger: (file: LoggerFile) => call<ColdChainCheck>('manager_import_logger', { file }),
  defaultExportDir: () => call<string>('hq_default_export_dir'),
  vrsExport: (request: VrsExportRequest) => call<VrsExportSummary>('hq_vrs_export', { request }),
  vrsBatches: () => call<VrsBatchSummary[]>('hq_vrs_batches'),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncRun: () => call<SyncRun>('sync_run'),
  syncEnroll: (serverUrl: string, code: string, deviceName: string, municipality: string, caPem: string | null = null) => call<Enrolled>('sync_enroll', { serverUrl, code, deviceName, municipality, caPem }),
  syncAlerts: () => call<AlertView[]>('hq_sync_alerts'),
  voidDose: (uid: string, reason: string) => call<null>('hq_void_dose', { uid, reason }),
  chooseBooking: (voucher: string, doseNumber: number, uid: string) => call<null>('hq_choose_booking', { voucher, doseNumber, uid }),
  mailingDetails: () => call<MailingDetails | null>('hq_mailing_details'),
  voucherPrintStart: (mailing: MailingDetails) => call<VoucherPrintStatus>('hq_voucher_print_start', { mailing }),
  voucherPrintStatus: () => call<VoucherPrintStatus | null>('hq_voucher_print_status'),
  voucherPrintCancel: () => call<null>('hq_voucher_print_cancel'),
  noticesPending: (options: NoticeOptions) => call<PendingSummary>('hq_notices_pending', { options }),
  noticesMake: (options: NoticeOptions) => call<NoticeBatchReport>('hq_notices_make', { options }),
  noticeBatches: () => call<NoticeBatchRow[]>('hq_notice_batches'),
  noticeDefaults: () => call<NoticeOptions>('hq_notice_defaults'),
  calendar: (from: string, days: number) => call<CalendarView>('hq_calendar', { from, days }),
  saveVenue: (form: VenueForm) => call<EditReport>('hq_save_venue', { form }),
  addDay: (venue: string, date: string, bands: BandForm[]) => call<EditReport>('hq_add_day', { venue, date, bands }),
  editImpact: (edit: BandEdit) => call<EditReport>('hq_edit_impact', { edit }),
  editBands: (edit: BandEdit) => call<EditReport>('hq_edit_bands', { edit }),
  setSupply: (venue: string, date: string, vials: number | null) => call<SupplyReport>('hq_set_supply', { venue, date, vials }),
  planRun: () => call<PlanReport>('hq_plan_run'),
  planningSettings: () => call<PlanningSettings>('hq_planning_settings'),
  savePlanningSettings: (settings: PlanningSettings) => call<null>('hq_save_planning_settings', { settings }),
  reshufflePreview: (request: ReshuffleRequest) => call<ReshufflePreview>('hq_reshuffle_preview', { request }),
  reshuffleApply: (preview: ReshufflePreview) => call<ReshuffleApplied>('hq_reshuffle_apply', { preview }),
  calendarPreview: (bytes: number[]) => call<CalendarPreview>('hq_calendar_preview', { bytes }),
  calendarImport: (bytes: number[]) => call<CalendarPreview>('hq_calendar_import', { bytes }),
  hqStockView: (from: string, to: string) => call<HqStockView>('hq_stock_view', { from, to }),
  hqStockReport: (from: string, to: string, cp932: boolean) => call<string>('hq_stock_report', { from, to, cp932 }),
  staffStatus: () => call<StaffStatus>('staff_status'),
  staffSignIn: (credential: Credential) => call<SignedIn>('staff_sign_in', { credential }),
  staffSignOut: () => call<null>('staff_sign_out'),
  staffList: () => call<StaffRow[]>('hq_staff_list'),
  staffRegister: (staff: NewStaff) => call<RegisteredStaff>('hq_staff_register', { staff }),
  auditSearch: (query: AuditSearch) => call<AuditRow[]>('hq_audit_search', { query }),
  syncRotateToken: () => call<null>('sync_rotate_token'),
  publishSnapshot: () => call<SnapshotPublished>('hq_publish_snapshot'),
  ccFind: (text: string) => call<ResidentRow[]>('callcentre_find', { text }),
  ccHistory: (residentId: number) => call<ResidentHistory>('callcentre_history', { residentId }),
  ccLogCall: (residentId: number, call_: NewCall) => call<string>('callcentre_log_call', { residentId, call: call_ }),
  ccCompleteFollowUp: (inquiry: string, note: string, operator: string) => call<string>('callcentre_complete_follow_up', { inquiry, note, operator }),
  ccFollowUps: () => call<FollowUpRow[]>('callcentre_follow_ups'),
  ccRebookOffers: (residentId: number) => call<RebookOffer[]>('callcentre_rebook_offers', { residentId }),
  ccRequestTransport: (residentId: number, needed: boolean) => call<null>('callcentre_request_transport', { residentId, needed }),
  ccSetStandby: (residentId: number, on: boolean) => call<null>('callcentre_set_standby', { residentId, on }),
  ccCorrectContact: (residentId: number, edit: ContactEdit) => call<null>('callcentre_correct_contact', { residentId, edit }),
  dashboard: () => call<Dashboard>('dashboard_view'),
  dashboardExport: (table: string, encoding: CsvEncoding) => call<string>('dashboard_export', { table, encoding }),
  dashboardDailyReport: () => call<string>('dashboard_daily_report'),
  transportDay: (venueCode: string, date: string) => call<DayTransport>('transport_day', { venueCode, date }),
  transportPlan: (venueCode: string, date: string) => call<DayPlanReport>('transport_plan', { venueCode, date }),
  transportReplan: (venueCode: string, date: string) => call<DayReplanReport>('transport_replan', { venueCode, date }),
  transportManifests: (venueCode: string, date: string) => call<Printed>('transport_manifests', { venueCode, date }),
  transportBusList: (venueCode: string, date: string) => call<BusList>('transport_bus_list', { venueCode, date }),
  transportMarkRide: (venueCode: string, date: string, residentId: number, direction: BusDirection, mark: BusMark) =>
    call<BusList>('transport_mark_ride', { venueCode, date, residentId, direction, mark }),
  transportMoveRider: (venueCode: string, date: string, request: RiderMove) =>
    call<RiderMoved>('transport_move_rider', { venueCode, date, request }),
  paperPrintDaySheets: (date: string) => call<Printed>('paper_print_day_sheets', { date }),
  paperBackEnter: (entry: BackEntry) => call<BackEntered>('paper_back_enter', { entry }),
  paperSheetPreview: (file: SheetFile) => call<SheetOutcome>('paper_sheet_preview', { file }),
  paperSheetCommit: (file: SheetFile) => call<SheetOutcome>('paper_sheet_commit', { file }),
  relayLights: () => call<RelayLights>('relay_status_lights'),
  relayDevices: () => call<VenueDevice[]>('relay_venue_devices'),
  relayJoinCode: () => call<JoinQr | null>('relay_join_code'),
  relayJoin: (code: string) => call<string>('relay_join', { code }),
  relayHostStatus: () => call<RelayHostStatus>('relay_host_status'),
  relayHostEnroll: (code: string, name: string) => call<RelayHostStatus>('relay_host_enroll', { code, name }),
  relayHostStart: () => call<RelayHostStatus>('relay_host_start'),
  relayHostStop: () => call<RelayHostStatus>('relay_host_stop'),
  relayDiscover: () => call<DiscoveredRelay[]>('relay_discover'),
  relayJoinDiscovered: (relay: DiscoveredRelay, pairing: string) => call<string>('relay_join_discovered', { relay, pairing }),
  unlockStatus: () => call<boolean>('unlock_status'),
  unlockLedger: (passphrase: string) => call<null>('unlock_ledger', { passphrase }),
};
