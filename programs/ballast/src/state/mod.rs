pub mod accounting;
pub mod proposals;
pub mod risk_params;
pub mod vault;

pub use accounting::*;
pub use proposals::*;
pub use risk_params::*;
pub use vault::*;
