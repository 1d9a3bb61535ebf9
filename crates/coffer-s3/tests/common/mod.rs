//! Helpers the S3 domain's integration tests share. (Each test file uses some of them.)
#![allow(dead_code)]

use bytes::Bytes;
use coffer_s3::{BodyStream, ByteRange, Conditions, S3Core, S3Error, VersionSelector};
use futures::StreamExt as _;

/// Creates `name` for the test account in us-east-1.
pub(crate) async fn create_bucket(core: &S3Core, name: &str) -> Result<(), S3Error> {
    let name = coffer_s3::BucketName::parse(name)?;
    core.create_bucket("111122223333", &name, "us-east-1").await
}

/// `data` as a request body arriving in chunks of `chunk` bytes.
pub(crate) fn chunked(data: &[u8], chunk: usize) -> BodyStream {
    let chunks: Vec<Result<Bytes, Box<dyn std::error::Error + Send + Sync>>> = data
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures::stream::iter(chunks))
}

/// The plaintext of (a range of) an object, or the error that stopped it.
pub(crate) async fn read_all(
    core: &S3Core,
    bucket: &str,
    key: &str,
    range: Option<ByteRange>,
) -> Result<Vec<u8>, S3Error> {
    read(core, bucket, key, VersionSelector::Current, range).await
}

/// The plaintext of one version.
pub(crate) async fn read_version(
    core: &S3Core,
    bucket: &str,
    key: &str,
    version: VersionSelector<'_>,
) -> Result<Vec<u8>, S3Error> {
    read(core, bucket, key, version, None).await
}

async fn read(
    core: &S3Core,
    bucket: &str,
    key: &str,
    version: VersionSelector<'_>,
    range: Option<ByteRange>,
) -> Result<Vec<u8>, S3Error> {
    let r = core
        .get_object(bucket, key, version, range, &Conditions::default(), None)
        .await?;
    let mut out = Vec::new();
    let mut s = r.body;
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c?);
    }
    Ok(out)
}
