//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${s3:prefix}`, with
//! defaults (`${aws:username, 'anonymous'}`) and the escapes `${*}`, `${?}`, `${$}`.

use std::borrow::Cow;

use crate::RequestContext;

/// Replaces every variable in `text`. `None` when a variable has no value and no default:
/// the element it appears in then matches nothing.
pub(crate) fn substitute<'a>(text: &'a str, ctx: &RequestContext) -> Option<Cow<'a, str>> {
    if !text.contains("${") {
        return Some(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Some(Cow::Owned(out));
        };
        let inner = &after[..end];
        match inner {
            "*" => out.push('*'),
            "?" => out.push('?'),
            "$" => out.push('$'),
            _ => {
                let (name, default) = match inner.split_once(',') {
                    Some((n, d)) => (n.trim(), Some(d.trim().trim_matches('\''))),
                    None => (inner.trim(), None),
                };
                let value = ctx.get(name).and_then(|v| v.first()).map(String::as_str);
                out.push_str(value.or(default)?);
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Principal;

    #[test]
    fn substitution() {
        let mut ctx = RequestContext::new(Principal::Anonymous, "s3:GetObject", "arn:aws:s3:::b/k");
        ctx.set("aws:username", "dlsrb")
            .set("aws:PrincipalTag/team", "sec");
        let s = |t| substitute(t, &ctx).map(Cow::into_owned);
        assert_eq!(
            s("arn:aws:s3:::b/${aws:username}/*").as_deref(),
            Some("arn:aws:s3:::b/dlsrb/*")
        );
        assert_eq!(s("${aws:principaltag/team}").as_deref(), Some("sec"));
        assert_eq!(s("${s3:prefix, 'home/'}x").as_deref(), Some("home/x"));
        assert_eq!(s("a${*}b${?}c${$}").as_deref(), Some("a*b?c$"));
        assert_eq!(s("${aws:userid}"), None);
        assert_eq!(s("plain").as_deref(), Some("plain"));
    }
}
