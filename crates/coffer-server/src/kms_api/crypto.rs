//! Cryptographic operations: encrypt, decrypt, re-encrypt, data keys and pairs, sign/verify, MACs, random bytes.

use super::*;

impl KmsApi {
    pub(super) async fn crypto(&self, kind: CryptoOp, call: &Call) -> Result<Value, KmsFault> {
        let op = kind.name();
        let acct = call.identity.account().to_owned();
        let none = EncryptionContext::new();
        Ok(match kind {
            CryptoOp::Encrypt if asymmetric_algorithm(call) => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("EncryptionAlgorithm")?;
                let (m, ct) = self.kms.encrypt_asymmetric(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("Plaintext")?,
                )?;
                json!({"CiphertextBlob": B64.encode(ct), "KeyId": m.arn, "EncryptionAlgorithm": alg})
            }
            CryptoOp::Decrypt if asymmetric_algorithm(call) => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("EncryptionAlgorithm")?;
                let (m, pt) = self.kms.decrypt_asymmetric(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("CiphertextBlob")?,
                )?;
                json!({"KeyId": m.arn, "Plaintext": B64.encode(&pt[..]), "EncryptionAlgorithm": alg})
            }
            CryptoOp::Encrypt => {
                let ctx = call.context("EncryptionContext")?;
                let m = self.authorize_key(call, op, call.str("KeyId")?, &ctx)?;
                let ct = self
                    .kms
                    .encrypt(&m.account, &m.arn, &call.blob("Plaintext")?, &ctx)?;
                json!({"CiphertextBlob": B64.encode(ct), "KeyId": m.arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
            }
            CryptoOp::Decrypt => {
                let ctx = call.context("EncryptionContext")?;
                let blob = call.blob("CiphertextBlob")?;
                // Authorize on the key the blob names (or the one the caller insists on).
                let key_ref = match call.opt("KeyId") {
                    Some(k) => k.to_owned(),
                    None => self.ciphertext_key(&acct, &blob)?,
                };
                let m = self.authorize_key(call, op, &key_ref, &ctx).map_err(|f| {
                    if call.opt("KeyId").is_none() && f.kind == "NotFoundException" {
                        KmsError::InvalidCiphertext.into()
                    } else {
                        f
                    }
                })?;
                let (m, pt) = self.kms.decrypt(
                    &m.account,
                    Some(call.opt("KeyId").unwrap_or(&m.arn)),
                    &blob,
                    &ctx,
                )?;
                json!({"KeyId": m.arn, "Plaintext": B64.encode(&pt[..]), "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
            }
            CryptoOp::ReEncrypt => {
                let blob = call.blob("CiphertextBlob")?;
                let src_ctx = call.context("SourceEncryptionContext")?;
                let dst_ctx = call.context("DestinationEncryptionContext")?;
                let src_ref = match call.opt("SourceKeyId") {
                    Some(k) => k.to_owned(),
                    None => self.ciphertext_key(&acct, &blob)?,
                };
                let src = self.authorize_key(call, "ReEncryptFrom", &src_ref, &src_ctx)?;
                let dst = self.authorize_key(
                    call,
                    "ReEncryptTo",
                    call.str("DestinationKeyId")?,
                    &dst_ctx,
                )?;
                // RSA keys on either side: raw RSAES-OAEP with the named algorithm.
                let src_alg = call
                    .opt("SourceEncryptionAlgorithm")
                    .unwrap_or("SYMMETRIC_DEFAULT");
                let dst_alg = call
                    .opt("DestinationEncryptionAlgorithm")
                    .unwrap_or("SYMMETRIC_DEFAULT");
                let (src, pt) = match src_alg {
                    "SYMMETRIC_DEFAULT" => {
                        self.kms
                            .decrypt(&src.account, Some(&src.arn), &blob, &src_ctx)?
                    }
                    alg => self
                        .kms
                        .decrypt_asymmetric(&src.account, &src.arn, alg, &blob)?,
                };
                let ct = match dst_alg {
                    "SYMMETRIC_DEFAULT" => {
                        self.kms.encrypt(&dst.account, &dst.arn, &pt, &dst_ctx)?
                    }
                    alg => {
                        self.kms
                            .encrypt_asymmetric(&dst.account, &dst.arn, alg, &pt)?
                            .1
                    }
                };
                json!({"CiphertextBlob": B64.encode(ct), "SourceKeyId": src.arn, "KeyId": dst.arn,
                       "SourceEncryptionAlgorithm": src_alg, "DestinationEncryptionAlgorithm": dst_alg})
            }
            CryptoOp::GenerateDataKey | CryptoOp::GenerateDataKeyWithoutPlaintext => {
                let ctx = call.context("EncryptionContext")?;
                let m = self.authorize_key(call, op, call.str("KeyId")?, &ctx)?;
                let bytes = match (call.int("NumberOfBytes", 1, 1024)?, call.opt("KeySpec")) {
                    (Some(_), Some(_)) => {
                        return Err(validation(
                            "Specify either KeySpec or NumberOfBytes, not both.",
                        ));
                    }
                    (Some(n), None) => usize::try_from(n).unwrap_or(usize::MAX),
                    (None, Some("AES_256")) => 32,
                    (None, Some("AES_128")) => 16,
                    (None, Some(other)) => {
                        return Err(validation(format!("Invalid KeySpec {other}")));
                    }
                    (None, None) => {
                        return Err(validation(
                            "Please specify either number of bytes or key spec.",
                        ));
                    }
                };
                let dk = self
                    .kms
                    .generate_data_key(&m.account, &m.arn, bytes, &ctx)?;
                let mut out =
                    json!({"CiphertextBlob": B64.encode(&dk.ciphertext), "KeyId": dk.key_id});
                if kind == CryptoOp::GenerateDataKey {
                    out["Plaintext"] = json!(B64.encode(&dk.plaintext[..]));
                }
                out
            }
            CryptoOp::GenerateDataKeyPair | CryptoOp::GenerateDataKeyPairWithoutPlaintext => {
                let ctx = call.context("EncryptionContext")?;
                let m = self.authorize_key(call, op, call.str("KeyId")?, &ctx)?;
                let spec = call.str("KeyPairSpec")?;
                let pair = self
                    .kms
                    .generate_data_key_pair(&m.account, &m.arn, spec, &ctx)?;
                let mut out = json!({
                    "KeyId": pair.key_id,
                    "KeyPairSpec": spec,
                    "PrivateKeyCiphertextBlob": B64.encode(&pair.private_ciphertext),
                    "PublicKey": B64.encode(&pair.public_key),
                });
                if kind == CryptoOp::GenerateDataKeyPair {
                    out["PrivateKeyPlaintext"] = json!(B64.encode(&pair.private_plaintext[..]));
                }
                out
            }
            CryptoOp::Sign => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("SigningAlgorithm")?;
                let (m, sig) = self.kms.sign(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("Message")?,
                    call.opt("MessageType").unwrap_or("RAW"),
                )?;
                json!({"KeyId": m.arn, "Signature": B64.encode(sig), "SigningAlgorithm": alg})
            }
            CryptoOp::Verify => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("SigningAlgorithm")?;
                let m = self.kms.verify(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("Message")?,
                    call.opt("MessageType").unwrap_or("RAW"),
                    &call.blob("Signature")?,
                )?;
                json!({"KeyId": m.arn, "SignatureValid": true, "SigningAlgorithm": alg})
            }
            CryptoOp::GetPublicKey => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let (m, der) = self.kms.public_key(&m.account, &m.arn)?;
                let mut out = json!({
                    "KeyId": m.arn,
                    "PublicKey": B64.encode(der),
                    "CustomerMasterKeySpec": m.key_spec,
                    "KeySpec": m.key_spec,
                    "KeyUsage": m.key_usage,
                });
                let meta = key_metadata(&m);
                for name in ["EncryptionAlgorithms", "SigningAlgorithms"] {
                    if let Some(list) = meta.get(name) {
                        out[name] = list.clone();
                    }
                }
                out
            }
            CryptoOp::GenerateMac => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("MacAlgorithm")?;
                let (m, mac) =
                    self.kms
                        .generate_mac(&m.account, &m.arn, alg, &call.blob("Message")?)?;
                json!({"KeyId": m.arn, "Mac": B64.encode(mac), "MacAlgorithm": alg})
            }
            CryptoOp::VerifyMac => {
                let m = self.authorize_key(call, op, call.str("KeyId")?, &none)?;
                let alg = call.str("MacAlgorithm")?;
                let m = self.kms.verify_mac(
                    &m.account,
                    &m.arn,
                    alg,
                    &call.blob("Message")?,
                    &call.blob("Mac")?,
                )?;
                json!({"KeyId": m.arn, "MacValid": true, "MacAlgorithm": alg})
            }
            CryptoOp::GenerateRandom => {
                self.authorize_account(call, op)?;
                let n = call.int("NumberOfBytes", 1, 1024)?.unwrap_or(0);
                let bytes = self.kms.random(usize::try_from(n).unwrap_or(0))?;
                json!({"Plaintext": B64.encode(bytes)})
            }
        })
    }
}
