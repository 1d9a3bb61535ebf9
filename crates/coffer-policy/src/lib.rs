//! The IAM policy language: parse, validate, evaluate, explain.
//!
//! Owns: the grammar of identity, resource (bucket, access point, key), trust and guardrail
//! policies, every condition operator, policy variables, and AWS's evaluation logic. Pure: no
//! I/O, no clock, no async — the caller puts the time, the caller and every condition key
//! into a [`RequestContext`].
//!
//! ```
//! use coffer_policy::{Decision, Policy, PolicyKind, PolicySet, Principal, RequestContext, evaluate};
//!
//! let bucket_policy = Policy::parse(r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
//!     "Resource": "arn:aws:s3:::b/*",
//!     "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]
//! }"#, PolicyKind::Resource).unwrap();
//! let who = Principal::Aws { account: "111122223333".into(),
//!     arn: "arn:aws:iam::111122223333:user/dlsrb".into(), role_arn: None };
//! let mut req = RequestContext::new(who, "s3:PutObject", "arn:aws:s3:::b/k");
//! req.set("s3:x-amz-server-side-encryption", "aws:kms");
//! let set = PolicySet { resource: Some(&bucket_policy), ..PolicySet::default() };
//! assert!(matches!(evaluate(&set, &req), Decision::ExplicitDeny(_)));
//! ```

mod arn;
mod condition;
mod document;
mod error;
mod evaluate;
mod pattern;
mod request;
mod variables;

pub use arn::Arn;
pub use condition::{Condition, Operator, SetQualifier};
pub use document::{Effect, Element, Policy, PolicyKind, Principals, Statement, Version};
pub use error::PolicyError;
pub use evaluate::{
    Decision, Evaluation, Guardrails, ImplicitReason, MatchedStatement, PolicySet, PolicySource,
    ResourceRule, evaluate, explain,
};
pub use pattern::Pattern;
pub use request::{Principal, RequestContext};
