use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as TOKEN;
use coffer_s3::{ListPage, ListQuery, MAX_KEYS};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::CofferS3;
use super::convert::{etag, timestamp, url_encode};
use super::wire::s3_wire;

pub(super) fn max_keys(v: Option<i32>) -> S3Result<usize> {
    match v {
        None => Ok(MAX_KEYS),
        Some(n) if n < 0 => Err(s3_error!(
            InvalidArgument,
            "Argument maxKeys must be an integer between 0 and 2147483647"
        )),
        Some(n) => Ok(usize::try_from(n).unwrap_or(MAX_KEYS).min(MAX_KEYS)),
    }
}

pub(super) fn url_encoding(e: Option<&EncodingType>) -> S3Result<bool> {
    match e.map(EncodingType::as_str) {
        None => Ok(false),
        Some(EncodingType::URL) => Ok(true),
        Some(_) => Err(s3_error!(
            InvalidArgument,
            "Invalid Encoding Method specified in Request"
        )),
    }
}

pub(super) fn common_prefixes(prefixes: &[String], encode: bool) -> Vec<CommonPrefix> {
    prefixes
        .iter()
        .map(|p| CommonPrefix {
            prefix: Some(if encode { url_encode(p) } else { p.clone() }),
        })
        .collect()
}

impl CofferS3 {
    /// The page's objects; `owner` is the bucket's (with ACLs disabled, as every bucket here
    /// has, the bucket owner owns every object).
    fn contents(&self, page: &ListPage, encode: bool, owner: Option<&Owner>) -> Vec<Object> {
        page.objects
            .iter()
            .map(|o| Object {
                e_tag: Some(etag(&o.etag)),
                key: Some(if encode {
                    url_encode(&o.key)
                } else {
                    o.key.clone()
                }),
                last_modified: Some(timestamp(o.last_modified_ms)),
                owner: owner.cloned(),
                size: Some(i64::try_from(o.size).unwrap_or(i64::MAX)),
                storage_class: Some(ObjectStorageClass::from_static(
                    ObjectStorageClass::STANDARD,
                )),
                ..Default::default()
            })
            .collect()
    }

    pub(super) fn op_list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let input = req.input;
        let encode = url_encoding(input.encoding_type.as_ref())?;
        let q = ListQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone(),
            after: input.marker.clone().filter(|m| !m.is_empty()),
            max_keys: max_keys(input.max_keys)?,
        };
        let page = self.core.list_objects(&input.bucket, &q).map_err(s3_wire)?;
        let owner = self.bucket_owner(&input.bucket)?;
        let enc = |s: String| if encode { url_encode(&s) } else { s };
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(enc(q.prefix.clone())),
            marker: Some(enc(input.marker.unwrap_or_default())),
            max_keys: input.max_keys.or(Some(MAX_KEYS as i32)),
            is_truncated: Some(page.is_truncated),
            contents: Some(self.contents(&page, encode, Some(&owner))),
            common_prefixes: Some(common_prefixes(&page.common_prefixes, encode)),
            delimiter: input.delimiter.map(enc),
            // As S3: NextMarker only when a delimiter was given.
            next_marker: q
                .delimiter
                .is_some()
                .then_some(page.next_after)
                .flatten()
                .map(enc),
            encoding_type: input.encoding_type,
            request_charged: None,
        }))
    }

    pub(super) fn op_list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let encode = url_encoding(input.encoding_type.as_ref())?;
        let after = match &input.continuation_token {
            Some(t) => Some(decode_token(t)?),
            None => input.start_after.clone().filter(|s| !s.is_empty()),
        };
        let q = ListQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone(),
            after,
            max_keys: max_keys(input.max_keys)?,
        };
        let page = self.core.list_objects(&input.bucket, &q).map_err(s3_wire)?;
        let enc = |s: String| if encode { url_encode(&s) } else { s };
        let owner = match input.fetch_owner {
            Some(true) => Some(self.bucket_owner(&input.bucket)?),
            _ => None,
        };
        let contents = self.contents(&page, encode, owner.as_ref());
        let key_count = contents.len() + page.common_prefixes.len();
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(enc(q.prefix.clone())),
            max_keys: input.max_keys.or(Some(MAX_KEYS as i32)),
            key_count: Some(i32::try_from(key_count).unwrap_or(i32::MAX)),
            continuation_token: input.continuation_token,
            is_truncated: Some(page.is_truncated),
            next_continuation_token: page.next_after.as_deref().map(encode_token),
            contents: Some(contents),
            common_prefixes: Some(common_prefixes(&page.common_prefixes, encode)),
            delimiter: input.delimiter.map(enc),
            encoding_type: input.encoding_type,
            start_after: input.start_after.map(enc),
            request_charged: None,
        }))
    }
}

/// A continuation token: the last name of the previous page, opaque to clients.
pub(super) fn encode_token(last: &str) -> String {
    TOKEN.encode(last)
}

pub(super) fn decode_token(token: &str) -> S3Result<String> {
    TOKEN
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "The continuation token provided is incorrect"
            )
        })
}
