//! Op builders and replica helpers shared by the tests.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use vax_domain::voucher::VoucherNumber;
use vax_sync::{CheckIn, DeviceKey, Dose, OpKind, ReplicaId, Role, VenueCode};
use vax_sync_client::MemoryReplica;

pub fn resident(n: u32) -> VoucherNumber {
    VoucherNumber::parse(&format!("{n:010}")).expect("ten digits")
}

pub fn at(hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2021, 6, 1)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .expect("valid time")
}

pub fn dose(r: u32, venue: &str) -> OpKind {
    OpKind::RecordDose(Dose {
        resident: resident(r),
        dose_number: 1,
        venue: VenueCode::new(venue),
        product: "comirnaty".into(),
        lot: "FF1234".into(),
        vaccinator: "山田".into(),
        administered_at: at(10, 0),
        vial: None,
        overridden: None,
        injection_site: None,
        back_entered: false,
    })
}

pub fn check_in(r: u32, venue: &str) -> OpKind {
    OpKind::CheckIn(CheckIn {
        resident: resident(r),
        dose_number: 1,
        venue: VenueCode::new(venue),
        band: None,
        at: at(9, 0),
        back_entered: false,
    })
}

/// A replica that writes under `id` whatever its enrolled role, signing with `key`: to forge
/// out-of-role ops (with the device's own key) or ops in another's name (with a key that is
/// not the author's).
pub fn rogue(id: ReplicaId, key: &DeviceKey) -> MemoryReplica {
    MemoryReplica::new(id, Role::Hq, key.clone()).expect("a fresh replica takes a key")
}

/// The PostgreSQL cluster the server tests run against as well (`scripts/with-postgres.sh`
/// sets it; the test command runs this suite once on SQLite and once on PostgreSQL).
pub fn postgres_cluster() -> Option<String> {
    std::env::var("VAXSYNC_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Where a test's server keeps its ledger: a fresh database of the PostgreSQL cluster when
/// one is given, else a SQLite file in `dir`. The contract is the same; every test using this
/// runs against both stores.
pub fn store_location(dir: &Path) -> PathBuf {
    match postgres_cluster() {
        Some(cluster) => PathBuf::from(fresh_database(&cluster)),
        None => dir.join("sync.db"),
    }
}

/// Creates an empty database in the cluster and returns its URL.
pub fn fresh_database(cluster: &str) -> String {
    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    let (admin, create) = (cluster.to_owned(), format!("CREATE DATABASE {name}"));
    // The synchronous client must not run on an async test's thread.
    std::thread::spawn(move || {
        let mut client =
            postgres::Client::connect(&admin, postgres::NoTls).expect("connect to the cluster");
        client.batch_execute(&create).expect("create a database");
    })
    .join()
    .expect("the database was created");
    let (base, _) = cluster
        .rsplit_once('/')
        .expect("the cluster URL names a database");
    format!("{base}/{name}")
}
