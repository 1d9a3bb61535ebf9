//! Conversions between s3s DTO fields and domain types.

use std::collections::BTreeMap;

use coffer_s3::{
    ChecksumAlgorithm, ChecksumValue, Conditions, ExpectedChecksum, Integrity, ObjectMeta,
    Precondition, S3Error, Tag,
};
use s3s::dto::{ETag, ETagCondition, Timestamp, TimestampFormat};
use s3s::{S3Result, s3_error};

pub(crate) fn timestamp(ms: i64) -> Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(t)
}

pub(crate) fn millis(t: Timestamp) -> i64 {
    let t: time::OffsetDateTime = t.into();
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The domain keeps ETags quoted, as they go on the wire.
pub(crate) fn etag(quoted: &str) -> ETag {
    ETag::Strong(quoted.trim_matches('"').to_owned())
}

fn condition(c: Option<ETagCondition>) -> Option<String> {
    c.map(|c| match c {
        ETagCondition::Any => "*".to_owned(),
        ETagCondition::ETag(e) => e.value().to_owned(),
    })
}

/// A conditional write's `If-Match` / `If-None-Match`, as S3 takes them: `If-None-Match`
/// only as `*`, and not both at once (both answered `NotImplemented`, as S3 does).
pub(crate) fn write_precondition(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
) -> S3Result<Precondition> {
    let not_implemented = |header: &str| {
        s3_error!(
            NotImplemented,
            "A header you provided implies functionality that is not implemented: {header}"
        )
    };
    match (if_match, if_none_match) {
        (None, None) => Ok(Precondition::None),
        (Some(_), Some(_)) => Err(not_implemented("If-Match with If-None-Match")),
        (None, Some(ETagCondition::Any)) => Ok(Precondition::Absent),
        (None, Some(ETagCondition::ETag(_))) => Err(not_implemented("If-None-Match")),
        (Some(ETagCondition::Any), None) => Ok(Precondition::Exists),
        (Some(ETagCondition::ETag(e)), None) => Ok(Precondition::EtagIs(e.value().to_owned())),
    }
}

/// [`write_precondition`] of raw headers (operations whose s3s input lacks the fields).
pub(crate) fn write_precondition_headers(headers: &http::HeaderMap) -> S3Result<Precondition> {
    let parse = |name: &str| -> S3Result<Option<ETagCondition>> {
        headers
            .get(name)
            .map(|v| {
                ETagCondition::parse_http_header(v.as_bytes())
                    .map_err(|_| s3_error!(InvalidArgument, "Invalid {name} header value"))
            })
            .transpose()
    };
    write_precondition(
        parse("if-match")?.as_ref(),
        parse("if-none-match")?.as_ref(),
    )
}

pub(crate) fn conditions(
    if_match: Option<ETagCondition>,
    if_none_match: Option<ETagCondition>,
    if_modified_since: Option<Timestamp>,
    if_unmodified_since: Option<Timestamp>,
) -> Conditions {
    Conditions {
        if_match: condition(if_match),
        if_none_match: condition(if_none_match),
        if_modified_since_ms: if_modified_since.map(millis),
        if_unmodified_since_ms: if_unmodified_since.map(millis),
    }
}

/// A time as an HTTP date (`Last-Modified`).
pub(crate) fn http_date(ms: i64) -> String {
    expires_string(Some(timestamp(ms))).unwrap_or_default()
}

/// Expires is kept as the HTTP date it arrived as.
pub(crate) fn expires_string(t: Option<Timestamp>) -> Option<String> {
    let t = t?;
    let mut buf = Vec::new();
    t.format(TimestampFormat::HttpDate, &mut buf).ok()?;
    String::from_utf8(buf).ok()
}

pub(crate) fn expires_timestamp(s: Option<&String>) -> Option<Timestamp> {
    Timestamp::parse(TimestampFormat::HttpDate, s?).ok()
}

/// Builds object metadata from the upload headers s3s parsed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn object_meta_of(
    content_type: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    cache_control: Option<String>,
    expires: Option<Timestamp>,
    metadata: Option<s3s::dto::Metadata>,
    tagging: Option<&str>,
) -> Result<ObjectMeta, S3Error> {
    let user: BTreeMap<String, String> = metadata
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    Ok(ObjectMeta {
        content_type,
        content_encoding,
        content_disposition,
        content_language,
        cache_control,
        expires: expires_string(expires),
        user,
        tags: tagging
            .map(parse_tagging_header)
            .transpose()?
            .unwrap_or_default(),
        storage_class: None,
    })
}

/// `x-amz-tagging: k1=v1&k2=v2` (URL-encoded query form).
pub(crate) fn parse_tagging_header(s: &str) -> Result<Vec<Tag>, S3Error> {
    let invalid = || {
        S3Error::InvalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.".into())
    };
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok(Tag {
                key: crate::wire_common::url_decode(k).ok_or_else(invalid)?,
                value: crate::wire_common::url_decode(v).ok_or_else(invalid)?,
            })
        })
        .collect()
}

/// `encoding-type=url`: what S3 does to keys and prefixes in listings.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn to_dto_tags(tags: Vec<Tag>) -> Vec<s3s::dto::Tag> {
    tags.into_iter()
        .map(|t| s3s::dto::Tag {
            key: Some(t.key),
            value: Some(t.value),
        })
        .collect()
}

pub(crate) fn from_dto_tags(tags: Vec<s3s::dto::Tag>) -> Vec<Tag> {
    tags.into_iter()
        .map(|t| Tag {
            key: t.key.unwrap_or_default(),
            value: t.value.unwrap_or_default(),
        })
        .collect()
}

/// The checksum headers of a request, in one shape.
#[derive(Default)]
pub(crate) struct ChecksumHeaders {
    pub(crate) algorithm: Option<s3s::dto::ChecksumAlgorithm>,
    pub(crate) crc32: Option<String>,
    pub(crate) crc32c: Option<String>,
    pub(crate) crc64nvme: Option<String>,
    pub(crate) sha1: Option<String>,
    pub(crate) sha256: Option<String>,
}

/// What the client promised about a body: `Content-MD5`, an `x-amz-checksum-*` header, or a
/// checksum trailer (read once the body has ended).
pub(crate) fn integrity(
    content_md5: Option<&str>,
    mut checksums: ChecksumHeaders,
    headers: &http::HeaderMap,
    trailers: Option<s3s::TrailingHeaders>,
) -> Result<Integrity, S3Error> {
    // An empty `Content-MD5` (which s3s reads as none) is an invalid digest, as on S3.
    let content_md5 = match (content_md5, headers.get("content-md5")) {
        (None, Some(_)) => return Err(S3Error::InvalidDigest),
        (md5, _) => md5.map(Integrity::parse_content_md5).transpose()?,
    };
    let header_value = checksums.given()?;
    let declared = match checksums.algorithm {
        Some(a) => Some(ChecksumAlgorithm::parse(a.as_str()).ok_or_else(|| {
            S3Error::InvalidRequest("Checksum algorithm provided is unsupported.".into())
        })?),
        None => None,
    };
    let trailer_name = headers
        .get("x-amz-trailer")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    let trailer_algo = trailer_name
        .as_deref()
        .and_then(|n| ChecksumAlgorithm::ALL.into_iter().find(|a| a.header() == n));
    if let (Some(d), Some((h, _))) = (declared, &header_value)
        && d != *h
    {
        return Err(S3Error::InvalidRequest(format!(
            "Value for x-amz-checksum-{} header is invalid.",
            d.name().to_ascii_lowercase()
        )));
    }
    let (algorithm, expected) = match (header_value, trailer_algo) {
        (Some((a, v)), _) => {
            ChecksumValue::parse(a, &v)?;
            (Some(a), Some(ExpectedChecksum::Header(v)))
        }
        (None, Some(a)) => {
            let name = a.header();
            let read = move || -> Option<String> {
                trailers?.read(|h| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned))?
            };
            (Some(a), Some(ExpectedChecksum::Trailer(Box::new(read))))
        }
        (None, None) => (declared, None),
    };
    Ok(Integrity {
        content_md5,
        algorithm,
        expected,
        length: None,
    })
}

/// The body length a PutObject or UploadPart declares: aws-chunked's
/// `x-amz-decoded-content-length` (the payload inside the chunk framing), else
/// `Content-Length`. (A browser form's length covers the whole form: not this.)
pub(crate) fn declared_length(headers: &http::HeaderMap) -> Result<Option<u64>, S3Error> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let chunked = header("x-amz-content-sha256").is_some_and(|v| v.starts_with("STREAMING-"))
        || header("content-encoding")
            .is_some_and(|v| v.split(',').any(|e| e.trim() == "aws-chunked"));
    let value = if chunked {
        header("x-amz-decoded-content-length")
    } else {
        header("content-length")
    };
    match value {
        None => Ok(None),
        Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
            S3Error::InvalidArgument(if chunked {
                "Invalid x-amz-decoded-content-length".into()
            } else {
                "Invalid Content-Length".into()
            })
        }),
    }
}

/// Puts a checksum into whichever `checksum_*` field of an output matches its algorithm.
macro_rules! set_checksum {
    ($out:expr, $value:expr) => {
        if let Some(v) = $value {
            let b = v.base64.clone();
            match v.algorithm {
                coffer_s3::ChecksumAlgorithm::Crc32 => $out.checksum_crc32 = Some(b),
                coffer_s3::ChecksumAlgorithm::Crc32c => $out.checksum_crc32c = Some(b),
                coffer_s3::ChecksumAlgorithm::Crc64Nvme => $out.checksum_crc64nvme = Some(b),
                coffer_s3::ChecksumAlgorithm::Sha1 => $out.checksum_sha1 = Some(b),
                coffer_s3::ChecksumAlgorithm::Sha256 => $out.checksum_sha256 = Some(b),
            }
        }
    };
}
pub(crate) use set_checksum;

/// Object metadata from an input with the usual header fields (moved out of it); `tagging`
/// is its `x-amz-tagging`, if the operation takes one.
macro_rules! object_meta {
    ($input:expr, $tagging:expr) => {
        $crate::s3::convert::object_meta_of(
            $input.content_type,
            $input.content_encoding,
            $input.content_disposition,
            $input.content_language,
            $input.cache_control,
            $input.expires,
            $input.metadata,
            $tagging,
        )
        .map(|mut m| {
            m.storage_class = $input.storage_class.as_ref().map(|c| c.as_str().to_owned());
            m
        })
    };
}
pub(crate) use object_meta;

/// Collects the checksum headers of an input that has the usual five fields.
impl ChecksumHeaders {
    /// The one `x-amz-checksum-*` value given, if any (two are refused, as S3 does).
    fn given(&mut self) -> Result<Option<(ChecksumAlgorithm, String)>, S3Error> {
        let given = [
            (ChecksumAlgorithm::Crc32, self.crc32.take()),
            (ChecksumAlgorithm::Crc32c, self.crc32c.take()),
            (ChecksumAlgorithm::Crc64Nvme, self.crc64nvme.take()),
            (ChecksumAlgorithm::Sha1, self.sha1.take()),
            (ChecksumAlgorithm::Sha256, self.sha256.take()),
        ];
        let mut values = given.into_iter().filter_map(|(a, v)| v.map(|v| (a, v)));
        let first = values.next();
        if values.next().is_some() {
            return Err(S3Error::InvalidRequest(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
                    .into(),
            ));
        }
        Ok(first)
    }

    /// The one checksum given, validated.
    pub(crate) fn value(mut self) -> Result<Option<ChecksumValue>, S3Error> {
        self.given()?
            .map(|(a, v)| ChecksumValue::parse(a, &v))
            .transpose()
    }
}

macro_rules! checksum_headers {
    ($input:expr, $algorithm:expr) => {
        $crate::s3::convert::ChecksumHeaders {
            algorithm: $algorithm,
            crc32: $input.checksum_crc32.take(),
            crc32c: $input.checksum_crc32c.take(),
            crc64nvme: $input.checksum_crc64nvme.take(),
            sha1: $input.checksum_sha1.take(),
            sha256: $input.checksum_sha256.take(),
        }
    };
}
pub(crate) use checksum_headers;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagging_header() {
        let tags = parse_tagging_header("a=1&b%20c=x%2Fy&empty=").unwrap();
        assert_eq!(
            tags[1],
            Tag {
                key: "b c".into(),
                value: "x/y".into()
            }
        );
        assert_eq!(tags[2].value, "");
        assert!(parse_tagging_header("a=%zz").is_err());
    }

    #[test]
    fn encoding() {
        assert_eq!(url_encode("a b/ü+"), "a%20b/%C3%BC%2B");
    }

    #[test]
    fn time_roundtrip() {
        assert_eq!(millis(timestamp(1_700_000_000_123)), 1_700_000_000_123);
    }
}
