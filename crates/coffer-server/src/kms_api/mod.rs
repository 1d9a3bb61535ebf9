//! The AWS KMS JSON 1.1 API (`X-Amz-Target: TrentService.*`, SigV4 scope `kms`) over
//! `coffer-kms`. Every call is judged by the key's policy and the caller's IAM policies.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_iam::{Iam, Identity, SessionInfo, fill_principal_context};
use coffer_kms::{EncryptionContext, KeyMetadata, KeySpec, KeyState, Kms, KmsError};
use coffer_policy::{Decision, RequestContext, evaluate};
use http::{HeaderMap, Request, Response, StatusCode};
use s3s::Body;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::sigv4::Rules;

mod aliases;
mod crypto;
mod grants;
mod import;
mod keys;
mod op;

pub(crate) use op::KmsOp;
use op::{AliasOp, CryptoOp, GrantOp, ImportOp, KeyOp};

/// Largest KMS request body: the biggest inputs are a 32 KiB key policy and 6 KiB of
/// wrapped key material, base64 inside JSON.
const MAX_BODY: usize = 64 * 1024;
/// Longest CiphertextBlob KMS accepts (Decrypt, ReEncrypt).
const MAX_CIPHERTEXT: usize = 6144;

/// A JSON-protocol call: the operation named by `X-Amz-Target` (`TrentService.Encrypt`), or
/// `None` inside when the target names no KMS operation (answered
/// `UnknownOperationException`).
pub(crate) fn route(headers: &HeaderMap) -> Option<Option<String>> {
    let t = headers.get("x-amz-target")?;
    Some(
        t.to_str()
            .ok()
            .and_then(|t| t.strip_prefix("TrentService."))
            .filter(|op| !op.is_empty() && op.len() <= 64)
            .map(str::to_owned),
    )
}

pub(crate) struct KmsApi {
    pub(crate) kms: Arc<Kms>,
    pub(crate) iam: Arc<Iam>,
    pub(crate) audit: Arc<crate::audit::AuditLog>,
}

/// Request fields safe to put in the audit trail (never plaintext, ciphertext or policies).
const AUDITED_PARAMS: [&str; 28] = [
    "KeyId",
    "WrappingAlgorithm",
    "WrappingKeySpec",
    "ExpirationModel",
    "ValidTo",
    "GranteePrincipal",
    "RetiringPrincipal",
    "Operations",
    "GrantId",
    "Constraints",
    "KeyUsage",
    "KeyPairSpec",
    "SigningAlgorithm",
    "MessageType",
    "MacAlgorithm",
    "EncryptionAlgorithm",
    "Origin",
    "EncryptionContext",
    "NumberOfBytes",
    "KeySpec",
    "AliasName",
    "TargetKeyId",
    "PendingWindowInDays",
    "DestinationKeyId",
    "SourceKeyId",
    "RotationPeriodInDays",
    "SourceEncryptionContext",
    "DestinationEncryptionContext",
];

/// What the audit trail needs to know about a call, gathered as it runs.
#[derive(Default)]
struct Trace {
    identity: Option<Identity>,
    access_key_id: Option<String>,
    params: Value,
}

/// KMS errors on the wire: `{"__type": ..., "message": ...}`.
pub(crate) struct KmsFault {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

impl From<ApiError> for KmsFault {
    fn from(e: ApiError) -> Self {
        let (status, code, message) = e.parts();
        let kind = match code {
            "InvalidClientTokenId" => "UnrecognizedClientException",
            "MissingAuthenticationToken" => "MissingAuthenticationTokenException",
            "SignatureDoesNotMatch" | "IncompleteSignature" => "InvalidSignatureException",
            "ExpiredToken" => "ExpiredTokenException",
            "AccessDenied" => "AccessDeniedException",
            other => other,
        };
        // KMS answers its authentication failures with 400, as its other client errors.
        let status = if status == StatusCode::FORBIDDEN && kind != "AccessDeniedException" {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        Self {
            status,
            kind,
            message,
        }
    }
}

fn fault_response(f: KmsFault) -> Response<Body> {
    crate::wire_common::response(
        f.status,
        "application/x-amz-json-1.1",
        json!({"__type": f.kind, "message": f.message}).to_string(),
    )
}

/// The one place key-service errors become KMS wire errors.
impl From<KmsError> for KmsFault {
    fn from(e: KmsError) -> Self {
        let message = e.to_string();
        let bad = StatusCode::BAD_REQUEST;
        let (status, kind) = match &e {
            KmsError::NotFound(_) => (bad, "NotFoundException"),
            KmsError::Disabled(_) => (bad, "DisabledException"),
            KmsError::InvalidState(_) => (bad, "KMSInvalidStateException"),
            KmsError::InvalidCiphertext => (bad, "InvalidCiphertextException"),
            KmsError::IncorrectKey => (bad, "IncorrectKeyException"),
            KmsError::Validation(m) if m.starts_with("MalformedPolicyDocumentException") => {
                (bad, "MalformedPolicyDocumentException")
            }
            KmsError::Validation(_) => (bad, "ValidationException"),
            KmsError::Tag(_) => (bad, "TagException"),
            KmsError::LimitExceeded(_) => (bad, "LimitExceededException"),
            KmsError::AlreadyExists(_) => (bad, "AlreadyExistsException"),
            KmsError::InvalidKeyUsage(_) => (bad, "InvalidKeyUsageException"),
            KmsError::InvalidSignature => (bad, "KMSInvalidSignatureException"),
            KmsError::InvalidMac => (bad, "KMSInvalidMacException"),
            KmsError::UnsupportedOperation(_) => (bad, "UnsupportedOperationException"),
            KmsError::Throttled => (bad, "ThrottlingException"),
            KmsError::InvalidImportToken => (bad, "InvalidImportTokenException"),
            KmsError::ExpiredImportToken => (bad, "ExpiredImportTokenException"),
            KmsError::IncorrectKeyMaterial => (bad, "IncorrectKeyMaterialException"),
            KmsError::Corrupt | KmsError::Random | KmsError::Store(_) => {
                tracing::error!(error = %message, "KMS internal error");
                return Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    kind: "KMSInternalException",
                    message: "An internal error occurred.".into(),
                };
            }
        };
        Self {
            status,
            kind,
            message,
        }
    }
}

impl From<coffer_iam::IamError> for KmsFault {
    fn from(e: coffer_iam::IamError) -> Self {
        ApiError::from(e).into()
    }
}

fn validation(msg: impl Into<String>) -> KmsFault {
    KmsFault {
        status: StatusCode::BAD_REQUEST,
        kind: "ValidationException",
        message: msg.into(),
    }
}

struct Call {
    identity: Identity,
    session: Option<SessionInfo>,
    body: Value,
}

impl Call {
    fn str(&self, name: &str) -> Result<&str, KmsFault> {
        self.body.get(name).and_then(Value::as_str).ok_or_else(|| {
            validation(format!("1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"))
        })
    }

    fn opt(&self, name: &str) -> Option<&str> {
        self.body.get(name).and_then(Value::as_str)
    }

    fn blob(&self, name: &str) -> Result<Vec<u8>, KmsFault> {
        let b = B64
            .decode(self.str(name)?)
            .map_err(|_| validation(format!("{name} is not valid base64")))?;
        // KMS's limit on ciphertexts it takes back.
        if name == "CiphertextBlob" && (b.is_empty() || b.len() > MAX_CIPHERTEXT) {
            return Err(validation(format!(
                "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length between 1 and {MAX_CIPHERTEXT}"
            )));
        }
        Ok(b)
    }

    /// An integer parameter within `min..=max` (absent: `None`). A value of another JSON type
    /// is KMS's `SerializationException`; one out of range its `ValidationException`, never a
    /// default standing in for it.
    fn int(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, KmsFault> {
        let field = {
            let mut f = name.to_owned();
            f[..1].make_ascii_lowercase();
            f
        };
        match self.body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if v >= 0 && (min..=max).contains(&v.unsigned_abs()) => {
                    Ok(Some(v.unsigned_abs()))
                }
                Some(v) if v < i64::try_from(min).unwrap_or(i64::MAX) => Err(validation(format!(
                    "1 validation error detected: Value '{v}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
                ))),
                Some(v) => Err(validation(format!(
                    "1 validation error detected: Value '{v}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
                ))),
                None => Err(KmsFault {
                    status: StatusCode::BAD_REQUEST,
                    kind: "SerializationException",
                    message: format!("{name} must be an integer"),
                }),
            },
            Some(_) => Err(KmsFault {
                status: StatusCode::BAD_REQUEST,
                kind: "SerializationException",
                message: format!("{name} must be an integer"),
            }),
        }
    }

    fn context(&self, name: &str) -> Result<EncryptionContext, KmsFault> {
        Ok(context_map(&self.body, name)?.unwrap_or_default())
    }
}

impl KmsApi {
    pub(crate) async fn handle(
        &self,
        op: Option<&str>,
        req: Request<crate::conns::IdleBody>,
    ) -> Response<Body> {
        let Some(op) = op else {
            return fault_response(KmsFault {
                status: StatusCode::BAD_REQUEST,
                kind: "UnknownOperationException",
                message: String::new(),
            });
        };
        let source_ip = req
            .extensions()
            .get::<crate::wire_common::Connection>()
            .map(|c| c.peer);
        let mut trace = Trace {
            access_key_id: access_key_of(req.headers()),
            ..Trace::default()
        };
        let outcome = self.handle_inner(op, req, &mut trace).await;
        let key_arn = outcome.as_ref().ok().and_then(|v| {
            v.get("KeyMetadata")
                .and_then(|m| m.get("Arn"))
                .or_else(|| v.get("KeyId"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        self.audit.record(crate::audit::Event {
            name: op,
            identity: trace.identity.as_ref(),
            access_key_id: trace.access_key_id.as_deref(),
            source_ip,
            request: trace.params,
            key_arn: key_arn.as_deref(),
            error: outcome.as_ref().err().map(|f| (f.kind, f.message.as_str())),
            invoked_by: None,
        });
        match outcome {
            Ok(v) => crate::wire_common::response(
                StatusCode::OK,
                "application/x-amz-json-1.1",
                v.to_string(),
            ),
            Err(f) => fault_response(f),
        }
    }

    async fn handle_inner(
        &self,
        op: &str,
        req: Request<crate::conns::IdleBody>,
        trace: &mut Trace,
    ) -> Result<Value, KmsFault> {
        let (parts, body) = req.into_parts();
        // Nothing of the body is read before the request is known to be signed by a key that
        // exists, for this region and KMS.
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
                    service: "kms",
                    regions: &[self.kms.region()],
                },
                rules: Rules {
                    normalize_path: true,
                    token_added_after_signing: false,
                },
                max_body: MAX_BODY,
                too_large: || {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "ValidationException",
                        format!("Request body is larger than {MAX_BODY} bytes."),
                    )
                },
            },
        )
        .await?;
        trace.identity = Some(identity.clone());
        let body: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&body).map_err(|_| validation("Malformed JSON body"))?
        };
        trace.params = audited_params(&body);
        let call = Call {
            identity,
            session,
            body,
        };
        self.dispatch(KmsOp::parse(op), &call).await
    }

    /// Authorizes `op` on a key (key policy + IAM) and returns the key's metadata.
    fn authorize_key(
        &self,
        call: &Call,
        op: &str,
        key_ref: &str,
        context: &EncryptionContext,
    ) -> Result<KeyMetadata, KmsFault> {
        authorize_key_use(
            &self.kms,
            &self.iam,
            &call.identity,
            call.session.as_ref(),
            None,
            &KeyUse::new(op, key_ref, context),
        )
    }

    /// Like `authorize_key`, with extra condition keys.
    fn authorize_key_use(&self, call: &Call, u: &KeyUse<'_>) -> Result<KeyMetadata, KmsFault> {
        authorize_key_use(
            &self.kms,
            &self.iam,
            &call.identity,
            call.session.as_ref(),
            None,
            u,
        )
    }

    /// Account-level calls (CreateKey, ListKeys, ...): identity policies only.
    fn authorize_account(&self, call: &Call, op: &str) -> Result<(), KmsFault> {
        self.kms.admit(call.identity.account(), op, None)?;
        let ctx = RequestContext::new(call.identity.principal(), format!("kms:{op}"), "*");
        let decision = self
            .iam
            .decide_by_identity(&call.identity, call.session.as_ref(), ctx)?;
        if decision != Decision::Allow {
            return Err(KmsFault {
                status: StatusCode::BAD_REQUEST,
                kind: "AccessDeniedException",
                message: format!(
                    "User: {} is not authorized to perform: kms:{op} because no identity-based policy allows the kms:{op} action",
                    call.identity.arn()
                ),
            });
        }
        Ok(())
    }

    /// The key a ciphertext blob names, as a reference for `account`'s caller: its bare id
    /// when the key is the caller's own (the cached path), else its ARN in the account that
    /// holds it, so that ciphertexts of another account's key decrypt without a KeyId as in
    /// KMS (the key policy still decides).
    fn ciphertext_key(&self, account: &str, blob: &[u8]) -> Result<String, KmsFault> {
        let id = blob_key_id(blob).ok_or_else(|| KmsFault::from(KmsError::InvalidCiphertext))?;
        match self.kms.key_for_authorization(account, &id) {
            Ok(_) => Ok(id),
            Err(KmsError::NotFound(_)) => Ok(self.kms.key_arn_by_id(&id)?.unwrap_or(id)),
            Err(e) => Err(e.into()),
        }
    }

    /// KMS's policy lockout safety check: a new key policy must let the caller change it
    /// again (`kms:PutKeyPolicy`, judged as the gate it will be), unless the caller sets
    /// `BypassPolicyLockoutSafetyCheck`. Without it a key can become unmanageable for good.
    fn check_policy_lockout(
        &self,
        call: &Call,
        policy: &str,
        key_arn: &str,
        key_account: &str,
    ) -> Result<(), KmsFault> {
        if call.body.get("BypassPolicyLockoutSafetyCheck") == Some(&Value::Bool(true)) {
            return Ok(());
        }
        // A document that does not parse is refused by the key service with its reason.
        let Ok(parsed) = coffer_policy::Policy::parse(policy, coffer_policy::PolicyKind::Resource)
        else {
            return Ok(());
        };
        let mut ctx = RequestContext::new(call.identity.principal(), "kms:PutKeyPolicy", key_arn);
        ctx.resource_account = Some(key_account.to_owned());
        fill_principal_context(
            &call.identity,
            call.session.as_ref(),
            self.iam.now_ms(),
            &mut ctx,
        );
        let callers = self
            .iam
            .caller_policies(&call.identity, call.session.as_ref())?;
        if evaluate(&callers.gated_by(&parsed), &ctx) == Decision::Allow {
            return Ok(());
        }
        Err(KmsFault {
            status: StatusCode::BAD_REQUEST,
            kind: "MalformedPolicyDocumentException",
            message:
                "The new key policy will not allow you to update the key policy in the future."
                    .into(),
        })
    }

    async fn dispatch(&self, op: KmsOp, call: &Call) -> Result<Value, KmsFault> {
        // Page sizes, as KMS takes them (whether or not the listing is paged here).
        let page_max = op.page_max();
        if let Some(max) = page_max {
            call.int("Limit", 1, max)?;
        }
        // Key references: at most 2048 characters, never control characters.
        for name in ["KeyId", "TargetKeyId", "SourceKeyId", "DestinationKeyId"] {
            if let Some(v) = call.opt(name) {
                if v.is_empty() || v.chars().count() > 2048 {
                    return Err(validation(format!(
                        "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must have length between 1 and 2048"
                    )));
                }
                if v.chars().any(char::is_control) {
                    return Err(KmsFault {
                        status: StatusCode::BAD_REQUEST,
                        kind: "NotFoundException",
                        message: "Invalid keyId".into(),
                    });
                }
            }
        }
        match op {
            KmsOp::Keys(k) => self.keys(k, call).await,
            KmsOp::Crypto(c) => self.crypto(c, call).await,
            KmsOp::Aliases(a) => self.aliases(a, call).await,
            KmsOp::Grants(g) => self.grants(g, call).await,
            KmsOp::Import(i) => self.import_material(i, call).await,
            KmsOp::Unsupported(name) => Err(KmsFault {
                status: StatusCode::BAD_REQUEST,
                kind: "UnsupportedOperationException",
                message: format!("{name} is not available yet."),
            }),
            KmsOp::Unknown => Err(KmsFault {
                status: StatusCode::BAD_REQUEST,
                kind: "UnknownOperationException",
                message: String::new(),
            }),
        }
    }
}

/// One use of a key to judge: the operation, the key, the encryption context, the service
/// calling on the caller's behalf (`kms:ViaService`), and any extra condition keys.
pub(crate) struct KeyUse<'a> {
    pub(crate) op: &'a str,
    pub(crate) key_ref: &'a str,
    pub(crate) context: &'a EncryptionContext,
    pub(crate) via_service: Option<&'a str>,
    /// e.g. CreateGrant's `kms:GrantOperations`.
    pub(crate) conditions: Vec<(&'static str, Vec<String>)>,
}

impl<'a> KeyUse<'a> {
    pub(crate) fn new(op: &'a str, key_ref: &'a str, context: &'a EncryptionContext) -> Self {
        Self {
            op,
            key_ref,
            context,
            via_service: None,
            conditions: Vec::new(),
        }
    }
}

/// The ARNs a grant's `GranteePrincipal` may name for this caller (a role session also
/// answers to its role's ARN).
fn grantee_arns(identity: &Identity) -> Vec<String> {
    match identity {
        Identity::Role { role_arn, .. } => vec![identity.arn(), role_arn.clone()],
        _ => vec![identity.arn()],
    }
}

/// Judges `kms:<op>` on a key for a caller: the key policy and the caller's IAM policies, with
/// the encryption context (and `kms:ViaService` when another service, S3, calls for them);
/// where no policy allows (and none denies), a grant on the key may.
pub(crate) fn authorize_key_use(
    kms: &Kms,
    iam: &Iam,
    identity: &Identity,
    session: Option<&SessionInfo>,
    callers: Option<&coffer_iam::CallerPolicies>,
    u: &KeyUse<'_>,
) -> Result<KeyMetadata, KmsFault> {
    let op = u.op;
    let account = identity.account().to_owned();
    let (meta, policy) = kms.key_for_authorization(&account, u.key_ref)?;
    // Every judged use is a KMS request (S3 reusing a bucket key does not get here).
    kms.admit(&meta.account, op, Some(&meta.key_spec))?;
    let mut ctx = RequestContext::new(identity.principal(), format!("kms:{op}"), meta.arn.clone());
    ctx.resource_account = Some(meta.account.clone());
    fill_principal_context(identity, session, iam.now_ms(), &mut ctx);
    ctx.set("kms:CallerAccount", account);
    ctx.set_all(
        "kms:EncryptionContextKeys",
        u.context.keys().cloned().collect(),
    );
    for (k, v) in u.context {
        ctx.set(&format!("kms:EncryptionContext:{k}"), v.clone());
    }
    if let Some(v) = u.via_service {
        ctx.set("kms:ViaService", v);
    }
    for (k, v) in &u.conditions {
        ctx.set_all(k, v.clone());
    }
    // The S3 adapter passes the policies it already resolved for this request.
    let looked_up;
    let callers = match callers {
        Some(c) => c,
        None => {
            looked_up = iam.caller_policies(identity, session)?;
            &looked_up
        }
    };
    let allowed = match evaluate(&callers.gated_by(&policy), &ctx) {
        Decision::Allow => true,
        Decision::ExplicitDeny(_) => false,
        // Grants only add permissions: they are consulted when nothing denies.
        Decision::ImplicitDeny(_) => {
            kms.grant_allows(&meta.id, &grantee_arns(identity), op, u.context)?
        }
    };
    if !allowed {
        return Err(KmsFault {
            status: StatusCode::BAD_REQUEST,
            kind: "AccessDeniedException",
            message: format!(
                "User: {} is not authorized to perform: kms:{op} on resource: {} because no resource-based policy allows the kms:{op} action",
                identity.arn(),
                meta.arn
            ),
        });
    }
    Ok(meta)
}

/// The request fields the trail may keep, renamed to CloudTrail's camelCase.
fn audited_params(body: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for name in AUDITED_PARAMS {
        if let Some(v) = body.get(name) {
            let mut camel = name.to_owned();
            camel[..1].make_ascii_lowercase();
            out.insert(camel, v.clone());
        }
    }
    Value::Object(out)
}

/// The access key id of a SigV4 `Authorization` header (never the signature).
pub(crate) fn access_key_of(headers: &HeaderMap) -> Option<String> {
    let credential = crate::sigv4::header_credential(headers)?;
    Some(credential.split('/').next()?.to_owned())
}

/// `Tags: [{TagKey, TagValue}]` of a request body.
fn tag_list(body: &Value) -> Vec<(String, String)> {
    body.get("Tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((
                        t.get("TagKey")?.as_str()?.to_owned(),
                        t.get("TagValue")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The key id a ciphertext blob names (see FORMAT.md), for authorization before decrypting.
fn blob_key_id(blob: &[u8]) -> Option<String> {
    (blob.len() > 37 && blob[0] == 1)
        .then(|| String::from_utf8(blob[1..37].to_vec()).ok())
        .flatten()
}

/// A list of strings in a request body (missing: empty).
fn string_list(body: &Value, name: &str) -> Vec<String> {
    body.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// CreateGrant's `Constraints`.
fn grant_constraints(body: &Value) -> Result<coffer_kms::GrantConstraints, KmsFault> {
    let Some(c) = body.get("Constraints") else {
        return Ok(coffer_kms::GrantConstraints::default());
    };
    Ok(coffer_kms::GrantConstraints {
        context_equals: context_map(c, "EncryptionContextEquals")?,
        context_subset: context_map(c, "EncryptionContextSubset")?,
    })
}

/// A string-to-string map field (an encryption context); `None` when absent or null.
fn context_map(body: &Value, name: &str) -> Result<Option<EncryptionContext>, KmsFault> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|v| (k.clone(), v.to_owned()))
                    .ok_or_else(|| validation(format!("{name} values must be strings")))
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(validation(format!("{name} must be a map of strings"))),
    }
}

fn grant_json(g: &coffer_kms::Grant) -> Value {
    let mut v = json!({
        "KeyId": g.key_arn,
        "GrantId": g.grant_id,
        "CreationDate": g.created_ms as f64 / 1000.0,
        "GranteePrincipal": g.grantee,
        "IssuingAccount": g.issuing_account,
        "Operations": g.operations,
    });
    if let Some(n) = &g.name {
        v["Name"] = json!(n);
    }
    if let Some(r) = &g.retiring {
        v["RetiringPrincipal"] = json!(r);
    }
    let c = &g.constraints;
    if c.context_equals.is_some() || c.context_subset.is_some() {
        let mut cj = json!({});
        if let Some(e) = &c.context_equals {
            cj["EncryptionContextEquals"] = json!(e);
        }
        if let Some(e) = &c.context_subset {
            cj["EncryptionContextSubset"] = json!(e);
        }
        v["Constraints"] = cj;
    }
    v
}

/// Encrypt/Decrypt naming an asymmetric algorithm (RSAES_OAEP_*): raw RSA, no blob header.
fn asymmetric_algorithm(call: &Call) -> bool {
    call.opt("EncryptionAlgorithm")
        .is_some_and(|a| a != "SYMMETRIC_DEFAULT")
}

fn key_metadata(m: &KeyMetadata) -> Value {
    let mut v = json!({
        "AWSAccountId": m.account,
        "KeyId": m.id,
        "Arn": m.arn,
        "CreationDate": m.created_ms as f64 / 1000.0,
        "Enabled": m.state == KeyState::Enabled,
        "Description": m.description,
        "KeyUsage": m.key_usage,
        "KeyState": m.state.as_str(),
        "Origin": m.origin,
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": m.key_spec,
        "KeySpec": m.key_spec,
        "MultiRegion": false,
    });
    if let Some(spec) = KeySpec::parse(&m.key_spec) {
        let lists = [
            (
                "EncryptionAlgorithms",
                spec.encryption_algorithms(&m.key_usage),
            ),
            ("SigningAlgorithms", spec.signing_algorithms(&m.key_usage)),
            ("MacAlgorithms", spec.mac_algorithms()),
        ];
        for (name, list) in lists {
            if !list.is_empty() {
                v[name] = json!(list);
            }
        }
    }
    if let Some(d) = m.deletion_ms {
        v["DeletionDate"] = json!(d as f64 / 1000.0);
    }
    if let Some(e) = &m.expiration_model {
        v["ExpirationModel"] = json!(e);
    }
    if let Some(t) = m.valid_to_ms {
        v["ValidTo"] = json!(t as f64 / 1000.0);
    }
    v
}
