//! The ordered key-value space other domains (IAM, KMS) keep their records in (SQLite).

use std::future::Future;

use rusqlite::{OptionalExtension, params};

use super::SqliteMeta;
use crate::{KvOp, StoreError, prefix_successor};

impl SqliteMeta {
    /// A value of the ordered key-value space other domains (IAM, KMS) keep their records in.
    pub(super) fn kv_get(&self, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM kv WHERE ns = ?1 AND key = ?2")?
                    .query_row([ns, key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    /// Entries of `ns` whose key starts with `prefix`, in key order.
    pub(super) fn kv_list(
        &self,
        ns: &str,
        prefix: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let upper = prefix_successor(prefix);
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT key, value FROM kv WHERE ns = ?1 AND key >= ?2 AND (?3 IS NULL OR key < ?3) ORDER BY key",
            )?;
            let rows = st.query_map(params![ns, prefix, upper], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Applies every op or none (one transaction).
    pub(super) fn kv_apply(
        &self,
        ops: Vec<KvOp>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.write(move |c| {
            for op in ops {
                match op {
                    KvOp::Create { ns, key, value } => {
                        let n = c.execute(
                            "INSERT INTO kv (ns, key, value) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                            params![ns, key, value],
                        )?;
                        if n == 0 {
                            return Err(StoreError::KvConflict(key));
                        }
                    }
                    KvOp::Put { ns, key, value } => {
                        c.execute(
                            "INSERT INTO kv (ns, key, value) VALUES (?1, ?2, ?3)
                             ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value",
                            params![ns, key, value],
                        )?;
                    }
                    KvOp::Delete { ns, key } => {
                        if c.execute("DELETE FROM kv WHERE ns = ?1 AND key = ?2", params![ns, key])? == 0 {
                            return Err(StoreError::KvMissing(key));
                        }
                    }
                }
            }
            Ok(())
        })
    }
}
