//! The SSE headers of S3 requests and responses: the SSE-C key triples, the encryption a
//! write asks for (`x-amz-server-side-encryption`, its KMS key, bucket key and additional
//! context), and the headers an answer carries.

use std::collections::BTreeMap;

use base64::Engine as _;
use coffer_s3::CustomerKey;
use s3s::dto::*;
use s3s::{S3Result, s3_error};

use super::wire::s3_wire;

/// The SSE-C key of an input's `…-customer-algorithm/-key/-key-MD5` headers; with
/// `copy_source`, of its `x-amz-copy-source-…-customer-*` headers.
macro_rules! customer_key {
    ($input:expr) => {
        $crate::s3::sse::customer_key_of(
            $input.sse_customer_algorithm.as_ref(),
            $input.sse_customer_key.as_ref(),
            $input.sse_customer_key_md5.as_ref(),
        )
    };
    ($input:expr, copy_source) => {
        $crate::s3::sse::customer_key_of(
            $input.copy_source_sse_customer_algorithm.as_ref(),
            $input.copy_source_sse_customer_key.as_ref(),
            $input.copy_source_sse_customer_key_md5.as_ref(),
        )
    };
}
pub(crate) use customer_key;

/// The SSE-C key of one header triple.
pub(super) fn customer_key_of(
    algorithm: Option<&String>,
    key: Option<&String>,
    md5: Option<&String>,
) -> S3Result<Option<CustomerKey>> {
    CustomerKey::from_headers(
        algorithm.map(String::as_str),
        key.map(String::as_str),
        md5.map(String::as_str),
    )
    .map_err(s3_wire)
}

/// `x-amz-server-side-encryption-context`: base64 of a JSON string-to-string map.
fn additional_context(header: Option<&String>) -> S3Result<Option<BTreeMap<String, String>>> {
    let Some(h) = header else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(h.trim())
        .ok()
        .and_then(|json| serde_json::from_slice::<BTreeMap<String, String>>(&json).ok())
        .map(Some)
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map"
            )
        })
}

/// An object's additional encryption context as the response header carries it.
pub(super) fn context_header(e: &coffer_s3::ObjectEncryption) -> Option<String> {
    let c = e.kms_context.as_ref()?;
    Some(base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(c).ok()?))
}

/// The SSE headers of a write: algorithm, KMS key, bucket key, additional context.
pub(super) struct SseRequest<'a> {
    pub(super) sse: Option<&'a ServerSideEncryption>,
    pub(super) kms_key: Option<&'a String>,
    pub(super) bucket_key: Option<bool>,
    pub(super) context: Option<&'a String>,
}

/// The encryption a request asks for (`None`: the bucket's default).
pub(super) fn requested_encryption(
    r: SseRequest<'_>,
    customer: Option<CustomerKey>,
) -> S3Result<Option<coffer_s3::Encryption>> {
    let SseRequest {
        sse,
        kms_key,
        bucket_key,
        context,
    } = r;
    let context = additional_context(context)?;
    if let Some(customer) = customer {
        if sse.is_some() || kms_key.is_some() || context.is_some() {
            return Err(s3_error!(
                InvalidArgument,
                "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"
            ));
        }
        return Ok(Some(coffer_s3::Encryption::SseC(customer)));
    }
    match sse.map(ServerSideEncryption::as_str) {
        None if kms_key.is_some() || context.is_some() => Err(s3_error!(
            InvalidArgument,
            "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"
        )),
        None => Ok(None),
        Some(ServerSideEncryption::AES256) if kms_key.is_some() || context.is_some() => {
            Err(s3_error!(
                InvalidArgument,
                "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"
            ))
        }
        Some(ServerSideEncryption::AES256) => Ok(Some(coffer_s3::Encryption::SseS3)),
        Some(ServerSideEncryption::AWS_KMS) => Ok(Some(coffer_s3::Encryption::SseKms {
            key: kms_key.cloned(),
            bucket_key: bucket_key.unwrap_or(false),
            context,
        })),
        Some(ServerSideEncryption::AWS_KMS_DSSE) => Ok(Some(coffer_s3::Encryption::DsseKms {
            key: kms_key.cloned(),
            context,
        })),
        Some(_) => Err(s3_error!(
            InvalidArgument,
            "The encryption method specified is not supported"
        )),
    }
}

/// `x-amz-server-side-encryption`, its KMS key id and bucket-key flag for a response (none
/// for SSE-C, whose headers [`set_sse`] adds).
pub(super) fn sse_fields(
    e: &coffer_s3::ObjectEncryption,
) -> (Option<ServerSideEncryption>, Option<String>, Option<bool>) {
    if e.customer_key.is_some() {
        return (None, None, None);
    }
    let alg = ServerSideEncryption::from(e.algorithm.clone());
    match &e.kms_key_arn {
        Some(arn) => (Some(alg), Some(arn.clone()), Some(e.bucket_key_enabled)),
        None => (Some(alg), None, None),
    }
}

/// Sets an output's encryption headers from an object's encryption; with `customer`, also
/// the SSE-C algorithm and key MD5 (for outputs that have them).
macro_rules! set_sse {
    ($out:expr, $enc:expr) => {{
        let (sse, kms_key, bucket_key) = $crate::s3::sse::sse_fields($enc);
        $out.server_side_encryption = sse;
        $out.ssekms_key_id = kms_key;
        $out.bucket_key_enabled = bucket_key;
    }};
    ($out:expr, $enc:expr, customer) => {{
        set_sse!($out, $enc);
        if let Some(c) = &$enc.customer_key {
            $out.sse_customer_algorithm = Some("AES256".into());
            $out.sse_customer_key_md5 = Some(c.md5.clone());
        }
    }};
}
pub(crate) use set_sse;
