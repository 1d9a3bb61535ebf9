//! Conformance cases: blob storage, and blobs of metadata writes that fail or commit.

use super::*;

pub(super) fn blobs_of_writes_that_fail_are_removed_and_of_writes_that_commit_kept(s: &Subject) {
    let (m, blobs) = (&*s.meta, &s.blobs);
    bucket(m, "b");
    let (kept, p) = pending(blobs, 1);
    block(m.put_object(
        obj("b", "k", Location::Blob(kept.clone())),
        vec![p],
        Precondition::None,
    ))
    .unwrap();
    assert!(blobs.open(&kept).is_ok());
    // Into a bucket that does not exist: the write fails and its blob goes with it.
    let (gone, p) = pending(blobs, 2);
    assert!(matches!(
        block(m.put_object(
            obj("nope", "k", Location::Blob(gone.clone())),
            vec![p],
            Precondition::None
        )),
        Err(StoreError::NoSuchBucket(_))
    ));
    assert!(blobs.open(&gone).is_err());
    // A part of an upload that is gone.
    let (part_blob, p) = pending(blobs, 3);
    let orphan = part("missing", 1, blob_segment(&part_blob), vec![]);
    assert!(block(m.put_part(orphan, vec![p])).is_err());
    assert!(blobs.open(&part_blob).is_err());
    // A caller that stops waiting does not stop the write deciding its blob's fate.
    let (abandoned, p) = pending(blobs, 4);
    drop(m.put_object(
        obj("nope", "k", Location::Blob(abandoned.clone())),
        vec![p],
        Precondition::None,
    ));
    block(m.put_setting("flush", vec![1])).unwrap();
    assert!(blobs.open(&abandoned).is_err());
    let (kept2, p) = pending(blobs, 5);
    drop(m.put_object(
        obj("b", "k2", Location::Blob(kept2.clone())),
        vec![p],
        Precondition::None,
    ));
    block(m.put_setting("flush", vec![2])).unwrap();
    assert!(blobs.open(&kept2).is_ok());
    assert!(m.object("b", "k2", "null").unwrap().is_some());
}

pub(super) fn blobs_commit_read_sweep(s: &Subject) {
    let blobs = &s.blobs;
    let keep = BlobId::from_random([1; 16]);
    let orphan = BlobId::from_random([2; 16]);
    let unfinished = BlobId::from_random([3; 16]);
    for id in [&keep, &orphan] {
        let w = blobs.create(id).unwrap();
        w.write_all(b"sealed ").unwrap();
        w.sync_data().unwrap();
        w.write_all(b"bytes").unwrap();
        blobs.commit(id, &*w).unwrap().keep();
    }
    assert!(blobs.create(&keep).is_err(), "ids are written once");
    let w = blobs.create(&unfinished).unwrap();
    w.write_all(b"partial").unwrap();
    assert!(
        blobs.open(&unfinished).is_err(),
        "invisible until committed"
    );
    let r = blobs.open(&keep).unwrap();
    let mut buf = [0u8; 5];
    r.read_exact_at(&mut buf, 7).unwrap();
    assert_eq!(&buf, b"bytes");
    assert!(r.read_exact_at(&mut buf, 10).is_err(), "past the end");
    std::mem::forget(w); // as a crash would leave it: the sweep must find it
    let removed = blobs.sweep(&HashSet::from([keep.clone()])).unwrap();
    assert_eq!(removed, 2);
    assert!(blobs.open(&keep).is_ok());
    assert!(blobs.open(&orphan).is_err());
    blobs.remove(&orphan).unwrap();
    // Dropped unkept, a pending blob removes itself; dropped uncommitted, a writer too.
    let (dropped, p) = pending(blobs, 5);
    drop(p);
    assert!(blobs.open(&dropped).is_err());
    let abandoned = BlobId::from_random([6; 16]);
    drop(blobs.create(&abandoned).unwrap());
    assert_eq!(blobs.sweep(&HashSet::from([keep])).unwrap(), 0);
}

pub(super) fn blob_reads_survive_removal(s: &Subject) {
    let blobs = &s.blobs;
    let (id, p) = pending(blobs, 8);
    p.keep();
    let r = blobs.open(&id).unwrap();
    blobs.remove(&id).unwrap();
    let mut buf = [0u8; 6];
    r.read_exact_at(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"sealed");
    assert!(blobs.open(&id).is_err());
}
