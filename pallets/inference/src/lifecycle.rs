//! The life of a job: submission, then every transition (start, result, failure, cancellation)
//! and the one way out of the open states, [`Pallet::close`]. Expiry is in `maintenance.rs`.

use crate::{queue::PruneQueueOf, *};

impl<T: Config> Pallet<T> {
	/// Validates `spec`, holds its escrow from `payer` in the model's own asset and the storage
	/// deposit of its record, and records the job, pending the next block's draw of its
	/// executor.
	pub fn do_submit_job(payer: T::AccountId, spec: JobSpecOf<T>) -> Result<JobId, DispatchError> {
		let terms = T::Models::terms(&spec.model, spec.mode).ok_or(Error::<T>::UnknownModel)?;
		Self::submit_on_terms(payer.clone(), Some(payer), spec, terms)
	}

	/// Submits the jobs of a batch for `payer`, in order. All or none only inside a transactional
	/// layer, such as the `submit_jobs` call.
	pub(crate) fn do_submit_jobs(
		payer: T::AccountId,
		specs: BoundedVec<JobSpecOf<T>, T::MaxBatch>,
	) -> DispatchResult {
		ensure!(!specs.is_empty(), Error::<T>::EmptyBatch);
		for spec in specs {
			Self::do_submit_job(payer.clone(), spec)?;
		}
		Ok(())
	}

	/// [`Self::do_submit_job`] with the model's terms in the asset the job is paid in, and the
	/// storage deposit held from `depositor` (`None` only in the dry run of `check_paid_job`,
	/// which answers for the payment, not for its relayer's funds).
	pub(crate) fn submit_on_terms(
		payer: T::AccountId,
		depositor: Option<T::AccountId>,
		spec: JobSpecOf<T>,
		terms: ModelTerms<T::AccountId, T::AssetKind>,
	) -> Result<JobId, DispatchError> {
		let JobSpec { model, mode, input, max_price, max_fee, deadline } = spec;
		let now = frame_system::Pallet::<T>::block_number();

		let price = terms.price.ok_or(Error::<T>::TierNotOffered)?;
		ensure!(price <= max_price, Error::<T>::PriceAboveMax);
		ensure!(Self::tier_available(mode), Error::<T>::Verification(VerificationError::TierUnavailable));
		Self::can_verify(mode, &model, &input).map_err(Error::<T>::from)?;
		ensure!(input.inline_len() as u32 <= terms.max_input_len, Error::<T>::InputTooLarge);
		ensure!(deadline >= now.saturating_add(T::MinJobDuration::get()), Error::<T>::DeadlineTooSoon);
		ensure!(deadline <= now.saturating_add(T::MaxJobDuration::get()), Error::<T>::DeadlineTooFar);

		// Refused now, with the reason, if nobody could be drawn; the draw itself waits for a
		// seed that nobody knows yet.
		let candidates = Self::affordable(&model, mode, &input, max_fee, &terms)?;
		let job_id = NextJobId::<T>::get();
		Self::queue_for_assignment(job_id, model, mode, &candidates)?;

		// No balance can hold more than `Balance::MAX`: an escrow that overflows is unaffordable.
		let escrow = price.checked_add(max_fee).ok_or(Error::<T>::InsufficientBalance)?;
		Deadlines::<T>::try_mutate(Self::expiry_block(deadline), |jobs| jobs.try_push(job_id))
			.map_err(|_| Error::<T>::DeadlineBlockFull)?;
		Self::hold_escrow(&payer, &terms.asset, escrow)?;

		let mut job = Job {
			payer: payer.clone(),
			model,
			mode,
			input_hash: input.hash(),
			input,
			depositor: depositor.clone().unwrap_or_else(|| payer.clone()),
			deposit: Zero::zero(),
			result_deposit: Zero::zero(),
			max_output_len: terms.max_output_len.min(T::MaxOutputLen::get()),
			asset: terms.asset,
			price,
			max_fee,
			executor_fee: Zero::zero(),
			owner: terms.owner,
			royalty: terms.royalty,
			executor: None,
			deadline,
			status: JobStatus::Pending,
			output_hash: None,
			updated_at: now,
		};
		if depositor.is_some() {
			// The record as it is kept once its executor is drawn.
			let size = job.encoded_size().saturating_add(T::AccountId::max_encoded_len());
			job.deposit = Self::deposit_for(size);
			Self::hold_deposit(&job.depositor, job.deposit)?;
		}

		NextJobId::<T>::put(job_id.saturating_add(1));
		Self::count(mode, &job.asset, |c| c.submitted.saturating_inc());
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobSubmitted {
			job: job_id,
			payer,
			model,
			mode,
			escrow,
			deadline,
		});
		Ok(job_id)
	}

	/// The block at whose start a job with `deadline` expires.
	pub(crate) fn expiry_block(deadline: BlockNumberFor<T>) -> BlockNumberFor<T> {
		deadline.saturating_add(1u32.into())
	}

	/// Loads an open job assigned to `executor`.
	fn open_job_of(executor: &T::AccountId, job_id: JobId) -> Result<Job<T>, DispatchError> {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.executor.as_ref() == Some(executor), Error::<T>::NotAssignedExecutor);
		match job.status {
			JobStatus::Pending | JobStatus::Assigned | JobStatus::Running => Ok(job),
			JobStatus::Completed => Err(Error::<T>::ResultAlreadySubmitted.into()),
			_ => Err(Error::<T>::JobNotOpen.into()),
		}
	}

	/// Marks job `job_id` started by `executor`.
	pub fn do_start_job(executor: T::AccountId, job_id: JobId) -> DispatchResult {
		let mut job = Self::open_job_of(&executor, job_id)?;
		ensure!(job.status == JobStatus::Assigned, Error::<T>::AlreadyStarted);
		job.status = JobStatus::Running;
		job.updated_at = frame_system::Pallet::<T>::block_number();
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobStarted { job: job_id, executor });
		Ok(())
	}

	/// Verifies and accepts the result of job `job_id`, then pays out its escrow.
	///
	/// The job must have been started in an earlier block: a result is public once it is in a
	/// pool, so it must never be sent while its payer can still cancel for a refund.
	pub fn do_submit_result(
		executor: T::AccountId,
		job_id: JobId,
		output: BoundedVec<u8, T::MaxOutputLen>,
		evidence: Evidence,
	) -> DispatchResult {
		let mut job = Self::open_job_of(&executor, job_id)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= job.deadline, Error::<T>::LateResult);
		ensure!(job.status == JobStatus::Running && job.updated_at < now, Error::<T>::NotStarted);
		ensure!(output.len() as u32 <= job.max_output_len, Error::<T>::OutputTooLarge);

		let executor_key =
			T::Executors::signing_key(&executor).ok_or(Error::<T>::UnknownExecutorKey)?;
		let output_hash = Hash::from(sp_io::hashing::blake2_256(&output));
		let context = VerificationContext {
			executor: executor.clone(),
			executor_key,
			statement: Self::statement_of(job_id, &job, output_hash),
			input: &job.input,
			output: &output,
		};
		Self::verify(job.mode, &context, &evidence).map_err(Error::<T>::from)?;
		job.result_deposit = Self::deposit_for(output.encoded_size().saturating_add(evidence.encoded_size()));
		Self::hold_deposit(&executor, job.result_deposit)?;

		job.output_hash = Some(output_hash);
		Outputs::<T>::insert(job_id, output);
		Evidences::<T>::insert(job_id, evidence);
		if Self::is_challengeable(&job) {
			Self::accept_provisionally(job_id, job, executor, output_hash);
		} else {
			Self::release_executor(job_id, &job, JobOutcome::Completed);
			Self::complete(job_id, job, executor);
		}
		Ok(())
	}

	/// Pays out the escrow of `job`, whose result is accepted and final, and closes it.
	pub(crate) fn complete(job_id: JobId, mut job: Job<T>, executor: T::AccountId) {
		let payouts = Self::pay_out(&job);
		let fees = job.price.saturating_add(job.executor_fee);
		let output_hash = job.output_hash.unwrap_or_default();
		Self::retire(job_id, &mut job, JobStatus::Completed, |c| {
			c.completed.saturating_inc();
			c.fees_paid.saturating_accrue(fees);
		});
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobCompleted {
			job: job_id,
			executor,
			output_hash,
			executor_paid: payouts.executor,
			royalty: payouts.royalty,
			protocol_fee: payouts.protocol,
			undelivered: payouts.undelivered,
			refund: payouts.refund,
		});
	}

	/// What a result of job `job_id` with output hash `output_hash` states, which its evidence
	/// must prove.
	pub(crate) fn statement_of(job_id: JobId, job: &Job<T>, output_hash: Hash) -> ResultStatement {
		ResultStatement {
			genesis_hash: Self::genesis_hash(),
			job_id,
			model_id: job.model,
			input_hash: job.input_hash,
			output_hash,
		}
	}

	/// The chain's genesis hash, which result statements bind.
	pub fn genesis_hash() -> Hash {
		let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		Hash::from_slice(hash.as_ref())
	}

	/// Closes job `job_id` as failed at its executor's word and refunds the payer.
	pub fn do_report_failure(
		executor: T::AccountId,
		job_id: JobId,
		reason: BoundedVec<u8, T::MaxReasonLen>,
	) -> DispatchResult {
		let mut job = Self::open_job_of(&executor, job_id)?;
		let refund = Self::refund(&job);
		Self::close(job_id, &mut job, JobOutcome::Failed);
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobFailed { job: job_id, reason, refund });
		Ok(())
	}

	/// Cancels job `job_id` for its payer, if not started (pending or assigned), and refunds
	/// it.
	pub fn do_cancel(payer: T::AccountId, job_id: JobId) -> DispatchResult {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.payer == payer, Error::<T>::NotPayer);
		match job.status {
			JobStatus::Pending | JobStatus::Assigned => {},
			JobStatus::Running => return Err(Error::<T>::AlreadyStarted.into()),
			_ => return Err(Error::<T>::JobNotOpen.into()),
		}
		let refund = Self::refund(&job);
		Self::close(job_id, &mut job, JobOutcome::Cancelled);
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobCancelled { job: job_id, refund });
		Ok(())
	}

	/// The one transition out of the open states other than a completion
	/// ([`Self::complete`]): [`Self::release_executor`], then [`Self::retire`] with the final
	/// status. The escrow is settled by the caller.
	pub(crate) fn close(job_id: JobId, job: &mut Job<T>, outcome: JobOutcome) {
		Self::release_executor(job_id, job, outcome);
		let (status, counter): (_, fn(&mut TierCounters)) = match outcome {
			JobOutcome::Completed => (JobStatus::Completed, |c| c.completed.saturating_inc()),
			JobOutcome::Failed => (JobStatus::Failed, |c| c.failed.saturating_inc()),
			JobOutcome::Expired => (JobStatus::Expired, |c| c.expired.saturating_inc()),
			JobOutcome::Cancelled => (JobStatus::Cancelled, |c| c.cancelled.saturating_inc()),
		};
		Self::retire(job_id, job, status, counter);
	}

	/// The end of the executor's work on an open job: frees its slot (if one was drawn), with
	/// `outcome` in its statistics, drops the job from its index and frees the job's place in
	/// its expiry block (which expiry itself has taken).
	pub(crate) fn release_executor(job_id: JobId, job: &Job<T>, outcome: JobOutcome) {
		if let Some(executor) = &job.executor {
			T::Executors::job_ended(executor, outcome);
			ExecutorJobs::<T>::remove(executor, job_id);
		}
		Deadlines::<T>::mutate_exists(Self::expiry_block(job.deadline), |due| unlist(due, job_id));
	}

	/// Sets a job's final status, counts it in the tier statistics and queues it for pruning.
	pub(crate) fn retire(
		job_id: JobId,
		job: &mut Job<T>,
		status: JobStatus,
		counter: impl FnOnce(&mut TierCounters),
	) {
		let now = frame_system::Pallet::<T>::block_number();
		job.status = status;
		job.updated_at = now;
		Self::count(job.mode, &job.asset, counter);
		PruneQueueOf::<T>::push(job_id, now);
	}
}

/// Drops `job_id` from a block's list of jobs, and the list once it is empty.
pub(crate) fn unlist<S: Get<u32>>(list: &mut Option<BoundedVec<JobId, S>>, job_id: JobId) {
	if let Some(jobs) = list {
		jobs.retain(|id| *id != job_id);
		if jobs.is_empty() {
			*list = None;
		}
	}
}
