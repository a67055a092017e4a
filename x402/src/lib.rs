//! x402 on Verity, off chain.
//!
//! - [`wire`]: the JSON shapes of the x402 spec (v2, and v1 where it differs) and the base64
//!   header encoding, byte for byte as the spec's examples;
//! - [`binding`]: how those shapes map onto Verity's on-chain
//!   [`PaymentAuthorization`](verity_primitives::x402::PaymentAuthorization): network id, asset
//!   and address formats, signatures, as specified in `docs/x402.md`.
//!
//! Used by the node's `x402_*` RPC, the gateway and the client.

pub mod binding;
pub mod wire;

pub use binding::*;
pub use wire::*;
