//! Identities: accounts, IAM users, groups, access keys, identity policies (inline and
//! managed), principal tags, and account guardrails.
//!
//! Owns: who a caller is and which policies speak for them. Never touches HTTP or wire
//! formats. Secret access keys are stored only wrapped (AES-256-GCM under a key derived from
//! the root key, bound to the access key id); parsed policies are cached by their text.
//!
//! ```no_run
//! # async fn demo(iam: &coffer_iam::Iam) -> Result<(), coffer_iam::IamError> {
//! let user = iam.create_user("111122223333", "dlsrb", "/", vec![]).await?;
//! let key = iam.create_access_key("111122223333", Some("dlsrb")).await?;
//! # let _ = (user, key); Ok(()) }
//! ```

mod access_keys;
mod aws_managed;
mod error;
mod groups;
mod guardrails;
mod iam;
mod mfa;
mod policies;
mod records;
mod roles;
mod sts;
mod users;

pub use error::IamError;
pub use guardrails::AccountGuardrails;
pub use iam::{CallerPolicies, Iam, NewAccessKey, Resolved};
pub use records::{
    AccessKey, Account, Group, Identity, KeyStatus, ManagedPolicy, MfaDevice, PolicyVersion, Role,
    SessionInfo, Tag, User,
};
pub use sts::{
    AssumeRole, MAX_ROLE_SESSION_SECS, MIN_SESSION_SECS, TemporaryCredentials, TokenProblem,
    fill_principal_context, fill_time_context,
};
