//! How one segment was sealed, stored opaquely by the store beside the segment:
//! `version:u8 = 1 || kind:u8 (1 = SSE-S3) || nonce_prefix[4] || wrapped_len:u16 ||
//! wrapped data key || context`. The context is the object identity bound into every package
//! and into the key wrap: `bucket NUL key NUL origin`, where origin is `v:<version>` for a PUT
//! or `u:<upload id>:<part>` for a part.

use aws_lc_rs::rand::SecureRandom;
use coffer_crypto::{DataKey, NONCE_PREFIX_LEN, PackageOpener, PackageSealer, WrappingKey};

use crate::S3Error;

const VERSION: u8 = 1;
const KIND_SSE_S3: u8 = 1;

pub(crate) struct Sealing {
    pub(crate) nonce_prefix: [u8; NONCE_PREFIX_LEN],
    pub(crate) wrapped_key: Vec<u8>,
    pub(crate) context: Vec<u8>,
}

impl Sealing {
    /// A fresh data key for a new segment with identity `context`, and its sealer.
    pub(crate) fn create(
        service_key: &WrappingKey,
        rng: &dyn SecureRandom,
        context: Vec<u8>,
    ) -> Result<(Self, PackageSealer), S3Error> {
        let data_key = DataKey::generate(rng)?;
        let wrapped_key = service_key.wrap(&data_key, &context, rng)?;
        let sealer = PackageSealer::new(&data_key, rng, &context)?;
        Ok((
            Self {
                nonce_prefix: sealer.nonce_prefix(),
                wrapped_key,
                context,
            },
            sealer,
        ))
    }

    pub(crate) fn opener(&self, service_key: &WrappingKey) -> Result<PackageOpener, S3Error> {
        let data_key = service_key
            .unwrap(&self.wrapped_key, &self.context)
            .map_err(|_| S3Error::Corrupt)?;
        Ok(PackageOpener::new(
            &data_key,
            self.nonce_prefix,
            &self.context,
        )?)
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.wrapped_key.len() + self.context.len());
        out.push(VERSION);
        out.push(KIND_SSE_S3);
        out.extend_from_slice(&self.nonce_prefix);
        out.extend_from_slice(&(self.wrapped_key.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.wrapped_key);
        out.extend_from_slice(&self.context);
        out
    }

    pub(crate) fn decode(b: &[u8]) -> Result<Self, S3Error> {
        if b.len() < 8 || b[0] != VERSION || b[1] != KIND_SSE_S3 {
            return Err(S3Error::Corrupt);
        }
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(&b[2..6]);
        let n = u16::from_be_bytes([b[6], b[7]]) as usize;
        let wrapped_key = b.get(8..8 + n).ok_or(S3Error::Corrupt)?.to_vec();
        let context = b[8 + n..].to_vec();
        Ok(Self {
            nonce_prefix,
            wrapped_key,
            context,
        })
    }

    /// True if this segment was sealed for an object at (bucket, key): a segment moved to
    /// another object is refused before any byte is decrypted.
    pub(crate) fn belongs_to(&self, bucket: &str, key: &str) -> bool {
        let mut expected = Vec::with_capacity(bucket.len() + key.len() + 2);
        expected.extend_from_slice(bucket.as_bytes());
        expected.push(0);
        expected.extend_from_slice(key.as_bytes());
        expected.push(0);
        self.context.starts_with(&expected)
    }
}

/// Identity of a segment written by a PUT or copy.
pub(crate) fn object_context(bucket: &str, key: &str, version_id: &str, nonce: &str) -> Vec<u8> {
    format!("{bucket}\0{key}\0v:{version_id}:{nonce}").into_bytes()
}

/// Identity of a segment written as a multipart part.
pub(crate) fn part_context(bucket: &str, key: &str, upload_id: &str, part: u32) -> Vec<u8> {
    format!("{bucket}\0{key}\0u:{upload_id}:{part}").into_bytes()
}
