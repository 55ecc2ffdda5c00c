//! Where a search or the advisor runs its replays. Each replay starts a program-test bank, and
//! solana-runtime 1.18 never frees one (its bank forks and its program cache hold each other),
//! so hundreds of replays in one process grow by tens of megabytes and several threads each. The
//! CLI therefore runs every replay in a child process of its own (`Subprocess`); tests with small
//! budgets run them in place (`InProcess`).
use anyhow::{bail, Context, Result};
use ballast::state::LendingVenue;
use serde::{Deserialize, Serialize};

use crate::replay::{run_on, Report};
use crate::scenario::Scenario;

/// What a search or the advisor needs from one replay.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    pub liquidations: u32,
    pub unwinds: u32,
    pub worst_ltv_bps: u64,
    pub start_debt_lamports: u64,
    pub final_equity_lamports: u64,
    pub hold_lst_lamports: u64,
}

impl From<&Report> for Summary {
    fn from(r: &Report) -> Self {
        Self {
            liquidations: r.liquidations,
            unwinds: r.unwinds,
            worst_ltv_bps: r.worst_ltv_bps,
            start_debt_lamports: r.start_debt_lamports,
            final_equity_lamports: r.final_equity_lamports,
            hold_lst_lamports: r.hold_lst_lamports,
        }
    }
}

#[allow(async_fn_in_trait)]
pub trait Runner {
    async fn run(&self, scenario: &Scenario, venue: LendingVenue, with_keeper: bool) -> Result<Summary>;
}

/// Replays in this process.
pub struct InProcess;

impl Runner for InProcess {
    async fn run(&self, scenario: &Scenario, venue: LendingVenue, with_keeper: bool) -> Result<Summary> {
        Ok(Summary::from(&run_on(scenario, venue, with_keeper, |_| {}).await?))
    }
}

/// Replays in a child process: `<exe> run-one`, the scenario on its standard input, the summary
/// as JSON on its standard output.
pub struct Subprocess {
    pub exe: std::path::PathBuf,
}

impl Subprocess {
    /// This executable (the `ballast-sim` binary).
    pub fn current() -> Result<Self> {
        Ok(Self { exe: std::env::current_exe().context("locating ballast-sim")? })
    }
}

impl Runner for Subprocess {
    async fn run(&self, scenario: &Scenario, venue: LendingVenue, with_keeper: bool) -> Result<Summary> {
        use tokio::io::AsyncWriteExt;
        // Waited on without blocking the thread: a search runs several children at once.
        let mut command = tokio::process::Command::new(&self.exe);
        command.args(["run-one", "--venue", venue.name()]);
        if !with_keeper {
            command.arg("--no-keeper");
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", self.exe.display()))?;
        let mut stdin = child.stdin.take().expect("piped");
        stdin.write_all(scenario.to_toml()?.as_bytes()).await?;
        drop(stdin);
        let out = child.wait_with_output().await?;
        if !out.status.success() {
            bail!("replay of {} failed: {}", scenario.name, String::from_utf8_lossy(&out.stderr));
        }
        serde_json::from_slice(&out.stdout).context("reading the replay's summary")
    }
}
