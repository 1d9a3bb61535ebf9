//! Symmetric use of a key: encrypt, decrypt, data keys; sealing of the service's own secrets.

use super::*;

impl Kms {
    pub fn encrypt(
        &self,
        account: &str,
        key_ref: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and {MAX_PLAINTEXT}"
            )));
        }
        let k = self.usable(account, key_ref)?;
        k.require_symmetric("Encrypt")?;
        self.seal_with(&k, plaintext, context)
    }

    /// Decrypts a blob. `key_ref`, if given, must name the key the blob was made under.
    pub fn decrypt(
        &self,
        account: &str,
        key_ref: Option<&str>,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<(KeyMetadata, Zeroizing<Vec<u8>>), KmsError> {
        let b = blob::parse(ciphertext)?;
        // The blob names its key; look it up in whichever account owns it.
        let owner = match key_ref {
            Some(k) => self.loaded(account, k)?,
            None => self.loaded(account, b.key_id).map_err(|e| match e {
                KmsError::NotFound(_) => KmsError::InvalidCiphertext,
                other => other,
            })?,
        };
        if owner.record.meta.id != b.key_id {
            return Err(KmsError::IncorrectKey);
        }
        check_state(&owner.record.meta)?;
        owner.require_symmetric("Decrypt")?;
        let key = owner.material(b.key_version)?.aes()?;
        let mut buf = b.sealed.to_vec();
        let aad = blob::aad(b.header, context);
        let plain_len = key
            .open_in_place(
                Nonce::assume_unique_for_key(b.nonce),
                Aad::from(&aad[..]),
                &mut buf,
            )
            .map_err(|_| KmsError::InvalidCiphertext)?
            .len();
        buf.truncate(plain_len);
        Ok((owner.record.meta.clone(), Zeroizing::new(buf)))
    }

    /// GenerateDataKey: `bytes` random bytes (1 to 1024) and their ciphertext.
    pub fn generate_data_key(
        &self,
        account: &str,
        key_ref: &str,
        bytes: usize,
        context: &EncryptionContext,
    ) -> Result<DataKeyPair, KmsError> {
        if !(1..=1024).contains(&bytes) {
            return Err(KmsError::Validation(
                "1 validation error detected: Value at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024".into(),
            ));
        }
        let k = self.usable(account, key_ref)?;
        k.require_symmetric("GenerateDataKey")?;
        let plaintext = Zeroizing::new(self.random(bytes)?);
        let ciphertext = self.seal_with(&k, &plaintext, context)?;
        Ok(DataKeyPair {
            key_id: k.record.meta.arn.clone(),
            plaintext,
            ciphertext,
        })
    }

    /// Seals a secret under the material key with its own associated data (import wrapping
    /// keys), and opens it again.
    pub(crate) fn seal_bytes(&self, aad: &str, secret: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.sealing
            .seal_secret(secret, aad.as_bytes(), &self.rng)
            .map_err(|_| KmsError::Random)
    }

    pub(crate) fn open_bytes(
        &self,
        aad: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        self.sealing
            .open_secret(sealed, aad.as_bytes())
            .map_err(|_| KmsError::Corrupt)
    }

    pub fn random(&self, bytes: usize) -> Result<Vec<u8>, KmsError> {
        if !(1..=1024).contains(&bytes) {
            return Err(KmsError::Validation(
                "NumberOfBytes must be between 1 and 1024".into(),
            ));
        }
        let mut out = vec![0u8; bytes];
        self.rng.fill(&mut out).map_err(|_| KmsError::Random)?;
        Ok(out)
    }

    // ---- plumbing ----

    pub(crate) fn seal_with(
        &self,
        k: &LoadedKey,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        let r = &k.record;
        let key = k.current()?.aes()?;
        let header = blob::header(&r.meta.id, r.current)?;
        let mut nonce = [0u8; 12];
        self.rng.fill(&mut nonce).map_err(|_| KmsError::Random)?;
        let mut buf = plaintext.to_vec();
        let aad = blob::aad(&header, context);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..]),
                &mut buf,
            )
            .map_err(|_| KmsError::Corrupt)?;
        let mut out = header;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }
}
