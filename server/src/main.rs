//! `promptvault`: the one binary. Configuration → tracing → serve (or a command).

use std::process::ExitCode;

use clap::Parser;
use server::cli::{self, PushOptions};
use server::{AccountsCommand, Command, PromptsCommand, RemoteArgs};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let config = match server::Config::try_parse() {
        Ok(config) => config,
        // clap answers a usage error with 2, which the client commands use for "changed": a
        // mistyped flag in a CI step must fail it, so a command line that cannot be parsed
        // is refused (3). Help and --version still answer 0.
        Err(error) => {
            let _ = error.print();
            return Ok(ExitCode::from(if error.use_stderr() { 3 } else { 0 }));
        }
    };
    server::init_tracing(&config.log);
    match config.command.clone() {
        None | Some(Command::Serve) => {
            let listener = server::listen(config.addr)?;
            server::launch(config, listener, server::shutdown_signal()).await?;
        }
        Some(Command::Export { workspace, file }) => {
            server::transfer::export(&config, workspace.as_deref(), &file).await?;
        }
        Some(Command::Import { from_langfuse: Some(export), remote, .. }) => {
            return Ok(cli::exit_code(import_from_langfuse(&remote, &export).await));
        }
        Some(Command::Import { file: Some(file), .. }) => server::transfer::import(&config, &file).await?,
        Some(Command::Import { .. }) => anyhow::bail!("name the file to import"),
        Some(Command::Prompts { command, remote }) => {
            return Ok(cli::exit_code(prompts(command, &remote).await));
        }
        Some(Command::Accounts { command: AccountsCommand::ResetPassword { email } }) => {
            server::transfer::reset_password(&config, &email).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn import_from_langfuse(
    remote: &RemoteArgs,
    export: &std::path::Path,
) -> Result<cli::Outcome, cli::Failure> {
    cli::import_from_langfuse(&remote.remote()?, export).await
}

async fn prompts(command: PromptsCommand, remote: &RemoteArgs) -> Result<cli::Outcome, cli::Failure> {
    let remote = remote.remote()?;
    match command {
        PromptsCommand::Pull { dir, channel, prefix } => {
            cli::pull(&remote, &dir, channel, prefix.as_deref()).await
        }
        PromptsCommand::Push { dir, message, stage, promote, labels, dry_run } => {
            cli::push(&remote, &dir, &message, PushOptions { stage, promote, labels, dry_run }).await
        }
        PromptsCommand::Diff { dir } => cli::diff(&remote, &dir).await,
        PromptsCommand::Dependents { name, update, publish } => {
            cli::dependents(&remote, &name, update, publish).await
        }
        PromptsCommand::Rollout { name, label, action } => cli::rollout(&remote, &name, &label, action).await,
        PromptsCommand::Fleet { name } => cli::fleet(&remote, name.as_deref()).await,
    }
}
