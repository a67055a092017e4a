//! Assignment: which executors may serve a job, and the stake-weighted draw of its executor.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The eligible executors of `model` at `mode` for `input` (the tier's verifier may narrow
	/// them: the tee tier to attested enclaves), with their stakes and their fees in the asset
	/// of `terms`.
	pub(crate) fn eligible_in(
		model: &ModelId,
		mode: VerificationMode,
		input: &JobInput,
		terms: &ModelTerms<T::AccountId, T::AssetKind>,
	) -> Vec<(T::AccountId, Balance, Balance)> {
		T::Executors::eligible(model, mode)
			.into_iter()
			.filter(|(executor, _, _)| Self::can_serve(mode, executor, model, input))
			.filter_map(|(executor, stake, fee)| Some((executor, stake, terms.fee_in_asset(fee)?)))
			.collect()
	}

	/// Draws the executor of job `job_id`: stake-weighted among the eligible executors whose
	/// fee (in the job's asset) is at most `max_fee`, seeded by the chain's randomness and the
	/// job id.
	pub(crate) fn assign(
		job_id: JobId,
		model: &ModelId,
		mode: VerificationMode,
		input: &JobInput,
		max_fee: Balance,
		terms: &ModelTerms<T::AccountId, T::AssetKind>,
	) -> Result<(T::AccountId, Balance), DispatchError> {
		let eligible = Self::eligible_in(model, mode, input, terms);
		ensure!(!eligible.is_empty(), Error::<T>::NoEligibleExecutor);
		let affordable: Vec<_> = eligible.into_iter().filter(|(_, _, fee)| *fee <= max_fee).collect();
		ensure!(!affordable.is_empty(), Error::<T>::FeeTooLow);

		let total_stake = affordable
			.iter()
			.fold(Balance::zero(), |sum, (_, stake, _)| sum.saturating_add(*stake));
		let (seed, _) = T::Randomness::random(&(b"verity/assign", job_id).encode());
		let seed = u128::decode(&mut seed.as_ref()).unwrap_or_default();
		let mut ticket = if total_stake.is_zero() { 0 } else { seed % total_stake };
		for (executor, stake, fee) in affordable.iter() {
			if ticket < *stake {
				return Ok((executor.clone(), *fee));
			}
			ticket -= stake;
		}
		// Only reached when every stake is zero.
		let (executor, _, fee) = affordable[0].clone();
		Ok((executor, fee))
	}
}
