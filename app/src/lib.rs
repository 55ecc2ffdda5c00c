//! The Ballast app: a dashboard, deposits and withdrawals as Solana Actions, the DAO's
//! risk-parameter transactions and a JSON API, over an embedded chain with the keeper running
//! inside (the default) or a cluster's JSON-RPC.
#![allow(deprecated)] // stake-pool 1.0 state is decoded with the borsh helpers it was written with

pub mod actions;
pub mod amount;
pub mod chain;
pub mod chart;
pub mod cluster;
pub mod dao;
pub mod embedded;
pub mod error;
pub mod history;
pub mod server;
pub mod summary;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

pub use server::App;

/// Starts the embedded chain, seeds the vault and starts the keeper passing every `keeper_every`;
/// `public_url` as `App` has it.
pub async fn embedded_app(keeper_every: Duration, public_url: Option<String>) -> Result<Arc<App>> {
    let history = history::SharedHistory::default();
    let embedded = embedded::Embedded::start(history.clone()).await?;
    embedded.spawn_keeper(keeper_every);
    Ok(Arc::new(App {
        chain: chain::AppChain::Embedded(embedded.chain.clone()),
        vault: embedded.vault,
        history,
        chain_id: cluster::caip2_chain_id(&embedded.genesis_hash.to_string()),
        embedded: Some(embedded),
        cluster: cluster::Cluster::Embedded,
        public_url,
    }))
}

/// Serves `app` on `listener` until the process ends or `shutdown` resolves.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(listener, server::router(app)).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
