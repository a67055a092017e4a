//! Weights for `pallet_verity_attestation`. Replaced by `scripts/benchmarks/run.sh` output.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed for `pallet_verity_attestation`.
pub trait WeightInfo {
	fn register_enclave() -> Weight;
	fn verify_job_quote() -> Weight;
	fn set_trusted_root() -> Weight;
	fn set_policy() -> Weight;
	fn allow_measurement() -> Weight;
	fn revoke_measurement() -> Weight;
	fn set_model_requirements() -> Weight;
}

/// Weights for `pallet_verity_attestation` measured on the Verity runtime, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_enclave() -> Weight {
		Weight::from_parts(50_000_000_000, 40_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn verify_job_quote() -> Weight {
		Weight::from_parts(50_000_000_000, 40_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
	}
	fn set_trusted_root() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn set_policy() -> Weight {
		Weight::from_parts(20_000_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn allow_measurement() -> Weight {
		Weight::from_parts(20_000_000, 1_500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn revoke_measurement() -> Weight {
		Weight::from_parts(20_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn set_model_requirements() -> Weight {
		Weight::from_parts(20_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

// For tests.
impl WeightInfo for () {
	fn register_enclave() -> Weight { Weight::from_parts(50_000_000_000, 40_000).saturating_add(ParityDbWeight::get().reads(5_u64)).saturating_add(ParityDbWeight::get().writes(2_u64)) }
	fn verify_job_quote() -> Weight { Weight::from_parts(50_000_000_000, 40_000).saturating_add(ParityDbWeight::get().reads(5_u64)) }
	fn set_trusted_root() -> Weight { Weight::from_parts(20_000_000, 0).saturating_add(ParityDbWeight::get().writes(1_u64)) }
	fn set_policy() -> Weight { Weight::from_parts(20_000_000, 0).saturating_add(ParityDbWeight::get().writes(1_u64)) }
	fn allow_measurement() -> Weight { Weight::from_parts(20_000_000, 1_500).saturating_add(ParityDbWeight::get().reads(1_u64)).saturating_add(ParityDbWeight::get().writes(2_u64)) }
	fn revoke_measurement() -> Weight { Weight::from_parts(20_000_000, 3_600).saturating_add(ParityDbWeight::get().reads(1_u64)).saturating_add(ParityDbWeight::get().writes(1_u64)) }
	fn set_model_requirements() -> Weight { Weight::from_parts(20_000_000, 4_000).saturating_add(ParityDbWeight::get().reads(1_u64)).saturating_add(ParityDbWeight::get().writes(1_u64)) }
}
