//! The verification tiers: each tier's verifier hooks ([`Config::SignedVerifier`],
//! [`Config::TeeVerifier`], [`Config::ZkVerifier`]) and the dispatch of every tier check to
//! the verifier of the job's tier.

use crate::*;

/// Calls `$function` on the verifier of tier `$mode` (inside `impl<T: Config> Pallet<T>`).
macro_rules! on_tier {
	($mode:expr, $function:ident($($argument:expr),*)) => {
		match $mode {
			VerificationMode::Signed => T::SignedVerifier::$function($($argument),*),
			VerificationMode::Tee => T::TeeVerifier::$function($($argument),*),
			VerificationMode::Zk => T::ZkVerifier::$function($($argument),*),
		}
	};
}

impl<T: Config> Pallet<T> {
	pub(crate) fn tier_available(mode: VerificationMode) -> bool {
		on_tier!(mode, is_available())
	}

	pub(crate) fn can_verify(mode: VerificationMode, model: &ModelId, input: &JobInput) -> Result<(), VerificationError> {
		on_tier!(mode, can_verify(model, input))
	}

	pub(crate) fn can_serve(mode: VerificationMode, executor: &T::AccountId, model: &ModelId, input: &JobInput) -> bool {
		on_tier!(mode, can_serve(executor, model, input))
	}

	/// Whether a governance act excuses `executor` from finishing its job of `model` at tier
	/// `mode`. Costs at most the tier's `can_serve_weight`.
	pub(crate) fn excuses_expiry(mode: VerificationMode, executor: &T::AccountId, model: &ModelId) -> bool {
		on_tier!(mode, excuses_expiry(executor, model))
	}

	/// The most asking any tier whether it excuses an expiry costs, beyond the `expire_jobs`
	/// benchmark (whose jobs are signed-tier, which never excuses).
	pub(crate) fn excuse_weight() -> Weight {
		VerificationMode::ALL
			.iter()
			.map(|mode| on_tier!(*mode, can_serve_weight()))
			.fold(Weight::zero(), |most, weight| most.max(weight))
	}

	/// What the tier's eligibility check of every candidate executor costs beyond the
	/// `submit_job` benchmark (which measures the signed tier, whose check is free).
	pub fn serve_weight(mode: VerificationMode) -> Weight {
		on_tier!(mode, can_serve_weight()).saturating_mul(T::Executors::max_eligible().into())
	}

	/// What verifying evidence of tier `mode` costs beyond the `submit_result` benchmark.
	pub fn verify_weight(mode: VerificationMode) -> Weight {
		on_tier!(mode, verify_weight())
	}

	pub(crate) fn verify(
		mode: VerificationMode,
		context: &VerificationContext<T::AccountId>,
		evidence: &Evidence,
	) -> Result<(), VerificationError> {
		if evidence.mode() != mode {
			return Err(VerificationError::WrongEvidence);
		}
		on_tier!(mode, verify(context, evidence))
	}
}
