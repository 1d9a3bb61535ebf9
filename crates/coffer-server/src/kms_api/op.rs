//! KMS operation names, parsed once (from `X-Amz-Target: TrentService.<Name>`) into one enum
//! per family; each family's module matches its own enum exhaustively.

use crate::wire_common::operation_names;

operation_names!(
    /// Operations on keys themselves (`keys.rs`).
    KeyOp {
        CreateKey,
        DescribeKey,
        ListKeys,
        EnableKey,
        DisableKey,
        UpdateKeyDescription,
        ScheduleKeyDeletion,
        CancelKeyDeletion,
        EnableKeyRotation,
        DisableKeyRotation,
        GetKeyRotationStatus,
        RotateKeyOnDemand,
        ListKeyRotations,
        TagResource,
        UntagResource,
        ListResourceTags,
        GetKeyLastUsage,
        GetKeyPolicy,
        PutKeyPolicy,
        ListKeyPolicies,
    }
);

operation_names!(
    /// Cryptographic operations (`crypto.rs`).
    CryptoOp {
        Encrypt,
        Decrypt,
        ReEncrypt,
        GenerateDataKey,
        GenerateDataKeyWithoutPlaintext,
        GenerateDataKeyPair,
        GenerateDataKeyPairWithoutPlaintext,
        Sign,
        Verify,
        GetPublicKey,
        GenerateMac,
        VerifyMac,
        GenerateRandom,
    }
);

operation_names!(
    /// Aliases (`aliases.rs`).
    AliasOp {
        CreateAlias,
        UpdateAlias,
        DeleteAlias,
        ListAliases,
    }
);

operation_names!(
    /// Grants (`grants.rs`).
    GrantOp {
        CreateGrant,
        ListGrants,
        ListRetirableGrants,
        RetireGrant,
        RevokeGrant,
    }
);

operation_names!(
    /// Imported key material (`import.rs`).
    ImportOp {
        GetParametersForImport,
        ImportKeyMaterial,
        DeleteImportedKeyMaterial,
    }
);

/// KMS operations Coffer does not offer (yet): `UnsupportedOperationException`. Any other
/// name KMS does not have is `UnknownOperationException`.
const UNSUPPORTED: [&str; 9] = [
    "ConnectCustomKeyStore",
    "CreateCustomKeyStore",
    "DeleteCustomKeyStore",
    "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
    "DeriveSharedSecret",
    "ReplicateKey",
    "UpdatePrimaryRegion",
];

/// The operation a KMS request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KmsOp {
    Keys(KeyOp),
    Crypto(CryptoOp),
    Aliases(AliasOp),
    Grants(GrantOp),
    Import(ImportOp),
    /// A KMS operation Coffer does not offer.
    Unsupported(&'static str),
    /// No KMS operation has this name.
    Unknown,
}

impl KmsOp {
    pub(crate) fn parse(name: &str) -> Self {
        if let Some(op) = KeyOp::parse(name) {
            return Self::Keys(op);
        }
        if let Some(op) = CryptoOp::parse(name) {
            return Self::Crypto(op);
        }
        if let Some(op) = AliasOp::parse(name) {
            return Self::Aliases(op);
        }
        if let Some(op) = GrantOp::parse(name) {
            return Self::Grants(op);
        }
        if let Some(op) = ImportOp::parse(name) {
            return Self::Import(op);
        }
        match UNSUPPORTED.iter().find(|u| **u == name) {
            Some(u) => Self::Unsupported(u),
            None => Self::Unknown,
        }
    }

    /// The largest `Limit` a listing takes, as KMS (whether or not it is paged here).
    pub(crate) fn page_max(self) -> Option<u64> {
        match self {
            Self::Keys(KeyOp::ListKeys | KeyOp::ListKeyRotations) => Some(1000),
            Self::Aliases(AliasOp::ListAliases)
            | Self::Grants(GrantOp::ListGrants | GrantOp::ListRetirableGrants) => Some(100),
            Self::Keys(KeyOp::ListResourceTags | KeyOp::ListKeyPolicies) => Some(50),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_themselves() {
        for name in [
            "CreateKey",
            "Decrypt",
            "ListAliases",
            "RevokeGrant",
            "ImportKeyMaterial",
        ] {
            let op = KmsOp::parse(name);
            let back = match op {
                KmsOp::Keys(o) => o.name(),
                KmsOp::Crypto(o) => o.name(),
                KmsOp::Aliases(o) => o.name(),
                KmsOp::Grants(o) => o.name(),
                KmsOp::Import(o) => o.name(),
                other => panic!("{name}: {other:?}"),
            };
            assert_eq!(back, name);
        }
        assert_eq!(
            KmsOp::parse("ReplicateKey"),
            KmsOp::Unsupported("ReplicateKey")
        );
        assert_eq!(KmsOp::parse("Encrypt "), KmsOp::Unknown);
        assert_eq!(KmsOp::parse("encrypt"), KmsOp::Unknown);
    }
}
