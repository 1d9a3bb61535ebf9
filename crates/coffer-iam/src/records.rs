//! What IAM stores (JSON in the store's `iam` key space) and hands out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub created_ms: i64,
    /// The account's e-mail address (ACL grants may name an account by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AIDA...`, as AWS user ids look.
    pub id: String,
    pub created_ms: i64,
    pub tags: Vec<Tag>,
    /// Inline policies by name.
    pub inline: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
    pub groups: Vec<String>,
}

impl User {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account, self.path, self.name
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub account: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub created_ms: i64,
    pub inline: BTreeMap<String, String>,
    pub attached: Vec<String>,
}

impl Group {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account, self.path, self.name
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub account: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub created_ms: i64,
    /// The default version's document (what attachments are judged by).
    pub document: String,
    pub attachment_count: u32,
    pub default_version: String,
    pub versions: Vec<PolicyVersion>,
    /// Versions are numbered v1, v2, ... and never reused.
    pub next_version: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub created_ms: i64,
}

impl ManagedPolicy {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account, self.path, self.name
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }
}

/// An access key as stored: the secret only wrapped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub account: String,
    /// `None` for the account's root user.
    pub user: Option<String>,
    pub status: KeyStatus,
    pub created_ms: i64,
    pub(crate) wrapped_secret: String,
}

/// Who an access key speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Root {
        account: String,
    },
    User {
        account: String,
        name: String,
        id: String,
        arn: String,
        tags: Vec<Tag>,
    },
    /// An assumed-role session: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    Role {
        account: String,
        role_name: String,
        role_arn: String,
        role_id: String,
        session_name: String,
        tags: Vec<Tag>,
    },
}

impl Identity {
    pub fn account(&self) -> &str {
        match self {
            Self::Root { account } | Self::User { account, .. } | Self::Role { account, .. } => {
                account
            }
        }
    }

    pub fn arn(&self) -> String {
        match self {
            Self::Root { account } => format!("arn:aws:iam::{account}:root"),
            Self::User { arn, .. } => arn.clone(),
            Self::Role {
                account,
                role_name,
                session_name,
                ..
            } => {
                format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}")
            }
        }
    }

    /// `aws:userid`: the account for root, the user id, or `ROLEID:session`.
    pub fn user_id(&self) -> String {
        match self {
            Self::Root { account } => account.clone(),
            Self::User { id, .. } => id.clone(),
            Self::Role {
                role_id,
                session_name,
                ..
            } => format!("{role_id}:{session_name}"),
        }
    }

    pub fn tags(&self) -> &[Tag] {
        match self {
            Self::Root { .. } => &[],
            Self::User { tags, .. } | Self::Role { tags, .. } => tags,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub account: String,
    pub name: String,
    pub path: String,
    /// `AROA...`
    pub id: String,
    pub created_ms: i64,
    pub trust_policy: String,
    pub max_session_secs: u32,
    pub tags: Vec<Tag>,
    pub inline: BTreeMap<String, String>,
    pub attached: Vec<String>,
}

impl Role {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }
}

/// A virtual MFA device (TOTP). The seed is stored sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaDevice {
    pub account: String,
    pub name: String,
    pub serial: String,
    /// The user it is enabled for, once enabled.
    pub user: Option<String>,
    pub created_ms: i64,
    pub enabled_ms: Option<i64>,
    pub(crate) sealed_seed: String,
    /// Last accepted time step, so a code is never accepted twice.
    pub(crate) last_step: u64,
}

/// What a temporary credential (STS) carries beyond its identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub issued_ms: i64,
    pub expires_ms: i64,
    /// When the MFA code was checked, if one was.
    pub mfa_auth_ms: Option<i64>,
    /// Session policy (AssumeRole `Policy`), narrowing the role's permissions.
    pub session_policy: Option<String>,
    pub(crate) token_sha256: String,
}
