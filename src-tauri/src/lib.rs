//! The vaxledger desktop app: the Tauri shell of the venue kiosk.
//!
//! Every command is a thin adapter: it reads the clock (Japan time), takes the ledger lock,
//! calls one use case of `vax-app`, and maps its error to an [`IpcError`] `{code, message,
//! message_ja}`. No rule of the campaign lives here.
//!
//! The ledger file is `$VAXLEDGER_DB`, or `vaxledger.sqlite3` in the app's data folder.

pub mod bindings;
pub mod commands;
mod error;
mod state;

use std::path::PathBuf;

use tauri::{Emitter, Manager, Runtime};
use vax_app::config::AppConfig;

pub use error::IpcError;
pub use state::AppState;

include!("command_names.rs");

/// The event the window listens to for "the ledger changed under you" (a sync brought or sent
/// changes): screens refresh at once instead of waiting for their next poll.
pub const LEDGER_CHANGED: &str = "ledger-changed";

/// Builds the app on any runtime (the mock runtime in tests) with its commands and state.
/// At setup it opens the ledger (`config.ledger_path`, else the app's data folder) and starts
/// the background sync.
pub fn build_app<R: Runtime>(builder: tauri::Builder<R>, config: AppConfig) -> tauri::Builder<R> {
    // A ledger path known now is opened now; the app's data folder is known only at setup.
    let builder = match config.ledger_path.clone() {
        Some(path) => builder.manage(AppState::open(config.clone(), path)),
        None => builder,
    };
    builder
        .setup(move |app| {
            if app.try_state::<AppState>().is_none() {
                let path = ledger_in_data_folder(app.path().app_data_dir()?)?;
                app.manage(AppState::open(config, path));
            }
            ledger_opened(app.handle())?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::setup::setup_status,
            commands::unlock::unlock_status,
            commands::unlock::unlock_ledger,
            commands::setup::setup_load_demo,
            commands::setup::setup_enroll,
            commands::setup::products,
            commands::reception::reception_find,
            commands::reception::reception_check_in,
            commands::reception::reception_cancel_check_in,
            commands::reception::reception_print_yoshinhyo,
            commands::camera::reception_camera_start,
            commands::camera::reception_camera_poll,
            commands::camera::reception_camera_stop,
            commands::booth::booth_queue,
            commands::booth::booth_lots,
            commands::booth::booth_open_lot,
            commands::booth::booth_record_dose,
            commands::booth::booth_observations,
            commands::booth::venue_day,
            commands::manager::manager_view,
            commands::manager::manager_record_stock,
            commands::manager::manager_standby,
            commands::manager::manager_log_call,
            commands::manager::manager_close_day,
            commands::manager::manager_import_logger,
            commands::manager::hq_stock_view,
            commands::manager::hq_stock_report,
            commands::hq::hq_default_export_dir,
            commands::hq::hq_vrs_export,
            commands::hq::hq_vrs_batches,
            commands::planning::hq_calendar,
            commands::planning::hq_save_venue,
            commands::planning::hq_add_day,
            commands::planning::hq_edit_impact,
            commands::planning::hq_edit_bands,
            commands::planning::hq_set_supply,
            commands::planning::hq_plan_run,
            commands::planning::hq_planning_settings,
            commands::planning::hq_save_planning_settings,
            commands::planning::hq_reshuffle_preview,
            commands::planning::hq_reshuffle_apply,
            commands::planning::hq_calendar_preview,
            commands::planning::hq_calendar_import,
            commands::callcentre::callcentre_find,
            commands::callcentre::callcentre_history,
            commands::callcentre::callcentre_log_call,
            commands::callcentre::callcentre_complete_follow_up,
            commands::callcentre::callcentre_follow_ups,
            commands::callcentre::callcentre_rebook_offers,
            commands::callcentre::callcentre_request_transport,
            commands::callcentre::callcentre_set_standby,
            commands::callcentre::callcentre_correct_contact,
            commands::dashboard::dashboard_view,
            commands::dashboard::dashboard_export,
            commands::dashboard::dashboard_daily_report,
            commands::transport::transport_day,
            commands::transport::transport_plan,
            commands::transport::transport_replan,
            commands::transport::transport_manifests,
            commands::transport::transport_bus_list,
            commands::transport::transport_mark_ride,
            commands::transport::transport_move_rider,
            commands::sync::sync_status,
            commands::sync::sync_run,
            commands::sync::sync_enroll,
            commands::sync::hq_sync_alerts,
            commands::sync::hq_void_dose,
            commands::sync::hq_choose_booking,
            commands::hq::hq_mailing_details,
            commands::hq::hq_voucher_print_start,
            commands::hq::hq_voucher_print_status,
            commands::hq::hq_voucher_print_cancel,
            commands::notices::hq_notices_pending,
            commands::notices::hq_notices_make,
            commands::notices::hq_notice_batches,
            commands::notices::hq_notice_defaults,
            commands::staff::staff_status,
            commands::staff::staff_sign_in,
            commands::staff::staff_sign_out,
            commands::staff::hq_staff_list,
            commands::staff::hq_staff_register,
            commands::staff::hq_audit_search,
            commands::sync::sync_rotate_token,
            commands::sync::hq_publish_snapshot,
            commands::paper::paper_print_day_sheets,
            commands::paper::paper_back_enter,
            commands::paper::paper_sheet_preview,
            commands::paper::paper_sheet_commit,
            commands::paper::relay_status_lights,
            commands::paper::relay_venue_devices,
            commands::paper::relay_join_code,
            commands::paper::relay_join,
            commands::relay_host::relay_host_status,
            commands::relay_host::relay_host_enroll,
            commands::relay_host::relay_host_start,
            commands::relay_host::relay_host_stop,
            commands::relay_host::relay_discover,
            commands::relay_host::relay_join_discovered,
        ])
}

/// What runs once the ledger is open, at start or after the unlock screen: the background
/// sync and, when this kiosk hosts it, the venue relay.
pub(crate) fn ledger_opened<R: Runtime>(app: &tauri::AppHandle<R>) -> std::io::Result<()> {
    start_background_sync(app)?;
    resume_relay_host(app);
    Ok(())
}

/// Starts vax-app's background sync on the app's ledger; each round that moved changes tells
/// the window ([`LEDGER_CHANGED`]).
fn start_background_sync<R: Runtime>(app: &tauri::AppHandle<R>) -> std::io::Result<()> {
    let state = app.state::<AppState>();
    if let Ok(ledger) = state.shared_ledger() {
        let handle = app.clone();
        vax_app::sync::spawn_background_sync(
            std::sync::Arc::clone(ledger),
            std::sync::Arc::clone(&state.clock),
            state.config.sync_interval,
            move || drop(handle.emit(LEDGER_CHANGED, ())),
        )?;
        // The venue relay (issue 17), once this kiosk joined one: twice a second, on the LAN.
        let handle = app.clone();
        vax_app::relay::spawn_background_relay_sync(
            std::sync::Arc::clone(ledger),
            std::sync::Arc::clone(&state.clock),
            vax_app::relay::RELAY_SYNC_EVERY,
            move || drop(handle.emit(LEDGER_CHANGED, ())),
        )?;
    }
    Ok(())
}

/// Starts the venue relay again when this kiosk was running it when the app was left. A relay
/// that cannot start (its port taken) is reported on the manager's Relay screen, not fatal.
fn resume_relay_host<R: Runtime>(app: &tauri::AppHandle<R>) {
    let state = app.state::<AppState>();
    let mut host = crate::state::lock(&state.relay_host);
    let Ok(mut ledger) = state.ledger() else {
        return; // the window shows why the ledger did not open
    };
    let settings = &state.config.relay_host;
    let resumed = vax_app::relay_host::resume_relay_host(&mut host, &mut ledger, settings);
    if let Err(e) = resumed {
        eprintln!("vaxledger: the venue relay did not start again: {e}");
    }
}

/// `vaxledger.sqlite3` in the app's data folder (created if missing).
fn ledger_in_data_folder(dir: PathBuf) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join("vaxledger.sqlite3"))
}

/// Runs the desktop app. A `VAXLEDGER_*` variable that cannot be used stops it with a message
/// naming the variable, in both languages.
pub fn run() {
    let config = match AppConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            use vax_domain::error::UserFacing;
            eprintln!("vaxledger: {e}\nvaxledger: {}", e.message_ja());
            std::process::exit(2);
        }
    };
    build_app(tauri::Builder::default(), config)
        .run(tauri::generate_context!())
        .expect("the vaxledger window could not start");
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    fn invoke(
        webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
        cmd: &str,
        args: Value,
    ) -> Result<Value, Value> {
        get_ipc_response(
            webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().expect("valid url"),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().expect("JSON response"))
    }

    #[test]
    fn an_encrypted_ledger_waits_for_its_passphrase_and_a_wrong_one_changes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("kiosk.sqlite3");
        vax_ledger::Ledger::encrypt(&path, "会場の合言葉です").expect("encrypt");
        let config = vax_app::config::AppConfig {
            ledger_path: Some(path.clone()),
            ..Default::default()
        };
        let app = super::build_app(mock_builder(), config)
            .build(tauri::generate_context!())
            .expect("the app builds on the mock runtime");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("main window");
        assert_eq!(
            invoke(&webview, "unlock_status", json!({})),
            Ok(json!(true))
        );
        let err = invoke(&webview, "setup_status", json!({})).expect_err("locked");
        assert_eq!(err["code"], "LEDGER_UNAVAILABLE", "{err}");
        let before = std::fs::read(&path).expect("ledger");
        let err = invoke(
            &webview,
            "unlock_ledger",
            json!({"passphrase": "違う合言葉です"}),
        )
        .expect_err("a wrong passphrase");
        assert_eq!(err["code"], "INVALID_INPUT", "{err}");
        assert!(err["message_ja"]
            .as_str()
            .is_some_and(|m| m.contains("変更されていません")));
        assert_eq!(
            std::fs::read(&path).expect("ledger"),
            before,
            "nothing changed"
        );
        assert_eq!(
            invoke(&webview, "unlock_status", json!({})),
            Ok(json!(true))
        );
        invoke(
            &webview,
            "unlock_ledger",
            json!({"passphrase": "会場の合言葉です"}),
        )
        .expect("the right passphrase opens it");
        assert_eq!(
            invoke(&webview, "unlock_status", json!({})),
            Ok(json!(false))
        );
        let status = invoke(&webview, "setup_status", json!({})).expect("open now");
        assert_eq!(status["residents"], 0);
    }

    #[test]
    fn commands_answer_over_ipc_with_code_and_bilingual_message_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = vax_app::config::AppConfig {
            ledger_path: Some(dir.path().join("kiosk.sqlite3")),
            ..Default::default()
        };
        let app = super::build_app(mock_builder(), config)
            .build(tauri::generate_context!())
            .expect("the app builds on the mock runtime");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("main window");

        let status = invoke(&webview, "setup_status", json!({})).expect("setup_status answers");
        assert_eq!(
            status["residents"], 0,
            "a new installation has an empty ledger"
        );
        assert_eq!(status["enrollment"], Value::Null, "and is not enrolled");

        let err = invoke(&webview, "reception_find", json!({"text": "0000100001"}))
            .expect_err("an unenrolled kiosk cannot search");
        assert_eq!(
            err["code"], "NOT_ENROLLED",
            "errors carry a code the UI branches on: {err}"
        );
        assert!(
            err["message_ja"]
                .as_str()
                .is_some_and(|m| m.contains("登録")),
            "and a Japanese message: {err}"
        );

        let dir =
            invoke(&webview, "hq_default_export_dir", json!({})).expect("the HQ folder answers");
        assert!(
            dir.as_str().is_some_and(|d| d.ends_with("vrs-export")),
            "beside the ledger: {dir}"
        );
        let err = invoke(&webview, "hq_vrs_export", json!({"request": {
            "out_dir": dir, "encoding": "utf8", "header": true, "crlf": true, "export_valid": false, "site_municipality": null
        }}))
        .expect_err("an unenrolled installation cannot export");
        assert_eq!(err["code"], "NOT_ENROLLED");

        let camera = invoke(&webview, "reception_camera_poll", json!({}))
            .expect("polling a camera that is off answers");
        assert_eq!(camera["running"], false, "the camera starts off: {camera}");
        let err = invoke(&webview, "reception_camera_start", json!({}))
            .expect_err("an unenrolled kiosk cannot scan");
        assert_eq!(err["code"], "NOT_ENROLLED");
        invoke(&webview, "reception_camera_stop", json!({})).expect("stopping is always fine");
        let err = invoke(
            &webview,
            "hq_voucher_print_start",
            json!({"mailing": {"sender": "舞鶴市 健康づくり課", "contact": []}}),
        )
        .expect_err("an unenrolled installation cannot print the city");
        assert_eq!(err["code"], "NOT_ENROLLED");
        let status = invoke(&webview, "hq_voucher_print_status", json!({})).expect("status");
        assert_eq!(status, Value::Null, "no batch was started");

        let err = invoke(
            &webview,
            "setup_enroll",
            json!({"venueCode": "V99", "role": "reception"}),
        )
        .expect_err("an unknown venue is refused");
        assert_eq!(err["code"], "NOT_FOUND");
    }
}
