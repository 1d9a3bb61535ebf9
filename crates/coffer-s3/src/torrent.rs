//! GetObjectTorrent: a BitTorrent metainfo file for an object, as S3 makes one (256 KiB
//! pieces, SHA-1 piece hashes, the bucket and key in `x-amz-*` info fields). It names no
//! tracker, so clients find peers through the DHT, the only way that works off AWS.

use futures::StreamExt as _;

use crate::{Conditions, S3Core, S3Error, VersionSelector};

/// S3's piece length.
const PIECE_LEN: usize = 256 * 1024;
/// S3 makes torrents only of objects under 5 GB.
const MAX_TORRENT_OBJECT: u64 = 5 * 1024 * 1024 * 1024;

impl S3Core {
    pub async fn object_torrent(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
    ) -> Result<Vec<u8>, S3Error> {
        let got = self
            .get_object(bucket, key, version, None, &Conditions::default(), None)
            .await?;
        if got.info.size >= MAX_TORRENT_OBJECT {
            return Err(S3Error::InvalidRequest(
                "Torrents are available only for objects smaller than 5 GB".into(),
            ));
        }
        let mut pieces = Vec::new();
        let mut piece = Vec::with_capacity(PIECE_LEN);
        let mut body = got.body;
        while let Some(chunk) = body.next().await {
            let mut chunk = &chunk?[..];
            while !chunk.is_empty() {
                let take = (PIECE_LEN - piece.len()).min(chunk.len());
                piece.extend_from_slice(&chunk[..take]);
                chunk = &chunk[take..];
                if piece.len() == PIECE_LEN {
                    pieces.extend_from_slice(sha1(&piece).as_ref());
                    piece.clear();
                }
            }
        }
        if !piece.is_empty() {
            pieces.extend_from_slice(sha1(&piece).as_ref());
        }
        let name = key.rsplit('/').next().unwrap_or(key);
        // Bencoded dictionaries have their keys in byte order.
        let mut info = Vec::new();
        info.push(b'd');
        bstr(&mut info, b"length");
        bint(&mut info, got.info.size);
        bstr(&mut info, b"name");
        bstr(&mut info, name.as_bytes());
        bstr(&mut info, b"piece length");
        bint(&mut info, PIECE_LEN as u64);
        bstr(&mut info, b"pieces");
        bstr(&mut info, &pieces);
        bstr(&mut info, b"x-amz-bucket");
        bstr(&mut info, bucket.as_bytes());
        bstr(&mut info, b"x-amz-key");
        bstr(&mut info, key.as_bytes());
        info.push(b'e');
        let mut out = Vec::with_capacity(info.len() + 16);
        out.push(b'd');
        bstr(&mut out, b"info");
        out.extend_from_slice(&info);
        out.push(b'e');
        Ok(out)
    }
}

fn sha1(data: &[u8]) -> aws_lc_rs::digest::Digest {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
}

fn bstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(s.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(s);
}

fn bint(out: &mut Vec<u8>, n: u64) {
    out.push(b'i');
    out.extend_from_slice(n.to_string().as_bytes());
    out.push(b'e');
}
