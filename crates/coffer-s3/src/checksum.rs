//! Integrity checks computed while a body streams in: MD5 (the ETag, `Content-MD5`) and the
//! `x-amz-checksum-*` algorithms.

use std::fmt;

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use crc_fast::CrcAlgorithm;
use md5::Digest as _;
use serde::{Deserialize, Serialize};

use crate::S3Error;

/// The `x-amz-checksum-*` algorithms S3 supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    pub const ALL: [Self; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Crc64Nvme,
        Self::Sha1,
        Self::Sha256,
    ];

    /// As in `x-amz-checksum-algorithm` (`CRC32`, `CRC64NVME`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The request/response header carrying this checksum.
    pub fn header(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header())
    }
}

/// A checksum in its wire form (base64 of the big-endian digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksumValue {
    pub algorithm: ChecksumAlgorithm,
    pub base64: String,
}

impl ChecksumValue {
    /// Validates a client-supplied value: base64 of exactly the digest's length.
    pub fn parse(algorithm: ChecksumAlgorithm, base64: &str) -> Result<Self, S3Error> {
        match B64.decode(base64.trim()) {
            Ok(raw) if raw.len() == algorithm.digest_len() => Ok(Self {
                algorithm,
                base64: base64.trim().to_owned(),
            }),
            _ => Err(S3Error::InvalidRequest(format!(
                "Value for {} header is invalid.",
                algorithm.header()
            ))),
        }
    }

    pub fn raw(&self) -> Vec<u8> {
        B64.decode(&self.base64).unwrap_or_default()
    }
}

/// What the client promised about a body, checked once it has all arrived.
#[derive(Default)]
pub struct Integrity {
    /// Decoded `Content-MD5`.
    pub content_md5: Option<[u8; 16]>,
    /// Algorithm to compute and store (from `x-amz-checksum-algorithm`, a checksum header or
    /// the trailer declaration).
    pub algorithm: Option<ChecksumAlgorithm>,
    /// The expected value: known up front (a header) or only once the body ends (a trailer).
    pub expected: Option<ExpectedChecksum>,
    /// The plaintext length the client declared (`Content-Length`, or aws-chunked's
    /// `x-amz-decoded-content-length`): a body that ends up longer or shorter is refused.
    pub length: Option<u64>,
}

/// Where the expected checksum value comes from.
pub enum ExpectedChecksum {
    Header(String),
    /// Read after the body is consumed (aws-chunked trailers).
    Trailer(Box<dyn FnOnce() -> Option<String> + Send + Sync>),
}

impl Integrity {
    /// Verifies a whole request document (already in memory) against what was promised.
    pub fn verify_document(self, body: &[u8]) -> Result<(), S3Error> {
        let mut hashers = Hashers::new(self.algorithm);
        hashers.update(body);
        hashers.verify(self).map(|_| ())
    }

    /// Parses a `Content-MD5` header value.
    pub fn parse_content_md5(value: &str) -> Result<[u8; 16], S3Error> {
        B64.decode(value.trim())
            .ok()
            .and_then(|v| <[u8; 16]>::try_from(v).ok())
            .ok_or(S3Error::InvalidDigest)
    }
}

/// Running MD5 plus the optional checksum over a plaintext stream.
pub(crate) struct Hashers {
    md5: md5::Md5,
    checksum: Option<ChecksumHasher>,
}

impl Hashers {
    pub(crate) fn new(algorithm: Option<ChecksumAlgorithm>) -> Self {
        Self {
            md5: md5::Md5::new(),
            checksum: algorithm.map(ChecksumHasher::new),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        if let Some(c) = &mut self.checksum {
            c.update(data);
        }
    }

    /// The MD5 and checksum, after verifying both against what the client promised.
    pub(crate) fn verify(
        self,
        integrity: Integrity,
    ) -> Result<([u8; 16], Option<ChecksumValue>), S3Error> {
        let md5: [u8; 16] = self.md5.finalize().into();
        if let Some(expected) = integrity.content_md5
            && expected != md5
        {
            return Err(S3Error::BadDigest);
        }
        let Some(hasher) = self.checksum else {
            return Ok((md5, None));
        };
        let computed = hasher.finish();
        let expected = match integrity.expected {
            Some(ExpectedChecksum::Header(v)) => Some(v),
            // A trailer that was declared must arrive: without it nothing was verified.
            Some(ExpectedChecksum::Trailer(read)) => Some(read().ok_or(S3Error::MalformedTrailer)?),
            None => None,
        };
        if let Some(expected) = expected {
            let expected = ChecksumValue::parse(computed.algorithm, &expected)?;
            if expected.raw() != computed.raw() {
                return Err(S3Error::ChecksumMismatch(computed.algorithm));
            }
        }
        Ok((md5, Some(computed)))
    }
}

enum ChecksumHasher {
    Crc(ChecksumAlgorithm, Box<crc_fast::Digest>),
    Sha(ChecksumAlgorithm, digest::Context),
}

impl ChecksumHasher {
    fn new(algorithm: ChecksumAlgorithm) -> Self {
        let crc = |a| Self::Crc(algorithm, Box::new(crc_fast::Digest::new(a)));
        match algorithm {
            ChecksumAlgorithm::Crc32 => crc(CrcAlgorithm::Crc32IsoHdlc),
            ChecksumAlgorithm::Crc32c => crc(CrcAlgorithm::Crc32Iscsi),
            ChecksumAlgorithm::Crc64Nvme => crc(CrcAlgorithm::Crc64Nvme),
            ChecksumAlgorithm::Sha1 => Self::Sha(
                algorithm,
                digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY),
            ),
            ChecksumAlgorithm::Sha256 => {
                Self::Sha(algorithm, digest::Context::new(&digest::SHA256))
            }
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc(_, d) => d.update(data),
            Self::Sha(_, d) => d.update(data),
        }
    }

    fn finish(self) -> ChecksumValue {
        let (algorithm, raw) = match self {
            Self::Crc(a, d) => {
                let v = d.finalize();
                let raw = if a == ChecksumAlgorithm::Crc64Nvme {
                    v.to_be_bytes().to_vec()
                } else {
                    (v as u32).to_be_bytes().to_vec()
                };
                (a, raw)
            }
            Self::Sha(a, d) => (a, d.finish().as_ref().to_vec()),
        };
        ChecksumValue {
            algorithm,
            base64: B64.encode(raw),
        }
    }
}

/// The checksum of a multipart object from its parts' checksums: the COMPOSITE form S3 uses,
/// `base64(hash(part1 || part2 || ...))-N` for SHA and CRC alike.
pub(crate) fn composite(algorithm: ChecksumAlgorithm, parts: &[ChecksumValue]) -> ChecksumValue {
    let mut h = ChecksumHasher::new(algorithm);
    for p in parts {
        h.update(&p.raw());
    }
    let mut v = h.finish();
    v.base64 = format!("{}-{}", v.base64, parts.len());
    v
}

/// The FULL_OBJECT checksum of a multipart object: its parts' CRCs combined in order, as if
/// computed over the whole object (`None` for SHA algorithms, which cannot be combined).
pub(crate) fn full_object(
    algorithm: ChecksumAlgorithm,
    parts: &[ChecksumValue],
    sizes: &[u64],
) -> Option<ChecksumValue> {
    let crc = match algorithm {
        ChecksumAlgorithm::Crc32 => CrcAlgorithm::Crc32IsoHdlc,
        ChecksumAlgorithm::Crc32c => CrcAlgorithm::Crc32Iscsi,
        ChecksumAlgorithm::Crc64Nvme => CrcAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => return None,
    };
    let value = |p: &ChecksumValue| -> Option<u64> {
        let raw = p.raw();
        let mut buf = [0u8; 8];
        buf.get_mut(8 - raw.len()..)?.copy_from_slice(&raw);
        Some(u64::from_be_bytes(buf))
    };
    let mut whole = value(parts.first()?)?;
    for (p, size) in parts.iter().zip(sizes).skip(1) {
        whole = crc_fast::checksum_combine(crc, whole, value(p)?, *size);
    }
    let raw = if algorithm == ChecksumAlgorithm::Crc64Nvme {
        whole.to_be_bytes().to_vec()
    } else {
        u32::try_from(whole).ok()?.to_be_bytes().to_vec()
    };
    Some(ChecksumValue {
        algorithm,
        base64: B64.encode(raw),
    })
}

/// Hex MD5, the ETag of a single-part SSE-S3 object.
pub(crate) fn etag_of(md5: &[u8; 16]) -> String {
    let mut s = String::with_capacity(34);
    s.push('"');
    for b in md5 {
        s.push_str(&format!("{b:02x}"));
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checksum(a: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut h = Hashers::new(Some(a));
        h.update(data);
        h.verify(Integrity::default()).unwrap().1.unwrap().base64
    }

    #[test]
    fn known_vectors() {
        // Values as S3 / the AWS SDKs compute them for "hello world".
        let d = b"hello world";
        assert_eq!(checksum(ChecksumAlgorithm::Crc32, d), "DUoRhQ==");
        assert_eq!(checksum(ChecksumAlgorithm::Crc32c, d), "yZRlqg==");
        assert_eq!(
            checksum(ChecksumAlgorithm::Sha1, d),
            "Kq5sNclPz7QV2+lfQIuc6R7oRu0="
        );
        assert_eq!(
            checksum(ChecksumAlgorithm::Sha256, d),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert_eq!(checksum(ChecksumAlgorithm::Crc64Nvme, d), "jSnVw/bqjr4=");
    }

    #[test]
    fn mismatches() {
        let mut h = Hashers::new(Some(ChecksumAlgorithm::Crc32));
        h.update(b"hello world");
        let bad = Integrity {
            expected: Some(ExpectedChecksum::Header("AAAAAA==".into())),
            ..Integrity::default()
        };
        assert!(matches!(
            h.verify(bad),
            Err(S3Error::ChecksumMismatch(ChecksumAlgorithm::Crc32))
        ));
        let mut h = Hashers::new(None);
        h.update(b"x");
        let bad = Integrity {
            content_md5: Some([0; 16]),
            ..Integrity::default()
        };
        assert!(matches!(h.verify(bad), Err(S3Error::BadDigest)));
        assert!(matches!(
            Integrity::parse_content_md5("nope"),
            Err(S3Error::InvalidDigest)
        ));
    }

    #[test]
    fn full_object_crcs_combine_from_parts() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let cuts = [0, 33_333, 70_000, data.len()];
        for a in [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Crc64Nvme,
        ] {
            let parts: Vec<ChecksumValue> = cuts
                .windows(2)
                .map(|w| ChecksumValue {
                    algorithm: a,
                    base64: checksum(a, &data[w[0]..w[1]]),
                })
                .collect();
            let sizes: Vec<u64> = cuts.windows(2).map(|w| (w[1] - w[0]) as u64).collect();
            let whole = full_object(a, &parts, &sizes).unwrap();
            assert_eq!(whole.base64, checksum(a, &data), "{a:?}");
        }
        let sha = ChecksumValue {
            algorithm: ChecksumAlgorithm::Sha256,
            base64: checksum(ChecksumAlgorithm::Sha256, b"x"),
        };
        assert!(full_object(ChecksumAlgorithm::Sha256, &[sha], &[1]).is_none());
    }
}
