//! The IAM and STS query APIs (`aws iam ...`, `aws sts ...`): form-encoded `Action=`
//! requests, SigV4 verified by our own module, answered in IAM's XML.

mod ops;
mod xml;

pub(crate) use xml::escape;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use coffer_iam::{Iam, IamError, Identity, SessionInfo, TokenProblem};
use coffer_policy::{Decision, RequestContext};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use s3s::Body;
use time::OffsetDateTime;

use crate::sigv4::{self, RequestParts, Rules, SigV4Error};

/// Largest IAM/STS request body: policy documents are at most a few KiB.
const MAX_BODY: usize = 1 << 20;

/// Which query API a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Iam,
    Sts,
}

impl Service {
    fn ns(self) -> &'static str {
        match self {
            Self::Iam => xml::IAM_NS,
            Self::Sts => xml::STS_NS,
        }
    }
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

/// The credential scope's service of a SigV4 `Authorization` header, when it is IAM or STS.
pub(crate) fn route(headers: &HeaderMap) -> Option<Service> {
    match crate::sigv4::header_credential(headers)?
        .split('/')
        .nth(3)?
    {
        "iam" => Some(Service::Iam),
        "sts" => Some(Service::Sts),
        _ => None,
    }
}

/// A failure answered in the query protocol's error XML.
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    pub(crate) fn parts(self) -> (StatusCode, &'static str, String) {
        (self.status, self.code, self.message)
    }
}

/// The one place IAM domain errors become wire errors.
impl From<IamError> for ApiError {
    fn from(e: IamError) -> Self {
        let msg = e.to_string();
        let (status, code) = match e {
            IamError::NoSuchEntity(_) => (StatusCode::NOT_FOUND, "NoSuchEntity"),
            IamError::EntityAlreadyExists(_) => (StatusCode::CONFLICT, "EntityAlreadyExists"),
            IamError::DeleteConflict(_) => (StatusCode::CONFLICT, "DeleteConflict"),
            IamError::LimitExceeded(_) => (StatusCode::CONFLICT, "LimitExceeded"),
            IamError::MalformedPolicyDocument(_) => {
                (StatusCode::BAD_REQUEST, "MalformedPolicyDocument")
            }
            IamError::InvalidInput(_) => (StatusCode::BAD_REQUEST, "ValidationError"),
            IamError::InvalidAuthenticationCode(_) => {
                (StatusCode::FORBIDDEN, "InvalidAuthenticationCode")
            }
            IamError::AccessDenied(_) => (StatusCode::FORBIDDEN, "AccessDenied"),
            IamError::Corrupt | IamError::Random | IamError::Store(_) => {
                tracing::error!(error = %msg, "IAM internal error");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServiceFailure",
                    "An internal error occurred.",
                );
            }
        };
        Self {
            status,
            code,
            message: msg,
        }
    }
}

/// An authenticated IAM/STS call.
pub(crate) struct Call {
    pub(crate) identity: Identity,
    pub(crate) session: Option<SessionInfo>,
    pub(crate) params: HashMap<String, String>,
}

impl Call {
    pub(crate) fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params.get(name).map(String::as_str).ok_or_else(|| {
            ApiError::invalid(format!("1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"))
        })
    }

    pub(crate) fn opt(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// `Prefix.member.N.Field` lists (tags: `Tags.member.1.Key`).
    pub(crate) fn members(&self, prefix: &str, field: Option<&str>) -> Vec<String> {
        (1..)
            .map_while(|n| {
                let k = match field {
                    Some(f) => format!("{prefix}.member.{n}.{f}"),
                    None => format!("{prefix}.member.{n}"),
                };
                self.params.get(&k).cloned()
            })
            .collect()
    }

    pub(crate) fn account(&self) -> &str {
        self.identity.account()
    }
}

pub(crate) struct QueryApi {
    pub(crate) iam: Arc<Iam>,
}

impl QueryApi {
    pub(crate) async fn handle(
        &self,
        service: Service,
        req: Request<hyper::body::Incoming>,
        request_id: &str,
    ) -> Response<Body> {
        let (status, body) = match self.handle_inner(service, req, request_id).await {
            Ok(xml) => (StatusCode::OK, xml),
            Err(e) => (
                e.status,
                xml::error(
                    service.ns(),
                    e.status.is_client_error(),
                    e.code,
                    &e.message,
                    request_id,
                ),
            ),
        };
        crate::http::response(status, "text/xml", body)
    }

    async fn handle_inner(
        &self,
        service: Service,
        req: Request<hyper::body::Incoming>,
        request_id: &str,
    ) -> Result<String, ApiError> {
        let (parts, body) = req.into_parts();
        if parts.method != Method::POST && parts.method != Method::GET {
            return Err(ApiError::invalid("Only GET and POST are supported."));
        }
        let body: Bytes = http_body_util::Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    "Request body is too large.",
                )
            })?
            .to_bytes();
        let (identity, session) = self.authenticate(&parts, &body)?;
        let mut params: HashMap<String, String> = HashMap::new();
        for src in [parts.uri.query().unwrap_or("").as_bytes(), &body[..]] {
            for pair in std::str::from_utf8(src)
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
            {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let (Some(k), Some(v)) = (crate::s3::url_decode(k), crate::s3::url_decode(v))
                else {
                    return Err(ApiError::invalid("Malformed query string."));
                };
                params.insert(k, v);
            }
        }
        let action = params
            .get("Action")
            .cloned()
            .ok_or_else(|| ApiError::invalid("Missing Action."))?;
        let call = Call {
            identity,
            session,
            params,
        };
        let ns = service.ns();
        let result = match service {
            Service::Sts => ops::sts(&self.iam, &call, &action).await?,
            Service::Iam => {
                self.authorize(&call, &action)?;
                ops::iam(&self.iam, &call, &action).await?
            }
        };
        Ok(xml::response(ns, &action, result.as_deref(), request_id))
    }

    fn authenticate(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<(Identity, Option<SessionInfo>), ApiError> {
        authenticate(
            &self.iam,
            parts,
            body,
            Rules {
                normalize_path: true,
                token_added_after_signing: false,
            },
        )
    }
}

/// Verifies a SigV4-signed request with its whole body (IAM, STS, S3 Control) and checks the
/// session token of temporary credentials.
pub(crate) fn authenticate(
    iam: &Iam,
    parts: &http::request::Parts,
    body: &[u8],
    rules: Rules,
) -> Result<(Identity, Option<SessionInfo>), ApiError> {
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| {
            v.to_str()
                .ok()
                .map(|v| (n.as_str().to_owned(), v.to_owned()))
        })
        .collect();
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
            let r = iam.resolve(ak).ok().flatten()?;
            let secret = r.secret.clone();
            who = Some((r.identity, r.session));
            Some(secret)
        },
        OffsetDateTime::now_utc(),
        rules,
    );
    match verified {
        Ok(_) => {
            let (identity, session) = who.ok_or_else(|| {
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.",
                )
            })?;
            if let Some(s) = &session {
                let token = parts
                    .headers
                    .get("x-amz-security-token")
                    .and_then(|v| v.to_str().ok())
                    .or_else(|| query_param(parts.uri.query(), "X-Amz-Security-Token"));
                match s.check_token(token, crate::now_ms()) {
                    Ok(()) => {}
                    Err(TokenProblem::Invalid) => {
                        return Err(ApiError::new(
                            StatusCode::FORBIDDEN,
                            "InvalidClientTokenId",
                            "The security token included in the request is invalid.",
                        ));
                    }
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
        Err(SigV4Error::UnknownAccessKey) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )),
        Err(SigV4Error::SignatureDoesNotMatch) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )),
        Err(SigV4Error::RequestTimeTooSkewed | SigV4Error::Expired) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "Signature expired.",
        )),
        Err(e @ (SigV4Error::Malformed(_) | SigV4Error::ExpiresTooLong)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "IncompleteSignature",
            e.to_string(),
        )),
    }
}

impl QueryApi {
    /// IAM actions are judged like any other: identity policies and guardrails (the root user
    /// of the account is allowed what the guardrails allow).
    fn authorize(&self, call: &Call, action: &str) -> Result<(), ApiError> {
        let account = call.account().to_owned();
        let resource = ops::resource_arn(call, action);
        let mut ctx = RequestContext::new(
            call.identity.principal(),
            format!("iam:{action}"),
            resource.clone(),
        );
        ctx.resource_account = Some(account.clone());
        let decision = self.iam.decide_by_identity(
            &call.identity,
            call.session.as_ref(),
            ctx,
            crate::now_ms(),
        )?;
        match decision {
            Decision::Allow => Ok(()),
            Decision::ExplicitDeny(src) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: iam:{action} on resource: {resource} with an explicit deny in {}",
                    call.identity.arn(),
                    src.with_article()
                ),
            )),
            Decision::ImplicitDeny(_) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: iam:{action} on resource: {resource} because no identity-based policy allows the iam:{action} action",
                    call.identity.arn()
                ),
            )),
        }
    }
}
