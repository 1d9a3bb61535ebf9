//! The stored object format: plaintext cut into packages of [`PACKAGE_SIZE`] bytes, each
//! sealed with AES-256-GCM under the object's data key.
//!
//! Package `i` is stored as `ciphertext || tag` with
//! - nonce = `nonce_prefix (4 random bytes) || i (u64 big-endian)`,
//! - associated data = `context || i (u64 BE) || final flag (1 byte)`.
//!
//! The index in nonce and AAD stops reordering, the final flag stops truncation at a package
//! boundary, and the context (the object's identity) stops moving packages to another object.
//! An empty plaintext is still one (empty, final) package so that emptiness is authenticated.
//!
//! A layered object (DSSE) seals every package twice under independent keys, inner layer
//! first: `((plaintext || tag₁) encrypted) || tag₂`, same nonce and associated data per layer
//! (the keys differ). Each layer adds [`TAG_LEN`] bytes per package.

use aws_lc_rs::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce};
use aws_lc_rs::rand::SecureRandom;

use crate::{CryptoError, DataKey};

/// Plaintext bytes per package; a range read decrypts only the packages it touches.
pub const PACKAGE_SIZE: usize = 64 * 1024;
/// AES-GCM tag bytes appended to every package.
pub const TAG_LEN: usize = 16;
/// Random per-object part of every nonce.
pub const NONCE_PREFIX_LEN: usize = 4;

/// Number of packages for a plaintext of `plain_len` bytes (at least one).
pub fn package_count(plain_len: u64) -> u64 {
    plain_len.div_ceil(PACKAGE_SIZE as u64).max(1)
}

/// Stored length of a plaintext of `plain_len` bytes.
pub fn sealed_len(plain_len: u64) -> u64 {
    plain_len + package_count(plain_len) * TAG_LEN as u64
}

/// Seals consecutive packages of one object.
pub struct PackageSealer {
    /// Inner layer first.
    layers: Vec<LessSafeKey>,
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    aad: Vec<u8>,
    context_len: usize,
    next_index: u64,
    finished: bool,
}

impl PackageSealer {
    pub fn new(key: &DataKey, rng: &dyn SecureRandom, context: &[u8]) -> Result<Self, CryptoError> {
        Self::layered(&[key], rng, context)
    }

    /// A sealer that applies one layer per key, `keys[0]` innermost.
    pub fn layered(
        keys: &[&DataKey],
        rng: &dyn SecureRandom,
        context: &[u8],
    ) -> Result<Self, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::Malformed);
        }
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        rng.fill(&mut nonce_prefix)
            .map_err(|_| CryptoError::Random)?;
        Ok(Self {
            layers: keys.iter().map(|k| k.aead()).collect(),
            nonce_prefix,
            aad: context.to_vec(),
            context_len: context.len(),
            next_index: 0,
            finished: false,
        })
    }

    pub fn nonce_prefix(&self) -> [u8; NONCE_PREFIX_LEN] {
        self.nonce_prefix
    }

    /// Encrypts `buf` (at most [`PACKAGE_SIZE`] bytes) in place and appends the tag. Exactly
    /// the last package must be sealed with `is_final`; nothing may follow it.
    pub fn seal(&mut self, buf: &mut Vec<u8>, is_final: bool) -> Result<(), CryptoError> {
        if self.finished || buf.len() > PACKAGE_SIZE {
            return Err(CryptoError::Malformed);
        }
        let index = self.next_index;
        set_package_aad(&mut self.aad, self.context_len, index, is_final);
        for aead in &self.layers {
            let nonce = nonce_for(self.nonce_prefix, index);
            let tag = aead
                .seal_in_place_separate_tag(nonce, Aad::from(&self.aad), buf)
                .map_err(|_| CryptoError::Authentication)?;
            buf.extend_from_slice(tag.as_ref());
        }
        self.next_index += 1;
        self.finished = is_final;
        Ok(())
    }
}

/// Opens packages of one object, in any order (range reads start mid-object).
pub struct PackageOpener {
    /// Inner layer first, as sealed.
    layers: Vec<LessSafeKey>,
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    context: Vec<u8>,
}

impl PackageOpener {
    pub fn new(
        key: &DataKey,
        nonce_prefix: [u8; NONCE_PREFIX_LEN],
        context: &[u8],
    ) -> Result<Self, CryptoError> {
        Self::layered(&[key], nonce_prefix, context)
    }

    /// The opener of packages sealed by [`PackageSealer::layered`] with the same keys.
    pub fn layered(
        keys: &[&DataKey],
        nonce_prefix: [u8; NONCE_PREFIX_LEN],
        context: &[u8],
    ) -> Result<Self, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::Malformed);
        }
        Ok(Self {
            layers: keys.iter().map(|k| k.aead()).collect(),
            nonce_prefix,
            context: context.to_vec(),
        })
    }

    /// Bytes each stored package has beyond its plaintext (one tag per layer).
    pub fn overhead(&self) -> usize {
        TAG_LEN * self.layers.len()
    }

    /// Decrypts package `index` (`ciphertext || tag`) in place and returns the plaintext.
    pub fn open<'a>(
        &self,
        index: u64,
        is_final: bool,
        buf: &'a mut [u8],
    ) -> Result<&'a mut [u8], CryptoError> {
        let overhead = self.overhead();
        if buf.len() < overhead || buf.len() > PACKAGE_SIZE + overhead {
            return Err(CryptoError::Authentication);
        }
        let mut aad = self.context.clone();
        set_package_aad(&mut aad, self.context.len(), index, is_final);
        let mut len = buf.len();
        for aead in self.layers.iter().rev() {
            let nonce = nonce_for(self.nonce_prefix, index);
            len = aead
                .open_in_place(nonce, Aad::from(&aad), &mut buf[..len])
                .map_err(|_| CryptoError::Authentication)?
                .len();
        }
        Ok(&mut buf[..len])
    }
}

fn nonce_for(prefix: [u8; NONCE_PREFIX_LEN], index: u64) -> Nonce {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..NONCE_PREFIX_LEN].copy_from_slice(&prefix);
    nonce[NONCE_PREFIX_LEN..].copy_from_slice(&index.to_be_bytes());
    Nonce::assume_unique_for_key(nonce)
}

fn set_package_aad(aad: &mut Vec<u8>, context_len: usize, index: u64, is_final: bool) {
    aad.truncate(context_len);
    aad.extend_from_slice(&index.to_be_bytes());
    aad.push(u8::from(is_final));
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;

    use super::*;

    fn seal_all(key: &DataKey, ctx: &[u8], plain: &[u8]) -> (Vec<Vec<u8>>, [u8; 4]) {
        let rng = SystemRandom::new();
        let mut sealer = PackageSealer::new(key, &rng, ctx).unwrap();
        let chunks: Vec<&[u8]> = if plain.is_empty() {
            vec![&[][..]]
        } else {
            plain.chunks(PACKAGE_SIZE).collect()
        };
        let n = chunks.len();
        let mut out = Vec::new();
        for (i, c) in chunks.into_iter().enumerate() {
            let mut buf = c.to_vec();
            sealer.seal(&mut buf, i + 1 == n).unwrap();
            out.push(buf);
        }
        (out, sealer.nonce_prefix())
    }

    #[test]
    fn roundtrip_and_lengths() {
        let rng = SystemRandom::new();
        let key = DataKey::generate(&rng).unwrap();
        for len in [
            0usize,
            1,
            PACKAGE_SIZE - 1,
            PACKAGE_SIZE,
            PACKAGE_SIZE + 1,
            3 * PACKAGE_SIZE + 7,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let (pkgs, prefix) = seal_all(&key, b"ctx", &plain);
            assert_eq!(pkgs.len() as u64, package_count(len as u64));
            let total: usize = pkgs.iter().map(Vec::len).sum();
            assert_eq!(total as u64, sealed_len(len as u64));
            let opener = PackageOpener::new(&key, prefix, b"ctx").unwrap();
            let n = pkgs.len();
            let mut got = Vec::new();
            for (i, mut p) in pkgs.into_iter().enumerate() {
                got.extend_from_slice(opener.open(i as u64, i + 1 == n, &mut p).unwrap());
            }
            assert_eq!(got, plain);
        }
    }

    #[test]
    fn reorder_truncate_move_and_flip_fail() {
        let rng = SystemRandom::new();
        let key = DataKey::generate(&rng).unwrap();
        let plain = vec![7u8; 3 * PACKAGE_SIZE];
        let (pkgs, prefix) = seal_all(&key, b"bucket/a", &plain);
        let opener = PackageOpener::new(&key, prefix, b"bucket/a").unwrap();
        // Reordered: package 1 presented as package 0.
        assert!(opener.open(0, false, &mut pkgs[1].clone()).is_err());
        // Truncated: a non-final package presented as the last one.
        assert!(opener.open(1, true, &mut pkgs[1].clone()).is_err());
        // Moved to another object.
        let other = PackageOpener::new(&key, prefix, b"bucket/b").unwrap();
        assert!(other.open(0, false, &mut pkgs[0].clone()).is_err());
        // Any flipped byte.
        for pos in [
            0,
            100,
            PACKAGE_SIZE - 1,
            PACKAGE_SIZE,
            PACKAGE_SIZE + TAG_LEN - 1,
        ] {
            let mut bad = pkgs[0].clone();
            bad[pos] ^= 0x80;
            assert!(opener.open(0, false, &mut bad).is_err(), "flip at {pos}");
        }
        // Chopped package.
        assert!(opener.open(0, false, &mut pkgs[0][..10].to_vec()).is_err());
    }

    #[test]
    fn layered_packages_need_every_key_in_order() {
        let rng = SystemRandom::new();
        let (inner, outer) = (
            DataKey::generate(&rng).unwrap(),
            DataKey::generate(&rng).unwrap(),
        );
        let mut sealer = PackageSealer::layered(&[&inner, &outer], &rng, b"c").unwrap();
        let mut pkg = b"two layers".to_vec();
        sealer.seal(&mut pkg, true).unwrap();
        assert_eq!(pkg.len(), 10 + 2 * TAG_LEN);
        let prefix = sealer.nonce_prefix();
        let opener = PackageOpener::layered(&[&inner, &outer], prefix, b"c").unwrap();
        assert_eq!(opener.overhead(), 2 * TAG_LEN);
        assert_eq!(
            opener.open(0, true, &mut pkg.clone()).unwrap(),
            b"two layers"
        );
        // The inner key alone, or both in the wrong order, opens nothing.
        for keys in [vec![&inner], vec![&outer, &inner]] {
            let o = PackageOpener::layered(&keys, prefix, b"c").unwrap();
            assert!(o.open(0, true, &mut pkg.clone()).is_err());
        }
        // The outer key alone yields only the inner layer's ciphertext.
        let mut peeled = pkg.clone();
        let outer_only = PackageOpener::new(&outer, prefix, b"c").unwrap();
        let inner_sealed = outer_only.open(0, true, &mut peeled).unwrap().to_vec();
        assert_ne!(&inner_sealed[..10], b"two layers");
        let inner_only = PackageOpener::new(&inner, prefix, b"c").unwrap();
        assert_eq!(
            inner_only.open(0, true, &mut inner_sealed.clone()).unwrap(),
            b"two layers"
        );
    }

    #[test]
    fn nothing_after_final() {
        let rng = SystemRandom::new();
        let key = DataKey::generate(&rng).unwrap();
        let mut sealer = PackageSealer::new(&key, &rng, b"c").unwrap();
        sealer.seal(&mut vec![1], true).unwrap();
        assert!(sealer.seal(&mut vec![2], true).is_err());
        assert!(sealer.seal(&mut vec![0; PACKAGE_SIZE + 1], true).is_err());
    }
}
