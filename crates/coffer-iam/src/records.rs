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
    pub document: String,
    pub attachment_count: u32,
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
}

impl Identity {
    pub fn account(&self) -> &str {
        match self {
            Self::Root { account } | Self::User { account, .. } => account,
        }
    }

    pub fn arn(&self) -> String {
        match self {
            Self::Root { account } => format!("arn:aws:iam::{account}:root"),
            Self::User { arn, .. } => arn.clone(),
        }
    }
}
