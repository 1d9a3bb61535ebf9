//! `*` / `?` wildcard matching, without allocating. Patterns are classified once at parse
//! time: almost every real one is exact, `*`, or `prefix*`, which need no backtracking.

/// A parsed `Action` / `Resource` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Any,
    Exact,
    /// A literal followed by one trailing `*`.
    Prefix,
    General,
}

impl Pattern {
    pub fn new(text: String) -> Self {
        let wild = text.bytes().filter(|b| matches!(b, b'*' | b'?')).count();
        let shape = if text == "*" {
            Shape::Any
        } else if wild == 0 {
            Shape::Exact
        } else if wild == 1 && text.ends_with('*') {
            Shape::Prefix
        } else {
            Shape::General
        };
        Self { text, shape }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// With `ignore_ascii_case` the pattern must be lower-case (actions are stored so).
    pub(crate) fn matches(&self, text: &str, ignore_ascii_case: bool) -> bool {
        let eq = |a: &[u8], b: &[u8]| {
            if ignore_ascii_case {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let p = self.text.as_bytes();
        match self.shape {
            Shape::Any => true,
            Shape::Exact => eq(p, text.as_bytes()),
            Shape::Prefix => {
                let lit = &p[..p.len() - 1];
                text.len() >= lit.len() && eq(lit, &text.as_bytes()[..lit.len()])
            }
            Shape::General => wildcard_match(&self.text, text, ignore_ascii_case),
        }
    }
}

/// Matches `text` against `pattern` (`*` any run, `?` any one character). With
/// `ignore_ascii_case` the pattern must already be lower-case.
pub(crate) fn wildcard_match(pattern: &str, text: &str, ignore_ascii_case: bool) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    if !pattern.contains(['*', '?']) {
        return if ignore_ascii_case {
            p.eq_ignore_ascii_case(t)
        } else {
            p == t
        };
    }
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'?' {
            // `?` is one character, not one byte.
            ti += utf8_len(t[ti]);
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && eq(p[pi], t[ti], ignore_ascii_case) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += utf8_len(t[mark]);
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

fn eq(p: u8, t: u8, ignore_ascii_case: bool) -> bool {
    p == t || (ignore_ascii_case && p == t.to_ascii_lowercase())
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_agree_with_the_general_matcher() {
        let texts = [
            "s3:getobject",
            "s3:GetObject",
            "arn:aws:s3:::b/x",
            "",
            "s3",
            "abc",
            "s3:",
        ];
        for p in [
            "*",
            "s3:*",
            "s3:getobject",
            "arn:aws:s3:::b/*",
            "a?c",
            "s3:get*obj*",
            "",
        ] {
            let pat = Pattern::new(p.to_owned());
            for t in texts {
                for ic in [false, true] {
                    assert_eq!(pat.matches(t, ic), wildcard_match(p, t, ic), "{p} {t} {ic}");
                }
            }
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("s3:*", "s3:getobject", false));
        assert!(wildcard_match("s3:get*", "s3:GetObject", true));
        assert!(!wildcard_match("s3:get*", "s3:PutObject", true));
        assert!(wildcard_match(
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::b/a/b/c",
            false
        ));
        assert!(!wildcard_match(
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::B/x",
            false
        ));
        assert!(wildcard_match("a?c", "abc", false));
        assert!(wildcard_match("a?c", "aéc", false));
        assert!(!wildcard_match("a?c", "ac", false));
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match("a*b*c", "aXXbYYc", false));
        assert!(!wildcard_match("a*b*c", "aXXbYY", false));
        assert!(wildcard_match("exact", "exact", false));
    }
}
