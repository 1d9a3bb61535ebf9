//! [`SqliteMeta`] as the domain's [`MetaStore`]: each trait method is the SQLite method of the
//! same name; writes are boxed here, once, so the domain can hold any store as a trait object.

use std::collections::HashSet;

use super::SqliteMeta;
use crate::{
    BlobId, BucketRecord, ConfigGuard, KvOp, MetaStore, ObjectRecord, ObjectSummary, PartRecord,
    PendingBlob, Precondition, Removal, StoreError, Tagger, UploadRecord, VersionSummary,
    WriteFuture,
};

impl MetaStore for SqliteMeta {
    fn schema_version(&self) -> Result<u32, StoreError> {
        SqliteMeta::schema_version(self)
    }

    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        SqliteMeta::setting(self, name)
    }

    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError> {
        SqliteMeta::bucket(self, name)
    }

    fn list_buckets(&self) -> Result<Vec<BucketRecord>, StoreError> {
        SqliteMeta::list_buckets(self)
    }

    fn bucket_config(&self, bucket: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        SqliteMeta::bucket_config(self, bucket, name)
    }

    fn object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Option<ObjectRecord>, StoreError> {
        SqliteMeta::object(self, bucket, key, version_id)
    }

    fn current(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError> {
        SqliteMeta::current(self, bucket, key)
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
        SqliteMeta::list_versions(self, bucket, prefix, from, inclusive, after_version, limit)
    }

    fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        from: &str,
        inclusive: bool,
        limit: usize,
    ) -> Result<Vec<ObjectSummary>, StoreError> {
        SqliteMeta::list_objects(self, bucket, prefix, from, inclusive, limit)
    }

    fn bucket_is_empty(&self, bucket: &str) -> Result<bool, StoreError> {
        SqliteMeta::bucket_is_empty(self, bucket)
    }

    fn referenced_blobs(&self) -> Result<HashSet<BlobId>, StoreError> {
        SqliteMeta::referenced_blobs(self)
    }

    fn upload(&self, upload_id: &str) -> Result<Option<UploadRecord>, StoreError> {
        SqliteMeta::upload(self, upload_id)
    }

    fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        limit: usize,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        SqliteMeta::list_uploads(self, bucket, prefix, key_marker, limit)
    }

    fn parts(
        &self,
        upload_id: &str,
        after_part: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError> {
        SqliteMeta::parts(self, upload_id, after_part, limit)
    }

    fn kv_get(&self, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        SqliteMeta::kv_get(self, ns, key)
    }

    fn kv_list(&self, ns: &str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        SqliteMeta::kv_list(self, ns, prefix)
    }

    fn put_setting(&self, name: &str, value: Vec<u8>) -> WriteFuture<()> {
        Box::pin(SqliteMeta::put_setting(self, name, value))
    }

    fn init_setting(&self, name: &str, value: Vec<u8>) -> WriteFuture<Vec<u8>> {
        Box::pin(SqliteMeta::init_setting(self, name, value))
    }

    fn create_bucket(&self, rec: BucketRecord, configs: Vec<(String, Vec<u8>)>) -> WriteFuture<()> {
        Box::pin(SqliteMeta::create_bucket(self, rec, configs))
    }

    fn delete_bucket(&self, name: &str) -> WriteFuture<Vec<BlobId>> {
        Box::pin(SqliteMeta::delete_bucket(self, name))
    }

    fn put_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        value: Option<Vec<u8>>,
    ) -> WriteFuture<()> {
        Box::pin(SqliteMeta::put_bucket_config(self, bucket, name, value))
    }

    fn swap_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        expected: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
    ) -> WriteFuture<()> {
        Box::pin(SqliteMeta::swap_bucket_config(
            self, bucket, name, expected, value,
        ))
    }

    fn put_object(
        &self,
        rec: ObjectRecord,
        pending: Vec<PendingBlob>,
        precondition: Precondition,
    ) -> WriteFuture<Vec<BlobId>> {
        Box::pin(SqliteMeta::put_object(self, rec, pending, precondition))
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
        Box::pin(SqliteMeta::update_object_meta(
            self,
            bucket,
            key,
            version_id,
            expected_mac,
            meta,
            mac,
        ))
    }

    fn update_object_lock(
        &self,
        rec: ObjectRecord,
        expected_mac: Vec<u8>,
        removal: Removal,
    ) -> WriteFuture<bool> {
        Box::pin(SqliteMeta::update_object_lock(
            self,
            rec,
            expected_mac,
            removal,
        ))
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
        Box::pin(SqliteMeta::delete_object(
            self,
            bucket,
            key,
            version_id,
            precondition,
            guard,
            removal,
        ))
    }

    fn create_upload(&self, rec: UploadRecord) -> WriteFuture<()> {
        Box::pin(SqliteMeta::create_upload(self, rec))
    }

    fn put_part(&self, part: PartRecord, pending: Vec<PendingBlob>) -> WriteFuture<Vec<BlobId>> {
        Box::pin(SqliteMeta::put_part(self, part, pending))
    }

    fn complete_upload(
        &self,
        upload_id: &str,
        object: ObjectRecord,
        chosen: Vec<(u32, Vec<u8>)>,
        precondition: Precondition,
    ) -> WriteFuture<Vec<BlobId>> {
        Box::pin(SqliteMeta::complete_upload(
            self,
            upload_id,
            object,
            chosen,
            precondition,
        ))
    }

    fn abort_upload(&self, upload_id: &str) -> WriteFuture<Vec<BlobId>> {
        Box::pin(SqliteMeta::abort_upload(self, upload_id))
    }

    fn kv_apply(&self, ops: Vec<KvOp>) -> WriteFuture<()> {
        Box::pin(SqliteMeta::kv_apply(self, ops))
    }

    fn tag_untagged(&self, tag: Tagger) -> WriteFuture<usize> {
        Box::pin(SqliteMeta::tag_untagged(self, tag))
    }
}
