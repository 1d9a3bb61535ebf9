//! Key rotation: automatic (periodic) and on demand; every version stays to decrypt what it sealed.

use super::*;

impl Kms {
    /// EnableKeyRotation: every `period_days` (90 to 2560, default 365) a new version becomes
    /// current; earlier versions still decrypt what they encrypted.
    pub async fn enable_rotation(
        &self,
        account: &str,
        key_ref: &str,
        period_days: Option<u32>,
    ) -> Result<(), KmsError> {
        let days = period_days.unwrap_or(365);
        if !(90..=2560).contains(&days) {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560"
            )));
        }
        let now = self.clock.now_ms();
        self.update(account, key_ref, |r| {
            check_state(&r.meta)?;
            require_rotatable(r)?;
            r.rotation = Some(Rotation {
                period_days: days,
                next_ms: now + i64::from(days) * 86_400_000,
            });
            Ok(())
        })
        .await
    }

    pub async fn disable_rotation(&self, account: &str, key_ref: &str) -> Result<(), KmsError> {
        self.update(account, key_ref, |r| {
            check_state(&r.meta)?;
            r.rotation = None;
            Ok(())
        })
        .await
    }

    pub fn rotation_status(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<RotationStatus, KmsError> {
        let r = self.record(account, key_ref)?;
        Ok(RotationStatus {
            enabled: r.rotation.is_some(),
            period_days: r.rotation.map(|x| x.period_days),
            next_rotation_ms: r.rotation.map(|x| x.next_ms),
        })
    }

    /// RotateKeyOnDemand: a new version now, whatever the schedule.
    pub async fn rotate_now(&self, account: &str, key_ref: &str) -> Result<(), KmsError> {
        let material = self.fresh_material()?;
        let now = self.clock.now_ms();
        self.update(account, key_ref, |r| {
            check_state(&r.meta)?;
            require_rotatable(r)?;
            self.add_version(r, &material, now, "ON_DEMAND")
        })
        .await
    }

    /// ListKeyRotations: (version id, rotation date, AUTOMATIC/ON_DEMAND), oldest first.
    pub fn rotations(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<Vec<(u32, i64, String)>, KmsError> {
        let r = self.record(account, key_ref)?;
        Ok(r.versions
            .iter()
            .filter_map(|v| Some((v.version, v.created_ms, v.rotation.clone()?)))
            .collect())
    }

    /// Rotates every enabled key whose rotation is due (the server calls this periodically).
    pub async fn rotate_due_keys(&self) -> Result<usize, KmsError> {
        let now = self.clock.now_ms();
        let due: Vec<(String, crate::KeyId)> = self
            .meta
            .kv_list(NS, "key/")?
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_slice::<KeyRecord>(&v).ok())
            .filter(|r| {
                r.meta.state == KeyState::Enabled && r.rotation.is_some_and(|x| now >= x.next_ms)
            })
            .map(|r| (r.meta.account, r.meta.id))
            .collect();
        for (account, id) in &due {
            let material = self.fresh_material()?;
            self.update(account, id, |r| {
                let Some(rot) = r.rotation else { return Ok(()) };
                if now < rot.next_ms {
                    return Ok(()); // another rotation got there first
                }
                r.rotation = Some(Rotation {
                    period_days: rot.period_days,
                    next_ms: now + i64::from(rot.period_days) * 86_400_000,
                });
                self.add_version(r, &material, now, "AUTOMATIC")
            })
            .await?;
        }
        Ok(due.len())
    }

    fn fresh_material(&self) -> Result<Zeroizing<[u8; 32]>, KmsError> {
        let mut m = Zeroizing::new([0u8; 32]);
        self.rng.fill(m.as_mut()).map_err(|_| KmsError::Random)?;
        Ok(m)
    }

    fn add_version(
        &self,
        r: &mut KeyRecord,
        material: &[u8; 32],
        now: i64,
        kind: &str,
    ) -> Result<(), KmsError> {
        let version = r.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let sealed_material = self.seal(&r.meta.id, version, material)?;
        r.versions.push(KeyVersion {
            version,
            sealed_material,
            created_ms: now,
            rotation: Some(kind.to_owned()),
        });
        r.current = version;
        Ok(())
    }
}

/// Only symmetric encryption keys rotate (as KMS: asymmetric and HMAC keys do not).
fn require_rotatable(r: &KeyRecord) -> Result<(), KmsError> {
    if r.meta.key_spec == KeySpec::Symmetric.as_str() {
        return Ok(());
    }
    Err(KmsError::UnsupportedOperation(format!(
        "{} key spec {} does not support automatic or on-demand rotation.",
        r.meta.arn, r.meta.key_spec
    )))
}
