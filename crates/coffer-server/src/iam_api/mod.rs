//! The IAM and STS query APIs (`aws iam ...`, `aws sts ...`): form-encoded `Action=`
//! requests, SigV4 verified by our own module, answered in IAM's XML.

mod access_keys;
mod groups;
mod mfa;
mod op;
mod policies;
mod render;
mod roles;
mod sts;
mod users;
mod xml;

use op::{IamOp, StsOp};

use std::collections::HashMap;
use std::sync::Arc;

use coffer_iam::{Iam, Identity, SessionInfo};
use coffer_policy::{Decision, RequestContext};
use http::{Method, Request, Response, StatusCode};
use s3s::Body;

pub(crate) use crate::api_error::ApiError;
use crate::sigv4::Rules;

/// Largest IAM/STS request body: policy documents are at most 6 KiB (managed) to 10 KiB
/// (role inline), a few times that form-encoded.
const MAX_BODY: usize = 128 * 1024;

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

/// Whether a request is for the IAM or STS query API: by its SigV4 credential scope (header
/// or presigned), or, unsigned, by its shape — an `Action=` query, or a form POST to `/`
/// (S3 never takes either) — so that it gets IAM's answer, not S3's.
pub(crate) fn route<B>(req: &Request<B>) -> Option<Service> {
    let query = req.uri().query();
    if let Some(c) = crate::sigv4::request_credential(req.headers(), query) {
        return match c.split('/').nth(3)? {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            _ => None,
        };
    }
    if req.headers().contains_key(http::header::AUTHORIZATION) {
        return None;
    }
    let form_post = req.method() == Method::POST
        && req.uri().path() == "/"
        && req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let action = query_param(query, "Action");
    if !form_post && action.is_none() {
        return None;
    }
    Some(match action {
        Some(a) if STS_ACTIONS.contains(&a) => Service::Sts,
        _ => Service::Iam,
    })
}

/// STS's actions, to answer an unsigned call in STS's namespace rather than IAM's.
const STS_ACTIONS: [&str; 9] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetCallerIdentity",
    "GetFederationToken",
    "GetSessionToken",
];

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
    /// The server's region (credential scopes must name it, or IAM's `us-east-1`).
    pub(crate) region: String,
}

impl QueryApi {
    pub(crate) async fn handle(
        &self,
        service: Service,
        req: Request<crate::conns::IdleBody>,
        request_id: &str,
    ) -> Response<Body> {
        let (status, body) = match self.handle_inner(service, req, request_id).await {
            Ok(xml) => (StatusCode::OK, xml),
            Err(e) => {
                let (status, code, message) = e.parts();
                let xml = xml::error(
                    service.ns(),
                    status.is_client_error(),
                    code,
                    &message,
                    request_id,
                );
                (status, xml)
            }
        };
        crate::wire_common::response(status, "text/xml", body)
    }

    async fn handle_inner(
        &self,
        service: Service,
        req: Request<crate::conns::IdleBody>,
        request_id: &str,
    ) -> Result<String, ApiError> {
        let (parts, body) = req.into_parts();
        if parts.method != Method::POST && parts.method != Method::GET {
            return Err(ApiError::invalid("Only GET and POST are supported."));
        }
        // Nothing of the body is read before the request is known to be signed by a key
        // that exists, for this region and service.
        let service_name = match service {
            Service::Iam => "iam",
            Service::Sts => "sts",
        };
        let regions = [self.region.as_str(), "us-east-1"];
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
                    service: service_name,
                    regions: &regions,
                },
                rules: Rules {
                    normalize_path: true,
                    token_added_after_signing: false,
                },
                max_body: MAX_BODY,
                too_large: || {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "RequestEntityTooLarge",
                        "Request body is too large.",
                    )
                },
            },
        )
        .await?;
        let mut params: HashMap<String, String> = HashMap::new();
        for src in [parts.uri.query().unwrap_or("").as_bytes(), &body[..]] {
            for pair in std::str::from_utf8(src)
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
            {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let (Some(k), Some(v)) = (
                    crate::wire_common::url_decode(k),
                    crate::wire_common::url_decode(v),
                ) else {
                    return Err(ApiError::invalid("Malformed query string."));
                };
                params.insert(k, v);
            }
        }
        let action = params
            .get("Action")
            .cloned()
            .ok_or_else(|| ApiError::invalid("Missing Action."))?;
        // IAM's list calls take 1 to 1000 items per page.
        if let Some(v) = params.get("MaxItems") {
            let ok = v.parse::<u32>().is_ok_and(|n| (1..=1000).contains(&n));
            if !ok {
                return Err(ApiError::invalid(format!(
                    "1 validation error detected: Value '{v}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
                )));
            }
        }
        let call = Call {
            identity,
            session,
            params,
        };
        let ns = service.ns();
        let iam = &*self.iam;
        let result = match service {
            Service::Sts => match StsOp::parse_name(&action) {
                Some(op) => sts::sts(iam, &call, op).await?,
                None => return Err(render::not_implemented(&action)),
            },
            // Judged by the name as sent, before it is known to be one Coffer offers (an
            // unknown action is refused as AWS refuses it, to those allowed to ask).
            Service::Iam => {
                self.authorize(&call, &action)?;
                match IamOp::parse(&action) {
                    Some(IamOp::Users(op)) => users::users(iam, &call, op).await?,
                    Some(IamOp::AccessKeys(op)) => access_keys::access_keys(iam, &call, op).await?,
                    Some(IamOp::Groups(op)) => groups::groups(iam, &call, op).await?,
                    Some(IamOp::Roles(op)) => roles::roles(iam, &call, op).await?,
                    Some(IamOp::Policies(op)) => policies::policies(iam, &call, op).await?,
                    Some(IamOp::Mfa(op)) => mfa::mfa(iam, &call, op).await?,
                    None => return Err(render::not_implemented(&action)),
                }
            }
        };
        Ok(xml::response(ns, &action, result.as_deref(), request_id))
    }
}

impl QueryApi {
    /// IAM actions are judged like any other: identity policies and guardrails (the root user
    /// of the account is allowed what the guardrails allow).
    fn authorize(&self, call: &Call, action: &str) -> Result<(), ApiError> {
        let account = call.account().to_owned();
        let resource = resource_arn(call, action);
        let mut ctx = RequestContext::new(
            call.identity.principal(),
            format!("iam:{action}"),
            resource.clone(),
        );
        ctx.resource_account = Some(account.clone());
        let decision = self
            .iam
            .decide_by_identity(&call.identity, call.session.as_ref(), ctx)?;
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

/// The ARN an IAM action is about, for authorization.
fn resource_arn(call: &Call, action: &str) -> String {
    let acct = call.account();
    if let Some(arn) = call.opt("PolicyArn") {
        return arn.to_owned();
    }
    if let Some(g) = call.opt("GroupName").filter(|_| action.contains("Group")) {
        return format!("arn:aws:iam::{acct}:group/{g}");
    }
    match call.opt("UserName") {
        Some(u) => format!("arn:aws:iam::{acct}:user/{u}"),
        None if action == "CreatePolicy" => format!(
            "arn:aws:iam::{acct}:policy/{}",
            call.opt("PolicyName").unwrap_or("*")
        ),
        None if action == "CreateRole" || action.contains("Role") => {
            format!(
                "arn:aws:iam::{acct}:role/{}",
                call.opt("RoleName").unwrap_or("*")
            )
        }
        None => match &call.identity {
            Identity::Root { .. } => "*".to_owned(),
            other => other.arn(),
        },
    }
}
