//! Authenticated records: every object, upload and part record carries a tag (HMAC-SHA256
//! under a root-key subkey, FORMAT.md) over all it says — the object's identity, size,
//! segment list, encryption mode and key ids, ETag, checksums, content headers, user
//! metadata and tags. A record is checked before anything is served from it, so an edited
//! row is an error, never a response.

use std::cell::RefCell;

use coffer_store::{ObjectRecord, PartRecord, UploadRecord};

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
    pub(crate) fn tag_object(&self, rec: &mut ObjectRecord) {
        rec.mac = self.tag(ObjectRecord::AUTH_KIND, |b| rec.write_authenticated(b));
    }

    pub(crate) fn tag_upload(&self, rec: &mut UploadRecord) {
        rec.mac = self.tag(UploadRecord::AUTH_KIND, |b| rec.write_authenticated(b));
    }

    pub(crate) fn tag_part(&self, rec: &mut PartRecord) {
        rec.mac = self.tag(PartRecord::AUTH_KIND, |b| rec.write_authenticated(b));
    }

    pub(crate) fn check_object(&self, rec: ObjectRecord) -> Result<ObjectRecord, S3Error> {
        self.check(ObjectRecord::AUTH_KIND, &rec.mac, |b| {
            rec.write_authenticated(b)
        })?;
        Ok(rec)
    }

    pub(crate) fn check_upload(&self, rec: UploadRecord) -> Result<UploadRecord, S3Error> {
        self.check(UploadRecord::AUTH_KIND, &rec.mac, |b| {
            rec.write_authenticated(b)
        })?;
        Ok(rec)
    }

    pub(crate) fn check_part(&self, rec: PartRecord) -> Result<PartRecord, S3Error> {
        self.check(PartRecord::AUTH_KIND, &rec.mac, |b| {
            rec.write_authenticated(b)
        })?;
        Ok(rec)
    }

    fn tag(&self, kind: &[u8], write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        with_canonical(write, |bytes| self.records.tag(kind, bytes).to_vec())
    }

    fn check(
        &self,
        kind: &[u8],
        mac: &[u8],
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), S3Error> {
        if with_canonical(write, |bytes| self.records.verify(kind, bytes, mac)) {
            Ok(())
        } else {
            Err(S3Error::Corrupt)
        }
    }
}
