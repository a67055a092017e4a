//! `verity-executor`: runs the inference jobs the chain assigns to it and settles them on chain
//! with the evidence their tier asks for. See `docs/executor.md`.

pub mod attest;
pub use verity_client::chain;
pub mod cli;
pub mod engine;
pub mod http;
pub mod metrics;
pub mod pccs;
pub mod service;
