//! Weights for `pallet_verity_x402`. Placeholder until `scripts/benchmarks/run.sh` regenerates
//! this file from the benchmarks.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed for `pallet_verity_x402`.
pub trait WeightInfo {
	fn settle() -> Weight;
	fn settle_upto() -> Weight;
	fn consume() -> Weight;
	fn prune_nonces(n: u32, ) -> Weight;
}

/// Weights for `pallet_verity_x402` measured on the Verity runtime, with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn settle() -> Weight {
		Weight::from_parts(200_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(6_u64))
			.saturating_add(ParityDbWeight::get().writes(4_u64))
	}
	fn settle_upto() -> Weight {
		Weight::from_parts(200_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(6_u64))
			.saturating_add(ParityDbWeight::get().writes(4_u64))
	}
	fn consume() -> Weight {
		Weight::from_parts(150_000_000, 5_000)
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
	}
	fn prune_nonces(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 5_000)
			.saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(ParityDbWeight::get().writes((2_u64).saturating_mul(n.into())))
	}
}

impl WeightInfo for () {
	fn settle() -> Weight {
		Weight::from_parts(200_000_000, 10_000)
	}
	fn settle_upto() -> Weight {
		Weight::from_parts(200_000_000, 10_000)
	}
	fn consume() -> Weight {
		Weight::from_parts(150_000_000, 5_000)
	}
	fn prune_nonces(n: u32, ) -> Weight {
		Weight::from_parts(10_000_000, 5_000).saturating_mul(n.into())
	}
}
