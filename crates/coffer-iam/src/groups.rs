//! Groups: their members, inline and attached policies.

use crate::iam::{
    GROUP_INLINE_POLICY_SIZE, ID_ALPHABET, check_inline_quota, create, delete, identity_document,
    put, validate_name, validate_path,
};
use coffer_store::StoreError;

use crate::{Group, Iam, IamError, User};

impl Iam {
    pub async fn attach_group_policy(
        &self,
        account: &str,
        group: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut g = self.group(account, group)?;
        let Some(policy) = self.attach(&mut g.attached, policy_arn, None)? else {
            return Ok(());
        };
        self.apply(vec![put(&format!("group/{account}/{group}"), &g), policy])
            .await?;
        Ok(())
    }

    pub async fn detach_group_policy(
        &self,
        account: &str,
        group: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut g = self.group(account, group)?;
        let policy = self.detach(&mut g.attached, policy_arn)?;
        self.apply([vec![put(&format!("group/{account}/{group}"), &g)], policy].concat())
            .await?;
        Ok(())
    }

    pub async fn delete_group(&self, account: &str, group: &str) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let g = self.group(account, group)?;
        let has_members = self
            .users(account)?
            .iter()
            .any(|u| u.groups.iter().any(|x| x == group));
        if has_members || !g.inline.is_empty() || !g.attached.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove users and policies from group first.".into(),
            ));
        }
        self.apply(vec![delete(&format!("group/{account}/{group}"))])
            .await?;
        Ok(())
    }

    pub fn groups(&self, account: &str) -> Result<Vec<Group>, IamError> {
        self.list(&format!("group/{account}/"))
    }

    /// Members of a group, by name.
    pub fn group_members(&self, account: &str, group: &str) -> Result<Vec<User>, IamError> {
        self.group(account, group)?;
        Ok(self
            .users(account)?
            .into_iter()
            .filter(|u| u.groups.iter().any(|g| g == group))
            .collect())
    }

    pub async fn create_group(
        &self,
        account: &str,
        name: &str,
        path: &str,
    ) -> Result<Group, IamError> {
        validate_name(name, 128, "groupName")?;
        let g = Group {
            account: account.to_owned(),
            name: name.to_owned(),
            path: validate_path(path)?,
            id: format!("AGPA{}", self.random_from(17, ID_ALPHABET)?),
            created_ms: self.clock.now_ms(),
            inline: Default::default(),
            attached: Vec::new(),
        };
        match self
            .apply(vec![create(&format!("group/{account}/{name}"), &g)])
            .await
        {
            Ok(()) => Ok(g),
            Err(StoreError::KvConflict(_)) => Err(IamError::EntityAlreadyExists(format!(
                "Group with name {name} already exists."
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub fn group(&self, account: &str, name: &str) -> Result<Group, IamError> {
        self.get(&format!("group/{account}/{name}"))?
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!("The group with name {name} cannot be found."))
            })
    }

    pub async fn add_user_to_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), IamError> {
        self.group(account, group)?;
        self.update_user(account, user, |u| {
            if !u.groups.iter().any(|g| g == group) {
                u.groups.push(group.to_owned());
            }
            Ok(())
        })
        .await
    }

    pub async fn remove_user_from_group(
        &self,
        account: &str,
        group: &str,
        user: &str,
    ) -> Result<(), IamError> {
        self.update_user(account, user, |u| {
            u.groups.retain(|g| g != group);
            Ok(())
        })
        .await
    }

    pub async fn put_group_policy(
        &self,
        account: &str,
        group: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        validate_name(policy_name, 128, "policyName")?;
        identity_document(document)?;
        let _g = self.write_lock.lock().await;
        let mut g = self.group(account, group)?;
        g.inline.insert(policy_name.to_owned(), document.to_owned());
        check_inline_quota(&g.inline, GROUP_INLINE_POLICY_SIZE, "group", group)?;
        self.apply(vec![put(&format!("group/{account}/{group}"), &g)])
            .await?;
        Ok(())
    }
}
