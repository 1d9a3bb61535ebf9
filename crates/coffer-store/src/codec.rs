//! Binary encoding of segment lists inside a metadata row: `version:u8` (1), then
//! `count:u32` and per segment `plain_len:u64, kind:u8 (0 inline, 1 blob), len:u32 + bytes
//! (inline data or blob id), len:u32 + sealing`. A part's single segment is `version:u8`
//! and the segment. All integers big-endian.
//!
//! Rows written before the version byte (layout 0) start with the count's or the length's
//! high byte, which is always 0 for any list or length Coffer makes: a first byte of 0 reads
//! as layout 0, anything but a known version is refused.

use crate::{BlobId, Location, Segment, StoreError};

/// The layout this build writes.
const LAYOUT: u8 = 1;

pub(crate) fn encode_segments(segments: &[Segment]) -> Vec<u8> {
    let mut out = vec![LAYOUT];
    put_u32(&mut out, segments.len());
    for s in segments {
        encode_segment_into(&mut out, s);
    }
    out
}

pub(crate) fn encode_segment(segment: &Segment) -> Vec<u8> {
    let mut out = vec![LAYOUT];
    encode_segment_into(&mut out, segment);
    out
}

fn encode_segment_into(out: &mut Vec<u8>, s: &Segment) {
    out.extend_from_slice(&s.plain_len.to_be_bytes());
    match &s.location {
        Location::Inline(data) => {
            out.push(0);
            put_bytes(out, data);
        }
        Location::Blob(id) => {
            out.push(1);
            put_bytes(out, id.as_str().as_bytes());
        }
    }
    put_bytes(out, &s.sealing);
}

/// Skips the version byte of a layout-1 encoding; leaves a layout-0 one as it is.
fn layout(buf: &mut &[u8]) -> Result<(), StoreError> {
    match buf.first() {
        Some(0) => Ok(()),
        Some(&LAYOUT) => {
            *buf = &buf[1..];
            Ok(())
        }
        _ => Err(StoreError::Corrupt("unknown segment encoding version")),
    }
}

pub(crate) fn decode_segments(mut buf: &[u8]) -> Result<Vec<Segment>, StoreError> {
    layout(&mut buf)?;
    let n = take_u32(&mut buf)?;
    let mut out = Vec::with_capacity(n.min(10_000));
    for _ in 0..n {
        out.push(decode_segment_from(&mut buf)?);
    }
    if !buf.is_empty() {
        return Err(StoreError::Corrupt("trailing bytes after segments"));
    }
    Ok(out)
}

pub(crate) fn decode_segment(mut buf: &[u8]) -> Result<Segment, StoreError> {
    layout(&mut buf)?;
    let s = decode_segment_from(&mut buf)?;
    if !buf.is_empty() {
        return Err(StoreError::Corrupt("trailing bytes after segment"));
    }
    Ok(s)
}

fn decode_segment_from(buf: &mut &[u8]) -> Result<Segment, StoreError> {
    let plain_len = u64::from_be_bytes(take(buf, 8)?.try_into().map_err(|_| corrupt())?);
    let kind = take(buf, 1)?[0];
    let body = take_bytes(buf)?;
    let location = match kind {
        0 => Location::Inline(body.to_vec()),
        1 => Location::Blob(
            BlobId::parse(std::str::from_utf8(body).map_err(|_| corrupt())?).ok_or_else(corrupt)?,
        ),
        _ => return Err(corrupt()),
    };
    let sealing = take_bytes(buf)?.to_vec();
    Ok(Segment {
        plain_len,
        location,
        sealing,
    })
}

/// A string field of canonical bytes: `len:u64 || bytes`.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_blob(out, s.as_bytes());
}

/// A byte field of canonical bytes: `len:u64 || bytes`.
pub(crate) fn put_blob(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_be_bytes());
    out.extend_from_slice(b);
}

/// A segment in canonical bytes: `plain_len:u64`, then `0 || len(inline):u64` or
/// `1 || blob id`, then the sealing record.
pub(crate) fn put_authenticated_segment(out: &mut Vec<u8>, s: &Segment) {
    out.extend_from_slice(&s.plain_len.to_be_bytes());
    match &s.location {
        Location::Inline(data) => {
            out.push(0);
            out.extend_from_slice(&(data.len() as u64).to_be_bytes());
        }
        Location::Blob(id) => {
            out.push(1);
            put_str(out, id.as_str());
        }
    }
    put_blob(out, &s.sealing);
}

fn corrupt() -> StoreError {
    StoreError::Corrupt("segment encoding")
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    out.extend_from_slice(&n.to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len());
    out.extend_from_slice(b);
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], StoreError> {
    if buf.len() < n {
        return Err(corrupt());
    }
    let (head, tail) = buf.split_at(n);
    *buf = tail;
    Ok(head)
}

fn take_u32(buf: &mut &[u8]) -> Result<usize, StoreError> {
    let b: [u8; 4] = take(buf, 4)?.try_into().map_err(|_| corrupt())?;
    Ok(u32::from_be_bytes(b) as usize)
}

fn take_bytes<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], StoreError> {
    let n = take_u32(buf)?;
    take(buf, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let segs = vec![
            Segment {
                plain_len: 5,
                location: Location::Inline(vec![1, 2, 3]),
                sealing: vec![9; 61],
            },
            Segment {
                plain_len: 1 << 40,
                location: Location::Blob(BlobId::from_random([7; 16])),
                sealing: vec![],
            },
        ];
        let enc = encode_segments(&segs);
        assert_eq!(decode_segments(&enc).unwrap(), segs);
        for cut in 0..enc.len() {
            assert!(decode_segments(&enc[..cut]).is_err());
        }
        assert_eq!(decode_segment(&encode_segment(&segs[1])).unwrap(), segs[1]);
    }

    #[test]
    fn layout_zero_still_reads_and_unknown_layouts_are_refused() {
        let seg = Segment {
            plain_len: 3,
            location: Location::Inline(vec![0xAA]),
            sealing: vec![0xBB],
        };
        // Layout 0, byte for byte as releases before the version byte wrote it.
        let legacy_part: &[u8] = &[
            0, 0, 0, 0, 0, 0, 0, 3, // plain_len
            0, // inline
            0, 0, 0, 1, 0xAA, // data
            0, 0, 0, 1, 0xBB, // sealing
        ];
        let legacy_list = [&[0, 0, 0, 1][..], legacy_part].concat();
        assert_eq!(decode_segments(&legacy_list).unwrap(), vec![seg.clone()]);
        assert_eq!(decode_segment(legacy_part).unwrap(), seg);
        // This build writes layout 1.
        let enc = encode_segments(std::slice::from_ref(&seg));
        assert_eq!(enc[0], 1);
        assert_eq!(decode_segments(&enc).unwrap(), vec![seg.clone()]);
        let mut future = enc.clone();
        future[0] = 2;
        assert!(decode_segments(&future).is_err());
        let mut part = encode_segment(&seg);
        part[0] = 7;
        assert!(decode_segment(&part).is_err());
    }
}
