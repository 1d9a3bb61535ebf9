//! SSE-C: the client sends its own AES-256 key with every request. The key is never stored:
//! each segment's data key is wrapped by a key derived from it (per-segment salt), and the
//! object keeps only a salted MAC of it, so a wrong key is refused before anything is opened
//! (HEAD included) without the MAC revealing the key.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::rand::SecureRandom;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_crypto::{DataKey, KEY_LEN, WrappingKey, matches_check, salted_check};
use md5::Digest as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::S3Error;

/// Purpose label of the salted check an SSE-C object keeps of its key.
const CHECK_LABEL: &[u8] = b"coffer/sse-c/check/v1";

/// Random bytes mixed into the MAC and into every segment's wrapping key.
pub(crate) const SALT_LEN: usize = 16;

/// A customer-provided key from the `…-customer-algorithm/-key/-key-MD5` headers. Zeroized
/// on drop, never printed.
#[derive(Clone)]
pub struct CustomerKey {
    key: Zeroizing<[u8; KEY_LEN]>,
    md5: String,
}

impl std::fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CustomerKey(***)")
    }
}

/// Equal keys, compared in constant time (two requests' keys for the same upload).
impl PartialEq for CustomerKey {
    fn eq(&self, other: &Self) -> bool {
        verify_slices_are_equal(self.key.as_ref(), other.key.as_ref()).is_ok()
    }
}
impl Eq for CustomerKey {}

impl CustomerKey {
    /// The key of one header triple (`None` when none of the three is present), with S3's
    /// checks and error wording.
    pub fn from_headers(
        algorithm: Option<&str>,
        key_b64: Option<&str>,
        md5_b64: Option<&str>,
    ) -> Result<Option<Self>, S3Error> {
        let (algorithm, key_b64) = match (algorithm, key_b64, md5_b64) {
            (None, None, None) => return Ok(None),
            (None, _, _) => {
                return Err(S3Error::InvalidArgument(
                    "Requests specifying Server Side Encryption with Customer provided keys \
                     must provide a valid encryption algorithm."
                        .into(),
                ));
            }
            (Some(_), None, _) => {
                return Err(S3Error::InvalidArgument(
                    "Requests specifying Server Side Encryption with Customer provided keys \
                     must provide an appropriate secret key."
                        .into(),
                ));
            }
            (Some(a), Some(k), _) => (a, k),
        };
        if algorithm != "AES256" {
            return Err(S3Error::InvalidEncryptionAlgorithm);
        }
        let raw = Zeroizing::new(B64.decode(key_b64.trim()).unwrap_or_default());
        if raw.len() != KEY_LEN {
            return Err(S3Error::InvalidArgument(
                "The secret key was invalid for the specified algorithm.".into(),
            ));
        }
        let md5 = B64.encode(md5::Md5::digest(&raw[..]));
        let Some(given) = md5_b64 else {
            return Err(S3Error::InvalidArgument(
                "Requests specifying Server Side Encryption with Customer provided keys \
                 must provide the client calculated MD5 of the secret key."
                    .into(),
            ));
        };
        if given.trim() != md5 {
            return Err(S3Error::InvalidArgument(
                "The calculated MD5 hash of the key did not match the hash that was provided."
                    .into(),
            ));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&raw);
        Ok(Some(Self { key, md5 }))
    }

    /// Base64 MD5 of the key, echoed in `…-customer-key-MD5` responses.
    pub fn md5(&self) -> &str {
        &self.md5
    }

    /// A fresh salted MAC of this key, kept with the object.
    pub(crate) fn new_check(&self, rng: &dyn SecureRandom) -> Result<CustomerKeyCheck, S3Error> {
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt)
            .map_err(|_| coffer_crypto::CryptoError::Random)?;
        Ok(CustomerKeyCheck {
            md5: self.md5.clone(),
            salt: B64.encode(salt),
            mac: B64.encode(salted_check(self.key.as_ref(), CHECK_LABEL, &salt)),
        })
    }

    /// True if this is the key `check` was made from.
    pub(crate) fn matches(&self, check: &CustomerKeyCheck) -> bool {
        let (Ok(salt), Ok(mac)) = (B64.decode(&check.salt), B64.decode(&check.mac)) else {
            return false;
        };
        matches_check(self.key.as_ref(), CHECK_LABEL, &salt, &mac)
    }

    /// The key wrapping one segment's data key (`salt` stored with the segment).
    pub(crate) fn wrapping_key(&self, salt: &[u8]) -> WrappingKey {
        let mut label = b"coffer/sse-c/wrap/v1\0".to_vec();
        label.extend_from_slice(salt);
        WrappingKey::new(&DataKey::from_bytes(self.key.clone()).derive(&label))
    }
}

/// What an SSE-C object keeps of its key: the MD5 clients see, and a salted MAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerKeyCheck {
    pub md5: String,
    salt: String,
    mac: String,
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;

    use super::*;

    fn headers(raw: &[u8]) -> (String, String) {
        (B64.encode(raw), B64.encode(md5::Md5::digest(raw)))
    }

    #[test]
    fn header_checks() {
        let (k, m) = headers(&[7u8; 32]);
        let key = CustomerKey::from_headers(Some("AES256"), Some(&k), Some(&m))
            .unwrap()
            .unwrap();
        assert_eq!(key.md5(), m);
        assert!(
            CustomerKey::from_headers(None, None, None)
                .unwrap()
                .is_none()
        );
        let err = |a: Option<&str>, k: Option<&str>, m: Option<&str>| {
            CustomerKey::from_headers(a, k, m).unwrap_err()
        };
        assert!(matches!(
            err(Some("AES128"), Some(&k), Some(&m)),
            S3Error::InvalidEncryptionAlgorithm
        ));
        assert!(matches!(
            err(None, Some(&k), Some(&m)),
            S3Error::InvalidArgument(_)
        ));
        assert!(matches!(
            err(Some("AES256"), None, Some(&m)),
            S3Error::InvalidArgument(_)
        ));
        assert!(matches!(
            err(Some("AES256"), Some(&k), None),
            S3Error::InvalidArgument(_)
        ));
        let (short, short_md5) = headers(&[7u8; 16]);
        assert!(
            matches!(err(Some("AES256"), Some(&short), Some(&short_md5)), S3Error::InvalidArgument(m) if m.contains("secret key was invalid"))
        );
        let (_, other_md5) = headers(&[8u8; 32]);
        assert!(
            matches!(err(Some("AES256"), Some(&k), Some(&other_md5)), S3Error::InvalidArgument(m) if m.contains("MD5"))
        );
        assert_eq!(format!("{key:?}"), "CustomerKey(***)");
    }

    #[test]
    fn the_check_accepts_only_its_key() {
        let rng = SystemRandom::new();
        let key = |b: u8| {
            let (k, m) = headers(&[b; 32]);
            CustomerKey::from_headers(Some("AES256"), Some(&k), Some(&m))
                .unwrap()
                .unwrap()
        };
        let check = key(1).new_check(&rng).unwrap();
        assert!(key(1).matches(&check));
        assert!(!key(2).matches(&check));
        // The stored check holds neither the key nor anything equal across salts.
        let again = key(1).new_check(&rng).unwrap();
        assert_ne!(check.mac, again.mac);
        assert!(
            !serde_json::to_string(&check)
                .unwrap()
                .contains(&B64.encode([1u8; 32]))
        );
    }
}
