//! zkML for Verity's `zk` tier: a Groth16 proof over BLS12-381 that `output = model(input)` for a
//! [`verity_mlp`] integer MLP. See `docs/zk.md`.
//!
//! - The circuit ([`circuit::MlpCircuit`]) has the model's weights as constants, so a verifying
//!   key identifies one model.
//! - The witness is the executor's own forward pass ([`QuantizedMlp::trace`]): one code path,
//!   bit-exact everywhere.
//! - Public inputs are the job's input bytes and output bytes, packed 31 to a field element;
//!   the chain already holds both (the job's input, the submitted output), so nothing else needs
//!   recording.
//! - Keys travel in arkworks' compressed canonical encoding, proofs uncompressed (see
//!   [`verifier::PROOF_LEN`]).
//! - [`verifier`] is `no_std` and generic over the pairing engine (the runtime's is host
//!   accelerated); the circuit, key setup and proving need the `prover` feature (default).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod verifier;

#[cfg(feature = "prover")]
pub mod circuit;
#[cfg(feature = "prover")]
mod prover;

#[cfg(feature = "prover")]
pub use prover::*;
pub use verifier::{pack, public_input_count, public_inputs, VerifyError, BYTES_PER_ELEMENT, PROOF_LEN};
