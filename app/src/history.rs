//! The vault's history, built from the program's events: every state change emits one event
//! carrying the share price after it (`ballast::events`), `Unwound` carries the LTV before and
//! after. On the embedded chain the app records the log of every transaction it or its keeper
//! sends; on a cluster it reads the vault's transactions over JSON-RPC.
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use anchor_lang::{AnchorDeserialize, Event};
use anyhow::Result;
use ballast::events::*;
use ballast_keeper::chain::{Chain, Sent, Simulation};
use serde::Serialize;
use solana_sdk::account::Account;
use solana_sdk::clock::Clock;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::transaction::VersionedTransaction;

/// The share price after an event.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub slot: u64,
    pub unix_time: i64,
    pub share_price_lamports: u64,
    pub free_assets_lamports: u64,
    pub total_shares: u64,
}

/// The market's LTV after a lending action or an unwind.
#[derive(Clone, Debug, Serialize)]
pub struct LtvPoint {
    pub slot: u64,
    pub unix_time: i64,
    pub ltv_bps: u64,
}

/// One event, for the activity list.
#[derive(Clone, Debug, Serialize)]
pub struct EventRow {
    pub slot: u64,
    pub unix_time: i64,
    pub kind: String,
    pub detail: String,
    pub signature: String,
}

#[derive(Debug, Default, Serialize)]
pub struct History {
    pub points: Vec<Point>,
    pub ltv: Vec<LtvPoint>,
    /// Newest first, the last `MAX_EVENTS`.
    pub events: VecDeque<EventRow>,
    pub unwinds: u32,
}

const MAX_EVENTS: usize = 200;

fn decode<T: Event + AnchorDeserialize>(logs: &[String]) -> Vec<T> {
    ballast_client::events::<T>(logs)
}

fn sol(lamports: u64) -> String {
    crate::amount::format_sol(lamports)
}

impl History {
    /// Adds what `logs` (one transaction's) says about `vault`.
    pub fn record(&mut self, vault: &Pubkey, slot: u64, unix_time: i64, signature: &str, logs: &[String]) {
        let mut push = |kind: &str, detail: String, snapshot: Option<VaultSnapshot>| {
            if let Some(s) = snapshot {
                self.points.push(Point {
                    slot,
                    unix_time,
                    share_price_lamports: s.share_price_lamports,
                    free_assets_lamports: s.free_assets_lamports,
                    total_shares: s.total_shares,
                });
            }
            self.events.push_front(EventRow {
                slot,
                unix_time,
                kind: kind.into(),
                detail,
                signature: signature.into(),
            });
            self.events.truncate(MAX_EVENTS);
        };
        for e in decode::<VaultInitialized>(logs).into_iter().filter(|e| e.vault == *vault) {
            push("initialized", format!("seed {} SOL", sol(e.seed_deposit_lamports)), Some(e.snapshot));
        }
        for e in decode::<Deposited>(logs).into_iter().filter(|e| e.vault == *vault) {
            push(
                "deposit",
                format!("{} SOL for {} shares by {}", sol(e.lamports), sol(e.shares), e.depositor),
                Some(e.snapshot),
            );
        }
        for e in decode::<Withdrawn>(logs).into_iter().filter(|e| e.vault == *vault) {
            let detail = format!(
                "{} shares for {} SOL (fee {}, exit cost {}) to {}",
                sol(e.shares),
                sol(e.lamports),
                sol(e.fee_lamports),
                sol(e.exit_cost_lamports),
                e.owner
            );
            push("withdraw", detail, Some(e.snapshot));
        }
        for e in decode::<Staked>(logs).into_iter().filter(|e| e.vault == *vault) {
            push("stake", format!("{} SOL for {} LST", sol(e.lamports), sol(e.lst_received)), Some(e.snapshot));
        }
        for e in decode::<Harvested>(logs).into_iter().filter(|e| e.vault == *vault) {
            let detail = format!(
                "profit {} SOL, loss {} SOL, fees {} SOL, locked {} SOL",
                sol(e.profit_lamports),
                sol(e.loss_lamports),
                sol(e.management_fee_lamports + e.performance_fee_lamports),
                sol(e.locked_profit_lamports)
            );
            push("harvest", detail, Some(e.snapshot));
        }
        for e in decode::<LendingMoved>(logs).into_iter().filter(|e| e.vault == *vault) {
            let detail = format!(
                "{} {}: collateral {} LST, debt {} SOL",
                e.action,
                sol(e.amount),
                sol(e.collateral_lst),
                sol(e.debt_lamports)
            );
            push("lending", detail, Some(e.snapshot));
        }
        for e in decode::<PoolMoved>(logs).into_iter().filter(|e| e.vault == *vault) {
            let detail = format!(
                "{} {} pool tokens ({} LST, {} SOL)",
                e.action,
                e.pool_tokens,
                sol(e.lst_amount),
                sol(e.lamports)
            );
            push("pool", detail, Some(e.snapshot));
        }
        for e in decode::<Unwound>(logs).into_iter().filter(|e| e.vault == *vault) {
            let detail = format!(
                "LTV {:.2}% → {:.2}% in {} round(s): sold {} LST, repaid {} SOL, reward {} SOL",
                e.ltv_before_bps as f64 / 100.0,
                e.ltv_after_bps as f64 / 100.0,
                e.rounds,
                sol(e.lst_sold),
                sol(e.repaid_lamports),
                sol(e.reward_lamports)
            );
            push("unwind", detail, None);
            self.unwinds += 1;
            self.ltv.push(LtvPoint { slot, unix_time, ltv_bps: e.ltv_before_bps });
            self.ltv.push(LtvPoint { slot, unix_time, ltv_bps: e.ltv_after_bps });
        }
        for e in decode::<RiskParamsProposed>(logs).into_iter().filter(|e| e.vault == *vault) {
            push("params proposed", format!("effective after unix {}", e.eta_unix), None);
        }
        for _ in decode::<RiskParamsExecuted>(logs).into_iter().filter(|e| e.vault == *vault) {
            push("params executed", "new risk parameters in force".into(), None);
        }
        for e in decode::<ProposalCancelled>(logs).into_iter().filter(|e| e.vault == *vault) {
            push("proposal cancelled", format!("pending {:?} change dropped", e.kind), None);
        }
        for e in decode::<LendingProposed>(logs).into_iter().filter(|e| e.vault == *vault) {
            push("market proposed", format!("{} bindable after unix {}", e.pending.market, e.pending.eta_unix), None);
        }
        for e in decode::<PoolProposed>(logs).into_iter().filter(|e| e.vault == *vault) {
            push("pool proposed", format!("{} bindable after unix {}", e.pending.swap, e.pending.eta_unix), None);
        }
        for e in decode::<RolesProposed>(logs).into_iter().filter(|e| e.vault == *vault) {
            push("roles proposed", format!("effective after unix {}", e.pending.eta_unix), None);
        }
        for e in decode::<PauseSet>(logs).into_iter().filter(|e| e.vault == *vault) {
            push(if e.paused { "paused" } else { "unpaused" }, format!("by {}", e.by), None);
        }
    }

    /// A market move on the embedded chain (not a program event), for the activity list.
    pub fn note_market(&mut self, slot: u64, unix_time: i64, text: &str) {
        self.events.push_front(EventRow {
            slot,
            unix_time,
            kind: "market".into(),
            detail: text.into(),
            signature: String::new(),
        });
        self.events.truncate(MAX_EVENTS);
    }

    /// The market LTV now, when the page has one, appended so the chart runs to now.
    pub fn note_ltv(&mut self, slot: u64, unix_time: i64, ltv_bps: u64) {
        if self.ltv.last().is_some_and(|p| p.slot == slot && p.ltv_bps == ltv_bps) {
            return;
        }
        self.ltv.push(LtvPoint { slot, unix_time, ltv_bps });
    }

    /// Yearly growth of the share price from the oldest point inside `window_secs` to
    /// `now_price` at `now`, compounded; `None` until the history spans an hour.
    pub fn trailing_apy(&self, now: i64, now_price_lamports: u64, window_secs: i64) -> Option<f64> {
        let start = self.points.iter().find(|p| p.unix_time >= now - window_secs)?;
        let elapsed = (now - start.unix_time) as f64;
        if elapsed < 3_600.0 || start.share_price_lamports == 0 {
            return None;
        }
        let growth = now_price_lamports as f64 / start.share_price_lamports as f64;
        Some(growth.powf(365.0 * 86_400.0 / elapsed) - 1.0)
    }
}

pub type SharedHistory = Arc<Mutex<History>>;

/// A chain whose every sent transaction's log goes into the vault's history first.
#[derive(Clone)]
pub struct Recording<C> {
    pub inner: C,
    pub vault: Pubkey,
    pub history: SharedHistory,
}

impl<C: Chain> Chain for Recording<C> {
    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>> {
        self.inner.accounts(keys).await
    }

    async fn clock(&self) -> Result<Clock> {
        self.inner.clock().await
    }

    async fn simulate_transaction(&self, tx: &VersionedTransaction) -> Result<Simulation> {
        self.inner.simulate_transaction(tx).await
    }

    async fn latest_blockhash(&self) -> Result<Hash> {
        self.inner.latest_blockhash().await
    }

    async fn send_transaction(&self, tx: VersionedTransaction) -> Result<Sent> {
        let sent = self.inner.send_transaction(tx).await?;
        let clock = self.inner.clock().await?;
        self.history.lock().expect("history lock").record(
            &self.vault,
            clock.slot,
            clock.unix_timestamp,
            &sent.signature.to_string(),
            &sent.logs,
        );
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::{AnchorSerialize, Discriminator};
    use ballast::events::{Deposited, VaultSnapshot};

    fn deposited_line(vault: Pubkey, share_price_lamports: u64) -> String {
        use base64::Engine;
        let event = Deposited {
            vault,
            depositor: Pubkey::new_unique(),
            lamports: 1_000_000_000,
            shares: 1_000_000_000,
            snapshot: VaultSnapshot { free_assets_lamports: 1, total_shares: 1, share_price_lamports },
        };
        let mut bytes = Deposited::DISCRIMINATOR.to_vec();
        bytes.extend(event.try_to_vec().unwrap());
        format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// A cluster's log of a transaction with one instruction of `program` that logs `lines`.
    fn logs_of(program: Pubkey, lines: &[String]) -> Vec<String> {
        let mut logs = vec![format!("Program {program} invoke [1]")];
        logs.extend_from_slice(lines);
        logs.push(format!("Program {program} consumed 1000 of 200000 compute units"));
        logs.push(format!("Program {program} success"));
        logs
    }

    #[test]
    fn an_event_another_program_logs_does_not_move_the_chart() {
        let vault = Pubkey::new_unique();
        let mut history = History::default();
        history.record(&vault, 1, 10, "real", &logs_of(ballast::ID, &[deposited_line(vault, 1_000_000_000)]));
        assert_eq!(history.points.len(), 1);
        // Another program logs a deposit at twice the price, even after a line that reads like
        // the runtime's mark of a call into Ballast.
        let forger = Pubkey::new_unique();
        let forged = [format!("Program log: Program {} invoke [2]", ballast::ID), deposited_line(vault, 2_000_000_000)];
        history.record(&vault, 2, 20, "forged", &logs_of(forger, &forged));
        assert_eq!(history.points.len(), 1);
        assert_eq!(history.events.len(), 1);
        assert_eq!(history.points[0].share_price_lamports, 1_000_000_000);
        // Ballast called by another program is still Ballast; the caller's own line is not.
        let mut nested = vec![format!("Program {forger} invoke [1]"), deposited_line(vault, 2_000_000_000)];
        nested.extend(
            logs_of(ballast::ID, &[deposited_line(vault, 1_100_000_000)]).into_iter().map(|l| l.replace("[1]", "[2]")),
        );
        nested.push(format!("Program {forger} success"));
        history.record(&vault, 3, 30, "nested", &nested);
        assert_eq!(
            history.points.iter().map(|p| p.share_price_lamports).collect::<Vec<_>>(),
            [1_000_000_000, 1_100_000_000]
        );
    }
}
