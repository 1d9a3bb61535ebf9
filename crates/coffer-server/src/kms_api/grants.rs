//! Grants: create, list, retire, revoke.

use super::*;

impl KmsApi {
    pub(super) async fn grants(&self, kind: GrantOp, call: &Call) -> Result<Value, KmsFault> {
        let op = kind.name();
        let acct = call.identity.account().to_owned();
        let none = EncryptionContext::new();
        Ok(match kind {
            GrantOp::CreateGrant => {
                let operations = string_list(&call.body, "Operations");
                let constraints = grant_constraints(&call.body)?;
                let grantee = call.str("GranteePrincipal")?.to_owned();
                let retiring = call.opt("RetiringPrincipal").map(str::to_owned);
                let mut conditions = vec![
                    ("kms:GrantOperations", operations.clone()),
                    ("kms:GranteePrincipal", vec![grantee.clone()]),
                    ("kms:GrantIsForAWSResource", vec!["false".into()]),
                ];
                if let Some(r) = &retiring {
                    conditions.push(("kms:RetiringPrincipal", vec![r.clone()]));
                }
                let kinds: Vec<String> = [
                    (
                        "EncryptionContextEquals",
                        constraints.context_equals.is_some(),
                    ),
                    (
                        "EncryptionContextSubset",
                        constraints.context_subset.is_some(),
                    ),
                ]
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(k, _)| k.to_owned())
                .collect();
                if !kinds.is_empty() {
                    conditions.push(("kms:GrantConstraintType", kinds));
                }
                let m = self.authorize_key_use(
                    call,
                    &KeyUse {
                        conditions,
                        ..KeyUse::new(op, call.str("KeyId")?, &none)
                    },
                )?;
                let g = self
                    .kms
                    .create_grant(
                        &m.account,
                        &m.arn,
                        coffer_kms::NewGrant {
                            grantee,
                            retiring,
                            operations,
                            constraints,
                            name: call.opt("Name").map(str::to_owned),
                            issuing_account: format!("arn:aws:iam::{acct}:root"),
                        },
                    )
                    .await?;
                json!({"GrantId": g.grant_id, "GrantToken": g.token()})
            }
            GrantOp::ListGrants => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let grants: Vec<Value> = self
                    .kms
                    .grants(&m.id)?
                    .iter()
                    .filter(|g| call.opt("GrantId").is_none_or(|id| id == g.grant_id))
                    .filter(|g| call.opt("GranteePrincipal").is_none_or(|p| p == g.grantee))
                    .map(grant_json)
                    .collect();
                json!({"Grants": grants, "Truncated": false})
            }
            GrantOp::ListRetirableGrants => {
                self.authorize_account(call, op)?;
                let grants: Vec<Value> = self
                    .kms
                    .retirable_grants(call.str("RetiringPrincipal")?)?
                    .iter()
                    .map(grant_json)
                    .collect();
                json!({"Grants": grants, "Truncated": false})
            }
            GrantOp::RetireGrant => {
                let g = self.kms.find_grant(
                    call.opt("GrantToken"),
                    match (call.opt("KeyId"), call.opt("GrantId")) {
                        (Some(k), Some(id)) => Some((k, id)),
                        _ => None,
                    }
                    .map(|(k, id)| {
                        // KeyId may be an ARN; grants are filed under the key id.
                        (k.rsplit('/').next().unwrap_or(k), id)
                    }),
                )?;
                // The retiring principal, or a grantee the grant lets retire it; else policy.
                let me = grantee_arns(&call.identity);
                let by_grant = g.retiring.as_ref().is_some_and(|r| me.contains(r))
                    || (me.contains(&g.grantee) && g.operations.iter().any(|o| o == "RetireGrant"));
                if !by_grant {
                    self.authorize_key(call, op, &g.key_arn, &none)?;
                }
                self.kms.delete_grant(&g).await?;
                json!({})
            }
            GrantOp::RevokeGrant => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let g = self
                    .kms
                    .find_grant(None, Some((&m.id, call.str("GrantId")?)))?;
                self.kms.delete_grant(&g).await?;
                json!({})
            }
        })
    }
}
