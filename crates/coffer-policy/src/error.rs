/// A policy document that cannot be accepted. The message names the problem, as AWS's
/// `MalformedPolicy` / `MalformedPolicyDocument` messages do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

impl PolicyError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}
