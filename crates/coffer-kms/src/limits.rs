//! KMS's parameter limits that the domain enforces whatever the protocol: descriptions and
//! tags.

use crate::KmsError;

/// Longest key description, as KMS.
pub(crate) const MAX_DESCRIPTION: usize = 8192;
/// Most tags per key, as KMS.
pub(crate) const MAX_TAGS: usize = 50;

pub(crate) fn validate_description(d: &str) -> Result<(), KmsError> {
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(KmsError::Validation(format!(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to {MAX_DESCRIPTION}"
        )));
    }
    Ok(())
}

/// Tag keys of 1 to 128 characters outside the reserved `aws:` space, values of at most 256.
pub(crate) fn validate_tags(tags: &[(String, String)]) -> Result<(), KmsError> {
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(KmsError::Tag(
                "Tag keys must be 1-128 characters and tag values at most 256.".into(),
            ));
        }
        if k.len() >= 4 && k[..4].eq_ignore_ascii_case("aws:") {
            return Err(KmsError::Tag(
                "Tags beginning with aws: are reserved and cannot be added.".into(),
            ));
        }
    }
    Ok(())
}

pub(crate) fn check_tag_count(tags: &[(String, String)]) -> Result<(), KmsError> {
    if tags.len() > MAX_TAGS {
        return Err(KmsError::LimitExceeded(format!(
            "A KMS key can have at most {MAX_TAGS} tags."
        )));
    }
    Ok(())
}
