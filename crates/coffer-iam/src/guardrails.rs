//! Account guardrails (the SCP equivalent): policies that bound everything an account's
//! principals may do, with AWS's implicit `FullAWSAccess` beside them until detached.

use std::sync::Arc;

use coffer_policy::{Policy, PolicyKind};
use coffer_store::KvOp;

use crate::iam::{NS, put};
use crate::{Iam, IamError};

/// An account's guardrails (the SCP equivalent) and whether the implicit allow-all sits
/// beside them, as AWS's `FullAWSAccess` does until it is detached. Without it, guardrails
/// are an allow-list: the account may do only what some guardrail allows.
#[derive(Clone)]
pub struct AccountGuardrails {
    pub policies: Vec<Arc<Policy>>,
    pub full_access: bool,
}

impl AccountGuardrails {
    /// No guardrails: nothing limits the account.
    pub fn none() -> Self {
        Self {
            policies: Vec::new(),
            full_access: true,
        }
    }
}

/// Key of an account's implicit allow-all flag (absent: attached).
fn full_access_key(account: &str) -> String {
    format!("guardrails-full-access/{account}")
}

impl Iam {
    /// The account's guardrails (SCP equivalent), parsed. Cached; fresh as of the last
    /// [`Iam::resolve`].
    pub fn guardrails(&self, account: &str) -> Result<AccountGuardrails, IamError> {
        if let Some(hit) = self
            .cache
            .read()
            .ok()
            .and_then(|c| c.guardrails.get(account).cloned())
        {
            return Ok(hit);
        }
        let docs: Vec<String> = self
            .get(&format!("guardrails/{account}"))?
            .unwrap_or_default();
        let policies: Vec<Arc<Policy>> = docs
            .iter()
            .map(|d| self.parsed(d, PolicyKind::Guardrail))
            .collect::<Result<_, _>>()?;
        let full_access = self.get::<bool>(&full_access_key(account))?.unwrap_or(true);
        let found = AccountGuardrails {
            policies,
            full_access,
        };
        if let Ok(mut c) = self.cache.write() {
            c.guardrails.insert(account.to_owned(), found.clone());
        }
        Ok(found)
    }

    /// Attaches (`true`, the default) or detaches the implicit allow-all beside an account's
    /// guardrails (AWS's `FullAWSAccess`).
    pub async fn set_guardrail_full_access(
        &self,
        account: &str,
        full_access: bool,
    ) -> Result<(), IamError> {
        if !self.account_exists(account)? {
            return Err(IamError::NoSuchEntity(format!(
                "The account {account} does not exist."
            )));
        }
        self.apply(vec![put(&full_access_key(account), &full_access)])
            .await?;
        Ok(())
    }

    pub fn guardrail_documents(&self, account: &str) -> Result<Vec<String>, IamError> {
        Ok(self
            .get(&format!("guardrails/{account}"))?
            .unwrap_or_default())
    }

    /// Replaces the account's guardrails (`[]` removes them).
    pub async fn set_guardrails(&self, account: &str, docs: Vec<String>) -> Result<(), IamError> {
        for d in &docs {
            Policy::parse(d, PolicyKind::Guardrail)
                .map_err(|e| IamError::MalformedPolicyDocument(e.0))?;
        }
        if !self.account_exists(account)? {
            return Err(IamError::NoSuchEntity(format!(
                "The account {account} does not exist."
            )));
        }
        let k = format!("guardrails/{account}");
        let op = if docs.is_empty() {
            KvOp::Put {
                ns: NS.into(),
                key: k,
                value: b"[]".to_vec(),
            }
        } else {
            put(&k, &docs)
        };
        self.apply(vec![op]).await?;
        Ok(())
    }
}
