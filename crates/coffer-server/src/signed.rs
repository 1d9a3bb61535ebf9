//! Authentication of the SigV4-signed protocols Coffer verifies itself (IAM, STS, KMS, S3
//! Control): [`receive`] takes a request in steps so that nothing an unauthenticated client
//! sends is buffered. `screen` judges what the headers alone can tell (is the request signed
//! at all, with a well-formed credential for this region and service, at an acceptable time,
//! by a key that exists), then `read_body` takes a body of at most the protocol's size, and
//! `authenticate` verifies the signature over it and the session token.

use bytes::Bytes;
use coffer_iam::{Iam, Identity, SessionInfo, TokenProblem};
use http::StatusCode;
use http_body_util::BodyExt as _;
use time::OffsetDateTime;

use crate::api_error::ApiError;
use crate::sigv4::{self, RequestParts, Rules, SigV4Error};

/// What a request's credential scope must name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) service: &'static str,
    /// Regions this service signs in (the server's own; IAM and STS also `us-east-1`, where
    /// SDKs sign global-endpoint calls).
    pub(crate) regions: &'a [&'a str],
}

/// What a protocol asks of its signed requests.
pub(crate) struct Protocol<'a> {
    pub(crate) scope: Scope<'a>,
    pub(crate) rules: Rules,
    /// Largest body the protocol takes (AWS's request size for it).
    pub(crate) max_body: usize,
    /// The protocol's answer to a longer body.
    pub(crate) too_large: fn() -> ApiError,
}

/// A request whose signature (over its body) and session token were verified.
pub(crate) struct Signed {
    pub(crate) identity: Identity,
    pub(crate) session: Option<SessionInfo>,
    pub(crate) body: Bytes,
}

/// Screens, reads and verifies one request of `protocol`.
pub(crate) async fn receive(
    iam: &Iam,
    parts: &http::request::Parts,
    body: crate::conns::IdleBody,
    protocol: Protocol<'_>,
) -> Result<Signed, ApiError> {
    screen(iam, parts, protocol.scope)?;
    let body = read_body(body, protocol.max_body, protocol.too_large).await?;
    let (identity, session) = authenticate(iam, parts, &body, protocol.rules)?;
    Ok(Signed {
        identity,
        session,
        body,
    })
}

/// Shortest and longest access key id AWS issues; ids outside this are refused unread.
const ACCESS_KEY_LEN: std::ops::RangeInclusive<usize> = 16..=128;

/// True for a string that could be an access key id (`AKIA...`, `ASIA...`): AWS's `[\w]+`,
/// 16 to 128 characters. Anything else is refused before any lookup.
pub(crate) fn plausible_access_key(id: &str) -> bool {
    ACCESS_KEY_LEN.contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Does the request carry SigV4 (or any) authentication at all?
pub(crate) fn is_signed(parts: &http::request::Parts) -> bool {
    parts.headers.contains_key(http::header::AUTHORIZATION)
        || parts.uri.query().is_some_and(|q| {
            q.split('&')
                .any(|p| p.starts_with("X-Amz-Signature=") || p.starts_with("Signature="))
        })
}

fn missing_token() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
    )
}

fn invalid_token() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )
}

/// The first step: everything but the signature itself, before any of the body is read.
fn screen(iam: &Iam, parts: &http::request::Parts, scope: Scope<'_>) -> Result<(), ApiError> {
    if !is_signed(parts) {
        return Err(missing_token());
    }
    let headers = header_pairs(parts);
    let claimed = sigv4::claimed(
        &headers,
        parts.uri.query().unwrap_or(""),
        OffsetDateTime::now_utc(),
    )
    .map_err(sigv4_fault)?;
    if !scope.regions.contains(&claimed.region.as_str()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            format!(
                "Credential should be scoped to a valid region, not '{}'.",
                claimed.region
            ),
        ));
    }
    if claimed.service != scope.service {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            format!(
                "Credential should be scoped to correct service: '{}'.",
                scope.service
            ),
        ));
    }
    if !plausible_access_key(&claimed.access_key) {
        return Err(invalid_token());
    }
    match iam.resolve(&claimed.access_key) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(invalid_token()),
        Err(e) => Err(e.into()),
    }
}

/// The body of a screened request, at most `limit` bytes (AWS's request size for the
/// protocol): longer is `too_large`.
async fn read_body(
    body: crate::conns::IdleBody,
    limit: usize,
    too_large: fn() -> ApiError,
) -> Result<Bytes, ApiError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        // The client stopped sending or broke the framing.
        Err(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "RequestTimeout",
            "Your socket connection to the server was not read from or written to within the timeout period.",
        )),
    }
}

fn header_pairs(parts: &http::request::Parts) -> Vec<(String, String)> {
    parts
        .headers
        .iter()
        .filter_map(|(n, v)| {
            v.to_str()
                .ok()
                .map(|v| (n.as_str().to_owned(), v.to_owned()))
        })
        .collect()
}

/// Verifies a screened SigV4-signed request with its whole body (IAM, STS, KMS, S3 Control)
/// and checks the session token of temporary credentials.
fn authenticate(
    iam: &Iam,
    parts: &http::request::Parts,
    body: &[u8],
    rules: Rules,
) -> Result<(Identity, Option<SessionInfo>), ApiError> {
    let headers = header_pairs(parts);
    let body_hash = sigv4::hex_sha256(body);
    let declared = parts
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok());
    if declared.is_some_and(|d| d != body_hash) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "The content SHA-256 does not match.",
        ));
    }
    let req = RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        payload_hash: &body_hash,
    };
    let mut who = None;
    let verified = sigv4::verify(
        &req,
        |ak| {
            // `screen` resolved this key freshly for this request a moment ago.
            let r = iam.resolve_again(ak).ok().flatten()?;
            let secret = r.secret.clone();
            who = Some((r.identity, r.session));
            Some(secret)
        },
        OffsetDateTime::now_utc(),
        rules,
    );
    verified.map_err(sigv4_fault)?;
    let (identity, session) = who.ok_or_else(invalid_token)?;
    if let Some(s) = &session {
        let token = parts
            .headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .or_else(|| {
                parts.uri.query().and_then(|q| {
                    q.split('&')
                        .find_map(|p| p.strip_prefix("X-Amz-Security-Token="))
                })
            });
        match s.check_token(token, iam.now_ms()) {
            Ok(()) => {}
            Err(TokenProblem::Invalid) => return Err(invalid_token()),
            Err(TokenProblem::Expired) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "ExpiredToken",
                    "The security token included in the request is expired",
                ));
            }
        }
    }
    Ok((identity, session))
}

/// SigV4 failures in the query protocols' words (KMS renames them, `KmsFault::from`).
fn sigv4_fault(e: SigV4Error) -> ApiError {
    match e {
        SigV4Error::UnknownAccessKey => invalid_token(),
        SigV4Error::SignatureDoesNotMatch => ApiError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ),
        SigV4Error::RequestTimeTooSkewed | SigV4Error::Expired => ApiError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "Signature expired.",
        ),
        e @ (SigV4Error::Malformed(_) | SigV4Error::ExpiresTooLong) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "IncompleteSignature",
            e.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_are_screened_by_shape() {
        assert!(plausible_access_key("AKIAE2ETESTROOT00001"));
        assert!(plausible_access_key("ASIA0123456789ABCDEF"));
        assert!(!plausible_access_key("AKIA"));
        assert!(!plausible_access_key(&"A".repeat(129)));
        assert!(!plausible_access_key("AKIA0123456789ABCD\u{0}F"));
        assert!(!plausible_access_key("AKIA0123456789AB/CDEF"));
    }
}
