//! Multipart uploads and their parts.

use std::collections::HashSet;
use std::future::Future;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::versions::{check_current, install_version, ref_segment, unref_segment};
use super::{SqliteMeta, require_bucket};
use crate::codec::{decode_segment, encode_segment};
use crate::{
    BlobId, Location, ObjectRecord, PartRecord, PendingBlob, Precondition, StoreError, UploadRecord,
};

impl SqliteMeta {
    pub(super) fn upload(&self, upload_id: &str) -> Result<Option<UploadRecord>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT upload_id, bucket, key, initiated_ms, meta, mac FROM uploads WHERE upload_id = ?1",
                [upload_id],
                upload_from_row,
            )
            .optional()?)
        })
    }

    /// Uploads of `bucket` under `prefix`, ordered by (key, initiated, id), after the marker.
    pub(super) fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        limit: usize,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT upload_id, bucket, key, initiated_ms, meta, mac FROM uploads
                 WHERE bucket = ?1 AND substr(key, 1, length(?2)) = ?2 AND key > ?3
                 ORDER BY key, initiated_ms, upload_id LIMIT ?4",
            )?;
            let rows = st.query_map(
                params![
                    bucket,
                    prefix,
                    key_marker,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                upload_from_row,
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    pub(super) fn parts(
        &self,
        upload_id: &str,
        after_part: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT upload_id, part_number, size, etag, last_modified_ms, meta, segment, mac
                 FROM parts WHERE upload_id = ?1 AND part_number > ?2
                 ORDER BY part_number LIMIT ?3",
            )?;
            let rows = st.query_map(
                params![
                    upload_id,
                    after_part,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                part_columns,
            )?;
            rows.map(|r| part_from_columns(r?)).collect()
        })
    }

    pub(super) fn create_upload(
        &self,
        rec: UploadRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.write(move |c| {
            require_bucket(c, &rec.bucket)?;
            c.execute(
                "INSERT INTO uploads (upload_id, bucket, key, initiated_ms, meta, mac)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    rec.upload_id,
                    rec.bucket,
                    rec.key,
                    rec.initiated_ms,
                    rec.meta,
                    rec.mac
                ],
            )?;
            Ok(())
        })
    }

    /// Stores a part (replacing one with the same number); returns the replaced part's blobs.
    /// `pending`: the part's new blob, kept only if this commits (see `put_object`).
    pub(super) fn put_part(
        &self,
        part: PartRecord,
        pending: Vec<PendingBlob>,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        self.write_holding(pending, move |c| {
            require_upload(c, &part.upload_id)?;
            let old: Option<Vec<u8>> = c
                .query_row(
                    "SELECT segment FROM parts WHERE upload_id = ?1 AND part_number = ?2",
                    params![part.upload_id, part.part_number],
                    |r| r.get(0),
                )
                .optional()?;
            let mut freed = Vec::new();
            if let Some(old) = old {
                freed.extend(unref_segment(c, &decode_segment(&old)?)?);
            }
            ref_segment(c, &part.segment)?;
            c.execute(
                "INSERT INTO parts (upload_id, part_number, size, etag, last_modified_ms, meta, segment, mac)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size,
                   etag = excluded.etag, last_modified_ms = excluded.last_modified_ms,
                   meta = excluded.meta, segment = excluded.segment, mac = excluded.mac",
                params![
                    part.upload_id,
                    part.part_number,
                    part.size as i64,
                    part.etag,
                    part.last_modified_ms,
                    part.meta,
                    encode_segment(&part.segment),
                    part.mac
                ],
            )?;
            Ok(freed)
        })
    }

    /// Completes an upload: `object` (whose segments must be those of the listed parts, in
    /// order) becomes visible, the upload and its unused parts go. Returns blobs to delete.
    /// `chosen` names each part the object was built from, by number and the tag of the part
    /// record that was read: if any of them was replaced meanwhile (a retried UploadPart) the
    /// write is refused with `Changed`, so the object never points at a released blob.
    pub(super) fn complete_upload(
        &self,
        upload_id: &str,
        object: ObjectRecord,
        chosen: Vec<(u32, Vec<u8>)>,
        precondition: Precondition,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        let upload_id = upload_id.to_owned();
        self.write(move |c| {
            require_upload(c, &upload_id)?;
            check_current(c, &object.bucket, &object.key, &precondition)?;
            let mut current = c.prepare_cached(
                "SELECT mac FROM parts WHERE upload_id = ?1 AND part_number = ?2",
            )?;
            for (number, mac) in &chosen {
                let now: Option<Vec<u8>> = current
                    .query_row(params![upload_id, number], |r| r.get(0))
                    .optional()?;
                if now.as_ref() != Some(mac) {
                    return Err(StoreError::Changed("part"));
                }
            }
            drop(current);
            // The used parts' blobs move to the object: drop every part ref, then re-add the
            // object's, so only the unused parts' blobs end up freed.
            let mut freed = remove_upload(c, &upload_id)?;
            freed.extend(install_version(c, &object)?);
            let kept: HashSet<&BlobId> = object
                .segments
                .iter()
                .filter_map(|s| match &s.location {
                    Location::Blob(id) => Some(id),
                    Location::Inline(_) => None,
                })
                .collect();
            freed.retain(|id| !kept.contains(id));
            Ok(freed)
        })
    }

    /// Aborts an upload; returns its parts' blobs.
    pub(super) fn abort_upload(
        &self,
        upload_id: &str,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        let upload_id = upload_id.to_owned();
        self.write(move |c| {
            require_upload(c, &upload_id)?;
            remove_upload(c, &upload_id)
        })
    }
}

pub(super) fn require_upload(c: &Connection, upload_id: &str) -> Result<(), StoreError> {
    c.query_row(
        "SELECT 1 FROM uploads WHERE upload_id = ?1",
        [upload_id],
        |_| Ok(()),
    )
    .optional()?
    .ok_or_else(|| StoreError::NoSuchUpload(upload_id.to_owned()))
}

pub(super) fn remove_upload(c: &Connection, upload_id: &str) -> Result<Vec<BlobId>, StoreError> {
    let segs: Vec<Vec<u8>> = {
        let mut st = c.prepare("DELETE FROM parts WHERE upload_id = ?1 RETURNING segment")?;
        st.query_map([upload_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let mut freed = Vec::new();
    for s in segs {
        freed.extend(unref_segment(c, &decode_segment(&s)?)?);
    }
    c.execute("DELETE FROM uploads WHERE upload_id = ?1", [upload_id])?;
    Ok(freed)
}

pub(super) fn upload_from_row(r: &Row<'_>) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        upload_id: r.get(0)?,
        bucket: r.get(1)?,
        key: r.get(2)?,
        initiated_ms: r.get(3)?,
        meta: r.get(4)?,
        mac: r.get(5)?,
    })
}

pub(super) type PartColumns = (String, u32, i64, String, i64, Vec<u8>, Vec<u8>, Vec<u8>);

pub(super) fn part_columns(r: &Row<'_>) -> rusqlite::Result<PartColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

pub(super) fn part_from_columns(c: PartColumns) -> Result<PartRecord, StoreError> {
    let (upload_id, part_number, size, etag, last_modified_ms, meta, segment, mac) = c;
    Ok(PartRecord {
        upload_id,
        part_number,
        size: u64::try_from(size).map_err(|_| StoreError::Corrupt("part size"))?,
        etag,
        last_modified_ms,
        meta,
        segment: decode_segment(&segment)?,
        mac,
    })
}
