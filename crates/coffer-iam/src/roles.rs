//! IAM roles: the role, its trust policy, inline and attached policies, tags.

use coffer_policy::{Policy, PolicyKind};

use crate::iam::{
    ID_ALPHABET, create, delete, merge_tags, put, remove_tags, validate_name, validate_path,
    validate_tags,
};
use crate::sts::MAX_ROLE_SESSION_SECS;
use crate::{Iam, IamError, Role, Tag};

impl Iam {
    pub async fn create_role(
        &self,
        account: &str,
        name: &str,
        path: &str,
        trust_policy: &str,
        max_session_secs: Option<u32>,
        tags: Vec<Tag>,
    ) -> Result<Role, IamError> {
        validate_name(name, 64, "roleName")?;
        validate_tags(&tags)?;
        Policy::parse(trust_policy, PolicyKind::Trust)
            .map_err(|e| IamError::MalformedPolicyDocument(e.0))?;
        let max = max_session_secs.unwrap_or(3600);
        if !(3600..=MAX_ROLE_SESSION_SECS).contains(&max) {
            return Err(IamError::InvalidInput(format!(
                "1 validation error detected: Value '{max}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
            )));
        }
        let role = Role {
            account: account.to_owned(),
            name: name.to_owned(),
            path: validate_path(path)?,
            id: format!("AROA{}", self.random_from(17, ID_ALPHABET)?),
            created_ms: self.clock.now_ms(),
            trust_policy: trust_policy.to_owned(),
            max_session_secs: max,
            tags,
            inline: Default::default(),
            attached: Vec::new(),
        };
        match self
            .apply(vec![create(&role_key(account, name), &role)])
            .await
        {
            Ok(()) => Ok(role),
            Err(coffer_store::StoreError::KvConflict(_)) => Err(IamError::EntityAlreadyExists(
                format!("Role with name {name} already exists."),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub fn role(&self, account: &str, name: &str) -> Result<Role, IamError> {
        self.get(&role_key(account, name))?.ok_or_else(|| {
            IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
        })
    }

    pub async fn put_role_policy(
        &self,
        account: &str,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        validate_name(policy_name, 128, "policyName")?;
        crate::iam::identity_document(document)?;
        let _g = self.write_lock.lock().await;
        let mut r = self.role(account, role)?;
        r.inline.insert(policy_name.to_owned(), document.to_owned());
        crate::iam::check_inline_quota(
            &r.inline,
            crate::iam::ROLE_INLINE_POLICY_SIZE,
            "role",
            role,
        )?;
        self.apply(vec![put(&role_key(account, role), &r)]).await?;
        Ok(())
    }

    pub async fn attach_role_policy(
        &self,
        account: &str,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut r = self.role(account, role)?;
        let Some(policy) = self.attach(&mut r.attached, policy_arn, Some("PoliciesPerRole"))?
        else {
            return Ok(());
        };
        self.apply(vec![put(&role_key(account, role), &r), policy])
            .await?;
        Ok(())
    }

    pub fn roles(&self, account: &str) -> Result<Vec<Role>, IamError> {
        self.list(&format!("role/{account}/"))
    }

    /// Applies `f` to a role record and stores it (one writer at a time).
    async fn update_role(
        &self,
        account: &str,
        role: &str,
        f: impl FnOnce(&mut Role) -> Result<(), IamError>,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut r = self.role(account, role)?;
        f(&mut r)?;
        self.apply(vec![put(&role_key(account, role), &r)]).await?;
        Ok(())
    }

    pub async fn delete_role_policy(
        &self,
        account: &str,
        role: &str,
        name: &str,
    ) -> Result<(), IamError> {
        self.update_role(account, role, |r| {
            r.inline.remove(name).map(|_| ()).ok_or_else(|| {
                IamError::NoSuchEntity(format!("The role policy with name {name} cannot be found."))
            })
        })
        .await
    }

    pub async fn detach_role_policy(
        &self,
        account: &str,
        role: &str,
        arn: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut r = self.role(account, role)?;
        let policy = self.detach(&mut r.attached, arn)?;
        self.apply([vec![put(&role_key(account, role), &r)], policy].concat())
            .await?;
        Ok(())
    }

    pub async fn update_assume_role_policy(
        &self,
        account: &str,
        role: &str,
        document: &str,
    ) -> Result<(), IamError> {
        Policy::parse(document, PolicyKind::Trust)
            .map_err(|e| IamError::MalformedPolicyDocument(e.0))?;
        self.update_role(account, role, |r| {
            r.trust_policy = document.to_owned();
            Ok(())
        })
        .await
    }

    pub async fn untag_role(
        &self,
        account: &str,
        role: &str,
        keys: &[String],
    ) -> Result<(), IamError> {
        self.update_role(account, role, |r| {
            remove_tags(&mut r.tags, keys);
            Ok(())
        })
        .await
    }

    pub async fn tag_role(
        &self,
        account: &str,
        role: &str,
        tags: Vec<Tag>,
    ) -> Result<(), IamError> {
        self.update_role(account, role, |r| merge_tags(&mut r.tags, tags))
            .await
    }

    pub async fn delete_role(&self, account: &str, name: &str) -> Result<(), IamError> {
        let r = self.role(account, name)?;
        if !r.inline.is_empty() || !r.attached.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must delete policies first.".into(),
            ));
        }
        self.apply(vec![delete(&role_key(account, name))]).await?;
        Ok(())
    }
}

pub(crate) fn role_key(account: &str, name: &str) -> String {
    format!("role/{account}/{name}")
}
