//! AWS Signature Version 4: canonical requests, signing and verification.
//!
//! s3s verifies S3 requests itself; this module is Coffer's own implementation for the
//! protocols s3s does not cover (KMS, IAM, STS) and for `coffer bench`, which signs its
//! requests. It is checked against the AWS signing test suite (`tests/fixtures/sigv4`, a copy
//! of `shared/fixtures/sigv4`).

use aws_lc_rs::{digest, hmac};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Largest accepted clock difference for header auth, as AWS: 15 minutes.
pub(crate) const MAX_SKEW_SECS: i64 = 15 * 60;
/// Longest presigned URL validity, as AWS: 7 days.
pub(crate) const MAX_EXPIRES_SECS: i64 = 604_800;
const AMZ_DATE: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum SigV4Error {
    #[error("missing or malformed authentication information: {0}")]
    Malformed(&'static str),
    #[error("The AWS Access Key Id you provided does not exist in our records.")]
    UnknownAccessKey,
    #[error("The request signature we calculated does not match the signature you provided.")]
    SignatureDoesNotMatch,
    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed,
    #[error("Request has expired")]
    Expired,
    #[error("X-Amz-Expires must be less than a week (in seconds) that is 604800")]
    ExpiresTooLong,
}

/// The parts of an HTTP request that a signature covers.
pub(crate) struct RequestParts<'a> {
    pub(crate) method: &'a str,
    /// Path as sent (percent-encoded).
    pub(crate) raw_path: &'a str,
    /// Query string as sent, without `?`.
    pub(crate) raw_query: &'a str,
    /// Header (name, value) pairs in arrival order; names in any case.
    pub(crate) headers: &'a [(String, String)],
    /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    pub(crate) payload_hash: &'a str,
}

/// Who signed, once verified.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Verified {
    pub(crate) access_key: String,
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) signed_at: OffsetDateTime,
    pub(crate) presigned: bool,
}

/// Options that differ between services.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// Remove `.`/`..` segments and repeated slashes from the path (every service but S3).
    pub(crate) normalize_path: bool,
    /// The session token was added to a presigned URL after signing (some services; never
    /// S3), so it is left out of the canonical query.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) token_added_after_signing: bool,
}

/// `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
pub(crate) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> hmac::Key {
    let mut k = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, format!("AWS4{secret}").as_bytes()),
        date.as_bytes(),
    );
    for part in [region, service, "aws4_request"] {
        k = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, k.as_ref()),
            part.as_bytes(),
        );
    }
    hmac::Key::new(hmac::HMAC_SHA256, k.as_ref())
}

pub(crate) fn hex_sha256(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data).as_ref())
}

pub(crate) fn amz_date(t: OffsetDateTime) -> String {
    t.format(AMZ_DATE).unwrap_or_default()
}

/// The `Credential=` value of a SigV4 `Authorization` header,
/// `ACCESS_KEY/day/region/service/aws4_request`, unverified: for routing and for naming the
/// key in records, never for trust.
pub(crate) fn header_credential(headers: &http::HeaderMap) -> Option<&str> {
    let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    auth.split("Credential=").nth(1)?.split([',', ' ']).next()
}

/// What a request's SigV4 authentication claims, before its signature is checked.
struct Parsed {
    credential: String,
    signed_headers: String,
    signature: String,
    date: String,
    expires: Option<i64>,
    presigned: bool,
    signed_at: OffsetDateTime,
}

impl Parsed {
    /// `(access key, day, region, service)` of the credential scope.
    fn scope(&self) -> Result<(&str, &str, &str, &str), SigV4Error> {
        let mut scope = self.credential.splitn(5, '/');
        let (Some(access_key), Some(day), Some(region), Some(service), Some("aws4_request")) = (
            scope.next(),
            scope.next(),
            scope.next(),
            scope.next(),
            scope.next(),
        ) else {
            return Err(SigV4Error::Malformed("Credential"));
        };
        if !self.date.starts_with(day) {
            return Err(SigV4Error::Malformed("Credential date"));
        }
        Ok((access_key, day, region, service))
    }

    /// Is the request within its time: 15 minutes of skew for header auth, the presigned
    /// validity (not before its signing time, less the skew) for query auth.
    fn check_time(&self, now: OffsetDateTime) -> Result<(), SigV4Error> {
        let age = (now - self.signed_at).whole_seconds();
        match self.expires {
            Some(e) if age > e || age < -MAX_SKEW_SECS => Err(SigV4Error::Expired),
            None if age.abs() > MAX_SKEW_SECS => Err(SigV4Error::RequestTimeTooSkewed),
            _ => Ok(()),
        }
    }
}

fn parse_auth(headers: &[(String, String)], raw_query: &str) -> Result<Parsed, SigV4Error> {
    let query = parse_query(raw_query);
    let presigned = query.iter().any(|(k, _)| k == "X-Amz-Algorithm");
    let (credential, signed_headers, signature, date, expires) = if presigned {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        if get("X-Amz-Algorithm").as_deref() != Some(ALGORITHM) {
            return Err(SigV4Error::Malformed("X-Amz-Algorithm"));
        }
        let expires: i64 = get("X-Amz-Expires")
            .and_then(|e| e.parse().ok())
            .filter(|e| *e >= 0)
            .ok_or(SigV4Error::Malformed("X-Amz-Expires"))?;
        if expires > MAX_EXPIRES_SECS {
            return Err(SigV4Error::ExpiresTooLong);
        }
        (
            get("X-Amz-Credential").ok_or(SigV4Error::Malformed("X-Amz-Credential"))?,
            get("X-Amz-SignedHeaders").ok_or(SigV4Error::Malformed("X-Amz-SignedHeaders"))?,
            get("X-Amz-Signature").ok_or(SigV4Error::Malformed("X-Amz-Signature"))?,
            get("X-Amz-Date").ok_or(SigV4Error::Malformed("X-Amz-Date"))?,
            Some(expires),
        )
    } else {
        let auth =
            header(headers, "authorization").ok_or(SigV4Error::Malformed("Authorization"))?;
        let rest = auth
            .strip_prefix(ALGORITHM)
            .ok_or(SigV4Error::Malformed("algorithm"))?;
        let mut cred = None;
        let mut signed = None;
        let mut sig = None;
        for field in rest.split(',') {
            let (k, v) = field
                .trim()
                .split_once('=')
                .ok_or(SigV4Error::Malformed("Authorization"))?;
            match k {
                "Credential" => cred = Some(v.to_owned()),
                "SignedHeaders" => signed = Some(v.to_owned()),
                "Signature" => sig = Some(v.to_owned()),
                _ => return Err(SigV4Error::Malformed("Authorization")),
            }
        }
        let date = header(headers, "x-amz-date").ok_or(SigV4Error::Malformed("X-Amz-Date"))?;
        (
            cred.ok_or(SigV4Error::Malformed("Credential"))?,
            signed.ok_or(SigV4Error::Malformed("SignedHeaders"))?,
            sig.ok_or(SigV4Error::Malformed("Signature"))?,
            date,
            None,
        )
    };
    let signed_at = time::PrimitiveDateTime::parse(&date, AMZ_DATE)
        .map_err(|_| SigV4Error::Malformed("X-Amz-Date"))?
        .assume_utc();
    Ok(Parsed {
        credential,
        signed_headers,
        signature,
        date,
        expires,
        presigned,
        signed_at,
    })
}

/// What a request's authentication claims (access key, region, service), checked for form
/// and time but not yet for its signature: what can be judged before the body is read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Claimed {
    pub(crate) access_key: String,
    pub(crate) region: String,
    pub(crate) service: String,
}

pub(crate) fn claimed(
    headers: &[(String, String)],
    raw_query: &str,
    now: OffsetDateTime,
) -> Result<Claimed, SigV4Error> {
    let p = parse_auth(headers, raw_query)?;
    let (access_key, _, region, service) = p.scope()?;
    p.check_time(now)?;
    Ok(Claimed {
        access_key: access_key.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

/// The credential of a SigV4 request, from its `Authorization` header or its presigned
/// `X-Amz-Credential` (decoded), unverified: for routing only.
pub(crate) fn request_credential(headers: &http::HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(c) = header_credential(headers) {
        return Some(c.to_owned());
    }
    query?
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Credential="))
        .map(percent_decode)
}

/// Verifies header (`Authorization`) or query (presigned) SigV4 auth at time `now`.
pub(crate) fn verify(
    req: &RequestParts<'_>,
    mut secret_for: impl FnMut(&str) -> Option<zeroize::Zeroizing<String>>,
    now: OffsetDateTime,
    rules: Rules,
) -> Result<Verified, SigV4Error> {
    let p = parse_auth(req.headers, req.raw_query)?;
    let (access_key, day, region, service) = p.scope()?;
    let secret = secret_for(access_key).ok_or(SigV4Error::UnknownAccessKey)?;
    let signed: Vec<&str> = p.signed_headers.split(';').collect();
    if !signed.contains(&"host") {
        return Err(SigV4Error::Malformed("SignedHeaders must include host"));
    }
    let skip: &[&str] = match (p.presigned, rules.token_added_after_signing) {
        (false, _) => &[],
        (true, false) => &["X-Amz-Signature"],
        (true, true) => &["X-Amz-Signature", "X-Amz-Security-Token"],
    };
    let canonical = canonical_request(req, &signed, skip, rules);
    let scope = format!("{day}/{region}/{service}/aws4_request");
    let to_sign = string_to_sign(&p.date, &scope, &canonical);
    let key = signing_key(&secret, day, region, service);
    let expected = hex::encode(hmac::sign(&key, to_sign.as_bytes()).as_ref());
    if !bool::from(expected.as_bytes().ct_eq(p.signature.as_bytes())) {
        return Err(SigV4Error::SignatureDoesNotMatch);
    }
    p.check_time(now)?;
    Ok(Verified {
        access_key: access_key.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_at: p.signed_at,
        presigned: p.presigned,
    })
}

/// Signs `req` for header auth: returns the `Authorization` value. `req.headers` must already
/// hold `host` and `x-amz-date` (and `x-amz-content-sha256` for S3).
pub(crate) fn authorization(
    req: &RequestParts<'_>,
    access_key: &str,
    key: &hmac::Key,
    date: &str,
    region: &str,
    service: &str,
) -> String {
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let signed: Vec<&str> = names.iter().map(String::as_str).collect();
    let rules = Rules {
        normalize_path: false,
        token_added_after_signing: false,
    };
    let canonical = canonical_request(req, &signed, &[], rules);
    let scope = format!("{}/{region}/{service}/aws4_request", &date[..8]);
    let sig =
        hex::encode(hmac::sign(key, string_to_sign(date, &scope, &canonical).as_bytes()).as_ref());
    format!(
        "{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={}, Signature={sig}",
        signed.join(";")
    )
}

fn string_to_sign(date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{date}\n{scope}\n{}",
        hex_sha256(canonical.as_bytes())
    )
}

pub(crate) fn canonical_request(
    req: &RequestParts<'_>,
    signed: &[&str],
    skip_query: &[&str],
    rules: Rules,
) -> String {
    let mut path = percent_decode(req.raw_path);
    if rules.normalize_path {
        path = normalize(&path);
    }
    let mut query: Vec<(String, String)> = parse_query(req.raw_query)
        .into_iter()
        .filter(|(k, _)| !skip_query.contains(&k.as_str()))
        .map(|(k, v)| (uri_encode(&k, true), uri_encode(&v, true)))
        .collect();
    query.sort();
    let query: Vec<String> = query.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut out = format!(
        "{}\n{}\n{}\n",
        req.method,
        uri_encode(&path, false),
        query.join("&")
    );
    for name in signed {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        out.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    out.push_str(&format!("\n{}\n{}", signed.join(";"), req.payload_hash));
    out
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<String> {
    let vals: Vec<&'a str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect();
    (!vals.is_empty()).then(|| vals.join(","))
}

/// Decoded (name, value) pairs; `a` alone is `("a", "")`.
fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// RFC 3986 encoding as SigV4 wants it: unreserved kept, everything else `%XX`; `/` kept in
/// paths.
fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (b == b'/' && !encode_slash)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 3986 dot-segment removal plus collapsing of empty segments.
fn normalize(path: &str) -> String {
    let mut segs: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    let mut out = format!("/{}", segs.join("/"));
    if trailing && !segs.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests;
