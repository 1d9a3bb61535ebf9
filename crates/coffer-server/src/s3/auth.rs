//! Who is calling: secret lookup for s3s's signature checks, and the checks s3s 0.14 leaves
//! to us (anonymous callers, the 7-day presign limit).

use std::sync::Arc;

use coffer_iam::Iam;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::{CopyObjectInput, CopySource, PostObjectInput, UploadPartCopyInput};
use s3s::{S3Request, S3Result};

use super::authorize::{Authorizer, Connection, RequestView, action_for};

/// Longest validity of a presigned URL, as S3: 7 days.
pub(crate) const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

/// Secret lookup for s3s's signature checks: any active access key IAM knows.
pub(crate) struct IamAuth(pub(crate) Arc<Iam>);

#[async_trait::async_trait]
impl S3Auth for IamAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.resolve(access_key) {
            Ok(Some(r)) => Ok(SecretKey::from(r.secret.as_str())),
            Ok(None) => Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
            Err(e) => {
                tracing::error!(error = %e, "IAM lookup failed");
                Err(s3s::s3_error!(
                    InternalError,
                    "We encountered an internal error. Please try again."
                ))
            }
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
        let peer = cx.extensions_mut().get::<Connection>().copied();
        let op = cx.s3_op().name();
        if op == "PostObject" {
            return Ok(());
        }
        let view = RequestView {
            credentials: cx.credentials(),
            uri: cx.uri(),
            headers: cx.headers(),
            conn: peer,
            op,
            resolved: None,
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
        // DeleteObjects is judged key by key inside the operation.
        if op == "DeleteObjects" {
            return Ok(());
        }
        let resolved = self.auth.check(&view, &action_for(op), bucket, key)?;
        require_tls_for_sse_c(cx.headers(), peer)?;
        cx.extensions_mut().insert(resolved);
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
        };
        self.auth.check(
            &view,
            "s3:PutObject",
            Some(&req.input.bucket),
            Some(&req.input.key),
        )?;
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
        let CopySource::Bucket { bucket, key, .. } = source else {
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
        };
        self.auth
            .check(&view, "s3:GetObject", Some(bucket), Some(key))
            .map(|_| ())
    }
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
    fn presign_expiry_limit() {
        assert!(check_presign_expiry("X-Amz-Expires=604800&x=1").is_ok());
        assert!(check_presign_expiry("X-Amz-Expires=604801").is_err());
        assert!(check_presign_expiry("X-Amz-Expires=-1").is_err());
        assert!(check_presign_expiry("prefix=a").is_ok());
    }
}
