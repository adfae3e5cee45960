fn main() {
    // Every command gets an allow-/deny- permission; capabilities/default.json allows
    // exactly these and nothing of Tauri's core API the UI does not use.
    let manifest = tauri_build::AppManifest::new().commands(vaxledger_commands());
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build step");
}

fn vaxledger_commands() -> &'static [&'static str] {
    &[
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
    ]
}
