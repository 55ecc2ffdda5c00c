//! `ballast-keeper`: operator commands for Ballast vaults.
use anchor_lang::solana_program::pubkey::Pubkey;
use anyhow::{Context, Result};
use ballast::client::AdminTarget;
use ballast::state::RiskParams;
use ballast_keeper::dao::risk_params_proposal;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ballast-keeper", version, about = "Operator commands for Ballast vaults")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replays a scenario's price path on the embedded chain, the vault at its maximum
    /// leverage, with the keeper and without it; prints a table and writes CSV.
    Simulate {
        /// A scenario file (keeper/scenarios/*.toml).
        #[arg(long)]
        scenario: std::path::PathBuf,
        /// Replay step in slots (the file's own by default; larger is faster and coarser).
        #[arg(long)]
        step_slots: Option<u64>,
        /// Where the CSV files go.
        #[arg(long, default_value = "target/simulations")]
        out: std::path::PathBuf,
    },
    /// What a DAO submits to govern a vault.
    #[command(subcommand)]
    Dao(DaoCommand),
}

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
        /// The vault's current `timelock_secs` (the new parameters wait this long).
        #[arg(long)]
        current_timelock_secs: u32,
        /// The governance's `min_transaction_hold_up_time`.
        #[arg(long, default_value_t = 0)]
        min_hold_up_secs: u32,
        /// The LST reserve of the vault's lending market, once bound (the program checks the
        /// unwind trigger against it).
        #[arg(long)]
        lst_reserve: Option<Pubkey>,
        /// That reserve's liquidation threshold in percent, to run the same check here.
        #[arg(long, requires = "lst_reserve")]
        liquidation_threshold_pct: Option<u8>,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Simulate { scenario, step_slots, out } => {
            let mut scenario = ballast_keeper::sim::Scenario::load(&scenario)?;
            if let Some(step) = step_slots {
                scenario.step_slots = step;
            }
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(ballast_keeper::report::simulate(&scenario, &out))?;
        }
        Command::Dao(DaoCommand::ProposeRiskParams {
            vault,
            governance,
            params,
            current_timelock_secs,
            min_hold_up_secs,
            lst_reserve,
            liquidation_threshold_pct,
        }) => {
            let text = std::fs::read_to_string(&params).with_context(|| format!("reading {}", params.display()))?;
            let new_params: RiskParams =
                serde_json::from_str(&text).with_context(|| format!("parsing {}", params.display()))?;
            let target = AdminTarget { vault, admin: governance, lst_reserve };
            let proposal = risk_params_proposal(
                &target,
                new_params,
                current_timelock_secs,
                min_hold_up_secs,
                liquidation_threshold_pct,
            )
            .context("the vault would refuse these parameters")?;
            println!("bounds: ok (checked locally with the program's own RiskParams::validate)");
            if lst_reserve.is_some() && liquidation_threshold_pct.is_none() {
                println!(
                    "note: pass --liquidation-threshold-pct to check the unwind trigger against the market here too"
                );
            }
            println!(
                "proposal for governance {governance}, vault {vault}: one option, {} transactions",
                proposal.transactions.len()
            );
            for (index, tx) in proposal.transactions.iter().enumerate() {
                println!("\ntransaction {index}: {} (hold-up {} s after the vote succeeds)", tx.label, tx.hold_up_secs);
                println!("{}", tx.base64());
            }
            println!(
                "\nETA: the new parameters can apply {} s after transaction 0 executes; transaction 1 runs no \
                 sooner than {} s after the vote succeeds. Until then depositors see the pending change on chain \
                 and the DAO can cancel it with cancel_risk_params.",
                proposal.timelock_secs, proposal.transactions[1].hold_up_secs
            );
        }
    }
    Ok(())
}
