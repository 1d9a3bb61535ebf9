//! KMS keys: create, describe, list, enable/disable, deletion, rotation, tags, key policies, last use.

use super::*;

impl KmsApi {
    pub(super) async fn keys(&self, kind: KeyOp, call: &Call) -> Result<Value, KmsFault> {
        let op = kind.name();
        let acct = call.identity.account().to_owned();
        let none = EncryptionContext::new();
        Ok(match kind {
            KeyOp::CreateKey => {
                self.authorize_account(call, op)?;
                let spec_name = call
                    .opt("KeySpec")
                    .or(call.opt("CustomerMasterKeySpec"))
                    .unwrap_or("SYMMETRIC_DEFAULT");
                let spec = KeySpec::parse(spec_name).ok_or_else(|| {
                    validation(format!("1 validation error detected: Value '{spec_name}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set"))
                })?;
                let external = match call.opt("Origin").unwrap_or("AWS_KMS") {
                    "AWS_KMS" => false,
                    "EXTERNAL" => true,
                    origin => {
                        return Err(KmsFault {
                            status: StatusCode::BAD_REQUEST,
                            kind: "UnsupportedOperationException",
                            message: format!("Origin {origin} is not available."),
                        });
                    }
                };
                if let Some(policy) = call.opt("Policy") {
                    let arn = format!("arn:aws:kms:{}:{acct}:key/*", self.kms.region());
                    self.check_policy_lockout(call, policy, &arn, &acct)?;
                }
                let m = self
                    .kms
                    .create_key_of(
                        &acct,
                        coffer_kms::NewKey {
                            spec,
                            usage: call.opt("KeyUsage").unwrap_or(coffer_kms::ENCRYPT_DECRYPT),
                            description: call.opt("Description").unwrap_or(""),
                            policy: call.opt("Policy"),
                            tags: tag_list(&call.body),
                            external,
                        },
                    )
                    .await?;
                json!({"KeyMetadata": key_metadata(&m)})
            }
            KeyOp::DescribeKey => {
                let key_id = call.str("KeyId")?;
                // As KMS: describing a predefined AWS alias creates its AWS managed key.
                if key_id == "alias/aws/s3" {
                    self.kms.managed_key(&acct, "s3").await?;
                }
                let m = self.authorize_key(call, op, key_id, &none)?;
                json!({"KeyMetadata": key_metadata(&m)})
            }
            KeyOp::ListKeys => {
                self.authorize_account(call, op)?;
                let keys: Vec<Value> = self
                    .kms
                    .list_keys(&acct)?
                    .iter()
                    .map(|m| json!({"KeyId": m.id, "KeyArn": m.arn}))
                    .collect();
                json!({"Keys": keys, "Truncated": false})
            }
            KeyOp::EnableKey | KeyOp::DisableKey => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms
                    .set_enabled(&m.account, &m.id, kind == KeyOp::EnableKey)
                    .await?;
                json!({})
            }
            KeyOp::UpdateKeyDescription => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms
                    .update_description(&m.account, &m.id, call.str("Description")?)
                    .await?;
                json!({})
            }
            KeyOp::ScheduleKeyDeletion => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let days = call
                    .int("PendingWindowInDays", 7, 30)?
                    .map(|d| u32::try_from(d).unwrap_or(u32::MAX));
                let m = self.kms.schedule_deletion(&m.account, &m.id, days).await?;
                json!({
                    "KeyId": m.arn,
                    "DeletionDate": m.deletion_ms.unwrap_or(0) as f64 / 1000.0,
                    "KeyState": m.state.as_str(),
                    "PendingWindowInDays": days.unwrap_or(30),
                })
            }
            KeyOp::CancelKeyDeletion => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let m = self.kms.cancel_deletion(&m.account, &m.id).await?;
                json!({"KeyId": m.arn})
            }
            KeyOp::EnableKeyRotation | KeyOp::DisableKeyRotation => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                if kind == KeyOp::EnableKeyRotation {
                    let days = call
                        .int("RotationPeriodInDays", 90, 2560)?
                        .map(|d| u32::try_from(d).unwrap_or(u32::MAX));
                    self.kms.enable_rotation(&m.account, &m.id, days).await?;
                } else {
                    self.kms.disable_rotation(&m.account, &m.id).await?;
                }
                json!({})
            }
            KeyOp::GetKeyRotationStatus => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let st = self.kms.rotation_status(&m.account, &m.id)?;
                let mut out = json!({"KeyId": m.arn, "KeyRotationEnabled": st.enabled});
                if let (Some(p), Some(n)) = (st.period_days, st.next_rotation_ms) {
                    out["RotationPeriodInDays"] = json!(p);
                    out["NextRotationDate"] = json!(n as f64 / 1000.0);
                }
                out
            }
            KeyOp::RotateKeyOnDemand => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms.rotate_now(&m.account, &m.id).await?;
                json!({"KeyId": m.arn})
            }
            KeyOp::ListKeyRotations => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let rotations: Vec<Value> = self
                    .kms
                    .rotations(&m.account, &m.id)?
                    .into_iter()
                    .map(|(_, at, kind)| json!({"KeyId": m.arn, "RotationDate": at as f64 / 1000.0, "RotationType": kind}))
                    .collect();
                json!({"Rotations": rotations, "Truncated": false})
            }
            KeyOp::TagResource => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms
                    .tag(&m.account, &m.id, tag_list(&call.body))
                    .await?;
                json!({})
            }
            KeyOp::UntagResource => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let keys = string_list(&call.body, "TagKeys");
                self.kms.untag(&m.account, &m.id, &keys).await?;
                json!({})
            }
            KeyOp::ListResourceTags => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let tags: Vec<Value> = self
                    .kms
                    .tags(&m.account, &m.id)?
                    .into_iter()
                    .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
                    .collect();
                json!({"Tags": tags, "Truncated": false})
            }
            KeyOp::GetKeyLastUsage => {
                let key_id = call.str("KeyId")?;
                if key_id.starts_with("alias/") || key_id.contains(":alias/") {
                    return Err(validation(
                        "Alias names are not supported: specify the key ID or key ARN.",
                    ));
                }
                let m = self.authorize_key(call, op, key_id, &none)?;
                let mut out = json!({
                    "KeyId": m.id,
                    "KeyCreationDate": m.created_ms as f64 / 1000.0,
                    "TrackingStartDate": m.created_ms.max(self.audit.tracking_start_ms()) as f64 / 1000.0,
                });
                if let Some(u) = self.audit.last_use(&m.arn) {
                    out["KeyLastUsage"] = json!({
                        "Operation": u.operation,
                        "Timestamp": u.at_ms as f64 / 1000.0,
                        "CloudTrailEventId": u.event_id,
                    });
                }
                out
            }
            KeyOp::GetKeyPolicy => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let (_, policy) = self.kms.key_policy(&m.account, &m.id)?;
                json!({"Policy": policy, "PolicyName": "default"})
            }
            KeyOp::PutKeyPolicy => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let policy = call.str("Policy")?;
                self.check_policy_lockout(call, policy, &m.arn, &m.account)?;
                self.kms.put_key_policy(&m.account, &m.id, policy).await?;
                json!({})
            }
            KeyOp::ListKeyPolicies => {
                self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                json!({"PolicyNames": ["default"], "Truncated": false})
            }
        })
    }
}
