//! How one segment was sealed, stored opaquely by the store beside the segment:
//! `version:u8 = 1 || kind:u8 || nonce_prefix[4] || wrap || context`, where for
//! kind 1 (SSE-S3) `wrap = len:u16 || data key wrapped by the service key`, and for
//! kind 2 (SSE-KMS) `wrap = len:u16 || KMS ciphertext of the data key || len:u16 || key ARN`,
//! and for kind 3 (SSE-KMS with an S3 Bucket Key) `wrap = len:u16 || KMS ciphertext of the
//! bucket key || len:u16 || key ARN || len:u16 || data key wrapped by the bucket key`,
//! for kind 4 (SSE-C) `wrap = len:u16 || salt || len:u16 || data key wrapped by a key derived
//! from the customer's key and the salt`, and for kind 5 (DSSE-KMS, two package layers)
//! `wrap = len:u16 || KMS ciphertext of the inner layer's key || len:u16 || KMS ciphertext of
//! the outer layer's key || len:u16 || key ARN`.
//! The context is the object identity bound into every package and into the key wrap:
//! `bucket NUL key NUL origin`, where origin is `v:<version>` for a PUT or
//! `u:<upload id>:<part>` for a part.

use aws_lc_rs::rand::SecureRandom;
use coffer_crypto::{DataKey, NONCE_PREFIX_LEN, PackageOpener, PackageSealer, WrappingKey};

use crate::S3Error;
use crate::customer_key::{CustomerKey, SALT_LEN};

const VERSION: u8 = 1;
const KIND_SSE_S3: u8 = 1;
const KIND_SSE_KMS: u8 = 2;
const KIND_BUCKET_KEY: u8 = 3;
const KIND_SSE_C: u8 = 4;
const KIND_DSSE_KMS: u8 = 5;

/// Who holds the segment's data key.
pub(crate) enum Wrap {
    /// Wrapped by the SSE-S3 service key.
    ServiceKey(Vec<u8>),
    /// A KMS ciphertext blob of the data key, made under `key_arn`.
    Kms { blob: Vec<u8>, key_arn: String },
    /// Wrapped by an S3 Bucket Key, whose KMS ciphertext (context: the bucket ARN) is `blob`.
    BucketKey {
        blob: Vec<u8>,
        key_arn: String,
        wrapped: Vec<u8>,
    },
    /// Wrapped by a key derived from the customer's (SSE-C) key and `salt`.
    Customer { salt: Vec<u8>, wrapped: Vec<u8> },
    /// Two package layers, each data key its own KMS ciphertext under `key_arn`.
    DualKms {
        inner: Vec<u8>,
        outer: Vec<u8>,
        key_arn: String,
    },
}

pub(crate) struct Sealing {
    pub(crate) nonce_prefix: [u8; NONCE_PREFIX_LEN],
    pub(crate) wrap: Wrap,
    pub(crate) context: Vec<u8>,
}

impl Sealing {
    /// A fresh SSE-S3 data key for a new segment with identity `context`, and its sealer.
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
                wrap: Wrap::ServiceKey(wrapped_key),
                context,
            },
            sealer,
        ))
    }

    /// A segment sealed with a data key KMS generated (its plaintext in `data_key`).
    pub(crate) fn create_kms(
        data_key: &DataKey,
        blob: Vec<u8>,
        key_arn: String,
        rng: &dyn SecureRandom,
        context: Vec<u8>,
    ) -> Result<(Self, PackageSealer), S3Error> {
        let sealer = PackageSealer::new(data_key, rng, &context)?;
        Ok((
            Self {
                nonce_prefix: sealer.nonce_prefix(),
                wrap: Wrap::Kms { blob, key_arn },
                context,
            },
            sealer,
        ))
    }

    /// A fresh data key for a new segment, wrapped by a bucket key.
    pub(crate) fn create_under_bucket_key(
        bucket_key: &WrappingKey,
        blob: Vec<u8>,
        key_arn: String,
        rng: &dyn SecureRandom,
        context: Vec<u8>,
    ) -> Result<(Self, PackageSealer), S3Error> {
        let data_key = DataKey::generate(rng)?;
        let wrapped = bucket_key.wrap(&data_key, &context, rng)?;
        let sealer = PackageSealer::new(&data_key, rng, &context)?;
        Ok((
            Self {
                nonce_prefix: sealer.nonce_prefix(),
                wrap: Wrap::BucketKey {
                    blob,
                    key_arn,
                    wrapped,
                },
                context,
            },
            sealer,
        ))
    }

    /// A fresh data key for a new segment, wrapped under the customer's key.
    pub(crate) fn create_customer(
        customer: &CustomerKey,
        rng: &dyn SecureRandom,
        context: Vec<u8>,
    ) -> Result<(Self, PackageSealer), S3Error> {
        let mut salt = vec![0u8; SALT_LEN];
        rng.fill(&mut salt)
            .map_err(|_| coffer_crypto::CryptoError::Random)?;
        let data_key = DataKey::generate(rng)?;
        let wrapped = customer
            .wrapping_key(&salt)
            .wrap(&data_key, &context, rng)?;
        let sealer = PackageSealer::new(&data_key, rng, &context)?;
        Ok((
            Self {
                nonce_prefix: sealer.nonce_prefix(),
                wrap: Wrap::Customer { salt, wrapped },
                context,
            },
            sealer,
        ))
    }

    /// A two-layer segment (DSSE-KMS) under two data keys KMS generated.
    pub(crate) fn create_dual_kms(
        inner: (&DataKey, Vec<u8>),
        outer: (&DataKey, Vec<u8>),
        key_arn: String,
        rng: &dyn SecureRandom,
        context: Vec<u8>,
    ) -> Result<(Self, PackageSealer), S3Error> {
        let sealer = PackageSealer::layered(&[inner.0, outer.0], rng, &context)?;
        Ok((
            Self {
                nonce_prefix: sealer.nonce_prefix(),
                wrap: Wrap::DualKms {
                    inner: inner.1,
                    outer: outer.1,
                    key_arn,
                },
                context,
            },
            sealer,
        ))
    }

    /// The opener of a two-layer segment once both data keys are known.
    pub(crate) fn layered_opener(
        &self,
        inner: &DataKey,
        outer: &DataKey,
    ) -> Result<PackageOpener, S3Error> {
        Ok(PackageOpener::layered(
            &[inner, outer],
            self.nonce_prefix,
            &self.context,
        )?)
    }

    /// The opener once the data key is known (SSE-KMS keys come from KMS, see `S3Core`).
    pub(crate) fn opener_with(&self, data_key: &DataKey) -> Result<PackageOpener, S3Error> {
        Ok(PackageOpener::new(
            data_key,
            self.nonce_prefix,
            &self.context,
        )?)
    }

    pub(crate) fn unwrap_service_key(
        &self,
        service_key: &WrappingKey,
        wrapped: &[u8],
    ) -> Result<DataKey, S3Error> {
        service_key
            .unwrap(wrapped, &self.context)
            .map_err(|_| S3Error::Corrupt)
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.context.len());
        out.push(VERSION);
        match &self.wrap {
            Wrap::ServiceKey(w) => {
                out.push(KIND_SSE_S3);
                out.extend_from_slice(&self.nonce_prefix);
                put16(&mut out, w);
            }
            Wrap::Kms { blob, key_arn } => {
                out.push(KIND_SSE_KMS);
                out.extend_from_slice(&self.nonce_prefix);
                put16(&mut out, blob);
                put16(&mut out, key_arn.as_bytes());
            }
            Wrap::BucketKey {
                blob,
                key_arn,
                wrapped,
            } => {
                out.push(KIND_BUCKET_KEY);
                out.extend_from_slice(&self.nonce_prefix);
                put16(&mut out, blob);
                put16(&mut out, key_arn.as_bytes());
                put16(&mut out, wrapped);
            }
            Wrap::Customer { salt, wrapped } => {
                out.push(KIND_SSE_C);
                out.extend_from_slice(&self.nonce_prefix);
                put16(&mut out, salt);
                put16(&mut out, wrapped);
            }
            Wrap::DualKms {
                inner,
                outer,
                key_arn,
            } => {
                out.push(KIND_DSSE_KMS);
                out.extend_from_slice(&self.nonce_prefix);
                put16(&mut out, inner);
                put16(&mut out, outer);
                put16(&mut out, key_arn.as_bytes());
            }
        }
        out.extend_from_slice(&self.context);
        out
    }

    pub(crate) fn decode(b: &[u8]) -> Result<Self, S3Error> {
        if b.len() < 8 || b[0] != VERSION {
            return Err(S3Error::Corrupt);
        }
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(&b[2..6]);
        let mut rest = &b[6..];
        let wrap = match b[1] {
            KIND_SSE_S3 => Wrap::ServiceKey(take16(&mut rest)?.to_vec()),
            KIND_SSE_KMS => {
                let blob = take16(&mut rest)?.to_vec();
                let key_arn =
                    String::from_utf8(take16(&mut rest)?.to_vec()).map_err(|_| S3Error::Corrupt)?;
                Wrap::Kms { blob, key_arn }
            }
            KIND_BUCKET_KEY => {
                let blob = take16(&mut rest)?.to_vec();
                let key_arn =
                    String::from_utf8(take16(&mut rest)?.to_vec()).map_err(|_| S3Error::Corrupt)?;
                let wrapped = take16(&mut rest)?.to_vec();
                Wrap::BucketKey {
                    blob,
                    key_arn,
                    wrapped,
                }
            }
            KIND_SSE_C => Wrap::Customer {
                salt: take16(&mut rest)?.to_vec(),
                wrapped: take16(&mut rest)?.to_vec(),
            },
            KIND_DSSE_KMS => {
                let inner = take16(&mut rest)?.to_vec();
                let outer = take16(&mut rest)?.to_vec();
                let key_arn =
                    String::from_utf8(take16(&mut rest)?.to_vec()).map_err(|_| S3Error::Corrupt)?;
                Wrap::DualKms {
                    inner,
                    outer,
                    key_arn,
                }
            }
            _ => return Err(S3Error::Corrupt),
        };
        Ok(Self {
            nonce_prefix,
            wrap,
            context: rest.to_vec(),
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

fn put16(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
}

fn take16<'a>(b: &mut &'a [u8]) -> Result<&'a [u8], S3Error> {
    if b.len() < 2 {
        return Err(S3Error::Corrupt);
    }
    let n = u16::from_be_bytes([b[0], b[1]]) as usize;
    let v = b.get(2..2 + n).ok_or(S3Error::Corrupt)?;
    *b = &b[2 + n..];
    Ok(v)
}

/// Identity of a segment written by a PUT or copy.
pub(crate) fn object_context(bucket: &str, key: &str, version_id: &str, nonce: &str) -> Vec<u8> {
    format!("{bucket}\0{key}\0v:{version_id}:{nonce}").into_bytes()
}

/// Identity of a segment written as a multipart part.
pub(crate) fn part_context(bucket: &str, key: &str, upload_id: &str, part: u32) -> Vec<u8> {
    format!("{bucket}\0{key}\0u:{upload_id}:{part}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(wrap: Wrap) -> Sealing {
        let s = Sealing {
            nonce_prefix: [1, 2, 3, 4],
            wrap,
            context: b"b\0k\0v:1:x".to_vec(),
        };
        let bytes = s.encode();
        // Every truncation is refused, never misread.
        for cut in 0..bytes.len() - s.context.len() {
            assert!(Sealing::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let back = Sealing::decode(&bytes).unwrap();
        assert_eq!(back.nonce_prefix, s.nonce_prefix);
        assert_eq!(back.context, s.context);
        assert!(back.belongs_to("b", "k") && !back.belongs_to("b", "kk"));
        back
    }

    #[test]
    fn every_kind_round_trips() {
        assert!(
            matches!(roundtrip(Wrap::ServiceKey(vec![7; 61])).wrap, Wrap::ServiceKey(w) if w == vec![7; 61])
        );
        let arn = "arn:aws:kms:us-east-1:111122223333:key/k".to_owned();
        assert!(matches!(
            roundtrip(Wrap::Kms { blob: vec![8; 90], key_arn: arn.clone() }).wrap,
            Wrap::Kms { blob, key_arn } if blob == vec![8; 90] && key_arn == arn
        ));
        assert!(matches!(
            roundtrip(Wrap::BucketKey { blob: vec![9; 90], key_arn: arn.clone(), wrapped: vec![5; 61] }).wrap,
            Wrap::BucketKey { blob, key_arn, wrapped } if blob == vec![9; 90] && key_arn == arn && wrapped == vec![5; 61]
        ));
        assert!(matches!(
            roundtrip(Wrap::Customer { salt: vec![3; 16], wrapped: vec![4; 61] }).wrap,
            Wrap::Customer { salt, wrapped } if salt == vec![3; 16] && wrapped == vec![4; 61]
        ));
        assert!(matches!(
            roundtrip(Wrap::DualKms { inner: vec![1; 90], outer: vec![2; 91], key_arn: arn.clone() }).wrap,
            Wrap::DualKms { inner, outer, key_arn } if inner == vec![1; 90] && outer == vec![2; 91] && key_arn == arn
        ));
    }
}
