//! Authentication tags of records (`mac` columns): added to older data directories, and
//! filled once for the records written before records were authenticated.

use std::future::Future;

use rusqlite::{Connection, params};

use super::uploads::{part_columns, part_from_columns, upload_from_row};
use super::versions::object_row;
use super::{SqliteMeta, TAGGED_TABLES};
use crate::{Authenticated as _, ObjectRecord, PartRecord, StoreError, UploadRecord};

impl SqliteMeta {
    /// Gives every record written before records were authenticated its tag, computed by
    /// `tag(kind, canonical bytes)`; returns how many. Run once, when a data directory from
    /// before authentication is first opened (the caller decides when that is: an untagged
    /// record is otherwise simply refused).
    pub(super) fn tag_untagged(
        &self,
        tag: impl Fn(&[u8], &[u8]) -> Vec<u8> + Send + 'static,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send + 'static {
        self.write(move |c| {
            let mut n = 0;
            let objects: Vec<(String, String, String)> = c
                .prepare("SELECT bucket, key, version_id FROM objects WHERE length(mac) = 0")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            for (b, k, v) in objects {
                let rec = object_row(c, &b, &k, &v)?.ok_or(StoreError::Corrupt("object row"))?;
                let mac = tag(ObjectRecord::AUTH_KIND, &rec.authenticated_bytes());
                c.execute(
                    "UPDATE objects SET mac = ?4 WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                    params![b, k, v, mac],
                )?;
                n += 1;
            }
            let uploads: Vec<UploadRecord> = c
                .prepare(
                    "SELECT upload_id, bucket, key, initiated_ms, meta, mac FROM uploads
                     WHERE length(mac) = 0",
                )?
                .query_map([], upload_from_row)?
                .collect::<Result<_, _>>()?;
            for u in uploads {
                let mac = tag(UploadRecord::AUTH_KIND, &u.authenticated_bytes());
                c.execute(
                    "UPDATE uploads SET mac = ?2 WHERE upload_id = ?1",
                    params![u.upload_id, mac],
                )?;
                n += 1;
            }
            let parts: Vec<PartRecord> = c
                .prepare(
                    "SELECT upload_id, part_number, size, etag, last_modified_ms, meta, segment, mac
                     FROM parts WHERE length(mac) = 0",
                )?
                .query_map([], part_columns)?
                .map(|r| part_from_columns(r?))
                .collect::<Result<_, _>>()?;
            for p in parts {
                let mac = tag(PartRecord::AUTH_KIND, &p.authenticated_bytes());
                c.execute(
                    "UPDATE parts SET mac = ?3 WHERE upload_id = ?1 AND part_number = ?2",
                    params![p.upload_id, p.part_number, mac],
                )?;
                n += 1;
            }
            Ok(n)
        })
    }
}

/// Older data directories have no tag columns yet: add them (empty until
/// [`SqliteMeta::tag_untagged`] fills them). Schema migration 1 → 2.
pub(super) fn add_tag_columns(c: &Connection) -> Result<(), StoreError> {
    for table in TAGGED_TABLES {
        let has_mac = c
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = 'mac'"
            ))?
            .exists([])?;
        if !has_mac {
            c.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN mac BLOB NOT NULL DEFAULT x''"
            ))?;
        }
    }
    Ok(())
}
