//! Logging: `COFFER_LOG` (a `tracing` filter) chooses what Coffer's own code logs, and a cap
//! that no filter can lift keeps everything else quiet. s3s logs whole requests at debug
//! (Authorization, session tokens, SSE-C keys, form fields) and every refused request at
//! error with its details: it never logs. Other libraries log at most warnings (hyper only
//! errors: it warns once per client that times out, which a hostile client could repeat).
//! Coffer's own code logs no secret at any level.

use tracing::Level;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{EnvFilter, FilterExt as _, filter_fn};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The filter when `COFFER_LOG` is unset.
pub(crate) const DEFAULT_FILTER: &str = "info";

/// Installs the subscriber (stderr).
pub(crate) fn init() {
    let wanted = EnvFilter::try_from_env("COFFER_LOG").unwrap_or_else(|_| DEFAULT_FILTER.into());
    let cap = filter_fn(|meta| within_cap(meta.target(), *meta.level()));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(wanted.and(cap));
    tracing_subscriber::registry().with(layer).init();
}

/// Whether an event of `target` at `level` may be logged at all, whatever `COFFER_LOG` asks.
fn within_cap(target: &str, level: Level) -> bool {
    let crate_name = target.split("::").next().unwrap_or(target);
    match crate_name {
        "s3s" => false,
        "hyper" | "hyper_util" => level <= Level::ERROR,
        name if name == "coffer" || name.starts_with("coffer_") => true,
        _ => level <= Level::WARN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_cannot_be_lifted() {
        for level in [
            Level::ERROR,
            Level::WARN,
            Level::INFO,
            Level::DEBUG,
            Level::TRACE,
        ] {
            assert!(!within_cap("s3s", level));
            assert!(!within_cap("s3s::service", level));
            assert!(!within_cap("s3s::ops::signature", level));
            assert!(within_cap("coffer", level));
            assert!(within_cap("coffer_s3::objects", level));
        }
        assert!(within_cap("hyper::proto::h1", Level::ERROR));
        assert!(!within_cap("hyper::proto::h1", Level::WARN));
        assert!(within_cap("rustls::conn", Level::WARN));
        assert!(!within_cap("rustls::conn", Level::DEBUG));
    }
}
