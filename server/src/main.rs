//! `promptvault`: the one binary. Configuration → tracing → serve (or a command).

use clap::Parser;
use server::Command;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = server::Config::parse();
    server::init_tracing(&config.log);
    match config.command.clone() {
        None | Some(Command::Serve) => {
            let listener = tokio::net::TcpListener::bind(config.addr).await?;
            server::launch(config, listener, server::shutdown_signal()).await
        }
        Some(Command::Export { workspace, file }) => {
            server::transfer::export(&config, workspace.as_deref(), &file).await
        }
        Some(Command::Import { file }) => server::transfer::import(&config, &file).await,
    }
}
