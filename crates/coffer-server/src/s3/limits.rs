//! Limits the front door applies to S3 requests before s3s reads them.

/// Largest request document (XML or JSON configuration) S3 takes here: 1000 DeleteObjects
/// keys or 10,000 CompleteMultipartUpload parts fit well within it; object data is not a
/// document and has its own limit (5 GiB).
pub(crate) const MAX_DOCUMENT: u64 = 2 << 20;

/// Largest total of a browser form's fields before its file, as S3 (beyond it S3 answers
/// `MaxPostPreDataLengthExceededError`): the policy document and signature fit well within.
pub(crate) const MAX_FORM_FIELDS: usize = 20 * 1024;
/// Most parts of a browser form upload: S3's forms have a few dozen fields at most.
pub(crate) const MAX_FORM_PARTS: usize = 100;

/// Query keys that make a PUT or POST carry a document rather than object data.
const DOCUMENT_SUBRESOURCES: [&str; 26] = [
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metadataConfiguration",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "versioning",
    "website",
];

/// Refuses, before s3s buffers it, a request document over [`MAX_DOCUMENT`] (S3's
/// `MaxMessageLengthExceeded`), or one of unknown length (`MissingContentLength`).
/// `bucket_in_host`: the Host names the bucket (virtual-hosted style), so the path is the key.
pub(crate) fn refuse_oversized_document<B>(
    req: &http::Request<B>,
    bucket_in_host: bool,
) -> Option<http::Response<s3s::Body>> {
    if !is_document(req, bucket_in_host) {
        return None;
    }
    let length = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let error = match length {
        Some(n) if n > MAX_DOCUMENT => {
            s3s::s3_error!(MaxMessageLengthExceeded, "Your request was too big.")
        }
        Some(_) => return None,
        None if req.headers().contains_key(http::header::TRANSFER_ENCODING) => s3s::s3_error!(
            MissingContentLength,
            "You must provide the Content-Length HTTP header."
        ),
        None => return None,
    };
    Some(error_response(error))
}

/// Subresources whose documents S3 takes only with a declared checksum (`Content-MD5` or one
/// `x-amz-checksum-*`): the Object Lock settings, which no bit flipped in transit may weaken
/// (and DeleteObjects, `POST ?delete`, as S3 requires too).
const CHECKSUM_REQUIRED: [&str; 3] = ["legal-hold", "object-lock", "retention"];

/// Verifies the checksum a request document declares (s3s reads documents without checking
/// one), so that a `Content-MD5` or `x-amz-checksum-*` is never accepted and ignored, and
/// requires one of the Object Lock documents: `InvalidRequest` without it, `BadDigest` if it
/// differs. The document is within [`MAX_DOCUMENT`] (refused at the door otherwise).
/// CompleteMultipartUpload's `x-amz-checksum-*` are the object's, not its document's; an
/// aws-chunked document is left to s3s, which decodes it.
pub(crate) async fn verify_document_checksum(
    req: http::Request<s3s::Body>,
    bucket_in_host: bool,
) -> Result<http::Request<s3s::Body>, http::Response<s3s::Body>> {
    if !is_document(&req, bucket_in_host) {
        return Ok(req);
    }
    let headers = req.headers();
    let chunked = headers
        .get("x-amz-content-sha256")
        .is_some_and(|v| v.as_bytes().starts_with(b"STREAMING-"));
    let completes = req.method() == http::Method::POST && has_subresource(req.uri(), &["uploadId"]);
    let required = match *req.method() {
        http::Method::PUT => has_subresource(req.uri(), &CHECKSUM_REQUIRED),
        _ => !completes && has_subresource(req.uri(), &["delete"]),
    };
    let integrity = declared_checksum(headers, !completes).map_err(error_response)?;
    let declared = integrity.content_md5.is_some() || integrity.expected.is_some();
    if chunked || (!declared && !required) {
        return Ok(req);
    }
    if !declared {
        return Err(error_response(s3s::s3_error!(
            InvalidRequest,
            "Missing required header for this request: Content-MD5"
        )));
    }
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, usize::try_from(MAX_DOCUMENT).unwrap_or(0));
    let bytes = match http_body_util::BodyExt::collect(limited).await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return Err(error_response(s3s::s3_error!(
                IncompleteBody,
                "The request body could not be read."
            )));
        }
    };
    integrity
        .verify_document(&bytes)
        .map_err(|e| error_response(super::wire::s3_wire(e)))?;
    Ok(http::Request::from_parts(parts, s3s::Body::from(bytes)))
}

/// What a document's headers promise about it (`checksums`: whether `x-amz-checksum-*` are
/// the document's own).
fn declared_checksum(
    headers: &http::HeaderMap,
    checksums: bool,
) -> Result<coffer_s3::Integrity, s3s::S3Error> {
    use coffer_s3::{ChecksumAlgorithm, ExpectedChecksum, Integrity};
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default());
    let content_md5 = text("content-md5")
        .map(Integrity::parse_content_md5)
        .transpose()
        .map_err(super::wire::s3_wire)?;
    let mut given = ChecksumAlgorithm::ALL
        .into_iter()
        .filter(|_| checksums)
        .filter_map(|a| text(a.header()).map(|v| (a, v.to_owned())));
    let checksum = given.next();
    if given.next().is_some() {
        return Err(s3s::s3_error!(
            InvalidRequest,
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
        ));
    }
    Ok(Integrity {
        content_md5,
        algorithm: checksum.as_ref().map(|(a, _)| *a),
        expected: checksum.map(|(_, v)| ExpectedChecksum::Header(v)),
        length: None,
    })
}

/// Whether a request carries a document (XML or JSON configuration) rather than object data.
fn is_document<B>(req: &http::Request<B>, bucket_in_host: bool) -> bool {
    let method = req.method();
    if method != http::Method::PUT && method != http::Method::POST {
        return false;
    }
    let path = req.uri().path().trim_start_matches('/');
    let object = if bucket_in_host {
        !path.is_empty()
    } else {
        path.split_once('/').is_some_and(|(_, k)| !k.is_empty())
    };
    let has_sub = |keys: &[&str]| has_subresource(req.uri(), keys);
    match (method, object) {
        // PutObject and UploadPart (`?partNumber&uploadId`) carry data; a subresource makes
        // it a document.
        (&http::Method::PUT, true) => has_sub(&DOCUMENT_SUBRESOURCES),
        // CreateBucket's configuration and every bucket subresource.
        (&http::Method::PUT, false) => true,
        // CompleteMultipartUpload (`?uploadId`), restore, select.
        (_, true) => has_sub(&DOCUMENT_SUBRESOURCES) || has_sub(&["uploadId"]),
        // DeleteObjects; a bare POST to a bucket is a browser form upload (PostObject).
        (_, false) => has_sub(&["delete"]),
    }
}

fn has_subresource(uri: &http::Uri, keys: &[&str]) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&')
            .map(|p| p.split('=').next().unwrap_or(""))
            .any(|k| keys.contains(&k))
    })
}

/// An S3 error answered by the front door itself, in S3's XML.
fn error_response(e: s3s::S3Error) -> http::Response<s3s::Body> {
    let status = e.status_code().unwrap_or(http::StatusCode::BAD_REQUEST);
    let code = e.code().as_str().to_owned();
    let message = e.message().unwrap_or_default().to_owned();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{}</Message></Error>",
        crate::escape::xml(&message)
    );
    let mut r = http::Response::new(s3s::Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, len: Option<u64>) -> http::Request<()> {
        let mut b = http::Request::builder().method(method).uri(uri);
        if let Some(n) = len {
            b = b.header("content-length", n.to_string());
        }
        b.body(()).unwrap()
    }

    #[test]
    fn only_documents_are_held_to_the_document_limit() {
        let big = Some(MAX_DOCUMENT + 1);
        for (m, uri) in [
            ("POST", "/b?delete"),
            ("PUT", "/b?tagging"),
            ("PUT", "/b"),
            ("PUT", "/b/k?tagging"),
            ("POST", "/b/k?uploadId=u"),
            ("PUT", "/b?policy"),
        ] {
            assert!(
                refuse_oversized_document(&req(m, uri, big), false).is_some(),
                "{m} {uri}"
            );
            assert!(
                refuse_oversized_document(&req(m, uri, Some(100)), false).is_none(),
                "{m} {uri}"
            );
        }
        for (m, uri) in [
            ("PUT", "/b/k"),
            ("PUT", "/b/k?partNumber=1&uploadId=u"),
            ("PUT", "/b/k?x-id=PutObject"),
            ("POST", "/b"),
            ("POST", "/b/"),
            ("GET", "/b?tagging"),
        ] {
            assert!(
                refuse_oversized_document(&req(m, uri, big), false).is_none(),
                "{m} {uri}"
            );
        }
    }

    #[test]
    fn a_bucket_in_the_host_makes_the_path_the_key() {
        let big = Some(MAX_DOCUMENT + 1);
        // `PUT /k` to BUCKET.DOMAIN is PutObject, `PUT /` CreateBucket.
        assert!(refuse_oversized_document(&req("PUT", "/k", big), true).is_none());
        assert!(refuse_oversized_document(&req("PUT", "/", big), true).is_some());
        assert!(refuse_oversized_document(&req("PUT", "/k?tagging", big), true).is_some());
        assert!(refuse_oversized_document(&req("POST", "/?delete", big), true).is_some());
        assert!(refuse_oversized_document(&req("PUT", "/k", big), false).is_some());
    }
}
