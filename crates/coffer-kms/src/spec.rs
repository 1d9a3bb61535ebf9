//! Key specs and what each can do: symmetric AES-GCM keys, RSA and ECC key pairs, HMAC keys.
//! The stored material of a version is 32 AES bytes, the HMAC key bytes, or a PKCS#8 DER
//! private key; [`Material`] is it parsed for use.

use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SecureRandom;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey,
};
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use zeroize::Zeroizing;

use crate::KmsError;

/// `KeyUsage` values.
pub const ENCRYPT_DECRYPT: &str = "ENCRYPT_DECRYPT";
pub const SIGN_VERIFY: &str = "SIGN_VERIFY";
pub const GENERATE_VERIFY_MAC: &str = "GENERATE_VERIFY_MAC";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
    Secp256k1,
}

/// A KMS `KeySpec` (also a `KeyPairSpec` for the asymmetric ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    Symmetric,
    Rsa(u32),
    Ecc(Curve),
    Hmac(u32),
}

impl KeySpec {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "SYMMETRIC_DEFAULT" => Self::Symmetric,
            "RSA_2048" => Self::Rsa(2048),
            "RSA_3072" => Self::Rsa(3072),
            "RSA_4096" => Self::Rsa(4096),
            "ECC_NIST_P256" => Self::Ecc(Curve::P256),
            "ECC_NIST_P384" => Self::Ecc(Curve::P384),
            "ECC_NIST_P521" => Self::Ecc(Curve::P521),
            "ECC_SECG_P256K1" => Self::Ecc(Curve::Secp256k1),
            "HMAC_224" => Self::Hmac(224),
            "HMAC_256" => Self::Hmac(256),
            "HMAC_384" => Self::Hmac(384),
            "HMAC_512" => Self::Hmac(512),
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Symmetric => "SYMMETRIC_DEFAULT",
            Self::Rsa(2048) => "RSA_2048",
            Self::Rsa(3072) => "RSA_3072",
            Self::Rsa(_) => "RSA_4096",
            Self::Ecc(Curve::P256) => "ECC_NIST_P256",
            Self::Ecc(Curve::P384) => "ECC_NIST_P384",
            Self::Ecc(Curve::P521) => "ECC_NIST_P521",
            Self::Ecc(Curve::Secp256k1) => "ECC_SECG_P256K1",
            Self::Hmac(224) => "HMAC_224",
            Self::Hmac(256) => "HMAC_256",
            Self::Hmac(384) => "HMAC_384",
            Self::Hmac(_) => "HMAC_512",
        }
    }

    /// Whether a key of this spec may have `usage`, as CreateKey allows.
    pub fn allows_usage(self, usage: &str) -> bool {
        match self {
            Self::Symmetric => usage == ENCRYPT_DECRYPT,
            Self::Rsa(_) => usage == ENCRYPT_DECRYPT || usage == SIGN_VERIFY,
            Self::Ecc(_) => usage == SIGN_VERIFY,
            Self::Hmac(_) => usage == GENERATE_VERIFY_MAC,
        }
    }

    /// `EncryptionAlgorithms` of a key with this spec and usage (DescribeKey, GetPublicKey).
    pub fn encryption_algorithms(self, usage: &str) -> &'static [&'static str] {
        match (self, usage) {
            (Self::Symmetric, _) => &["SYMMETRIC_DEFAULT"],
            (Self::Rsa(_), ENCRYPT_DECRYPT) => &["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
            _ => &[],
        }
    }

    /// `SigningAlgorithms` of a key with this spec and usage.
    pub fn signing_algorithms(self, usage: &str) -> &'static [&'static str] {
        match (self, usage) {
            (Self::Rsa(_), SIGN_VERIFY) => &[
                "RSASSA_PSS_SHA_256",
                "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512",
                "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384",
                "RSASSA_PKCS1_V1_5_SHA_512",
            ],
            (Self::Ecc(Curve::P256 | Curve::Secp256k1), _) => &["ECDSA_SHA_256"],
            (Self::Ecc(Curve::P384), _) => &["ECDSA_SHA_384"],
            (Self::Ecc(Curve::P521), _) => &["ECDSA_SHA_512"],
            _ => &[],
        }
    }

    /// `MacAlgorithms` of an HMAC key.
    pub fn mac_algorithms(self) -> &'static [&'static str] {
        match self {
            Self::Hmac(224) => &["HMAC_SHA_224"],
            Self::Hmac(256) => &["HMAC_SHA_256"],
            Self::Hmac(384) => &["HMAC_SHA_384"],
            Self::Hmac(_) => &["HMAC_SHA_512"],
            _ => &[],
        }
    }

    /// Fresh secret material for a key (version) of this spec.
    pub(crate) fn generate(self, rng: &dyn SecureRandom) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let random = |n: usize| -> Result<Zeroizing<Vec<u8>>, KmsError> {
            let mut m = Zeroizing::new(vec![0u8; n]);
            rng.fill(&mut m).map_err(|_| KmsError::Random)?;
            Ok(m)
        };
        match self {
            Self::Symmetric => random(32),
            Self::Hmac(bits) => random(bits as usize / 8),
            Self::Rsa(bits) => {
                let size = match bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    _ => KeySize::Rsa4096,
                };
                let pair = RsaKeyPair::generate(size).map_err(|_| KmsError::Random)?;
                let der = pair.as_der().map_err(|_| KmsError::Random)?;
                Ok(Zeroizing::new(der.as_ref().to_vec()))
            }
            Self::Ecc(curve) => {
                let pair =
                    EcdsaKeyPair::generate(ecdsa_signing(curve)).map_err(|_| KmsError::Random)?;
                let der = pair.to_pkcs8v1().map_err(|_| KmsError::Random)?;
                Ok(Zeroizing::new(der.as_ref().to_vec()))
            }
        }
    }

    /// The public key of a generated private key, X.509 SubjectPublicKeyInfo DER.
    pub(crate) fn public_key_der(self, private: &[u8]) -> Result<Vec<u8>, KmsError> {
        Material::parse(self, private)?.public_key_der()
    }
}

fn ecdsa_signing(curve: Curve) -> &'static signature::EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        Curve::P521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
        Curve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
    }
}

/// A key version's material, ready for use. aws-lc frees (and clears) key objects on drop.
pub(crate) enum Material {
    Aes(LessSafeKey),
    Hmac(Box<hmac::Key>),
    Rsa(
        RsaKeyPair,
        OaepPrivateDecryptingKey,
        OaepPublicEncryptingKey,
    ),
    Ecc(EcdsaKeyPair, Curve),
}

/// A parsed signing algorithm name.
struct SigningAlgorithm {
    digest: &'static digest::Algorithm,
    rsa: Option<(
        &'static dyn signature::RsaEncoding,
        &'static signature::RsaParameters,
    )>,
}

impl Material {
    pub(crate) fn parse(spec: KeySpec, material: &[u8]) -> Result<Self, KmsError> {
        Ok(match spec {
            KeySpec::Symmetric => Self::Aes(LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, material).map_err(|_| KmsError::Corrupt)?,
            )),
            KeySpec::Hmac(bits) => {
                Self::Hmac(Box::new(hmac::Key::new(hmac_algorithm(bits), material)))
            }
            KeySpec::Rsa(_) => {
                let private =
                    PrivateDecryptingKey::from_pkcs8(material).map_err(|_| KmsError::Corrupt)?;
                let public = OaepPublicEncryptingKey::new(private.public_key())
                    .map_err(|_| KmsError::Corrupt)?;
                Self::Rsa(
                    RsaKeyPair::from_pkcs8(material).map_err(|_| KmsError::Corrupt)?,
                    OaepPrivateDecryptingKey::new(private).map_err(|_| KmsError::Corrupt)?,
                    public,
                )
            }
            KeySpec::Ecc(curve) => Self::Ecc(
                EcdsaKeyPair::from_pkcs8(ecdsa_signing(curve), material)
                    .map_err(|_| KmsError::Corrupt)?,
                curve,
            ),
        })
    }

    pub(crate) fn aes(&self) -> Result<&LessSafeKey, KmsError> {
        match self {
            Self::Aes(k) => Ok(k),
            _ => Err(KmsError::Corrupt),
        }
    }

    pub(crate) fn public_key_der(&self) -> Result<Vec<u8>, KmsError> {
        let der = match self {
            Self::Rsa(pair, ..) => pair.public_key().as_der(),
            Self::Ecc(pair, _) => pair.public_key().as_der(),
            _ => return Err(KmsError::Corrupt),
        };
        Ok(der.map_err(|_| KmsError::Corrupt)?.as_ref().to_vec())
    }

    /// Sign: `message` is the message (RAW) or its digest (DIGEST).
    pub(crate) fn sign(
        &self,
        algorithm: &str,
        message: &[u8],
        is_digest: bool,
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, KmsError> {
        let alg = self.signing_algorithm(algorithm)?;
        let digest = prehashed(alg.digest, message, is_digest)?;
        match (self, alg.rsa) {
            (Self::Rsa(pair, ..), Some((encoding, _))) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                match digest {
                    Some(d) => pair.sign_digest(encoding, &d, &mut sig),
                    None => pair.sign(encoding, rng, message, &mut sig),
                }
                .map_err(|_| KmsError::Corrupt)?;
                Ok(sig)
            }
            (Self::Ecc(pair, _), None) => {
                let sig = match digest {
                    Some(d) => pair.sign_digest(&d),
                    None => pair.sign(rng, message),
                }
                .map_err(|_| KmsError::Corrupt)?;
                Ok(sig.as_ref().to_vec())
            }
            _ => Err(KmsError::Corrupt),
        }
    }

    /// Verify; `Ok(false)` for a signature that does not verify.
    pub(crate) fn verify(
        &self,
        algorithm: &str,
        message: &[u8],
        is_digest: bool,
        sig: &[u8],
    ) -> Result<bool, KmsError> {
        let alg = self.signing_algorithm(algorithm)?;
        let digest = prehashed(alg.digest, message, is_digest)?;
        let public: &[u8];
        let verifier: &'static dyn signature::VerificationAlgorithm;
        match (self, alg.rsa) {
            (Self::Rsa(pair, ..), Some((_, params))) => {
                public = pair.public_key().as_ref();
                verifier = params;
            }
            (Self::Ecc(pair, curve), None) => {
                public = pair.public_key().as_ref();
                verifier = match curve {
                    Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1,
                    Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1,
                    Curve::P521 => &signature::ECDSA_P521_SHA512_ASN1,
                    Curve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_ASN1,
                };
            }
            _ => return Err(KmsError::Corrupt),
        }
        let key = signature::UnparsedPublicKey::new(verifier, public);
        Ok(match digest {
            Some(d) => key.verify_digest(&d, sig).is_ok(),
            None => key.verify(message, sig).is_ok(),
        })
    }

    fn signing_algorithm(&self, name: &str) -> Result<SigningAlgorithm, KmsError> {
        use signature as s;
        let bad = || {
            KmsError::InvalidKeyUsage(format!(
                "The signing algorithm {name} is not supported by this KMS key."
            ))
        };
        match self {
            Self::Rsa(..) => {
                let (digest, rsa): (_, (&'static dyn s::RsaEncoding, &'static s::RsaParameters)) =
                    match name {
                        "RSASSA_PSS_SHA_256" => (
                            &digest::SHA256,
                            (&s::RSA_PSS_SHA256, &s::RSA_PSS_2048_8192_SHA256),
                        ),
                        "RSASSA_PSS_SHA_384" => (
                            &digest::SHA384,
                            (&s::RSA_PSS_SHA384, &s::RSA_PSS_2048_8192_SHA384),
                        ),
                        "RSASSA_PSS_SHA_512" => (
                            &digest::SHA512,
                            (&s::RSA_PSS_SHA512, &s::RSA_PSS_2048_8192_SHA512),
                        ),
                        "RSASSA_PKCS1_V1_5_SHA_256" => (
                            &digest::SHA256,
                            (&s::RSA_PKCS1_SHA256, &s::RSA_PKCS1_2048_8192_SHA256),
                        ),
                        "RSASSA_PKCS1_V1_5_SHA_384" => (
                            &digest::SHA384,
                            (&s::RSA_PKCS1_SHA384, &s::RSA_PKCS1_2048_8192_SHA384),
                        ),
                        "RSASSA_PKCS1_V1_5_SHA_512" => (
                            &digest::SHA512,
                            (&s::RSA_PKCS1_SHA512, &s::RSA_PKCS1_2048_8192_SHA512),
                        ),
                        _ => return Err(bad()),
                    };
                Ok(SigningAlgorithm {
                    digest,
                    rsa: Some(rsa),
                })
            }
            Self::Ecc(_, curve) => {
                let (want, digest) = match curve {
                    Curve::P256 | Curve::Secp256k1 => ("ECDSA_SHA_256", &digest::SHA256),
                    Curve::P384 => ("ECDSA_SHA_384", &digest::SHA384),
                    Curve::P521 => ("ECDSA_SHA_512", &digest::SHA512),
                };
                if name != want {
                    return Err(bad());
                }
                Ok(SigningAlgorithm { digest, rsa: None })
            }
            _ => Err(bad()),
        }
    }

    /// RSAES-OAEP encryption with the key's public half.
    pub(crate) fn rsa_encrypt(
        &self,
        algorithm: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        let Self::Rsa(_, _, public) = self else {
            return Err(KmsError::Corrupt);
        };
        let alg = oaep(algorithm)?;
        let max = public.max_plaintext_size(alg);
        if plaintext.is_empty() || plaintext.len() > max {
            return Err(KmsError::Validation(format!(
                "Plaintext must be between 1 and {max} bytes for {algorithm} with this key."
            )));
        }
        let mut out = vec![0u8; public.ciphertext_size()];
        let n = public
            .encrypt(alg, plaintext, &mut out, None)
            .map_err(|_| KmsError::Corrupt)?
            .len();
        out.truncate(n);
        Ok(out)
    }

    pub(crate) fn rsa_decrypt(
        &self,
        algorithm: &str,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let Self::Rsa(_, private, _) = self else {
            return Err(KmsError::Corrupt);
        };
        oaep_decrypt(private, algorithm, ciphertext)
    }

    pub(crate) fn mac(&self, algorithm: &str, message: &[u8]) -> Result<Vec<u8>, KmsError> {
        let Self::Hmac(key) = self else {
            return Err(KmsError::Corrupt);
        };
        let want = match key.algorithm().digest_algorithm() {
            a if a == &digest::SHA224 => "HMAC_SHA_224",
            a if a == &digest::SHA256 => "HMAC_SHA_256",
            a if a == &digest::SHA384 => "HMAC_SHA_384",
            _ => "HMAC_SHA_512",
        };
        if algorithm != want {
            return Err(KmsError::InvalidKeyUsage(format!(
                "The MAC algorithm {algorithm} is not supported by this KMS key."
            )));
        }
        Ok(hmac::sign(key, message).as_ref().to_vec())
    }
}

fn hmac_algorithm(bits: u32) -> hmac::Algorithm {
    match bits {
        224 => hmac::HMAC_SHA224,
        256 => hmac::HMAC_SHA256,
        384 => hmac::HMAC_SHA384,
        _ => hmac::HMAC_SHA512,
    }
}

/// RSAES-OAEP decryption (`algorithm`: RSAES_OAEP_SHA_1 or _256); a ciphertext that does not
/// open is InvalidCiphertext.
pub(crate) fn oaep_decrypt(
    private: &OaepPrivateDecryptingKey,
    algorithm: &str,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KmsError> {
    let mut out = Zeroizing::new(vec![0u8; private.min_output_size()]);
    let n = private
        .decrypt(oaep(algorithm)?, ciphertext, &mut out, None)
        .map_err(|_| KmsError::InvalidCiphertext)?
        .len();
    out.truncate(n);
    Ok(out)
}

fn oaep(name: &str) -> Result<&'static OaepAlgorithm, KmsError> {
    match name {
        "RSAES_OAEP_SHA_1" => Ok(&OAEP_SHA1_MGF1SHA1),
        "RSAES_OAEP_SHA_256" => Ok(&OAEP_SHA256_MGF1SHA256),
        other => Err(KmsError::InvalidKeyUsage(format!(
            "The encryption algorithm {other} is not supported by this KMS key."
        ))),
    }
}

/// DIGEST messages must be exactly one digest long (as KMS checks).
fn prehashed(
    alg: &'static digest::Algorithm,
    message: &[u8],
    is_digest: bool,
) -> Result<Option<Digest>, KmsError> {
    if !is_digest {
        return Ok(None);
    }
    Digest::import_less_safe(message, alg)
        .map(Some)
        .map_err(|_| {
            KmsError::Validation(format!(
                "Digest is invalid length for algorithm: expected {} bytes.",
                alg.output_len()
            ))
        })
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;

    use super::*;

    #[test]
    fn every_spec_generates_parses_and_works() {
        let rng = SystemRandom::new();
        for name in [
            "SYMMETRIC_DEFAULT",
            "RSA_2048",
            "ECC_NIST_P256",
            "ECC_NIST_P384",
            "ECC_NIST_P521",
            "ECC_SECG_P256K1",
            "HMAC_224",
            "HMAC_256",
            "HMAC_384",
            "HMAC_512",
        ] {
            let spec = KeySpec::parse(name).unwrap();
            assert_eq!(spec.as_str(), name);
            let m = Material::parse(spec, &spec.generate(&rng).unwrap()).unwrap();
            for alg in spec.signing_algorithms(SIGN_VERIFY) {
                for digest in [false, true] {
                    let msg: Vec<u8> = if digest {
                        let d = match *alg {
                            a if a.ends_with("384") => &digest::SHA384,
                            a if a.ends_with("512") => &digest::SHA512,
                            _ => &digest::SHA256,
                        };
                        digest::digest(d, b"hello").as_ref().to_vec()
                    } else {
                        b"hello".to_vec()
                    };
                    let sig = m.sign(alg, &msg, digest, &rng).unwrap();
                    assert!(m.verify(alg, &msg, digest, &sig).unwrap(), "{name} {alg}");
                    assert!(!m.verify(alg, b"other", false, &sig).unwrap());
                }
                // A RAW signature verifies as the DIGEST of the same message.
                let sig = m.sign(alg, b"hello", false, &rng).unwrap();
                let d = match *alg {
                    a if a.ends_with("384") => &digest::SHA384,
                    a if a.ends_with("512") => &digest::SHA512,
                    _ => &digest::SHA256,
                };
                let digest = digest::digest(d, b"hello");
                assert!(m.verify(alg, digest.as_ref(), true, &sig).unwrap());
            }
            for alg in spec.mac_algorithms() {
                assert_eq!(m.mac(alg, b"m").unwrap(), m.mac(alg, b"m").unwrap());
                assert!(m.mac("HMAC_SHA_1", b"m").is_err());
            }
            if let KeySpec::Rsa(_) = spec {
                for alg in spec.encryption_algorithms(ENCRYPT_DECRYPT) {
                    let ct = m.rsa_encrypt(alg, b"secret").unwrap();
                    assert_eq!(&m.rsa_decrypt(alg, &ct).unwrap()[..], b"secret");
                    assert!(m.rsa_encrypt(alg, &[0u8; 300]).is_err());
                }
                assert!(m.public_key_der().unwrap().len() > 256);
            }
        }
        assert!(KeySpec::parse("RSA_1024").is_none());
        assert!(KeySpec::Hmac(256).allows_usage(GENERATE_VERIFY_MAC));
        assert!(!KeySpec::Ecc(Curve::P256).allows_usage(ENCRYPT_DECRYPT));
    }
}
