//! `promptvault`: the one binary. Configuration → tracing → listener → serve.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = server::Config::parse();
    server::init_tracing(&config.log);
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    server::launch(config, listener, server::shutdown_signal()).await
}
