//! Storage migrations of the attestation pallet, in order. The runtime lists them in its
//! `Migrations`; each runs once, guarded by the pallet's storage version.

use crate::*;
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};

/// Version 0 → 1: [`ProductionChain`]. A chain launched before the flag existed is marked
/// production if it trusts Intel's SGX root CA (what the production preset sets; dev and test
/// chains trust the TEST ONLY root), so that its governance can no longer switch it to the test
/// root by mistake.
pub mod v1 {
	use super::*;

	/// Marks a chain that trusts Intel's root as production.
	pub struct MarkProductionChain<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for MarkProductionChain<T> {
		fn on_runtime_upgrade() -> Weight {
			let trusts_intel =
				TrustedRoot::<T>::get().is_some_and(|root| root.as_slice() == verity_tee::INTEL_SGX_ROOT_CA_DER);
			ProductionChain::<T>::put(trusts_intel);
			T::DbWeight::get().reads_writes(1, 1)
		}
	}

	/// [`MarkProductionChain`], run only at storage version 0, which it sets to 1.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		MarkProductionChain<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
