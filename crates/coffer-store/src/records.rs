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
    /// `"null"` for what unversioned and suspended buckets write; a random id otherwise.
    pub version_id: String,
    /// A delete marker: a version with no bytes that says the key was deleted.
    pub delete_marker: bool,
    /// Object Lock on this version: what the store refuses to remove.
    pub lock: ObjectLock,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub meta: Vec<u8>,
    pub segments: Vec<Segment>,
    /// The S3 layer's tag over [`Authenticated`] bytes; opaque here.
    pub mac: Vec<u8>,
}

/// What a listing needs, without the segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSummary {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
}

/// One version in a version listing (ListObjectVersions), without the segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSummary {
    pub key: String,
    pub version_id: String,
    /// The key's current version (which may be a delete marker).
    pub is_latest: bool,
    pub delete_marker: bool,
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
    /// The S3 layer's tag over [`Authenticated`] bytes; opaque here.
    pub mac: Vec<u8>,
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
    /// The S3 layer's tag over [`Authenticated`] bytes; opaque here.
    pub mac: Vec<u8>,
}

/// A record the S3 layer authenticates (FORMAT.md, "Authenticated records"): its canonical
/// bytes are every field but the tag, length-prefixed, in declaration order. Inline segment
/// bytes count only by their length: they are AES-GCM packages under the data key and
/// context that the (authenticated) sealing record names, so no other bytes can stand in for
/// them. `write_authenticated` appends them to a buffer the hot paths reuse.
/// What a conditional write requires of the object it would replace (S3's `If-None-Match: *`
/// and `If-Match: ETAG`), checked inside the write's own transaction so that the check and
/// the write are one step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    #[default]
    None,
    /// No object at the key.
    Absent,
    /// Some object at the key (`If-Match: *`).
    Exists,
    /// An object at the key with this ETag (quotes, if any, are not compared).
    EtagIs(String),
}

impl Precondition {
    /// Judges the precondition against the ETag of the object at the key, if any.
    pub fn check(&self, current_etag: Option<&str>) -> Result<(), Unmet> {
        let bare = |s: &str| s.trim().trim_matches('"').to_owned();
        match (self, current_etag) {
            (Self::None, _) | (Self::Absent, None) | (Self::Exists, Some(_)) => Ok(()),
            (Self::Absent, Some(_)) => Err(Unmet::Exists),
            (Self::Exists | Self::EtagIs(_), None) => Err(Unmet::Missing),
            (Self::EtagIs(want), Some(have)) if bare(want) == bare(have) => Ok(()),
            (Self::EtagIs(_), Some(_)) => Err(Unmet::EtagDiffers),
        }
    }
}

/// Object Lock retention modes (S3's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionMode {
    /// Removable before the date only with `s3:BypassGovernanceRetention` and the bypass
    /// header (the domain decides; the store is told).
    Governance,
    /// Removable by nobody before the date.
    Compliance,
}

/// A version's Object Lock state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ObjectLock {
    /// The mode and the retain-until time (ms).
    pub retention: Option<(RetentionMode, i64)>,
    pub legal_hold: bool,
}

/// Why the store refused to remove a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    LegalHold,
    Compliance,
    Governance,
}

impl ObjectLock {
    /// Whether this lock forbids removing (or replacing) the version at `removal`'s time.
    pub fn refuses(&self, removal: Removal) -> Option<Locked> {
        if self.legal_hold {
            return Some(Locked::LegalHold);
        }
        match self.retention {
            Some((_, until)) if until <= removal.now_ms => None,
            Some((RetentionMode::Compliance, _)) => Some(Locked::Compliance),
            Some((RetentionMode::Governance, _)) if !removal.bypass_governance => {
                Some(Locked::Governance)
            }
            _ => None,
        }
    }
}

impl ObjectLock {
    /// Whether changing this lock to `next` at `removal`'s time weakens an active retention
    /// beyond what is allowed: a compliance date is never shortened nor its mode changed
    /// (nor removed); a governance one is shortened, removed or given another mode only with
    /// the bypass. Extending a date, and any legal hold change, is always allowed (the hold
    /// has a permission of its own, judged above the store).
    pub fn refuses_change(&self, next: &ObjectLock, removal: Removal) -> Option<Locked> {
        let (mode, until) = self.retention?;
        if until <= removal.now_ms {
            return None;
        }
        let kept = next.retention.is_some_and(|(m, u)| m == mode && u >= until);
        match mode {
            _ if kept => None,
            RetentionMode::Compliance => Some(Locked::Compliance),
            RetentionMode::Governance if removal.bypass_governance => None,
            RetentionMode::Governance => Some(Locked::Governance),
        }
    }
}

/// What removing a version is judged by in the store's own transaction (Object Lock): the
/// time by the server's one clock, and whether governance retention may be bypassed (the
/// caller holds `s3:BypassGovernanceRetention` and sent the header). The default (time 0,
/// no bypass) refuses every retained version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Removal {
    pub now_ms: i64,
    pub bypass_governance: bool,
}

/// A bucket config a write was decided on (MFA Delete, later Object Lock): the write commits
/// only if the config still holds `value` (`None`: absent), checked in the write's own
/// transaction; otherwise it fails with `Changed("bucket config")` and the caller decides
/// again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigGuard {
    pub name: String,
    pub value: Option<Vec<u8>>,
}

/// Why a [`Precondition`] did not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    /// `Absent`, but an object is there.
    Exists,
    /// `EtagIs`, but no object is there.
    Missing,
    /// `EtagIs`, but the object's ETag is another.
    EtagDiffers,
}

pub trait Authenticated {
    /// The kind label the tag is bound to.
    const AUTH_KIND: &'static [u8];

    fn write_authenticated(&self, out: &mut Vec<u8>);

    /// The tag as stored (opaque here).
    fn mac(&self) -> &[u8];

    fn set_mac(&mut self, mac: Vec<u8>);

    fn authenticated_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_authenticated(&mut out);
        out
    }
}

impl Authenticated for ObjectRecord {
    const AUTH_KIND: &'static [u8] = b"coffer/object-record/v1";

    fn write_authenticated(&self, out: &mut Vec<u8>) {
        use crate::codec::{put_authenticated_segment, put_blob, put_str};
        put_str(out, &self.bucket);
        put_str(out, &self.key);
        put_str(out, &self.version_id);
        out.extend_from_slice(&self.size.to_be_bytes());
        put_str(out, &self.etag);
        out.extend_from_slice(&self.last_modified_ms.to_be_bytes());
        put_blob(out, &self.meta);
        out.extend_from_slice(&(self.segments.len() as u64).to_be_bytes());
        for s in &self.segments {
            put_authenticated_segment(out, s);
        }
        // After the last segment, where no record without them has bytes: the canonical bytes
        // of every record written before delete markers and locks existed stay what they were.
        if self.delete_marker {
            out.extend_from_slice(b"\xffdelete-marker");
        }
        if self.lock != ObjectLock::default() {
            out.extend_from_slice(b"\xfeobject-lock");
            let (mode, until) = match self.lock.retention {
                None => (0u8, 0i64),
                Some((RetentionMode::Governance, t)) => (1, t),
                Some((RetentionMode::Compliance, t)) => (2, t),
            };
            out.push(mode);
            out.extend_from_slice(&until.to_be_bytes());
            out.push(u8::from(self.lock.legal_hold));
        }
    }

    fn mac(&self) -> &[u8] {
        &self.mac
    }

    fn set_mac(&mut self, mac: Vec<u8>) {
        self.mac = mac;
    }
}

impl Authenticated for UploadRecord {
    const AUTH_KIND: &'static [u8] = b"coffer/upload-record/v1";

    fn write_authenticated(&self, out: &mut Vec<u8>) {
        use crate::codec::{put_blob, put_str};
        put_str(out, &self.upload_id);
        put_str(out, &self.bucket);
        put_str(out, &self.key);
        out.extend_from_slice(&self.initiated_ms.to_be_bytes());
        put_blob(out, &self.meta);
    }

    fn mac(&self) -> &[u8] {
        &self.mac
    }

    fn set_mac(&mut self, mac: Vec<u8>) {
        self.mac = mac;
    }
}

impl Authenticated for PartRecord {
    const AUTH_KIND: &'static [u8] = b"coffer/part-record/v1";

    fn write_authenticated(&self, out: &mut Vec<u8>) {
        use crate::codec::{put_authenticated_segment, put_blob, put_str};
        put_str(out, &self.upload_id);
        out.extend_from_slice(&self.part_number.to_be_bytes());
        out.extend_from_slice(&self.size.to_be_bytes());
        put_str(out, &self.etag);
        out.extend_from_slice(&self.last_modified_ms.to_be_bytes());
        put_blob(out, &self.meta);
        put_authenticated_segment(out, &self.segment);
    }

    fn mac(&self) -> &[u8] {
        &self.mac
    }

    fn set_mac(&mut self, mac: Vec<u8>) {
        self.mac = mac;
    }
}
