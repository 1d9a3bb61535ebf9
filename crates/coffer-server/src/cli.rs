//! The `coffer` command line: `server`, the admin tools and the load generator.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{admin_cli, audit, bench, config, logging, policy_cli};

#[derive(Parser)]
#[command(
    name = "coffer",
    version,
    about = "S3-compatible object store that encrypts every object at rest"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Server(config::ServerArgs),
    /// Accounts on this data directory.
    #[command(subcommand)]
    Account(admin_cli::AccountCommand),
    /// Account guardrails (the SCP equivalent).
    #[command(subcommand)]
    Guardrail(admin_cli::GuardrailCommand),
    /// Read the audit trail of KMS use.
    Audit(audit::AuditArgs),
    /// Policy tools.
    #[command(subcommand)]
    Policy(policy_cli::PolicyCommand),
    /// Load generator: SigV4-signed PUT/GET against a running server, prints a table.
    Bench(bench::BenchArgs),
}

/// Runs the command line (the binary's whole `main`).
pub fn run() -> ExitCode {
    logging::init();
    // Whatever Coffer or SQLite creates (metadata, WAL, blobs, audit trail, secrets,
    // certificates) is owner-only, whatever the mode of a directory created beforehand.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Server(args) => runtime.block_on(serve(args)),
        Command::Bench(args) => runtime.block_on(bench::run(args)),
        Command::Policy(cmd) => policy_cli::run(cmd),
        Command::Audit(args) => audit::run(args),
        Command::Account(cmd) => runtime.block_on(admin_cli::account(cmd)),
        Command::Guardrail(cmd) => runtime.block_on(admin_cli::guardrail(cmd)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `coffer server`: starts, prints the banner, serves until SIGINT/SIGTERM.
async fn serve(args: config::ServerArgs) -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).ok();
    let running = crate::server::start(args, &env).await?;
    print!("{}", running.banner());
    println!("Ready.");
    shutdown_signal().await;
    running.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
}
