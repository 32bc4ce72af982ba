//! ruralsync (overview is written as the modules land).

pub mod region;
pub mod sim;
