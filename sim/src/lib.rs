//! The Ballast stress lab: scenario files that say what a crisis does to the market, the feeds,
//! the stake pool, the depositors, the keeper and the liquidator; their replay on the embedded
//! chain (the real programs, the real keeper); and the reports, charts and tables from it.
pub mod advise;
pub mod replay;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod search;
