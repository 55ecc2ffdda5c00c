//! `ballast-app`: the dashboard on an embedded chain (default: the vault, the real stake pool,
//! lending market and pool seeded, the keeper inside), or on a cluster with `--rpc-url`.
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use ballast_app::chain::{spawn_rpc_history, AppChain};
use ballast_app::App;
use ballast_keeper::chain::RpcChain;
use clap::Parser;
use solana_sdk::pubkey::Pubkey;

#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Address to serve on.
    #[arg(long, env = "BALLAST_APP_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// A cluster's JSON-RPC URL; without it the app runs its own embedded chain.
    #[arg(long, env = "BALLAST_RPC_URL", requires = "vault")]
    rpc_url: Option<String>,
    /// The vault to show (with --rpc-url).
    #[arg(long, env = "BALLAST_VAULT")]
    vault: Option<Pubkey>,
    /// The address the site is reached at from outside (`https://vault.example`): Actions then
    /// link absolutely to it; without it their links are relative to the request.
    #[arg(long, env = "BALLAST_PUBLIC_URL")]
    public_url: Option<String>,
    /// Milliseconds between keeper passes on the embedded chain.
    #[arg(long, default_value_t = 500)]
    keeper_every_ms: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            "info,tarpc=error,solana_metrics=error,solana_runtime=warn,solana_accounts_db=warn,solana_program_test=warn,solana_program_runtime=off,solana_rbpf=warn".into()
        }))
        .init();
    let cli = Cli::parse();
    let app = match (&cli.rpc_url, cli.vault) {
        (Some(url), Some(vault)) => {
            let rpc = Arc::new(RpcChain::new(url, Duration::from_secs(30)));
            let genesis = rpc.client.get_genesis_hash().await.with_context(|| format!("reaching {url}"))?;
            let cluster = ballast_app::cluster::Cluster::from_genesis_hash(&genesis.to_string());
            let history = Default::default();
            spawn_rpc_history(rpc.clone(), vault, Arc::clone(&history), Duration::from_secs(10));
            let chain_id = ballast_app::cluster::caip2_chain_id(&genesis.to_string());
            let public_url = cli.public_url.clone();
            Arc::new(App { chain: AppChain::Rpc(rpc), vault, history, embedded: None, cluster, chain_id, public_url })
        }
        _ => {
            println!("starting the embedded chain: stake pool, lending market, LST/SOL pool, vault, keeper ...");
            ballast_app::embedded_app(Duration::from_millis(cli.keeper_every_ms), cli.public_url.clone()).await?
        }
    };
    let listener =
        tokio::net::TcpListener::bind(&cli.listen).await.with_context(|| format!("binding {}", cli.listen))?;
    let address = listener.local_addr()?;
    println!("Ballast dashboard: http://{address}/  (vault {})", app.vault);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    ballast_app::serve(app, listener, shutdown).await
}
