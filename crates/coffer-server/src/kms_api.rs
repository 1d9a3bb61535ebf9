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

/// KMS operations Coffer does not offer (yet): `UnsupportedOperationException`. Any other
/// name KMS does not have is `UnknownOperationException`.
const UNSUPPORTED: [&str; 9] = [
    "ConnectCustomKeyStore",
    "CreateCustomKeyStore",
    "DeleteCustomKeyStore",
    "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
    "DeriveSharedSecret",
    "ReplicateKey",
    "UpdatePrimaryRegion",
];

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
        self.dispatch(op, &call).await
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

    async fn dispatch(&self, op: &str, call: &Call) -> Result<Value, KmsFault> {
        let acct = call.identity.account().to_owned();
        let none = EncryptionContext::new();
        // Page sizes, as KMS takes them (whether or not the listing is paged here).
        let page_max = match op {
            "ListKeys" | "ListKeyRotations" => Some(1000),
            "ListAliases" | "ListGrants" | "ListRetirableGrants" => Some(100),
            "ListResourceTags" | "ListKeyPolicies" => Some(50),
            _ => None,
        };
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
        Ok(match op {
            "CreateKey" => {
                self.authorize_account(call, op)?;
                let spec_name = call
                    .opt("KeySpec")
                    .or(call.opt("CustomerMasterKeySpec"))
                    .unwrap_or("SYMMETRIC_DEFAULT");
                let spec = KeySpec::parse(spec_name).ok_or_else(|| {
                    validation(format!("1 validation error detected: Value '{spec_name}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set"))
                })?;
                let external = match call.opt("Origin").unwrap_or("AWS_KMS") {
                    "AWS_KMS" => false,
                    "EXTERNAL" => true,
                    origin => {
                        return Err(KmsFault {
                            status: StatusCode::BAD_REQUEST,
                            kind: "UnsupportedOperationException",
                            message: format!("Origin {origin} is not available."),
                        });
                    }
                };
                if let Some(policy) = call.opt("Policy") {
                    let arn = format!("arn:aws:kms:{}:{acct}:key/*", self.kms.region());
                    self.check_policy_lockout(call, policy, &arn, &acct)?;
                }
                let m = self
                    .kms
                    .create_key_of(
                        &acct,
                        coffer_kms::NewKey {
                            spec,
                            usage: call.opt("KeyUsage").unwrap_or(coffer_kms::ENCRYPT_DECRYPT),
                            description: call.opt("Description").unwrap_or(""),
                            policy: call.opt("Policy"),
                            tags: tag_list(&call.body),
                            external,
                        },
                    )
                    .await?;
                json!({"KeyMetadata": key_metadata(&m)})
            }
            "DescribeKey" => {
                let key_id = call.str("KeyId")?;
                // As KMS: describing a predefined AWS alias creates its AWS managed key.
                if key_id == "alias/aws/s3" {
                    self.kms.managed_key(&acct, "s3").await?;
                }
                let m = self.authorize_key(call, op, key_id, &none)?;
                json!({"KeyMetadata": key_metadata(&m)})
            }
            "ListKeys" => {
                self.authorize_account(call, op)?;
                let keys: Vec<Value> = self
                    .kms
                    .list_keys(&acct)?
                    .iter()
                    .map(|m| json!({"KeyId": m.id, "KeyArn": m.arn}))
                    .collect();
                json!({"Keys": keys, "Truncated": false})
            }
            "EnableKey" | "DisableKey" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms
                    .set_enabled(&m.account, &m.id, op == "EnableKey")
                    .await?;
                json!({})
            }
            "UpdateKeyDescription" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms
                    .update_description(&m.account, &m.id, call.str("Description")?)
                    .await?;
                json!({})
            }
            "ScheduleKeyDeletion" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let days = call
                    .int("PendingWindowInDays", 7, 30)?
                    .map(|d| u32::try_from(d).unwrap_or(u32::MAX));
                let m = self.kms.schedule_deletion(&m.account, &m.id, days).await?;
                json!({
                    "KeyId": m.arn,
                    "DeletionDate": m.deletion_ms.unwrap_or(0) as f64 / 1000.0,
                    "KeyState": m.state.as_str(),
                    "PendingWindowInDays": days.unwrap_or(30),
                })
            }
            "CancelKeyDeletion" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let m = self.kms.cancel_deletion(&m.account, &m.id).await?;
                json!({"KeyId": m.arn})
            }
            "CreateAlias" => {
                let m = self.authorize_key(call, op, call.str("TargetKeyId")?, &none)?;
                self.kms
                    .create_alias(&acct, call.str("AliasName")?, &m.id)
                    .await?;
                json!({})
            }
            "UpdateAlias" => {
                let m = self.authorize_key(call, op, call.str("TargetKeyId")?, &none)?;
                self.kms
                    .update_alias(&acct, call.str("AliasName")?, &m.id)
                    .await?;
                json!({})
            }
            "DeleteAlias" => {
                self.authorize_account(call, op)?;
                self.kms.delete_alias(&acct, call.str("AliasName")?).await?;
                json!({})
            }
            "ListAliases" => {
                self.authorize_account(call, op)?;
                let filter = call.opt("KeyId");
                let aliases: Vec<Value> = self
                    .kms
                    .list_aliases(&acct)?
                    .into_iter()
                    .filter(|(_, _, target)| filter.is_none_or(|f| f == target))
                    .map(|(name, arn, target)| json!({"AliasName": name, "AliasArn": arn, "TargetKeyId": target}))
                    .collect();
                json!({"Aliases": aliases, "Truncated": false})
            }
            "Encrypt" if asymmetric_algorithm(call) => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("EncryptionAlgorithm")?;
                let (m, ct) = self.kms.encrypt_asymmetric(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("Plaintext")?,
                )?;
                json!({"CiphertextBlob": B64.encode(ct), "KeyId": m.arn, "EncryptionAlgorithm": alg})
            }
            "Decrypt" if asymmetric_algorithm(call) => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("EncryptionAlgorithm")?;
                let (m, pt) = self.kms.decrypt_asymmetric(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("CiphertextBlob")?,
                )?;
                json!({"KeyId": m.arn, "Plaintext": B64.encode(&pt[..]), "EncryptionAlgorithm": alg})
            }
            "Encrypt" => {
                let ctx = call.context("EncryptionContext")?;
                let m = self.authorize_key(call, op, call.str("KeyId")?, &ctx)?;
                let ct = self
                    .kms
                    .encrypt(&m.account, &m.arn, &call.blob("Plaintext")?, &ctx)?;
                json!({"CiphertextBlob": B64.encode(ct), "KeyId": m.arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
            }
            "Decrypt" => {
                let ctx = call.context("EncryptionContext")?;
                let blob = call.blob("CiphertextBlob")?;
                // Authorize on the key the blob names (or the one the caller insists on).
                let key_ref = match call.opt("KeyId") {
                    Some(k) => k.to_owned(),
                    None => self.ciphertext_key(&acct, &blob)?,
                };
                let m = self.authorize_key(call, op, &key_ref, &ctx).map_err(|f| {
                    if call.opt("KeyId").is_none() && f.kind == "NotFoundException" {
                        KmsError::InvalidCiphertext.into()
                    } else {
                        f
                    }
                })?;
                let (m, pt) = self.kms.decrypt(
                    &m.account,
                    Some(call.opt("KeyId").unwrap_or(&m.arn)),
                    &blob,
                    &ctx,
                )?;
                json!({"KeyId": m.arn, "Plaintext": B64.encode(&pt[..]), "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
            }
            "ReEncrypt" => {
                let blob = call.blob("CiphertextBlob")?;
                let src_ctx = call.context("SourceEncryptionContext")?;
                let dst_ctx = call.context("DestinationEncryptionContext")?;
                let src_ref = match call.opt("SourceKeyId") {
                    Some(k) => k.to_owned(),
                    None => self.ciphertext_key(&acct, &blob)?,
                };
                let src = self.authorize_key(call, "ReEncryptFrom", &src_ref, &src_ctx)?;
                let dst = self.authorize_key(
                    call,
                    "ReEncryptTo",
                    call.str("DestinationKeyId")?,
                    &dst_ctx,
                )?;
                // RSA keys on either side: raw RSAES-OAEP with the named algorithm.
                let src_alg = call
                    .opt("SourceEncryptionAlgorithm")
                    .unwrap_or("SYMMETRIC_DEFAULT");
                let dst_alg = call
                    .opt("DestinationEncryptionAlgorithm")
                    .unwrap_or("SYMMETRIC_DEFAULT");
                let (src, pt) = match src_alg {
                    "SYMMETRIC_DEFAULT" => {
                        self.kms
                            .decrypt(&src.account, Some(&src.arn), &blob, &src_ctx)?
                    }
                    alg => self
                        .kms
                        .decrypt_asymmetric(&src.account, &src.arn, alg, &blob)?,
                };
                let ct = match dst_alg {
                    "SYMMETRIC_DEFAULT" => {
                        self.kms.encrypt(&dst.account, &dst.arn, &pt, &dst_ctx)?
                    }
                    alg => {
                        self.kms
                            .encrypt_asymmetric(&dst.account, &dst.arn, alg, &pt)?
                            .1
                    }
                };
                json!({"CiphertextBlob": B64.encode(ct), "SourceKeyId": src.arn, "KeyId": dst.arn,
                       "SourceEncryptionAlgorithm": src_alg, "DestinationEncryptionAlgorithm": dst_alg})
            }
            "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext" => {
                let ctx = call.context("EncryptionContext")?;
                let m = self.authorize_key(call, op, call.str("KeyId")?, &ctx)?;
                let bytes = match (call.int("NumberOfBytes", 1, 1024)?, call.opt("KeySpec")) {
                    (Some(_), Some(_)) => {
                        return Err(validation(
                            "Specify either KeySpec or NumberOfBytes, not both.",
                        ));
                    }
                    (Some(n), None) => usize::try_from(n).unwrap_or(usize::MAX),
                    (None, Some("AES_256")) => 32,
                    (None, Some("AES_128")) => 16,
                    (None, Some(other)) => {
                        return Err(validation(format!("Invalid KeySpec {other}")));
                    }
                    (None, None) => {
                        return Err(validation(
                            "Please specify either number of bytes or key spec.",
                        ));
                    }
                };
                let dk = self
                    .kms
                    .generate_data_key(&m.account, &m.arn, bytes, &ctx)?;
                let mut out =
                    json!({"CiphertextBlob": B64.encode(&dk.ciphertext), "KeyId": dk.key_id});
                if op == "GenerateDataKey" {
                    out["Plaintext"] = json!(B64.encode(&dk.plaintext[..]));
                }
                out
            }
            "GenerateDataKeyPair" | "GenerateDataKeyPairWithoutPlaintext" => {
                let ctx = call.context("EncryptionContext")?;
                let m = self.authorize_key(call, op, call.str("KeyId")?, &ctx)?;
                let spec = call.str("KeyPairSpec")?;
                let pair = self
                    .kms
                    .generate_data_key_pair(&m.account, &m.arn, spec, &ctx)?;
                let mut out = json!({
                    "KeyId": pair.key_id,
                    "KeyPairSpec": spec,
                    "PrivateKeyCiphertextBlob": B64.encode(&pair.private_ciphertext),
                    "PublicKey": B64.encode(&pair.public_key),
                });
                if op == "GenerateDataKeyPair" {
                    out["PrivateKeyPlaintext"] = json!(B64.encode(&pair.private_plaintext[..]));
                }
                out
            }
            "Sign" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("SigningAlgorithm")?;
                let (m, sig) = self.kms.sign(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("Message")?,
                    call.opt("MessageType").unwrap_or("RAW"),
                )?;
                json!({"KeyId": m.arn, "Signature": B64.encode(sig), "SigningAlgorithm": alg})
            }
            "Verify" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("SigningAlgorithm")?;
                let m = self.kms.verify(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("Message")?,
                    call.opt("MessageType").unwrap_or("RAW"),
                    &call.blob("Signature")?,
                )?;
                json!({"KeyId": m.arn, "SignatureValid": true, "SigningAlgorithm": alg})
            }
            "GetPublicKey" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let (m, der) = self.kms.public_key(&m.account, &m.arn)?;
                let mut out = json!({
                    "KeyId": m.arn,
                    "PublicKey": B64.encode(der),
                    "CustomerMasterKeySpec": m.key_spec,
                    "KeySpec": m.key_spec,
                    "KeyUsage": m.key_usage,
                });
                let meta = key_metadata(&m);
                for name in ["EncryptionAlgorithms", "SigningAlgorithms"] {
                    if let Some(list) = meta.get(name) {
                        out[name] = list.clone();
                    }
                }
                out
            }
            "GenerateMac" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("MacAlgorithm")?;
                let (m, mac) =
                    self.kms
                        .generate_mac(&m.account, &m.arn, alg, &call.blob("Message")?)?;
                json!({"KeyId": m.arn, "Mac": B64.encode(mac), "MacAlgorithm": alg})
            }
            "VerifyMac" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("MacAlgorithm")?;
                let m = self.kms.verify_mac(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("Message")?,
                    &call.blob("Mac")?,
                )?;
                json!({"KeyId": m.arn, "MacValid": true, "MacAlgorithm": alg})
            }
            "GenerateRandom" => {
                self.authorize_account(call, op)?;
                let n = call.int("NumberOfBytes", 1, 1024)?.unwrap_or(0);
                let bytes = self.kms.random(usize::try_from(n).unwrap_or(0))?;
                json!({"Plaintext": B64.encode(bytes)})
            }
            "EnableKeyRotation" | "DisableKeyRotation" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                if op == "EnableKeyRotation" {
                    let days = call
                        .int("RotationPeriodInDays", 90, 2560)?
                        .map(|d| u32::try_from(d).unwrap_or(u32::MAX));
                    self.kms.enable_rotation(&m.account, &m.id, days).await?;
                } else {
                    self.kms.disable_rotation(&m.account, &m.id).await?;
                }
                json!({})
            }
            "GetKeyRotationStatus" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let st = self.kms.rotation_status(&m.account, &m.id)?;
                let mut out = json!({"KeyId": m.arn, "KeyRotationEnabled": st.enabled});
                if let (Some(p), Some(n)) = (st.period_days, st.next_rotation_ms) {
                    out["RotationPeriodInDays"] = json!(p);
                    out["NextRotationDate"] = json!(n as f64 / 1000.0);
                }
                out
            }
            "RotateKeyOnDemand" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms.rotate_now(&m.account, &m.id).await?;
                json!({"KeyId": m.arn})
            }
            "ListKeyRotations" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let rotations: Vec<Value> = self
                    .kms
                    .rotations(&m.account, &m.id)?
                    .into_iter()
                    .map(|(_, at, kind)| json!({"KeyId": m.arn, "RotationDate": at as f64 / 1000.0, "RotationType": kind}))
                    .collect();
                json!({"Rotations": rotations, "Truncated": false})
            }
            "TagResource" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms
                    .tag(&m.account, &m.id, tag_list(&call.body))
                    .await?;
                json!({})
            }
            "UntagResource" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let keys = string_list(&call.body, "TagKeys");
                self.kms.untag(&m.account, &m.id, &keys).await?;
                json!({})
            }
            "ListResourceTags" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let tags: Vec<Value> = self
                    .kms
                    .tags(&m.account, &m.id)?
                    .into_iter()
                    .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
                    .collect();
                json!({"Tags": tags, "Truncated": false})
            }
            "CreateGrant" => {
                let operations = string_list(&call.body, "Operations");
                let constraints = grant_constraints(&call.body)?;
                let grantee = call.str("GranteePrincipal")?.to_owned();
                let retiring = call.opt("RetiringPrincipal").map(str::to_owned);
                let mut conditions = vec![
                    ("kms:GrantOperations", operations.clone()),
                    ("kms:GranteePrincipal", vec![grantee.clone()]),
                    ("kms:GrantIsForAWSResource", vec!["false".into()]),
                ];
                if let Some(r) = &retiring {
                    conditions.push(("kms:RetiringPrincipal", vec![r.clone()]));
                }
                let kinds: Vec<String> = [
                    (
                        "EncryptionContextEquals",
                        constraints.context_equals.is_some(),
                    ),
                    (
                        "EncryptionContextSubset",
                        constraints.context_subset.is_some(),
                    ),
                ]
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(k, _)| k.to_owned())
                .collect();
                if !kinds.is_empty() {
                    conditions.push(("kms:GrantConstraintType", kinds));
                }
                let m = self.authorize_key_use(
                    call,
                    &KeyUse {
                        conditions,
                        ..KeyUse::new(op, call.str("KeyId")?, &none)
                    },
                )?;
                let g = self
                    .kms
                    .create_grant(
                        &m.account,
                        &m.arn,
                        coffer_kms::NewGrant {
                            grantee,
                            retiring,
                            operations,
                            constraints,
                            name: call.opt("Name").map(str::to_owned),
                            issuing_account: format!("arn:aws:iam::{acct}:root"),
                        },
                    )
                    .await?;
                json!({"GrantId": g.grant_id, "GrantToken": g.token()})
            }
            "ListGrants" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let grants: Vec<Value> = self
                    .kms
                    .grants(&m.id)?
                    .iter()
                    .filter(|g| call.opt("GrantId").is_none_or(|id| id == g.grant_id))
                    .filter(|g| call.opt("GranteePrincipal").is_none_or(|p| p == g.grantee))
                    .map(grant_json)
                    .collect();
                json!({"Grants": grants, "Truncated": false})
            }
            "ListRetirableGrants" => {
                self.authorize_account(call, op)?;
                let grants: Vec<Value> = self
                    .kms
                    .retirable_grants(call.str("RetiringPrincipal")?)?
                    .iter()
                    .map(grant_json)
                    .collect();
                json!({"Grants": grants, "Truncated": false})
            }
            "RetireGrant" => {
                let g = self.kms.find_grant(
                    call.opt("GrantToken"),
                    match (call.opt("KeyId"), call.opt("GrantId")) {
                        (Some(k), Some(id)) => Some((k, id)),
                        _ => None,
                    }
                    .map(|(k, id)| {
                        // KeyId may be an ARN; grants are filed under the key id.
                        (k.rsplit('/').next().unwrap_or(k), id)
                    }),
                )?;
                // The retiring principal, or a grantee the grant lets retire it; else policy.
                let me = grantee_arns(&call.identity);
                let by_grant = g.retiring.as_ref().is_some_and(|r| me.contains(r))
                    || (me.contains(&g.grantee) && g.operations.iter().any(|o| o == "RetireGrant"));
                if !by_grant {
                    self.authorize_key(call, op, &g.key_arn, &none)?;
                }
                self.kms.delete_grant(&g).await?;
                json!({})
            }
            "RevokeGrant" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let g = self
                    .kms
                    .find_grant(None, Some((&m.id, call.str("GrantId")?)))?;
                self.kms.delete_grant(&g).await?;
                json!({})
            }
            "GetParametersForImport" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let p = self
                    .kms
                    .import_parameters(
                        &m.account,
                        &m.arn,
                        call.str("WrappingAlgorithm")?,
                        call.str("WrappingKeySpec")?,
                    )
                    .await?;
                json!({
                    "KeyId": p.key_arn,
                    "ImportToken": B64.encode(&p.token),
                    "PublicKey": B64.encode(&p.public_key),
                    "ParametersValidTo": p.valid_to_ms as f64 / 1000.0,
                })
            }
            "ImportKeyMaterial" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let valid_to = call
                    .body
                    .get("ValidTo")
                    .and_then(Value::as_f64)
                    .map(|t| (t * 1000.0) as i64);
                let valid_to = match (call.opt("ExpirationModel"), valid_to) {
                    (Some("KEY_MATERIAL_DOES_NOT_EXPIRE"), Some(_)) => {
                        return Err(validation(
                            "ValidTo must not be set when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.",
                        ));
                    }
                    (Some("KEY_MATERIAL_EXPIRES"), None) => {
                        return Err(validation(
                            "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.",
                        ));
                    }
                    (None | Some("KEY_MATERIAL_EXPIRES" | "KEY_MATERIAL_DOES_NOT_EXPIRE"), v) => v,
                    (Some(other), _) => {
                        return Err(validation(format!("Invalid ExpirationModel {other}")));
                    }
                };
                self.kms
                    .import_key_material(
                        &m.account,
                        &m.arn,
                        &call.blob("ImportToken")?,
                        &call.blob("EncryptedKeyMaterial")?,
                        valid_to,
                    )
                    .await?;
                json!({"KeyId": m.arn})
            }
            "DeleteImportedKeyMaterial" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms
                    .delete_imported_material(&m.account, &m.arn)
                    .await?;
                json!({"KeyId": m.arn})
            }
            "GetKeyLastUsage" => {
                let key_id = call.str("KeyId")?;
                if key_id.starts_with("alias/") || key_id.contains(":alias/") {
                    return Err(validation(
                        "Alias names are not supported: specify the key ID or key ARN.",
                    ));
                }
                let m = self.authorize_key(call, op, key_id, &none)?;
                let mut out = json!({
                    "KeyId": m.id,
                    "KeyCreationDate": m.created_ms as f64 / 1000.0,
                    "TrackingStartDate": m.created_ms.max(self.audit.tracking_start_ms()) as f64 / 1000.0,
                });
                if let Some(u) = self.audit.last_use(&m.arn) {
                    out["KeyLastUsage"] = json!({
                        "Operation": u.operation,
                        "Timestamp": u.at_ms as f64 / 1000.0,
                        "CloudTrailEventId": u.event_id,
                    });
                }
                out
            }
            "GetKeyPolicy" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let (_, policy) = self.kms.key_policy(&m.account, &m.id)?;
                json!({"Policy": policy, "PolicyName": "default"})
            }
            "PutKeyPolicy" => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let policy = call.str("Policy")?;
                self.check_policy_lockout(call, policy, &m.arn, &m.account)?;
                self.kms.put_key_policy(&m.account, &m.id, policy).await?;
                json!({})
            }
            "ListKeyPolicies" => {
                self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                json!({"PolicyNames": ["default"], "Truncated": false})
            }
            other if UNSUPPORTED.contains(&other) => {
                return Err(KmsFault {
                    status: StatusCode::BAD_REQUEST,
                    kind: "UnsupportedOperationException",
                    message: format!("{other} is not available yet."),
                });
            }
            _ => {
                return Err(KmsFault {
                    status: StatusCode::BAD_REQUEST,
                    kind: "UnknownOperationException",
                    message: String::new(),
                });
            }
        })
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
