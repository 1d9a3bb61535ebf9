//! Aliases: create, update, delete, list.

use super::*;

impl KmsApi {
    pub(super) async fn aliases(&self, kind: AliasOp, call: &Call) -> Result<Value, KmsFault> {
        let op = kind.name();
        let acct = call.identity.account().to_owned();
        let none = EncryptionContext::new();
        Ok(match kind {
            AliasOp::CreateAlias => {
                let m = self.authorize_key(call, op, call.str("TargetKeyId")?, &none)?;
                self.kms
                    .create_alias(&acct, call.str("AliasName")?, &m.id)
                    .await?;
                json!({})
            }
            AliasOp::UpdateAlias => {
                let m = self.authorize_key(call, op, call.str("TargetKeyId")?, &none)?;
                self.kms
                    .update_alias(&acct, call.str("AliasName")?, &m.id)
                    .await?;
                json!({})
            }
            AliasOp::DeleteAlias => {
                self.authorize_account(call, op)?;
                self.kms.delete_alias(&acct, call.str("AliasName")?).await?;
                json!({})
            }
            AliasOp::ListAliases => {
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
        })
    }
}
