//! ListObjects (v1 and v2) and ListObjectVersions: prefix, delimiter, markers, common
//! prefixes.

use coffer_store::{ObjectSummary, VersionSummary, prefix_successor};

use crate::{S3Core, S3Error};

/// Keys fetched from the store per round while grouping common prefixes.
const SCAN_BATCH: usize = 1000;
/// Most keys one listing page returns, as S3.
pub const MAX_KEYS: usize = 1000;

/// A listing request, independent of the v1/v2 wire forms.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Resume after this key or common prefix (v1 marker, v2 start-after or token).
    pub after: Option<String>,
    pub max_keys: usize,
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectSummary>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or common prefix returned, to resume from, when truncated.
    pub next_after: Option<String>,
}

/// A ListObjectVersions request.
#[derive(Debug, Clone, Default)]
pub struct VersionQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Resume after this key (or common prefix) ...
    pub key_marker: Option<String>,
    /// ... or, with a key marker, after this version of it.
    pub version_marker: Option<String>,
    pub max_keys: usize,
}

/// One page of a version listing.
#[derive(Debug, Clone, Default)]
pub struct VersionPage {
    /// Versions and delete markers, by key and then newest first.
    pub versions: Vec<VersionSummary>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// Where the next page starts, when truncated: a key (or common prefix) and, after a
    /// version, its id.
    pub next_key_marker: Option<String>,
    pub next_version_marker: Option<String>,
}

impl S3Core {
    /// ListObjectVersions. Like [`S3Core::list_objects`], a range scan of the prefix from
    /// the markers on: its cost follows the page, not the bucket.
    pub fn list_versions(&self, bucket: &str, q: &VersionQuery) -> Result<VersionPage, S3Error> {
        self.require_bucket(bucket)?;
        let max = q.max_keys.min(MAX_KEYS);
        let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
        let mut page = VersionPage::default();
        // Scan position: (key, inclusive, after this version of the key).
        let mut cursor: (String, bool, Option<String>) = match (&q.key_marker, &q.version_marker) {
            (Some(k), Some(v)) if !v.is_empty() => (k.clone(), false, Some(v.clone())),
            (Some(k), _) => {
                let (from, inclusive) = resume_point(k, &q.prefix, delimiter);
                (from, inclusive, None)
            }
            (None, _) => (String::new(), true, None),
        };
        let mut last: Option<(String, Option<String>)> = None;
        'scan: loop {
            let batch = self.meta.list_versions(
                bucket,
                &q.prefix,
                &cursor.0,
                cursor.1,
                cursor.2.as_deref(),
                SCAN_BATCH,
            )?;
            let exhausted = batch.len() < SCAN_BATCH;
            let Some(tail) = batch.last().map(|v| (v.key.clone(), v.version_id.clone())) else {
                break;
            };
            for v in batch {
                if page.versions.len() + page.common_prefixes.len() == max {
                    page.is_truncated = true;
                    break 'scan;
                }
                let rest = &v.key[q.prefix.len()..];
                if let Some(d) = delimiter
                    && let Some(pos) = rest.find(d)
                {
                    let cp = v.key[..q.prefix.len() + pos + d.len()].to_owned();
                    last = Some((cp.clone(), None));
                    page.common_prefixes.push(cp.clone());
                    match prefix_successor(&cp) {
                        Some(next) => cursor = (next, true, None),
                        None => break 'scan,
                    }
                    continue 'scan;
                }
                last = Some((v.key.clone(), Some(v.version_id.clone())));
                page.versions.push(v);
            }
            if exhausted {
                break;
            }
            cursor = (tail.0, false, Some(tail.1));
        }
        if max == 0 {
            page.is_truncated = false;
        }
        if page.is_truncated
            && let Some((key, version)) = last
        {
            page.next_key_marker = Some(key);
            page.next_version_marker = version;
        }
        Ok(page)
    }

    pub fn list_objects(&self, bucket: &str, q: &ListQuery) -> Result<ListPage, S3Error> {
        self.require_bucket(bucket)?;
        let max = q.max_keys.min(MAX_KEYS);
        let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
        let mut page = ListPage::default();
        // Scan position: (key, inclusive).
        let mut cursor = match &q.after {
            Some(after) => resume_point(after, &q.prefix, delimiter),
            None => (String::new(), true),
        };
        let mut last_returned: Option<String> = None;
        'scan: loop {
            let batch = self
                .meta
                .list_objects(bucket, &q.prefix, &cursor.0, cursor.1, SCAN_BATCH)?;
            let exhausted = batch.len() < SCAN_BATCH;
            let Some(last_key) = batch.last().map(|o| o.key.clone()) else {
                break;
            };
            for obj in batch {
                if page.objects.len() + page.common_prefixes.len() == max {
                    page.is_truncated = true;
                    break 'scan;
                }
                let rest = &obj.key[q.prefix.len()..];
                if let Some(d) = delimiter
                    && let Some(pos) = rest.find(d)
                {
                    let cp = obj.key[..q.prefix.len() + pos + d.len()].to_owned();
                    last_returned = Some(cp.clone());
                    page.common_prefixes.push(cp.clone());
                    // Everything else under this common prefix is skipped in one seek.
                    match prefix_successor(&cp) {
                        Some(next) => cursor = (next, true),
                        None => break 'scan,
                    }
                    continue 'scan;
                }
                last_returned = Some(obj.key.clone());
                page.objects.push(obj);
            }
            if exhausted {
                break;
            }
            cursor = (last_key, false);
        }
        if max == 0 {
            page.is_truncated = false;
        }
        if page.is_truncated {
            page.next_after = last_returned;
        }
        Ok(page)
    }
}

/// Where to resume after `after`: past it, or past everything under it if it is a common
/// prefix of this listing.
fn resume_point(after: &str, prefix: &str, delimiter: Option<&str>) -> (String, bool) {
    // A common prefix: the listing prefix, text without the delimiter, the delimiter.
    if let Some(d) = delimiter
        && let Some(rest) = after.strip_prefix(prefix)
        && rest.len() >= d.len()
        && rest.find(d) == Some(rest.len() - d.len())
        && let Some(next) = prefix_successor(after)
    {
        return (next, true);
    }
    (after.to_owned(), false)
}
