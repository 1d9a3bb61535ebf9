//! Coffer's server: configuration, listeners, the front door and the protocol adapters (s3s
//! for S3; IAM/STS, KMS and S3 Control of its own), and the `coffer` command line. Domain
//! crates below it never see HTTP, XML, environment variables or flags.
//!
//! A library so that tests can boot the whole server in-process ([`server::start`]) and
//! drive it with signed requests ([`client`]); `main.rs` only calls [`cli::run`].

mod admin_cli;
mod api_error;
mod audit;
mod bench;
pub mod cli;
pub mod client;
mod config;
mod conns;
mod escape;
mod http;
mod iam_api;
mod kms_api;
mod logging;
mod policy_cli;
mod s3;
mod s3control;
pub mod server;
mod signed;
mod sigv4;
mod tls;
mod wire_common;

pub use config::ServerArgs;
