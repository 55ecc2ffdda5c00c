//! `ballast-sim`: replays scenario files on the embedded chain, with the keeper and without.
use anyhow::Result;
use ballast::state::LendingVenue;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ballast-sim", version, about = "The Ballast stress lab")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replays a scenario on the embedded chain, the vault at its maximum leverage, with the
    /// keeper and without it; prints a table, writes a CSV per run and a chart per venue.
    Replay {
        /// A scenario file (sim/scenarios/*.toml).
        scenario: std::path::PathBuf,
        /// Replay step in slots (the file's own by default; larger is faster and coarser).
        #[arg(long)]
        step_slots: Option<u64>,
        /// Where the CSV files and charts go.
        #[arg(long, default_value = "target/simulations")]
        out: std::path::PathBuf,
        /// The lending program the vault loops on (both, side by side, when not given).
        #[arg(long, value_enum)]
        venue: Option<VenueArg>,
    },
}

/// `--venue`: the lending programs the vault can loop on.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum VenueArg {
    /// Save (formerly Solend), its deployed program.
    Save,
    /// spl-token-lending 0.2.0.
    SplTokenLending,
}

impl From<VenueArg> for LendingVenue {
    fn from(v: VenueArg) -> Self {
        match v {
            VenueArg::Save => LendingVenue::Save,
            VenueArg::SplTokenLending => LendingVenue::SplTokenLending,
        }
    }
}

fn main() -> Result<()> {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error,solana_program_runtime::loaded_programs=off");
    }
    match Cli::parse().command {
        Command::Replay { scenario, step_slots, out, venue } => {
            let mut scenario = ballast_sim::scenario::Scenario::load(&scenario)?;
            if let Some(step) = step_slots {
                scenario.step_slots = step;
            }
            let venues = match venue {
                Some(v) => vec![v.into()],
                None => vec![LendingVenue::SplTokenLending, LendingVenue::Save],
            };
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(ballast_sim::report::simulate(&scenario, &venues, &out))?;
        }
    }
    Ok(())
}
