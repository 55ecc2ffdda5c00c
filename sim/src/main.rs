//! `ballast-sim`: replays scenario files on the embedded chain, with the keeper and without, and
//! searches families of paths for the one that liquidates the vault, and advises risk parameters
//! from scenarios.
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
    /// Searches a family of paths for the cheapest one that liquidates the vault: for draws of
    /// the other dimensions (speed, feed lag, keeper latency, pool depth, SOL liquidity), bisects
    /// the move's size. Prints the boundaries, writes the worst path as a scenario file, the
    /// survival region as a PNG and every replay as CSV.
    Search {
        #[arg(long, value_enum)]
        family: ballast_sim::search::Family,
        /// The vault's parameters and market (a scenario file; its paths are not used). Today's
        /// defaults when not given.
        #[arg(long)]
        scenario: Option<std::path::PathBuf>,
        /// Replays to spend.
        #[arg(long, default_value_t = 500)]
        paths: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Draws replayed at once, each in a child process [default: the machine's cores]
        #[arg(long)]
        jobs: Option<usize>,
        #[arg(long, value_enum, default_value = "spl-token-lending")]
        venue: VenueArg,
        /// Search the vault left alone (no keeper).
        #[arg(long)]
        no_keeper: bool,
        #[arg(long, default_value = "target/search")]
        out: std::path::PathBuf,
    },
    /// The highest leverage at which every scenario ends with no liquidation and the loss
    /// against holding the LST within the scenario's exit cost. Prints the table behind it and
    /// the RiskParams JSON that `ballast-keeper dao propose-risk-params --params` takes.
    Advise {
        /// Scenario files (their vault parameters are replaced by each candidate's).
        #[arg(required = true)]
        scenarios: Vec<std::path::PathBuf>,
        /// The market's LST borrow limit and liquidation line, percent (the harness's defaults,
        /// 85 and 90, when not given).
        #[arg(long)]
        ltv_pct: Option<u8>,
        #[arg(long)]
        liquidation_pct: Option<u8>,
        #[arg(long, value_enum, default_value = "spl-token-lending")]
        venue: VenueArg,
        /// Where the RiskParams JSON goes.
        #[arg(long, default_value = "target/advice/risk-params.json")]
        out: std::path::PathBuf,
    },
    /// One replay for a search or the advisor: the scenario on standard input, its summary as
    /// JSON on standard output.
    #[command(hide = true)]
    RunOne {
        #[arg(long, value_enum)]
        venue: VenueArg,
        #[arg(long)]
        no_keeper: bool,
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

fn main() {
    if let Err(error) = run() {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
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
        Command::Advise { scenarios, ltv_pct, liquidation_pct, venue, out } => {
            let scenarios =
                scenarios.iter().map(|p| ballast_sim::scenario::Scenario::load(p)).collect::<Result<Vec<_>>>()?;
            let mut market = ballast_sim::scenario::MarketOverrides::default();
            market.ltv_pct = ltv_pct.unwrap_or(market.ltv_pct);
            market.liquidation_threshold_pct = liquidation_pct.unwrap_or(market.liquidation_threshold_pct);
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(ballast_sim::report::advise(&scenarios, market, venue.into(), &out))?;
        }
        Command::RunOne { venue, no_keeper } => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
            let scenario = ballast_sim::scenario::Scenario::parse(&text)?;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let report = runtime.block_on(ballast_sim::replay::run_on(&scenario, venue.into(), !no_keeper, |_| {}))?;
            println!("{}", serde_json::to_string(&ballast_sim::runner::Summary::from(&report))?);
        }
        Command::Search { family, scenario, paths, seed, jobs, venue, no_keeper, out } => {
            let base = match scenario {
                Some(path) => ballast_sim::scenario::Scenario::load(&path)?,
                None => ballast_sim::scenario::Scenario::parse(ballast_sim::search::TODAY)?,
            };
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let spec = ballast_sim::search::SearchSpec {
                base: &base,
                family,
                venue: venue.into(),
                with_keeper: !no_keeper,
                budget: paths,
                seed,
                jobs,
            };
            runtime.block_on(ballast_sim::report::search(spec, &out))?;
        }
    }
    Ok(())
}
