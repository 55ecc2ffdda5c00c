pub mod accounting;
pub mod risk_params;
pub mod vault;

pub use accounting::*;
pub use risk_params::*;
pub use vault::*;
