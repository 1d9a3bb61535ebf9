//! Amazon Resource Names, parsed once into their parts.

/// An ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, as a view of the string it was
/// parsed from: parsing allocates nothing, since ARNs are read on hot paths (every SSE-KMS
/// read names its key by ARN). The resource keeps any further colons (`s3:::bucket/a:b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// The parts of `s`, if it has all six (`None` otherwise, including for `*`).
    pub fn parse(s: &'a str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Self {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    /// The ARN of `service` when it is one (`None` for another service's, or none).
    pub fn of_service(s: &'a str, service: &str) -> Option<Self> {
        Self::parse(s).filter(|a| a.service == service)
    }

    /// An IAM ARN (`arn:aws:iam::ACCOUNT:RESOURCE`: IAM is global, its ARNs have no region).
    pub fn iam(s: &'a str) -> Option<Self> {
        Self::of_service(s, "iam").filter(|a| a.partition == "aws" && a.region.is_empty())
    }

    /// The resource's name after `kind/` (`role/path/name` → `path/name` for `role`).
    pub fn resource_after(&self, kind: &str) -> Option<&'a str> {
        self.resource
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix('/'))
    }
}

impl std::fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse_into_parts_and_back() {
        for s in [
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:s3:::bucket/a:b/c",
            "arn:aws:iam::111122223333:role/path/name",
            "arn:aws:iam::111122223333:root",
        ] {
            let a = Arn::parse(s).unwrap();
            assert_eq!(a.to_string(), s);
        }
        let k = Arn::of_service("arn:aws:kms:r:1:alias/app", "kms").unwrap();
        assert_eq!(
            (k.region, k.account, k.resource_after("alias")),
            ("r", "1", Some("app"))
        );
        assert_eq!(Arn::parse("arn:aws:s3:::b/a:b").unwrap().resource, "b/a:b");
        assert!(Arn::of_service("arn:aws:iam::1:root", "kms").is_none());
        for bad in ["*", "arn:aws:s3", "aws:s3:::b", "arn:aws:s3::"] {
            assert!(Arn::parse(bad).is_none(), "{bad}");
        }
        let r = Arn::parse("arn:aws:iam::1:role/a/b").unwrap();
        assert_eq!(r.resource_after("role"), Some("a/b"));
        assert_eq!(r.resource_after("rol"), None);
    }
}
