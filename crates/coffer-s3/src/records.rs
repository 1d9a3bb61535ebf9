//! Authenticated records: every object, upload and part record carries a tag (HMAC-SHA256
//! under a root-key subkey, FORMAT.md) over all it says — the object's identity, size,
//! segment list, encryption mode and key ids, ETag, checksums, content headers, user
//! metadata and tags. A record is checked before anything is served from it, so an edited
//! row is an error, never a response.

use coffer_store::{ObjectRecord, PartRecord, UploadRecord};

use crate::{S3Core, S3Error};

impl S3Core {
    pub(crate) fn tag_object(&self, rec: &mut ObjectRecord) {
        rec.mac = self
            .records
            .tag(ObjectRecord::AUTH_KIND, &rec.authenticated_bytes())
            .to_vec();
    }

    pub(crate) fn tag_upload(&self, rec: &mut UploadRecord) {
        rec.mac = self
            .records
            .tag(UploadRecord::AUTH_KIND, &rec.authenticated_bytes())
            .to_vec();
    }

    pub(crate) fn tag_part(&self, rec: &mut PartRecord) {
        rec.mac = self
            .records
            .tag(PartRecord::AUTH_KIND, &rec.authenticated_bytes())
            .to_vec();
    }

    pub(crate) fn check_object(&self, rec: ObjectRecord) -> Result<ObjectRecord, S3Error> {
        self.check(
            ObjectRecord::AUTH_KIND,
            &rec.authenticated_bytes(),
            &rec.mac,
        )?;
        Ok(rec)
    }

    pub(crate) fn check_upload(&self, rec: UploadRecord) -> Result<UploadRecord, S3Error> {
        self.check(
            UploadRecord::AUTH_KIND,
            &rec.authenticated_bytes(),
            &rec.mac,
        )?;
        Ok(rec)
    }

    pub(crate) fn check_part(&self, rec: PartRecord) -> Result<PartRecord, S3Error> {
        self.check(PartRecord::AUTH_KIND, &rec.authenticated_bytes(), &rec.mac)?;
        Ok(rec)
    }

    fn check(&self, kind: &[u8], bytes: &[u8], mac: &[u8]) -> Result<(), S3Error> {
        if self.records.verify(kind, bytes, mac) {
            Ok(())
        } else {
            Err(S3Error::Corrupt)
        }
    }
}
