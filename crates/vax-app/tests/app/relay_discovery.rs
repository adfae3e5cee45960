//! mDNS discovery of the venue relay (issue 17): the record the relay advertises (no
//! fingerprint: discovery is not trust), how a browse result is read, and two mDNS daemons
//! in this process finding each other on a test port. Joining a found relay with its
//! pairing code is tested with a real relay in `relay_host.rs`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use vax_app::relay_discovery::{
    advertise, discover, relay_of, DiscoveredRelay, RelayAdvert, SERVICE_TYPE,
};
use vax_sync_client::lan::JoinCode;

const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

fn join_code(url: &str) -> JoinCode {
    JoinCode::parse(&format!(
        "vaxrelay:?url={url}&id={ID}&fp={}",
        "ab".repeat(32)
    ))
    .unwrap()
}

fn txt(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_advertised_record_names_the_venue_and_relay_but_never_the_fingerprint() {
    let code = join_code("https://192.168.1.10:8788");
    let advert = RelayAdvert::of_join_code(&code, "V01", "V01 relay").unwrap();
    assert_eq!(advert.address, IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10)));
    assert_eq!(advert.port, 8788);
    let info = advert.service_info().unwrap();
    assert_eq!(info.get_fullname(), format!("V01 relay.{SERVICE_TYPE}"));
    assert_eq!(info.get_port(), 8788);
    let props: HashMap<String, String> = info
        .get_properties()
        .iter()
        .map(|p| (p.key().to_owned(), p.val_str().to_owned()))
        .collect();
    assert_eq!(
        props,
        txt(&[
            ("v", "1"),
            ("venue", "V01"),
            ("id", ID),
            ("scheme", "https")
        ])
    );
    assert!(
        !props.values().any(|v| v.contains("abab")),
        "no fingerprint on the LAN"
    );

    // Read back as a browse result gives the address to join, under the instance name.
    let found = relay_of(
        info.get_fullname(),
        &[advert.address],
        info.get_port(),
        &props,
    );
    assert_eq!(
        found,
        Some(DiscoveredRelay {
            name: "V01 relay".into(),
            venue_code: "V01".into(),
            relay_id: ID.into(),
            url: "https://192.168.1.10:8788".into(),
        })
    );
    // A relay announced under a host name is found by its QR, not advertised by address.
    let named = join_code("https://relay.venue.example:8788");
    assert_eq!(RelayAdvert::of_join_code(&named, "V01", "x"), None);
}

#[test]
fn browse_results_that_are_not_a_joinable_relay_are_skipped() {
    let v4 = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
    let v6 = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 10));
    let good = [("v", "1"), ("venue", "V01"), ("id", ID)];
    let name = format!("V01 relay.{SERVICE_TYPE}");
    let read = |pairs: &[(&str, &str)], addresses: &[IpAddr]| {
        relay_of(&name, addresses, 8788, &txt(pairs)).map(|r| r.url)
    };
    assert_eq!(
        read(&good, &[v6, v4]),
        Some("https://192.168.1.10:8788".into()),
        "IPv4 first; https when the record says nothing of the scheme"
    );
    assert_eq!(read(&good, &[v6]), Some("https://[fd00::a]:8788".into()));
    for (why, pairs, addresses) in [
        ("no address", good.to_vec(), vec![]),
        ("no version", vec![("venue", "V01"), ("id", ID)], vec![v4]),
        (
            "another version",
            vec![("v", "2"), ("venue", "V01"), ("id", ID)],
            vec![v4],
        ),
        ("no venue", vec![("v", "1"), ("id", ID)], vec![v4]),
        (
            "empty venue",
            vec![("v", "1"), ("venue", ""), ("id", ID)],
            vec![v4],
        ),
        (
            "not a uuid",
            vec![("v", "1"), ("venue", "V01"), ("id", "relay-1")],
            vec![v4],
        ),
        (
            "unknown scheme",
            vec![("v", "1"), ("venue", "V01"), ("id", ID), ("scheme", "ftp")],
            vec![v4],
        ),
    ] {
        assert_eq!(read(&pairs, &addresses), None, "{why}");
    }
}

/// A UDP port for this test's two daemons, away from the real mDNS port (5353).
fn test_mdns_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Two mDNS daemons in this process: one advertises V01's relay and V02's, the other browses
/// for V01's. Needs multicast on some interface; where the sandbox has none, the daemon says
/// so and the test says why it could not run.
#[test]
fn a_kiosk_finds_its_venues_relay_advertised_by_another_daemon() {
    let port = test_mdns_port();
    let code = join_code("https://127.0.0.1:8788");
    let v01 = RelayAdvert::of_join_code(&code, "V01", "V01 relay").unwrap();
    let other = JoinCode::parse(&format!(
        "vaxrelay:?url=https://127.0.0.1:8789&id=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c&fp={}",
        "cd".repeat(32)
    ))
    .unwrap();
    let v02 = RelayAdvert::of_join_code(&other, "V02", "V02 relay").unwrap();
    let _first = advertise(&v01, port).expect("the advertising daemon starts");
    let _second = advertise(&v02, port).expect("a second advertisement");
    let found = discover(port, Duration::from_secs(4), Some("V01")).expect("browsing starts");
    assert_eq!(
        found,
        vec![DiscoveredRelay {
            name: "V01 relay".into(),
            venue_code: "V01".into(),
            relay_id: ID.into(),
            url: "https://127.0.0.1:8788".into(),
        }],
        "V01's relay only, found on the LAN"
    );
}
