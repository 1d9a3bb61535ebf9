use crate::BlobId;

/// A bucket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRecord {
    pub name: String,
    /// 12-digit account id of the owner.
    pub owner: String,
    pub region: String,
    pub created_ms: i64,
}

/// Where a segment's sealed bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Small objects live in the metadata row: no file, no extra fsync.
    Inline(Vec<u8>),
    /// Larger ones in a blob file named by a random id.
    Blob(BlobId),
}

/// One independently sealed run of an object's plaintext: the whole object for a PUT, one
/// part for a multipart upload. `sealing` (wrapped data key, nonce prefix, ...) is opaque here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub plain_len: u64,
    pub location: Location,
    pub sealing: Vec<u8>,
}

/// An object version as stored. `meta` is the S3 layer's own serialized metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRecord {
    pub bucket: String,
    pub key: String,
    /// `"null"` until versioning exists; part of the primary key already.
    pub version_id: String,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub meta: Vec<u8>,
    pub segments: Vec<Segment>,
}

/// What a listing needs, without the segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSummary {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated_ms: i64,
    pub meta: Vec<u8>,
}

/// An uploaded part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRecord {
    pub upload_id: String,
    pub part_number: u32,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub meta: Vec<u8>,
    pub segment: Segment,
}
