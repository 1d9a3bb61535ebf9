//! Grants: a key's permission for a grantee principal to run some operations, optionally only
//! under an encryption context (`EncryptionContextEquals` / `EncryptionContextSubset`). Grants
//! only allow; an explicit deny in a policy still wins (the caller decides that first).

use coffer_store::KvOp;
use serde::{Deserialize, Serialize};

use crate::KmsError;
use crate::keys::{EncryptionContext, Kms, NS};

/// The operations a grant may allow, as KMS lists them.
pub const GRANT_OPERATIONS: [&str; 16] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
];

/// Operations an encryption-context constraint applies to; a constrained grant allows no
/// other operation (as KMS).
const CONTEXT_OPERATIONS: [&str; 8] = [
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantConstraints {
    pub context_equals: Option<EncryptionContext>,
    pub context_subset: Option<EncryptionContext>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub grant_id: String,
    pub key_id: String,
    pub key_arn: String,
    pub account: String,
    pub name: Option<String>,
    pub grantee: String,
    pub retiring: Option<String>,
    pub issuing_account: String,
    pub operations: Vec<String>,
    pub constraints: GrantConstraints,
    pub created_ms: i64,
    /// Presented to RetireGrant instead of key and grant id. Not a secret in KMS's model
    /// (it only names the grant), but never logged.
    token: String,
}

/// A new grant's parameters (the key is resolved and authorized by the caller).
pub struct NewGrant {
    pub grantee: String,
    pub retiring: Option<String>,
    pub operations: Vec<String>,
    pub constraints: GrantConstraints,
    pub name: Option<String>,
    pub issuing_account: String,
}

impl Grant {
    /// Whether this grant lets `principals` (any of the caller's ARNs) run `op` with `context`.
    pub fn allows(&self, principals: &[String], op: &str, context: &EncryptionContext) -> bool {
        if !principals.contains(&self.grantee) || !self.operations.iter().any(|o| o == op) {
            return false;
        }
        let c = &self.constraints;
        if c.context_equals.is_none() && c.context_subset.is_none() {
            return true;
        }
        if !CONTEXT_OPERATIONS.contains(&op) {
            return false;
        }
        c.context_equals.as_ref().is_none_or(|want| want == context)
            && c.context_subset
                .as_ref()
                .is_none_or(|want| want.iter().all(|(k, v)| context.get(k) == Some(v)))
    }

    pub fn token(&self) -> &str {
        &self.token
    }
}

fn grant_key(key_id: &str, grant_id: &str) -> String {
    format!("grant/{key_id}/{grant_id}")
}

impl Kms {
    /// CreateGrant on an (authorized, resolved) key; the same grantee, operations,
    /// constraints and name return the existing grant (as KMS does for a retried call).
    pub async fn create_grant(
        &self,
        account: &str,
        key_ref: &str,
        g: NewGrant,
    ) -> Result<Grant, KmsError> {
        let key = self.describe_key(account, key_ref)?;
        if g.operations.is_empty() {
            return Err(KmsError::Validation(
                "1 validation error detected: Value at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
            ));
        }
        if let Some(bad) = g
            .operations
            .iter()
            .find(|o| !GRANT_OPERATIONS.contains(&o.as_str()))
        {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '[{bad}]' at 'operations' failed to satisfy constraint: Member must satisfy enum value set"
            )));
        }
        if let Some(existing) = self.grants(&key.id)?.into_iter().find(|x| {
            x.grantee == g.grantee
                && x.operations == g.operations
                && x.constraints == g.constraints
                && g.name.is_some()
                && x.name == g.name
        }) {
            return Ok(existing);
        }
        let grant_id = hex(&self.random(32)?);
        let token = hex(&self.random(48)?);
        let grant = Grant {
            grant_id: grant_id.clone(),
            key_id: key.id.to_string(),
            key_arn: key.arn.clone(),
            account: key.account.clone(),
            name: g.name,
            grantee: g.grantee,
            retiring: g.retiring,
            issuing_account: g.issuing_account,
            operations: g.operations,
            constraints: g.constraints,
            created_ms: self.now(),
            token,
        };
        let value = serde_json::to_vec(&grant).map_err(|_| KmsError::Corrupt)?;
        self.apply_ops(vec![KvOp::Create {
            ns: NS.into(),
            key: grant_key(&key.id, &grant_id),
            value,
        }])
        .await?;
        Ok(grant)
    }

    /// The grants of a key (by id).
    pub fn grants(&self, key_id: &str) -> Result<Vec<Grant>, KmsError> {
        self.grants_under(&format!("grant/{key_id}/"))
    }

    /// ListRetirableGrants: grants in any key whose retiring principal is `principal`.
    pub fn retirable_grants(&self, principal: &str) -> Result<Vec<Grant>, KmsError> {
        Ok(self
            .grants_under("grant/")?
            .into_iter()
            .filter(|g| g.retiring.as_deref() == Some(principal))
            .collect())
    }

    /// The grant a RetireGrant names: by token, or by key id and grant id.
    pub fn find_grant(
        &self,
        token: Option<&str>,
        key_and_id: Option<(&str, &str)>,
    ) -> Result<Grant, KmsError> {
        let missing = || KmsError::NotFound("Grant not found.".into());
        if let Some(t) = token {
            return self
                .grants_under("grant/")?
                .into_iter()
                .find(|g| {
                    aws_lc_rs::constant_time::verify_slices_are_equal(
                        g.token.as_bytes(),
                        t.as_bytes(),
                    )
                    .is_ok()
                })
                .ok_or_else(|| KmsError::Validation("Invalid grant token.".into()));
        }
        let (key_id, grant_id) = key_and_id.ok_or_else(missing)?;
        self.grants(key_id)?
            .into_iter()
            .find(|g| g.grant_id == grant_id)
            .ok_or_else(missing)
    }

    /// Removes a grant (RetireGrant and RevokeGrant, once the caller is judged).
    pub async fn delete_grant(&self, g: &Grant) -> Result<(), KmsError> {
        self.apply_ops(vec![KvOp::Delete {
            ns: NS.into(),
            key: grant_key(&g.key_id, &g.grant_id),
        }])
        .await?;
        Ok(())
    }

    /// True if a grant on the key lets `principals` run `op` with `context`.
    pub fn grant_allows(
        &self,
        key_id: &str,
        principals: &[String],
        op: &str,
        context: &EncryptionContext,
    ) -> Result<bool, KmsError> {
        Ok(self
            .grants(key_id)?
            .iter()
            .any(|g| g.allows(principals, op, context)))
    }

    fn grants_under(&self, prefix: &str) -> Result<Vec<Grant>, KmsError> {
        self.kv_list(prefix)?
            .into_iter()
            .map(|(_, v)| serde_json::from_slice(&v).map_err(|_| KmsError::Corrupt))
            .collect()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(ops: &[&str], c: GrantConstraints) -> Grant {
        Grant {
            grant_id: "g".into(),
            key_id: "k".into(),
            key_arn: "arn".into(),
            account: "1".into(),
            name: None,
            grantee: "arn:aws:iam::1:user/bob".into(),
            retiring: None,
            issuing_account: "arn:aws:iam::1:root".into(),
            operations: ops.iter().map(|s| (*s).to_owned()).collect(),
            constraints: c,
            created_ms: 0,
            token: "t".into(),
        }
    }

    #[test]
    fn grants_allow_only_their_grantee_operations_and_context() {
        let bob = vec!["arn:aws:iam::1:user/bob".to_owned()];
        let eve = vec!["arn:aws:iam::1:user/eve".to_owned()];
        let ctx: EncryptionContext = [("app".to_owned(), "a".to_owned())].into();
        let wider: EncryptionContext = [
            ("app".to_owned(), "a".to_owned()),
            ("x".to_owned(), "y".to_owned()),
        ]
        .into();
        let plain = grant(&["Decrypt"], GrantConstraints::default());
        assert!(plain.allows(&bob, "Decrypt", &ctx));
        assert!(!plain.allows(&eve, "Decrypt", &ctx));
        assert!(!plain.allows(&bob, "Encrypt", &ctx));
        let equals = grant(
            &["Decrypt", "DescribeKey"],
            GrantConstraints {
                context_equals: Some(ctx.clone()),
                context_subset: None,
            },
        );
        assert!(equals.allows(&bob, "Decrypt", &ctx));
        assert!(!equals.allows(&bob, "Decrypt", &wider));
        assert!(!equals.allows(&bob, "DescribeKey", &ctx));
        let subset = grant(
            &["Decrypt"],
            GrantConstraints {
                context_equals: None,
                context_subset: Some(ctx.clone()),
            },
        );
        assert!(subset.allows(&bob, "Decrypt", &wider));
        assert!(!subset.allows(&bob, "Decrypt", &EncryptionContext::new()));
    }
}
