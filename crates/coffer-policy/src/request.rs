//! What is being asked: who, which action, on what, and the condition keys of the request.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Condition keys are short strings looked up many times per evaluation; SipHash's DoS
/// resistance buys nothing here (keys come from our own server) and costs most of the time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type KeyMap = HashMap<String, Vec<String>, BuildHasherDefault<FxHasher>>;

/// The caller as the policy engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No signature.
    Anonymous,
    /// An IAM identity of `account`: its ARN (`arn:aws:iam::111122223333:root`, `...:user/u`,
    /// `arn:aws:sts::111122223333:assumed-role/R/s`) and, for a role session, the role's ARN.
    Aws {
        account: String,
        arn: String,
        role_arn: Option<String>,
    },
    /// An AWS service principal (`s3.amazonaws.com`).
    Service(String),
}

impl Principal {
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::Aws { account, .. } => Some(account),
            Self::Anonymous | Self::Service(_) => None,
        }
    }

    /// The account's root user (implicitly allowed everything its account's guardrails allow).
    pub fn is_root(&self) -> bool {
        matches!(self, Self::Aws { arn, .. } if arn.ends_with(":root"))
    }
}

/// A request to judge. Condition keys are looked up case-insensitively.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub principal: Principal,
    /// `service:Action`, e.g. `s3:PutObject`.
    pub action: String,
    /// The resource ARN, e.g. `arn:aws:s3:::bucket/key`.
    pub resource: String,
    /// Account that owns the resource (for the cross-account rule); `None` if unknown.
    pub resource_account: Option<String>,
    keys: KeyMap,
}

impl RequestContext {
    pub fn new(
        principal: Principal,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        Self {
            principal,
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            keys: KeyMap::default(),
        }
    }

    /// Sets a single-valued condition key (replacing any earlier value).
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.keys
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    /// Sets a multi-valued key (`s3:RequestObjectTagKeys`, `aws:TagKeys`).
    pub fn set_all(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.keys.insert(key.to_ascii_lowercase(), values);
        self
    }

    /// Values of a key given in lower case.
    pub(crate) fn get_lc(&self, key_lc: &str) -> Option<&[String]> {
        self.keys.get(key_lc).map(Vec::as_slice)
    }

    /// Values of a key, any case.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_lc(&key.to_ascii_lowercase())
    }
}
