//! The one place where domain errors become S3 wire errors.

use coffer_s3::S3Error;
use coffer_store::StoreError;
use s3s::{S3ErrorCode, s3_error};

use super::body::BodyFault;

/// An IAM failure behind an S3 request (a store error: IAM's own refusals never reach S3):
/// logged, and answered as S3's internal error.
pub(crate) fn iam_internal(e: coffer_iam::IamError) -> s3s::S3Error {
    tracing::error!(error = %e, "IAM lookup failed");
    s3s::s3_error!(
        InternalError,
        "We encountered an internal error. Please try again."
    )
}

/// Maps a domain error to the AWS error code, status and message. No `_` arm: a new variant
/// does not compile until it is mapped here.
/// S3's `MalformedXML`, for a document that parsed but says what S3's schema does not allow.
pub(crate) fn malformed_xml() -> s3s::S3Error {
    s3_wire(S3Error::MalformedXml)
}

pub(crate) fn s3_wire(e: S3Error) -> s3s::S3Error {
    use S3ErrorCode as C;
    let msg = e.to_string();
    let with = |code: C| s3s::S3Error::with_message(code, msg.clone());
    // A code s3s does not know, with its status.
    let custom = |code: &'static str, status: http::StatusCode| {
        let mut e = s3s::S3Error::with_message(C::Custom(code.into()), msg.clone());
        e.set_status_code(status);
        e
    };
    match e {
        S3Error::InvalidBucketName(_) => with(C::InvalidBucketName),
        // A bucket deleted while a write was under way: the write's commit finds it gone.
        S3Error::NoSuchBucket | S3Error::Store(StoreError::NoSuchBucket(_)) => {
            with(C::NoSuchBucket)
        }
        S3Error::MalformedPolicy(_) => with(C::MalformedPolicy),
        S3Error::NoSuchBucketPolicy => with(C::NoSuchBucketPolicy),
        S3Error::NoSuchPublicAccessBlockConfiguration => custom(
            "NoSuchPublicAccessBlockConfiguration",
            http::StatusCode::NOT_FOUND,
        ),
        S3Error::AccessDenied(_) => with(C::AccessDenied),
        S3Error::BucketAlreadyOwnedByYou => with(C::BucketAlreadyOwnedByYou),
        S3Error::BucketAlreadyExists => with(C::BucketAlreadyExists),
        S3Error::BucketNotEmpty => with(C::BucketNotEmpty),
        S3Error::NoSuchKey => with(C::NoSuchKey),
        S3Error::NoSuchVersion => with(C::NoSuchVersion),
        S3Error::DeleteMarker {
            version_id,
            last_modified_ms,
            by_id,
        } => {
            let mut e = if by_id {
                with(C::MethodNotAllowed)
            } else {
                s3s::S3Error::with_message(C::NoSuchKey, "The specified key does not exist.")
            };
            let mut headers = http::HeaderMap::new();
            headers.insert(
                "x-amz-delete-marker",
                http::HeaderValue::from_static("true"),
            );
            if let Ok(v) = http::HeaderValue::from_str(&version_id) {
                headers.insert("x-amz-version-id", v);
            }
            if by_id
                && let Ok(v) =
                    http::HeaderValue::from_str(&super::convert::http_date(last_modified_ms))
            {
                headers.insert(http::header::LAST_MODIFIED, v);
            }
            e.set_headers(headers);
            e
        }
        S3Error::KeyTooLong => with(C::KeyTooLongError),
        S3Error::NoSuchUpload => with(C::NoSuchUpload),
        S3Error::InvalidPart => with(C::InvalidPart),
        S3Error::InvalidPartOrder => with(C::InvalidPartOrder),
        S3Error::EntityTooSmall => with(C::EntityTooSmall),
        S3Error::EntityTooLarge => with(C::EntityTooLarge),
        S3Error::IncompleteBody => with(C::IncompleteBody),
        S3Error::MalformedTrailer => custom("MalformedTrailerError", http::StatusCode::BAD_REQUEST),
        S3Error::MetadataTooLarge => with(C::MetadataTooLarge),
        S3Error::InvalidRange { .. } => with(C::InvalidRange),
        S3Error::PreconditionFailed => with(C::PreconditionFailed),
        S3Error::AccessControlListNotSupported => custom(
            "AccessControlListNotSupported",
            http::StatusCode::BAD_REQUEST,
        ),
        S3Error::InvalidBucketAclWithObjectOwnership => custom(
            "InvalidBucketAclWithObjectOwnership",
            http::StatusCode::BAD_REQUEST,
        ),
        S3Error::OwnershipControlsNotFound => custom(
            "OwnershipControlsNotFoundError",
            http::StatusCode::NOT_FOUND,
        ),
        S3Error::ConditionalRequestConflict => {
            custom("ConditionalRequestConflict", http::StatusCode::CONFLICT)
        }
        S3Error::NotModified {
            etag,
            last_modified_ms,
        } => {
            let mut e = with(C::NotModified);
            let mut headers = http::HeaderMap::new();
            if let Ok(v) = http::HeaderValue::from_str(&etag) {
                headers.insert(http::header::ETAG, v);
            }
            if let Ok(v) = http::HeaderValue::from_str(&super::convert::http_date(last_modified_ms))
            {
                headers.insert(http::header::LAST_MODIFIED, v);
            }
            e.set_headers(headers);
            e
        }
        S3Error::BadDigest | S3Error::ChecksumMismatch(_) => with(C::BadDigest),
        S3Error::InvalidDigest => with(C::InvalidDigest),
        S3Error::MalformedXml => with(C::MalformedXML),
        S3Error::InvalidArgument(_) => with(C::InvalidArgument),
        S3Error::NotImplemented(_) => with(C::NotImplemented),
        S3Error::InvalidRequest(_) => with(C::InvalidRequest),
        S3Error::InvalidTag(_) => with(C::InvalidTag),
        S3Error::InvalidEncryptionAlgorithm => with(C::InvalidEncryptionAlgorithmError),
        S3Error::NoSuchTagSet => with(C::NoSuchTagSet),
        S3Error::InvalidBucketState(_) => with(C::InvalidBucketState),
        S3Error::ObjectLockConfigurationNotFound => custom(
            "ObjectLockConfigurationNotFoundError",
            http::StatusCode::NOT_FOUND,
        ),
        S3Error::NoSuchObjectLockConfiguration => {
            custom("NoSuchObjectLockConfiguration", http::StatusCode::NOT_FOUND)
        }
        S3Error::InvalidStorageClass(_) => with(C::InvalidStorageClass),
        S3Error::ConcurrentUpdate => with(C::OperationAborted),
        S3Error::Body(source) => body_wire(source),
        S3Error::Kms(k) => kms_wire(&k),
        S3Error::Corrupt | S3Error::Crypto(_) => {
            tracing::error!(error = %msg, "stored data failed authentication");
            s3_error!(
                InternalError,
                "We encountered an internal error. Please try again."
            )
        }
        S3Error::Store(_) | S3Error::Internal(_) => {
            tracing::error!(error = %msg, "internal error");
            s3_error!(
                InternalError,
                "We encountered an internal error. Please try again."
            )
        }
    }
}

fn body_wire(source: Box<dyn std::error::Error + Send + Sync>) -> s3s::S3Error {
    let source = match source.downcast::<BodyFault>() {
        Ok(fault) => return fault.to_wire(),
        Err(other) => other,
    };
    // A copy's source stream carries domain errors.
    match source.downcast::<S3Error>() {
        Ok(inner) => s3_wire(*inner),
        Err(other) => s3_error!(IncompleteBody, "{other}"),
    }
}

/// KMS refusals seen through S3 (a disabled key makes the GET fail with the KMS error).
fn kms_wire(e: &coffer_kms::KmsError) -> s3s::S3Error {
    use coffer_kms::KmsError as K;
    let (status, code) = match e {
        K::NotFound(_) => (http::StatusCode::BAD_REQUEST, "KMS.NotFoundException"),
        K::Disabled(_) => (http::StatusCode::BAD_REQUEST, "KMS.DisabledException"),
        K::InvalidState(_) => (
            http::StatusCode::BAD_REQUEST,
            "KMS.KMSInvalidStateException",
        ),
        K::IncorrectKey => (http::StatusCode::BAD_REQUEST, "KMS.IncorrectKeyException"),
        K::Throttled => {
            let mut err = s3s::S3Error::with_message(
                S3ErrorCode::SlowDown,
                "Please reduce your request rate for operations involving AWS KMS.",
            );
            err.set_status_code(http::StatusCode::SERVICE_UNAVAILABLE);
            return err;
        }
        K::InvalidKeyUsage(_) => (
            http::StatusCode::BAD_REQUEST,
            "KMS.InvalidKeyUsageException",
        ),
        K::Validation(_)
        | K::Tag(_)
        | K::LimitExceeded(_)
        | K::AlreadyExists(_)
        | K::UnsupportedOperation(_)
        | K::InvalidImportToken
        | K::ExpiredImportToken
        | K::IncorrectKeyMaterial => (http::StatusCode::BAD_REQUEST, "InvalidArgument"),
        K::InvalidSignature
        | K::InvalidMac
        | K::InvalidCiphertext
        | K::Corrupt
        | K::Random
        | K::Store(_) => {
            tracing::error!(error = %e, "KMS failure under S3");
            return s3_error!(
                InternalError,
                "We encountered an internal error. Please try again."
            );
        }
    };
    let mut err = s3s::S3Error::with_message(S3ErrorCode::Custom(code.into()), e.to_string());
    err.set_status_code(status);
    err
}

/// AWS's words for the authentication errors s3s answers without them (clients print the
/// message: `SignatureDoesNotMatch` with none reads as an empty complaint).
const AUTH_MESSAGES: [(&str, &str); 2] = [
    (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    ),
    (
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
    ),
];

/// Gives an S3 error response from s3s the message AWS sends for its code, where s3s's own
/// is missing or differs, and the `RequestId`/`HostId` elements S3's error documents carry.
/// Other responses pass untouched (and unread: only whole, small error bodies are looked at).
pub(crate) fn with_aws_messages(
    resp: http::Response<s3s::Body>,
    request_id: &str,
) -> http::Response<s3s::Body> {
    if !(resp.status().is_client_error() || resp.status().is_server_error()) {
        return resp;
    }
    let Some(bytes) = resp.body().bytes() else {
        return resp;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return resp;
    };
    let mut fixed = match AUTH_MESSAGES
        .iter()
        .find(|(code, _)| text.contains(&format!("<Code>{code}</Code>")))
    {
        Some((code, message)) => {
            let tag = format!("<Code>{code}</Code>");
            match (text.find("<Message>"), text.find("</Message>")) {
                (Some(a), Some(b)) if a < b => {
                    format!("{}<Message>{message}{}", &text[..a], &text[b..])
                }
                _ => text.replacen(&tag, &format!("{tag}<Message>{message}</Message>"), 1),
            }
        }
        None => text.to_owned(),
    };
    // As S3's: every error document names its request (the same ids as the headers).
    if !fixed.contains("<RequestId>")
        && let Some(end) = fixed.rfind("</Error>")
    {
        let ids = format!("<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId>");
        fixed.insert_str(end, &ids);
    }
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    http::Response::from_parts(parts, s3s::Body::from(fixed))
}

/// Whether a request is GetObjectAttributes (`GET /bucket/key?attributes`).
pub(crate) fn is_get_object_attributes<B>(req: &http::Request<B>) -> bool {
    req.method() == http::Method::GET
        && req.uri().query().is_some_and(|q| {
            q.split('&')
                .any(|p| p == "attributes" || p.starts_with("attributes="))
        })
}

/// GetObjectAttributes gives the ETag without quotes, as S3 does (s3s always quotes it).
/// Error answers are finished as any other.
pub(crate) fn unquoted_attributes_etag(
    resp: http::Response<s3s::Body>,
    request_id: &str,
) -> http::Response<s3s::Body> {
    if !resp.status().is_success() {
        return with_aws_messages(resp, request_id);
    }
    let Some(text) = resp
        .body()
        .bytes()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
    else {
        return resp;
    };
    let (Some(a), Some(b)) = (text.find("<ETag>\""), text.find("\"</ETag>")) else {
        return resp;
    };
    if a >= b {
        return resp;
    }
    let fixed = format!(
        "{}<ETag>{}</ETag>{}",
        &text[..a],
        &text[a + 7..b],
        &text[b + 8..]
    );
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    http::Response::from_parts(parts, s3s::Body::from(fixed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_response(body: &str) -> http::Response<s3s::Body> {
        let mut r = http::Response::new(s3s::Body::from(body.to_owned()));
        *r.status_mut() = http::StatusCode::FORBIDDEN;
        r
    }

    fn text(r: http::Response<s3s::Body>) -> String {
        String::from_utf8(r.body().bytes().unwrap().to_vec()).unwrap()
    }

    #[test]
    fn auth_errors_get_aws_messages() {
        let r = with_aws_messages(
            error_response(
                "<Error><Code>SignatureDoesNotMatch</Code><RequestId>x</RequestId></Error>",
            ),
            "ID",
        );
        assert_eq!(
            text(r),
            "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><RequestId>x</RequestId></Error>"
        );
        let r = with_aws_messages(
            error_response(
                "<Error><Code>RequestTimeTooSkewed</Code><Message>request time is too far from server time</Message></Error>",
            ),
            "ID",
        );
        assert!(text(r).contains("<Message>The difference between the request time and the current time is too large.</Message>"));
        let other = "<Error><Code>NoSuchKey</Code><Message>m</Message></Error>";
        assert_eq!(
            text(with_aws_messages(error_response(other), "ID")),
            "<Error><Code>NoSuchKey</Code><Message>m</Message><RequestId>ID</RequestId><HostId>ID</HostId></Error>"
        );
    }
}
