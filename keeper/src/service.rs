//! The long-running keeper: a pass over every vault each interval, Prometheus metrics and a
//! health endpoint over HTTP, and a graceful stop (the pass under way finishes first).
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use prometheus::{Encoder, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};
use solana_sdk::pubkey::Pubkey;
use tokio::sync::{watch, Mutex};

use crate::chain::Chain;
use crate::keeper::{Action, Keeper};

/// The keeper's metrics, one series per vault.
pub struct Metrics {
    pub registry: Registry,
    pub passes: IntCounterVec,
    pub actions: IntCounterVec,
    pub errors: IntCounterVec,
    pub market_ltv_bps: IntGaugeVec,
    /// Harvests sent, by reason (`schedule`, `after_unwind`), and when the last one landed.
    pub harvests: IntCounterVec,
    pub last_harvest_timestamp_seconds: IntGaugeVec,
    /// When the last pass over a vault completed.
    pub last_pass: Mutex<Option<Instant>>,
}

impl Metrics {
    pub fn new() -> Result<Self> {
        let registry = Registry::new();
        let passes = IntCounterVec::new(Opts::new("ballast_keeper_passes_total", "Passes over a vault"), &["vault"])?;
        let actions = IntCounterVec::new(
            Opts::new("ballast_keeper_actions_total", "Actions taken, by kind"),
            &["vault", "action"],
        )?;
        let errors = IntCounterVec::new(Opts::new("ballast_keeper_errors_total", "Failed passes"), &["vault"])?;
        let market_ltv_bps = IntGaugeVec::new(
            Opts::new("ballast_keeper_market_ltv_bps", "The lending market's LTV of the vault, bps"),
            &["vault"],
        )?;
        registry.register(Box::new(passes.clone()))?;
        registry.register(Box::new(actions.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        let harvests = IntCounterVec::new(
            Opts::new("ballast_keeper_harvests_total", "Harvests sent, by reason"),
            &["vault", "reason"],
        )?;
        let last_harvest_timestamp_seconds = IntGaugeVec::new(
            Opts::new("ballast_keeper_last_harvest_timestamp_seconds", "Unix time of the last harvest sent"),
            &["vault"],
        )?;
        registry.register(Box::new(market_ltv_bps.clone()))?;
        registry.register(Box::new(harvests.clone()))?;
        registry.register(Box::new(last_harvest_timestamp_seconds.clone()))?;
        Ok(Self {
            registry,
            passes,
            actions,
            errors,
            market_ltv_bps,
            harvests,
            last_harvest_timestamp_seconds,
            last_pass: Mutex::new(None),
        })
    }

    fn record(&self, vault: &Pubkey, actions: &[Action]) {
        let vault = vault.to_string();
        self.passes.with_label_values(&[&vault]).inc();
        for action in actions {
            let kind = match action {
                Action::Healthy { market_ltv_bps } => {
                    if let Some(ltv) = market_ltv_bps {
                        self.market_ltv_bps.with_label_values(&[&vault]).set(*ltv as i64);
                    }
                    "healthy"
                }
                Action::OraclesStale => "oracles_stale",
                Action::Cranked => "cranked",
                Action::Unwound { .. } => "unwound",
                Action::FlashUnwound { .. } => "flash_unwound",
                Action::AlreadyUnwound => "already_unwound",
                Action::UnwindRefused { .. } => "unwind_refused",
                Action::Leveraged { .. } => "leveraged",
                Action::Deleveraged { .. } => "deleveraged",
                Action::LeftLoop { .. } => "left_loop",
                Action::AllocatorRefused { .. } => "allocator_refused",
                Action::Harvested { reason, .. } => {
                    self.harvests.with_label_values(&[&vault, reason.label()]).inc();
                    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                    self.last_harvest_timestamp_seconds.with_label_values(&[&vault]).set(now.as_secs() as i64);
                    "harvested"
                }
                Action::HarvestRefused { .. } => "harvest_refused",
            };
            self.actions.with_label_values(&[&vault, kind]).inc();
        }
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding");
        String::from_utf8(out).expect("utf-8 metrics")
    }
}

/// Serves `/metrics` (Prometheus text) and `/health` (200 while passes complete within
/// `stale_after`, 503 otherwise).
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    stale_after: Duration,
    stop: watch::Receiver<bool>,
) -> Result<()> {
    async fn metrics_page(State((metrics, _)): State<(Arc<Metrics>, Duration)>) -> String {
        metrics.render()
    }
    async fn health(State((metrics, stale_after)): State<(Arc<Metrics>, Duration)>) -> (StatusCode, String) {
        match *metrics.last_pass.lock().await {
            Some(at) if at.elapsed() <= stale_after => {
                (StatusCode::OK, format!("ok: last pass {} ms ago\n", at.elapsed().as_millis()))
            }
            Some(at) => {
                (StatusCode::SERVICE_UNAVAILABLE, format!("stale: last pass {} s ago\n", at.elapsed().as_secs()))
            }
            None => (StatusCode::SERVICE_UNAVAILABLE, "starting: no pass yet\n".to_string()),
        }
    }
    let app = Router::new()
        .route("/metrics", get(metrics_page))
        .route("/health", get(health))
        .with_state((metrics, stale_after));
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
    futures::future::join_all(loops).await;
    tracing::info!("stopping");
}

async fn serve_vault<C: Chain>(
    keeper: &Keeper<C>,
    vault: &Pubkey,
    interval: Duration,
    metrics: &Metrics,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match keeper.tick(vault).await {
            Ok(actions) => {
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
