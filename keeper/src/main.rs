//! `ballast-keeper`: operator commands for Ballast vaults.
use anchor_lang::solana_program::pubkey::Pubkey;
use anyhow::{Context, Result};
use ballast::state::RiskParams;
use ballast_client::AdminTarget;
use ballast_keeper::dao::{pool_proposal, risk_params_proposal, roles_proposal, MarketLimits, TimelockedProposal};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ballast-keeper", version, about = "Operator commands for Ballast vaults")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Watches vaults on a cluster: unwinds before the lending market could liquidate, cranks
    /// stake pools after an epoch boundary. Serves /metrics and /health.
    Run(RunArgs),
    /// Creates an address lookup table holding every account the keeper's transactions for the
    /// vaults name (or adds the missing ones to `--table`), paid by and owned by the keeper's key;
    /// prints its address for `run --lookup-table`. Transactions too large for a legacy one
    /// (`leverage_up`, the flash unwind) are sent as version 0 against it.
    LookupTable(LookupTableArgs),
    /// What a DAO submits to govern a vault.
    #[command(subcommand)]
    Dao(DaoCommand),
}

/// What a proposal needs to know of the vault, read from the chain (`--url`) or given.
#[derive(clap::Args, Debug)]
struct VaultState {
    /// Read the vault's timelock and its lending market (the LST reserve, its borrow limit and
    /// liquidation line) from this cluster (a URL or a moniker, as the Solana CLI's `-u`).
    #[arg(short = 'u', long = "url", required_unless_present = "current_timelock_secs")]
    url: Option<String>,
    /// Without --url: the vault's current `timelock_secs` (the change waits this long). No market
    /// check is made then.
    #[arg(long)]
    current_timelock_secs: Option<u32>,
    /// The governance's `min_transaction_hold_up_time`, in seconds (Realms shows it in days).
    #[arg(long, default_value_t = 86_400)]
    min_hold_up_secs: u32,
}

/// The vault as the chain has it, when `--url` was given.
struct ReadVault {
    timelock_secs: u32,
    /// The LST reserve and its limits, once a market is bound.
    market: Option<(Pubkey, MarketLimits)>,
}

fn read_vault(state: &VaultState, vault: &Pubkey) -> Result<Option<ReadVault>> {
    let Some(url) = &state.url else { return Ok(None) };
    let chain =
        ballast_keeper::chain::RpcChain::new(&rpc_url(Some(url.clone()), None), std::time::Duration::from_secs(10));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let view = runtime
        .block_on(ballast_keeper::view::VaultView::load(&chain, vault))
        .with_context(|| format!("reading vault {vault}"))?;
    let market = view.lending.as_ref().map(|l| {
        let limits = MarketLimits {
            borrow_limit_pct: l.state.lst.loan_to_value_pct,
            liquidation_threshold_pct: l.state.lst.liquidation_threshold_pct,
        };
        (l.binding.lst_reserve, limits)
    });
    Ok(Some(ReadVault { timelock_secs: view.vault.risk_params.timelock_secs, market }))
}

impl VaultState {
    fn timelock_secs(&self, read: &Option<ReadVault>) -> u32 {
        read.as_ref().map(|r| r.timelock_secs).or(self.current_timelock_secs).expect("clap requires one")
    }
}

// The variants are the subcommands an operator types (`dao propose-risk-params`, ...): every
// one prints a proposal, so every one starts with the verb.
#[allow(clippy::enum_variant_names)]
#[derive(Subcommand)]
enum DaoCommand {
    /// Prints the SPL Governance proposal (two transactions, base64) that changes a vault's risk
    /// parameters, after checking them against the vault's bounds.
    ProposeRiskParams {
        /// The vault.
        #[arg(long)]
        vault: Pubkey,
        /// The vault's admin: the DAO's governance account.
        #[arg(long)]
        governance: Pubkey,
        /// The new parameters: a JSON file with every `RiskParams` field (see
        /// keeper/examples/risk-params.json).
        #[arg(long)]
        params: std::path::PathBuf,
        #[command(flatten)]
        vault_state: VaultState,
    },
    /// Prints the SPL Governance proposal (two transactions, base64) that binds a vault to a
    /// stable LST/SOL pool after the vault's timelock (the governance's native treasury pays the
    /// vault's two new token accounts).
    ProposePool {
        #[arg(long)]
        vault: Pubkey,
        /// The vault's admin: the DAO's governance account.
        #[arg(long)]
        governance: Pubkey,
        /// The spl-token-swap pool, and its pool-token mint.
        #[arg(long)]
        swap: Pubkey,
        #[arg(long)]
        pool_mint: Pubkey,
        #[command(flatten)]
        vault_state: VaultState,
    },
    /// Prints the SPL Governance proposal (two transactions, base64) that names a vault's
    /// guardian, allocator and fee recipient after the vault's timelock.
    ProposeRoles {
        #[arg(long)]
        vault: Pubkey,
        /// The vault's admin: the DAO's governance account.
        #[arg(long)]
        governance: Pubkey,
        #[arg(long)]
        guardian: Pubkey,
        #[arg(long)]
        allocator: Pubkey,
        #[arg(long)]
        fee_recipient: Pubkey,
        #[command(flatten)]
        vault_state: VaultState,
    },
}

#[derive(clap::Args, Debug)]
struct LookupTableArgs {
    /// JSON-RPC endpoint or moniker, as `run` takes it.
    #[arg(short = 'u', long = "url")]
    rpc_url: Option<String>,
    /// The keeper's keypair, as `run` takes it.
    #[arg(short = 'k', long)]
    keypair: Option<std::path::PathBuf>,
    /// Vaults whose accounts the table holds (repeat, or comma-separated).
    #[arg(long = "vault", value_delimiter = ',', required = true)]
    vaults: Vec<Pubkey>,
    /// The vaults' SOL/USD Pyth price-update account, when the keeper is their allocator.
    #[arg(long, requires = "lst_usd_update")]
    sol_usd_update: Option<Pubkey>,
    #[arg(long, requires = "sol_usd_update")]
    lst_usd_update: Option<Pubkey>,
    /// Add to this table (the keeper's key its authority) instead of creating one.
    #[arg(long)]
    table: Option<Pubkey>,
}

/// Flags override the environment, which overrides the `--config` file, which overrides the
/// defaults.
#[derive(clap::Args, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RunArgs {
    /// A TOML file with any of the settings below (same names, snake_case).
    #[arg(long)]
    #[serde(skip)]
    config: Option<std::path::PathBuf>,
    /// JSON-RPC endpoint, or a moniker as the Solana CLI's `-u` takes (mainnet-beta, devnet,
    /// testnet, localhost, or their first letter) [default: the Solana CLI config's, else
    /// http://127.0.0.1:8899]
    #[arg(short = 'u', long = "url", visible_alias = "rpc-url", env = "BALLAST_RPC_URL")]
    rpc_url: Option<String>,
    /// The keeper's keypair (pays fees, receives rewards), as the Solana CLI's `-k` [default: the
    /// Solana CLI config's, else ~/.config/solana/id.json]
    #[arg(short = 'k', long, env = "BALLAST_KEYPAIR")]
    keypair: Option<std::path::PathBuf>,
    /// Vaults to watch (repeat, or comma-separated).
    #[arg(long = "vault", env = "BALLAST_VAULTS", value_delimiter = ',')]
    #[serde(default)]
    vaults: Vec<String>,
    /// Milliseconds between passes [default: 400]
    #[arg(long, env = "BALLAST_INTERVAL_MS")]
    interval_ms: Option<u64>,
    /// The least priority fee, micro-lamports per compute unit [default: 10000]
    #[arg(long, env = "BALLAST_PRIORITY_FEE")]
    priority_fee_micro_lamports: Option<u64>,
    /// The priority fee paid: this percentile of the recent fees on the accounts a transaction
    /// writes (getRecentPrioritizationFees) [default: 75]
    #[arg(long, env = "BALLAST_PRIORITY_FEE_PERCENTILE", value_parser = clap::value_parser!(u8).range(0..=100))]
    priority_fee_percentile: Option<u8>,
    /// The most priority fee paid, micro-lamports per compute unit [default: 200000]
    #[arg(long, env = "BALLAST_PRIORITY_FEE_CAP")]
    priority_fee_cap_micro_lamports: Option<u64>,
    /// Compute units asked for above what the transaction's simulation used, percent, by a
    /// transaction that adds risk or can wait (an unwind, repaying or leaving the loop asks for
    /// the most a transaction may) [default: 20]
    #[arg(long, env = "BALLAST_COMPUTE_UNIT_MARGIN_PCT")]
    compute_unit_margin_pct: Option<u32>,
    /// At most this many RPC requests a second, across every vault; 0: no limit [default: 25]
    #[arg(long, env = "BALLAST_RPC_REQUESTS_PER_SECOND")]
    rpc_requests_per_second: Option<u32>,
    /// /health turns red when no pass succeeded for this many intervals [default: 20]
    #[arg(long, env = "BALLAST_HEALTH_STALE_PASSES")]
    health_stale_passes: Option<u32>,
    /// /health turns red when the keeper holds less SOL than this, lamports [default:
    /// 100000000: an unwind of 400,000 compute units at the default fee cap, 0.08 SOL, plus the
    /// flash loan's wSOL account rent and the base fees]
    #[arg(long, env = "BALLAST_MIN_BALANCE_LAMPORTS")]
    min_balance_lamports: Option<u64>,
    /// Address of /metrics and /health [default: 127.0.0.1:9464]
    #[arg(long, env = "BALLAST_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// As the vaults' allocator: the vault's SOL/USD Pyth price-update account (with
    /// --lst-usd-update, the keeper also keeps leverage in the band and repays on negative carry).
    #[arg(long, env = "BALLAST_SOL_USD_UPDATE", requires = "lst_usd_update")]
    sol_usd_update: Option<String>,
    /// As the vaults' allocator: the vault's LST/USD Pyth price-update account.
    #[arg(long, env = "BALLAST_LST_USD_UPDATE", requires = "sol_usd_update")]
    lst_usd_update: Option<String>,
    /// The address lookup table of the vaults' accounts (`ballast-keeper lookup-table` makes
    /// one): transactions too large for a legacy one are sent as version 0 against it.
    #[arg(long, env = "BALLAST_LOOKUP_TABLE")]
    lookup_table: Option<String>,
    /// Harvest a vault once this many seconds passed since its last harvest; 0: never on a
    /// schedule [default: 21600]
    #[arg(long, env = "BALLAST_HARVEST_INTERVAL_SECS")]
    harvest_interval_secs: Option<u64>,
    /// Harvest right after an unwind or leaving the loop [default: true]
    #[arg(long, env = "BALLAST_HARVEST_AFTER_UNWIND")]
    harvest_after_unwind: Option<bool>,
    /// As allocator: the window, in slots, over which the LST's discount to its rate is
    /// followed [default: 648000, three days]
    #[arg(long, env = "BALLAST_DISCOUNT_WINDOW_SLOTS")]
    discount_window_slots: Option<u64>,
    /// As allocator: the least widening of the discount across the window (bps) that counts as
    /// a trend, which leaves the loop when it outruns the carry [default: 50]
    #[arg(long, env = "BALLAST_DISCOUNT_EXIT_BPS")]
    discount_exit_bps: Option<u64>,
}

impl RunArgs {
    fn merged(self) -> Result<Self> {
        let Some(path) = &self.config else { return Ok(self) };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file: RunArgs = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        Ok(RunArgs {
            config: self.config,
            rpc_url: self.rpc_url.or(file.rpc_url),
            keypair: self.keypair.or(file.keypair),
            vaults: if self.vaults.is_empty() { file.vaults } else { self.vaults },
            interval_ms: self.interval_ms.or(file.interval_ms),
            priority_fee_micro_lamports: self.priority_fee_micro_lamports.or(file.priority_fee_micro_lamports),
            priority_fee_percentile: self.priority_fee_percentile.or(file.priority_fee_percentile),
            priority_fee_cap_micro_lamports: self
                .priority_fee_cap_micro_lamports
                .or(file.priority_fee_cap_micro_lamports),
            compute_unit_margin_pct: self.compute_unit_margin_pct.or(file.compute_unit_margin_pct),
            health_stale_passes: self.health_stale_passes.or(file.health_stale_passes),
            rpc_requests_per_second: self.rpc_requests_per_second.or(file.rpc_requests_per_second),
            min_balance_lamports: self.min_balance_lamports.or(file.min_balance_lamports),
            listen: self.listen.or(file.listen),
            sol_usd_update: self.sol_usd_update.or(file.sol_usd_update),
            lst_usd_update: self.lst_usd_update.or(file.lst_usd_update),
            lookup_table: self.lookup_table.or(file.lookup_table),
            harvest_interval_secs: self.harvest_interval_secs.or(file.harvest_interval_secs),
            harvest_after_unwind: self.harvest_after_unwind.or(file.harvest_after_unwind),
            discount_window_slots: self.discount_window_slots.or(file.discount_window_slots),
            discount_exit_bps: self.discount_exit_bps.or(file.discount_exit_bps),
        })
    }
}

async fn run(args: RunArgs) -> Result<()> {
    use ballast_keeper::chain::RpcChain;
    use ballast_keeper::keeper::{Keeper, KeeperConfig};
    use ballast_keeper::service;
    use std::sync::Arc;
    use std::time::Duration;

    let args = args.merged()?;
    anyhow::ensure!(!args.vaults.is_empty(), "no vault to watch: pass --vault");
    let vaults = args
        .vaults
        .iter()
        .map(|v| v.parse::<Pubkey>().with_context(|| format!("vault {v}")))
        .collect::<Result<Vec<_>>>()?;
    let (keypair, rpc_url) = keypair_and_url(args.keypair, args.rpc_url)?;
    let allocator = match (&args.sol_usd_update, &args.lst_usd_update) {
        (Some(sol), Some(lst)) => Some(ballast_keeper::view::PriceUpdates {
            sol_usd: sol.parse().with_context(|| format!("SOL/USD update {sol}"))?,
            lst_usd: lst.parse().with_context(|| format!("LST/USD update {lst}"))?,
        }),
        _ => None,
    };
    let defaults = KeeperConfig::default();
    let config = KeeperConfig {
        priority_fee_micro_lamports: args.priority_fee_micro_lamports.unwrap_or(defaults.priority_fee_micro_lamports),
        priority_fee_percentile: args.priority_fee_percentile.unwrap_or(defaults.priority_fee_percentile),
        priority_fee_cap_micro_lamports: args
            .priority_fee_cap_micro_lamports
            .unwrap_or(defaults.priority_fee_cap_micro_lamports),
        compute_unit_margin_pct: args.compute_unit_margin_pct.unwrap_or(defaults.compute_unit_margin_pct),
        allocator,
        lookup_table: args
            .lookup_table
            .map(|t| t.parse::<Pubkey>().with_context(|| format!("lookup table {t}")))
            .transpose()?,
        harvest_interval_secs: match args.harvest_interval_secs {
            Some(0) => None,
            Some(secs) => Some(secs),
            None => defaults.harvest_interval_secs,
        },
        harvest_after_unwind: args.harvest_after_unwind.unwrap_or(defaults.harvest_after_unwind),
        discount_trend: ballast_keeper::trend::TrendConfig {
            window_slots: args.discount_window_slots.unwrap_or(defaults.discount_trend.window_slots),
            exit_bps: args.discount_exit_bps.unwrap_or(defaults.discount_trend.exit_bps),
        },
        ..defaults
    };
    let interval = Duration::from_millis(args.interval_ms.unwrap_or(400));
    let mut chain = RpcChain::new(&rpc_url, Duration::from_secs(10));
    chain.pace = ballast_keeper::chain::Pace::per_second(args.rpc_requests_per_second.unwrap_or(25));
    let keeper = Keeper::new(chain, keypair, config);
    let metrics = Arc::new(service::Metrics::new()?);
    let listen = args.listen.unwrap_or_else(|| "127.0.0.1:9464".parse().expect("address"));
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
    tracing::info!(%rpc_url, %listen, vaults = vaults.len(), "keeper started");

    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let rules = service::HealthRules {
        stale_after: interval * args.health_stale_passes.unwrap_or(20) + Duration::from_secs(30),
        min_balance_lamports: args.min_balance_lamports.unwrap_or(100_000_000),
    };
    let server = tokio::spawn(service::serve(listener, metrics.clone(), rules, stop.clone()));
    service::run(&keeper, &vaults, interval, &metrics, stop).await;
    server.await??;
    Ok(())
}

/// The keeper's keypair (`-k`, else the Solana CLI config's, else ~/.config/solana/id.json) and
/// the endpoint (`-u`, else the CLI config's, else a local validator's).
fn keypair_and_url(
    keypair: Option<std::path::PathBuf>,
    url: Option<String>,
) -> Result<(solana_sdk::signature::Keypair, String)> {
    let cli = solana_cli_config();
    let keypair_path = match keypair {
        Some(path) => path,
        None => cli.keypair_path.clone().unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".config/solana/id.json")
        }),
    };
    let keypair = solana_sdk::signature::read_keypair_file(&keypair_path)
        .map_err(|e| anyhow::anyhow!("reading keypair {}: {e}", keypair_path.display()))?;
    Ok((keypair, rpc_url(url, cli.json_rpc_url)))
}

/// Creates or extends the keeper's lookup table with the vaults' accounts.
async fn lookup_table(args: LookupTableArgs) -> Result<()> {
    use ballast_keeper::lookup_table;
    use solana_sdk::signature::Signer;
    let (keypair, url) = keypair_and_url(args.keypair, args.rpc_url)?;
    let chain = ballast_keeper::chain::RpcChain::new(&url, std::time::Duration::from_secs(30));
    let prices = match (args.sol_usd_update, args.lst_usd_update) {
        (Some(sol_usd), Some(lst_usd)) => Some(ballast_keeper::view::PriceUpdates { sol_usd, lst_usd }),
        _ => None,
    };
    let mut addresses = Vec::new();
    for vault in &args.vaults {
        let view = ballast_keeper::view::VaultView::load(&chain, vault)
            .await
            .with_context(|| format!("reading vault {vault}"))?;
        for key in lookup_table::vault_addresses(&view, &keypair.pubkey(), prices.as_ref()) {
            if !addresses.contains(&key) {
                addresses.push(key);
            }
        }
    }
    let table = match args.table {
        Some(table) => {
            let added = lookup_table::extend(&chain, &keypair, &table, &addresses).await?;
            println!("added {added} addresses to {table}");
            table
        }
        None => {
            let table = lookup_table::create(&chain, &keypair, &addresses).await?;
            println!("created {table} with {} addresses", addresses.len());
            table
        }
    };
    println!("run the keeper with --lookup-table {table}");
    Ok(())
}

/// The endpoint from `-u` (a URL or the Solana CLI's monikers), else the CLI config's, else a
/// local validator's.
fn rpc_url(arg: Option<String>, cli_config: Option<String>) -> String {
    let url = arg.or(cli_config).unwrap_or_else(|| "http://127.0.0.1:8899".to_string());
    solana_clap_utils::input_validators::normalize_to_url_if_moniker(url)
}

/// Ctrl-C, or SIGTERM (what a service manager or a container runtime sends to stop a process).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// What the Solana CLI's config (`~/.config/solana/cli/config.yml`, read by the CLI's own
/// crate) says about the cluster and the keypair; nothing when there is no such file.
#[derive(Default)]
struct SolanaCliConfig {
    json_rpc_url: Option<String>,
    keypair_path: Option<std::path::PathBuf>,
}

fn solana_cli_config() -> SolanaCliConfig {
    let Some(file) = solana_cli_config::CONFIG_FILE.as_ref() else { return SolanaCliConfig::default() };
    match solana_cli_config::Config::load(file) {
        Ok(config) => SolanaCliConfig {
            json_rpc_url: Some(config.json_rpc_url).filter(|url| !url.is_empty()),
            keypair_path: Some(config.keypair_path).filter(|path| !path.is_empty()).map(Into::into),
        },
        Err(_) => SolanaCliConfig::default(),
    }
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,solana_program_runtime=off,solana_runtime=off".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Run(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(run(args))?;
        }
        Command::LookupTable(args) => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(lookup_table(args))?;
        }
        Command::Dao(DaoCommand::ProposeRiskParams { vault, governance, params, vault_state }) => {
            let text = std::fs::read_to_string(&params).with_context(|| format!("reading {}", params.display()))?;
            let new_params: RiskParams =
                serde_json::from_str(&text).with_context(|| format!("parsing {}", params.display()))?;
            let read = read_vault(&vault_state, &vault)?;
            let lst_reserve = read.as_ref().and_then(|r| r.market.map(|(reserve, _)| reserve));
            let market = read.as_ref().and_then(|r| r.market.map(|(_, limits)| limits));
            if let Some((reserve, m)) = read.as_ref().and_then(|r| r.market) {
                println!(
                    "market (read from chain): LST reserve {reserve}, borrow limit {}%, liquidation at {}%",
                    m.borrow_limit_pct, m.liquidation_threshold_pct
                );
            }
            let target = AdminTarget { vault, admin: governance, lst_reserve };
            let timelock = vault_state.timelock_secs(&read);
            let proposal = risk_params_proposal(&target, new_params, timelock, vault_state.min_hold_up_secs, market)
                .context("the vault would refuse these parameters")?;
            println!("bounds: ok (checked locally with the program's own RiskParams::validate)");
            if let Some(m) = market {
                let floor_bps = m.floor_for_a_jump_from_the_trigger_bps(&new_params)?;
                if new_params.min_sol_reserve_bps < floor_bps {
                    println!(
                        "note: on a market without a flash loan (spl-token-lending), a reserve floor of {} bps \
                         cannot start an unwind after a one-step jump from the trigger to the liquidation line; \
                         that takes {floor_bps} bps (on Save the flash loan does)",
                        new_params.min_sol_reserve_bps
                    );
                }
            }
            if read.is_none() {
                println!(
                    "note: without --url the vault's market is not read, and the unwind trigger is not checked \
                     against it here (the program checks it when the proposal is made)"
                );
            }
            let fees_change = new_params.management_fee_bps != 0 || new_params.performance_fee_bps != 0;
            if fees_change {
                println!(
                    "note: if the fees differ from those in force, transaction 1 must run in the same second as a \
                     harvest (anyone may send one just before it), or the vault refuses it with HarvestRequired"
                );
            }
            print_proposal(&governance, &vault, &proposal, "the new parameters");
        }
        Command::Dao(DaoCommand::ProposePool { vault, governance, swap, pool_mint, vault_state }) => {
            let target = AdminTarget { vault, admin: governance, lst_reserve: None };
            let timelock = vault_state.timelock_secs(&read_vault(&vault_state, &vault)?);
            let proposal = pool_proposal(&target, swap, pool_mint, timelock, vault_state.min_hold_up_secs);
            print_proposal(&governance, &vault, &proposal, "the pool");
        }
        Command::Dao(DaoCommand::ProposeRoles {
            vault,
            governance,
            guardian,
            allocator,
            fee_recipient,
            vault_state,
        }) => {
            let target = AdminTarget { vault, admin: governance, lst_reserve: None };
            let roles = [guardian, allocator, fee_recipient];
            let timelock = vault_state.timelock_secs(&read_vault(&vault_state, &vault)?);
            let proposal = roles_proposal(&target, roles, timelock, vault_state.min_hold_up_secs);
            print_proposal(&governance, &vault, &proposal, "the new roles");
        }
    }
    Ok(())
}

/// The proposal's transactions as a governance UI takes them, and when the change applies.
fn print_proposal(governance: &Pubkey, vault: &Pubkey, proposal: &TimelockedProposal, what: &str) {
    println!(
        "proposal for governance {governance}, vault {vault}: one option, {} transactions",
        proposal.transactions.len()
    );
    for (index, tx) in proposal.transactions.iter().enumerate() {
        println!(
            "\ntransaction {index}: {} (hold-up {} s after the vote succeeds: {} in Realms' hold-up field)",
            tx.label,
            tx.hold_up_secs,
            days(tx.hold_up_secs)
        );
        println!("{}", tx.base64());
    }
    println!(
        "\nETA: {what} can apply {} after transaction 0 executes; transaction 1 runs no sooner than {} after \
         the vote succeeds, and no later than {} after its ETA (then the vault treats the proposal as void). \
         Until then depositors see the pending change on chain and the DAO can cancel it with cancel_proposal.",
        days(proposal.timelock_secs),
        days(proposal.transactions[1].hold_up_secs),
        days(ballast::state::PROPOSAL_GRACE_SECS as u32)
    );
}

/// Seconds as Realms takes a hold-up: days, to the hundredth, rounded up (a shorter hold-up than
/// the proposal needs would let transaction 1 run before the vault accepts it).
fn days(secs: u32) -> String {
    let hundredths = (secs as u64 * 100).div_ceil(86_400);
    format!("{}.{:02} days", hundredths / 100, hundredths % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn url_and_keypair_flags_read_as_the_solana_clis() {
        let vault = Pubkey::new_unique().to_string();
        let cli =
            Cli::try_parse_from(["ballast-keeper", "run", "-u", "d", "-k", "/k.json", "--vault", &vault]).unwrap();
        let Command::Run(args) = cli.command else { panic!("not run") };
        assert_eq!(args.keypair.as_deref(), Some(std::path::Path::new("/k.json")));
        assert_eq!(rpc_url(args.rpc_url, None), "https://api.devnet.solana.com");
        for (given, url) in [
            ("mainnet-beta", "https://api.mainnet-beta.solana.com"),
            ("t", "https://api.testnet.solana.com"),
            ("localhost", "http://localhost:8899"),
            ("https://rpc.example:8899", "https://rpc.example:8899"),
        ] {
            let cli = Cli::try_parse_from(["ballast-keeper", "run", "--url", given, "--vault", &vault]).unwrap();
            let Command::Run(args) = cli.command else { panic!("not run") };
            assert_eq!(rpc_url(args.rpc_url, None), url);
        }
        // The older spelling still works; without a flag, the CLI config's URL, else a local one.
        let cli = Cli::try_parse_from(["ballast-keeper", "run", "--rpc-url", "d", "--vault", &vault]).unwrap();
        let Command::Run(args) = cli.command else { panic!("not run") };
        assert_eq!(rpc_url(args.rpc_url, None), "https://api.devnet.solana.com");
        assert_eq!(rpc_url(None, Some("https://cfg.example".into())), "https://cfg.example");
        assert_eq!(rpc_url(None, None), "http://127.0.0.1:8899");
    }

    #[test]
    fn a_proposal_reads_the_vault_from_a_cluster_or_is_told_its_timelock() {
        let (vault, gov) = (Pubkey::new_unique().to_string(), Pubkey::new_unique().to_string());
        let base = ["ballast-keeper", "dao", "propose-roles", "--vault", &vault, "--governance", &gov];
        let roles = ["--guardian", &vault, "--allocator", &vault, "--fee-recipient", &vault];
        let parse = |extra: &[&str]| Cli::try_parse_from(base.iter().chain(roles.iter()).chain(extra.iter()));
        assert!(parse(&[]).is_err(), "neither --url nor --current-timelock-secs");
        let Command::Dao(DaoCommand::ProposeRoles { vault_state, .. }) = parse(&["-u", "devnet"]).unwrap().command
        else {
            panic!("not propose-roles")
        };
        assert_eq!(vault_state.url.as_deref(), Some("devnet"));
        assert_eq!(vault_state.min_hold_up_secs, 86_400, "a day unless told");
        let Command::Dao(DaoCommand::ProposeRoles { vault_state, .. }) =
            parse(&["--current-timelock-secs", "172800", "--min-hold-up-secs", "3600"]).unwrap().command
        else {
            panic!("not propose-roles")
        };
        assert_eq!(vault_state.timelock_secs(&None), 172_800);
        assert_eq!(vault_state.min_hold_up_secs, 3_600);
    }

    #[test]
    fn hold_ups_read_in_days_rounded_up() {
        assert_eq!(days(86_400), "1.00 days");
        assert_eq!(days(86_400 + 172_800), "3.00 days");
        assert_eq!(days(3_600), "0.05 days");
        assert_eq!(days(1), "0.01 days");
        assert_eq!(days(0), "0.00 days");
    }

    #[test]
    fn the_solana_cli_config_is_read_as_the_cli_writes_it() {
        // The file as `solana config set` writes it, under a HOME of this test's own (each test
        // runs in a process of its own, and the config's path is read once per process).
        let home = std::env::temp_dir().join(format!("ballast-keeper-home-{}", std::process::id()));
        let dir = home.join(".config/solana/cli");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("config.yml"),
            "---\njson_rpc_url: \"https://api.devnet.solana.com\"\nwebsocket_url: \"\"\nkeypair_path: /home/op/keeper.json\naddress_labels:\n  \"11111111111111111111111111111111\": System Program\ncommitment: confirmed\n",
        )
        .unwrap();
        std::env::set_var("HOME", &home);
        let config = solana_cli_config();
        assert_eq!(config.json_rpc_url.as_deref(), Some("https://api.devnet.solana.com"));
        assert_eq!(config.keypair_path.as_deref(), Some(std::path::Path::new("/home/op/keeper.json")));
        std::fs::remove_dir_all(home).unwrap();
    }
}
