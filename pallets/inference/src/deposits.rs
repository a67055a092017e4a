//! Storage deposits: user-sized state (a job's record with its input; a result's output and
//! evidence) is paid for by whoever writes it, [`Config::DepositPerByte`] per encoded byte in
//! the stake asset, held from submission (or result) until the job is pruned.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The deposit for `bytes` bytes of state.
	pub(crate) fn deposit_for(bytes: usize) -> Balance {
		T::DepositPerByte::get().saturating_mul(bytes as Balance)
	}

	/// Holds `amount` from `who` as a storage deposit.
	pub(crate) fn hold_deposit(who: &T::AccountId, amount: Balance) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(T::StakeAsset::get(), &HoldReason::StorageDeposit.into(), who, amount)
			.map_err(|_| Error::<T>::CannotPayDeposit)?;
		Ok(())
	}

	/// Releases the deposits of a job being pruned: its record's to the submitter, its
	/// result's to the executor.
	pub(crate) fn release_deposits(job: &Job<T>) {
		let release = |who: &T::AccountId, amount: Balance| {
			if !amount.is_zero() {
				let _ = T::Currency::release(
					T::StakeAsset::get(),
					&HoldReason::StorageDeposit.into(),
					who,
					amount,
					Precision::BestEffort,
				);
			}
		};
		release(&job.depositor, job.deposit);
		if let Some(executor) = &job.executor {
			release(executor, job.result_deposit);
		}
	}
}
