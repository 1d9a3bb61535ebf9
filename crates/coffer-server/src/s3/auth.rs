//! Who is calling: secret lookup for s3s's signature checks, and the checks s3s 0.14 leaves
//! to us (anonymous callers, the 7-day presign limit).

use s3s::S3Result;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// Longest validity of a presigned URL, as S3: 7 days.
pub(crate) const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

/// The principals that exist so far: the default account's root user.
pub(crate) struct RootAuth {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
}

impl RootAuth {
    pub(crate) fn new(access_key_id: String, secret_access_key: Zeroizing<String>) -> Self {
        Self {
            access_key_id,
            secret_access_key,
        }
    }
}

#[async_trait::async_trait]
impl S3Auth for RootAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if bool::from(access_key.as_bytes().ct_eq(self.access_key_id.as_bytes())) {
            return Ok(SecretKey::from(self.secret_access_key.as_str()));
        }
        Err(s3s::s3_error!(
            InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records."
        ))
    }
}

/// Runs after the signature is verified, before the operation.
pub(crate) struct AccessGate;

#[async_trait::async_trait]
impl S3Access for AccessGate {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if let Some(query) = cx.uri().query() {
            check_presign_expiry(query)?;
        }
        // IAM and policies come later; until then only authenticated root callers pass.
        if cx.credentials().is_none() {
            return Err(s3s::s3_error!(AccessDenied, "Access Denied"));
        }
        Ok(())
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
