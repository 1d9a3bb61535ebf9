use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::SecureRandom;
use zeroize::Zeroizing;

use crate::CryptoError;

/// Length of every symmetric key Coffer uses (AES-256).
pub const KEY_LEN: usize = 32;

/// Version byte of a wrapped key; bump when the layout below changes.
const WRAP_VERSION: u8 = 1;
/// `version || nonce || ciphertext(key) || tag`
const WRAPPED_LEN: usize = 1 + NONCE_LEN + KEY_LEN + 16;

/// A per-object (or per-part) AES-256 data key. Zeroized on drop, never printed.
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// A fresh random key.
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill(bytes.as_mut()).map_err(|_| CryptoError::Random)?;
        Ok(Self(bytes))
    }

    /// Takes ownership of raw key bytes (e.g. the root key read from the environment).
    pub fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        Self(bytes)
    }

    /// A subkey for one purpose (HKDF-SHA256 with `label` as info): lets the root key protect
    /// several kinds of secrets without one key ever serving two purposes.
    pub fn derive(&self, label: &[u8]) -> Self {
        use aws_lc_rs::hkdf;
        struct Len;
        impl hkdf::KeyType for Len {
            fn len(&self) -> usize {
                KEY_LEN
            }
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"coffer/derive/v1").extract(self.0.as_ref());
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        let info = [label];
        // Expanding 32 bytes from SHA-256 HKDF cannot fail (limit is 255 * 32).
        if let Ok(okm) = prk.expand(&info, Len) {
            let _ = okm.fill(out.as_mut());
        }
        Self(out)
    }

    /// The only way to the raw bytes; grep for it in review.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    pub(crate) fn aead(&self) -> LessSafeKey {
        // An AES-256 key of exactly KEY_LEN bytes is always accepted.
        let unbound = UnboundKey::new(&AES_256_GCM, self.0.as_ref())
            .unwrap_or_else(|_| unreachable!("32-byte AES-256 key is valid"));
        LessSafeKey::new(unbound)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

/// A key-encryption key: wraps data keys (the SSE-S3 service key) or other wrapping keys
/// (the root key wraps the service key). The AEAD is prepared once and reused.
pub struct WrappingKey {
    aead: LessSafeKey,
}

impl WrappingKey {
    pub fn new(key: &DataKey) -> Self {
        Self { aead: key.aead() }
    }

    /// Seals `key` so that it can only be unwrapped with the same `context` (the identity of
    /// what the key protects), so a wrapped key cannot be moved to another object.
    pub fn wrap(
        &self,
        key: &DataKey,
        context: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.push(WRAP_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(key.expose());
        let mut body = out.split_off(1 + NONCE_LEN);
        let tag = self
            .aead
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                &mut body,
            )
            .map_err(|_| CryptoError::Authentication)?;
        out.extend_from_slice(&body);
        out.extend_from_slice(tag.as_ref());
        body.fill(0);
        Ok(out)
    }

    /// Seals a short secret of any length (a secret access key) bound to `context`:
    /// `version || nonce || ciphertext || tag`. The result is zeroized by the caller's type.
    pub fn seal_secret(
        &self,
        secret: &[u8],
        context: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let mut body = Zeroizing::new(secret.to_vec());
        let tag = self
            .aead
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                body.as_mut_slice(),
            )
            .map_err(|_| CryptoError::Authentication)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + secret.len() + 16);
        out.push(WRAP_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    pub fn open_secret(
        &self,
        sealed: &[u8],
        context: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != WRAP_VERSION {
            return Err(CryptoError::Malformed);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| CryptoError::Malformed)?;
        let mut buf = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
        let len = self
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                buf.as_mut_slice(),
            )
            .map_err(|_| CryptoError::Authentication)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    pub fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<DataKey, CryptoError> {
        if wrapped.len() != WRAPPED_LEN || wrapped[0] != WRAP_VERSION {
            return Err(CryptoError::Malformed);
        }
        let nonce: [u8; NONCE_LEN] = wrapped[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| CryptoError::Malformed)?;
        let mut buf = Zeroizing::new([0u8; KEY_LEN + 16]);
        buf.copy_from_slice(&wrapped[1 + NONCE_LEN..]);
        let plain = self
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context),
                buf.as_mut(),
            )
            .map_err(|_| CryptoError::Authentication)?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(plain);
        Ok(DataKey(key))
    }
}

impl fmt::Debug for WrappingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WrappingKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;

    use super::*;

    #[test]
    fn wrap_roundtrip_and_context_binding() {
        let rng = SystemRandom::new();
        let kek = WrappingKey::new(&DataKey::generate(&rng).unwrap());
        let dk = DataKey::generate(&rng).unwrap();
        let wrapped = kek.wrap(&dk, b"ctx-a", &rng).unwrap();
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        assert_eq!(
            kek.unwrap(&wrapped, b"ctx-a").unwrap().expose(),
            dk.expose()
        );
        assert_eq!(
            kek.unwrap(&wrapped, b"ctx-b").unwrap_err(),
            CryptoError::Authentication
        );
        let other = WrappingKey::new(&DataKey::generate(&rng).unwrap());
        assert!(other.unwrap(&wrapped, b"ctx-a").is_err());
        for i in 0..wrapped.len() {
            let mut bad = wrapped.clone();
            bad[i] ^= 1;
            assert!(kek.unwrap(&bad, b"ctx-a").is_err(), "flip at {i} accepted");
        }
        assert_eq!(
            kek.unwrap(&wrapped[..10], b"ctx-a").unwrap_err(),
            CryptoError::Malformed
        );
    }

    #[test]
    fn derived_keys_differ_by_label_and_are_stable() {
        let root = DataKey::from_bytes(Zeroizing::new([9u8; KEY_LEN]));
        let a = root.derive(b"a");
        assert_eq!(a.expose(), root.derive(b"a").expose());
        assert_ne!(a.expose(), root.derive(b"b").expose());
        assert_ne!(a.expose(), root.expose());
        assert_ne!(a.expose(), &[0u8; KEY_LEN]);
    }

    #[test]
    fn sealed_secrets_roundtrip_and_bind_context() {
        let rng = SystemRandom::new();
        let kek = WrappingKey::new(&DataKey::generate(&rng).unwrap());
        let sealed = kek
            .seal_secret(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"AKIA1", &rng)
            .unwrap();
        assert_eq!(
            &kek.open_secret(&sealed, b"AKIA1").unwrap()[..],
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        );
        assert!(kek.open_secret(&sealed, b"AKIA2").is_err());
        let mut bad = sealed.clone();
        bad[20] ^= 1;
        assert!(kek.open_secret(&bad, b"AKIA1").is_err());
        assert!(kek.open_secret(&sealed[..5], b"AKIA1").is_err());
    }

    #[test]
    fn debug_hides_key() {
        let rng = SystemRandom::new();
        let dk = DataKey::generate(&rng).unwrap();
        assert_eq!(format!("{dk:?}"), "DataKey(***)");
    }
}
