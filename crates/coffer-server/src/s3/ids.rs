//! Identifiers a request names, parsed once at the edge: version ids (bucket names are parsed
//! where a bucket is created, `buckets.rs`).

use coffer_s3::VersionId;
use s3s::S3Result;

use super::wire::s3_wire;

/// A request's `versionId`: absent is the current version; one Coffer could not have made is
/// S3's `InvalidArgument`.
pub(crate) fn version(version_id: Option<&str>) -> S3Result<Option<VersionId>> {
    version_id
        .map(VersionId::parse)
        .transpose()
        .map_err(s3_wire)
}

/// `x-amz-version-id` of an object read: reported for versions with an id (a `null` version
/// is left out: knowing whether its bucket is versioned would cost every GET a lookup).
pub(crate) fn reported_version(version_id: &VersionId) -> Option<String> {
    (!version_id.is_null()).then(|| version_id.to_string())
}
