//! Administration on a data directory: `coffer account create`, `coffer guardrail ...`.
//! Safe beside a running server: they only touch IAM records (SQLite serializes writers) and
//! never run the start-up sweep.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_iam::Iam;
use coffer_store::Storage;

use crate::config;

#[derive(clap::Args, Debug)]
pub(crate) struct DataArgs {
    /// Data directory of the server.
    #[arg(long, default_value = config::DEFAULT_DATA_DIR)]
    data: PathBuf,
    /// Root key file, as for `coffer server` (else COFFER_ROOT_KEY, else the dev key).
    #[arg(long)]
    root_key_file: Option<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum AccountCommand {
    /// Create an account and print its root credentials (shown once).
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// The account's e-mail address (ACL grants can name the account by it).
        #[arg(long)]
        email: Option<String>,
    },
}

#[derive(clap::Subcommand, Debug)]
pub(crate) enum GuardrailCommand {
    /// Attach a guardrail policy (SCP semantics) to an account, beside the implicit allow-all.
    Put {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        account: String,
        /// Policy document (JSON).
        #[arg(long)]
        file: PathBuf,
    },
    /// Print an account's guardrails as a JSON list.
    Get {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        account: String,
    },
    /// Attach (`on`, the default) or detach (`off`) the implicit allow-all beside an account's
    /// guardrails, as AWS's FullAWSAccess SCP. Detached, the guardrails are an allow-list.
    FullAccess {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        account: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Remove every guardrail of an account.
    Delete {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        account: String,
    },
}

fn open(args: &DataArgs) -> Result<Iam, Box<dyn std::error::Error>> {
    let Some(meta) = Storage::existing_embedded_meta(&args.data)? else {
        return Err(format!(
            "{} is not a Coffer data directory (start `coffer server` once)",
            args.data.display()
        )
        .into());
    };
    let env_key = std::env::var("COFFER_ROOT_KEY").ok();
    let (root_key, _) = config::load_root_key(
        env_key.as_deref(),
        args.root_key_file.as_deref(),
        &args.data,
    )?;
    Ok(crate::server::iam_for(
        Arc::new(meta),
        &root_key,
        Arc::new(coffer_clock::SystemClock),
    ))
}

pub(crate) async fn account(cmd: AccountCommand) -> Result<(), Box<dyn std::error::Error>> {
    let AccountCommand::Create { data, email } = cmd;
    let iam = open(&data)?;
    let (account, key) = iam.create_account(email.as_deref()).await?;
    println!(
        "Account {} created. Root credentials (shown once):",
        account.id
    );
    println!("  AWS_ACCESS_KEY_ID={}", key.key.id);
    println!("  AWS_SECRET_ACCESS_KEY={}", key.secret.as_str());
    Ok(())
}

pub(crate) async fn guardrail(cmd: GuardrailCommand) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        GuardrailCommand::Put {
            data,
            account,
            file,
        } => {
            let iam = open(&data)?;
            let doc = std::fs::read_to_string(&file)?;
            let mut docs = iam.guardrail_documents(&account)?;
            docs.push(doc);
            iam.set_guardrails(&account, docs).await?;
            println!("Guardrail attached to account {account}.");
        }
        GuardrailCommand::Get { data, account } => {
            let iam = open(&data)?;
            let docs: Vec<serde_json::Value> = iam
                .guardrail_documents(&account)?
                .iter()
                .map(|d| serde_json::from_str(d).unwrap_or(serde_json::Value::String(d.clone())))
                .collect();
            println!("{}", serde_json::to_string_pretty(&docs)?);
        }
        GuardrailCommand::FullAccess {
            data,
            account,
            state,
        } => {
            let iam = open(&data)?;
            iam.set_guardrail_full_access(&account, state == "on")
                .await?;
            println!(
                "Implicit full access {} for account {account}.",
                if state == "on" {
                    "attached"
                } else {
                    "detached"
                }
            );
        }
        GuardrailCommand::Delete { data, account } => {
            let iam = open(&data)?;
            iam.set_guardrails(&account, Vec::new()).await?;
            println!("Guardrails removed from account {account}.");
        }
    }
    Ok(())
}
