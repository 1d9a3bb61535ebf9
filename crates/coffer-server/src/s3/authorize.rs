//! Builds the policy engine's view of an S3 request: the principal, the IAM action and
//! resource ARN of the operation, and the condition keys (auth type, signature version and
//! age, SSE headers, prefixes, tags, source IP, time). Then asks the domain to decide.

use crate::wire_common::Connection;
use std::sync::Arc;

use coffer_iam::{Iam, Identity};
use coffer_policy::{Principal, RequestContext};
use coffer_s3::S3Core;
use http::{HeaderMap, Uri};
use s3s::S3Result;
use s3s::auth::Credentials;
use time::OffsetDateTime;

use super::wire::s3_wire;

/// One request as authorization sees it.
pub(crate) struct RequestView<'a> {
    pub(crate) credentials: Option<&'a Credentials>,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) conn: Option<Connection>,
    /// s3s operation name (`PutObject`, `PostObject`, ...).
    pub(crate) op: &'a str,
    /// The caller as the S3 decision of this same request resolved it, if it has run.
    pub(crate) resolved: Option<ResolvedCaller>,
    /// Condition keys an operation knows only once its document is read (Object Lock's).
    pub(crate) extra: &'a [(&'static str, String)],
}

/// A request's resolved caller, kept in its extensions by the access check so the operation's
/// own checks (SSE-KMS) do not resolve it again.
#[derive(Clone)]
pub(crate) struct ResolvedCaller(Arc<Caller>);

impl ResolvedCaller {
    /// The caller's account (`None` for anonymous callers).
    pub(crate) fn account(&self) -> Option<&str> {
        self.0.principal.account()
    }

    /// The account whose root user this caller is (with its long-term keys), if it is one.
    pub(crate) fn root_account(&self) -> Option<&str> {
        match (&self.0.identity, &self.0.session) {
            (Some(Identity::Root { account }), None) => Some(account),
            _ => None,
        }
    }
}

pub(crate) struct Authorizer {
    pub(crate) core: Arc<S3Core>,
    pub(crate) iam: Arc<Iam>,
    pub(crate) kms: Arc<coffer_kms::Kms>,
    pub(crate) audit: Arc<crate::audit::AuditLog>,
    pub(crate) region: String,
    pub(crate) bucket_key_uses: BucketKeyUses,
}

/// Bucket-key uses already judged. While S3 holds a bucket key it makes no KMS call (as on
/// AWS), so a (requester, operation, bucket, KMS key) allowed within the bucket key's lifetime
/// is not judged again while nothing it was judged on changed: the key service's generation
/// (any key, policy, grant or alias write) and the caller's IAM policies (the very same parsed
/// documents). Any such change re-judges at once; the key's state is still checked on every use
/// (coffer-s3). What the cache holds for up to the lifetime are time-based conditions.
#[derive(Default)]
pub(crate) struct BucketKeyUses(std::sync::Mutex<std::collections::HashMap<String, Judged>>);

struct Judged {
    at: std::time::Instant,
    kms_generation: u64,
    policies: coffer_iam::CallerPolicies,
}

impl BucketKeyUses {
    fn still_allowed(&self, id: &str, kms_generation: u64, p: &coffer_iam::CallerPolicies) -> bool {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id).is_some_and(|j| {
            j.at.elapsed() < coffer_s3::BUCKET_KEY_LIFETIME
                && j.kms_generation == kms_generation
                && j.policies.same_as(p)
        })
    }

    fn remember(&self, id: String, kms_generation: u64, policies: coffer_iam::CallerPolicies) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= 10_000 {
            map.retain(|_, j| j.at.elapsed() < coffer_s3::BUCKET_KEY_LIFETIME);
        }
        map.insert(
            id,
            Judged {
                at: std::time::Instant::now(),
                kms_generation,
                policies,
            },
        );
    }
}

/// The caller, its identity policies and its account's guardrails.
pub(crate) struct Caller {
    principal: Principal,
    identity: Option<Identity>,
    session: Option<coffer_iam::SessionInfo>,
    policies: coffer_iam::CallerPolicies,
}

impl Authorizer {
    /// Decides `action` on the bucket or object for this request.
    pub(crate) fn check(
        &self,
        view: &RequestView<'_>,
        action: &str,
        bucket: Option<&str>,
        key: Option<&str>,
    ) -> S3Result<ResolvedCaller> {
        let resource = match (bucket, key) {
            (Some(b), Some(k)) => format!("arn:aws:s3:::{b}/{k}"),
            (Some(b), None) => format!("arn:aws:s3:::{b}"),
            _ => "*".to_owned(),
        };
        let caller = self.caller(view)?;
        let mut ctx = self.context(view, &caller, action, resource);
        // A bucket being created is the caller's own: a name another account holds is that
        // account's bucket only to answer `BucketAlreadyExists`, never to judge by its policy.
        let judged_bucket = bucket.filter(|_| action != "s3:CreateBucket");
        self.core
            .authorize(judged_bucket, &mut ctx, caller.policies.policy_set(None))
            .map_err(s3_wire)?;
        Ok(ResolvedCaller(caller))
    }

    /// Whether the caller is a principal of the account that owns `bucket` (false for
    /// anonymous callers and when the bucket does not exist).
    pub(crate) fn caller_owns_bucket(&self, view: &RequestView<'_>, bucket: &str) -> bool {
        let Ok(caller) = self.caller(view) else {
            return false;
        };
        let Some(account) = caller.principal.account() else {
            return false;
        };
        self.core.bucket(bucket).is_ok_and(|b| b.owner == account)
    }

    /// SSE-KMS: the requester itself needs `kms:<op>` on the key, via S3 (`kms:ViaService`),
    /// with the context S3 uses (the bucket ARN under a bucket key). Nothing for SSE-S3.
    pub(crate) fn check_kms(
        &self,
        view: &RequestView<'_>,
        op: &str,
        enc: &coffer_s3::ObjectEncryption,
        bucket: &str,
        key: &str,
    ) -> S3Result<()> {
        let Some(key_arn) = enc.kms_key_arn.as_deref() else {
            return Ok(());
        };
        let caller = self.caller(view)?;
        let Some(identity) = &caller.identity else {
            return Err(s3s::s3_error!(AccessDenied, "Access Denied"));
        };
        // Under a bucket key S3 calls KMS once per key lifetime: a use judged and allowed then,
        // on the same policies, needs no new decision (and makes no KMS call to audit).
        let judged_id = format!("{}\n{op}\n{bucket}\n{key_arn}", identity.arn());
        let kms_generation = self.kms.generation();
        if enc.bucket_key_enabled
            && self
                .bucket_key_uses
                .still_allowed(&judged_id, kms_generation, &caller.policies)
        {
            return Ok(());
        }
        // Otherwise S3 uses KMS on the requester's behalf: the use is judged, audited, and
        // spends the key owner's KMS quota.
        let via = format!("s3.{}.amazonaws.com", self.region);
        let context = coffer_s3::kms_context_for(enc, bucket, key);
        let decided = crate::kms_api::authorize_key_use(
            &self.kms,
            &self.iam,
            identity,
            caller.session.as_ref(),
            Some(&caller.policies),
            &crate::kms_api::KeyUse {
                via_service: Some(&via),
                ..crate::kms_api::KeyUse::new(op, key_arn, &context)
            },
        );
        if enc.bucket_key_enabled && decided.is_ok() {
            self.bucket_key_uses
                .remember(judged_id, kms_generation, caller.policies.clone());
        }
        {
            self.audit.record(crate::audit::Event {
                name: op,
                identity: Some(identity),
                access_key_id: view.credentials.map(|c| c.access_key.as_str()),
                source_ip: view.conn.map(|c| c.peer),
                request: serde_json::json!({"keyId": key_arn, "encryptionContext": context}),
                key_arn: Some(key_arn),
                error: decided.as_ref().err().map(|f| (f.kind, f.message.as_str())),
                invoked_by: Some("s3.amazonaws.com"),
            });
        }
        decided.map(|_| ()).map_err(|f| {
            if f.kind == "ThrottlingException" {
                return super::wire::s3_wire(coffer_s3::S3Error::Kms(
                    coffer_kms::KmsError::Throttled,
                ));
            }
            let mut e = s3s::S3Error::with_message(
                if f.kind == "AccessDeniedException" {
                    s3s::S3ErrorCode::AccessDenied
                } else {
                    s3s::S3ErrorCode::Custom(format!("KMS.{}", f.kind).into())
                },
                f.message,
            );
            e.set_status_code(if f.kind == "AccessDeniedException" {
                http::StatusCode::FORBIDDEN
            } else {
                f.status
            });
            e
        })
    }

    fn caller(&self, view: &RequestView<'_>) -> S3Result<Arc<Caller>> {
        if let Some(ResolvedCaller(c)) = &view.resolved {
            return Ok(c.clone());
        }
        self.resolve_caller(view).map(Arc::new)
    }

    fn resolve_caller(&self, view: &RequestView<'_>) -> S3Result<Caller> {
        let internal = super::wire::iam_internal;
        let Some(c) = view.credentials else {
            return Ok(Caller {
                principal: Principal::Anonymous,
                identity: None,
                session: None,
                policies: coffer_iam::CallerPolicies {
                    identity: Vec::new(),
                    guardrails: coffer_iam::AccountGuardrails::none(),
                    session: None,
                },
            });
        };
        // s3s verified the signature with this key's secret, resolved moments ago (freshly)
        // for this very request: take that resolution rather than read the store again.
        let resolved = self
            .iam
            .resolve_again(&c.access_key)
            .map_err(internal)?
            .ok_or_else(|| {
                s3s::s3_error!(
                    InvalidAccessKeyId,
                    "The AWS Access Key Id you provided does not exist in our records."
                )
            })?;
        // s3s ignores X-Amz-Security-Token; temporary credentials are only valid with theirs.
        if let Some(session) = &resolved.session {
            let token = view
                .headers
                .get("x-amz-security-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .or_else(|| {
                    query_pairs(view.uri)
                        .into_iter()
                        .find(|(k, _)| k == "X-Amz-Security-Token")
                        .map(|(_, v)| v)
                });
            match session.check_token(token.as_deref(), self.iam.now_ms()) {
                Ok(()) => {}
                Err(coffer_iam::TokenProblem::Invalid) => {
                    return Err(s3s::s3_error!(
                        InvalidToken,
                        "The provided token is malformed or otherwise invalid."
                    ));
                }
                Err(coffer_iam::TokenProblem::Expired) => {
                    let mut e = s3s::S3Error::with_message(
                        s3s::S3ErrorCode::Custom("ExpiredToken".into()),
                        "The provided token has expired.",
                    );
                    e.set_status_code(http::StatusCode::BAD_REQUEST);
                    return Err(e);
                }
            }
        }
        let identity = resolved.identity;
        let policies = self
            .iam
            .caller_policies(&identity, resolved.session.as_ref())
            .map_err(internal)?;
        Ok(Caller {
            principal: identity.principal(),
            identity: Some(identity),
            session: resolved.session,
            policies,
        })
    }

    fn context(
        &self,
        view: &RequestView<'_>,
        caller: &Caller,
        action: &str,
        resource: String,
    ) -> RequestContext {
        let principal = caller.principal.clone();
        let mut ctx = RequestContext::new(principal.clone(), action, resource);
        ctx.set(
            "aws:SecureTransport",
            if view.conn.and_then(|c| c.tls).is_some() {
                "true"
            } else {
                "false"
            },
        )
        .set("aws:ViaAWSService", "false")
        .set("aws:RequestedRegion", self.region.clone());
        if let Some(conn) = view.conn {
            ctx.set("aws:SourceIp", conn.peer.ip().to_string());
            if let Some(v) = conn.tls {
                ctx.set("s3:TlsVersion", v);
            }
        }
        match &caller.identity {
            Some(identity) => coffer_iam::fill_principal_context(
                identity,
                caller.session.as_ref(),
                self.iam.now_ms(),
                &mut ctx,
            ),
            None => coffer_iam::fill_time_context(self.iam.now_ms(), &mut ctx),
        }
        if let Some(v) = version_in_query(view.uri) {
            ctx.set("s3:VersionId", v);
        }
        let (auth_type, sig_version, signed_at) = signature_facts(view);
        if let Some(t) = auth_type {
            ctx.set("s3:authType", t);
        }
        if let Some(v) = sig_version {
            ctx.set("s3:signatureversion", v);
        }
        if let Some(at) = signed_at {
            // Against the client's signing time: the wall clock, like every signature window.
            let age_ms = (OffsetDateTime::now_utc() - at).whole_milliseconds().max(0);
            ctx.set("s3:signatureAge", age_ms.to_string());
        }
        for (h, key) in [
            (
                "x-amz-server-side-encryption",
                "s3:x-amz-server-side-encryption",
            ),
            (
                "x-amz-server-side-encryption-aws-kms-key-id",
                "s3:x-amz-server-side-encryption-aws-kms-key-id",
            ),
            (
                "x-amz-server-side-encryption-customer-algorithm",
                "s3:x-amz-server-side-encryption-customer-algorithm",
            ),
            ("x-amz-content-sha256", "s3:x-amz-content-sha256"),
            ("x-amz-acl", "s3:x-amz-acl"),
            ("x-amz-grant-full-control", "s3:x-amz-grant-full-control"),
            ("x-amz-grant-read", "s3:x-amz-grant-read"),
            ("x-amz-grant-read-acp", "s3:x-amz-grant-read-acp"),
            ("x-amz-grant-write", "s3:x-amz-grant-write"),
            ("x-amz-grant-write-acp", "s3:x-amz-grant-write-acp"),
            ("x-amz-copy-source", "s3:x-amz-copy-source"),
            ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
            // Bucket policies can require conditional writes (AWS's keys).
            ("if-match", "s3:if-match"),
            ("if-none-match", "s3:if-none-match"),
        ] {
            if let Some(v) = view.headers.get(h).and_then(|v| v.to_str().ok()) {
                ctx.set(key, v.to_owned());
            }
        }
        if let Some(tagging) = view
            .headers
            .get("x-amz-tagging")
            .and_then(|v| v.to_str().ok())
        {
            let tags = super::convert::parse_tagging_header(tagging).unwrap_or_default();
            ctx.set_all(
                "s3:RequestObjectTagKeys",
                tags.iter().map(|t| t.key.clone()).collect(),
            );
            for t in tags {
                ctx.set(&format!("s3:RequestObjectTag/{}", t.key), t.value);
            }
        }
        for (key, value) in header_context(view.headers, self.iam.now_ms()) {
            ctx.set(key, value);
        }
        for (key, value) in view.extra {
            ctx.set(key, value.clone());
        }
        for (name, value) in query_pairs(view.uri) {
            match name.as_str() {
                "prefix" => ctx.set("s3:prefix", value),
                "delimiter" => ctx.set("s3:delimiter", value),
                "max-keys" => ctx.set("s3:max-keys", value),
                "versionId" => ctx.set("s3:VersionId", value),
                _ => continue,
            };
        }
        ctx
    }
}

/// The Object Lock condition keys of a request: `s3:object-lock-mode`,
/// `-retain-until-date`, `-remaining-retention-days` (whole days left, rounded up, by the
/// server's clock) and `-legal-hold`, from a write's headers or a lock document.
pub(crate) fn lock_context(
    mode: Option<&str>,
    until: Option<i64>,
    legal_hold: Option<&str>,
    now_ms: i64,
) -> Vec<(&'static str, String)> {
    const DAY_MS: i64 = 86_400_000;
    let mut keys = Vec::new();
    if let Some(m) = mode {
        keys.push(("s3:object-lock-mode", m.to_owned()));
    }
    if let Some(t) = until {
        keys.push((
            "s3:object-lock-retain-until-date",
            coffer_clock::rfc3339_utc(t),
        ));
        let left = (t.saturating_sub(now_ms)).max(0);
        let days = left / DAY_MS + i64::from(left % DAY_MS != 0);
        keys.push(("s3:object-lock-remaining-retention-days", days.to_string()));
    }
    if let Some(h) = legal_hold {
        keys.push(("s3:object-lock-legal-hold", h.to_owned()));
    }
    keys
}

/// The Object Lock condition keys a write's headers give (none on most requests).
fn header_context(headers: &http::HeaderMap, now_ms: i64) -> Vec<(&'static str, String)> {
    let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let (mode, until, hold) = (
        text("x-amz-object-lock-mode"),
        text("x-amz-object-lock-retain-until-date"),
        text("x-amz-object-lock-legal-hold"),
    );
    if mode.is_none() && until.is_none() && hold.is_none() {
        return Vec::new();
    }
    let until = until.and_then(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    });
    let until_ms =
        until.map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX));
    lock_context(mode, until_ms, hold, now_ms)
}

/// Authorization's view of a request whose input has been taken apart.
pub(crate) fn view<'a>(
    credentials: &'a Option<s3s::auth::Credentials>,
    uri: &'a http::Uri,
    headers: &'a http::HeaderMap,
    extensions: &'a http::Extensions,
) -> RequestView<'a> {
    RequestView {
        credentials: credentials.as_ref(),
        uri,
        headers,
        conn: extensions.get::<crate::wire_common::Connection>().copied(),
        op: "",
        resolved: extensions.get::<ResolvedCaller>().cloned(),
        extra: &[],
    }
}

/// Whether the request is signed with legacy Signature Version 2.
pub(crate) fn is_sigv2(view: &RequestView<'_>) -> bool {
    signature_facts(view).1 == Some("AWS")
}

/// `s3:authType`, `s3:signatureversion` and the signing time, re-derived from the verified
/// request (s3s does not report them).
fn signature_facts(
    view: &RequestView<'_>,
) -> (
    Option<&'static str>,
    Option<&'static str>,
    Option<OffsetDateTime>,
) {
    if view.credentials.is_none() {
        return (None, None, None);
    }
    if view.op == "PostObject" {
        return (Some("POST"), Some("AWS4-HMAC-SHA256"), None);
    }
    let header = |n: &str| view.headers.get(n).and_then(|v| v.to_str().ok());
    if let Some(auth) = header("authorization") {
        if auth.starts_with("AWS4-HMAC-SHA256") {
            return (
                Some("REST-HEADER"),
                Some("AWS4-HMAC-SHA256"),
                header("x-amz-date").and_then(parse_amz_date),
            );
        }
        if auth.starts_with("AWS ") {
            let at = header("x-amz-date")
                .or(header("date"))
                .and_then(parse_http_date);
            return (Some("REST-HEADER"), Some("AWS"), at);
        }
    }
    let q: Vec<(String, String)> = query_pairs(view.uri);
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    if get("X-Amz-Algorithm").is_some() {
        return (
            Some("REST-QUERY-STRING"),
            Some("AWS4-HMAC-SHA256"),
            get("X-Amz-Date").and_then(parse_amz_date),
        );
    }
    if get("Signature").is_some() {
        return (Some("REST-QUERY-STRING"), Some("AWS"), None);
    }
    (None, None, None)
}

fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let f = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, f)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// An HTTP date as clients send it (RFC 1123 `Tue, 03 Dec 2026 09:12:30 GMT`, or RFC 2822).
pub(super) fn parse_http_date(s: &str) -> Option<time::OffsetDateTime> {
    let imf = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s.trim(), imf)
        .map(time::PrimitiveDateTime::assume_utc)
        .ok()
        .or_else(|| {
            time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc2822)
                .ok()
        })
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn decode(s: &str) -> String {
    crate::wire_common::url_decode(s).unwrap_or_else(|| s.to_owned())
}

/// The `versionId` a request names, as sent (Coffer's ids and `null` need no decoding; any
/// other is refused by the operation).
pub(crate) fn version_in_query(uri: &Uri) -> Option<&str> {
    uri.query()?
        .split('&')
        .find_map(|p| p.strip_prefix("versionId="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let uri: Uri = "/b?prefix=a%2Fb+c&max-keys=5&x".parse().unwrap();
        let q = query_pairs(&uri);
        assert_eq!(q[0], ("prefix".to_owned(), "a/b c".to_owned()));
        assert_eq!(q[2], ("x".to_owned(), String::new()));
        assert_eq!(decode("%zz"), "%zz");
    }
}
