//! Key identifiers: a key's id, and the four ways a request names a key (parsed once).

use serde::{Deserialize, Serialize};

/// A KMS key's id: a UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`) the key service made.
/// Stored as the plain string (records written before it read the same).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// An id the key service made (or read back from its records).
    pub(crate) fn made(id: String) -> Self {
        Self(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::ops::Deref for KeyId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for KeyId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for KeyId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// How a request names a key: its id, its ARN, an alias (`alias/name`) or an alias's ARN.
/// Every reference goes through [`KeyRef::parse`], once, where the key service resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRef<'a> {
    /// A bare id, in the caller's account.
    Id(&'a str),
    /// `arn:aws:kms:REGION:ACCOUNT:key/ID`.
    KeyArn { account: &'a str, id: &'a str },
    /// `alias/NAME`, in the caller's account.
    Alias(&'a str),
    /// `arn:aws:kms:REGION:ACCOUNT:alias/NAME` (the alias as `alias/NAME`).
    AliasArn { account: &'a str, alias: &'a str },
    /// A KMS ARN of neither form.
    Unknown { account: &'a str },
}

impl<'a> KeyRef<'a> {
    pub fn parse(s: &'a str) -> Self {
        match coffer_policy::Arn::of_service(s, "kms").filter(|a| a.partition == "aws") {
            Some(arn) => match (
                arn.resource_after("key"),
                arn.resource.starts_with("alias/"),
            ) {
                (Some(id), _) => Self::KeyArn {
                    account: arn.account,
                    id,
                },
                (None, true) => Self::AliasArn {
                    account: arn.account,
                    alias: arn.resource,
                },
                (None, false) => Self::Unknown {
                    account: arn.account,
                },
            },
            None if s.starts_with("alias/") => Self::Alias(s),
            None => Self::Id(s),
        }
    }

    /// The account the reference names, or `caller`'s when it names none.
    pub fn account_or(self, caller: &'a str) -> &'a str {
        match self {
            Self::Id(_) | Self::Alias(_) => caller,
            Self::KeyArn { account, .. }
            | Self::AliasArn { account, .. }
            | Self::Unknown { account } => account,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_once_into_their_form() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(KeyRef::parse(id), KeyRef::Id(id));
        assert_eq!(KeyRef::parse("alias/app"), KeyRef::Alias("alias/app"));
        let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
        assert_eq!(
            KeyRef::parse(&arn),
            KeyRef::KeyArn {
                account: "111122223333",
                id
            }
        );
        assert_eq!(
            KeyRef::parse("arn:aws:kms:us-east-1:111122223333:alias/app"),
            KeyRef::AliasArn {
                account: "111122223333",
                alias: "alias/app"
            }
        );
        assert_eq!(KeyRef::parse("arn:aws:kms:r:1:other").account_or("2"), "1");
        assert_eq!(KeyRef::parse("alias/app").account_or("2"), "2");
        // Another partition's ARN is no reference to a key here: read as an id (not found).
        let cn = "arn:aws-cn:kms:r:1:key/x";
        assert_eq!(KeyRef::parse(cn), KeyRef::Id(cn));
    }
}
