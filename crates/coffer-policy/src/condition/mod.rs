//! Condition operators with AWS's rules for absent keys, `...IfExists` and the
//! `ForAllValues:` / `ForAnyValue:` set qualifiers.

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::PolicyError;
use crate::pattern::wildcard_match;

/// The base operators. Negated ones (`StringNotEquals`, `NotIpAddress`, ...) match when the
/// request value matches none of the policy values, and match an absent key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const OPERATORS: [(&str, Operator); 27] = [
    ("StringEquals", Operator::StringEquals),
    ("StringNotEquals", Operator::StringNotEquals),
    ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        Operator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", Operator::StringLike),
    ("StringNotLike", Operator::StringNotLike),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericNotEquals", Operator::NumericNotEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        Operator::NumericGreaterThanEquals,
    ),
    ("DateEquals", Operator::DateEquals),
    ("DateNotEquals", Operator::DateNotEquals),
    ("DateLessThan", Operator::DateLessThan),
    ("DateLessThanEquals", Operator::DateLessThanEquals),
    ("DateGreaterThan", Operator::DateGreaterThan),
    ("DateGreaterThanEquals", Operator::DateGreaterThanEquals),
    ("Bool", Operator::Bool),
    ("BinaryEquals", Operator::BinaryEquals),
    ("IpAddress", Operator::IpAddress),
    ("NotIpAddress", Operator::NotIpAddress),
    ("ArnEquals", Operator::ArnEquals),
    ("ArnLike", Operator::ArnLike),
    ("ArnNotEquals", Operator::ArnNotEquals),
    ("ArnNotLike", Operator::ArnNotLike),
    ("Null", Operator::Null),
];

impl Operator {
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, o)| *o == self)
            .map_or("?", |(n, _)| n)
    }

    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::NumericNotEquals
                | Self::DateNotEquals
                | Self::NotIpAddress
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    /// The positive comparison of one policy value with one request value (a negated
    /// operator uses its positive twin here).
    fn matches(self, policy: &str, request: &str) -> bool {
        use Operator as O;
        match self {
            O::StringEquals | O::StringNotEquals => policy == request,
            O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase => {
                policy.to_lowercase() == request.to_lowercase()
            }
            O::StringLike | O::StringNotLike => wildcard_match(policy, request, false),
            O::NumericEquals | O::NumericNotEquals => num(policy, request, |p, r| r == p),
            O::NumericLessThan => num(policy, request, |p, r| r < p),
            O::NumericLessThanEquals => num(policy, request, |p, r| r <= p),
            O::NumericGreaterThan => num(policy, request, |p, r| r > p),
            O::NumericGreaterThanEquals => num(policy, request, |p, r| r >= p),
            O::DateEquals | O::DateNotEquals => date(policy, request, |p, r| r == p),
            O::DateLessThan => date(policy, request, |p, r| r < p),
            O::DateLessThanEquals => date(policy, request, |p, r| r <= p),
            O::DateGreaterThan => date(policy, request, |p, r| r > p),
            O::DateGreaterThanEquals => date(policy, request, |p, r| r >= p),
            O::Bool => policy.eq_ignore_ascii_case(request),
            O::BinaryEquals => policy == request,
            O::IpAddress | O::NotIpAddress => ip_in_cidr(policy, request),
            O::ArnEquals | O::ArnLike | O::ArnNotEquals | O::ArnNotLike => {
                arn_like(policy, request)
            }
            // Null is decided on presence alone (see Condition::evaluate).
            O::Null => false,
        }
    }
}

/// `ForAllValues:` / `ForAnyValue:` for multi-valued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    Single,
    ForAllValues,
    ForAnyValue,
}

/// One `"Operator": {"key": values}` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    pub qualifier: SetQualifier,
    pub if_exists: bool,
    /// The key as written (for explain output).
    pub key: String,
    /// Lower-cased for lookup: condition key names are case-insensitive.
    pub(crate) key_lc: String,
    pub values: Vec<String>,
}

impl Condition {
    /// Whether the condition holds, given the request's values for the key (`None` when the
    /// key is absent) and the policy values after variable substitution.
    pub(crate) fn evaluate(&self, request: Option<&[String]>, policy: &[impl AsRef<str>]) -> bool {
        let request = request.filter(|v| !v.is_empty());
        if self.operator == Operator::Null {
            let absent = request.is_none();
            return policy.iter().any(|p| {
                let p = p.as_ref();
                if p.eq_ignore_ascii_case("true") {
                    absent
                } else if p.eq_ignore_ascii_case("false") {
                    !absent
                } else {
                    false
                }
            });
        }
        let negated = self.operator.is_negated();
        let hit = |rv: &str| {
            policy
                .iter()
                .any(|pv| self.operator.matches(pv.as_ref(), rv))
        };
        match (self.qualifier, request) {
            (SetQualifier::ForAllValues, None) => true,
            // ForAnyValue finds no value in an absent key, IfExists or not (AWS).
            (SetQualifier::ForAnyValue, None) => false,
            (SetQualifier::Single, None) => self.if_exists || negated,
            (SetQualifier::ForAllValues, Some(vals)) => vals
                .iter()
                .all(|rv| if negated { !hit(rv) } else { hit(rv) }),
            (SetQualifier::ForAnyValue, Some(vals)) => vals
                .iter()
                .any(|rv| if negated { !hit(rv) } else { hit(rv) }),
            (SetQualifier::Single, Some(vals)) => {
                if negated {
                    !vals.iter().any(|rv| hit(rv))
                } else {
                    vals.iter().any(|rv| hit(rv))
                }
            }
        }
    }
}

pub(crate) fn parse_conditions(block: &Map<String, Value>) -> Result<Vec<Condition>, PolicyError> {
    let mut out = Vec::new();
    for (op_text, entries) in block {
        let (qualifier, rest) = if let Some(r) = op_text.strip_prefix("ForAllValues:") {
            (SetQualifier::ForAllValues, r)
        } else if let Some(r) = op_text.strip_prefix("ForAnyValue:") {
            (SetQualifier::ForAnyValue, r)
        } else {
            (SetQualifier::Single, op_text.as_str())
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let operator = OPERATORS
            .iter()
            .find(|(n, _)| *n == base)
            .map(|(_, o)| *o)
            .filter(|o| !(if_exists && *o == Operator::Null))
            .ok_or_else(|| PolicyError::new(format!("Invalid Condition type : {op_text}")))?;
        let Value::Object(entries) = entries else {
            return Err(PolicyError::new(format!(
                "Condition {op_text} must map keys to values"
            )));
        };
        for (key, v) in entries {
            if key.is_empty() {
                return Err(PolicyError::new("Condition key must not be empty"));
            }
            let values = condition_values(v).ok_or_else(|| {
                PolicyError::new(format!("Invalid value for condition key {key}"))
            })?;
            validate_value(operator, key, &values)?;
            out.push(Condition {
                operator,
                qualifier,
                if_exists,
                key: key.clone(),
                key_lc: key.to_ascii_lowercase(),
                values,
            });
        }
    }
    Ok(out)
}

/// Values may be strings, booleans or numbers, alone or in a list.
fn condition_values(v: &Value) -> Option<Vec<String>> {
    let one = |x: &Value| match x {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Value::Array(a) if !a.is_empty() => a.iter().map(one).collect(),
        Value::Array(_) => None,
        x => one(x).map(|s| vec![s]),
    }
}

fn validate_value(op: Operator, key: &str, values: &[String]) -> Result<(), PolicyError> {
    let bad = |v: &str| {
        PolicyError::new(format!(
            "Invalid value {v:?} for {} on key {key}",
            op.name()
        ))
    };
    for v in values {
        if v.contains("${") {
            continue; // checked after substitution
        }
        let ok = match op {
            Operator::NumericEquals
            | Operator::NumericNotEquals
            | Operator::NumericLessThan
            | Operator::NumericLessThanEquals
            | Operator::NumericGreaterThan
            | Operator::NumericGreaterThanEquals => v.trim().parse::<f64>().is_ok(),
            Operator::DateEquals
            | Operator::DateNotEquals
            | Operator::DateLessThan
            | Operator::DateLessThanEquals
            | Operator::DateGreaterThan
            | Operator::DateGreaterThanEquals => parse_date(v).is_some(),
            Operator::Bool | Operator::Null => {
                v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
            }
            Operator::IpAddress | Operator::NotIpAddress => parse_cidr(v).is_some(),
            _ => true,
        };
        if !ok {
            return Err(bad(v));
        }
    }
    Ok(())
}

fn num(policy: &str, request: &str, cmp: impl Fn(f64, f64) -> bool) -> bool {
    match (policy.trim().parse::<f64>(), request.trim().parse::<f64>()) {
        (Ok(p), Ok(r)) => cmp(p, r),
        _ => false,
    }
}

fn date(policy: &str, request: &str, cmp: impl Fn(f64, f64) -> bool) -> bool {
    match (parse_date(policy), parse_date(request)) {
        (Some(p), Some(r)) => cmp(p, r),
        _ => false,
    }
}

/// Seconds since the epoch from ISO 8601 (`2026-01-02`, `2026-01-02T03:04:05Z`,
/// `...05.123+09:00`) or from epoch seconds.
pub(crate) fn parse_date(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) as f64 * 86_400.0;
    if b.len() == 10 {
        return Some(secs);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (h, mi) = (digits(11..13)?, digits(14..16)?);
    let mut i = 16;
    let mut sec = 0.0;
    if b.get(i) == Some(&b':') {
        let end = s[i + 1..]
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map_or(s.len(), |e| i + 1 + e);
        sec = s[i + 1..end].parse().ok()?;
        i = end;
    }
    secs += (h * 3600 + mi * 60) as f64 + sec;
    match &s[i..] {
        "" | "Z" | "z" => Some(secs),
        tz => {
            let sign = match tz.as_bytes()[0] {
                b'+' => -1.0,
                b'-' => 1.0,
                _ => return None,
            };
            let (th, tm) = tz[1..]
                .split_once(':')
                .unwrap_or((&tz[1..3.min(tz.len())], &tz[3.min(tz.len())..]));
            let off = th.parse::<f64>().ok()? * 3600.0
                + if tm.is_empty() {
                    0.0
                } else {
                    tm.parse::<f64>().ok()? * 60.0
                };
            Some(secs + sign * off)
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = addr.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((ip, len))
}

fn ip_in_cidr(policy: &str, request: &str) -> bool {
    let (Some((net, len)), Ok(ip)) = (parse_cidr(policy), request.trim().parse::<IpAddr>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// ARNs compare component by component; each component may hold wildcards.
fn arn_like(policy: &str, request: &str) -> bool {
    let p: Vec<&str> = policy.splitn(6, ':').collect();
    let r: Vec<&str> = request.splitn(6, ':').collect();
    p.len() == 6 && r.len() == 6 && p.iter().zip(&r).all(|(a, b)| wildcard_match(a, b, false))
}

#[cfg(test)]
mod tests;
