//! AWS's evaluation logic: an explicit deny anywhere wins; account guardrails must allow;
//! then a resource-policy or identity-policy allow (both, across accounts); else deny.
//! Role trust policies and KMS key policies are gates ([`ResourceRule::Gate`]): they must
//! allow by themselves, and an identity policy counts only where the gate delegates to the
//! caller's account.

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
    /// The statement's `Principal` named the caller's account rather than the caller: an
    /// allow then only delegates to the account's identity policies.
    pub via_account: bool,
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

/// How the resource policy combines with the caller's identity policies within its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResourceRule {
    /// Bucket and access point policies: within the account, a resource-policy allow that
    /// names the caller or an identity-policy allow suffices.
    #[default]
    EitherAllows,
    /// Role trust policies and KMS key policies: the resource policy must itself allow. A
    /// statement naming the caller (or everyone) is enough alone within the account; one
    /// naming the caller's account (`123456789012` or its `:root` ARN) delegates to the
    /// account's identity policies, which must then allow too. Without a resource policy
    /// nothing is allowed.
    Gate,
}

/// Everything that bears on one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    pub guardrails: Option<Guardrails<'a>>,
    pub identity: &'a [Arc<Policy>],
    pub resource: Option<&'a Policy>,
    pub resource_rule: ResourceRule,
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
        // A resource statement naming the caller decides alone; otherwise the identity
        // allow (with any delegating resource statement beside it).
        Decision::Allow => {
            let allow_from = |src: PolicySource, via_account: bool| {
                matched.iter().find(|m| {
                    m.effect == Effect::Allow && m.source == src && m.via_account == via_account
                })
            };
            allow_from(PolicySource::Resource, false)
                .or_else(|| allow_from(PolicySource::Identity, false))
                .or_else(|| allow_from(PolicySource::Resource, true))
                .cloned()
        }
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
    /// Some statement allows (naming the caller, its role or, for resource policies, its
    /// account).
    allow: bool,
    /// Some statement allows and names the caller itself (or everyone).
    allow_direct: bool,
    /// Some statement allows and names the caller's role (not its session): for a role
    /// session, such a grant counts only as far as the session policy allows.
    allow_role: bool,
    /// Some statement allows and names the caller's account (a delegation).
    allow_account: bool,
    deny: bool,
}

/// How a statement's `Principal` reaches the caller.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Names the caller (its ARN, everyone), or has no `Principal`.
    Direct,
    /// Names the role of the caller's session: the grant joins the role's identity
    /// permissions, which a session policy limits.
    ViaRole,
    /// Names the caller's account: applies to all its principals, and an allow only delegates
    /// to the account's identity policies.
    ViaAccount,
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
    let mut resource = resource;
    match session {
        Some(s) if !s.allow => {
            // Neither the role's own permissions nor grants naming the role reach past the
            // session policy; only a grant naming the session itself does.
            if (identity_allows || resource.allow_role) && !resource.allow_direct {
                return Decision::ImplicitDeny(ImplicitReason::SessionAllowsNothing);
            }
            identity_allows = false;
            resource.allow_role = false;
            resource.allow = resource.allow_direct || resource.allow_account;
        }
        // Within the session policy, a grant to the role is as good as one to the session.
        _ => resource.allow_direct |= resource.allow_role,
    }
    let same_account = match (&req.resource_account, req.principal.account()) {
        (Some(owner), Some(caller)) => owner == caller,
        (None, _) => true,
        (Some(_), None) => false,
    };
    if anonymous {
        return if resource.allow_direct {
            Decision::Allow
        } else {
            Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow)
        };
    }
    if same_account {
        return match set.resource_rule {
            ResourceRule::EitherAllows if resource.allow_direct || identity_allows => {
                Decision::Allow
            }
            ResourceRule::EitherAllows => Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow),
            ResourceRule::Gate if resource.allow_direct => Decision::Allow,
            ResourceRule::Gate if !resource.allow => {
                Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
            }
            ResourceRule::Gate if identity_allows => Decision::Allow,
            ResourceRule::Gate => Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow),
        };
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
            let Some(reach) = statement_applies(st, req) else {
                continue;
            };
            match st.effect {
                Effect::Allow => {
                    t.allow = true;
                    t.allow_direct |= reach == Reach::Direct;
                    t.allow_role |= reach == Reach::ViaRole;
                    t.allow_account |= reach == Reach::ViaAccount;
                }
                Effect::Deny => t.deny = true,
            }
            if let Some(log) = log {
                log.push(MatchedStatement {
                    source,
                    policy_index: pi,
                    statement_index: si,
                    sid: st.sid.clone(),
                    effect: st.effect,
                    via_account: reach == Reach::ViaAccount,
                });
            }
        }
    }
    t
}

/// Whether a statement applies to the request, and how its `Principal` reaches the caller.
fn statement_applies(st: &Statement, req: &RequestContext) -> Option<Reach> {
    if !element_matches(&st.action, |p| p.matches(&req.action, true)) {
        return None;
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
            return None;
        }
    }
    let reach = match &st.principal {
        Some(principal) => principal_element_reach(principal, req)?,
        None => Reach::Direct,
    };
    let conditions_hold = st.conditions.iter().all(|c| {
        let values = req.get_lc(&c.key_lc);
        if st.has_variables && c.values.iter().any(|v| v.contains("${")) {
            // A variable the request can't fill makes its value null, which nothing equals or
            // is like: it drops out of the list. So `StringEquals` with only such values is
            // false, and `StringNotEquals` true (AWS's rule for policy variables with no value).
            let subst: Vec<Cow<'_, str>> =
                c.values.iter().filter_map(|v| substitute(v, req)).collect();
            return c.evaluate(values, &subst);
        }
        c.evaluate(values, &c.values)
    });
    conditions_hold.then_some(reach)
}

fn element_matches<T>(e: &Element<T>, hit: impl Fn(&T) -> bool) -> bool {
    let any = e.items.iter().any(hit);
    if e.negated { !any } else { any }
}

fn principal_element_reach(e: &Element<Principals>, req: &RequestContext) -> Option<Reach> {
    let mut best = None;
    for p in &e.items {
        match principals_reach(p, req) {
            Some(Reach::Direct) => {
                best = Some(Reach::Direct);
                break;
            }
            Some(Reach::ViaRole) => best = Some(Reach::ViaRole),
            Some(Reach::ViaAccount) if best.is_none() => best = Some(Reach::ViaAccount),
            Some(Reach::ViaAccount) | None => {}
        }
    }
    match (e.negated, best) {
        // `NotPrincipal`: applies to everyone it does not name (the account included).
        (true, Some(_)) => None,
        (true, None) => Some(Reach::Direct),
        (false, best) => best,
    }
}

/// How a statement's `Principal` names the caller, if it does. An account (`123456789012` or
/// its `:root` ARN) reaches every principal of that account through the account
/// ([`Reach::ViaAccount`]): its root user, which holds every identity permission, and its
/// other principals only as far as their own identity policies allow.
fn principals_reach(p: &Principals, req: &RequestContext) -> Option<Reach> {
    if p.everyone {
        return Some(Reach::Direct);
    }
    match &req.principal {
        Principal::Anonymous => None,
        Principal::Service(s) => p.service.iter().any(|x| x == s).then_some(Reach::Direct),
        Principal::Aws {
            account,
            arn,
            role_arn,
        } => {
            let mut reach = None;
            for named in &p.aws {
                let named_account = if is_account_id(named) {
                    Some(named.as_str())
                } else {
                    crate::Arn::iam(named)
                        .filter(|a| a.resource == "root")
                        .map(|a| a.account)
                };
                if let Some(acct) = named_account {
                    if acct == account && reach.is_none() {
                        reach = Some(Reach::ViaAccount);
                    }
                } else if named == arn || wildcard_match(named, arn, false) {
                    return Some(Reach::Direct);
                } else if role_arn.as_deref() == Some(named.as_str()) {
                    reach = Some(Reach::ViaRole);
                }
            }
            reach
        }
    }
}

#[cfg(test)]
mod edge_tests;
#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod tests;
