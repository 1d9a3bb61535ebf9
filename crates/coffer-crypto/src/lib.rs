//! Coffer's cryptography: the encrypted object format and key wrapping.
//!
//! Owns: the byte format of stored objects (64 KiB AES-256-GCM packages bound to the object's
//! identity), data keys, and the wrapping of one key by another (root key → service key →
//! per-object data key). Never touches files, clocks or the network: randomness is passed in.
//!
//! ```
//! use aws_lc_rs::rand::SystemRandom;
//! use coffer_crypto::{DataKey, PackageSealer, PackageOpener, PACKAGE_SIZE};
//!
//! let rng = SystemRandom::new();
//! let key = DataKey::generate(&rng).unwrap();
//! let context = b"bucket/key/null";
//! let mut sealer = PackageSealer::new(&key, &rng, context).unwrap();
//! let mut pkg = b"hello".to_vec();
//! sealer.seal(&mut pkg, true).unwrap();
//! let opener = PackageOpener::new(&key, sealer.nonce_prefix(), context).unwrap();
//! let plain = opener.open(0, true, &mut pkg).unwrap();
//! assert_eq!(plain, b"hello");
//! # let _ = PACKAGE_SIZE;
//! ```

mod check;
mod error;
mod keys;
mod package;
mod record;

pub use check::{CHECK_LEN, matches_check, salted_check};
pub use error::CryptoError;
pub use keys::{DataKey, KEY_LEN, WrappingKey};
pub use package::{
    NONCE_PREFIX_LEN, PACKAGE_SIZE, PackageOpener, PackageSealer, TAG_LEN, package_count,
    sealed_len,
};
pub use record::{RECORD_TAG_LEN, RecordKey};
