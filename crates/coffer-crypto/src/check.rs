//! Recognising a secret again without keeping it: a salted HMAC-SHA256 of the secret, bound
//! to a purpose label (`HMAC(secret, label || 0x00 || salt)`), compared in constant time. Used
//! for SSE-C keys and imported KMS key material.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;

/// Length of every salted check.
pub const CHECK_LEN: usize = 32;

/// The salted check of `secret` for `label`.
pub fn salted_check(secret: &[u8], label: &[u8], salt: &[u8]) -> [u8; CHECK_LEN] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut msg = Vec::with_capacity(label.len() + 1 + salt.len());
    msg.extend_from_slice(label);
    msg.push(0);
    msg.extend_from_slice(salt);
    let mut out = [0u8; CHECK_LEN];
    out.copy_from_slice(hmac::sign(&key, &msg).as_ref());
    out
}

/// True if `check` is the salted check of `secret` for `label` (constant time).
pub fn matches_check(secret: &[u8], label: &[u8], salt: &[u8], check: &[u8]) -> bool {
    verify_slices_are_equal(&salted_check(secret, label, salt), check).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_bound_to_secret_label_and_salt() {
        let c = salted_check(b"secret", b"purpose/v1", b"salt");
        assert!(matches_check(b"secret", b"purpose/v1", b"salt", &c));
        assert!(!matches_check(b"secreT", b"purpose/v1", b"salt", &c));
        assert!(!matches_check(b"secret", b"purpose/v2", b"salt", &c));
        assert!(!matches_check(b"secret", b"purpose/v1", b"salT", &c));
        assert!(!matches_check(b"secret", b"purpose/v1", b"salt", &c[..31]));
    }
}
