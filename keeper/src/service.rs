//! The long-running keeper: each vault served in a loop of its own, Prometheus metrics and a
//! health endpoint over HTTP, and a graceful stop (the pass under way finishes first).
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
use tokio::sync::{watch, Mutex};

use crate::chain::Chain;
use crate::keeper::{Action, Keeper};

/// The keeper's metrics (one series per vault where it makes sense), in Prometheus's base
/// units: seconds, ratios, lamports (the chain's own unit) for amounts.
pub struct Metrics {
    pub registry: Registry,
    pub passes: IntCounterVec,
    pub actions: IntCounterVec,
    pub errors: IntCounterVec,
    pub unwinds: IntCounterVec,
    /// The lending market's LTV of the vault, as a ratio (0.785).
    pub market_ltv_ratio: GaugeVec,
    pub pass_duration_seconds: HistogramVec,
    pub last_success_timestamp_seconds: GaugeVec,
    /// Harvests sent, by reason (`schedule`, `after_unwind`), and when the last one landed.
    pub harvests: IntCounterVec,
    pub last_harvest_timestamp_seconds: IntGaugeVec,
    /// The keeper's own SOL, and the fees it paid.
    pub balance_lamports: IntGauge,
    pub fees_paid_lamports: IntCounter,
    /// When the last pass over a vault completed.
    pub last_pass: Mutex<Option<Instant>>,
    /// The last probe of the RPC: the keeper's balance, or why it could not be read.
    pub probe: Mutex<Option<std::result::Result<u64, String>>>,
}

impl Metrics {
    pub fn new() -> Result<Self> {
        let registry = Registry::new();
        let vault = &["vault"];
        let passes = IntCounterVec::new(Opts::new("ballast_keeper_passes_total", "Passes over a vault"), vault)?;
        let actions = IntCounterVec::new(
            Opts::new("ballast_keeper_actions_total", "Actions taken, by kind"),
            &["vault", "action"],
        )?;
        let errors = IntCounterVec::new(Opts::new("ballast_keeper_errors_total", "Failed passes"), vault)?;
        let unwinds =
            IntCounterVec::new(Opts::new("ballast_keeper_unwinds_total", "Unwinds landed (flash or not)"), vault)?;
        let market_ltv_ratio = GaugeVec::new(
            Opts::new("ballast_keeper_market_ltv_ratio", "The lending market's LTV of the vault"),
            vault,
        )?;
        let pass_duration_seconds = HistogramVec::new(
            HistogramOpts::new("ballast_keeper_pass_duration_seconds", "How long a pass over a vault took")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0]),
            vault,
        )?;
        let last_success_timestamp_seconds = GaugeVec::new(
            Opts::new("ballast_keeper_last_success_timestamp_seconds", "Unix time of the vault's last successful pass"),
            vault,
        )?;
        let harvests = IntCounterVec::new(
            Opts::new("ballast_keeper_harvests_total", "Harvests sent, by reason"),
            &["vault", "reason"],
        )?;
        let last_harvest_timestamp_seconds = IntGaugeVec::new(
            Opts::new("ballast_keeper_last_harvest_timestamp_seconds", "Unix time of the last harvest sent"),
            vault,
        )?;
        let balance_lamports = IntGauge::new("ballast_keeper_balance_lamports", "The keeper's own SOL")?;
        let fees_paid_lamports = IntCounter::new(
            "ballast_keeper_fees_paid_lamports_total",
            "Fees of the keeper's transactions that landed",
        )?;
        registry.register(Box::new(passes.clone()))?;
        registry.register(Box::new(actions.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(unwinds.clone()))?;
        registry.register(Box::new(market_ltv_ratio.clone()))?;
        registry.register(Box::new(pass_duration_seconds.clone()))?;
        registry.register(Box::new(last_success_timestamp_seconds.clone()))?;
        registry.register(Box::new(harvests.clone()))?;
        registry.register(Box::new(last_harvest_timestamp_seconds.clone()))?;
        registry.register(Box::new(balance_lamports.clone()))?;
        registry.register(Box::new(fees_paid_lamports.clone()))?;
        Ok(Self {
            registry,
            passes,
            actions,
            errors,
            unwinds,
            market_ltv_ratio,
            pass_duration_seconds,
            last_success_timestamp_seconds,
            harvests,
            last_harvest_timestamp_seconds,
            balance_lamports,
            fees_paid_lamports,
            last_pass: Mutex::new(None),
            probe: Mutex::new(None),
        })
    }

    fn record(&self, vault: &Pubkey, actions: &[Action]) {
        let vault = vault.to_string();
        self.passes.with_label_values(&[&vault]).inc();
        for action in actions {
            match action {
                Action::Healthy { market_ltv_bps: Some(ltv) } => {
                    self.market_ltv_ratio.with_label_values(&[&vault]).set(*ltv as f64 / 10_000.0);
                }
                Action::Unwound { .. } | Action::FlashUnwound { .. } => {
                    self.unwinds.with_label_values(&[&vault]).inc();
                }
                Action::Harvested { reason, .. } => {
                    self.harvests.with_label_values(&[&vault, reason.label()]).inc();
                    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                    self.last_harvest_timestamp_seconds.with_label_values(&[&vault]).set(now.as_secs() as i64);
                }
                _ => {}
            }
            self.actions.with_label_values(&[&vault, action.label()]).inc();
        }
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding");
        String::from_utf8(out).expect("utf-8 metrics")
    }
}

/// When `/health` turns red.
#[derive(Clone, Copy, Debug)]
pub struct HealthRules {
    /// No vault's pass has completed for this long (a number of intervals).
    pub stale_after: Duration,
    /// The keeper's SOL is below what an unwind needs (fees at the cap, the flash loan's wSOL
    /// account rent).
    pub min_balance_lamports: u64,
}

/// Why the keeper is unhealthy, as the lines `/health` answers with; empty when healthy.
pub async fn problems(metrics: &Metrics, rules: HealthRules) -> Vec<String> {
    let mut problems = Vec::new();
    match *metrics.last_pass.lock().await {
        Some(at) if at.elapsed() <= rules.stale_after => {}
        Some(at) => problems.push(format!("stale: no pass succeeded for {} s", at.elapsed().as_secs())),
        None => problems.push("starting: no pass yet".to_string()),
    }
    match &*metrics.probe.lock().await {
        Some(Ok(balance)) if *balance < rules.min_balance_lamports => problems
            .push(format!("balance: {balance} lamports, below the {} an unwind needs", rules.min_balance_lamports)),
        Some(Ok(_)) | None => {}
        Some(Err(error)) => problems.push(format!("rpc unreachable: {error}")),
    }
    problems
}

/// Serves `/metrics` (Prometheus text) and `/health` (200 "ok", or 503 with a line per problem:
/// no pass for a while, the keeper's balance too low for an unwind, the RPC unreachable).
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    rules: HealthRules,
    stop: watch::Receiver<bool>,
) -> Result<()> {
    async fn metrics_page(State((metrics, _)): State<(Arc<Metrics>, HealthRules)>) -> String {
        metrics.render()
    }
    async fn health(State((metrics, rules)): State<(Arc<Metrics>, HealthRules)>) -> (StatusCode, String) {
        let problems = problems(&metrics, rules).await;
        if problems.is_empty() {
            (StatusCode::OK, "ok\n".to_string())
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, problems.join("\n") + "\n")
        }
    }
    let app =
        Router::new().route("/metrics", get(metrics_page)).route("/health", get(health)).with_state((metrics, rules));
    let mut stop = stop;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        })
        .await?;
    Ok(())
}

/// Serves every vault in a loop of its own, a pass each `interval`, until `stop` turns true (a
/// pass under way finishes): a transaction waiting to land (rebroadcast until it does or its
/// blockhash expires) holds up only its own vault.
pub async fn run<C: Chain>(
    keeper: &Keeper<C>,
    vaults: &[Pubkey],
    interval: Duration,
    metrics: &Metrics,
    stop: watch::Receiver<bool>,
) {
    let loops = vaults.iter().map(|vault| serve_vault(keeper, vault, interval, metrics, stop.clone()));
    tokio::join!(futures::future::join_all(loops), probe(keeper, interval, metrics, stop.clone()));
    tracing::info!("stopping");
}

/// Each interval: the keeper's balance (which also shows the RPC answers), and the fees its
/// transactions paid.
async fn probe<C: Chain>(keeper: &Keeper<C>, interval: Duration, metrics: &Metrics, mut stop: watch::Receiver<bool>) {
    let mut fees_seen = 0;
    loop {
        let read = keeper.chain.account(&keeper.keypair.pubkey()).await;
        let balance = read.map(|account| account.map_or(0, |a| a.lamports)).map_err(|e| format!("{e:#}"));
        if let Ok(lamports) = balance {
            metrics.balance_lamports.set(lamports as i64);
        }
        *metrics.probe.lock().await = Some(balance);
        let fees = keeper.fees_paid_lamports.load(std::sync::atomic::Ordering::Relaxed);
        metrics.fees_paid_lamports.inc_by(fees - fees_seen);
        fees_seen = fees;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
    }
}

async fn serve_vault<C: Chain>(
    keeper: &Keeper<C>,
    vault: &Pubkey,
    interval: Duration,
    metrics: &Metrics,
    mut stop: watch::Receiver<bool>,
) {
    let label = vault.to_string();
    loop {
        let started = Instant::now();
        let pass = keeper.tick(vault).await;
        metrics.pass_duration_seconds.with_label_values(&[&label]).observe(started.elapsed().as_secs_f64());
        match pass {
            Ok(actions) => {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                metrics.last_success_timestamp_seconds.with_label_values(&[&label]).set(now.as_secs_f64());
                for action in &actions {
                    match action {
                        Action::Healthy { .. } => tracing::debug!(%vault, ?action, "pass"),
                        _ => tracing::info!(%vault, ?action, "pass"),
                    }
                }
                metrics.record(vault, &actions);
                *metrics.last_pass.lock().await = Some(Instant::now());
            }
            Err(error) => {
                tracing::error!(%vault, %error, "pass failed");
                metrics.errors.with_label_values(&[&vault.to_string()]).inc();
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
    }
}
