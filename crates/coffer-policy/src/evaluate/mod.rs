//! AWS's evaluation logic: an explicit deny anywhere wins; account guardrails must allow;
//! then a resource-policy or identity-policy allow (both, across accounts); else deny.

use std::borrow::Cow;
use std::sync::Arc;

use crate::document::{Effect, Element, Principals, Statement, is_account_id};
use crate::pattern::{Pattern, wildcard_match};
use crate::variables::substitute;
use crate::{Policy, Principal, RequestContext};

/// Which kind of policy a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicySource {
    Guardrail,
    Resource,
    Identity,
    Session,
}

impl PolicySource {
    /// As AWS words it in `AccessDenied` messages ("no identity-based policy allows").
    pub fn aws_wording(self) -> &'static str {
        match self {
            Self::Guardrail => "service control policy",
            Self::Resource => "resource-based policy",
            Self::Identity => "identity-based policy",
            Self::Session => "session policy",
        }
    }

    /// With its article ("with an explicit deny in an identity-based policy").
    pub fn with_article(self) -> &'static str {
        match self {
            Self::Guardrail => "a service control policy",
            Self::Resource => "a resource-based policy",
            Self::Identity => "an identity-based policy",
            Self::Session => "a session policy",
        }
    }
}

/// Why nothing allowed the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImplicitReason {
    /// No identity policy allows it (same account), or the caller is anonymous and no
    /// resource policy allows it.
    NoIdentityAllow,
    /// Cross-account: the resource's policy does not allow the caller.
    NoResourceAllow,
    /// The account's guardrails allow nothing that matches.
    GuardrailAllowsNothing,
    /// The session policy does not allow it.
    SessionAllowsNothing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny(PolicySource),
    ImplicitDeny(ImplicitReason),
}

/// A statement that applied to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    pub source: PolicySource,
    pub policy_index: usize,
    pub statement_index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
}

/// The decision, every statement that applied, and the one that decided (none for an
/// implicit deny).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    pub matched: Vec<MatchedStatement>,
    pub decided_by: Option<MatchedStatement>,
}

/// Account guardrails: the SCP equivalent. Like AWS's default `FullAWSAccess`, attached
/// guardrails sit beside an implicit allow-all unless `implicit_allow_all` is false.
#[derive(Debug, Clone, Copy)]
pub struct Guardrails<'a> {
    pub policies: &'a [Arc<Policy>],
    pub implicit_allow_all: bool,
}

/// Everything that bears on one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    pub guardrails: Option<Guardrails<'a>>,
    pub identity: &'a [Arc<Policy>],
    pub resource: Option<&'a Policy>,
    /// Session policies (AssumeRole `Policy`) narrow identity permissions.
    pub session: Option<&'a [Arc<Policy>]>,
}

/// Decides `req` (no explanation; the hot path).
pub fn evaluate(set: &PolicySet<'_>, req: &RequestContext) -> Decision {
    run(set, req, &mut None)
}

/// Decides `req` and says which statements applied and which one decided.
pub fn explain(set: &PolicySet<'_>, req: &RequestContext) -> Evaluation {
    let mut matched = Some(Vec::new());
    let decision = run(set, req, &mut matched);
    let matched = matched.unwrap_or_default();
    let decided_by = match decision {
        Decision::ExplicitDeny(src) => matched
            .iter()
            .find(|m| m.source == src && m.effect == Effect::Deny)
            .cloned(),
        Decision::Allow => matched
            .iter()
            .find(|m| {
                m.effect == Effect::Allow
                    && matches!(m.source, PolicySource::Resource | PolicySource::Identity)
            })
            .cloned(),
        Decision::ImplicitDeny(_) => None,
    };
    Evaluation {
        decision,
        matched,
        decided_by,
    }
}

#[derive(Default, Clone, Copy)]
struct Tally {
    allow: bool,
    deny: bool,
}

fn run(
    set: &PolicySet<'_>,
    req: &RequestContext,
    log: &mut Option<Vec<MatchedStatement>>,
) -> Decision {
    let anonymous = req.principal == Principal::Anonymous;
    // Guardrails bind the principals of their account; anonymous callers have none.
    let guard = set.guardrails.filter(|_| !anonymous).map(|g| {
        (
            tally(
                g.policies.iter().map(|p| &**p),
                PolicySource::Guardrail,
                req,
                log,
            ),
            g.implicit_allow_all,
        )
    });
    let resource = set.resource.map_or(Tally::default(), |p| {
        tally([p], PolicySource::Resource, req, log)
    });
    let identity = if anonymous {
        Tally::default()
    } else {
        tally(
            set.identity.iter().map(|p| &**p),
            PolicySource::Identity,
            req,
            log,
        )
    };
    let session = set
        .session
        .map(|s| tally(s.iter().map(|p| &**p), PolicySource::Session, req, log));

    for (t, src) in [
        (guard.map(|g| g.0), PolicySource::Guardrail),
        (Some(resource), PolicySource::Resource),
        (Some(identity), PolicySource::Identity),
        (session, PolicySource::Session),
    ] {
        if t.is_some_and(|t| t.deny) {
            return Decision::ExplicitDeny(src);
        }
    }
    if let Some((g, implicit_allow_all)) = guard
        && !(g.allow || implicit_allow_all)
    {
        return Decision::ImplicitDeny(ImplicitReason::GuardrailAllowsNothing);
    }
    let mut identity_allows = identity.allow || req.principal.is_root();
    if let Some(s) = session
        && !s.allow
    {
        if identity_allows && !resource.allow {
            return Decision::ImplicitDeny(ImplicitReason::SessionAllowsNothing);
        }
        identity_allows = false;
    }
    let same_account = match (&req.resource_account, req.principal.account()) {
        (Some(owner), Some(caller)) => owner == caller,
        (None, _) => true,
        (Some(_), None) => false,
    };
    if anonymous {
        return if resource.allow {
            Decision::Allow
        } else {
            Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow)
        };
    }
    if same_account {
        if resource.allow || identity_allows {
            return Decision::Allow;
        }
        return Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow);
    }
    match (resource.allow, identity_allows) {
        (true, true) => Decision::Allow,
        (false, _) => Decision::ImplicitDeny(ImplicitReason::NoResourceAllow),
        (true, false) => Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow),
    }
}

fn tally<'p>(
    policies: impl IntoIterator<Item = &'p Policy>,
    source: PolicySource,
    req: &RequestContext,
    log: &mut Option<Vec<MatchedStatement>>,
) -> Tally {
    let mut t = Tally::default();
    for (pi, policy) in policies.into_iter().enumerate() {
        for (si, st) in policy.statements.iter().enumerate() {
            if !statement_applies(st, source, req) {
                continue;
            }
            match st.effect {
                Effect::Allow => t.allow = true,
                Effect::Deny => t.deny = true,
            }
            if let Some(log) = log {
                log.push(MatchedStatement {
                    source,
                    policy_index: pi,
                    statement_index: si,
                    sid: st.sid.clone(),
                    effect: st.effect,
                });
            }
        }
    }
    t
}

fn statement_applies(st: &Statement, source: PolicySource, req: &RequestContext) -> bool {
    if !element_matches(&st.action, |p| p.matches(&req.action, true)) {
        return false;
    }
    if let Some(resource) = &st.resource {
        let hit = |p: &Pattern| -> bool {
            if st.has_variables {
                substitute(p.as_str(), req)
                    .is_some_and(|p| wildcard_match(&p, &req.resource, false))
            } else {
                p.matches(&req.resource, false)
            }
        };
        if !element_matches(resource, hit) {
            return false;
        }
    }
    if let Some(principal) = &st.principal
        && !principal_element_matches(principal, source, req)
    {
        return false;
    }
    st.conditions.iter().all(|c| {
        let values = req.get_lc(&c.key_lc);
        if st.has_variables && c.values.iter().any(|v| v.contains("${")) {
            let subst: Option<Vec<Cow<'_, str>>> =
                c.values.iter().map(|v| substitute(v, req)).collect();
            return subst.is_some_and(|s| c.evaluate(values, &s));
        }
        c.evaluate(values, &c.values)
    })
}

fn element_matches<T>(e: &Element<T>, hit: impl Fn(&T) -> bool) -> bool {
    let any = e.items.iter().any(hit);
    if e.negated { !any } else { any }
}

fn principal_element_matches(
    e: &Element<Principals>,
    source: PolicySource,
    req: &RequestContext,
) -> bool {
    let any = e.items.iter().any(|p| principals_match(p, source, req));
    if e.negated { !any } else { any }
}

/// Does a statement's `Principal` name the caller? An account (`123456789012` or its
/// `:root` ARN) names its root user directly, and other principals of that account only
/// across accounts (same-account users still need their own identity allow, as with KMS).
fn principals_match(p: &Principals, _source: PolicySource, req: &RequestContext) -> bool {
    if p.everyone {
        return true;
    }
    match &req.principal {
        Principal::Anonymous => false,
        Principal::Service(s) => p.service.iter().any(|x| x == s),
        Principal::Aws {
            account,
            arn,
            role_arn,
        } => p.aws.iter().any(|named| {
            let named_account = if is_account_id(named) {
                Some(named.as_str())
            } else {
                named
                    .strip_prefix("arn:aws:iam::")
                    .and_then(|r| r.strip_suffix(":root"))
            };
            if let Some(acct) = named_account {
                if acct != account {
                    return false;
                }
                let cross = req
                    .resource_account
                    .as_deref()
                    .is_some_and(|o| o != account);
                return req.principal.is_root() || cross;
            }
            named == arn
                || role_arn.as_deref() == Some(named.as_str())
                || wildcard_match(named, arn, false)
        }),
    }
}

#[cfg(test)]
mod tests;
