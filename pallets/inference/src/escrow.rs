//! The escrow of jobs: held from the payer at submission, then released in full (failure,
//! cancellation, expiry) or paid out to the model owner, the treasury and the executor (a
//! verified result). What a job holds is [`crate::Job::escrow`].

use crate::*;

/// The payouts of a completed job.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(crate) struct Payouts {
	pub(crate) executor: Balance,
	pub(crate) royalty: Balance,
	pub(crate) protocol: Balance,
	pub(crate) refund: Balance,
}

impl<T: Config> Pallet<T> {
	/// Puts `escrow` (a job's `price + max_fee`) on hold from `payer` in `asset`, at submission:
	/// the job's escrow, settled by [`Self::refund`] or [`Self::pay_out`] when the job closes.
	pub(crate) fn hold_escrow(
		payer: &T::AccountId,
		asset: &T::AssetKind,
		escrow: Balance,
	) -> DispatchResult {
		T::Currency::hold(asset.clone(), &HoldReason::JobEscrow.into(), payer, escrow)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Ok(())
	}

	/// Releases the whole escrow of `job` to its payer. Returns the amount.
	pub(crate) fn refund(job: &Job<T>) -> Balance {
		T::Currency::release(
			job.asset.clone(),
			&HoldReason::JobEscrow.into(),
			&job.payer,
			job.escrow(),
			Precision::BestEffort,
		)
		.unwrap_or_default()
	}

	/// Pays the escrow of a completed job: owner, treasury, executor; the rest goes back to the
	/// payer. A payout that cannot be made is refunded instead.
	pub(crate) fn pay_out(job: &Job<T>) -> Payouts {
		let charged = job.price.saturating_add(job.executor_fee);
		let royalty = job.royalty * job.price;
		let protocol = T::ProtocolFee::get() * charged;
		let executor_share = charged.saturating_sub(royalty).saturating_sub(protocol);

		let pay = |to: &T::AccountId, amount: Balance| -> Balance {
			if amount.is_zero() {
				return 0;
			}
			T::Currency::transfer_on_hold(
				job.asset.clone(),
				&HoldReason::JobEscrow.into(),
				&job.payer,
				to,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)
			.unwrap_or_default()
		};
		let royalty = pay(&job.owner, royalty);
		let protocol = pay(&T::Treasury::get(), protocol);
		let executor = pay(&job.executor, executor_share);
		let left = job.escrow().saturating_sub(royalty).saturating_sub(protocol).saturating_sub(executor);
		let refund = T::Currency::release(
			job.asset.clone(),
			&HoldReason::JobEscrow.into(),
			&job.payer,
			left,
			Precision::BestEffort,
		)
		.unwrap_or_default();
		Payouts { executor, royalty, protocol, refund }
	}
}
