//! Who is calling: secret lookup for s3s's signature checks, and the checks s3s 0.14 leaves
//! to us (anonymous callers, the 7-day presign limit, SigV2's clock window, the region of the
//! credential scope).

use std::sync::Arc;

use coffer_iam::Iam;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::{CopyObjectInput, CopySource, PostObjectInput, UploadPartCopyInput};
use s3s::{S3Request, S3Result};

use super::authorize::{Authorizer, RequestView, version_in_query};
use super::op::S3Op;
use crate::wire_common::Connection;

const EXPECTED_OWNER: &str = "x-amz-expected-bucket-owner";
const EXPECTED_SOURCE_OWNER: &str = "x-amz-source-expected-bucket-owner";

/// Longest validity of a presigned URL, as S3: 7 days.
pub(crate) const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

/// Secret lookup for s3s's signature checks: any active access key IAM knows.
pub(crate) struct IamAuth(pub(crate) Arc<Iam>);

#[async_trait::async_trait]
impl S3Auth for IamAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        // A string no AWS key id could be is refused without a lookup (or a cache entry).
        if !crate::signed::plausible_access_key(access_key) {
            return Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            ));
        }
        match self.0.resolve(access_key) {
            Ok(Some(r)) => Ok(SecretKey::from(r.secret.as_str())),
            Ok(None) => Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
            Err(e) => Err(super::wire::iam_internal(e)),
        }
    }
}

/// Runs after the signature is verified, before the operation: the presign limit s3s 0.14
/// does not enforce, then the policy decision. Copies also need `s3:GetObject` on their
/// source; POST uploads are judged once the form (and so the key) is known.
pub(crate) struct AccessGate {
    pub(crate) auth: Arc<Authorizer>,
    pub(crate) allow_sigv2: bool,
}

#[async_trait::async_trait]
impl S3Access for AccessGate {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if let Some(query) = cx.uri().query() {
            check_presign_expiry(query)?;
        }
        let now = time::OffsetDateTime::now_utc();
        check_sigv2_time(cx.headers(), cx.uri().query(), now)?;
        check_region(cx.headers(), cx.uri().query(), &self.auth.region)?;
        let peer = cx.extensions_mut().get::<Connection>().copied();
        let op = cx.s3_op().name();
        // Parsed once; an operation this server has no action for is refused, not waved on.
        let Some(s3op) = S3Op::parse(op) else {
            return Err(s3s::s3_error!(
                NotImplemented,
                "{op} is not available in Coffer yet"
            ));
        };
        if s3op == S3Op::PostObject {
            return Ok(());
        }
        let view = RequestView {
            credentials: cx.credentials(),
            uri: cx.uri(),
            headers: cx.headers(),
            conn: peer,
            op,
            resolved: None,
            extra: &[],
        };
        if !self.allow_sigv2 && super::authorize::is_sigv2(&view) {
            return Err(s3s::s3_error!(
                InvalidRequest,
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            ));
        }
        let (bucket, key) = match cx.s3_path() {
            s3s::path::S3Path::Root => (None, None),
            s3s::path::S3Path::Bucket { bucket } => (Some(&**bucket), None),
            s3s::path::S3Path::Object { bucket, key } => (Some(&**bucket), Some(&**key)),
        };
        // DeleteObjects is judged key by key inside the operation; the Object Lock documents
        // with the condition keys their documents give (`s3:object-lock-*`).
        if matches!(
            s3op,
            S3Op::DeleteObjects | S3Op::PutObjectRetention | S3Op::PutObjectLegalHold
        ) {
            return self.check_expected_owner(cx.headers(), EXPECTED_OWNER, bucket);
        }
        let action = s3op.request_action(version_in_query(cx.uri()).is_some());
        let resolved = self.auth.check(&view, action, bucket, key)?;
        let view = RequestView {
            resolved: Some(resolved.clone()),
            ..view
        };
        let bypass =
            super::object_lock::check_lock_permissions(&self.auth, &view, s3op, bucket, key)?;
        // CreateBucket with an ACL or an ownership setting needs those permissions too (an
        // object write's ACL needs only s3:PutObject, which `s3:x-amz-acl` can condition).
        if s3op == S3Op::CreateBucket {
            if super::acl::headers_set_acl(cx.headers()) {
                self.auth.check(&view, "s3:PutBucketAcl", bucket, None)?;
            }
            // A bucket with Object Lock starts with it and versioning configured.
            let lock_header = cx.headers().get("x-amz-bucket-object-lock-enabled");
            if lock_header.is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true")) {
                self.auth
                    .check(&view, "s3:PutBucketObjectLockConfiguration", bucket, None)?;
                self.auth
                    .check(&view, "s3:PutBucketVersioning", bucket, None)?;
            }
            if cx.headers().contains_key("x-amz-object-ownership") {
                self.auth
                    .check(&view, "s3:PutBucketOwnershipControls", bucket, None)?;
            }
        }
        require_tls_for_sse_c(cx.headers(), peer)?;
        // Only a caller allowed on the bucket learns that its owner is another.
        self.check_expected_owner(cx.headers(), EXPECTED_OWNER, bucket)?;
        cx.extensions_mut().insert(resolved);
        if bypass {
            cx.extensions_mut()
                .insert(super::object_lock::GovernanceBypass);
        }
        Ok(())
    }

    async fn post_object(&self, req: &mut S3Request<PostObjectInput>) -> S3Result<()> {
        let peer = req.extensions.get::<Connection>().copied();
        let view = RequestView {
            credentials: req.credentials.as_ref(),
            uri: &req.uri,
            headers: &req.headers,
            conn: peer,
            op: "PostObject",
            resolved: None,
            extra: &[],
        };
        let (bucket, key) = (
            Some(req.input.bucket.as_str()),
            Some(req.input.key.as_str()),
        );
        self.auth.check(&view, "s3:PutObject", bucket, key)?;
        // A form setting a lock needs the lock's permissions, as the headers do.
        let form = &req.input;
        if form.object_lock_mode.is_some() || form.object_lock_retain_until_date.is_some() {
            self.auth
                .check(&view, "s3:PutObjectRetention", bucket, key)?;
        }
        if form.object_lock_legal_hold_status.is_some() {
            self.auth
                .check(&view, "s3:PutObjectLegalHold", bucket, key)?;
        }
        // SSE-C form fields (the form becomes a PutObject) need HTTPS as the headers do.
        let form_sse_c = req.input.sse_customer_algorithm.is_some()
            || req.input.sse_customer_key.is_some()
            || req.input.sse_customer_key_md5.is_some();
        if form_sse_c && peer.is_none_or(|c| c.tls.is_none()) {
            return Err(sse_c_needs_tls());
        }
        Ok(())
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        self.check_copy_source(
            req.credentials.as_ref(),
            &req.uri,
            &req.headers,
            &req.extensions,
            &req.input.copy_source,
        )
    }

    async fn upload_part_copy(&self, req: &mut S3Request<UploadPartCopyInput>) -> S3Result<()> {
        self.check_copy_source(
            req.credentials.as_ref(),
            &req.uri,
            &req.headers,
            &req.extensions,
            &req.input.copy_source,
        )
    }
}

/// A customer's key must not cross the network in the clear: S3 refuses any request carrying
/// SSE-C headers over plain HTTP.
fn require_tls_for_sse_c(headers: &http::HeaderMap, conn: Option<Connection>) -> S3Result<()> {
    const SSE_C: [&str; 6] = [
        "x-amz-server-side-encryption-customer-algorithm",
        "x-amz-server-side-encryption-customer-key",
        "x-amz-server-side-encryption-customer-key-md5",
        "x-amz-copy-source-server-side-encryption-customer-algorithm",
        "x-amz-copy-source-server-side-encryption-customer-key",
        "x-amz-copy-source-server-side-encryption-customer-key-md5",
    ];
    let over_tls = conn.is_some_and(|c| c.tls.is_some());
    if over_tls || !SSE_C.iter().any(|h| headers.contains_key(*h)) {
        return Ok(());
    }
    Err(sse_c_needs_tls())
}

fn sse_c_needs_tls() -> s3s::S3Error {
    s3s::s3_error!(
        InvalidRequest,
        "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."
    )
}

impl AccessGate {
    fn check_copy_source(
        &self,
        credentials: Option<&s3s::auth::Credentials>,
        uri: &http::Uri,
        headers: &http::HeaderMap,
        extensions: &http::Extensions,
        source: &CopySource,
    ) -> S3Result<()> {
        let CopySource::Bucket {
            bucket,
            key,
            version_id,
        } = source
        else {
            return Ok(());
        };
        let peer = extensions.get::<Connection>().copied();
        let view = RequestView {
            credentials,
            uri,
            headers,
            conn: peer,
            op: "GetObject",
            resolved: None,
            extra: &[],
        };
        let action = S3Op::GetObject.request_action(version_id.is_some());
        self.auth.check(&view, action, Some(bucket), Some(key))?;
        self.check_expected_owner(headers, EXPECTED_SOURCE_OWNER, Some(bucket))
    }

    /// `x-amz-expected-bucket-owner` (and `x-amz-source-expected-bucket-owner` for a copy
    /// source): a request meant for one account's bucket fails with 403 if the bucket is
    /// another's, as on S3, rather than landing in a bucket someone else made with that name.
    fn check_expected_owner(
        &self,
        headers: &http::HeaderMap,
        header: &str,
        bucket: Option<&str>,
    ) -> S3Result<()> {
        let (Some(expected), Some(bucket)) = (headers.get(header), bucket) else {
            return Ok(());
        };
        let owner = match self.auth.core.bucket(bucket) {
            Ok(b) => b.owner,
            // A missing bucket is the operation's to answer.
            Err(_) => return Ok(()),
        };
        if expected.as_bytes() == owner.as_bytes() {
            return Ok(());
        }
        Err(s3s::s3_error!(AccessDenied, "Access Denied"))
    }
}

/// Longest clock difference for a signed request, as AWS: 15 minutes.
const MAX_SKEW_SECS: i64 = crate::sigv4::MAX_SKEW_SECS;

/// SigV2 has no signing time of its own but the `Date` (or `x-amz-date`) it signs: AWS takes
/// it only within 15 minutes of its clock, so a captured request does not replay for ever.
/// Presigned SigV2 URLs expire at most 7 days ahead, as SigV4 ones.
fn check_sigv2_time(
    headers: &http::HeaderMap,
    query: Option<&str>,
    now: time::OffsetDateTime,
) -> S3Result<()> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    if header("authorization").is_some_and(|a| a.starts_with("AWS ")) {
        let Some(at) = header("x-amz-date")
            .or(header("date"))
            .and_then(super::authorize::parse_http_date)
        else {
            return Err(s3s::s3_error!(
                AccessDenied,
                "AWS authentication requires a valid Date or x-amz-date header"
            ));
        };
        if (now - at).whole_seconds().abs() > MAX_SKEW_SECS {
            return Err(s3s::s3_error!(
                RequestTimeTooSkewed,
                "The difference between the request time and the current time is too large."
            ));
        }
        return Ok(());
    }
    let Some(q) = query else { return Ok(()) };
    let signed_v2 = q.split('&').any(|p| p.starts_with("Signature="))
        && !q.split('&').any(|p| p.starts_with("X-Amz-Algorithm="));
    if !signed_v2 {
        return Ok(());
    }
    let expires = q
        .split('&')
        .find_map(|p| p.strip_prefix("Expires="))
        .and_then(|e| e.parse::<i64>().ok());
    match expires {
        Some(e) if e - now.unix_timestamp() <= MAX_PRESIGN_EXPIRES_SECS as i64 => Ok(()),
        Some(_) => Err(s3s::s3_error!(
            AuthorizationQueryParametersError,
            "Expires must be less than a week (in seconds) from now: 604800"
        )),
        None => Err(s3s::s3_error!(
            AuthorizationQueryParametersError,
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
        )),
    }
}

/// The credential scope of a SigV4 request must name this server's region, as S3's answer
/// tells (`AuthorizationHeaderMalformed` with the region it expected).
fn check_region(headers: &http::HeaderMap, query: Option<&str>, region: &str) -> S3Result<()> {
    let Some(credential) = crate::sigv4::request_credential(headers, query) else {
        return Ok(());
    };
    let Some(claimed) = credential.split('/').nth(2) else {
        return Ok(());
    };
    if claimed == region {
        return Ok(());
    }
    if crate::sigv4::header_credential(headers).is_some() {
        let mut e = s3s::S3Error::with_message(
            s3s::S3ErrorCode::AuthorizationHeaderMalformed,
            format!(
                "The authorization header is malformed; the region '{claimed}' is wrong; expecting '{region}'"
            ),
        );
        e.set_status_code(http::StatusCode::BAD_REQUEST);
        return Err(e);
    }
    Err(s3s::s3_error!(
        AuthorizationQueryParametersError,
        "Error parsing the X-Amz-Credential parameter; the region '{claimed}' is wrong; expecting '{region}'"
    ))
}

fn check_presign_expiry(query: &str) -> S3Result<()> {
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name == "X-Amz-Expires" {
            let ok = value
                .parse::<u64>()
                .is_ok_and(|v| v <= MAX_PRESIGN_EXPIRES_SECS);
            if !ok {
                return Err(s3s::s3_error!(
                    AuthorizationQueryParametersError,
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigv2_time_window() {
        let now = time::macros::datetime!(2026-12-03 09:00:00 UTC);
        let signed = |date: &str| {
            let mut h = http::HeaderMap::new();
            h.insert("authorization", "AWS AKIAEXAMPLE:sig".parse().unwrap());
            h.insert("date", date.parse().unwrap());
            h
        };
        assert!(check_sigv2_time(&signed("Thu, 03 Dec 2026 09:14:59 GMT"), None, now).is_ok());
        assert!(check_sigv2_time(&signed("Thu, 03 Dec 2026 08:45:01 GMT"), None, now).is_ok());
        for bad in [
            "Thu, 03 Dec 2026 08:44:00 GMT",
            "Wed, 03 Dec 2025 09:00:00 GMT",
            "Thu, 03 Dec 2026 09:16:00 GMT",
            "yesterday",
            "",
        ] {
            assert!(check_sigv2_time(&signed(bad), None, now).is_err(), "{bad}");
        }
        // No date header at all.
        let mut h = http::HeaderMap::new();
        h.insert("authorization", "AWS AKIAEXAMPLE:sig".parse().unwrap());
        assert!(check_sigv2_time(&h, None, now).is_err());
        // Presigned: at most 7 days ahead.
        let t = now.unix_timestamp();
        let q = |e: i64| format!("AWSAccessKeyId=A&Signature=s&Expires={e}");
        let none = http::HeaderMap::new();
        assert!(check_sigv2_time(&none, Some(&q(t + 604_800)), now).is_ok());
        assert!(check_sigv2_time(&none, Some(&q(t + 604_801)), now).is_err());
        assert!(check_sigv2_time(&none, Some(&q(t + 315_360_000)), now).is_err());
        assert!(
            check_sigv2_time(&none, Some("AWSAccessKeyId=A&Signature=s&Expires=x"), now).is_err()
        );
        // SigV4 presigned URLs are not SigV2's business.
        assert!(
            check_sigv2_time(
                &none,
                Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=s"),
                now
            )
            .is_ok()
        );
    }

    #[test]
    fn region_of_the_scope() {
        let mut h = http::HeaderMap::new();
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261203/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=x"
                .parse()
                .unwrap(),
        );
        let e = check_region(&h, None, "us-east-1").unwrap_err();
        assert_eq!(e.code(), &s3s::S3ErrorCode::AuthorizationHeaderMalformed);
        assert!(e.message().unwrap().contains("expecting 'us-east-1'"));
        assert!(check_region(&h, None, "eu-west-1").is_ok());
        let q = "X-Amz-Credential=AKIAEXAMPLE%2F20261203%2Fap-south-1%2Fs3%2Faws4_request";
        assert!(check_region(&http::HeaderMap::new(), Some(q), "us-east-1").is_err());
        assert!(check_region(&http::HeaderMap::new(), None, "us-east-1").is_ok());
    }

    #[test]
    fn presign_expiry_limit() {
        assert!(check_presign_expiry("X-Amz-Expires=604800&x=1").is_ok());
        assert!(check_presign_expiry("X-Amz-Expires=604801").is_err());
        assert!(check_presign_expiry("X-Amz-Expires=-1").is_err());
        assert!(check_presign_expiry("prefix=a").is_ok());
    }
}
