//! Provisional results and their challenges: a signed result of a model the chain can check
//! is accepted provisionally ([`Pallet::accept_provisionally`]); anyone may challenge it until
//! its window closes ([`Pallet::do_challenge`]), settled at once by re-running the model, or by
//! the executor's zk proof ([`Pallet::do_answer_challenge`]) or its absence
//! ([`Pallet::expire_challenges`]); unchallenged, it is paid out at the start of the block its
//! window closes in ([`Pallet::finalize_results`]).

use crate::{queue::ResultsToFinalizeOf, *};

impl<T: Config> Pallet<T> {
	/// Whether a result of `job` is provisional: a signed-tier job, its input not sealed, of a
	/// model the runtime can re-run or prove.
	pub(crate) fn is_challengeable(job: &Job<T>) -> bool {
		job.mode == VerificationMode::Signed &&
			!matches!(job.input, JobInput::Sealed { .. }) &&
			(T::Reexecutor::can_reexecute(&job.model) || Self::provable(job))
	}

	/// Whether the zk tier can verify a proof of `job`'s output: the model has a zk key and
	/// the input is one the key proves (inline, of the exact length).
	fn provable(job: &Job<T>) -> bool {
		Self::tier_available(VerificationMode::Zk) &&
			Self::can_verify(VerificationMode::Zk, &job.model, &job.input).is_ok()
	}

	/// Accepts `job`'s result provisionally: the executor's slot is freed (it is done), the
	/// escrow stays held, and the job waits in [`ResultsToFinalize`] for its window to close.
	pub(crate) fn accept_provisionally(
		job_id: JobId,
		mut job: Job<T>,
		executor: T::AccountId,
		output_hash: Hash,
	) {
		Self::release_executor(job_id, &job, JobOutcome::Completed);
		let now = frame_system::Pallet::<T>::block_number();
		let final_at = now.saturating_add(T::ChallengePeriod::get());
		job.status = JobStatus::Provisional;
		job.updated_at = now;
		ProvisionalPerModel::<T>::mutate(job.model, |count| count.saturating_inc());
		Jobs::<T>::insert(job_id, job);
		ProvisionalResults::<T>::insert(&executor, job_id, ());
		ResultsToFinalizeOf::<T>::push(job_id, final_at);
		Self::deposit_event(Event::ResultProvisional { job: job_id, executor, output_hash, final_at });
	}

	/// Challenges the provisional result of `job_id` for `challenger` (see the `challenge` call).
	pub fn do_challenge(
		challenger: T::AccountId,
		job_id: JobId,
		revealed: Option<BoundedVec<u8, ConstU32<MAX_INLINE_INPUT>>>,
	) -> DispatchResultWithPostInfo {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.status == JobStatus::Provisional, Error::<T>::NotProvisional);
		ensure!(!Challenges::<T>::contains_key(job_id), Error::<T>::ChallengeUnderway);
		let executor = job.executor.clone().ok_or(Error::<T>::NotProvisional)?;
		let input = match &job.input {
			JobInput::Inline(bytes) => bytes.clone(),
			JobInput::Reference { hash, .. } => {
				let revealed = revealed.ok_or(Error::<T>::InputNotRevealed)?;
				ensure!(Hash::from(sp_io::hashing::blake2_256(&revealed)) == *hash, Error::<T>::WrongInput);
				revealed
			},
			JobInput::Sealed { .. } => return Err(Error::<T>::NotChallengeable.into()),
		};
		let bond = T::ChallengeBond::get();
		T::Currency::hold(T::StakeAsset::get(), &HoldReason::ChallengeBond.into(), &challenger, bond)
			.map_err(|_| Error::<T>::CannotPayBond)?;
		Self::count(job.mode, &job.asset, |c| c.challenged.saturating_inc());
		let model = job.model;
		let Some(recomputed) = T::Reexecutor::reexecute(&model, &input) else {
			ensure!(Self::provable(&job), Error::<T>::NotChallengeable);
			Self::request_proof(job_id, executor, challenger, bond)?;
			return Ok(Some(T::WeightInfo::challenge()).into());
		};
		let right = match recomputed {
			ReexecutionOutcome::Output(output) =>
				Some(Hash::from(sp_io::hashing::blake2_256(&output))) == job.output_hash,
			ReexecutionOutcome::Refused => false,
		};
		if right {
			Self::reject_challenge(job_id, job, executor, challenger, bond);
		} else {
			Self::overturn(job_id, job, executor, challenger, bond);
		}
		Ok(Some(T::WeightInfo::challenge().saturating_add(T::Reexecutor::reexecute_weight(&model))).into())
	}

	/// Asks `executor` to prove its result of `job_id` within [`Config::ProofWindow`] blocks.
	fn request_proof(
		job_id: JobId,
		executor: T::AccountId,
		challenger: T::AccountId,
		bond: Balance,
	) -> DispatchResult {
		let deadline = frame_system::Pallet::<T>::block_number().saturating_add(T::ProofWindow::get());
		ChallengeDeadlines::<T>::try_mutate(deadline, |due| due.try_push(job_id))
			.map_err(|_| Error::<T>::ChallengeBlockFull)?;
		Challenges::<T>::insert(job_id, OpenChallenge { challenger: challenger.clone(), bond, deadline });
		Self::deposit_event(Event::ProofRequested { job: job_id, executor, challenger, deadline });
		Ok(())
	}

	/// Checks `executor`'s zk proof of its challenged result of `job_id` (see the
	/// `answer_challenge` call).
	pub fn do_answer_challenge(
		executor: T::AccountId,
		job_id: JobId,
		proof: BoundedVec<u8, ConstU32<MAX_PROOF_LEN>>,
	) -> DispatchResult {
		let challenge = Challenges::<T>::get(job_id).ok_or(Error::<T>::NoChallenge)?;
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.executor.as_ref() == Some(&executor), Error::<T>::NotAssignedExecutor);
		let output = Outputs::<T>::get(job_id).ok_or(Error::<T>::NoChallenge)?;
		let executor_key = T::Executors::signing_key(&executor).ok_or(Error::<T>::UnknownExecutorKey)?;
		let context = VerificationContext {
			executor: executor.clone(),
			executor_key,
			statement: Self::statement_of(job_id, &job, job.output_hash.unwrap_or_default()),
			input: &job.input,
			output: &output,
		};
		Self::verify(VerificationMode::Zk, &context, &Evidence::Zk { proof }).map_err(Error::<T>::from)?;
		Challenges::<T>::remove(job_id);
		Self::drop_challenge_deadline(job_id, challenge.deadline);
		Self::reject_challenge(job_id, job, executor, challenge.challenger, challenge.bond);
		Ok(())
	}

	/// Overturns the challenged results whose proof was due by `now` and never came. Returns how
	/// many it looked at.
	pub(crate) fn expire_challenges(now: BlockNumberFor<T>) -> u32 {
		let due = ChallengeDeadlines::<T>::take(now);
		for job_id in due.iter() {
			let Some(challenge) = Challenges::<T>::take(job_id) else { continue };
			let Some(job) = Jobs::<T>::get(job_id) else { continue };
			if let Some(executor) = job.executor.clone() {
				Self::overturn(*job_id, job, executor, challenge.challenger, challenge.bond);
			}
		}
		due.len() as u32
	}

	/// What expiring `count` unanswered challenges costs: an overturn each, as the `challenge`
	/// benchmark measures it, and the read of the block's list.
	pub(crate) fn expire_challenges_weight(count: u32) -> Weight {
		T::WeightInfo::challenge().saturating_mul(count.into()).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}

	/// Removes `job_id` from the proofs due at `deadline`.
	fn drop_challenge_deadline(job_id: JobId, deadline: BlockNumberFor<T>) {
		ChallengeDeadlines::<T>::mutate_exists(deadline, |due| crate::lifecycle::unlist(due, job_id));
	}

	/// The result was right: the bond goes to the executor and the result is final at once.
	fn reject_challenge(
		job_id: JobId,
		job: Job<T>,
		executor: T::AccountId,
		challenger: T::AccountId,
		bond: Balance,
	) {
		let paid = T::Currency::transfer_on_hold(
			T::StakeAsset::get(),
			&HoldReason::ChallengeBond.into(),
			&challenger,
			&executor,
			bond,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_default();
		Self::deposit_event(Event::ChallengeFailed { job: job_id, challenger, bond: paid });
		Self::count(job.mode, &job.asset, |c| c.upheld.saturating_inc());
		Self::finalize(job_id, job, executor);
	}

	/// The result was wrong: the payer is refunded, the executor slashed, the challenger's bond
	/// released and the job closed as overturned.
	fn overturn(job_id: JobId, mut job: Job<T>, executor: T::AccountId, challenger: T::AccountId, bond: Balance) {
		let _ = T::Currency::release(
			T::StakeAsset::get(),
			&HoldReason::ChallengeBond.into(),
			&challenger,
			bond,
			Precision::BestEffort,
		);
		let refund = Self::refund(&job);
		let slash = Self::slash_for_lie(&job, &executor, &challenger);
		Self::settled(job_id, &job.model, &executor);
		T::Executors::result_overturned(&executor);
		Self::retire(job_id, &mut job, JobStatus::Overturned, |c| c.overturned.saturating_inc());
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::ResultOverturned {
			job: job_id,
			executor,
			challenger,
			refund,
			compensation: slash.compensation,
			reward: slash.reward,
			forfeit: slash.forfeit,
		});
	}

	/// Pays out a provisional result that stood.
	fn finalize(job_id: JobId, job: Job<T>, executor: T::AccountId) {
		Self::settled(job_id, &job.model, &executor);
		Self::complete(job_id, job, executor);
	}

	/// A provisional result is no longer provisional: out of the executor's and the model's
	/// counts of what they answer for.
	fn settled(job_id: JobId, model: &ModelId, executor: &T::AccountId) {
		ProvisionalResults::<T>::remove(executor, job_id);
		ProvisionalPerModel::<T>::mutate_exists(model, |count| {
			*count = count.map(|count| count.saturating_sub(1)).filter(|count| *count > 0);
		});
	}

	/// Pays out the provisional results whose window closes at `now`, oldest first, at most
	/// [`Self::max_results_per_block`] (a block accepts no more, so the queue keeps up). A
	/// result a challenge already settled is skipped. Returns how many it looked at.
	pub(crate) fn finalize_results(now: BlockNumberFor<T>) -> u32 {
		ResultsToFinalizeOf::<T>::take_due(Self::max_results_per_block(), |final_at| *final_at <= now, |job_id| {
			// A result under challenge waits for the challenge's outcome, which settles it.
			if let Some(job) = Jobs::<T>::get(job_id)
				.filter(|job| job.status == JobStatus::Provisional && !Challenges::<T>::contains_key(job_id))
			{
				if let Some(executor) = job.executor.clone() {
					Self::finalize(job_id, job, executor);
				}
			}
		})
	}

	/// The most results one block can accept: as many `submit_result` calls (each with its
	/// later finalization, prune and extrinsic base weight) as the normal dispatch class holds.
	pub fn max_results_per_block() -> u32 {
		let weights = <T as frame_system::Config>::BlockWeights::get();
		let normal = weights.get(frame_support::dispatch::DispatchClass::Normal);
		let result = T::WeightInfo::submit_result(0)
			.saturating_add(Self::finalize_weight())
			.saturating_add(Self::prune_weight())
			.saturating_add(normal.base_extrinsic);
		maintenance::times_within(normal.max_total.unwrap_or(weights.max_block), result)
	}

	/// The weight of finalizing one provisional result, which `submit_result` is charged.
	pub fn finalize_weight() -> Weight {
		T::WeightInfo::finalize_results(1).saturating_sub(T::WeightInfo::finalize_results(0))
	}

	/// The most one block's finalizations weigh: [`Self::max_results_per_block`] of them.
	pub(crate) fn finalization_weight() -> Weight {
		T::WeightInfo::finalize_results(Self::max_results_per_block())
	}

	/// Whether `executor`'s stake still answers for jobs: open ones, or provisional results.
	pub fn has_obligations(executor: &T::AccountId) -> bool {
		ExecutorJobs::<T>::iter_key_prefix(executor).next().is_some() ||
			ProvisionalResults::<T>::iter_key_prefix(executor).next().is_some()
	}
}

impl<T: Config> ModelObligations for Pallet<T> {
	fn has_provisional_results(model: &ModelId) -> bool {
		ProvisionalPerModel::<T>::contains_key(model)
	}
}

impl<T: Config> ExecutorObligations<T::AccountId> for Pallet<T> {
	fn has_obligations(executor: &T::AccountId) -> bool {
		Pallet::<T>::has_obligations(executor)
	}
}
