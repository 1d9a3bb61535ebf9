//! The IAM/STS query protocol's XML: responses, errors, escaping.

use std::fmt::Write as _;

use crate::escape::xml as escape;

pub(crate) const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub(crate) const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// `<Name>escaped value</Name>`.
pub(crate) fn el(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", escape(value))
}

/// A success response; `result` is the inner XML of `<ActionResult>` (none if `None`).
pub(crate) fn response(ns: &str, action: &str, result: Option<&str>, request_id: &str) -> String {
    let mut s = format!(r#"<?xml version="1.0" encoding="UTF-8"?><{action}Response xmlns="{ns}">"#);
    if let Some(r) = result {
        let _ = write!(s, "<{action}Result>{r}</{action}Result>");
    }
    let _ = write!(
        s,
        "<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    );
    s
}

pub(crate) fn error(ns: &str, sender: bool, code: &str, message: &str, request_id: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="{ns}"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"#,
        if sender { "Sender" } else { "Receiver" },
        escape(code),
        escape(message)
    )
}

/// IAM returns policy documents URL-encoded inside the XML.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub(crate) fn iso8601(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}
