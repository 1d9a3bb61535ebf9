//! S3 Bucket Keys: with `BucketKeyEnabled`, one KMS data key per (bucket, KMS key) serves as a
//! wrapping key for the objects' own data keys for a while, so N PUTs within its lifetime make
//! one GenerateDataKey call and N GETs one Decrypt. The bucket key's encryption context is the
//! bucket's ARN, as on S3. Plaintext bucket keys live only in memory (`WrappingKey`, whose
//! key schedule aws-lc clears on drop).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coffer_crypto::WrappingKey;

/// How long a bucket key is reused (AWS calls it "time-limited" without a number).
pub const BUCKET_KEY_LIFETIME: Duration = Duration::from_secs(300);

/// Most entries each cache keeps before starting over.
const LIMIT: usize = 10_000;

pub(crate) struct BucketKey {
    pub(crate) wrapping: WrappingKey,
    /// KMS ciphertext of the bucket key, stored in each segment it seals.
    pub(crate) blob: Vec<u8>,
    made: Instant,
}

impl BucketKey {
    pub(crate) fn new(wrapping: WrappingKey, blob: Vec<u8>) -> Self {
        Self {
            wrapping,
            blob,
            made: Instant::now(),
        }
    }

    fn live(&self) -> bool {
        self.made.elapsed() < BUCKET_KEY_LIFETIME
    }
}

#[derive(Default)]
pub(crate) struct BucketKeys {
    /// (bucket, KMS key ARN) -> the key new segments are sealed under.
    sealing: Mutex<HashMap<(String, String), Arc<BucketKey>>>,
    /// Bucket-key blob -> its plaintext, for reads.
    opening: Mutex<HashMap<Vec<u8>, Arc<BucketKey>>>,
}

impl BucketKeys {
    pub(crate) fn for_sealing(&self, bucket: &str, key_arn: &str) -> Option<Arc<BucketKey>> {
        let map = self.sealing.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(bucket.to_owned(), key_arn.to_owned()))
            .filter(|k| k.live())
            .cloned()
    }

    pub(crate) fn for_opening(&self, blob: &[u8]) -> Option<Arc<BucketKey>> {
        let map = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        map.get(blob).filter(|k| k.live()).cloned()
    }

    pub(crate) fn keep_for_sealing(&self, bucket: &str, key_arn: &str, k: Arc<BucketKey>) {
        let mut map = self.sealing.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= LIMIT {
            map.retain(|_, k| k.live());
        }
        map.insert((bucket.to_owned(), key_arn.to_owned()), k.clone());
        drop(map);
        self.keep_for_opening(k);
    }

    pub(crate) fn keep_for_opening(&self, k: Arc<BucketKey>) {
        let mut map = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= LIMIT {
            map.retain(|_, k| k.live());
            if map.len() >= LIMIT {
                map.clear();
            }
        }
        map.insert(k.blob.clone(), k);
    }
}
