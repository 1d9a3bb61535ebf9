//! The operations of asymmetric (RSA, ECC) and HMAC keys, and data key pairs: Sign/Verify,
//! GetPublicKey, RSAES-OAEP Encrypt/Decrypt, GenerateMac/VerifyMac, GenerateDataKeyPair.
//! Asymmetric ciphertexts and signatures are the raw algorithm outputs, as KMS returns them.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use zeroize::Zeroizing;

use crate::KmsError;
use crate::keys::{EncryptionContext, KeyMetadata, Kms, MAX_PLAINTEXT};
use crate::spec::{ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KeySpec, Material, SIGN_VERIFY};

/// GenerateDataKeyPair's answer: the private key (PKCS#8 DER, zeroized on drop), the private
/// key encrypted under the KMS key, and the public key (X.509 DER).
pub struct DataKeyPairOutput {
    pub key_id: String,
    pub private_plaintext: Zeroizing<Vec<u8>>,
    pub private_ciphertext: Vec<u8>,
    pub public_key: Vec<u8>,
}

/// `MessageType`: RAW (the message, at most 4096 bytes) or DIGEST (its hash).
fn is_digest(message_type: &str, message: &[u8]) -> Result<bool, KmsError> {
    let digest = match message_type {
        "RAW" => false,
        "DIGEST" => true,
        other => {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [DIGEST, RAW]"
            )));
        }
    };
    check_len("message", message)?;
    Ok(digest)
}

fn check_len(field: &str, b: &[u8]) -> Result<(), KmsError> {
    if b.is_empty() || b.len() > MAX_PLAINTEXT {
        return Err(KmsError::Validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length between 1 and {MAX_PLAINTEXT}"
        )));
    }
    Ok(())
}

impl Kms {
    pub fn sign(
        &self,
        account: &str,
        key_ref: &str,
        algorithm: &str,
        message: &[u8],
        message_type: &str,
    ) -> Result<(KeyMetadata, Vec<u8>), KmsError> {
        let k = self.usable(account, key_ref)?;
        k.require(true, SIGN_VERIFY, "Sign")?;
        let digest = is_digest(message_type, message)?;
        let sig = k.current()?.sign(algorithm, message, digest, self.rng())?;
        Ok((k.record.meta.clone(), sig))
    }

    /// Verify: `Err(InvalidSignature)` when the signature does not verify.
    pub fn verify(
        &self,
        account: &str,
        key_ref: &str,
        algorithm: &str,
        message: &[u8],
        message_type: &str,
        signature: &[u8],
    ) -> Result<KeyMetadata, KmsError> {
        let k = self.usable(account, key_ref)?;
        k.require(true, SIGN_VERIFY, "Verify")?;
        let digest = is_digest(message_type, message)?;
        match k.current()?.verify(algorithm, message, digest, signature)? {
            true => Ok(k.record.meta.clone()),
            false => Err(KmsError::InvalidSignature),
        }
    }

    /// GetPublicKey: the X.509 SubjectPublicKeyInfo DER of an asymmetric key.
    pub fn public_key(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<(KeyMetadata, Vec<u8>), KmsError> {
        let k = self.usable(account, key_ref)?;
        let asymmetric = matches!(k.spec()?, KeySpec::Rsa(_) | KeySpec::Ecc(_));
        if !asymmetric {
            return Err(KmsError::UnsupportedOperation(format!(
                "{} key spec {} has no public key.",
                k.record.meta.arn, k.record.meta.key_spec
            )));
        }
        Ok((k.record.meta.clone(), k.current()?.public_key_der()?))
    }

    /// Encrypt under an RSA ENCRYPT_DECRYPT key (RSAES_OAEP_SHA_1 / _256).
    pub fn encrypt_asymmetric(
        &self,
        account: &str,
        key_ref: &str,
        algorithm: &str,
        plaintext: &[u8],
    ) -> Result<(KeyMetadata, Vec<u8>), KmsError> {
        let k = self.rsa_encryption_key(account, key_ref, "Encrypt")?;
        let ct = k.current()?.rsa_encrypt(algorithm, plaintext)?;
        Ok((k.record.meta.clone(), ct))
    }

    pub fn decrypt_asymmetric(
        &self,
        account: &str,
        key_ref: &str,
        algorithm: &str,
        ciphertext: &[u8],
    ) -> Result<(KeyMetadata, Zeroizing<Vec<u8>>), KmsError> {
        let k = self.rsa_encryption_key(account, key_ref, "Decrypt")?;
        let pt = k.current()?.rsa_decrypt(algorithm, ciphertext)?;
        Ok((k.record.meta.clone(), pt))
    }

    /// An enabled RSA ENCRYPT_DECRYPT key, else the error `op` gets.
    fn rsa_encryption_key(
        &self,
        account: &str,
        key_ref: &str,
        op: &str,
    ) -> Result<std::sync::Arc<crate::keys::LoadedKey>, KmsError> {
        let k = self.usable(account, key_ref)?;
        k.require(matches!(k.spec()?, KeySpec::Rsa(_)), ENCRYPT_DECRYPT, op)?;
        Ok(k)
    }

    pub fn generate_mac(
        &self,
        account: &str,
        key_ref: &str,
        algorithm: &str,
        message: &[u8],
    ) -> Result<(KeyMetadata, Vec<u8>), KmsError> {
        let k = self.usable(account, key_ref)?;
        k.require(true, GENERATE_VERIFY_MAC, "GenerateMac")?;
        check_len("message", message)?;
        let mac = k.current()?.mac(algorithm, message)?;
        Ok((k.record.meta.clone(), mac))
    }

    /// VerifyMac (constant-time): `Err(InvalidMac)` when the MAC does not match.
    pub fn verify_mac(
        &self,
        account: &str,
        key_ref: &str,
        algorithm: &str,
        message: &[u8],
        mac: &[u8],
    ) -> Result<KeyMetadata, KmsError> {
        let k = self.usable(account, key_ref)?;
        k.require(true, GENERATE_VERIFY_MAC, "VerifyMac")?;
        check_len("message", message)?;
        let expected = k.current()?.mac(algorithm, message)?;
        verify_slices_are_equal(&expected, mac).map_err(|_| KmsError::InvalidMac)?;
        Ok(k.record.meta.clone())
    }

    /// GenerateDataKeyPair: a fresh RSA or ECC key pair whose private key is encrypted under a
    /// symmetric KMS key.
    pub fn generate_data_key_pair(
        &self,
        account: &str,
        key_ref: &str,
        pair_spec: &str,
        context: &EncryptionContext,
    ) -> Result<DataKeyPairOutput, KmsError> {
        let spec = KeySpec::parse(pair_spec)
            .filter(|s| matches!(s, KeySpec::Rsa(_) | KeySpec::Ecc(_)))
            .ok_or_else(|| {
                KmsError::Validation(format!(
                    "1 validation error detected: Value '{pair_spec}' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1]"
                ))
            })?;
        let k = self.usable(account, key_ref)?;
        k.require_symmetric("GenerateDataKeyPair")?;
        let private = spec.generate(self.rng())?;
        // Parsing proves the pair usable before it is handed out.
        Material::parse(spec, &private)?;
        Ok(DataKeyPairOutput {
            key_id: k.record.meta.arn.clone(),
            private_ciphertext: self.seal_with(&k, &private, context)?,
            public_key: spec.public_key_der(&private)?,
            private_plaintext: private,
        })
    }
}
