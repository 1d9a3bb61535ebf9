use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};
use std::thread;

use futures::channel::oneshot;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::codec::{decode_segment, decode_segments, encode_segment, encode_segments};
use crate::{
    BlobId, BucketRecord, Location, ObjectRecord, ObjectSummary, PartRecord, Segment, StoreError,
    UploadRecord,
};

/// Most writes one transaction takes at once; bounds the latency of the first one.
const MAX_BATCH: usize = 512;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, owner TEXT NOT NULL, region TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS bucket_configs (
    bucket TEXT NOT NULL, name TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (bucket, name));
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,
    size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified_ms INTEGER NOT NULL,
    meta BLOB NOT NULL, segments BLOB NOT NULL,
    PRIMARY KEY (bucket, key, version_id));
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL,
    initiated_ms INTEGER NOT NULL, meta BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, initiated_ms);
CREATE TABLE IF NOT EXISTS parts (
    upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL,
    etag TEXT NOT NULL, last_modified_ms INTEGER NOT NULL, meta BLOB NOT NULL,
    segment BLOB NOT NULL, PRIMARY KEY (upload_id, part_number));
CREATE TABLE IF NOT EXISTS blob_refs (blob_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS kv (
    ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (ns, key));
";

/// One change in a [`MetaStore::kv_apply`] batch.
#[derive(Debug, Clone)]
pub enum KvOp {
    /// Insert; the whole batch fails with `KvConflict` if the key exists.
    Create {
        ns: String,
        key: String,
        value: Vec<u8>,
    },
    /// Insert or replace.
    Put {
        ns: String,
        key: String,
        value: Vec<u8>,
    },
    /// Remove; the whole batch fails with `KvMissing` if the key is absent.
    Delete { ns: String, key: String },
}

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> Completion + Send>;

/// The embedded metadata store. Reads use a small pool of connections; writes are queued to
/// one writer thread that commits them in batches.
pub struct MetaStore {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    jobs: mpsc::Sender<Job>,
}

impl MetaStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = open_connection(path)?;
        conn.execute_batch(SCHEMA)?;
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

    pub fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }

    pub fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT name, owner, region, created_ms FROM buckets WHERE name = ?1",
                [name],
                bucket_from_row,
            )
            .optional()?)
        })
    }

    pub fn list_buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT name, owner, region, created_ms FROM buckets ORDER BY name",
            )?;
            let rows = st.query_map([], bucket_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    pub fn bucket_config(&self, bucket: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM bucket_configs WHERE bucket = ?1 AND name = ?2",
                [bucket, name],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    pub fn object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT size, etag, last_modified_ms, meta, segments FROM objects
                 WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
            )?;
            let row = st
                .query_row([bucket, key, version_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                    ))
                })
                .optional()?;
            row.map(|(size, etag, last_modified_ms, meta, segs)| {
                Ok(ObjectRecord {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    version_id: version_id.to_owned(),
                    size: size as u64,
                    etag,
                    last_modified_ms,
                    meta,
                    segments: decode_segments(&segs)?,
                })
            })
            .transpose()
        })
    }

    /// Objects of `bucket` whose key starts with `prefix` and is `>= from` (or `> from` when
    /// `inclusive` is false), in UTF-8 byte order, at most `limit`.
    pub fn list_objects(
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
                (true, true) => "SELECT key, size, etag, last_modified_ms FROM objects WHERE bucket = ?1 AND key >= ?2 AND key < ?3 ORDER BY key LIMIT ?4",
                (false, true) => "SELECT key, size, etag, last_modified_ms FROM objects WHERE bucket = ?1 AND key > ?2 AND key < ?3 ORDER BY key LIMIT ?4",
                (true, false) => "SELECT key, size, etag, last_modified_ms FROM objects WHERE bucket = ?1 AND key >= ?2 AND ?3 IS NULL ORDER BY key LIMIT ?4",
                (false, false) => "SELECT key, size, etag, last_modified_ms FROM objects WHERE bucket = ?1 AND key > ?2 AND ?3 IS NULL ORDER BY key LIMIT ?4",
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

    pub fn bucket_is_empty(&self, bucket: &str) -> Result<bool, StoreError> {
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

    pub fn upload(&self, upload_id: &str) -> Result<Option<UploadRecord>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT upload_id, bucket, key, initiated_ms, meta FROM uploads WHERE upload_id = ?1",
                [upload_id],
                upload_from_row,
            )
            .optional()?)
        })
    }

    /// Uploads of `bucket` under `prefix`, ordered by (key, initiated, id), after the marker.
    pub fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        limit: usize,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT upload_id, bucket, key, initiated_ms, meta FROM uploads
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

    pub fn parts(
        &self,
        upload_id: &str,
        after_part: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT upload_id, part_number, size, etag, last_modified_ms, meta, segment
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

    /// Every blob id some record points at (for the start-up sweep).
    pub fn referenced_blobs(&self) -> Result<HashSet<BlobId>, StoreError> {
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

    /// A value of the ordered key-value space other domains (IAM, KMS) keep their records in.
    pub fn kv_get(&self, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM kv WHERE ns = ?1 AND key = ?2")?
                    .query_row([ns, key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    /// Entries of `ns` whose key starts with `prefix`, in key order.
    pub fn kv_list(&self, ns: &str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
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
    pub fn kv_apply(
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

    // ---- writes (group-committed) ----

    pub fn put_setting(
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
    pub fn init_setting(
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

    pub fn create_bucket(
        &self,
        rec: BucketRecord,
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
            Ok(())
        })
    }

    /// Deletes an empty bucket with its configs and any unfinished uploads; returns the blobs
    /// that those uploads' parts held.
    pub fn delete_bucket(
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

    pub fn put_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        value: Option<Vec<u8>>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (bucket, name) = (bucket.to_owned(), name.to_owned());
        self.write(move |c| {
            require_bucket(c, &bucket)?;
            match value {
                Some(v) => c.execute(
                    "INSERT INTO bucket_configs (bucket, name, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (bucket, name) DO UPDATE SET value = excluded.value",
                    params![bucket, name, v],
                )?,
                None => c.execute(
                    "DELETE FROM bucket_configs WHERE bucket = ?1 AND name = ?2",
                    params![bucket, name],
                )?,
            };
            Ok(())
        })
    }

    /// Makes `rec` the object at its (bucket, key, version); returns the blobs of the object
    /// it replaced, for the caller to delete after the commit.
    pub fn put_object(
        &self,
        rec: ObjectRecord,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        self.write(move |c| {
            require_bucket(c, &rec.bucket)?;
            let freed = remove_object(c, &rec.bucket, &rec.key, &rec.version_id)?;
            insert_object(c, &rec)?;
            Ok(freed)
        })
    }

    /// Replaces only the S3 metadata of an existing object (tagging). False if absent.
    pub fn update_object_meta(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        meta: Vec<u8>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send + 'static {
        let (b, k, v) = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        self.write(move |c| {
            Ok(c.execute(
                "UPDATE objects SET meta = ?4 WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                params![b, k, v, meta],
            )? > 0)
        })
    }

    /// Deletes an object version; returns its blobs (empty if it did not exist).
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        let (b, k, v) = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        self.write(move |c| remove_object(c, &b, &k, &v))
    }

    pub fn create_upload(
        &self,
        rec: UploadRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.write(move |c| {
            require_bucket(c, &rec.bucket)?;
            c.execute(
                "INSERT INTO uploads (upload_id, bucket, key, initiated_ms, meta)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    rec.upload_id,
                    rec.bucket,
                    rec.key,
                    rec.initiated_ms,
                    rec.meta
                ],
            )?;
            Ok(())
        })
    }

    /// Stores a part (replacing one with the same number); returns the replaced part's blobs.
    pub fn put_part(
        &self,
        part: PartRecord,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        self.write(move |c| {
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
                "INSERT INTO parts (upload_id, part_number, size, etag, last_modified_ms, meta, segment)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size,
                   etag = excluded.etag, last_modified_ms = excluded.last_modified_ms,
                   meta = excluded.meta, segment = excluded.segment",
                params![
                    part.upload_id,
                    part.part_number,
                    part.size as i64,
                    part.etag,
                    part.last_modified_ms,
                    part.meta,
                    encode_segment(&part.segment)
                ],
            )?;
            Ok(freed)
        })
    }

    /// Completes an upload: `object` (whose segments must be those of the listed parts, in
    /// order) becomes visible, the upload and its unused parts go. Returns blobs to delete.
    pub fn complete_upload(
        &self,
        upload_id: &str,
        object: ObjectRecord,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        let upload_id = upload_id.to_owned();
        self.write(move |c| {
            require_upload(c, &upload_id)?;
            let mut freed = remove_object(c, &object.bucket, &object.key, &object.version_id)?;
            // The used parts' blobs move to the object: drop every part ref, then re-add the
            // object's, so only the unused parts' blobs end up freed.
            freed.extend(remove_upload(c, &upload_id)?);
            insert_object(c, &object)?;
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
    pub fn abort_upload(
        &self,
        upload_id: &str,
    ) -> impl Future<Output = Result<Vec<BlobId>, StoreError>> + Send + 'static {
        let upload_id = upload_id.to_owned();
        self.write(move |c| {
            require_upload(c, &upload_id)?;
            remove_upload(c, &upload_id)
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

/// The smallest string greater than every string that starts with `prefix`, if any: used to
/// bound prefix scans and to skip past a common prefix in delimiter listings.
pub fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
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

fn require_bucket(c: &Connection, bucket: &str) -> Result<(), StoreError> {
    c.query_row(
        "SELECT 1 FROM buckets WHERE name = ?1",
        [bucket],
        |_| Ok(()),
    )
    .optional()?
    .ok_or_else(|| StoreError::NoSuchBucket(bucket.to_owned()))
}

fn require_upload(c: &Connection, upload_id: &str) -> Result<(), StoreError> {
    c.query_row(
        "SELECT 1 FROM uploads WHERE upload_id = ?1",
        [upload_id],
        |_| Ok(()),
    )
    .optional()?
    .ok_or_else(|| StoreError::NoSuchUpload(upload_id.to_owned()))
}

fn insert_object(c: &Connection, rec: &ObjectRecord) -> Result<(), StoreError> {
    for s in &rec.segments {
        ref_segment(c, s)?;
    }
    c.prepare_cached(
        "INSERT INTO objects (bucket, key, version_id, size, etag, last_modified_ms, meta, segments)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        rec.bucket,
        rec.key,
        rec.version_id,
        rec.size as i64,
        rec.etag,
        rec.last_modified_ms,
        rec.meta,
        encode_segments(&rec.segments)
    ])?;
    Ok(())
}

fn remove_object(
    c: &Connection,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<Vec<BlobId>, StoreError> {
    let old: Option<Vec<u8>> = c
        .prepare_cached(
            "DELETE FROM objects WHERE bucket = ?1 AND key = ?2 AND version_id = ?3
             RETURNING segments",
        )?
        .query_row([bucket, key, version_id], |r| r.get(0))
        .optional()?;
    let mut freed = Vec::new();
    if let Some(old) = old {
        for s in decode_segments(&old)? {
            freed.extend(unref_segment(c, &s)?);
        }
    }
    Ok(freed)
}

fn remove_upload(c: &Connection, upload_id: &str) -> Result<Vec<BlobId>, StoreError> {
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

fn ref_segment(c: &Connection, s: &Segment) -> Result<(), StoreError> {
    if let Location::Blob(id) = &s.location {
        c.prepare_cached("INSERT OR IGNORE INTO blob_refs (blob_id) VALUES (?1)")?
            .execute([id.as_str()])?;
    }
    Ok(())
}

fn unref_segment(c: &Connection, s: &Segment) -> Result<Option<BlobId>, StoreError> {
    if let Location::Blob(id) = &s.location {
        c.prepare_cached("DELETE FROM blob_refs WHERE blob_id = ?1")?
            .execute([id.as_str()])?;
        return Ok(Some(id.clone()));
    }
    Ok(None)
}

fn bucket_from_row(r: &Row<'_>) -> rusqlite::Result<BucketRecord> {
    Ok(BucketRecord {
        name: r.get(0)?,
        owner: r.get(1)?,
        region: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

fn upload_from_row(r: &Row<'_>) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        upload_id: r.get(0)?,
        bucket: r.get(1)?,
        key: r.get(2)?,
        initiated_ms: r.get(3)?,
        meta: r.get(4)?,
    })
}

type PartColumns = (String, u32, i64, String, i64, Vec<u8>, Vec<u8>);

fn part_columns(r: &Row<'_>) -> rusqlite::Result<PartColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn part_from_columns(c: PartColumns) -> Result<PartRecord, StoreError> {
    let (upload_id, part_number, size, etag, last_modified_ms, meta, segment) = c;
    Ok(PartRecord {
        upload_id,
        part_number,
        size: size as u64,
        etag,
        last_modified_ms,
        meta,
        segment: decode_segment(&segment)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<F: Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    fn obj(bucket: &str, key: &str, seg: Location) -> ObjectRecord {
        ObjectRecord {
            bucket: bucket.into(),
            key: key.into(),
            version_id: "null".into(),
            size: 3,
            etag: "e".into(),
            last_modified_ms: 1,
            meta: b"{}".to_vec(),
            segments: vec![Segment {
                plain_len: 3,
                location: seg,
                sealing: vec![1],
            }],
        }
    }

    #[test]
    fn objects_lifecycle_and_listing() {
        let dir = tempfile::tempdir().unwrap();
        let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
        let b = BucketRecord {
            name: "b".into(),
            owner: "1".into(),
            region: "r".into(),
            created_ms: 0,
        };
        block(m.create_bucket(b.clone())).unwrap();
        assert!(matches!(
            block(m.create_bucket(b)),
            Err(StoreError::BucketExists(_))
        ));
        let blob = BlobId::from_random([9; 16]);
        for k in ["a/1", "a/2", "b", "c/x/y"] {
            block(m.put_object(obj("b", k, Location::Inline(vec![1])))).unwrap();
        }
        let freed = block(m.put_object(obj("b", "b", Location::Blob(blob.clone())))).unwrap();
        assert!(freed.is_empty());
        assert_eq!(m.referenced_blobs().unwrap(), HashSet::from([blob.clone()]));
        let keys = |v: Vec<ObjectSummary>| v.into_iter().map(|s| s.key).collect::<Vec<_>>();
        assert_eq!(
            keys(m.list_objects("b", "a/", "", true, 10).unwrap()),
            ["a/1", "a/2"]
        );
        assert_eq!(
            keys(m.list_objects("b", "", "a/1", false, 2).unwrap()),
            ["a/2", "b"]
        );
        assert_eq!(
            keys(m.list_objects("b", "", "a0", true, 10).unwrap()),
            ["b", "c/x/y"]
        );
        assert!(matches!(
            block(m.delete_bucket("b")),
            Err(StoreError::BucketNotEmpty(_))
        ));
        let freed = block(m.put_object(obj("b", "b", Location::Inline(vec![2])))).unwrap();
        assert_eq!(freed, vec![blob]);
        assert!(m.referenced_blobs().unwrap().is_empty());
        assert!(m.object("b", "a/1", "null").unwrap().is_some());
        for k in ["a/1", "a/2", "b", "c/x/y"] {
            block(m.delete_object("b", k, "null")).unwrap();
        }
        block(m.delete_bucket("b")).unwrap();
        assert!(m.bucket("b").unwrap().is_none());
    }

    #[test]
    fn failing_write_does_not_poison_batch() {
        let dir = tempfile::tempdir().unwrap();
        let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
        let futs: Vec<_> = (0..50)
            .map(|i| {
                let name = if i % 2 == 0 {
                    "same".to_owned()
                } else {
                    format!("b{i}")
                };
                m.create_bucket(BucketRecord {
                    name,
                    owner: "1".into(),
                    region: "r".into(),
                    created_ms: 0,
                })
            })
            .collect();
        let results: Vec<_> = futs.into_iter().map(block).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 26);
        assert_eq!(m.list_buckets().unwrap().len(), 26);
    }

    #[test]
    fn multipart_moves_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
        block(m.create_bucket(BucketRecord {
            name: "b".into(),
            owner: "1".into(),
            region: "r".into(),
            created_ms: 0,
        }))
        .unwrap();
        let up = UploadRecord {
            upload_id: "u".into(),
            bucket: "b".into(),
            key: "k".into(),
            initiated_ms: 0,
            meta: vec![],
        };
        block(m.create_upload(up)).unwrap();
        let ids: Vec<BlobId> = (0..3u8).map(|i| BlobId::from_random([i; 16])).collect();
        for (n, id) in ids.iter().enumerate() {
            let seg = Segment {
                plain_len: 1,
                location: Location::Blob(id.clone()),
                sealing: vec![],
            };
            let part = PartRecord {
                upload_id: "u".into(),
                part_number: n as u32 + 1,
                size: 1,
                etag: "e".into(),
                last_modified_ms: 0,
                meta: vec![],
                segment: seg,
            };
            block(m.put_part(part)).unwrap();
        }
        assert_eq!(m.parts("u", 1, 10).unwrap().len(), 2);
        let mut o = obj("b", "k", Location::Blob(ids[0].clone()));
        o.segments.push(Segment {
            plain_len: 1,
            location: Location::Blob(ids[2].clone()),
            sealing: vec![],
        });
        let freed = block(m.complete_upload("u", o)).unwrap();
        assert_eq!(freed, vec![ids[1].clone()]);
        assert_eq!(
            m.referenced_blobs().unwrap(),
            HashSet::from([ids[0].clone(), ids[2].clone()])
        );
        assert!(m.upload("u").unwrap().is_none());
        assert!(matches!(
            block(m.abort_upload("u")),
            Err(StoreError::NoSuchUpload(_))
        ));
    }

    #[test]
    fn kv_batches_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
        let create = |k: &str| KvOp::Create {
            ns: "iam".into(),
            key: k.into(),
            value: k.as_bytes().to_vec(),
        };
        block(m.kv_apply(vec![create("u/a"), create("u/b"), create("v/c")])).unwrap();
        assert!(matches!(
            block(m.kv_apply(vec![create("u/z"), create("u/a")])),
            Err(StoreError::KvConflict(_))
        ));
        assert!(
            m.kv_get("iam", "u/z").unwrap().is_none(),
            "the failed batch left nothing"
        );
        let keys: Vec<String> = m
            .kv_list("iam", "u/")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["u/a", "u/b"]);
        let del = KvOp::Delete {
            ns: "iam".into(),
            key: "nope".into(),
        };
        assert!(matches!(
            block(m.kv_apply(vec![del])),
            Err(StoreError::KvMissing(_))
        ));
    }

    #[test]
    fn successor() {
        assert_eq!(prefix_successor("a/").as_deref(), Some("a0"));
        assert_eq!(prefix_successor(""), None);
        assert_eq!(prefix_successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
    }
}
