//! What the runtime API reads: quotes, job summaries, executors' open jobs and tier statistics.

use crate::*;

impl<T: Config> Pallet<T> {
	/// [`verity_primitives::inference::InferenceApi::quote`].
	pub fn quote(model: ModelId, mode: VerificationMode) -> Option<Quote<T::AssetKind>> {
		Self::quote_on_terms(model, mode, T::Models::terms(&model, mode)?)
	}

	/// [`verity_primitives::inference::InferenceApi::quote_in`].
	pub fn quote_in(model: ModelId, mode: VerificationMode, asset: T::AssetKind) -> Option<Quote<T::AssetKind>> {
		Self::quote_on_terms(model, mode, T::Models::terms_in(&model, mode, &asset)?)
	}

	/// [`verity_primitives::inference::InferenceApi::offers`].
	pub fn offers(model: ModelId) -> Offers<T::AssetKind, BlockNumberFor<T>> {
		let assets = T::Models::assets(&model);
		let offers = VerificationMode::ALL
			.into_iter()
			.flat_map(|mode| assets.iter().filter_map(move |asset| Self::offer(model, mode, asset)))
			.collect();
		Offers { at: frame_system::Pallet::<T>::block_number(), offers }
	}

	/// The offer for a job on `model` at `mode` paid in `asset`, if the model is priced so and
	/// the tier can verify its results. The one place that decides which fee a paid job carries:
	/// the lowest among the executors free to take it now, or, while every one is busy, the
	/// lowest among those that serve it. The draw is then only among executors at or below that
	/// fee, so an executor asking a huge fee never raises what a payer is asked.
	fn offer(model: ModelId, mode: VerificationMode, asset: &T::AssetKind) -> Option<Offer<T::AssetKind>> {
		let terms = T::Models::terms_in(&model, mode, asset)?;
		let (price, inline) = Self::verifiable_price(model, mode, &terms)?;
		let serving: Vec<Balance> = T::Executors::serving(&model, mode)
			.into_iter()
			.filter(|(executor, _)| Self::can_serve(mode, executor, &model, &inline))
			.filter_map(|(_, fee)| terms.fee_in_asset(fee))
			.collect();
		let eligible: Vec<Balance> =
			Self::eligible_in(&model, mode, &inline, &terms).into_iter().map(|(_, _, fee)| fee).collect();
		let lowest = eligible.iter().min().or_else(|| serving.iter().min()).copied().unwrap_or_default();
		Some(Offer {
			mode,
			asset: terms.asset,
			price,
			max_fee: lowest,
			serving_executors: serving.len() as u32,
			eligible_executors: eligible.len() as u32,
		})
	}

	fn quote_on_terms(
		model: ModelId,
		mode: VerificationMode,
		terms: ModelTerms<T::AccountId, T::AssetKind>,
	) -> Option<Quote<T::AssetKind>> {
		let (price, inline) = Self::verifiable_price(model, mode, &terms)?;
		let fees: Vec<Balance> =
			Self::eligible_in(&model, mode, &inline, &terms).into_iter().map(|(_, _, fee)| fee).collect();
		Some(Quote {
			asset: terms.asset,
			price,
			min_executor_fee: fees.iter().min().copied().unwrap_or_default(),
			max_executor_fee: fees.iter().max().copied().unwrap_or_default(),
			eligible_executors: fees.len() as u32,
		})
	}

	/// The price of `terms`, and the (empty, inline) input quotes and offers are for, if the
	/// tier is priced and could verify the model's results: a tier that could not (a zk model
	/// without a verifying key, say) is neither quoted nor offered. The empty input stands for
	/// any inline input, so a length the tier would refuse (`WrongLength`) does not count here.
	fn verifiable_price(
		model: ModelId,
		mode: VerificationMode,
		terms: &ModelTerms<T::AccountId, T::AssetKind>,
	) -> Option<(Balance, JobInput)> {
		let price = terms.price?;
		let inline = JobInput::Inline(Default::default());
		let verifiable = match Self::can_verify(mode, &model, &inline) {
			Ok(()) | Err(VerificationError::WrongLength) => true,
			Err(_) => false,
		};
		(Self::tier_available(mode) && verifiable).then_some((price, inline))
	}

	/// [`verity_primitives::inference::InferenceApi::job`].
	pub fn job_summary(
		job_id: JobId,
	) -> Option<JobSummary<T::AccountId, T::AssetKind, BlockNumberFor<T>>> {
		Jobs::<T>::get(job_id).map(|job| JobSummary {
			escrow: job.escrow(),
			final_at: (job.status == JobStatus::Provisional)
				.then(|| job.updated_at.saturating_add(T::ChallengePeriod::get())),
			payer: job.payer,
			executor: job.executor,
			model: job.model,
			mode: job.mode,
			status: job.status,
			asset: job.asset,
			price: job.price,
			executor_fee: job.executor_fee,
			input_hash: job.input_hash,
			input: job.input,
			output_hash: job.output_hash,
			deadline: job.deadline,
		})
	}

	/// [`verity_primitives::inference::InferenceApi::open_jobs`].
	pub fn open_jobs(executor: T::AccountId) -> Vec<JobId> {
		ExecutorJobs::<T>::iter_key_prefix(executor).collect()
	}

	/// [`verity_primitives::inference::InferenceApi::proofs_due`]: among the executor's
	/// provisional results, those challenged.
	pub fn proofs_due(executor: T::AccountId) -> Vec<JobId> {
		ProvisionalResults::<T>::iter_key_prefix(executor).filter(|job| Challenges::<T>::contains_key(job)).collect()
	}

	/// [`verity_primitives::inference::InferenceApi::tier_stats`]: at most `StatsRetention`
	/// buckets.
	pub fn tier_stats(from: u32, to: u32) -> (u64, Vec<TierStatsEntry<T::AssetKind>>) {
		let from = from.max(to.saturating_sub(T::StatsRetention::get()));
		let mut entries = Vec::new();
		for bucket in from..=to {
			for ((mode, asset), counters) in TierStats::<T>::iter_prefix((bucket,)) {
				entries.push(TierStatsEntry { bucket, mode, asset, counters });
			}
		}
		(T::StatsBucket::get(), entries)
	}
}

impl<T: Config> Pallet<T> {
	/// [`verity_primitives::inference::InferenceApi::recent_tier_stats`].
	pub fn recent_tier_stats() -> (u64, Vec<TierStatsEntry<T::AssetKind>>) {
		Self::tier_stats(0, Self::current_bucket())
	}

	/// [`verity_primitives::inference::InferenceApi::result`].
	pub fn result(job: JobId) -> Option<JobResult> {
		Some(JobResult { output: Outputs::<T>::get(job)?.into_inner(), evidence: Evidences::<T>::get(job)? })
	}
}
