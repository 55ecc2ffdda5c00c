//! The chain the app reads and sends through: the embedded bank, or a cluster's JSON-RPC.
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use ballast_keeper::chain::{Chain, EmbeddedChain, RpcChain, Sent, Simulation};
use solana_sdk::account::Account;
use solana_sdk::clock::Clock;
use solana_sdk::hash::Hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use solana_sdk::transaction::VersionedTransaction;

use crate::history::{Recording, SharedHistory};

#[derive(Clone)]
pub enum AppChain {
    Embedded(Recording<EmbeddedChain>),
    Rpc(Arc<RpcChain>),
}

impl Chain for AppChain {
    async fn accounts(&self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>> {
        match self {
            Self::Embedded(c) => c.accounts(keys).await,
            Self::Rpc(c) => c.accounts(keys).await,
        }
    }

    async fn clock(&self) -> Result<Clock> {
        match self {
            Self::Embedded(c) => c.clock().await,
            Self::Rpc(c) => c.clock().await,
        }
    }

    async fn simulate_transaction(&self, tx: &VersionedTransaction) -> Result<Simulation> {
        match self {
            Self::Embedded(c) => c.simulate_transaction(tx).await,
            Self::Rpc(c) => c.simulate_transaction(tx).await,
        }
    }

    async fn latest_blockhash(&self) -> Result<Hash> {
        match self {
            Self::Embedded(c) => c.latest_blockhash().await,
            Self::Rpc(c) => c.latest_blockhash().await,
        }
    }

    async fn send_transaction(&self, tx: VersionedTransaction) -> Result<Sent> {
        match self {
            Self::Embedded(c) => c.send_transaction(tx).await,
            Self::Rpc(c) => c.send_transaction(tx).await,
        }
    }
}

/// On a cluster: reads the vault's transactions as they land (`getSignaturesForAddress`, then
/// each one's log) into its history, every `every`.
pub fn spawn_rpc_history(rpc: Arc<RpcChain>, vault: Pubkey, history: SharedHistory, every: Duration) {
    use solana_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
    use solana_transaction_status::option_serializer::OptionSerializer;
    tokio::spawn(async move {
        let mut newest: Option<Signature> = None;
        loop {
            let config =
                GetConfirmedSignaturesForAddress2Config { until: newest, limit: Some(200), ..Default::default() };
            match rpc.client.get_signatures_for_address_with_config(&vault, config).await {
                Ok(found) => {
                    // Newest first: record oldest first.
                    for entry in found.iter().rev().filter(|e| e.err.is_none()) {
                        let Ok(signature) = entry.signature.parse::<Signature>() else { continue };
                        let tx = rpc.client.get_transaction_with_config(&signature, transaction_config()).await;
                        let logs = match tx.ok().and_then(|t| t.transaction.meta).map(|m| m.log_messages) {
                            Some(OptionSerializer::Some(logs)) => logs,
                            _ => continue,
                        };
                        let time = entry.block_time.unwrap_or_default();
                        history.lock().expect("history lock").record(&vault, entry.slot, time, &entry.signature, &logs);
                    }
                    if let Some(first) = found.first().and_then(|e| e.signature.parse().ok()) {
                        newest = Some(first);
                    }
                }
                Err(error) => tracing::warn!(%error, "reading the vault's transactions"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// How the history asks for a transaction: its log, for legacy and version 0 transactions alike
/// (without `maxSupportedTransactionVersion` a node refuses to return a version 0 one, and the
/// history would skip it).
pub fn transaction_config() -> solana_client::rpc_config::RpcTransactionConfig {
    solana_client::rpc_config::RpcTransactionConfig {
        encoding: Some(solana_transaction_status::UiTransactionEncoding::Json),
        commitment: Some(solana_sdk::commitment_config::CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_history_asks_for_version_0_transactions_too() {
        let config = super::transaction_config();
        assert_eq!(config.max_supported_transaction_version, Some(0));
        // As the node receives it.
        let json = serde_json::to_value(config).unwrap();
        assert_eq!(json["maxSupportedTransactionVersion"], 0);
        assert_eq!(json["commitment"], "confirmed");
    }
}
