//! Aliases: names for keys, per account.

use super::*;

impl Kms {
    pub async fn create_alias(
        &self,
        account: &str,
        alias: &str,
        key_ref: &str,
    ) -> Result<(), KmsError> {
        validate_alias(alias)?;
        let target = self.record(account, key_ref)?;
        let op = KvOp::Create {
            ns: NS.into(),
            key: alias_key(account, alias),
            value: target.meta.id.into_string().into_bytes(),
        };
        match self.apply(vec![op]).await {
            Ok(()) => Ok(()),
            Err(StoreError::KvConflict(_)) => Err(KmsError::AlreadyExists(format!(
                "An alias with the name arn:aws:kms:{}:{account}:{alias} already exists",
                self.region
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn update_alias(
        &self,
        account: &str,
        alias: &str,
        key_ref: &str,
    ) -> Result<(), KmsError> {
        self.alias_target(account, alias)?
            .ok_or_else(|| KmsError::NotFound(format!("Alias {alias} is not found.")))?;
        let target = self.record(account, key_ref)?;
        let op = KvOp::Put {
            ns: NS.into(),
            key: alias_key(account, alias),
            value: target.meta.id.into_string().into_bytes(),
        };
        self.apply(vec![op]).await?;
        Ok(())
    }

    pub async fn delete_alias(&self, account: &str, alias: &str) -> Result<(), KmsError> {
        let op = KvOp::Delete {
            ns: NS.into(),
            key: alias_key(account, alias),
        };
        match self.apply(vec![op]).await {
            Ok(()) => Ok(()),
            Err(StoreError::KvMissing(_)) => {
                Err(KmsError::NotFound(format!("Alias {alias} is not found.")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// (alias name, alias ARN, target key id) of the account.
    pub fn list_aliases(&self, account: &str) -> Result<Vec<(String, String, String)>, KmsError> {
        let prefix = format!("alias/{account}/");
        Ok(self
            .meta
            .kv_list(NS, &prefix)?
            .into_iter()
            .map(|(k, v)| {
                let name = k[prefix.len()..].to_owned();
                let arn = format!("arn:aws:kms:{}:{account}:{name}", self.region);
                (name, arn, String::from_utf8_lossy(&v).into_owned())
            })
            .collect())
    }
}

pub(super) fn alias_key(account: &str, alias: &str) -> String {
    format!("alias/{account}/{alias}")
}

fn validate_alias(alias: &str) -> Result<(), KmsError> {
    let Some(name) = alias.strip_prefix("alias/") else {
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\".".into(),
        ));
    };
    if name.starts_with("aws/") {
        return Err(KmsError::Validation(
            "Alias names starting with alias/aws/ are reserved for AWS managed keys.".into(),
        ));
    }
    if name.is_empty()
        || name.len() > 250
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
    {
        return Err(KmsError::Validation(format!(
            "Alias {alias} must match the pattern ^[a-zA-Z0-9/_-]+$"
        )));
    }
    Ok(())
}
