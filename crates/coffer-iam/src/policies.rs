//! Customer managed policies (create, versions, delete) and the lookups that also find AWS
//! managed ones (`arn:aws:iam::aws:policy/...`, built in: `aws_managed.rs`).

use coffer_store::StoreError;

use crate::iam::{
    ID_ALPHABET, check_managed_quota, create, delete, identity_document, put, validate_name,
    validate_path,
};
use crate::{Iam, IamError, ManagedPolicy};

impl Iam {
    pub async fn create_policy(
        &self,
        account: &str,
        name: &str,
        path: &str,
        document: &str,
    ) -> Result<ManagedPolicy, IamError> {
        validate_name(name, 128, "policyName")?;
        let path = validate_path(path)?;
        identity_document(document)?;
        check_managed_quota(document)?;
        let p = ManagedPolicy {
            account: account.to_owned(),
            name: name.to_owned(),
            path,
            id: format!("ANPA{}", self.random_from(17, ID_ALPHABET)?),
            created_ms: self.clock.now_ms(),
            document: document.to_owned(),
            attachment_count: 0,
            default_version: "v1".into(),
            versions: vec![crate::PolicyVersion {
                id: "v1".into(),
                document: document.to_owned(),
                created_ms: self.clock.now_ms(),
            }],
            next_version: 2,
        };
        match self
            .apply(vec![create(&policy_key(account, name), &p)])
            .await
        {
            Ok(()) => Ok(p),
            Err(StoreError::KvConflict(_)) => Err(IamError::EntityAlreadyExists(format!(
                "A policy called {name} already exists. Duplicate names are not allowed."
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub fn managed_policy_by_arn(&self, arn: &str) -> Result<Option<ManagedPolicy>, IamError> {
        let Some(a) = coffer_policy::Arn::iam(arn) else {
            return Ok(None);
        };
        let Some(path_name) = a.resource_after("policy") else {
            return Ok(None);
        };
        let account = a.account;
        let name = path_name.rsplit('/').next().unwrap_or(path_name);
        if account == crate::aws_managed::AWS {
            // Built in; only the attachment count is kept here.
            let count = self
                .get::<ManagedPolicy>(&policy_key(account, name))?
                .map_or(0, |p| p.attachment_count);
            return Ok(crate::aws_managed::get(path_name, count));
        }
        self.get(&policy_key(account, name))
    }

    /// A customer managed policy to change: AWS managed ones can't be.
    fn customer_policy_by_arn(&self, arn: &str) -> Result<ManagedPolicy, IamError> {
        let p = self
            .managed_policy_by_arn(arn)?
            .ok_or_else(|| no_policy(arn))?;
        if p.account == crate::aws_managed::AWS {
            return Err(IamError::InvalidInput(format!(
                "Policy {arn} is an AWS managed policy: it cannot be changed or deleted."
            )));
        }
        Ok(p)
    }

    /// AWS managed policies (ListPolicies' `Scope` `AWS` or `All`), with their attachment
    /// counts here.
    pub fn aws_managed_policies(&self) -> Result<Vec<ManagedPolicy>, IamError> {
        crate::aws_managed::all()
            .map(|p| {
                let arn = format!(
                    "arn:aws:iam::aws:policy/{}{}",
                    p.path.trim_start_matches('/'),
                    p.name
                );
                Ok(self.managed_policy_by_arn(&arn)?.unwrap_or(p))
            })
            .collect()
    }

    pub fn policies(&self, account: &str) -> Result<Vec<ManagedPolicy>, IamError> {
        self.list(&format!("policy/{account}/"))
    }

    pub async fn delete_policy(&self, arn: &str) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let p = self.customer_policy_by_arn(arn)?;
        if p.attachment_count > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete a policy attached to entities.".into(),
            ));
        }
        self.apply(vec![delete(&policy_key(&p.account, &p.name))])
            .await?;
        Ok(())
    }

    /// CreatePolicyVersion: at most five versions, as IAM.
    pub async fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_default: bool,
    ) -> Result<crate::PolicyVersion, IamError> {
        identity_document(document)?;
        check_managed_quota(document)?;
        let _g = self.write_lock.lock().await;
        let mut p = self.customer_policy_by_arn(arn)?;
        if p.versions.len() >= 5 {
            return Err(IamError::LimitExceeded("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.".into()));
        }
        let v = crate::PolicyVersion {
            id: format!("v{}", p.next_version),
            document: document.to_owned(),
            created_ms: self.clock.now_ms(),
        };
        p.next_version += 1;
        p.versions.push(v.clone());
        if set_default {
            p.default_version = v.id.clone();
            p.document = v.document.clone();
        }
        self.apply(vec![put(&policy_key(&p.account, &p.name), &p)])
            .await?;
        Ok(v)
    }

    pub async fn set_default_policy_version(
        &self,
        arn: &str,
        version: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut p = self.customer_policy_by_arn(arn)?;
        let doc = p
            .versions
            .iter()
            .find(|v| v.id == version)
            .map(|v| v.document.clone())
            .ok_or_else(|| no_version(arn, version))?;
        p.default_version = version.to_owned();
        p.document = doc;
        self.apply(vec![put(&policy_key(&p.account, &p.name), &p)])
            .await?;
        Ok(())
    }

    pub async fn delete_policy_version(&self, arn: &str, version: &str) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut p = self.customer_policy_by_arn(arn)?;
        if p.default_version == version {
            return Err(IamError::DeleteConflict(
                "Cannot delete the default version of a policy.".into(),
            ));
        }
        let before = p.versions.len();
        p.versions.retain(|v| v.id != version);
        if p.versions.len() == before {
            return Err(no_version(arn, version));
        }
        self.apply(vec![put(&policy_key(&p.account, &p.name), &p)])
            .await?;
        Ok(())
    }
}

pub(crate) fn policy_key(account: &str, name: &str) -> String {
    format!("policy/{account}/{name}")
}
pub(crate) fn no_version(arn: &str, version: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "Policy {arn} version {version} does not exist or is not attachable."
    ))
}
pub(crate) fn no_policy(arn: &str) -> IamError {
    IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}
