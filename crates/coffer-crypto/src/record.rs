//! Authenticating metadata records at rest: HMAC-SHA256 under a root-key subkey over a
//! record's canonical bytes, bound to the record's kind. A record whose tag does not verify
//! (a byte of it edited in the database, a tag copied from another record) is refused.

use aws_lc_rs::hmac;

/// Length of every record tag.
pub const RECORD_TAG_LEN: usize = 32;

/// The key that tags metadata records. Derive it from the root key for this one purpose.
pub struct RecordKey {
    key: hmac::Key,
}

impl RecordKey {
    pub fn new(key: &crate::DataKey) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key.expose()),
        }
    }

    /// The tag of a record of `kind` (e.g. `b"object/v1"`) whose canonical bytes are `bytes`.
    pub fn tag(&self, kind: &[u8], bytes: &[u8]) -> [u8; RECORD_TAG_LEN] {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(&(kind.len() as u32).to_be_bytes());
        ctx.update(kind);
        ctx.update(bytes);
        let mut out = [0u8; RECORD_TAG_LEN];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }

    /// True if `tag` is the tag of this record (constant time).
    pub fn verify(&self, kind: &[u8], bytes: &[u8], tag: &[u8]) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(&self.tag(kind, bytes), tag).is_ok()
    }
}

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::*;
    use crate::DataKey;

    #[test]
    fn tags_bind_key_kind_and_every_byte() {
        let k = RecordKey::new(&DataKey::from_bytes(Zeroizing::new([1; 32])));
        let other = RecordKey::new(&DataKey::from_bytes(Zeroizing::new([2; 32])));
        let t = k.tag(b"object/v1", b"record bytes");
        assert!(k.verify(b"object/v1", b"record bytes", &t));
        assert!(!other.verify(b"object/v1", b"record bytes", &t));
        assert!(!k.verify(b"part/v1", b"record bytes", &t));
        assert!(!k.verify(b"object/v1", b"record byteS", &t));
        assert!(!k.verify(b"object/v1", b"record bytes", &t[..31]));
        assert!(!k.verify(b"object/v1", b"record bytes", &[]));
        // The kind is length-prefixed: moving bytes between kind and record changes the tag.
        assert!(!k.verify(b"object/v1r", b"ecord bytes", &t));
    }
}
