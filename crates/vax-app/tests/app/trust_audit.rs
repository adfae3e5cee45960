//! The audit hooks of issue 15 beyond the desk (docs/audit.md): each stock action, and the
//! call centre's history page and contact correction, leave exactly their entry — who, where,
//! what — and HQ's search by resident finds the call-centre lookups.

use chrono::NaiveDate;
use vax_app::audit::{search, AuditSearch};
use vax_app::callcentre::{correct_contact, view_history, ContactEdit};
use vax_app::staff::{register_staff, sign_in, Credential, NewStaff};
use vax_app::stock::{record_stock, StockAction};
use vax_domain::role::Role;
use vax_ledger::{AuditRow, Ledger};

use crate::desk::{booked_at_nine, time, venue};

/// (action, staff, venue, record) of one entry.
type Entry<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

fn everything(ledger: &Ledger) -> Vec<AuditRow> {
    let mut rows = search(ledger, Role::Headquarters, &AuditSearch::default()).unwrap();
    rows.reverse();
    rows
}

#[test]
fn each_stock_action_leaves_one_entry_with_the_staff_member_the_venue_and_the_event() {
    let (mut ledger, e) = venue();
    register_staff(
        &mut ledger,
        Role::Headquarters,
        &NewStaff {
            code: "S01".into(),
            name: "職員 S01".into(),
            venue_code: Some("V03".into()),
            role: Role::VenueManager,
            pin: Some("4821".into()),
            card: false,
        },
    )
    .unwrap();
    let pin = Credential::Pin {
        code: "S01".into(),
        pin: "4821".into(),
    };
    // Nobody signed in at a venue with staff: refused, and nothing recorded.
    let receive = StockAction::Receive {
        product: "comirnaty".into(),
        lot: "FA5765".into(),
        vials: 10,
        expires_on: NaiveDate::from_ymd_opt(2021, 8, 31).unwrap(),
        from: "卸A".into(),
        thawed_use_by: None,
    };
    record_stock(&mut ledger, &e, &receive, time("07:00")).expect_err("sign in first");
    assert!(everything(&ledger).is_empty());

    sign_in(&mut ledger, &e, &pin, 5, time("07:01")).unwrap();
    let delivered = record_stock(&mut ledger, &e, &receive, time("07:02")).unwrap();
    let thaw = StockAction::Thaw {
        product: "comirnaty".into(),
        lot: "FA5765".into(),
        vials: 2,
    };
    let thawed = record_stock(&mut ledger, &e, &thaw, time("07:03")).unwrap();
    let void = StockAction::Void {
        uid: thawed.uid.clone(),
        reason: "入力誤り".into(),
    };
    record_stock(&mut ledger, &e, &void, time("07:04")).unwrap();

    let rows = everything(&ledger);
    let got: Vec<Entry> = rows
        .iter()
        .map(|r| {
            (
                r.action.as_str(),
                r.staff_code.as_deref(),
                r.venue_code.as_deref(),
                r.record.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("sign_in", Some("S01"), Some("V03"), None),
            (
                "stock",
                Some("S01"),
                Some("V03"),
                Some(delivered.uid.as_str())
            ),
            ("stock", Some("S01"), Some("V03"), Some(thawed.uid.as_str())),
            ("void", Some("S01"), Some("V03"), Some(thawed.uid.as_str())),
        ]
    );
    assert_eq!(
        rows[1].detail,
        "delivery comirnaty FA5765 +10 vials from 卸A"
    );
    assert_eq!(rows[2].detail, "thaw comirnaty FA5765 2 vials");
    assert!(rows[3].detail.contains("入力誤り"));
}

#[test]
fn the_call_centres_history_page_and_contact_correction_are_found_by_resident() {
    let (mut ledger, _) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let voucher = line[8..].to_owned();
    view_history(&mut ledger, id, time("10:00")).unwrap();
    correct_contact(
        &mut ledger,
        Role::CallCentre,
        id,
        &ContactEdit {
            phone: "0773-62-9999".into(),
            postal_code: "6240853".into(),
            address: "舞鶴市字南田辺1番地".into(),
        },
        time("10:01"),
    )
    .unwrap();
    let found = search(
        &ledger,
        Role::Headquarters,
        &AuditSearch {
            resident: Some(voucher.clone()),
            ..AuditSearch::default()
        },
    )
    .unwrap();
    let actions: Vec<(&str, Option<&str>)> = found
        .iter()
        .rev()
        .map(|r| (r.action.as_str(), r.resident.as_deref()))
        .collect();
    assert_eq!(
        actions,
        [
            ("lookup", Some(voucher.as_str())),
            ("correct", Some(voucher.as_str()))
        ]
    );
    assert_eq!(found[1].detail, "call centre history");
}
