//! Storage migrations of the inference pallet, in order. The runtime lists them in its
//! `Migrations`; each runs once, guarded by the pallet's storage version.

use crate::*;
use frame_support::{migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade};

/// Version 0 → 1: the validators' push dispatch is gone (`docs/dispatch.md` has the
/// measurement that retired it), and with it the dispatcher set.
pub mod v1 {
	use super::*;

	/// The dispatcher set of version 0: ed25519 keys (only removed, never read).
	#[frame_support::storage_alias]
	pub type Dispatchers<T: Config> = StorageValue<Pallet<T>, Vec<[u8; 32]>, ValueQuery>;

	/// Removes the dispatcher set.
	pub struct RemoveDispatchers<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RemoveDispatchers<T> {
		fn on_runtime_upgrade() -> Weight {
			Dispatchers::<T>::kill();
			T::DbWeight::get().writes(1)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(!Dispatchers::<T>::exists(), "the dispatcher set is removed");
			Ok(())
		}
	}

	/// [`RemoveDispatchers`], run only at storage version 0, which it sets to 1.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		RemoveDispatchers<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
