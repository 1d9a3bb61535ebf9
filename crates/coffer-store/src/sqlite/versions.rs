//! How object versions sit in the `objects` table: reading a version or the current one,
//! installing a new current version, removing one (and promoting the next), the checks every
//! such write makes in its own transaction (preconditions, Object Lock), blob references.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::codec::{decode_segments, encode_segments};
use crate::{
    BlobId, Location, ObjectLock, ObjectRecord, Precondition, Removal, RetentionMode, Segment,
    StoreError,
};

/// Whether the current version of a key is as `precondition` requires (a delete marker is
/// no object).
pub(super) fn check_current(
    c: &Connection,
    bucket: &str,
    key: &str,
    precondition: &Precondition,
) -> Result<(), StoreError> {
    if *precondition == Precondition::None {
        return Ok(());
    }
    let current: Option<(String, bool)> = c
        .prepare_cached(
            "SELECT etag, delete_marker FROM objects WHERE bucket = ?1 AND latest = 1 AND key = ?2",
        )?
        .query_row([bucket, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let etag = current.filter(|(_, marker)| !marker).map(|(e, _)| e);
    precondition
        .check(etag.as_deref())
        .map_err(StoreError::Precondition)
}

/// Whether the object at (bucket, key, version) is as `precondition` requires.
pub(super) fn check_precondition(
    c: &Connection,
    bucket: &str,
    key: &str,
    version_id: &str,
    precondition: &Precondition,
) -> Result<(), StoreError> {
    if *precondition == Precondition::None {
        return Ok(());
    }
    let etag: Option<String> = c
        .prepare_cached(
            "SELECT etag FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
        )?
        .query_row([bucket, key, version_id], |r| r.get(0))
        .optional()?;
    precondition
        .check(etag.as_deref())
        .map_err(StoreError::Precondition)
}

pub(super) fn object_row(
    c: &Connection,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<Option<ObjectRecord>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT size, etag, last_modified_ms, meta, segments, mac, version_id, delete_marker,
                retain_mode, retain_until_ms, legal_hold
         FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
    )?;
    let row = st
        .query_row([bucket, key, version_id], object_columns)
        .optional()?;
    row.map(|cols| object_from_columns(bucket, key, cols))
        .transpose()
}

/// The newest version of a key (the current one).
pub(super) fn current_row(
    c: &Connection,
    bucket: &str,
    key: &str,
) -> Result<Option<ObjectRecord>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT size, etag, last_modified_ms, meta, segments, mac, version_id, delete_marker,
                retain_mode, retain_until_ms, legal_hold
         FROM objects WHERE bucket = ?1 AND latest = 1 AND key = ?2",
    )?;
    let row = st.query_row([bucket, key], object_columns).optional()?;
    row.map(|cols| object_from_columns(bucket, key, cols))
        .transpose()
}

pub(super) type ObjectColumns = (
    i64,
    String,
    i64,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    String,
    bool,
    (i64, i64, bool),
);

pub(super) fn object_columns(r: &Row<'_>) -> rusqlite::Result<ObjectColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        (r.get(8)?, r.get(9)?, r.get(10)?),
    ))
}

/// A version's lock from its columns.
pub(super) fn lock_from(
    (mode, until, legal_hold): (i64, i64, bool),
) -> Result<ObjectLock, StoreError> {
    let retention = match mode {
        0 => None,
        1 => Some((RetentionMode::Governance, until)),
        2 => Some((RetentionMode::Compliance, until)),
        _ => return Err(StoreError::Corrupt("retention mode")),
    };
    Ok(ObjectLock {
        retention,
        legal_hold,
    })
}

pub(super) fn lock_columns(lock: &ObjectLock) -> (i64, i64, bool) {
    let (mode, until) = match lock.retention {
        None => (0, 0),
        Some((RetentionMode::Governance, t)) => (1, t),
        Some((RetentionMode::Compliance, t)) => (2, t),
    };
    (mode, until, lock.legal_hold)
}

/// Refuses if the version exists and its lock forbids removing it at `removal`.
pub(super) fn check_lock(
    c: &Connection,
    bucket: &str,
    key: &str,
    version_id: &str,
    removal: Removal,
) -> Result<(), StoreError> {
    let cols: Option<(i64, i64, bool)> = c
        .prepare_cached(
            "SELECT retain_mode, retain_until_ms, legal_hold FROM objects
             WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
        )?
        .query_row([bucket, key, version_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    match cols.map(lock_from).transpose()? {
        Some(lock) => match lock.refuses(removal) {
            Some(why) => Err(StoreError::Locked(why)),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

/// Gives a version `rec`'s lock, metadata and tag if it is still the record read and its
/// stored lock allows the change.
pub(super) fn update_lock(
    c: &Connection,
    rec: &ObjectRecord,
    expected_mac: &[u8],
    removal: Removal,
) -> Result<bool, StoreError> {
    let stored: Option<(Vec<u8>, (i64, i64, bool))> = c
        .prepare_cached(
            "SELECT mac, retain_mode, retain_until_ms, legal_hold FROM objects
             WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
        )?
        .query_row([&rec.bucket, &rec.key, &rec.version_id], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
        })
        .optional()?;
    let Some((mac, lock)) = stored else {
        return Ok(false);
    };
    if mac != expected_mac {
        return Err(StoreError::Changed("object"));
    }
    if let Some(why) = lock_from(lock)?.refuses_change(&rec.lock, removal) {
        return Err(StoreError::Locked(why));
    }
    let (mode, until, hold) = lock_columns(&rec.lock);
    c.prepare_cached(
        "UPDATE objects SET retain_mode = ?4, retain_until_ms = ?5, legal_hold = ?6,
                            meta = ?7, mac = ?8
         WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
    )?
    .execute(rusqlite::params![
        rec.bucket,
        rec.key,
        rec.version_id,
        mode,
        until,
        hold,
        rec.meta,
        rec.mac
    ])?;
    Ok(true)
}

pub(super) fn object_from_columns(
    bucket: &str,
    key: &str,
    (size, etag, last_modified_ms, meta, segs, mac, version_id, delete_marker, lock): ObjectColumns,
) -> Result<ObjectRecord, StoreError> {
    {
        Ok(ObjectRecord {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id,
            delete_marker,
            lock: lock_from(lock)?,
            // A negative size can only be an edited row: refuse it like any other damage.
            size: u64::try_from(size).map_err(|_| StoreError::Corrupt("object size"))?,
            etag,
            last_modified_ms,
            meta,
            segments: decode_segments(&segs)?,
            mac,
        })
    }
}

/// Makes `rec` the current version of its key: a version with its id is replaced (its blobs
/// returned), the current one becomes noncurrent, `rec` gets the next `seq`.
pub(super) fn install_version(
    c: &Connection,
    rec: &ObjectRecord,
) -> Result<Vec<BlobId>, StoreError> {
    // The current version has the highest `seq`: read it before the replaced version goes
    // (which may be it), so the new one is numbered above every version there was.
    let newest: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT rowid, seq FROM objects WHERE bucket = ?1 AND latest = 1 AND key = ?2",
        )?
        .query_row([&rec.bucket, &rec.key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    // A locked version is never replaced (no bypass: S3 has none for an overwrite).
    let at = Removal {
        now_ms: rec.last_modified_ms,
        bypass_governance: false,
    };
    check_lock(c, &rec.bucket, &rec.key, &rec.version_id, at)?;
    let (freed, _) = remove_version(c, &rec.bucket, &rec.key, &rec.version_id)?;
    if let Some((rowid, _)) = newest {
        c.prepare_cached("UPDATE objects SET latest = 0 WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    let seq = newest.map_or(0, |(_, seq)| seq + 1);
    let (mode, until, hold) = lock_columns(&rec.lock);
    for s in &rec.segments {
        ref_segment(c, s)?;
    }
    c.prepare_cached(
        "INSERT INTO objects (bucket, key, version_id, size, etag, last_modified_ms, meta, segments,
                              mac, seq, latest, delete_marker, retain_mode, retain_until_ms,
                              legal_hold)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        rec.bucket,
        rec.key,
        rec.version_id,
        rec.size as i64,
        rec.etag,
        rec.last_modified_ms,
        rec.meta,
        encode_segments(&rec.segments),
        rec.mac,
        seq,
        rec.delete_marker,
        mode,
        until,
        hold
    ])?;
    Ok(freed)
}

/// After the current version went: the newest remaining one (if any) is current. (Only
/// deletes of a current version by id run this ORDER BY, so its recompiling is rare.)
pub(super) fn promote_newest(c: &Connection, bucket: &str, key: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE objects SET latest = 1 WHERE rowid =
           (SELECT rowid FROM objects WHERE bucket = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1)",
    )?
    .execute([bucket, key])?;
    Ok(())
}

/// Removes one version; returns its blobs and whether it was the current one.
pub(super) fn remove_version(
    c: &Connection,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<(Vec<BlobId>, bool), StoreError> {
    let old: Option<(Vec<u8>, bool)> = c
        .prepare_cached(
            "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3
             RETURNING segments, latest",
        )?
        .query_row([bucket, key, version_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let mut freed = Vec::new();
    let Some((old, was_current)) = old else {
        return Ok((freed, false));
    };
    for s in decode_segments(&old)? {
        freed.extend(unref_segment(c, &s)?);
    }
    Ok((freed, was_current))
}

pub(super) fn ref_segment(c: &Connection, s: &Segment) -> Result<(), StoreError> {
    if let Location::Blob(id) = &s.location {
        c.prepare_cached("INSERT OR IGNORE INTO blob_refs (blob_id) VALUES (?1)")?
            .execute([id.as_str()])?;
    }
    Ok(())
}

pub(super) fn unref_segment(c: &Connection, s: &Segment) -> Result<Option<BlobId>, StoreError> {
    if let Location::Blob(id) = &s.location {
        c.prepare_cached("DELETE FROM blob_refs WHERE blob_id = ?1")?
            .execute([id.as_str()])?;
        return Ok(Some(id.clone()));
    }
    Ok(None)
}
