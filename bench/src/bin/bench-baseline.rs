//! The baseline of the read benchmark: the limit of this stack on this machine. A minimal
//! axum handler that returns the same bytes as an SDK read, with no auth and no lookup.

use axum::Router;
use axum::http::header::{CONTENT_TYPE, ETAG};
use axum::routing::get;
use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    addr: std::net::SocketAddr,
    /// The response body to serve (bench-seed writes one).
    #[arg(long)]
    body: std::path::PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let body = axum::body::Bytes::from(std::fs::read(&args.body)?);
    let handler = move || {
        let body = body.clone();
        async move { ([(CONTENT_TYPE, "application/json"), (ETAG, "\"baseline\"")], body) }
    };
    let app = Router::new().route("/healthz", get(|| async { "ok" })).fallback(get(handler));
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
