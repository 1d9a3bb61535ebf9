use std::sync::Arc;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use coffer_clock::Clock;
use coffer_crypto::{DataKey, RecordKey, WrappingKey};
use coffer_store::{BlobId, BlobStore, MetaStore, Storage};

use crate::S3Error;

/// Name of the setting holding the SSE-S3 service key, wrapped by the root key.
const SERVICE_KEY_SETTING: &str = "sse-s3-service-key";
/// Associated data of that wrap, so no other wrapped value can stand in for it. Version 2
/// also says "every record here is authenticated": a data directory whose service key is
/// still wrapped under version 1 predates record tags and gets them once, on its first open
/// (after which the key is re-wrapped under version 2, which only the root key can undo).
const SERVICE_KEY_CONTEXT: &[u8] = b"coffer/sse-s3-service-key/v2";
/// The wrap of data directories from before authenticated records.
const SERVICE_KEY_CONTEXT_V1: &[u8] = b"coffer/sse-s3-service-key/v1";
/// HKDF label of the key that tags metadata records.
const RECORD_KEY_LABEL: &[u8] = b"coffer/s3/records/v1";

/// The S3 domain: one per data directory, shared by every request.
pub struct S3Core {
    pub(crate) meta: Arc<dyn MetaStore>,
    pub(crate) blobs: BlobStore,
    pub(crate) service_key: Arc<WrappingKey>,
    /// Tags object, upload and part records (`records.rs`).
    pub(crate) records: RecordKey,
    pub(crate) rng: SystemRandom,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) access_cache: crate::access::AccessCache,
    pub(crate) kms: Option<Arc<coffer_kms::Kms>>,
    pub(crate) bucket_keys: crate::bucket_keys::BucketKeys,
}

impl S3Core {
    /// Opens (or initialises) the S3 domain on `storage`: the SSE-S3 service key (created on
    /// first start, stored wrapped by `root_key`), then sweeps what an earlier crash left
    /// behind.
    pub async fn open(
        storage: Storage,
        root_key: &DataKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, S3Error> {
        let Storage { meta, blobs } = storage;
        let rng = SystemRandom::new();
        let root = WrappingKey::new(root_key);
        let wrapped = match meta.setting(SERVICE_KEY_SETTING)? {
            Some(w) => w,
            None => {
                let fresh = root.wrap(&DataKey::generate(&rng)?, SERVICE_KEY_CONTEXT, &rng)?;
                meta.init_setting(SERVICE_KEY_SETTING, fresh).await?
            }
        };
        let unopenable =
            || S3Error::InvalidRequest("the root key does not open this data directory".into());
        let records = RecordKey::new(&root_key.derive(RECORD_KEY_LABEL));
        let service_key = match root.unwrap(&wrapped, SERVICE_KEY_CONTEXT) {
            Ok(k) => k,
            Err(_) => {
                let k = root
                    .unwrap(&wrapped, SERVICE_KEY_CONTEXT_V1)
                    .map_err(|_| unopenable())?;
                // Records written before authentication: tag them, then mark the directory.
                let records = RecordKey::new(&root_key.derive(RECORD_KEY_LABEL));
                let tagged = meta
                    .tag_untagged(Box::new(move |kind: &[u8], bytes: &[u8]| {
                        records.tag(kind, bytes).to_vec()
                    }))
                    .await?;
                tracing::info!(
                    tagged,
                    "authenticated the records of an older data directory"
                );
                let rewrapped = root.wrap(&k, SERVICE_KEY_CONTEXT, &rng)?;
                meta.put_setting(SERVICE_KEY_SETTING, rewrapped).await?;
                k
            }
        };
        let core = Self {
            meta,
            blobs,
            service_key: Arc::new(WrappingKey::new(&service_key)),
            records,
            rng,
            clock,
            access_cache: crate::access::AccessCache::default(),
            kms: None,
            bucket_keys: Default::default(),
        };
        let referenced = core.meta.referenced_blobs()?;
        let swept = core.blobs.sweep(&referenced)?;
        if swept > 0 {
            tracing::info!(swept, "removed blob files left by an interrupted write");
        }
        Ok(core)
    }

    /// Lets objects be encrypted with KMS keys (SSE-KMS).
    pub fn attach_kms(&mut self, kms: Arc<coffer_kms::Kms>) {
        self.kms = Some(kms);
    }

    /// The metadata store, shared with the other domains (IAM) of the same data directory.
    pub fn metadata(&self) -> Arc<dyn MetaStore> {
        self.meta.clone()
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn random_hex(&self, bytes: usize) -> Result<String, S3Error> {
        let mut buf = vec![0u8; bytes];
        self.rng
            .fill(&mut buf)
            .map_err(|_| coffer_crypto::CryptoError::Random)?;
        Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub(crate) fn new_blob_id(&self) -> Result<BlobId, S3Error> {
        let mut buf = [0u8; 16];
        self.rng
            .fill(&mut buf)
            .map_err(|_| coffer_crypto::CryptoError::Random)?;
        Ok(BlobId::from_random(buf))
    }

    /// Deletes blob files a commit released. Failures only leave orphans for the next sweep.
    pub(crate) fn release_blobs(&self, ids: Vec<BlobId>) {
        for id in ids {
            if let Err(e) = self.blobs.remove(&id) {
                tracing::warn!(blob = id.as_str(), error = %e, "could not remove released blob");
            }
        }
    }
}
