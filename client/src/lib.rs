//! `verity-client`: a Verity chain over a node's JSON-RPC ([`chain`]) and the client side of
//! the x402 flow against a gateway ([`pay`]), and offline checks of a result's evidence
//! ([`verify`]) of a job's JSON form ([`answer`]). The `verity` CLI is built on them.

pub mod answer;
pub mod chain;
pub mod follow;
pub mod pay;
pub mod sealed;
pub mod submitter;
pub mod verify;
