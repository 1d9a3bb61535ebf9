//! The download pipeline: only the packages a range touches are read and opened; any package
//! that fails authentication ends the stream with an error, so no wrong byte goes out.

use std::collections::VecDeque;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use coffer_crypto::{PACKAGE_SIZE, PackageOpener, package_count};
use coffer_store::{BlobReader, Location, ObjectRecord};
use futures::{Stream, StreamExt as _, stream};

use crate::sealing::Sealing;
use crate::write::blocking;
use crate::{ObjectEncryption, S3Core, S3Error};

/// Plaintext of (a range of) an object.
pub type PlainStream = Pin<Box<dyn Stream<Item = Result<Bytes, S3Error>> + Send>>;

/// A plaintext stream as an upload body (copies: the source feeds the write pipeline).
pub(crate) fn as_body(stream: PlainStream) -> crate::BodyStream {
    Box::pin(stream.map(|r| r.map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)))
}

/// Packages opened per read: ~1 MiB, large enough for throughput, small enough for memory.
const PACKAGES_PER_READ: u64 = 16;

enum Source {
    Inline(Arc<Vec<u8>>),
    Blob(Arc<dyn BlobReader>),
}

/// The part of one segment a read still has to deliver.
struct SegmentRead {
    opener: Arc<PackageOpener>,
    source: Source,
    plain_len: u64,
    /// Remaining plaintext range within the segment.
    range: Range<u64>,
}

impl S3Core {
    /// A stream of the plaintext bytes `range` of `rec`, whose encryption is `enc` (carrying
    /// the request's SSE-C key, already admitted, if any). Blobs are opened here, so a
    /// concurrent overwrite that removes them cannot cut this read short.
    pub(crate) fn read_range(
        &self,
        rec: &ObjectRecord,
        range: Range<u64>,
        enc: &ObjectEncryption,
    ) -> Result<PlainStream, S3Error> {
        let mut plan = VecDeque::new();
        let mut seg_start = 0u64;
        for seg in &rec.segments {
            let seg_end = seg_start + seg.plain_len;
            let (a, b) = (range.start.max(seg_start), range.end.min(seg_end));
            if a < b {
                let sealing = Sealing::decode(&seg.sealing)?;
                if !sealing.belongs_to(&rec.bucket, &rec.key) {
                    return Err(S3Error::Corrupt);
                }
                let source = match &seg.location {
                    Location::Inline(data) => Source::Inline(Arc::new(data.clone())),
                    Location::Blob(id) => Source::Blob(self.blobs.open(id)?),
                };
                plan.push_back(SegmentRead {
                    opener: Arc::new(self.opener_for(&sealing, &rec.bucket, &rec.key, enc)?),
                    source,
                    plain_len: seg.plain_len,
                    range: a - seg_start..b - seg_start,
                });
            }
            seg_start = seg_end;
        }
        Ok(Box::pin(stream::try_unfold(plan, |mut plan| async move {
            loop {
                let Some(seg) = plan.front_mut() else {
                    return Ok(None);
                };
                if seg.range.is_empty() {
                    plan.pop_front();
                    continue;
                }
                let chunk = read_chunk(seg).await?;
                return Ok(Some((chunk, plan)));
            }
        })))
    }

    /// Like [`S3Core::read_range`], but reads and verifies the first chunk before returning,
    /// so damage at the start becomes an error response instead of a cut connection.
    pub(crate) async fn read_range_checked(
        &self,
        rec: &ObjectRecord,
        range: Range<u64>,
        enc: &ObjectEncryption,
    ) -> Result<PlainStream, S3Error> {
        let mut s = self.read_range(rec, range, enc)?;
        match s.next().await {
            None => Ok(Box::pin(stream::empty())),
            Some(Err(e)) => Err(e),
            Some(Ok(first)) => Ok(Box::pin(stream::once(async { Ok(first) }).chain(s))),
        }
    }
}

/// Reads and opens up to [`PACKAGES_PER_READ`] packages of `seg`, returning the plaintext
/// that falls in its remaining range and advancing it.
async fn read_chunk(seg: &mut SegmentRead) -> Result<Bytes, S3Error> {
    let p = PACKAGE_SIZE as u64;
    // Tag bytes per package: one per encryption layer (two under DSSE-KMS).
    let tags = seg.opener.overhead();
    let count = package_count(seg.plain_len);
    let first = seg.range.start / p;
    let last = ((seg.range.end - 1) / p).min(first + PACKAGES_PER_READ - 1);
    let sealed_start = first * (p + tags as u64);
    let last_plain_end = ((last + 1) * p).min(seg.plain_len);
    let sealed_end = last_plain_end + (last + 1) * tags as u64;
    let want = seg.range.start..seg.range.end.min(last_plain_end);

    let opener = seg.opener.clone();
    let source = match &seg.source {
        Source::Inline(d) => Source::Inline(d.clone()),
        Source::Blob(f) => Source::Blob(f.clone()),
    };
    let open = move || -> Result<Bytes, S3Error> {
        let len = usize::try_from(sealed_end - sealed_start).map_err(|_| S3Error::Corrupt)?;
        let mut buf = match &source {
            Source::Inline(d) => {
                let s = usize::try_from(sealed_start).map_err(|_| S3Error::Corrupt)?;
                d.get(s..s + len).ok_or(S3Error::Corrupt)?.to_vec()
            }
            Source::Blob(f) => {
                let mut buf = vec![0u8; len];
                f.read_exact_at(&mut buf, sealed_start)
                    .map_err(|_| S3Error::Corrupt)?;
                buf
            }
        };
        let mut plain = Vec::with_capacity(len);
        for (i, sealed) in buf.chunks_mut(PACKAGE_SIZE + tags).enumerate() {
            let index = first + i as u64;
            let opened = opener
                .open(index, index + 1 == count, sealed)
                .map_err(|_| S3Error::Corrupt)?;
            plain.extend_from_slice(opened);
        }
        let skip = usize::try_from(want.start - first * p).map_err(|_| S3Error::Corrupt)?;
        let keep = usize::try_from(want.end - want.start).map_err(|_| S3Error::Corrupt)?;
        Ok(Bytes::from(plain).slice(skip..skip + keep))
    };
    // Inline segments are small (at most INLINE_MAX sealed bytes) and in memory: opening them
    // here costs less than a hand-off to the blocking pool. Blob reads go there.
    let out = if matches!(seg.source, Source::Inline(_)) {
        open()?
    } else {
        blocking(open).await??
    };
    seg.range.start = want.end;
    Ok(out)
}
