//! Policy documents: parsing and validation into a form that evaluates without allocating.

use serde_json::{Map, Value};

use crate::PolicyError;
use crate::condition::{Condition, parse_conditions};
use crate::pattern::Pattern;

/// Where a policy is attached; the grammar differs (identity policies have no `Principal`,
/// resource policies require one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user, group or role, or given as a session policy.
    Identity,
    /// Bucket, access point or key policy.
    Resource,
    /// Account guardrail (the SCP equivalent).
    Guardrail,
    /// A role's trust policy.
    Trust,
}

/// `Version`: only `2012-10-17` has policy variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2008_10_17,
    V2012_10_17,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: Version,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

/// `Action`/`NotAction`, `Resource`/`NotResource`, `Principal`/`NotPrincipal`: a list of
/// patterns and whether the element is the negated form.
#[derive(Debug, Clone, PartialEq)]
pub struct Element<T> {
    pub negated: bool,
    pub items: Vec<T>,
}

/// Who a resource policy statement names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Principals {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous included.
    pub everyone: bool,
    /// Account ids (`123456789012`) and IAM ARNs, as written.
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Element<Principals>>,
    /// Lower-cased `service:action` patterns.
    pub action: Element<Pattern>,
    pub resource: Option<Element<Pattern>>,
    pub conditions: Vec<Condition>,
    /// True when a resource or condition value holds `${...}` (2012-10-17 only).
    pub(crate) has_variables: bool,
}

impl Policy {
    /// Parses and validates `json` as a policy of `kind`.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Self, PolicyError> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| PolicyError::new(format!("Policies must be valid JSON: {e}")))?;
        let Value::Object(doc) = value else {
            return Err(PolicyError::new("Policies must be a JSON object"));
        };
        for k in doc.keys() {
            if !matches!(k.as_str(), "Version" | "Id" | "Statement") {
                return Err(PolicyError::new(format!("Unknown field {k}")));
            }
        }
        let version = match doc.get("Version") {
            None => Version::V2008_10_17,
            Some(Value::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
            Some(Value::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
            Some(v) => {
                return Err(PolicyError::new(format!(
                    "The policy failed legacy parsing: invalid Version {v}"
                )));
            }
        };
        let id = match doc.get("Id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(PolicyError::new("Id must be a string")),
        };
        let statements: Vec<&Value> = match doc.get("Statement") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            Some(_) => {
                return Err(PolicyError::new(
                    "Statement must be an object or a list of objects",
                ));
            }
            None => return Err(PolicyError::new("Missing required field Statement")),
        };
        if statements.is_empty() {
            return Err(PolicyError::new("Statement must not be empty"));
        }
        let mut out = Vec::with_capacity(statements.len());
        let mut sids = std::collections::HashSet::new();
        for s in statements {
            let st = parse_statement(s, kind, version)?;
            if let Some(sid) = &st.sid
                && !sids.insert(sid.clone())
            {
                return Err(PolicyError::new(format!(
                    "Statement IDs (SID) in a single policy must be unique: {sid}"
                )));
            }
            out.push(st);
        }
        Ok(Self {
            version,
            id,
            statements: out,
        })
    }
}

impl Policy {
    /// Whether any condition uses a key starting with `prefix` (ASCII case-insensitive), so a
    /// caller can skip gathering expensive keys no statement reads.
    pub fn mentions_condition_key(&self, prefix: &str) -> bool {
        let prefix = prefix.to_ascii_lowercase();
        self.statements
            .iter()
            .any(|s| s.conditions.iter().any(|c| c.key_lc.starts_with(&prefix)))
    }
}

fn parse_statement(
    v: &Value,
    kind: PolicyKind,
    version: Version,
) -> Result<Statement, PolicyError> {
    let Value::Object(st) = v else {
        return Err(PolicyError::new("Each statement must be a JSON object"));
    };
    for k in st.keys() {
        if !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(PolicyError::new(format!("Unknown field {k} in statement")));
        }
    }
    let sid = match st.get("Sid") {
        None => None,
        Some(Value::String(s)) => {
            if !s.chars().all(|c| c.is_ascii_alphanumeric()) && kind != PolicyKind::Resource {
                return Err(PolicyError::new(format!(
                    "Statement IDs (SID) must be alpha-numeric: {s}"
                )));
            }
            Some(s.clone())
        }
        Some(_) => return Err(PolicyError::new("Sid must be a string")),
    };
    let effect = match st.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(e) => return Err(PolicyError::new(format!("Invalid effect: {e}"))),
        None => return Err(PolicyError::new("Missing required field Effect")),
    };
    let principal = match (st.get("Principal"), st.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::new(
                "A statement cannot have both Principal and NotPrincipal",
            ));
        }
        (Some(p), None) => Some(Element {
            negated: false,
            items: vec![parse_principals(p)?],
        }),
        (None, Some(p)) => Some(Element {
            negated: true,
            items: vec![parse_principals(p)?],
        }),
        (None, None) => None,
    };
    match (kind, &principal) {
        (PolicyKind::Identity | PolicyKind::Guardrail, Some(_)) => {
            return Err(PolicyError::new(
                "Policy document should not specify a principal.",
            ));
        }
        (PolicyKind::Resource | PolicyKind::Trust, None) => {
            return Err(PolicyError::new("Missing required field Principal"));
        }
        _ => {}
    }
    let action = match (st.get("Action"), st.get("NotAction")) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::new(
                "A statement cannot have both Action and NotAction",
            ));
        }
        (Some(a), None) => Element {
            negated: false,
            items: parse_actions(a)?,
        },
        (None, Some(a)) => Element {
            negated: true,
            items: parse_actions(a)?,
        },
        (None, None) => return Err(PolicyError::new("Missing required field Action")),
    };
    let resource = match (st.get("Resource"), st.get("NotResource")) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::new(
                "A statement cannot have both Resource and NotResource",
            ));
        }
        (Some(r), None) => Some(Element {
            negated: false,
            items: parse_resources(r)?,
        }),
        (None, Some(r)) => Some(Element {
            negated: true,
            items: parse_resources(r)?,
        }),
        (None, None) => None,
    };
    if resource.is_none() && !matches!(kind, PolicyKind::Trust | PolicyKind::Guardrail) {
        return Err(PolicyError::new("Missing required field Resource"));
    }
    let conditions = match st.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(c)) => parse_conditions(c)?,
        Some(_) => return Err(PolicyError::new("Condition must be an object")),
    };
    let has_variables = version == Version::V2012_10_17
        && (resource
            .as_ref()
            .is_some_and(|r| r.items.iter().any(|i| i.as_str().contains("${")))
            || conditions
                .iter()
                .any(|c| c.values.iter().any(|v| v.contains("${"))));
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
        has_variables,
    })
}

/// A string or a list of strings, as AWS accepts wherever a list is allowed.
pub(crate) fn string_list(v: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                _ => Err(PolicyError::new(format!(
                    "{what} must be a string or a list of strings"
                ))),
            })
            .collect(),
        _ => Err(PolicyError::new(format!(
            "{what} must be a string or a non-empty list of strings"
        ))),
    }
}

fn parse_actions(v: &Value) -> Result<Vec<Pattern>, PolicyError> {
    let items = string_list(v, "Action")?;
    for a in &items {
        let valid = a == "*"
            || a.split_once(':').is_some_and(|(svc, act)| {
                !svc.is_empty()
                    && !act.is_empty()
                    && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && act
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?' || b == b'-')
            });
        if !valid {
            return Err(PolicyError::new(format!("Policy has invalid action: {a}")));
        }
    }
    Ok(items
        .into_iter()
        .map(|a| Pattern::new(a.to_ascii_lowercase()))
        .collect())
}

fn parse_resources(v: &Value) -> Result<Vec<Pattern>, PolicyError> {
    let items = string_list(v, "Resource")?;
    for r in &items {
        if r != "*" && !r.starts_with("arn:") {
            return Err(PolicyError::new(format!(
                "Policy has invalid resource: {r}"
            )));
        }
        if r.starts_with("arn:") && crate::Arn::parse(r).is_none() {
            return Err(PolicyError::new(format!(
                "Policy has invalid resource: {r}"
            )));
        }
    }
    Ok(items.into_iter().map(Pattern::new).collect())
}

fn parse_principals(v: &Value) -> Result<Principals, PolicyError> {
    let mut p = Principals::default();
    match v {
        Value::String(s) if s == "*" => p.everyone = true,
        Value::Object(m) => parse_principal_map(m, &mut p)?,
        _ => return Err(PolicyError::new("Invalid principal in policy")),
    }
    Ok(p)
}

fn parse_principal_map(m: &Map<String, Value>, p: &mut Principals) -> Result<(), PolicyError> {
    if m.is_empty() {
        return Err(PolicyError::new("Invalid principal in policy"));
    }
    for (k, v) in m {
        let items = string_list(v, "Principal")?;
        match k.as_str() {
            "AWS" => {
                for a in items {
                    if a == "*" {
                        p.everyone = true;
                    } else if is_account_id(&a)
                        || a.starts_with("arn:aws:iam::")
                        || a.starts_with("arn:aws:sts::")
                    {
                        p.aws.push(a);
                    } else {
                        return Err(PolicyError::new(format!(
                            "Invalid principal in policy: \"AWS\":\"{a}\""
                        )));
                    }
                }
            }
            "Service" => p.service.extend(items),
            "Federated" => p.federated.extend(items),
            "CanonicalUser" => p.canonical_user.extend(items),
            other => {
                return Err(PolicyError::new(format!(
                    "Invalid principal type in policy: {other}"
                )));
            }
        }
    }
    Ok(())
}

pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str, kind: PolicyKind) -> String {
        Policy::parse(json, kind).unwrap_err().0
    }

    #[test]
    fn accepts_the_usual_shapes() {
        let p = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/a"]},"Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":false}}}}"#,
            PolicyKind::Resource,
        )
        .unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].action.items[0].as_str(), "s3:getobject");
        assert_eq!(p.statements[0].conditions[0].values, ["false"]);
        let p = Policy::parse(
            r#"{"Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"*"}]}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        assert_eq!(p.version, Version::V2008_10_17);
        assert!(p.statements[0].action.negated);
    }

    #[test]
    fn names_the_problem() {
        let id = PolicyKind::Identity;
        assert!(err("{", id).contains("valid JSON"));
        assert!(
            err(
                r#"{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}"#,
                id
            )
            .contains("Effect")
        );
        assert!(err(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#, id).contains("Invalid effect"));
        assert!(err(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3","Resource":"*"}]}"#, id).contains("invalid action"));
        assert!(err(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#, id).contains("invalid resource"));
        assert!(
            err(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
                id
            )
            .contains("Resource")
        );
        assert!(err(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#, id).contains("principal"));
        assert!(err(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#, PolicyKind::Resource).contains("Principal"));
        assert!(err(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}]}"#, id).contains("StringEqualz"));
        assert!(err(r#"{"Version":"2013-01-01","Statement":[]}"#, id).contains("Version"));
        assert!(err(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Bogus":1}]}"#, id).contains("Bogus"));
    }
}
