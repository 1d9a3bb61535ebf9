//! Authenticated records: every object, upload and part record carries a tag (HMAC-SHA256
//! under a root-key subkey, FORMAT.md) over all it says — the object's identity, size,
//! segment list, encryption mode and key ids, ETag, checksums, content headers, user
//! metadata and tags. A record is checked before anything is served from it, so an edited
//! row is an error, never a response.

use std::cell::RefCell;

use coffer_store::Authenticated;

use crate::{S3Core, S3Error};

thread_local! {
    /// Canonical bytes are built here, not in a fresh allocation per record: a GET's check
    /// must cost next to nothing.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(1024));
}

/// `f` over the canonical bytes `write` produces, in the thread's reused buffer.
fn with_canonical<R>(write: impl FnOnce(&mut Vec<u8>), f: impl FnOnce(&[u8]) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            write(&mut buf);
            let out = f(&buf);
            // A rare huge record (metadata is bounded, but be frugal) does not stay pinned.
            if buf.capacity() > 64 * 1024 {
                *buf = Vec::with_capacity(1024);
            }
            out
        }
        // Re-entered on this thread: use a buffer of its own.
        Err(_) => {
            let mut buf = Vec::new();
            write(&mut buf);
            f(&buf)
        }
    })
}

impl S3Core {
    /// Gives a record its tag, over everything it now says.
    pub(crate) fn tag_record<R: Authenticated>(&self, rec: &mut R) {
        let mac = with_canonical(
            |b| rec.write_authenticated(b),
            |bytes| self.records.tag(R::AUTH_KIND, bytes).to_vec(),
        );
        rec.set_mac(mac);
    }

    /// The record, if its tag is its own ([`S3Error::Corrupt`] otherwise).
    pub(crate) fn checked<R: Authenticated>(&self, rec: R) -> Result<R, S3Error> {
        let genuine = with_canonical(
            |b| rec.write_authenticated(b),
            |bytes| self.records.verify(R::AUTH_KIND, bytes, rec.mac()),
        );
        if genuine {
            Ok(rec)
        } else {
            Err(S3Error::Corrupt)
        }
    }
}
