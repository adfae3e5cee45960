// The name of every Tauri command, in one list. build.rs includes this file to make one
// permission per command (capabilities/default.json allows exactly these); lib.rs includes it
// too, and its test checks that this list, the handlers of `build_app`, the capabilities and
// the UI's calls in ui/src/lib/ipc/index.ts all name the same commands.

/// Every command the window may invoke.
pub const COMMAND_NAMES: &[&str] = &[
    "setup_status",
    "setup_load_demo",
    "setup_enroll",
    "reception_find",
    "reception_check_in",
    "reception_cancel_check_in",
    "reception_print_yoshinhyo",
    "reception_camera_start",
    "reception_camera_poll",
    "reception_camera_stop",
    "booth_queue",
    "booth_lots",
    "booth_open_lot",
    "booth_record_dose",
    "booth_observations",
    "venue_day",
    "manager_view",
    "manager_record_stock",
    "manager_standby",
    "manager_log_call",
    "manager_close_day",
    "products",
    "hq_default_export_dir",
    "hq_vrs_export",
    "hq_vrs_batches",
    "sync_status",
    "sync_run",
    "sync_enroll",
    "hq_sync_alerts",
    "hq_void_dose",
    "hq_choose_booking",
    "hq_mailing_details",
    "hq_voucher_print_start",
    "hq_voucher_print_status",
    "hq_voucher_print_cancel",
];
