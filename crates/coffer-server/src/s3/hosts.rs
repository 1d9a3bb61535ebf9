//! Virtual-hosted–style addressing: with `--domain DOMAIN`, `BUCKET.DOMAIN` is that bucket
//! (as SDKs address S3 by default) and `DOMAIN` itself takes path-style requests. An IP
//! address or `localhost` is always the endpoint, path style. Any other host is refused:
//! taking it as path style would read `BUCKET.localhost/KEY` as bucket `KEY` — an empty
//! listing, or a PutObject creating a bucket named after the key.

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

#[derive(Clone)]
pub(crate) struct Domains(Vec<String>);

impl Domains {
    /// Domains as given (lower-cased, without a leading dot or trailing dot).
    pub(crate) fn new(domains: &[String]) -> Self {
        Self(
            domains
                .iter()
                .map(|d| d.trim().trim_matches('.').to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
        )
    }
}

impl Domains {
    /// Whether a request's Host names a bucket under one of the domains. On every request's
    /// path: nothing is allocated.
    pub(crate) fn names_bucket<B>(&self, req: &http::Request<B>) -> bool {
        req.headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| req.uri().host())
            .and_then(|host| self.split(strip_port(host)))
            .is_some_and(|(_, bucket)| bucket.is_some())
    }

    /// A host name as (the domain it is, or is under; the bucket before it, if any),
    /// compared without regard to case.
    fn split<'a>(&self, name: &'a str) -> Option<(&str, Option<&'a str>)> {
        self.0.iter().find_map(|d| {
            if name.eq_ignore_ascii_case(d) {
                return Some((d.as_str(), None));
            }
            let cut = name.len().checked_sub(d.len() + 1).filter(|&c| c > 0)?;
            (name.as_bytes()[cut] == b'.' && name[cut + 1..].eq_ignore_ascii_case(d))
                .then(|| (d.as_str(), Some(&name[..cut])))
        })
    }
}

impl S3Host for Domains {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        let name = strip_port(host);
        if name.eq_ignore_ascii_case("localhost") {
            return Ok(VirtualHost::new("localhost"));
        }
        if let Some((domain, bucket)) = self.split(name) {
            let vh = VirtualHost::new(domain);
            return Ok(match bucket {
                Some(b) => vh.with_bucket(b.to_ascii_lowercase()),
                None => vh,
            });
        }
        let hint = if self.0.is_empty() {
            "no --domain is configured, so only an IP address or localhost is".to_owned()
        } else {
            format!("the endpoint is {} or a bucket under it", self.0.join(", "))
        };
        Err(s3s::s3_error!(
            InvalidRequest,
            "The Host header {host} does not name this endpoint: {hint}. Start coffer with --domain to serve virtual-hosted-style requests."
        ))
    }
}

/// `host:port` → `host` (IPv6 literals never reach here: s3s takes them as path style).
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let d = Domains::new(&["s3.localhost".into(), ".Coffer.Test.".into()]);
        let vh = d.parse_host_header("photos.s3.localhost:9000").unwrap();
        assert_eq!((vh.domain(), vh.bucket()), ("s3.localhost", Some("photos")));
        let vh = d.parse_host_header("a.b.coffer.test").unwrap();
        assert_eq!(vh.bucket(), Some("a.b"));
        assert_eq!(d.parse_host_header("s3.localhost").unwrap().bucket(), None);
        assert_eq!(
            d.parse_host_header("localhost:9000").unwrap().bucket(),
            None
        );
        assert!(d.parse_host_header("photos.localhost").is_err());
        assert!(d.parse_host_header("evil-s3.localhost").is_err());
        assert!(d.parse_host_header("example.com").is_err());
        assert!(Domains::new(&[]).parse_host_header("b.localhost").is_err());
        let req = |host: &str| {
            http::Request::builder()
                .header("host", host)
                .body(())
                .unwrap()
        };
        assert!(d.names_bucket(&req("Photos.S3.localhost:9000")));
        assert!(!d.names_bucket(&req("s3.localhost:9000")));
        assert!(!d.names_bucket(&req("127.0.0.1:9000")));
        assert!(!d.names_bucket(&req("xs3.localhost")));
    }
}
