//! Metadata in memory: every write applied to a copy, installed whole or not at all.

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use super::PowerSupply;
use crate::meta::{KvOp, Tagger, WriteFuture};
use crate::{
    Authenticated as _, BlobId, BucketRecord, ConfigGuard, Location, MetaStore, ObjectRecord,
    ObjectSummary, PartRecord, PendingBlob, Precondition, Removal, SCHEMA_VERSION, Segment,
    StoreError, UploadRecord, VersionSummary,
};

#[derive(Debug, Default, Clone)]
struct MetaState {
    settings: BTreeMap<String, Vec<u8>>,
    buckets: BTreeMap<String, BucketRecord>,
    configs: BTreeMap<(String, String), Vec<u8>>,
    /// (bucket, key, version id).
    objects: BTreeMap<(String, String, String), Version>,
    uploads: BTreeMap<String, UploadRecord>,
    parts: BTreeMap<(String, u32), PartRecord>,
    kv: BTreeMap<(String, String), Vec<u8>>,
    blob_refs: HashSet<BlobId>,
}

/// One stored version: the newest `seq` of a key is its current version.
#[derive(Debug, Clone)]
struct Version {
    rec: ObjectRecord,
    seq: u64,
}

/// Metadata in memory: one lock, each write applied whole or not at all.
#[derive(Debug)]
pub struct MemoryMeta {
    state: Mutex<MetaState>,
    power: Arc<PowerSupply>,
}

impl Default for MemoryMeta {
    fn default() -> Self {
        Self::new(PowerSupply::unlimited())
    }
}

impl MemoryMeta {
    pub fn new(power: Arc<PowerSupply>) -> Self {
        Self {
            state: Mutex::default(),
            power,
        }
    }

    /// What a restart finds: every applied write (they are durable once applied), on a new
    /// power supply.
    pub fn after_crash(&self, power: Arc<PowerSupply>) -> Self {
        Self {
            state: Mutex::new(self.lock().clone()),
            power,
        }
    }

    fn lock(&self) -> MutexGuard<'_, MetaState> {
        // A panic while holding the lock can only be a bug in this file; the state is still
        // whole (writes work on a copy), so go on with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read<T>(&self, f: impl FnOnce(&MetaState) -> T) -> Result<T, StoreError> {
        Ok(f(&self.lock()))
    }

    /// Runs `f` on a copy of the state and installs the copy only if `f` succeeds and the
    /// power holds: all or nothing, like a transaction.
    fn write<T: Send + 'static>(
        &self,
        pending: Vec<PendingBlob>,
        f: impl FnOnce(&mut MetaState) -> Result<T, StoreError>,
    ) -> WriteFuture<T> {
        let out = {
            let mut state = self.lock();
            let mut draft = state.clone();
            f(&mut draft).and_then(|v| {
                self.power
                    .step()
                    .map_err(|e| StoreError::Commit(e.to_string()))?;
                *state = draft;
                Ok(v)
            })
        };
        if out.is_ok() {
            pending.into_iter().for_each(PendingBlob::keep);
        } else {
            drop(pending);
        }
        Box::pin(std::future::ready(out))
    }
}

impl MetaState {
    fn is_empty(&self, bucket: &str) -> bool {
        let start = (bucket.to_owned(), String::new(), String::new());
        self.objects
            .range(start..)
            .next()
            .is_none_or(|((b, _, _), _)| b != bucket)
    }

    fn require_bucket(&self, bucket: &str) -> Result<(), StoreError> {
        if self.buckets.contains_key(bucket) {
            Ok(())
        } else {
            Err(StoreError::NoSuchBucket(bucket.to_owned()))
        }
    }

    fn require_upload(&self, upload_id: &str) -> Result<(), StoreError> {
        if self.uploads.contains_key(upload_id) {
            Ok(())
        } else {
            Err(StoreError::NoSuchUpload(upload_id.to_owned()))
        }
    }

    /// Every version of a key, newest first.
    fn versions(&self, bucket: &str, key: &str) -> Vec<&Version> {
        let start = (bucket.to_owned(), key.to_owned(), String::new());
        let mut v: Vec<&Version> = self
            .objects
            .range(start..)
            .take_while(|((b, k, _), _)| b == bucket && k == key)
            .map(|(_, v)| v)
            .collect();
        v.sort_by_key(|x| std::cmp::Reverse(x.seq));
        v
    }

    fn current(&self, bucket: &str, key: &str) -> Option<&Version> {
        self.versions(bucket, key).into_iter().next()
    }

    /// The keys of `bucket` under `prefix` from `lower` on, each with its versions newest
    /// first.
    fn keys_from<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
        lower: &str,
    ) -> impl Iterator<Item = (&'a str, Vec<&'a Version>)> + 'a {
        let start = (bucket.to_owned(), lower.to_owned(), String::new());
        let mut keys: Vec<&'a str> = self
            .objects
            .range(start..)
            .take_while(move |((b, k, _), _)| b == bucket && k.starts_with(prefix))
            .map(|((_, k, _), _)| k.as_str())
            .collect();
        keys.dedup();
        keys.into_iter().map(move |k| (k, self.versions(bucket, k)))
    }

    fn check_config(
        &self,
        bucket: &str,
        name: &str,
        expected: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let now = self.configs.get(&(bucket.to_owned(), name.to_owned()));
        if now.map(Vec::as_slice) == expected {
            Ok(())
        } else {
            Err(StoreError::Changed("bucket config"))
        }
    }

    /// `precondition` against the current version (a delete marker is no object).
    fn check_current(
        &self,
        bucket: &str,
        key: &str,
        precondition: &Precondition,
    ) -> Result<(), StoreError> {
        let etag = self
            .current(bucket, key)
            .filter(|v| !v.rec.delete_marker)
            .map(|v| v.rec.etag.as_str());
        precondition.check(etag).map_err(StoreError::Precondition)
    }

    fn check_at(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        precondition: &Precondition,
    ) -> Result<(), StoreError> {
        let id = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        precondition
            .check(self.objects.get(&id).map(|v| v.rec.etag.as_str()))
            .map_err(StoreError::Precondition)
    }

    fn reference(&mut self, s: &Segment) {
        if let Location::Blob(id) = &s.location {
            self.blob_refs.insert(id.clone());
        }
    }

    fn release(&mut self, s: &Segment, freed: &mut Vec<BlobId>) {
        if let Location::Blob(id) = &s.location {
            self.blob_refs.remove(id);
            freed.push(id.clone());
        }
    }

    fn remove_version(&mut self, bucket: &str, key: &str, version_id: &str) -> Vec<BlobId> {
        let id = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        let mut freed = Vec::new();
        if let Some(old) = self.objects.remove(&id) {
            for s in &old.rec.segments {
                self.release(s, &mut freed);
            }
        }
        freed
    }

    fn check_lock(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        removal: Removal,
    ) -> Result<(), StoreError> {
        let id = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        match self
            .objects
            .get(&id)
            .and_then(|v| v.rec.lock.refuses(removal))
        {
            Some(why) => Err(StoreError::Locked(why)),
            None => Ok(()),
        }
    }

    /// `rec` becomes the current version of its key, replacing the version with its id
    /// (never a locked one).
    fn install_version(&mut self, rec: ObjectRecord) -> Result<Vec<BlobId>, StoreError> {
        let at = Removal {
            now_ms: rec.last_modified_ms,
            bypass_governance: false,
        };
        self.check_lock(&rec.bucket, &rec.key, &rec.version_id, at)?;
        let freed = self.remove_version(&rec.bucket, &rec.key, &rec.version_id);
        let seq = self.current(&rec.bucket, &rec.key).map_or(0, |v| v.seq + 1);
        for s in &rec.segments {
            self.reference(s);
        }
        let id = (rec.bucket.clone(), rec.key.clone(), rec.version_id.clone());
        self.objects.insert(id, Version { rec, seq });
        Ok(freed)
    }

    fn remove_upload(&mut self, upload_id: &str) -> Vec<BlobId> {
        let numbers: Vec<(String, u32)> = self
            .parts
            .range((upload_id.to_owned(), 0)..=(upload_id.to_owned(), u32::MAX))
            .map(|(k, _)| k.clone())
            .collect();
        let mut freed = Vec::new();
        for n in numbers {
            if let Some(p) = self.parts.remove(&n) {
                self.release(&p.segment, &mut freed);
            }
        }
        self.uploads.remove(upload_id);
        freed
    }
}

impl MetaStore for MemoryMeta {
    fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(SCHEMA_VERSION)
    }

    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|s| s.settings.get(name).cloned())
    }

    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        self.read(|s| s.buckets.get(name).cloned())
    }

    fn list_buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        self.read(|s| s.buckets.values().cloned().collect())
    }

    fn bucket_config(&self, bucket: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|s| {
            s.configs
                .get(&(bucket.to_owned(), name.to_owned()))
                .cloned()
        })
    }

    fn object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        let id = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        self.read(|s| s.objects.get(&id).map(|v| v.rec.clone()))
    }

    fn current(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError> {
        self.read(|s| s.current(bucket, key).map(|v| v.rec.clone()))
    }

    fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        from: &str,
        inclusive: bool,
        limit: usize,
    ) -> Result<Vec<ObjectSummary>, StoreError> {
        let (lower, inclusive) = if prefix > from {
            (prefix, true)
        } else {
            (from, inclusive)
        };
        self.read(|s| {
            s.keys_from(bucket, prefix, lower)
                .filter(|(k, _)| inclusive || *k != lower)
                .filter_map(|(_, versions)| versions.first().map(|v| &v.rec))
                .filter(|o| !o.delete_marker)
                .take(limit)
                .map(|o| ObjectSummary {
                    key: o.key.clone(),
                    size: o.size,
                    etag: o.etag.clone(),
                    last_modified_ms: o.last_modified_ms,
                })
                .collect()
        })
    }

    fn list_versions(
        &self,
        bucket: &str,
        prefix: &str,
        from: &str,
        inclusive: bool,
        after_version: Option<&str>,
        limit: usize,
    ) -> Result<Vec<VersionSummary>, StoreError> {
        let (lower, inclusive) = if prefix > from {
            (prefix, true)
        } else {
            (from, inclusive || after_version.is_some())
        };
        self.read(|s| {
            let mut out = Vec::new();
            for (key, versions) in s.keys_from(bucket, prefix, lower) {
                if !inclusive && key == lower {
                    continue;
                }
                let mut skip = 0;
                if let Some(v) = after_version
                    && key == from
                {
                    // Past the marker version; an unknown one skips the whole key.
                    skip = versions
                        .iter()
                        .position(|x| x.rec.version_id == v)
                        .map_or(versions.len(), |i| i + 1);
                }
                for (i, v) in versions.iter().enumerate().skip(skip) {
                    if out.len() == limit {
                        return out;
                    }
                    out.push(VersionSummary {
                        key: key.to_owned(),
                        version_id: v.rec.version_id.clone(),
                        is_latest: i == 0,
                        delete_marker: v.rec.delete_marker,
                        size: v.rec.size,
                        etag: v.rec.etag.clone(),
                        last_modified_ms: v.rec.last_modified_ms,
                    });
                }
            }
            out
        })
    }

    fn bucket_is_empty(&self, bucket: &str) -> Result<bool, StoreError> {
        self.read(|s| s.is_empty(bucket))
    }

    fn referenced_blobs(&self) -> Result<HashSet<BlobId>, StoreError> {
        self.read(|s| s.blob_refs.clone())
    }

    fn upload(&self, upload_id: &str) -> Result<Option<UploadRecord>, StoreError> {
        self.read(|s| s.uploads.get(upload_id).cloned())
    }

    fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        limit: usize,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        self.read(|s| {
            let mut out: Vec<UploadRecord> = s
                .uploads
                .values()
                .filter(|u| {
                    u.bucket == bucket && u.key.starts_with(prefix) && u.key.as_str() > key_marker
                })
                .cloned()
                .collect();
            out.sort_by(|a, b| {
                (&a.key, a.initiated_ms, &a.upload_id).cmp(&(&b.key, b.initiated_ms, &b.upload_id))
            });
            out.truncate(limit);
            out
        })
    }

    fn parts(
        &self,
        upload_id: &str,
        after_part: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        let id = upload_id.to_owned();
        self.read(|s| {
            s.parts
                .range((
                    Bound::Excluded((id.clone(), after_part)),
                    Bound::Included((id.clone(), u32::MAX)),
                ))
                .take(limit)
                .map(|(_, p)| p.clone())
                .collect()
        })
    }

    fn kv_get(&self, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|s| s.kv.get(&(ns.to_owned(), key.to_owned())).cloned())
    }

    fn kv_list(&self, ns: &str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.read(|s| {
            s.kv.range((ns.to_owned(), prefix.to_owned())..)
                .take_while(|((n, k), _)| n == ns && k.starts_with(prefix))
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect()
        })
    }

    fn put_setting(&self, name: &str, value: Vec<u8>) -> WriteFuture<()> {
        self.write(Vec::new(), |s| {
            s.settings.insert(name.to_owned(), value);
            Ok(())
        })
    }

    fn init_setting(&self, name: &str, value: Vec<u8>) -> WriteFuture<Vec<u8>> {
        self.write(Vec::new(), |s| {
            Ok(s.settings.entry(name.to_owned()).or_insert(value).clone())
        })
    }

    fn create_bucket(&self, rec: BucketRecord, configs: Vec<(String, Vec<u8>)>) -> WriteFuture<()> {
        self.write(Vec::new(), |s| {
            if s.buckets.contains_key(&rec.name) {
                return Err(StoreError::BucketExists(rec.name));
            }
            for (name, value) in configs {
                s.configs.insert((rec.name.clone(), name), value);
            }
            s.buckets.insert(rec.name.clone(), rec);
            Ok(())
        })
    }

    fn delete_bucket(&self, name: &str) -> WriteFuture<Vec<BlobId>> {
        self.write(Vec::new(), |s| {
            if !s.is_empty(name) {
                return Err(StoreError::BucketNotEmpty(name.to_owned()));
            }
            let uploads: Vec<String> = s
                .uploads
                .values()
                .filter(|u| u.bucket == name)
                .map(|u| u.upload_id.clone())
                .collect();
            let mut freed = Vec::new();
            for id in uploads {
                freed.extend(s.remove_upload(&id));
            }
            s.configs.retain(|(b, _), _| b != name);
            if s.buckets.remove(name).is_none() {
                return Err(StoreError::NoSuchBucket(name.to_owned()));
            }
            Ok(freed)
        })
    }

    fn put_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        value: Option<Vec<u8>>,
    ) -> WriteFuture<()> {
        self.write(Vec::new(), |s| {
            s.require_bucket(bucket)?;
            let id = (bucket.to_owned(), name.to_owned());
            match value {
                Some(v) => s.configs.insert(id, v),
                None => s.configs.remove(&id),
            };
            Ok(())
        })
    }

    fn swap_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        expected: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
    ) -> WriteFuture<()> {
        self.write(Vec::new(), |s| {
            s.require_bucket(bucket)?;
            s.check_config(bucket, name, expected.as_deref())?;
            let id = (bucket.to_owned(), name.to_owned());
            match value {
                Some(v) => s.configs.insert(id, v),
                None => s.configs.remove(&id),
            };
            Ok(())
        })
    }

    fn put_object(
        &self,
        rec: ObjectRecord,
        pending: Vec<PendingBlob>,
        precondition: Precondition,
    ) -> WriteFuture<Vec<BlobId>> {
        self.write(pending, |s| {
            s.require_bucket(&rec.bucket)?;
            s.check_current(&rec.bucket, &rec.key, &precondition)?;
            s.install_version(rec)
        })
    }

    fn update_object_meta(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        expected_mac: Vec<u8>,
        meta: Vec<u8>,
        mac: Vec<u8>,
    ) -> WriteFuture<bool> {
        let id = (bucket.to_owned(), key.to_owned(), version_id.to_owned());
        self.write(Vec::new(), |s| match s.objects.get_mut(&id) {
            None => Ok(false),
            Some(v) if v.rec.mac != expected_mac => Err(StoreError::Changed("object")),
            Some(v) => {
                v.rec.meta = meta;
                v.rec.mac = mac;
                Ok(true)
            }
        })
    }

    fn update_object_lock(
        &self,
        rec: ObjectRecord,
        expected_mac: Vec<u8>,
        removal: Removal,
    ) -> WriteFuture<bool> {
        let id = (rec.bucket.clone(), rec.key.clone(), rec.version_id.clone());
        self.write(Vec::new(), move |s| match s.objects.get_mut(&id) {
            None => Ok(false),
            Some(v) if v.rec.mac != expected_mac => Err(StoreError::Changed("object")),
            Some(v) => {
                if let Some(why) = v.rec.lock.refuses_change(&rec.lock, removal) {
                    return Err(StoreError::Locked(why));
                }
                v.rec.lock = rec.lock;
                v.rec.meta = rec.meta;
                v.rec.mac = rec.mac;
                Ok(true)
            }
        })
    }

    fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        precondition: Precondition,
        guard: Option<ConfigGuard>,
        removal: Removal,
    ) -> WriteFuture<Vec<BlobId>> {
        self.write(Vec::new(), |s| {
            if let Some(g) = &guard {
                s.check_config(bucket, &g.name, g.value.as_deref())?;
            }
            s.check_at(bucket, key, version_id, &precondition)?;
            s.check_lock(bucket, key, version_id, removal)?;
            Ok(s.remove_version(bucket, key, version_id))
        })
    }

    fn create_upload(&self, rec: UploadRecord) -> WriteFuture<()> {
        self.write(Vec::new(), |s| {
            s.require_bucket(&rec.bucket)?;
            if s.uploads.contains_key(&rec.upload_id) {
                return Err(StoreError::Commit("upload id taken".into()));
            }
            s.uploads.insert(rec.upload_id.clone(), rec);
            Ok(())
        })
    }

    fn put_part(&self, part: PartRecord, pending: Vec<PendingBlob>) -> WriteFuture<Vec<BlobId>> {
        self.write(pending, |s| {
            s.require_upload(&part.upload_id)?;
            let id = (part.upload_id.clone(), part.part_number);
            let mut freed = Vec::new();
            if let Some(old) = s.parts.remove(&id) {
                s.release(&old.segment, &mut freed);
            }
            s.reference(&part.segment);
            s.parts.insert(id, part);
            Ok(freed)
        })
    }

    fn complete_upload(
        &self,
        upload_id: &str,
        object: ObjectRecord,
        chosen: Vec<(u32, Vec<u8>)>,
        precondition: Precondition,
    ) -> WriteFuture<Vec<BlobId>> {
        self.write(Vec::new(), |s| {
            s.require_upload(upload_id)?;
            s.check_current(&object.bucket, &object.key, &precondition)?;
            for (number, mac) in &chosen {
                let now = s.parts.get(&(upload_id.to_owned(), *number));
                if now.map(|p| &p.mac) != Some(mac) {
                    return Err(StoreError::Changed("part"));
                }
            }
            let mut freed = s.remove_upload(upload_id);
            let kept: HashSet<BlobId> = object
                .segments
                .iter()
                .filter_map(|seg| match &seg.location {
                    Location::Blob(id) => Some(id.clone()),
                    Location::Inline(_) => None,
                })
                .collect();
            freed.extend(s.install_version(object)?);
            freed.retain(|id| !kept.contains(id));
            Ok(freed)
        })
    }

    fn abort_upload(&self, upload_id: &str) -> WriteFuture<Vec<BlobId>> {
        self.write(Vec::new(), |s| {
            s.require_upload(upload_id)?;
            Ok(s.remove_upload(upload_id))
        })
    }

    fn kv_apply(&self, ops: Vec<KvOp>) -> WriteFuture<()> {
        self.write(Vec::new(), |s| {
            for op in ops {
                match op {
                    KvOp::Create { ns, key, value } => {
                        if s.kv.contains_key(&(ns.clone(), key.clone())) {
                            return Err(StoreError::KvConflict(key));
                        }
                        s.kv.insert((ns, key), value);
                    }
                    KvOp::Put { ns, key, value } => {
                        s.kv.insert((ns, key), value);
                    }
                    KvOp::Delete { ns, key } => {
                        if s.kv.remove(&(ns, key.clone())).is_none() {
                            return Err(StoreError::KvMissing(key));
                        }
                    }
                }
            }
            Ok(())
        })
    }

    fn tag_untagged(&self, tag: Tagger) -> WriteFuture<usize> {
        self.write(Vec::new(), |s| {
            let mut n = 0;
            for o in s
                .objects
                .values_mut()
                .map(|v| &mut v.rec)
                .filter(|o| o.mac.is_empty())
            {
                o.mac = tag(ObjectRecord::AUTH_KIND, &o.authenticated_bytes());
                n += 1;
            }
            for u in s.uploads.values_mut().filter(|u| u.mac.is_empty()) {
                u.mac = tag(UploadRecord::AUTH_KIND, &u.authenticated_bytes());
                n += 1;
            }
            for p in s.parts.values_mut().filter(|p| p.mac.is_empty()) {
                p.mac = tag(PartRecord::AUTH_KIND, &p.authenticated_bytes());
                n += 1;
            }
            Ok(n)
        })
    }
}
