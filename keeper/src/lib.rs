//! The Ballast keeper's library. For now: the DAO side of a vault (instructions for the admin,
//! the proposal a DAO submits through SPL Governance to change risk parameters).
pub mod dao;
