use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};
use std::thread;

use futures::channel::oneshot;
use rusqlite::{Connection, OptionalExtension, Row, params};

mod kv;
mod meta_store;
mod schema;
mod tags;
mod uploads;
mod versions;

use crate::{
    BlobId, BucketRecord, ConfigGuard, ObjectRecord, ObjectSummary, PendingBlob, Precondition,
    Removal, StoreError, VersionSummary, prefix_successor,
};
pub use schema::SCHEMA_VERSION;
use uploads::remove_upload;
use versions::{
    check_current, check_lock, check_precondition, current_row, install_version, object_row,
    promote_newest, remove_version,
};

/// Most writes one transaction takes at once; bounds the latency of the first one.
const MAX_BATCH: usize = 512;

/// Tables whose rows carry an authentication tag (`mac`), added to older data directories.
const TAGGED_TABLES: [&str; 3] = ["objects", "uploads", "parts"];

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> Completion + Send>;

/// The embedded metadata store. Reads use a small pool of connections; writes are queued to
/// one writer thread that commits them in batches.
pub struct SqliteMeta {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    jobs: mpsc::Sender<Job>,
}

impl SqliteMeta {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = open_connection(path)?;
        schema::migrate(&conn)?;
        let (jobs, queue) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("coffer-meta-writer".into())
            .spawn(move || writer_loop(&conn, &queue))?;
        Ok(Self {
            path: path.to_path_buf(),
            readers: Mutex::new(Vec::new()),
            jobs,
        })
    }

    // ---- reads ----

    /// The schema version of the open data directory ([`SCHEMA_VERSION`] once open).
    pub(super) fn schema_version(&self) -> Result<u32, StoreError> {
        self.read(schema::version)
    }

    pub(super) fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }

    pub(super) fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT name, owner, region, created_ms FROM buckets WHERE name = ?1",
            )?
            .query_row([name], bucket_from_row)
            .optional()?)
        })
    }

    pub(super) fn list_buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT name, owner, region, created_ms FROM buckets ORDER BY name",
            )?;
            let rows = st.query_map([], bucket_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    pub(super) fn bucket_config(
        &self,
        bucket: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT value FROM bucket_configs WHERE bucket = ?1 AND name = ?2",
            )?
            .query_row([bucket, name], |r| r.get(0))
            .optional()?)
        })
    }

    pub(super) fn object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.read(|c| object_row(c, bucket, key, version_id))
    }

    pub(super) fn current(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.read(|c| current_row(c, bucket, key))
    }

    pub(super) fn list_versions(
        &self,
        bucket: &str,
        prefix: &str,
        from: &str,
        inclusive: bool,
        after_version: Option<&str>,
        limit: usize,
    ) -> Result<Vec<VersionSummary>, StoreError> {
        let (lower, inclusive) = if prefix.as_bytes() > from.as_bytes() {
            (prefix, true)
        } else {
            (from, inclusive || after_version.is_some())
        };
        let upper = prefix_successor(prefix);
        self.read(|c| {
            // Past a version marker: the older versions of its key (lower `seq`), then on.
            let after_seq: Option<i64> = match after_version {
                Some(v) if lower == from => c
                    .prepare_cached(
                        "SELECT seq FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                    )?
                    .query_row(params![bucket, from, v], |r| r.get(0))
                    .optional()?,
                _ => None,
            };
            let skip_key = if after_version.is_some() && after_seq.is_none() {
                // An unknown version marker: resume after the whole key.
                Some(from)
            } else {
                None
            };
            let sql = if inclusive {
                "SELECT key, version_id, latest, delete_marker, size, etag, last_modified_ms FROM objects
                 WHERE bucket = ?1 AND key >= ?2 AND (?3 IS NULL OR key < ?3)
                   AND (?4 IS NULL OR key > ?2 OR seq < ?4) AND (?5 IS NULL OR key <> ?5)
                 ORDER BY key, seq DESC LIMIT ?6"
            } else {
                "SELECT key, version_id, latest, delete_marker, size, etag, last_modified_ms FROM objects
                 WHERE bucket = ?1 AND key > ?2 AND (?3 IS NULL OR key < ?3)
                   AND (?4 IS NULL OR key > ?2 OR seq < ?4) AND (?5 IS NULL OR key <> ?5)
                 ORDER BY key, seq DESC LIMIT ?6"
            };
            let mut st = c.prepare_cached(sql)?;
            let rows = st.query_map(
                params![
                    bucket,
                    lower,
                    upper,
                    after_seq,
                    skip_key,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, bool>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, i64>(6)?,
                    ))
                },
            )?;
            rows.map(|row| {
                let (key, version_id, is_latest, delete_marker, size, etag, last_modified_ms) =
                    row?;
                Ok(VersionSummary {
                    key,
                    version_id,
                    is_latest,
                    delete_marker,
                    size: u64::try_from(size).map_err(|_| StoreError::Corrupt("object size"))?,
                    etag,
                    last_modified_ms,
                })
            })
            .collect()
        })
    }

    /// Objects of `bucket` whose key starts with `prefix` and is `>= from` (or `> from` when
    /// `inclusive` is false), in UTF-8 byte order, at most `limit`.
    pub(super) fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        from: &str,
        inclusive: bool,
        limit: usize,
    ) -> Result<Vec<ObjectSummary>, StoreError> {
        let lower = if prefix.as_bytes() > from.as_bytes() {
            prefix
        } else {
            from
        };
        let inclusive = inclusive || lower != from;
        let upper = prefix_successor(prefix);
        self.read(|c| {
            let sql = match (inclusive, upper.is_some()) {
                (true, true) => "SELECT key, size, etag, last_modified_ms FROM objects WHERE bucket = ?1 AND key >= ?2 AND key < ?3 AND latest = 1 AND delete_marker = 0 ORDER BY key LIMIT ?4",
                (false, true) => "SELECT key, size, etag, last_modified_ms FROM objects WHERE bucket = ?1 AND key > ?2 AND key < ?3 AND latest = 1 AND delete_marker = 0 ORDER BY key LIMIT ?4",
                (true, false) => "SELECT key, size, etag, last_modified_ms FROM objects WHERE bucket = ?1 AND key >= ?2 AND ?3 IS NULL AND latest = 1 AND delete_marker = 0 ORDER BY key LIMIT ?4",
                (false, false) => "SELECT key, size, etag, last_modified_ms FROM objects WHERE bucket = ?1 AND key > ?2 AND ?3 IS NULL AND latest = 1 AND delete_marker = 0 ORDER BY key LIMIT ?4",
            };
            let mut st = c.prepare_cached(sql)?;
            let rows = st.query_map(
                params![bucket, lower, upper, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(ObjectSummary {
                        key: r.get(0)?,
                        size: r.get::<_, i64>(1)? as u64,
                        etag: r.get(2)?,
                        last_modified_ms: r.get(3)?,
                    })
                },
            )?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    pub(super) fn bucket_is_empty(&self, bucket: &str) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1",
                [bucket],
                |_| Ok(()),
            )
            .optional()?
            .is_none())
        })
    }

    /// Every blob id some record points at (for the start-up sweep).
    pub(super) fn referenced_blobs(&self) -> Result<HashSet<BlobId>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare("SELECT blob_id FROM blob_refs")?;
            let rows = st.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = HashSet::new();
            for id in rows {
                out.insert(BlobId::parse(&id?).ok_or(StoreError::Corrupt("blob id"))?);
            }
            Ok(out)
        })
    }

    // ---- writes (group-committed) ----

    pub(super) fn put_setting(
        &self,
        name: &str,
        value: Vec<u8>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let name = name.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO settings (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )?;
            Ok(())
        })
    }

    /// Inserts a setting only if absent; returns the value now stored (first writer wins).
    pub(super) fn init_setting(
        &self,
        name: &str,
        value: Vec<u8>,
    ) -> impl Future<Output = Result<Vec<u8>, StoreError>> + Send + 'static {
        let name = name.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, value],
            )?;
            Ok(
                c.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    /// Creates a bucket with its initial configs (name, value), in one transaction.
    pub(super) fn create_bucket(
        &self,
        rec: BucketRecord,
        configs: Vec<(String, Vec<u8>)>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.write(move |c| {
            let n = c.execute(
                "INSERT INTO buckets (name, owner, region, created_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO NOTHING",
                params![rec.name, rec.owner, rec.region, rec.created_ms],
            )?;
            if n == 0 {
                return Err(StoreError::BucketExists(rec.name));
            }
            for (name, value) in configs {
                c.execute(
                    "INSERT INTO bucket_configs (bucket, name, value) VALUES (?1, ?2, ?3)",
                    params![rec.name, name, value],
                )?;
            }
            Ok(())
        })
    }

    /// Deletes an empty bucket with its configs and any unfinished uploads; returns the blobs
    /// that those uploads' parts held.
    pub(super) fn delete_bucket(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        let name = name.to_owned();
        self.write(move |c| {
            if c.query_row(
                "SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1",
                [&name],
                |_| Ok(()),
            )
            .optional()?
            .is_some()
            {
                return Err(StoreError::BucketNotEmpty(name));
            }
            let mut freed = Vec::new();
            let ids: Vec<String> = {
                let mut st = c.prepare("SELECT upload_id FROM uploads WHERE bucket = ?1")?;
                st.query_map([&name], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            for id in ids {
                freed.extend(remove_upload(c, &id)?);
            }
            c.execute("DELETE FROM bucket_configs WHERE bucket = ?1", [&name])?;
            if c.execute("DELETE FROM buckets WHERE name = ?1", [&name])? == 0 {
                return Err(StoreError::NoSuchBucket(name));
            }
            Ok(freed)
        })
    }

    pub(super) fn put_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        value: Option<Vec<u8>>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (bucket, name) = (bucket.to_owned(), name.to_owned());
        self.write(move |c| {
            require_bucket(c, &bucket)?;
            set_config(c, &bucket, &name, value)
        })
    }

    pub(super) fn swap_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        expected: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (bucket, name) = (bucket.to_owned(), name.to_owned());
        self.write(move |c| {
            require_bucket(c, &bucket)?;
            check_config(c, &bucket, &name, expected.as_deref())?;
            set_config(c, &bucket, &name, value)
        })
    }

    /// Makes `rec` the object at its (bucket, key, version); returns the blobs of the object
    /// it replaced, for the caller to delete after the commit. `pending` are the new blobs
    /// `rec` references: kept if this commits, removed at once if it does not (even when the
    /// caller has gone away meanwhile).
    /// `Precondition` failures are checked in the same transaction, against what is there.
    pub(super) fn put_object(
        &self,
        rec: ObjectRecord,
        pending: Vec<PendingBlob>,
        precondition: Precondition,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        self.write_holding(pending, move |c| {
            require_bucket(c, &rec.bucket)?;
            check_current(c, &rec.bucket, &rec.key, &precondition)?;
            install_version(c, &rec)
        })
    }

    /// Replaces only the S3 metadata (and so the tag) of an object (tagging), if it is still
    /// the record that was read: the one whose tag is `expected_mac`. False if the object is
    /// gone; `Changed` if it was replaced meanwhile (read it again).
    pub(super) fn update_object_meta(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        expected_mac: Vec<u8>,
        meta: Vec<u8>,
        mac: Vec<u8>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send + 'static {
        let (b, k, v) = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        self.write(move |c| {
            let current: Option<Vec<u8>> = c
                .query_row(
                    "SELECT mac FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                    params![b, k, v],
                    |r| r.get(0),
                )
                .optional()?;
            match current {
                None => Ok(false),
                Some(m) if m != expected_mac => Err(StoreError::Changed("object")),
                Some(_) => Ok(c.execute(
                    "UPDATE objects SET meta = ?4, mac = ?5
                     WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                    params![b, k, v, meta, mac],
                )? > 0),
            }
        })
    }

    pub(super) fn update_object_lock(
        &self,
        rec: ObjectRecord,
        expected_mac: Vec<u8>,
        removal: Removal,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send + 'static {
        self.write(move |c| versions::update_lock(c, &rec, &expected_mac, removal))
    }

    /// Deletes an object version if `precondition` holds; returns its blobs (empty if it did
    /// not exist).
    pub(super) fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        precondition: Precondition,
        guard: Option<ConfigGuard>,
        removal: Removal,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        let (b, k, v) = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        self.write(move |c| {
            if let Some(g) = &guard {
                check_config(c, &b, &g.name, g.value.as_deref())?;
            }
            check_precondition(c, &b, &k, &v, &precondition)?;
            check_lock(c, &b, &k, &v, removal)?;
            let (freed, was_current) = remove_version(c, &b, &k, &v)?;
            if was_current {
                promote_newest(c, &b, &k)?;
            }
            Ok(freed)
        })
    }

    // ---- plumbing ----

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = match self.readers.lock().map(|mut pool| pool.pop()) {
            Ok(Some(c)) => c,
            _ => open_connection(&self.path)?,
        };
        let out = f(&conn);
        if let Ok(mut pool) = self.readers.lock() {
            pool.push(conn);
        }
        out
    }

    fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'static {
        self.write_holding(Vec::new(), f)
    }

    /// A write whose record references the `pending` blobs: they are kept once the write has
    /// committed, and removed if it fails. This happens on the writer's side, so a caller
    /// that stops waiting (a client hanging up) still leaves nothing behind.
    fn write_holding<T: Send + 'static>(
        &self,
        pending: Vec<PendingBlob>,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'static {
        let (tx, rx) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn: &Connection| {
            // Each write runs in its own savepoint so one failing write leaves its batch-mates
            // untouched.
            let result = match conn.execute_batch("SAVEPOINT op") {
                Ok(()) => {
                    let r = f(conn);
                    let end = if r.is_ok() {
                        "RELEASE op"
                    } else {
                        "ROLLBACK TO op; RELEASE op"
                    };
                    match conn.execute_batch(end) {
                        Ok(()) => r,
                        Err(e) => Err(e.into()),
                    }
                }
                Err(e) => Err(e.into()),
            };
            Box::new(move |commit: Result<(), String>| {
                let out = match commit {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Commit(e)),
                };
                if out.is_ok() {
                    pending.into_iter().for_each(PendingBlob::keep);
                } else {
                    // Removed before the caller hears of the failure.
                    drop(pending);
                }
                let _ = tx.send(out);
            })
        });
        let sent = self.jobs.send(job);
        async move {
            sent.map_err(|_| StoreError::WriterGone)?;
            rx.await.map_err(|_| StoreError::WriterGone)?
        }
    }
}

/// Prepared statements kept per connection. rusqlite keeps 16 by default, fewer than the
/// distinct statements a busy server runs: past it every request would parse its SQL again.
const STATEMENT_CACHE: usize = 128;

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // WAL + FULL: a commit returns only after its WAL frames are fsynced. secure_delete FAST
    // zeroes deleted rows (destroyed keys, deleted objects) where that costs no extra I/O.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;
         PRAGMA foreign_keys = OFF; PRAGMA secure_delete = FAST;",
    )?;
    Ok(conn)
}

fn writer_loop(conn: &Connection, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if conn.execute_batch("BEGIN IMMEDIATE").is_err() {
            // Dropping the jobs unrun drops their reply channels: each waiter sees WriterGone.
            continue;
        }
        let completions: Vec<Completion> = batch.into_iter().map(|job| job(conn)).collect();
        let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for done in completions {
            done(commit.clone());
        }
    }
}

fn set_config(
    c: &Connection,
    bucket: &str,
    name: &str,
    value: Option<Vec<u8>>,
) -> Result<(), StoreError> {
    match value {
        Some(v) => c
            .prepare_cached(
                "INSERT INTO bucket_configs (bucket, name, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (bucket, name) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![bucket, name, v])?,
        None => c
            .prepare_cached("DELETE FROM bucket_configs WHERE bucket = ?1 AND name = ?2")?
            .execute(params![bucket, name])?,
    };
    Ok(())
}

/// The bucket config `name` holds `expected` (`None`: absent), or `Changed`.
fn check_config(
    c: &Connection,
    bucket: &str,
    name: &str,
    expected: Option<&[u8]>,
) -> Result<(), StoreError> {
    let now: Option<Vec<u8>> = c
        .prepare_cached("SELECT value FROM bucket_configs WHERE bucket = ?1 AND name = ?2")?
        .query_row([bucket, name], |r| r.get(0))
        .optional()?;
    if now.as_deref() == expected {
        Ok(())
    } else {
        Err(StoreError::Changed("bucket config"))
    }
}

fn require_bucket(c: &Connection, bucket: &str) -> Result<(), StoreError> {
    c.prepare_cached("SELECT 1 FROM buckets WHERE name = ?1")?
        .query_row([bucket], |_| Ok(()))
        .optional()?
        .ok_or_else(|| StoreError::NoSuchBucket(bucket.to_owned()))
}

fn bucket_from_row(r: &Row<'_>) -> rusqlite::Result<BucketRecord> {
    Ok(BucketRecord {
        name: r.get(0)?,
        owner: r.get(1)?,
        region: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

#[cfg(test)]
mod tests;
