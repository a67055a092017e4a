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
	/// Shares the executor or the owner could not take (the amount would leave a new account
	/// below the asset's minimum balance): paid to the treasury, or burned if it cannot take
	/// them either. Never refunded, so a payer cannot route around paying an executor.
	pub(crate) undelivered: Balance,
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

	/// Pays the escrow of a completed job: owner, executor, treasury; the unspent rest (the
	/// escrow above price + the executor's fee) goes back to the payer. A share its recipient
	/// cannot take goes to the treasury ([`Payouts::undelivered`]): the payer is charged in full
	/// whoever can be paid.
	pub(crate) fn pay_out(job: &Job<T>) -> Payouts {
		let charged = job.price.saturating_add(job.executor_fee);
		let royalty_due = job.royalty * job.price;
		let protocol = T::ProtocolFee::get() * charged;
		let executor_due = charged.saturating_sub(royalty_due).saturating_sub(protocol);
		let reason = HoldReason::JobEscrow.into();

		let pay = |to: &T::AccountId, amount: Balance| -> Balance {
			if amount.is_zero() {
				return 0;
			}
			T::Currency::transfer_on_hold(
				job.asset.clone(),
				&reason,
				&job.payer,
				to,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)
			.unwrap_or_default()
		};
		let royalty = pay(&job.owner, royalty_due);
		// A completed job always has its executor.
		let executor = job.executor.as_ref().map_or(0, |executor| pay(executor, executor_due));
		let undelivered = (royalty_due - royalty).saturating_add(executor_due - executor);
		let to_treasury = protocol.saturating_add(undelivered);
		let paid_to_treasury = pay(&T::Treasury::get(), to_treasury);
		if paid_to_treasury < to_treasury {
			// The treasury has no account in this asset and the amount is below its minimum.
			let _ = T::Currency::burn_held(
				job.asset.clone(),
				&reason,
				&job.payer,
				to_treasury,
				Precision::Exact,
				Fortitude::Force,
			);
		}
		let refund = T::Currency::release(
			job.asset.clone(),
			&reason,
			&job.payer,
			job.escrow().saturating_sub(charged),
			Precision::BestEffort,
		)
		.unwrap_or_default();
		Payouts { executor, royalty, protocol, undelivered, refund }
	}
}
