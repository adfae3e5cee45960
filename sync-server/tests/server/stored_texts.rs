//! Replies ship the op texts the store holds (`OpLog::encoded_ops_after`): on both stores they
//! are exactly the texts encoding the parsed ops gives, in the same order and batches.

use vax_sync::{EncodedOp, Inquiry, InquiryTopic, OpKind, ReplicaId, Role};
use vax_sync_client::{new_device_key, MemoryReplica};
use vax_sync_server::open_store;

use crate::support::{dose, resident, store_location};

#[test]
fn the_stored_op_texts_are_the_encoded_ops_on_either_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = open_store(&store_location(dir.path())).expect("store");
    let author = ReplicaId(uuid::Uuid::now_v7());
    let mut booth = MemoryReplica::new(author, Role::Hq, new_device_key()).expect("key");
    for r in 1..=12 {
        booth.write(dose(r, "V01")).expect("write");
    }
    // Text that JSON escapes, and text it does not.
    booth
        .write(OpKind::Inquiry(Inquiry::new(
            resident(3),
            InquiryTopic::Other,
            "「至急」\"折り返し\"\n\tお願いします \\ /",
        )))
        .expect("write");
    let ops: Vec<_> = booth.log.iter().cloned().collect();
    store.append(&ops).expect("append");

    let texts = store
        .encoded_ops_after(author, 0, usize::MAX)
        .expect("texts");
    let expected: Vec<String> = ops
        .iter()
        .map(|op| serde_json::to_string(op).expect("encode"))
        .collect();
    let got: Vec<&str> = texts.iter().map(EncodedOp::json).collect();
    assert_eq!(got, expected);
    assert_eq!(
        texts.iter().map(|t| t.id).collect::<Vec<_>>(),
        ops.iter().map(|op| op.id).collect::<Vec<_>>()
    );
    assert_eq!(
        texts.last().expect("13 ops").decode().expect("an op"),
        ops[12]
    );

    let page = store.encoded_ops_after(author, 5, 4).expect("a page");
    assert_eq!(
        page.iter().map(|t| t.id.counter).collect::<Vec<_>>(),
        vec![6, 7, 8, 9],
        "after and limit as ops_after"
    );
    let other = ReplicaId(uuid::Uuid::now_v7());
    assert!(store
        .encoded_ops_after(other, 0, 10)
        .expect("none")
        .is_empty());
}
