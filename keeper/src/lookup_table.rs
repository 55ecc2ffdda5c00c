//! The vault's address lookup table. Some keeper transactions name more accounts than a legacy
//! transaction can carry in the 1,232 bytes a cluster accepts (`leverage_up` with its prices,
//! `unwind_flash` with Save's flash loan); as version 0 transactions they name the vault's
//! accounts by their index in a lookup table. `ballast-keeper lookup-table` creates one holding
//! every account the keeper's transactions for a vault name; `run --lookup-table` uses it.
use anyhow::{anyhow, Context, Result};
use solana_sdk::address_lookup_table::instruction::{create_lookup_table, extend_lookup_table};
use solana_sdk::address_lookup_table::state::AddressLookupTable;
use solana_sdk::address_lookup_table::AddressLookupTableAccount;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::slot_hashes::SlotHashes;

use crate::chain::Chain;
use ballast::instructions::loop_exit::UnwindExit;

use crate::view::{PriceUpdates, VaultView};

/// Addresses one extension adds: its transaction stays well under the size limit.
const ADDRESSES_PER_EXTENSION: usize = 20;

/// Every account the keeper's transactions for the vault in `view` can name (unwinds and the
/// flash unwind through either exit, leaving the loop, levering up with `prices`, repaying),
/// but `caller`, which signs them and stays in the transaction itself.
pub fn vault_addresses(view: &VaultView, caller: &Pubkey, prices: Option<&PriceUpdates>) -> Vec<Pubkey> {
    let mut ixs = Vec::new();
    for exit in [UnwindExit::Pool, UnwindExit::StakePool] {
        ixs.extend(view.unwind_ix(caller, u64::MAX, exit).ok());
        ixs.extend(view.leave_loop_ix(caller, 0, u64::MAX, exit).ok());
        ixs.extend(view.unwind_flash_ixs(caller, 1, exit, *caller, 1).into_iter().flatten());
    }
    if let Some(prices) = prices {
        ixs.extend(view.leverage_up_ix(caller, 1, prices).ok());
    }
    ixs.extend(view.deleverage_ix(caller, 1).ok());
    let mut keys: Vec<Pubkey> = Vec::new();
    for ix in &ixs {
        for key in std::iter::once(&ix.program_id).chain(ix.accounts.iter().map(|m| &m.pubkey)) {
            if key != caller && !keys.contains(key) {
                keys.push(*key);
            }
        }
    }
    keys
}

/// Creates a table for one vault, as `ballast-keeper lookup-table` does: every account its
/// keeper's transactions name, `keeper` its authority and payer.
pub async fn create_for_vault<C: Chain>(
    chain: &C,
    keeper: &Keypair,
    vault: &Pubkey,
    prices: Option<&PriceUpdates>,
) -> Result<Pubkey> {
    let view = VaultView::load(chain, vault).await?;
    create(chain, keeper, &vault_addresses(&view, &keeper.pubkey(), prices)).await
}

/// The table at `key` as a transaction compiles against it.
pub async fn load<C: Chain>(chain: &C, key: &Pubkey) -> Result<AddressLookupTableAccount> {
    let account = chain.account(key).await?.ok_or_else(|| anyhow!("no address lookup table at {key}"))?;
    let table = AddressLookupTable::deserialize(&account.data)
        .map_err(|e| anyhow!("{key} is not an address lookup table: {e}"))?;
    Ok(AddressLookupTableAccount { key: *key, addresses: table.addresses.to_vec() })
}

/// Creates a lookup table with `authority` as its authority and payer and fills it with
/// `addresses`; returns its address. Its addresses can be looked up from the next slot on.
pub async fn create<C: Chain>(chain: &C, authority: &Keypair, addresses: &[Pubkey]) -> Result<Pubkey> {
    // The table's address derives from a slot the cluster still has in its recent slot hashes.
    let hashes: SlotHashes = bincode::deserialize(&chain.data(&solana_sdk::sysvar::slot_hashes::id()).await?)
        .context("reading the recent slot hashes")?;
    let recent_slot = hashes.first().map(|(slot, _)| *slot).ok_or_else(|| anyhow!("no recent slot hashes"))?;
    let (create, table) = create_lookup_table(authority.pubkey(), authority.pubkey(), recent_slot);
    chain.send(&[create], authority).await.context("creating the lookup table")?;
    extend(chain, authority, &table, addresses).await?;
    Ok(table)
}

/// Adds to `table` those of `addresses` it does not hold yet; returns how many.
pub async fn extend<C: Chain>(chain: &C, authority: &Keypair, table: &Pubkey, addresses: &[Pubkey]) -> Result<usize> {
    let held = load(chain, table).await?.addresses;
    let missing: Vec<Pubkey> = addresses.iter().filter(|a| !held.contains(a)).copied().collect();
    for chunk in missing.chunks(ADDRESSES_PER_EXTENSION) {
        let ix = extend_lookup_table(*table, authority.pubkey(), Some(authority.pubkey()), chunk.to_vec());
        chain.send(&[ix], authority).await.context("extending the lookup table")?;
    }
    Ok(missing.len())
}
