//! Which cluster the app serves, from its genesis hash, and where a person sees one of its
//! transactions.
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cluster {
    MainnetBeta,
    Devnet,
    Testnet,
    /// The app's own program-test bank: no explorer knows it.
    Embedded,
    /// A cluster with another genesis (a local validator): no explorer knows it either.
    Other,
}

impl Cluster {
    /// The cluster whose genesis hash (base58) this is.
    pub fn from_genesis_hash(hash: &str) -> Self {
        match hash {
            "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d" => Cluster::MainnetBeta,
            "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG" => Cluster::Devnet,
            "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY" => Cluster::Testnet,
            _ => Cluster::Other,
        }
    }

    /// Solscan's page for a transaction, with `{signature}` to fill in; `None` where Solscan
    /// cannot show the cluster (the page then shows the signature without a link).
    pub fn explorer_tx_template(self) -> Option<&'static str> {
        match self {
            Cluster::MainnetBeta => Some("https://solscan.io/tx/{signature}"),
            Cluster::Devnet => Some("https://solscan.io/tx/{signature}?cluster=devnet"),
            Cluster::Testnet => Some("https://solscan.io/tx/{signature}?cluster=testnet"),
            Cluster::Embedded | Cluster::Other => None,
        }
    }

    /// The chain as the Wallet Standard names it, for a browser wallet's `signTransaction`.
    pub fn wallet_chain(self) -> &'static str {
        match self {
            Cluster::MainnetBeta => "solana:mainnet",
            Cluster::Devnet => "solana:devnet",
            Cluster::Testnet => "solana:testnet",
            Cluster::Embedded | Cluster::Other => "solana:localnet",
        }
    }
}

/// The cluster's CAIP-2 chain id, as Solana Actions name it in `X-Blockchain-Ids`: `solana:`
/// and the first 32 characters of the base58 genesis hash (mainnet-beta's is
/// `solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp`).
pub fn caip2_chain_id(genesis_hash: &str) -> String {
    format!("solana:{}", genesis_hash.get(..32).unwrap_or(genesis_hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_public_cluster_links_to_its_solscan_page_and_no_other_does() {
        let cases = [
            ("5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d", Some("https://solscan.io/tx/{signature}")),
            ("EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG", Some("https://solscan.io/tx/{signature}?cluster=devnet")),
            ("4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY", Some("https://solscan.io/tx/{signature}?cluster=testnet")),
            ("11111111111111111111111111111111", None),
        ];
        for (genesis, template) in cases {
            assert_eq!(Cluster::from_genesis_hash(genesis).explorer_tx_template(), template);
        }
        assert_eq!(Cluster::Embedded.explorer_tx_template(), None);
    }

    #[test]
    fn the_chain_ids_are_the_caip2_ids_of_the_public_clusters() {
        let cases = [
            ("5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d", "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"),
            ("EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG", "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"),
            ("4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY", "solana:4uhcVJyU9pJkvQyS88uRDiswHXSCkY3z"),
        ];
        for (genesis, id) in cases {
            assert_eq!(caip2_chain_id(genesis), id);
        }
    }
}
