//! Weights for `pallet_verity_zk_verifier`: provisional figures, to be replaced by the output of
//! `scripts/benchmarks/run.sh`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed for `pallet_verity_zk_verifier`.
pub trait WeightInfo {
	fn register_key(n: u32, ) -> Weight;
	fn verify_proof(n: u32, ) -> Weight;
	fn verify_proof_without_host_calls(n: u32, ) -> Weight;
}

/// Weights for `pallet_verity_zk_verifier` measured on the Verity runtime, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_key(n: u32, ) -> Weight {
		Weight::from_parts(20_000_000_000, 4000)
			.saturating_add(Weight::from_parts(1_000_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn verify_proof(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000_000, 0)
			.saturating_add(Weight::from_parts(1_000_000_000, 0).saturating_mul(n.into()))
	}
	fn verify_proof_without_host_calls(n: u32, ) -> Weight {
		Weight::from_parts(100_000_000_000, 0)
			.saturating_add(Weight::from_parts(5_000_000_000, 0).saturating_mul(n.into()))
	}
}

/// The same weights with ParityDB's database weights, for test runtimes.
impl WeightInfo for () {
	fn register_key(n: u32, ) -> Weight {
		Weight::from_parts(20_000_000_000, 4000)
			.saturating_add(Weight::from_parts(1_000_000_000, 0).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
	}
	fn verify_proof(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000_000, 0)
			.saturating_add(Weight::from_parts(1_000_000_000, 0).saturating_mul(n.into()))
	}
	fn verify_proof_without_host_calls(n: u32, ) -> Weight {
		Weight::from_parts(100_000_000_000, 0)
			.saturating_add(Weight::from_parts(5_000_000_000, 0).saturating_mul(n.into()))
	}
}
