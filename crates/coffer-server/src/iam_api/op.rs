//! IAM and STS action names, parsed once (from `Action=`) into one enum per family; each
//! family's module matches its own enum exhaustively.

use crate::wire_common::operation_names;

operation_names!(
    /// STS (`sts.rs`).
    StsOp {
        GetCallerIdentity,
        AssumeRole,
        GetSessionToken,
    }
);

impl StsOp {
    pub(crate) fn parse_name(name: &str) -> Option<Self> {
        Self::parse(name)
    }
}

operation_names!(
    /// Users (`users.rs`).
    UserOp {
        CreateUser,
        GetUser,
        ListUsers,
        DeleteUser,
        TagUser,
        UntagUser,
        ListUserTags,
        PutUserPolicy,
        GetUserPolicy,
        DeleteUserPolicy,
        ListUserPolicies,
        ListGroupsForUser,
        AttachUserPolicy,
        DetachUserPolicy,
        ListAttachedUserPolicies,
    }
);

operation_names!(
    /// Access keys (`access_keys.rs`).
    AccessKeyOp {
        CreateAccessKey,
        ListAccessKeys,
        UpdateAccessKey,
        DeleteAccessKey,
    }
);

operation_names!(
    /// Groups (`groups.rs`).
    GroupOp {
        AttachGroupPolicy,
        ListGroups,
        GetGroup,
        DeleteGroup,
        DetachGroupPolicy,
        CreateGroup,
        AddUserToGroup,
        RemoveUserFromGroup,
        PutGroupPolicy,
    }
);

operation_names!(
    /// Roles (`roles.rs`).
    RoleOp {
        ListRoles,
        GetRolePolicy,
        ListRolePolicies,
        DeleteRolePolicy,
        ListAttachedRolePolicies,
        DetachRolePolicy,
        UpdateAssumeRolePolicy,
        UntagRole,
        TagRole,
        ListRoleTags,
        CreateRole,
        GetRole,
        DeleteRole,
        PutRolePolicy,
        AttachRolePolicy,
    }
);

operation_names!(
    /// Managed policies (`policies.rs`).
    PolicyOp {
        CreatePolicy,
        GetPolicy,
        GetPolicyVersion,
        ListPolicyVersions,
        CreatePolicyVersion,
        SetDefaultPolicyVersion,
        DeletePolicyVersion,
        ListPolicies,
        DeletePolicy,
    }
);

operation_names!(
    /// MFA devices (`mfa.rs`).
    MfaOp {
        DeleteVirtualMFADevice,
        CreateVirtualMFADevice,
        EnableMFADevice,
        DeactivateMFADevice,
        ListVirtualMFADevices,
        ListMFADevices,
    }
);

/// The IAM action a request names (`None`: IAM has none Coffer offers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IamOp {
    Users(UserOp),
    AccessKeys(AccessKeyOp),
    Groups(GroupOp),
    Roles(RoleOp),
    Policies(PolicyOp),
    Mfa(MfaOp),
}

impl IamOp {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        if let Some(op) = UserOp::parse(name) {
            return Some(Self::Users(op));
        }
        if let Some(op) = AccessKeyOp::parse(name) {
            return Some(Self::AccessKeys(op));
        }
        if let Some(op) = GroupOp::parse(name) {
            return Some(Self::Groups(op));
        }
        if let Some(op) = RoleOp::parse(name) {
            return Some(Self::Roles(op));
        }
        if let Some(op) = PolicyOp::parse(name) {
            return Some(Self::Policies(op));
        }
        if let Some(op) = MfaOp::parse(name) {
            return Some(Self::Mfa(op));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_to_themselves() {
        assert_eq!(
            IamOp::parse("CreateUser"),
            Some(IamOp::Users(UserOp::CreateUser))
        );
        assert_eq!(
            IamOp::parse("ListMFADevices"),
            Some(IamOp::Mfa(MfaOp::ListMFADevices))
        );
        assert_eq!(IamOp::parse("createuser"), None);
        assert_eq!(IamOp::parse("AssumeRole"), None, "STS's, not IAM's");
        assert_eq!(StsOp::parse_name("AssumeRole"), Some(StsOp::AssumeRole));
        assert_eq!(
            IamOp::parse("ListPolicies"),
            Some(IamOp::Policies(PolicyOp::ListPolicies))
        );
    }
}
