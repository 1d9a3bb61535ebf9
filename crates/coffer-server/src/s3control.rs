//! S3 Control (`/v20180820/...`): account-level Block Public Access. Requests carry
//! `x-amz-account-id`, are signed for service `s3`, and are verified by our SigV4 module.

use std::sync::Arc;

use coffer_iam::{Iam, fill_principal_context};
use coffer_policy::{Decision, RequestContext, evaluate};
use coffer_s3::{PublicAccessBlock, S3Core, S3Error};
use http::{Method, Request, Response, StatusCode};
use s3s::Body;

use crate::api_error::ApiError;
use crate::sigv4::Rules;

const PATH: &str = "/v20180820/configuration/publicAccessBlock";
const NS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";
const MAX_BODY: usize = 64 * 1024;

pub(crate) fn is_s3control(path: &str) -> bool {
    path.starts_with("/v20180820/")
}

pub(crate) struct S3Control {
    pub(crate) core: Arc<S3Core>,
    pub(crate) iam: Arc<Iam>,
    pub(crate) region: String,
}

impl S3Control {
    pub(crate) async fn handle(
        &self,
        req: Request<crate::conns::IdleBody>,
        request_id: &str,
    ) -> Response<Body> {
        match self.handle_inner(req).await {
            Ok((status, body)) => response(status, body),
            Err(e) => {
                let (status, code, message) = e.parts();
                response(
                    status,
                    format!(
                        r#"<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"#,
                        crate::escape::xml(&message)
                    ),
                )
            }
        }
    }

    async fn handle_inner(
        &self,
        req: Request<crate::conns::IdleBody>,
    ) -> Result<(StatusCode, String), ApiError> {
        let (parts, body) = req.into_parts();
        let crate::signed::Signed {
            identity,
            session,
            body,
        } = crate::signed::receive(
            &self.iam,
            &parts,
            body,
            crate::signed::Protocol {
                scope: crate::signed::Scope {
                    service: "s3",
                    regions: &[self.region.as_str()],
                },
                rules: Rules {
                    normalize_path: false,
                    token_added_after_signing: false,
                },
                max_body: MAX_BODY,
                too_large: || {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "EntityTooLarge",
                        "Request body is too large.",
                    )
                },
            },
        )
        .await?;
        if parts.uri.path() != PATH {
            return Err(ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "This S3 Control operation is not available yet.",
            ));
        }
        let account = parts
            .headers
            .get("x-amz-account-id")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::invalid("Missing x-amz-account-id"))?
            .to_owned();
        let action = match parts.method {
            Method::GET => "s3:GetAccountPublicAccessBlock",
            Method::PUT | Method::DELETE => "s3:PutAccountPublicAccessBlock",
            _ => {
                return Err(ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "The specified method is not allowed.",
                ));
            }
        };
        // Only the account's own principals may manage its settings, as their policies allow.
        let denied = || ApiError::new(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
        if identity.account() != account {
            return Err(denied());
        }
        let mut ctx = RequestContext::new(identity.principal(), action, "*");
        ctx.resource_account = Some(account.clone());
        fill_principal_context(&identity, session.as_ref(), self.iam.now_ms(), &mut ctx);
        let callers = self.iam.caller_policies(&identity, session.as_ref())?;
        if evaluate(&callers.policy_set(None), &ctx) != Decision::Allow {
            return Err(denied());
        }
        let wire = |e: S3Error| match e {
            S3Error::NoSuchPublicAccessBlockConfiguration => ApiError::new(
                StatusCode::NOT_FOUND,
                "NoSuchPublicAccessBlockConfiguration",
                "The public access block configuration was not found",
            ),
            other => {
                tracing::error!(error = %other, "S3 Control failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "We encountered an internal error.",
                )
            }
        };
        match parts.method {
            Method::GET => {
                let b = self
                    .core
                    .account_public_access_block(&account)
                    .map_err(wire)?;
                Ok((StatusCode::OK, block_xml(b)))
            }
            Method::PUT => {
                let text = std::str::from_utf8(&body).map_err(|_| malformed())?;
                if !text.contains("PublicAccessBlockConfiguration") {
                    return Err(malformed());
                }
                let flag = |name: &str| -> Result<bool, ApiError> {
                    match xml_text(text, name) {
                        None => Ok(false),
                        Some("true") => Ok(true),
                        Some("false") => Ok(false),
                        Some(_) => Err(malformed()),
                    }
                };
                let settings = PublicAccessBlock {
                    block_public_acls: flag("BlockPublicAcls")?,
                    ignore_public_acls: flag("IgnorePublicAcls")?,
                    block_public_policy: flag("BlockPublicPolicy")?,
                    restrict_public_buckets: flag("RestrictPublicBuckets")?,
                };
                self.core
                    .put_account_public_access_block(&account, settings)
                    .await
                    .map_err(wire)?;
                Ok((StatusCode::OK, String::new()))
            }
            _ => {
                self.core
                    .delete_account_public_access_block(&account)
                    .await
                    .map_err(wire)?;
                Ok((StatusCode::NO_CONTENT, String::new()))
            }
        }
    }
}

fn malformed() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema.",
    )
}

/// The trimmed text of the first `<name>...</name>` element.
fn xml_text<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim())
}

fn block_xml(b: PublicAccessBlock) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration xmlns="{NS}"><BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls><BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#,
        b.block_public_acls, b.ignore_public_acls, b.block_public_policy, b.restrict_public_buckets
    )
}

fn response(status: StatusCode, body: String) -> Response<Body> {
    crate::wire_common::response(status, "application/xml", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_flags() {
        let x = "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><BlockPublicPolicy> false </BlockPublicPolicy></PublicAccessBlockConfiguration>";
        assert_eq!(xml_text(x, "BlockPublicAcls"), Some("true"));
        assert_eq!(xml_text(x, "BlockPublicPolicy"), Some("false"));
        assert_eq!(xml_text(x, "RestrictPublicBuckets"), None);
    }
}
