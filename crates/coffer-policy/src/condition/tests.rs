use serde_json::json;

use super::*;

/// Evaluates `{op: {"k": policy}}` against request values for "k" (None = absent).
fn check(op: &str, policy: serde_json::Value, request: Option<&[&str]>) -> bool {
    let block = json!({ op: { "k": policy } });
    let conds = parse_conditions(block.as_object().unwrap()).unwrap();
    let req: Option<Vec<String>> = request.map(|r| r.iter().map(|s| s.to_string()).collect());
    conds[0].evaluate(req.as_deref(), &conds[0].values)
}

#[test]
fn string_operators() {
    assert!(check("StringEquals", json!("AES256"), Some(&["AES256"])));
    assert!(!check("StringEquals", json!("AES256"), Some(&["aes256"])));
    assert!(check("StringEquals", json!(["a", "b"]), Some(&["b"])));
    assert!(check(
        "StringNotEquals",
        json!("AES256"),
        Some(&["aws:kms"])
    ));
    assert!(!check("StringNotEquals", json!(["a", "b"]), Some(&["b"])));
    assert!(check(
        "StringEqualsIgnoreCase",
        json!("Abc"),
        Some(&["aBC"])
    ));
    assert!(!check(
        "StringNotEqualsIgnoreCase",
        json!("Abc"),
        Some(&["aBC"])
    ));
    assert!(check("StringLike", json!("home/*"), Some(&["home/a/b"])));
    assert!(check("StringLike", json!("a?c"), Some(&["abc"])));
    assert!(!check("StringLike", json!("home/*"), Some(&["Home/a"])));
    assert!(check("StringNotLike", json!("home/*"), Some(&["work/a"])));
}

#[test]
fn numeric_operators() {
    assert!(check(
        "NumericGreaterThan",
        json!("900000"),
        Some(&["900001"])
    ));
    assert!(!check(
        "NumericGreaterThan",
        json!("900000"),
        Some(&["900000"])
    ));
    assert!(check(
        "NumericGreaterThanEquals",
        json!(900000),
        Some(&["900000"])
    ));
    assert!(check("NumericLessThan", json!("10"), Some(&["9.5"])));
    assert!(check("NumericLessThanEquals", json!("10"), Some(&["10"])));
    assert!(check("NumericEquals", json!("10"), Some(&["10.0"])));
    assert!(check("NumericNotEquals", json!("10"), Some(&["11"])));
    assert!(!check("NumericEquals", json!("10"), Some(&["ten"])));
}

#[test]
fn date_operators() {
    let t = "2026-11-22T12:00:00Z";
    assert!(check(
        "DateGreaterThan",
        json!("2026-01-01T00:00:00Z"),
        Some(&[t])
    ));
    assert!(check("DateLessThan", json!("2027-01-01"), Some(&[t])));
    assert!(check(
        "DateEquals",
        json!("2026-11-22T21:00:00+09:00"),
        Some(&[t])
    ));
    assert!(check(
        "DateNotEquals",
        json!("2026-11-22T12:00:01Z"),
        Some(&[t])
    ));
    assert!(check("DateLessThanEquals", json!(t), Some(&[t])));
    assert!(check(
        "DateGreaterThanEquals",
        json!("1795348800"),
        Some(&[t])
    )); // epoch seconds
    assert_eq!(parse_date("1970-01-02"), Some(86_400.0));
    assert_eq!(parse_date("2000-03-01T00:00:00Z"), Some(951_868_800.0));
}

#[test]
fn bool_binary_ip_arn() {
    assert!(check("Bool", json!(false), Some(&["false"])));
    assert!(check("Bool", json!("true"), Some(&["TRUE"])));
    assert!(!check("Bool", json!("true"), Some(&["false"])));
    assert!(check(
        "BinaryEquals",
        json!("QmluYXJ5"),
        Some(&["QmluYXJ5"])
    ));
    assert!(check(
        "IpAddress",
        json!("203.0.113.0/24"),
        Some(&["203.0.113.77"])
    ));
    assert!(!check(
        "IpAddress",
        json!("203.0.113.0/24"),
        Some(&["203.0.114.1"])
    ));
    assert!(check(
        "IpAddress",
        json!("2001:db8::/32"),
        Some(&["2001:db8::1"])
    ));
    assert!(check("IpAddress", json!("10.1.2.3"), Some(&["10.1.2.3"])));
    assert!(check(
        "NotIpAddress",
        json!(["10.0.0.0/8", "192.168.0.0/16"]),
        Some(&["203.0.113.1"])
    ));
    assert!(check(
        "ArnLike",
        json!("arn:aws:iam::*:role/Admin*"),
        Some(&["arn:aws:iam::111122223333:role/AdminX"])
    ));
    assert!(check(
        "ArnEquals",
        json!("arn:aws:iam::111122223333:root"),
        Some(&["arn:aws:iam::111122223333:root"])
    ));
    assert!(check(
        "ArnNotEquals",
        json!("arn:aws:iam::111122223333:root"),
        Some(&["arn:aws:iam::444455556666:root"])
    ));
    assert!(!check(
        "ArnNotLike",
        json!("arn:aws:s3:::b/*"),
        Some(&["arn:aws:s3:::b/k"])
    ));
}

#[test]
fn absent_keys() {
    // Positive operators do not match an absent key; negated ones do.
    let value = |op: &str| match op {
        "Bool" => json!("true"),
        "IpAddress" | "NotIpAddress" => json!("10.0.0.0/8"),
        _ => json!("1"),
    };
    for op in [
        "StringEquals",
        "StringLike",
        "NumericGreaterThan",
        "DateLessThan",
        "Bool",
        "IpAddress",
        "ArnLike",
        "BinaryEquals",
    ] {
        assert!(!check(op, value(op), None), "{op}");
    }
    for op in [
        "StringNotEquals",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
        "StringNotEqualsIgnoreCase",
    ] {
        assert!(check(op, value(op), None), "{op}");
    }
    // ...IfExists is true when the key is absent, and behaves normally when present.
    assert!(check("StringEqualsIfExists", json!("a"), None));
    assert!(!check("StringEqualsIfExists", json!("a"), Some(&["b"])));
    assert!(check("NumericLessThanIfExists", json!("5"), None));
    // Null: true asks for absence, false for presence.
    assert!(check("Null", json!("true"), None));
    assert!(!check("Null", json!("true"), Some(&["x"])));
    assert!(check("Null", json!(false), Some(&["x"])));
    assert!(!check("Null", json!("false"), None));
    // An empty value list counts as absent.
    assert!(check("Null", json!("true"), Some(&[])));
}

#[test]
fn set_qualifiers() {
    let allowed = json!(["a", "b"]);
    assert!(check(
        "ForAllValues:StringEquals",
        allowed.clone(),
        Some(&["a", "b"])
    ));
    assert!(!check(
        "ForAllValues:StringEquals",
        allowed.clone(),
        Some(&["a", "c"])
    ));
    assert!(check("ForAllValues:StringEquals", allowed.clone(), None)); // vacuously true
    assert!(check(
        "ForAnyValue:StringEquals",
        allowed.clone(),
        Some(&["c", "b"])
    ));
    assert!(!check(
        "ForAnyValue:StringEquals",
        allowed.clone(),
        Some(&["c"])
    ));
    assert!(!check("ForAnyValue:StringEquals", allowed.clone(), None));
    assert!(check(
        "ForAllValues:StringNotEquals",
        allowed.clone(),
        Some(&["c", "d"])
    ));
    assert!(!check(
        "ForAllValues:StringNotEquals",
        allowed.clone(),
        Some(&["c", "a"])
    ));
    assert!(check(
        "ForAnyValue:StringNotEquals",
        allowed.clone(),
        Some(&["a", "z"])
    ));
    assert!(!check(
        "ForAnyValue:StringNotEquals",
        allowed,
        Some(&["a", "b"])
    ));
    // ForAnyValue finds nothing in an absent key, IfExists or not (AWS's rule).
    assert!(!check("ForAnyValue:StringLikeIfExists", json!("x*"), None));
    assert!(!check(
        "ForAnyValue:StringNotEqualsIfExists",
        json!("x"),
        None
    ));
}

#[test]
fn bad_operators_and_values_are_refused() {
    for (op, v) in [
        ("StringEqualz", json!("a")),
        ("NullIfExists", json!("true")),
        ("NumericEquals", json!("ten")),
        ("DateEquals", json!("yesterday")),
        ("IpAddress", json!("300.1.1.1/8")),
        ("Bool", json!("yes")),
        ("StringEquals", json!([])),
        ("StringEquals", json!({"a": 1})),
    ] {
        let block = json!({ op: { "k": v } });
        assert!(
            parse_conditions(block.as_object().unwrap()).is_err(),
            "{op} {v}"
        );
    }
}
