//! KMS request quotas: requests per second per account (the key owner's, as KMS counts
//! cross-account use) and operation class, answered with ThrottlingException once spent. A
//! token bucket per (account, class) holds one second's worth of requests.
//!
//! Defaults, as AWS documents them for a region with the shared 10,000/s quota:
//! symmetric cryptographic operations 10,000/s; RSA 500/s; ECC 300/s; HMAC 2,000/s; every
//! other (management) operation 100/s each. Each is configurable; `off` is unlimited.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::KmsError;
use crate::spec::KeySpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotaClass {
    Symmetric,
    Rsa,
    Ecc,
    Hmac,
    Management,
}

const CLASSES: [(QuotaClass, &str, u32); 5] = [
    (QuotaClass::Symmetric, "symmetric", 10_000),
    (QuotaClass::Rsa, "rsa", 500),
    (QuotaClass::Ecc, "ecc", 300),
    (QuotaClass::Hmac, "hmac", 2_000),
    (QuotaClass::Management, "management", 100),
];

/// Operations counted as cryptographic (the rest are management, each its own bucket).
const CRYPTOGRAPHIC: [&str; 14] = [
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateRandom",
    "Sign",
    "Verify",
    "GenerateMac",
    "VerifyMac",
];

impl QuotaClass {
    /// The class of `op` on a key of `spec` (None: an account-level call).
    pub fn of(op: &str, spec: Option<&str>) -> Self {
        if !CRYPTOGRAPHIC.contains(&op) {
            return Self::Management;
        }
        match spec.and_then(KeySpec::parse) {
            Some(KeySpec::Rsa(_)) => Self::Rsa,
            Some(KeySpec::Ecc(_)) => Self::Ecc,
            Some(KeySpec::Hmac(_)) => Self::Hmac,
            _ => Self::Symmetric,
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct Quotas {
    limits: HashMap<QuotaClass, u32>,
    buckets: Mutex<HashMap<(String, QuotaClass, String), Bucket>>,
}

/// Buckets kept before idle ones are dropped.
const BUCKET_LIMIT: usize = 100_000;

impl Quotas {
    /// AWS's defaults (see the module docs).
    pub fn aws_defaults() -> Self {
        Self {
            limits: CLASSES.iter().map(|(c, _, n)| (*c, *n)).collect(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Applies settings `CLASS=RATE` (`RATE` per second, `off` for unlimited) or `off` (all
    /// unlimited), in order.
    pub fn configure(&mut self, settings: &[String]) -> Result<(), String> {
        for s in settings {
            if s == "off" {
                self.limits.clear();
                continue;
            }
            let (name, rate) = s
                .split_once('=')
                .ok_or_else(|| format!("--kms-quota {s}: expected CLASS=RATE or off"))?;
            let class = CLASSES
                .iter()
                .find(|(_, n, _)| *n == name)
                .map(|(c, _, _)| *c)
                .ok_or_else(|| {
                    format!(
                        "--kms-quota {s}: class is one of symmetric, rsa, ecc, hmac, management"
                    )
                })?;
            match rate {
                "off" => {
                    self.limits.remove(&class);
                }
                n => {
                    let n: u32 = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        format!("--kms-quota {s}: RATE is a positive integer or off")
                    })?;
                    self.limits.insert(class, n);
                }
            }
        }
        Ok(())
    }

    /// Spends one request of `account`'s `class` (management: per operation).
    pub fn admit(&self, account: &str, class: QuotaClass, op: &str) -> Result<(), KmsError> {
        let Some(&rate) = self.limits.get(&class) else {
            return Ok(());
        };
        let rate = f64::from(rate);
        let op = if class == QuotaClass::Management {
            op
        } else {
            ""
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= BUCKET_LIMIT {
            buckets.retain(|_, b| now.duration_since(b.at).as_secs() < 2);
        }
        let b = buckets
            .entry((account.to_owned(), class, op.to_owned()))
            .or_insert(Bucket {
                tokens: rate,
                at: now,
            });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(rate);
        b.at = now;
        if b.tokens < 1.0 {
            return Err(KmsError::Throttled);
        }
        b.tokens -= 1.0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_limits() {
        assert_eq!(
            QuotaClass::of("Decrypt", Some("SYMMETRIC_DEFAULT")),
            QuotaClass::Symmetric
        );
        assert_eq!(
            QuotaClass::of("Sign", Some("ECC_NIST_P256")),
            QuotaClass::Ecc
        );
        assert_eq!(QuotaClass::of("Decrypt", Some("RSA_2048")), QuotaClass::Rsa);
        assert_eq!(
            QuotaClass::of("GenerateMac", Some("HMAC_256")),
            QuotaClass::Hmac
        );
        assert_eq!(QuotaClass::of("CreateKey", None), QuotaClass::Management);
        let mut q = Quotas::aws_defaults();
        q.configure(&["symmetric=3".into(), "ecc=off".into()])
            .unwrap();
        for _ in 0..3 {
            q.admit("a", QuotaClass::Symmetric, "Encrypt").unwrap();
        }
        assert!(matches!(
            q.admit("a", QuotaClass::Symmetric, "Decrypt"),
            Err(KmsError::Throttled)
        ));
        // Other accounts and classes have their own buckets; off is unlimited.
        q.admit("b", QuotaClass::Symmetric, "Encrypt").unwrap();
        for _ in 0..1000 {
            q.admit("a", QuotaClass::Ecc, "Sign").unwrap();
        }
        q.configure(&["off".into()]).unwrap();
        q.admit("a", QuotaClass::Symmetric, "Encrypt").unwrap();
        assert!(q.configure(&["aes=1".into()]).is_err());
        assert!(q.configure(&["rsa=0".into()]).is_err());
        assert!(q.configure(&["rsa".into()]).is_err());
    }
}
