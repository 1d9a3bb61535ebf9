//! IAM users: their paths, tags, inline and attached policies, and the attach/detach
//! bookkeeping managed policies share with groups and roles.

use coffer_store::{KvOp, StoreError};

use crate::iam::{
    ID_ALPHABET, MAX_ATTACHED, USER_INLINE_POLICY_SIZE, check_inline_quota, create, delete,
    identity_document, merge_tags, no_user, put, remove_tags, user_key, validate_name,
    validate_path, validate_tags,
};
use crate::policies::{no_policy, policy_key};
use crate::{Iam, IamError, Tag, User};

impl Iam {
    pub async fn create_user(
        &self,
        account: &str,
        name: &str,
        path: &str,
        tags: Vec<Tag>,
    ) -> Result<User, IamError> {
        validate_name(name, 64, "userName")?;
        let path = validate_path(path)?;
        validate_tags(&tags)?;
        let user = User {
            account: account.to_owned(),
            name: name.to_owned(),
            path,
            id: format!("AIDA{}", self.random_from(17, ID_ALPHABET)?),
            created_ms: self.clock.now_ms(),
            tags,
            inline: Default::default(),
            attached: Vec::new(),
            groups: Vec::new(),
        };
        match self
            .apply(vec![create(&user_key(account, name), &user)])
            .await
        {
            Ok(()) => Ok(user),
            Err(StoreError::KvConflict(_)) => Err(IamError::EntityAlreadyExists(format!(
                "User with name {name} already exists."
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub fn user(&self, account: &str, name: &str) -> Result<User, IamError> {
        self.get(&user_key(account, name))?
            .ok_or_else(|| no_user(name))
    }

    pub fn users(&self, account: &str) -> Result<Vec<User>, IamError> {
        self.list(&format!("user/{account}/"))
    }

    pub async fn delete_user(&self, account: &str, name: &str) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let user = self.user(account, name)?;
        if !self.access_keys(account, Some(name))?.is_empty()
            || !user.inline.is_empty()
            || !user.attached.is_empty()
            || !user.groups.is_empty()
        {
            return Err(IamError::DeleteConflict("Cannot delete entity, must delete access keys, policies and group memberships first.".into()));
        }
        self.apply(vec![delete(&user_key(account, name))]).await?;
        Ok(())
    }

    pub async fn tag_user(
        &self,
        account: &str,
        name: &str,
        tags: Vec<Tag>,
    ) -> Result<(), IamError> {
        self.update_user(account, name, |u| merge_tags(&mut u.tags, tags))
            .await
    }

    pub async fn untag_user(
        &self,
        account: &str,
        name: &str,
        keys: &[String],
    ) -> Result<(), IamError> {
        self.update_user(account, name, |u| {
            remove_tags(&mut u.tags, keys);
            Ok(())
        })
        .await
    }

    pub async fn put_user_policy(
        &self,
        account: &str,
        user: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        validate_name(policy_name, 128, "policyName")?;
        identity_document(document)?;
        self.update_user(account, user, |u| {
            u.inline.insert(policy_name.to_owned(), document.to_owned());
            check_inline_quota(&u.inline, USER_INLINE_POLICY_SIZE, "user", user)
        })
        .await
    }

    pub async fn delete_user_policy(
        &self,
        account: &str,
        user: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        self.update_user(account, user, |u| {
            u.inline.remove(policy_name).map(|_| ()).ok_or_else(|| {
                IamError::NoSuchEntity(format!(
                    "The user policy with name {policy_name} cannot be found."
                ))
            })
        })
        .await
    }

    pub async fn attach_user_policy(
        &self,
        account: &str,
        user: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut u = self.user(account, user)?;
        let Some(policy) = self.attach(&mut u.attached, policy_arn, Some("PoliciesPerUser"))?
        else {
            return Ok(());
        };
        self.apply(vec![put(&user_key(account, user), &u), policy])
            .await?;
        Ok(())
    }

    pub async fn detach_user_policy(
        &self,
        account: &str,
        user: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut u = self.user(account, user)?;
        let policy = self.detach(&mut u.attached, policy_arn)?;
        self.apply([vec![put(&user_key(account, user), &u)], policy].concat())
            .await?;
        Ok(())
    }

    /// Puts `policy_arn` on an entity's attached list and returns the write that counts the
    /// attachment on the policy; `None` if it was attached already. `quota` names the
    /// entity's PoliciesPer… limit, if it has one.
    pub(crate) fn attach(
        &self,
        attached: &mut Vec<String>,
        policy_arn: &str,
        quota: Option<&str>,
    ) -> Result<Option<KvOp>, IamError> {
        let mut p = self
            .managed_policy_by_arn(policy_arn)?
            .ok_or_else(|| no_policy(policy_arn))?;
        if attached.iter().any(|a| a == policy_arn) {
            return Ok(None);
        }
        if let Some(quota) = quota
            && attached.len() >= MAX_ATTACHED
        {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for {quota}: {MAX_ATTACHED}"
            )));
        }
        attached.push(policy_arn.to_owned());
        p.attachment_count += 1;
        Ok(Some(put(&policy_key(&p.account, &p.name), &p)))
    }

    /// Takes `policy_arn` off an entity's attached list (an error if it was not there) and
    /// returns the write that lowers the policy's attachment count, if the policy still exists.
    pub(crate) fn detach(
        &self,
        attached: &mut Vec<String>,
        policy_arn: &str,
    ) -> Result<Vec<KvOp>, IamError> {
        let before = attached.len();
        attached.retain(|a| a != policy_arn);
        if attached.len() == before {
            return Err(IamError::NoSuchEntity(format!(
                "Policy {policy_arn} was not found."
            )));
        }
        Ok(match self.managed_policy_by_arn(policy_arn)? {
            Some(mut p) => {
                p.attachment_count = p.attachment_count.saturating_sub(1);
                vec![put(&policy_key(&p.account, &p.name), &p)]
            }
            None => Vec::new(),
        })
    }
}
