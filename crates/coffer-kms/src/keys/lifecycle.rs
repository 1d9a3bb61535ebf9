//! A key's life: creation (and the AWS managed keys), description, listing, policies, enabling and disabling, scheduled deletion and its purge, tags.

use super::*;

impl Kms {
    /// A symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).
    pub async fn create_key(
        &self,
        account: &str,
        description: &str,
        policy: Option<&str>,
        tags: Vec<(String, String)>,
    ) -> Result<KeyMetadata, KmsError> {
        self.create_key_of(
            account,
            NewKey {
                spec: KeySpec::Symmetric,
                usage: ENCRYPT_DECRYPT,
                description,
                policy,
                tags,
                external: false,
            },
        )
        .await
    }

    /// CreateKey with a key spec and usage (checked against each other as KMS does); an
    /// EXTERNAL key starts without material, PendingImport.
    pub async fn create_key_of(
        &self,
        account: &str,
        k: NewKey<'_>,
    ) -> Result<KeyMetadata, KmsError> {
        let NewKey {
            spec,
            usage,
            description,
            policy,
            tags,
            external,
        } = k;
        crate::limits::validate_description(description)?;
        crate::limits::validate_tags(&tags)?;
        crate::limits::check_tag_count(&tags)?;
        if !spec.allows_usage(usage) {
            return Err(KmsError::Validation(format!(
                "KeyUsage {usage} is not compatible with KeySpec {}",
                spec.as_str()
            )));
        }
        let policy = match policy {
            Some(p) => {
                Policy::parse(p, PolicyKind::Resource).map_err(|e| {
                    KmsError::Validation(format!("MalformedPolicyDocumentException: {}", e.0))
                })?;
                p.to_owned()
            }
            None => Self::default_policy(account),
        };
        let id = self.new_key_id()?;
        let now = self.clock.now_ms();
        let meta = KeyMetadata {
            arn: format!("arn:aws:kms:{}:{account}:key/{id}", self.region),
            id: crate::KeyId::made(id.clone()),
            account: account.to_owned(),
            description: description.to_owned(),
            created_ms: now,
            state: if external {
                KeyState::PendingImport
            } else {
                KeyState::Enabled
            },
            deletion_ms: None,
            key_spec: spec.as_str().into(),
            key_usage: usage.into(),
            origin: if external { "EXTERNAL" } else { "AWS_KMS" }.into(),
            expiration_model: None,
            valid_to_ms: None,
        };
        let versions = if external {
            Vec::new()
        } else {
            let material = spec.generate(&self.rng)?;
            vec![self.first_version(&id, &material, now)?]
        };
        let record = KeyRecord {
            meta: meta.clone(),
            policy,
            tags,
            current: u32::from(!versions.is_empty()),
            versions,
            rotation: None,
            import_check: None,
        };
        self.put(&format!("key/{id}"), &record).await?;
        Ok(meta)
    }

    /// Version 1 of a key: `material` sealed.
    pub(crate) fn first_version(
        &self,
        key_id: &str,
        material: &[u8],
        now: i64,
    ) -> Result<KeyVersion, KmsError> {
        Ok(KeyVersion {
            version: 1,
            sealed_material: self.seal(key_id, 1, material)?,
            created_ms: now,
            rotation: None,
        })
    }

    /// The AWS-managed key behind `alias/aws/<service>` (e.g. `aws/s3`), created on first use.
    pub async fn managed_key(&self, account: &str, service: &str) -> Result<KeyMetadata, KmsError> {
        let alias = format!("alias/aws/{service}");
        let _g = self.write_lock.lock().await;
        if let Some(id) = self.alias_target(account, &alias)? {
            return Ok(self.record(account, &id)?.meta);
        }
        drop(_g);
        let key = self
            .create_key(
                account,
                &format!(
                    "Default key that protects my {service} objects when no other key is defined"
                ),
                None,
                vec![],
            )
            .await?;
        let op = KvOp::Create {
            ns: NS.into(),
            key: alias_key(account, &alias),
            value: key.id.as_bytes().to_vec(),
        };
        match self.apply(vec![op]).await {
            Ok(()) => Ok(key),
            // Another request created it first: use theirs (ours stays unused, as in a race on AWS).
            Err(StoreError::KvConflict(_)) => {
                let id = self
                    .alias_target(account, &alias)?
                    .ok_or(KmsError::Corrupt)?;
                Ok(self.record(account, &id)?.meta)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Resolves a key id, key ARN, alias name or alias ARN within `account` (an ARN may name
    /// another account: cross-account use).
    pub fn describe_key(&self, account: &str, key_ref: &str) -> Result<KeyMetadata, KmsError> {
        Ok(self.record(account, key_ref)?.meta)
    }

    pub fn list_keys(&self, account: &str) -> Result<Vec<KeyMetadata>, KmsError> {
        let mut out = Vec::new();
        for (_, v) in self.meta.kv_list(NS, "key/")? {
            let r: KeyRecord = serde_json::from_slice(&v).map_err(|_| KmsError::Corrupt)?;
            if r.meta.account == account && !self.due_for_deletion(&r.meta) {
                out.push(r.meta);
            }
        }
        Ok(out)
    }

    /// The key policy text and metadata (GetKeyPolicy).
    pub fn key_policy(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<(KeyMetadata, String), KmsError> {
        let r = self.record(account, key_ref)?;
        Ok((r.meta, r.policy))
    }

    /// Ok if the key exists and is enabled (for uses of key-derived material cached elsewhere,
    /// such as S3 Bucket Keys, which must still follow the key's state).
    pub fn check_usable(&self, account: &str, key_ref: &str) -> Result<(), KmsError> {
        self.usable(account, key_ref).map(|_| ())
    }

    /// The key's metadata and parsed policy, for the caller's authorization decision.
    pub fn key_for_authorization(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<(KeyMetadata, Arc<Policy>), KmsError> {
        let k = self.loaded(account, key_ref)?;
        Ok((k.record.meta.clone(), k.policy.clone()))
    }

    pub async fn put_key_policy(
        &self,
        account: &str,
        key_ref: &str,
        policy: &str,
    ) -> Result<(), KmsError> {
        Policy::parse(policy, PolicyKind::Resource).map_err(|e| {
            KmsError::Validation(format!("MalformedPolicyDocumentException: {}", e.0))
        })?;
        self.update(account, key_ref, |r| {
            r.policy = policy.to_owned();
            Ok(())
        })
        .await
    }

    pub async fn set_enabled(
        &self,
        account: &str,
        key_ref: &str,
        enabled: bool,
    ) -> Result<(), KmsError> {
        self.update(account, key_ref, |r| {
            if matches!(
                r.meta.state,
                KeyState::PendingDeletion | KeyState::PendingImport
            ) {
                check_state(&r.meta)?;
            }
            r.meta.state = if enabled {
                KeyState::Enabled
            } else {
                KeyState::Disabled
            };
            Ok(())
        })
        .await
    }

    pub async fn update_description(
        &self,
        account: &str,
        key_ref: &str,
        description: &str,
    ) -> Result<(), KmsError> {
        crate::limits::validate_description(description)?;
        self.update(account, key_ref, |r| {
            r.meta.description = description.to_owned();
            Ok(())
        })
        .await
    }

    /// ScheduleKeyDeletion: 7 to 30 days (default 30). The material is destroyed when due.
    pub async fn schedule_deletion(
        &self,
        account: &str,
        key_ref: &str,
        days: Option<u32>,
    ) -> Result<KeyMetadata, KmsError> {
        let days = days.unwrap_or(30);
        if !(7..=30).contains(&days) {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30"
            )));
        }
        let at = self.clock.now_ms() + i64::from(days) * 86_400_000;
        let mut out = None;
        self.update(account, key_ref, |r| {
            if r.meta.state == KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is pending deletion.",
                    r.meta.arn
                )));
            }
            r.meta.state = KeyState::PendingDeletion;
            r.meta.deletion_ms = Some(at);
            out = Some(r.meta.clone());
            Ok(())
        })
        .await?;
        out.ok_or(KmsError::Corrupt)
    }

    /// CancelKeyDeletion leaves the key Disabled, as KMS does.
    pub async fn cancel_deletion(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<KeyMetadata, KmsError> {
        let mut out = None;
        self.update(account, key_ref, |r| {
            if r.meta.state != KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is not pending deletion.",
                    r.meta.arn
                )));
            }
            // Back to Disabled, or PendingImport for an EXTERNAL key without material.
            r.meta.state = if r.versions.is_empty() {
                KeyState::PendingImport
            } else {
                KeyState::Disabled
            };
            r.meta.deletion_ms = None;
            out = Some(r.meta.clone());
            Ok(())
        })
        .await?;
        out.ok_or(KmsError::Corrupt)
    }

    /// Destroys every key whose deletion date has come: its record (with the sealed material of
    /// every version), its aliases, grants and pending imports. The server's maintenance timer
    /// calls this; until then such keys are already treated as gone.
    pub async fn purge_deleted_keys(&self) -> Result<usize, KmsError> {
        let _g = self.write_lock.lock().await;
        let due: Vec<crate::KeyId> = self
            .meta
            .kv_list(NS, "key/")?
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_slice::<KeyRecord>(&v).ok())
            .filter(|r| self.due_for_deletion(&r.meta))
            .map(|r| r.meta.id)
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        let mut doomed: Vec<String> = Vec::new();
        for (alias, target) in self.meta.kv_list(NS, "alias/")? {
            if due.iter().any(|id| id.as_bytes() == target.as_slice()) {
                doomed.push(alias);
            }
        }
        for id in &due {
            doomed.push(format!("key/{id}"));
            for prefix in [format!("grant/{id}/"), format!("import/{id}/")] {
                doomed.extend(self.meta.kv_list(NS, &prefix)?.into_iter().map(|(k, _)| k));
            }
        }
        let ops = doomed
            .into_iter()
            .map(|key| KvOp::Delete { ns: NS.into(), key })
            .collect();
        self.apply(ops).await?;
        Ok(due.len())
    }

    pub async fn tag(
        &self,
        account: &str,
        key_ref: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), KmsError> {
        crate::limits::validate_tags(&tags)?;
        self.update(account, key_ref, |r| {
            for (k, v) in tags {
                r.tags.retain(|(x, _)| *x != k);
                r.tags.push((k, v));
            }
            crate::limits::check_tag_count(&r.tags)
        })
        .await
    }

    pub async fn untag(
        &self,
        account: &str,
        key_ref: &str,
        keys: &[String],
    ) -> Result<(), KmsError> {
        self.update(account, key_ref, |r| {
            r.tags.retain(|(k, _)| !keys.contains(k));
            Ok(())
        })
        .await
    }

    pub fn tags(&self, account: &str, key_ref: &str) -> Result<Vec<(String, String)>, KmsError> {
        Ok(self.record(account, key_ref)?.tags)
    }
}
