//! Storage migrations of the inference pallet, in order. The runtime lists them in its
//! `Migrations`; each runs once, guarded by the pallet's storage version.

use crate::*;
use frame_support::{migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade};

/// The number of kept jobs (their keys only, which no layout change touches): what a jobs
/// migration's `pre_upgrade` hands to its `post_upgrade`.
#[cfg(feature = "try-runtime")]
fn count_jobs<T: Config>() -> Vec<u8> {
	(Jobs::<T>::iter_keys().count() as u64).encode()
}

/// Checks that a jobs migration kept (and could decode) as many jobs as [`count_jobs`] found.
#[cfg(feature = "try-runtime")]
fn kept_every_job(state: Vec<u8>, after: usize) -> Result<(), sp_runtime::TryRuntimeError> {
	let before = u64::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
	ensure!(after as u64 == before, "every job is kept");
	Ok(())
}

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
		fn upgrade(self) -> v3::OldJob<T> {
			v3::OldJob {
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
			v3::Jobs::<T>::translate::<OldJob<T>, _>(|_, old| {
				count += 1;
				Some(old.upgrade())
			});
			T::DbWeight::get().reads_writes(count, count)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(count_jobs::<T>())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			kept_every_job(state, v3::Jobs::<T>::iter().count())
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

/// Version 2 → 3: a job's executor is drawn the block after its submission (`Pending` until
/// then), so [`Job::executor`] is optional. Every job kept from before was assigned at
/// submission: its executor becomes `Some`. Single-block, like version 2's.
pub mod v3 {
	use super::*;

	/// A job of version 2: [`Job`] with a mandatory executor.
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
		pub depositor: T::AccountId,
		pub deposit: Balance,
		pub result_deposit: Balance,
	}

	/// The jobs as version 2 stored them (the map [`crate::Jobs`], in its old layout).
	#[frame_support::storage_alias]
	pub type Jobs<T: Config> = StorageMap<Pallet<T>, Twox64Concat, JobId, OldJob<T>>;

	impl<T: Config> OldJob<T> {
		fn upgrade(self) -> Job<T> {
			Job {
				payer: self.payer,
				model: self.model,
				mode: self.mode,
				input: self.input,
				input_hash: self.input_hash,
				max_output_len: self.max_output_len,
				asset: self.asset,
				price: self.price,
				max_fee: self.max_fee,
				executor_fee: self.executor_fee,
				owner: self.owner,
				royalty: self.royalty,
				executor: Some(self.executor),
				deadline: self.deadline,
				status: self.status,
				output_hash: self.output_hash,
				updated_at: self.updated_at,
				depositor: self.depositor,
				deposit: self.deposit,
				result_deposit: self.result_deposit,
			}
		}
	}

	/// Rewrites every job with its executor as `Some`.
	pub struct OptionalExecutor<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for OptionalExecutor<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut count = 0u64;
			crate::Jobs::<T>::translate::<OldJob<T>, _>(|_, old| {
				count += 1;
				Some(old.upgrade())
			});
			T::DbWeight::get().reads_writes(count, count)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(count_jobs::<T>())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			ensure!(crate::Jobs::<T>::iter_values().all(|job| job.executor.is_some()), "every kept job has its executor");
			kept_every_job(state, crate::Jobs::<T>::iter().count())
		}
	}

	/// [`OptionalExecutor`], run only at storage version 2, which it sets to 3.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		OptionalExecutor<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 3 → 4: signed results of re-runnable models are provisional. Only new storage
/// ([`crate::ResultsToFinalize`], its bounds, [`crate::ProvisionalResults`]) and two statuses
/// appended to `JobStatus` (`Provisional`, `Overturned`): no stored value changes encoding,
/// so nothing is rewritten. A job completed before the upgrade stays completed.
pub mod v4 {
	use super::*;

	/// Nothing to rewrite: the version alone records the new layout.
	pub struct ProvisionalResults<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for ProvisionalResults<T> {
		fn on_runtime_upgrade() -> Weight {
			Weight::zero()
		}
	}

	/// [`ProvisionalResults`], run only at storage version 3, which it sets to 4.
	pub type MigrateV3ToV4<T> = VersionedMigration<
		3,
		4,
		ProvisionalResults<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 4 → 5: tier statistics count challenges (`challenged`, `upheld`, `overturned`).
/// Every kept bucket is rewritten with the new counts zero: at most `StatsRetention` days ×
/// three tiers × the assets paid in, a few hundred entries, in one block.
pub mod v5 {
	use super::*;

	/// [`TierCounters`] of version 4: without the challenge counts.
	#[derive(Encode, Decode)]
	pub struct OldTierCounters {
		pub submitted: u32,
		pub completed: u32,
		pub failed: u32,
		pub expired: u32,
		pub cancelled: u32,
		pub fees_paid: Balance,
	}

	/// Adds the challenge counts, zero, to every kept bucket.
	pub struct ChallengeCounts<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for ChallengeCounts<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut entries = 0u64;
			TierStats::<T>::translate_values::<OldTierCounters, _>(|old| {
				entries.saturating_inc();
				Some(TierCounters {
					submitted: old.submitted,
					completed: old.completed,
					failed: old.failed,
					expired: old.expired,
					cancelled: old.cancelled,
					fees_paid: old.fees_paid,
					..Default::default()
				})
			});
			T::DbWeight::get().reads_writes(entries, entries)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok((TierStats::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = u64::decode(&mut &state[..]).map_err(|_| "pre-upgrade state")?;
			ensure!(TierStats::<T>::iter_values().count() as u64 == before, "every bucket is kept");
			Ok(())
		}
	}

	/// [`ChallengeCounts`], run only at storage version 4, which it sets to 5.
	pub type MigrateV4ToV5<T> = VersionedMigration<
		4,
		5,
		ChallengeCounts<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
