//! Access keys of IAM users and of the account root: at most two per user, Active or
//! Inactive, secrets stored only sealed.

use zeroize::Zeroizing;

use crate::iam::{ID_ALPHABET, SECRET_ALPHABET, create, delete, put};
use crate::{AccessKey, Iam, IamError, KeyStatus, NewAccessKey};

/// Access keys per user, as IAM.
const MAX_KEYS_PER_USER: usize = 2;

impl Iam {
    /// A new key for `user` (`None`: the account root). At most two per user.
    pub async fn create_access_key(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<NewAccessKey, IamError> {
        let _g = self.write_lock.lock().await;
        if let Some(u) = user {
            self.user(account, u)?;
            if self.access_keys(account, Some(u))?.len() >= MAX_KEYS_PER_USER {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}"
                )));
            }
        }
        let id = format!("AKIA{}", self.random_from(16, ID_ALPHABET)?);
        let secret = Zeroizing::new(self.random_from(40, SECRET_ALPHABET)?);
        let key = AccessKey {
            id: id.clone(),
            account: account.to_owned(),
            user: user.map(str::to_owned),
            status: KeyStatus::Active,
            created_ms: self.clock.now_ms(),
            wrapped_secret: self.wrap_secret(&id, &secret)?,
        };
        self.apply(vec![create(&format!("key/{id}"), &key)]).await?;
        Ok(NewAccessKey { key, secret })
    }

    pub fn access_keys(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<Vec<AccessKey>, IamError> {
        Ok(self
            .list::<AccessKey>("key/")?
            .into_iter()
            .filter(|k| k.account == account && k.user.as_deref() == user)
            .collect())
    }

    pub async fn update_access_key(
        &self,
        account: &str,
        id: &str,
        status: KeyStatus,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut k = self.own_key(account, id)?;
        k.status = status;
        self.apply(vec![put(&format!("key/{id}"), &k)]).await?;
        Ok(())
    }

    pub async fn delete_access_key(&self, account: &str, id: &str) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        self.own_key(account, id)?;
        self.apply(vec![delete(&format!("key/{id}"))]).await?;
        Ok(())
    }

    fn own_key(&self, account: &str, id: &str) -> Result<AccessKey, IamError> {
        self.get::<AccessKey>(&format!("key/{id}"))?
            .filter(|k| k.account == account)
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
            })
    }
}
