//! KMS ciphertext blobs:
//! `version=1 (1) || key id (36, ASCII) || key version (u32 BE) || nonce (12) || ciphertext ||
//! tag (16)`. The header and the canonical encryption context are the AES-GCM associated
//! data, so a changed header byte, context entry or ciphertext byte fails to decrypt.

use std::collections::BTreeMap;

use crate::KmsError;

pub(crate) const VERSION: u8 = 1;
pub(crate) const KEY_ID_LEN: usize = 36;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

pub(crate) struct Blob<'a> {
    pub(crate) key_id: &'a str,
    pub(crate) key_version: u32,
    pub(crate) nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the tag.
    pub(crate) sealed: &'a [u8],
    pub(crate) header: &'a [u8],
}

pub(crate) fn header(key_id: &str, key_version: u32) -> Result<Vec<u8>, KmsError> {
    if key_id.len() != KEY_ID_LEN {
        return Err(KmsError::Corrupt);
    }
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.push(VERSION);
    h.extend_from_slice(key_id.as_bytes());
    h.extend_from_slice(&key_version.to_be_bytes());
    Ok(h)
}

pub(crate) fn parse(b: &[u8]) -> Result<Blob<'_>, KmsError> {
    if b.len() < HEADER_LEN + NONCE_LEN + TAG_LEN || b[0] != VERSION {
        return Err(KmsError::InvalidCiphertext);
    }
    let key_id =
        std::str::from_utf8(&b[1..1 + KEY_ID_LEN]).map_err(|_| KmsError::InvalidCiphertext)?;
    let key_version = u32::from_be_bytes(
        b[1 + KEY_ID_LEN..HEADER_LEN]
            .try_into()
            .map_err(|_| KmsError::InvalidCiphertext)?,
    );
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&b[HEADER_LEN..HEADER_LEN + NONCE_LEN]);
    Ok(Blob {
        key_id,
        key_version,
        nonce,
        sealed: &b[HEADER_LEN + NONCE_LEN..],
        header: &b[..HEADER_LEN],
    })
}

/// Associated data: the header, then each context pair length-prefixed in key order.
pub(crate) fn aad(header: &[u8], context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = header.to_vec();
    for (k, v) in context {
        for s in [k, v] {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
    out
}
