//! What an executor's stake pays, and to whom (the slashing table of `docs/inference.md`): for a
//! missed deadline, at most [`Config::ExpiryPenalty`] times the job's charge valued in the stake
//! asset (and at most the registry's share of the stake), the payer compensated up to the charge
//! and the rest to the treasury; for a wrong result a challenge showed, `max(MinLieSlash,
//! LiePenalty × charge)` from the whole stake, shared by the payer, the challenger and the
//! treasury.

use crate::*;

/// What one expiry moved from the executor's stake.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(crate) struct ExpirySlash {
	/// To the payer.
	pub(crate) compensation: Balance,
	/// To the treasury.
	pub(crate) forfeit: Balance,
}

impl<T: Config> Pallet<T> {
	/// Slashes `executor`, the executor of `job`, which expired.
	///
	/// Only a job paid in the stake asset compensates its payer: any other is valued at the
	/// model's current price list, which its owner sets, so that a moved price may change what
	/// the treasury gets but never profit the payer.
	pub(crate) fn slash_for_expiry(job: &Job<T>, executor: &T::AccountId) -> ExpirySlash {
		let charge = job.price.saturating_add(job.executor_fee);
		let in_stake_asset = job.asset == T::StakeAsset::get();
		let value = if in_stake_asset { charge } else { Self::value_in_stake_asset(job, charge) };
		let amount = T::Executors::slashable(executor)
			.min(value.saturating_mul(T::ExpiryPenalty::get().into()));
		let owed_to_payer = if in_stake_asset { amount.min(charge) } else { 0 };
		let compensation = T::Executors::slash(executor, &job.payer, owed_to_payer);
		let forfeit = T::Executors::slash(executor, &T::Treasury::get(), amount.saturating_sub(compensation));
		ExpirySlash { compensation, forfeit }
	}

	/// `amount` of `job`'s asset in the stake asset, at the ratio of the tier's prices in the
	/// two; 0 if the tier has no price in the stake asset.
	fn value_in_stake_asset(job: &Job<T>, amount: Balance) -> Balance {
		let Some(stake_price) =
			T::Models::terms_in(&job.model, job.mode, &T::StakeAsset::get()).and_then(|terms| terms.price)
		else {
			return 0;
		};
		if job.price.is_zero() {
			return 0;
		}
		sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
			amount,
			stake_price,
			job.price,
			sp_runtime::Rounding::Down,
		)
		.unwrap_or(0)
	}
}

/// What one wrong result moved from the executor's stake.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(crate) struct LieSlash {
	/// To the payer.
	pub(crate) compensation: Balance,
	/// To the challenger.
	pub(crate) reward: Balance,
	/// To the treasury.
	pub(crate) forfeit: Balance,
}

impl<T: Config> Pallet<T> {
	/// Slashes `executor`, whose result of `job` a challenge by `challenger` showed wrong:
	/// `max(MinLieSlash, LiePenalty × charge)` (charge valued in the stake asset), from its whole
	/// stake. The payer is compensated up to the charge (a job paid in the stake asset only, as
	/// for an expiry); of the rest, [`Config::ChallengerShare`] rewards the challenger and the
	/// treasury takes the remainder.
	pub(crate) fn slash_for_lie(job: &Job<T>, executor: &T::AccountId, challenger: &T::AccountId) -> LieSlash {
		let charge = job.price.saturating_add(job.executor_fee);
		let in_stake_asset = job.asset == T::StakeAsset::get();
		let value = if in_stake_asset { charge } else { Self::value_in_stake_asset(job, charge) };
		let amount = value.saturating_mul(T::LiePenalty::get().into()).max(T::MinLieSlash::get());
		let owed_to_payer = if in_stake_asset { amount.min(charge) } else { 0 };
		let compensation = T::Executors::slash(executor, &job.payer, owed_to_payer);
		let rest = amount.saturating_sub(owed_to_payer);
		let reward = T::Executors::slash(executor, challenger, T::ChallengerShare::get() * rest);
		let forfeit = T::Executors::slash(executor, &T::Treasury::get(), rest.saturating_sub(reward));
		LieSlash { compensation, reward, forfeit }
	}
}
