//! Deposit and withdraw as Solana Actions: `GET` returns what a wallet shows, `POST` with the
//! user's account returns an unsigned transaction with the user as fee payer; `/actions.json`
//! maps the site's paths to them. The same builders serve the page's demo wallet.
use anchor_lang::solana_program::native_token::LAMPORTS_PER_SOL;
use ballast_client::share_account;
use ballast_keeper::chain::{Chain, Sent};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::instruction::Instruction;
use solana_sdk::message::Message;
use solana_sdk::program_pack::Pack;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::transaction::{Transaction, VersionedTransaction};

use crate::amount::{format_sol, parse_sol};
use crate::error::{anchor_error, ApiError, ApiResult};
use crate::server::App;
use crate::summary::VaultSummary;

/// What a transaction's fee and a fresh share account cost the user at most, lamports: the
/// signature fee with room for a priority fee, and the rent of a token account.
const FEE_MARGIN_LAMPORTS: u64 = 100_000;

/// A transaction for the user to sign, and what it does in words.
#[derive(Debug)]
pub struct Built {
    pub transaction: Transaction,
    pub message: String,
}

/// The POST response of an Action.
#[derive(Debug, Serialize, Deserialize)]
pub struct ActionPostResponse {
    #[serde(rename = "type")]
    pub kind: String,
    /// bincode of the unsigned `Transaction`, base64.
    pub transaction: String,
    pub message: String,
}

impl Built {
    pub fn response(&self) -> ActionPostResponse {
        let bytes = bincode::serialize(&self.transaction).expect("in-memory serialisation");
        ActionPostResponse {
            kind: "transaction".into(),
            transaction: base64::engine::general_purpose::STANDARD.encode(bytes),
            message: self.message.clone(),
        }
    }
}

pub fn parse_account(text: &str) -> ApiResult<Pubkey> {
    text.trim().parse().map_err(|_| ApiError::bad_request(format!("'{text}' is not a Solana account address")))
}

/// The most compute units a transaction may ask for.
const MAX_COMPUTE_UNITS: u32 = 1_400_000;
/// Compute units asked for above what the simulation used, percent.
const COMPUTE_UNIT_MARGIN_PCT: u64 = 20;

/// The user's transaction of `ixs`, simulated before it is offered: one that would fail is
/// answered with the program's error, named, and nothing to sign; one that would land asks for
/// the compute units its simulation used plus a margin.
async fn prepared(app: &App, ixs: &[Instruction], payer: &Pubkey) -> ApiResult<Transaction> {
    let blockhash = app.chain.latest_blockhash().await?;
    let with_limit = |units: u32| {
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(units)];
        all.extend_from_slice(ixs);
        Transaction::new_unsigned(Message::new_with_blockhash(&all, Some(payer), &blockhash))
    };
    let simulation = app.chain.simulate_transaction(&with_limit(MAX_COMPUTE_UNITS).into()).await?;
    if let Some(error) = simulation.error {
        let named = anchor_error(&simulation.logs).unwrap_or_else(|| format!("the transaction would fail: {error}"));
        return Err(ApiError::unprocessable(named));
    }
    let units = simulation.units_consumed.map_or(MAX_COMPUTE_UNITS as u64, |used| {
        (used.saturating_mul(100 + COMPUTE_UNIT_MARGIN_PCT) / 100).min(MAX_COMPUTE_UNITS as u64)
    });
    Ok(with_limit(units as u32))
}

/// Simulates a signed `tx` (a failure is named and nothing is sent), then sends it.
pub async fn send_checked(chain: &impl Chain, tx: VersionedTransaction) -> ApiResult<Sent> {
    let simulation = chain.simulate_transaction(&tx).await?;
    if let Some(error) = simulation.error {
        let named = anchor_error(&simulation.logs).unwrap_or(error);
        return Err(ApiError::unprocessable(format!("the transaction would fail, nothing was sent: {named}")));
    }
    Ok(chain.send_transaction(tx).await?)
}

/// Whether the app relays `tx` for a user's wallet: only a transaction of the kind its Actions
/// build (the vault's instructions on `vault`, with a compute budget and the share account's
/// creation), so the app is no open relay.
pub fn relayable(tx: &Transaction, vault: &Pubkey) -> ApiResult<()> {
    let keys = &tx.message.account_keys;
    let allowed = [ballast::ID, solana_sdk::compute_budget::id(), ASSOCIATED_TOKEN_PROGRAM_ID];
    let mut names_vault = false;
    for ix in &tx.message.instructions {
        let program = keys.get(ix.program_id_index as usize).copied().unwrap_or_default();
        if !allowed.contains(&program) {
            return Err(ApiError::bad_request(format!(
                "the app relays only the vault's transactions, not {program}'s"
            )));
        }
        names_vault |= program == ballast::ID && ix.accounts.iter().any(|&i| keys.get(i as usize) == Some(vault));
    }
    if !names_vault {
        return Err(ApiError::bad_request("the transaction does not act on this vault"));
    }
    Ok(())
}

/// The associated token account program, which creates a depositor's share account.
const ASSOCIATED_TOKEN_PROGRAM_ID: Pubkey = solana_sdk::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

fn rent_of_token_account() -> u64 {
    solana_sdk::rent::Rent::default().minimum_balance(spl_token::state::Account::LEN)
}

/// (shares held, lamports they are worth now) of `owner`.
pub async fn position(
    app: &App,
    summary: &VaultSummary,
    vault: &ballast::state::Vault,
    owner: &Pubkey,
) -> ApiResult<(u64, u64)> {
    let account = app.chain.account(&share_account(vault, owner)).await?;
    let shares = match account {
        Some(a) => spl_token::state::Account::unpack(&a.data).map_err(anyhow::Error::from)?.amount,
        None => 0,
    };
    let value = if summary.share_supply == 0 {
        0
    } else {
        (shares as u128 * summary.free_assets_lamports as u128 / summary.share_supply as u128) as u64
    };
    Ok((shares, value))
}

/// `deposit(amount)` by `account`, with its share account created when missing.
pub async fn build_deposit(app: &App, vault_key: &Pubkey, account: &Pubkey, amount: &str) -> ApiResult<Built> {
    let lamports = parse_sol(amount)?;
    let (summary, view) = VaultSummary::load(&app.chain, vault_key).await?;
    let vault = &view.vault;
    if vault.paused {
        return Err(ApiError::unprocessable("deposits are paused by the vault's guardian (withdrawals are not)"));
    }
    let balance = app.chain.account(account).await?.map(|a| a.lamports).unwrap_or(0);
    let share_account_missing = app.chain.account(&share_account(vault, account)).await?.is_none();
    let costs = FEE_MARGIN_LAMPORTS + if share_account_missing { rent_of_token_account() } else { 0 };
    if lamports.saturating_add(costs) > balance {
        return Err(ApiError::bad_request(format!(
            "{} SOL is above your balance of {} SOL (keep {} SOL for the fee and the share account)",
            format_sol(lamports),
            format_sol(balance),
            format_sol(costs)
        )));
    }
    let cap = vault.risk_params.deposit_cap_lamports;
    if summary.tvl_lamports.saturating_add(lamports) > cap {
        return Err(ApiError::bad_request(format!(
            "{} SOL is above the vault's deposit cap: room for {} SOL",
            format_sol(lamports),
            format_sol(cap.saturating_sub(summary.tvl_lamports))
        )));
    }
    // The shares the deposit mints at today's price, less the vault's slippage band: what a
    // sandwich could take at most.
    let expected = if summary.free_assets_lamports == 0 {
        lamports
    } else {
        (lamports as u128 * summary.share_supply as u128 / summary.free_assets_lamports as u128) as u64
    };
    let min_shares_out = (expected as u128 * (10_000 - vault.risk_params.max_slippage_bps as u128) / 10_000) as u64;
    let ixs =
        ballast_client::deposit(&ballast_client::VaultKeys::of(*vault_key, vault), *account, lamports, min_shares_out);
    Ok(Built {
        transaction: prepared(app, &ixs, account).await?,
        message: format!(
            "Deposit {} SOL for about {} shares at {} SOL per share",
            format_sol(lamports),
            format_sol(expected),
            format_sol(summary.share_price_lamports)
        ),
    })
}

/// `withdraw` of the shares worth `amount` SOL now ("max": all of them), paid to `account`.
pub async fn build_withdraw(app: &App, vault_key: &Pubkey, account: &Pubkey, amount: &str) -> ApiResult<Built> {
    let all = amount.trim().eq_ignore_ascii_case("max");
    let requested = if all { None } else { Some(parse_sol(amount)?) };
    let (summary, view) = VaultSummary::load(&app.chain, vault_key).await?;
    let vault = &view.vault;
    let (held, worth) = position(app, &summary, vault, account).await?;
    if held == 0 {
        return Err(ApiError::bad_request("you hold no shares of this vault"));
    }
    let (shares, lamports) = match requested {
        None => (held, worth),
        Some(lamports) => {
            // Shares worth at least `lamports`, rounded up.
            let shares =
                (lamports as u128 * summary.share_supply as u128).div_ceil(summary.free_assets_lamports.max(1) as u128);
            if shares > held as u128 {
                return Err(ApiError::bad_request(format!(
                    "{} SOL is above your position of {} SOL",
                    format_sol(lamports),
                    format_sol(worth)
                )));
            }
            (shares as u64, lamports)
        }
    };
    let balance = app.chain.account(account).await?.map(|a| a.lamports).unwrap_or(0);
    if balance < FEE_MARGIN_LAMPORTS / 10 {
        return Err(ApiError::bad_request("your account needs a little SOL for the transaction fee"));
    }
    let params = vault.risk_params;
    let keep_bps = 10_000u128.saturating_sub(params.withdrawal_fee_bps as u128 + params.max_slippage_bps as u128);
    let min_lamports_out = (lamports as u128 * keep_bps / 10_000) as u64;
    let ix =
        ballast_client::withdraw(&ballast_client::VaultKeys::of(*vault_key, vault), *account, shares, min_lamports_out);
    Ok(Built {
        transaction: prepared(app, &[ix], account).await?,
        message: format!(
            "Withdraw {} shares for about {} SOL (at least {} SOL after fees and exit costs)",
            format_sol(shares),
            format_sol(lamports),
            format_sol(min_lamports_out)
        ),
    })
}

/// The Actions rules file served at the site's root: the dashboard's URL unfurls as the
/// deposit Action; the Actions' own URLs map to themselves.
pub fn actions_json(base_url: &str, vault: &Pubkey) -> Value {
    json!({ "rules": [
        { "pathPattern": "/", "apiPath": format!("{base_url}/api/actions/{vault}/deposit") },
        { "pathPattern": "/api/actions/**", "apiPath": format!("{base_url}/api/actions/**") },
    ] })
}

/// The GET metadata of the deposit or withdraw Action; its links start with `base_url` (empty:
/// relative).
pub fn metadata(base_url: &str, icon_url: &str, vault: &Pubkey, summary: &VaultSummary, withdraw: bool) -> Value {
    let price = format_sol(summary.share_price_lamports);
    let tvl = summary.tvl_lamports / LAMPORTS_PER_SOL;
    let (verb, label, presets) = if withdraw {
        ("withdraw", "Withdraw", vec![("Withdraw 1 SOL", "1"), ("Withdraw all", "max")])
    } else {
        ("deposit", "Deposit", vec![("Deposit 1 SOL", "1"), ("Deposit 5 SOL", "5")])
    };
    let href = |amount: &str| format!("{base_url}/api/actions/{vault}/{verb}?amount={amount}");
    let mut actions: Vec<Value> = presets
        .into_iter()
        .map(|(label, amount)| json!({ "type": "transaction", "label": label, "href": href(amount) }))
        .collect();
    actions.push(json!({
        "type": "transaction",
        "label": label,
        "href": href("{amount}"),
        "parameters": [ { "type": "number", "name": "amount", "label": if withdraw { "SOL to withdraw" } else { "SOL to deposit" }, "required": true, "min": 0.000000001 } ]
    }));
    json!({
        "type": "action",
        "icon": icon_url,
        "title": format!("Ballast vault: {verb} SOL"),
        "description": format!(
            "Leveraged liquid staking with an unwinding keeper. Share price {price} SOL, {tvl} SOL deposited, LTV {}.",
            summary.ltv.market_ltv_bps.map(|b| format!("{:.1}%", b as f64 / 100.0)).unwrap_or_else(|| "n/a".into())
        ),
        "label": label,
        "disabled": !withdraw && summary.paused,
        "links": { "actions": actions },
    })
}
