//! Imported key material (Origin EXTERNAL): GetParametersForImport hands out an RSA wrapping
//! public key and an import token (valid 24 hours); ImportKeyMaterial unwraps the material with
//! RSAES-OAEP, optionally until a ValidTo date; DeleteImportedKeyMaterial and expiry put the key
//! back to PendingImport. As KMS, a key only ever takes the same material again: the record
//! keeps a salted MAC of the first import (never the material itself in plaintext).

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_crypto::{matches_check, salted_check};
use coffer_store::KvOp;
use serde::{Deserialize, Serialize};

use crate::KmsError;
use crate::keys::{KeyRecord, KeyState, Kms, MaterialCheck, NS, check_state};
use crate::spec::{KeySpec, Material, oaep_decrypt};

/// How long an import token and its wrapping key stay valid, as KMS.
const TOKEN_VALIDITY_MS: i64 = 24 * 3600 * 1000;

/// GetParametersForImport's answer.
pub struct ImportParameters {
    pub key_arn: String,
    pub token: Vec<u8>,
    /// X.509 DER of the RSA wrapping key.
    pub public_key: Vec<u8>,
    pub valid_to_ms: i64,
}

/// A wrapping key kept until its token is used or expires (private key sealed).
#[derive(Serialize, Deserialize)]
struct PendingImport {
    wrapping_algorithm: String,
    sealed_private: String,
    valid_to_ms: i64,
}

/// Purpose label of the salted check a key keeps of its imported material.
const CHECK_LABEL: &[u8] = b"coffer/kms/imported-material-check/v1";

fn pending_key(key_id: &str, token: &[u8]) -> String {
    let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
    format!("import/{key_id}/{hex}")
}

fn require_external(r: &KeyRecord) -> Result<(), KmsError> {
    if r.meta.origin == "EXTERNAL" {
        return Ok(());
    }
    Err(KmsError::UnsupportedOperation(format!(
        "{} origin is {}, not EXTERNAL.",
        r.meta.arn, r.meta.origin
    )))
}

impl Kms {
    pub async fn import_parameters(
        &self,
        account: &str,
        key_ref: &str,
        wrapping_algorithm: &str,
        wrapping_spec: &str,
    ) -> Result<ImportParameters, KmsError> {
        let r = self.record(account, key_ref)?;
        require_external(&r)?;
        if r.meta.state == KeyState::PendingDeletion {
            check_state(&r.meta)?;
        }
        if !matches!(
            wrapping_algorithm,
            "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256"
        ) {
            return Err(KmsError::UnsupportedOperation(format!(
                "Wrapping algorithm {wrapping_algorithm} is not available; use RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256."
            )));
        }
        let size = match wrapping_spec {
            "RSA_2048" => KeySize::Rsa2048,
            "RSA_3072" => KeySize::Rsa3072,
            "RSA_4096" => KeySize::Rsa4096,
            other => {
                return Err(KmsError::Validation(format!(
                    "1 validation error detected: Value '{other}' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096]"
                )));
            }
        };
        let private = PrivateDecryptingKey::generate(size).map_err(|_| KmsError::Random)?;
        let public_key = private
            .public_key()
            .as_der()
            .map_err(|_| KmsError::Random)?
            .as_ref()
            .to_vec();
        let der = private.as_der().map_err(|_| KmsError::Random)?;
        let token = self.random(32)?;
        let key = pending_key(&r.meta.id, &token);
        let valid_to_ms = self.now() + TOKEN_VALIDITY_MS;
        let pending = PendingImport {
            wrapping_algorithm: wrapping_algorithm.to_owned(),
            sealed_private: B64.encode(self.seal_bytes(&key, der.as_ref())?),
            valid_to_ms,
        };
        self.apply_ops(vec![KvOp::Put {
            ns: NS.into(),
            key,
            value: serde_json::to_vec(&pending).map_err(|_| KmsError::Corrupt)?,
        }])
        .await?;
        Ok(ImportParameters {
            key_arn: r.meta.arn,
            token,
            public_key,
            valid_to_ms,
        })
    }

    /// ImportKeyMaterial; `valid_to_ms` set means the material expires then.
    pub async fn import_key_material(
        &self,
        account: &str,
        key_ref: &str,
        token: &[u8],
        encrypted: &[u8],
        valid_to_ms: Option<i64>,
    ) -> Result<(), KmsError> {
        let r = self.record(account, key_ref)?;
        require_external(&r)?;
        if r.meta.state == KeyState::PendingDeletion {
            check_state(&r.meta)?;
        }
        if valid_to_ms.is_some_and(|t| t <= self.now()) {
            return Err(KmsError::Validation(
                "ValidTo must be a time in the future.".into(),
            ));
        }
        let slot = pending_key(&r.meta.id, token);
        let pending: PendingImport = match self.kv_get(&slot)? {
            Some(v) => serde_json::from_slice(&v).map_err(|_| KmsError::Corrupt)?,
            None => return Err(KmsError::InvalidImportToken),
        };
        if self.now() >= pending.valid_to_ms {
            return Err(KmsError::ExpiredImportToken);
        }
        let sealed = B64
            .decode(&pending.sealed_private)
            .map_err(|_| KmsError::Corrupt)?;
        let private = PrivateDecryptingKey::from_pkcs8(&self.open_bytes(&slot, &sealed)?)
            .map_err(|_| KmsError::Corrupt)?;
        let private = OaepPrivateDecryptingKey::new(private).map_err(|_| KmsError::Corrupt)?;
        let material = oaep_decrypt(&private, &pending.wrapping_algorithm, encrypted)?;
        let spec = KeySpec::parse(&r.meta.key_spec).ok_or(KmsError::Corrupt)?;
        let usable = match spec {
            KeySpec::Hmac(bits) => material.len() >= bits as usize / 8 && material.len() <= 64,
            _ => Material::parse(spec, &material).is_ok(),
        };
        if !usable {
            return Err(KmsError::IncorrectKeyMaterial);
        }
        let now = self.now();
        let salt = self.random(16)?;
        let fresh_check = MaterialCheck {
            salt: B64.encode(&salt),
            mac: B64.encode(salted_check(&material, CHECK_LABEL, &salt)),
        };
        let version = self.first_version(&r.meta.id, &material, now)?;
        self.update(account, &r.meta.arn, |r| {
            match &r.import_check {
                // Only the material first imported may come back.
                Some(check) => {
                    let salt = B64.decode(&check.salt).map_err(|_| KmsError::Corrupt)?;
                    let mac = B64.decode(&check.mac).map_err(|_| KmsError::Corrupt)?;
                    if !matches_check(&material, CHECK_LABEL, &salt, &mac) {
                        return Err(KmsError::IncorrectKeyMaterial);
                    }
                }
                None => r.import_check = Some(fresh_check),
            }
            r.versions = vec![version];
            r.current = 1;
            r.meta.expiration_model = Some(
                match valid_to_ms {
                    Some(_) => "KEY_MATERIAL_EXPIRES",
                    None => "KEY_MATERIAL_DOES_NOT_EXPIRE",
                }
                .into(),
            );
            r.meta.valid_to_ms = valid_to_ms;
            if r.meta.state == KeyState::PendingImport {
                r.meta.state = KeyState::Enabled;
            }
            Ok(())
        })
        .await?;
        // A token serves one import.
        self.apply_ops(vec![KvOp::Delete {
            ns: NS.into(),
            key: slot,
        }])
        .await
    }

    pub async fn delete_imported_material(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<(), KmsError> {
        self.update(account, key_ref, |r| {
            require_external(r)?;
            if r.meta.state == KeyState::PendingDeletion {
                check_state(&r.meta)?;
            }
            r.lose_material();
            Ok(())
        })
        .await
    }

    /// Deletes imported material past its ValidTo (the server's maintenance timer calls this;
    /// until then `loaded` already treats such keys as PendingImport).
    pub async fn expire_imported_material(&self) -> Result<usize, KmsError> {
        let now = self.now();
        let due: Vec<(String, String)> = self
            .kv_list("key/")?
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_slice::<KeyRecord>(&v).ok())
            .filter(|r| r.meta.valid_to_ms.is_some_and(|t| now >= t))
            .map(|r| (r.meta.account.clone(), r.meta.arn.clone()))
            .collect();
        for (account, arn) in &due {
            self.update(account, arn, |r| {
                if r.meta.valid_to_ms.is_some_and(|t| now >= t) {
                    r.lose_material();
                }
                Ok(())
            })
            .await?;
        }
        Ok(due.len())
    }
}
