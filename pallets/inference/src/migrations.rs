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

/// Version 1 → 2: jobs carry storage deposits. Jobs kept from before were submitted without
/// one: their deposits are zero (their submitter, the payer, is recorded as the depositor), so
/// nothing is held or released for them.
///
/// It rewrites every kept job in one block: right for today's chains (development and test
/// networks, a few thousand jobs), not for a chain that keeps a busy week of jobs, which would
/// need it as a multi-block migration (`pallet-migrations`).
pub mod v2 {
	use super::*;

	/// A job of version 1: [`Job`] without the deposit fields.
	#[derive(Encode, Decode)]
	pub struct OldJob<T: Config> {
		pub payer: T::AccountId,
		pub model: ModelId,
		pub mode: VerificationMode,
		pub input: JobInput,
		pub input_hash: Hash,
		pub max_output_len: u32,
		pub asset: T::AssetKind,
		pub price: Balance,
		pub max_fee: Balance,
		pub executor_fee: Balance,
		pub owner: T::AccountId,
		pub royalty: Perbill,
		pub executor: T::AccountId,
		pub deadline: BlockNumberFor<T>,
		pub status: JobStatus,
		pub output_hash: Option<Hash>,
		pub updated_at: BlockNumberFor<T>,
	}

	impl<T: Config> OldJob<T> {
		fn upgrade(self) -> Job<T> {
			Job {
				depositor: self.payer.clone(),
				payer: self.payer,
				model: self.model,
				mode: self.mode,
				input: self.input,
				input_hash: self.input_hash,
				deposit: 0,
				result_deposit: 0,
				max_output_len: self.max_output_len,
				asset: self.asset,
				price: self.price,
				max_fee: self.max_fee,
				executor_fee: self.executor_fee,
				owner: self.owner,
				royalty: self.royalty,
				executor: self.executor,
				deadline: self.deadline,
				status: self.status,
				output_hash: self.output_hash,
				updated_at: self.updated_at,
			}
		}
	}

	/// Rewrites every job with zero deposits.
	pub struct AddDeposits<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for AddDeposits<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut count = 0u64;
			Jobs::<T>::translate::<OldJob<T>, _>(|_, old| {
				count += 1;
				Some(old.upgrade())
			});
			T::DbWeight::get().reads_writes(count, count)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((Jobs::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			ensure!(Jobs::<T>::iter().count() as u64 == before, "every job is kept");
			Ok(())
		}
	}

	/// [`AddDeposits`], run only at storage version 1, which it sets to 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		AddDeposits<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
