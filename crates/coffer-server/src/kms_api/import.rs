//! Imported key material: import parameters, import, delete.

use super::*;

impl KmsApi {
    pub(super) async fn import_material(
        &self,
        kind: ImportOp,
        call: &Call,
    ) -> Result<Value, KmsFault> {
        let op = kind.name();
        let none = EncryptionContext::new();
        Ok(match kind {
            ImportOp::GetParametersForImport => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let p = self
                    .kms
                    .import_parameters(
                        &m.account,
                        &m.arn,
                        call.str("WrappingAlgorithm")?,
                        call.str("WrappingKeySpec")?,
                    )
                    .await?;
                json!({
                    "KeyId": p.key_arn,
                    "ImportToken": B64.encode(&p.token),
                    "PublicKey": B64.encode(&p.public_key),
                    "ParametersValidTo": p.valid_to_ms as f64 / 1000.0,
                })
            }
            ImportOp::ImportKeyMaterial => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let valid_to = call
                    .body
                    .get("ValidTo")
                    .and_then(Value::as_f64)
                    .map(|t| (t * 1000.0) as i64);
                let valid_to = match (call.opt("ExpirationModel"), valid_to) {
                    (Some("KEY_MATERIAL_DOES_NOT_EXPIRE"), Some(_)) => {
                        return Err(validation(
                            "ValidTo must not be set when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.",
                        ));
                    }
                    (Some("KEY_MATERIAL_EXPIRES"), None) => {
                        return Err(validation(
                            "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.",
                        ));
                    }
                    (None | Some("KEY_MATERIAL_EXPIRES" | "KEY_MATERIAL_DOES_NOT_EXPIRE"), v) => v,
                    (Some(other), _) => {
                        return Err(validation(format!("Invalid ExpirationModel {other}")));
                    }
                };
                self.kms
                    .import_key_material(
                        &m.account,
                        &m.arn,
                        &call.blob("ImportToken")?,
                        &call.blob("EncryptedKeyMaterial")?,
                        valid_to,
                    )
                    .await?;
                json!({"KeyId": m.arn})
            }
            ImportOp::DeleteImportedKeyMaterial => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                self.kms
                    .delete_imported_material(&m.account, &m.arn)
                    .await?;
                json!({"KeyId": m.arn})
            }
        })
    }
}
