//! Assignment: which executors may serve a job, and the stake-weighted draw of its executor at
//! the start of the block after the job's, from a seed nobody knew when the job was submitted.

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

	/// The eligible executors whose fee (in the asset of `terms`) is at most `max_fee`: those a
	/// job may be drawn to. Refused with the reason if there are none.
	pub(crate) fn affordable(
		model: &ModelId,
		mode: VerificationMode,
		input: &JobInput,
		max_fee: Balance,
		terms: &ModelTerms<T::AccountId, T::AssetKind>,
	) -> Result<Vec<(T::AccountId, Balance, Balance)>, Error<T>> {
		let eligible = Self::eligible_in(model, mode, input, terms);
		ensure!(!eligible.is_empty(), Error::<T>::NoEligibleExecutor);
		let affordable: Vec<_> = eligible.into_iter().filter(|(_, _, fee)| *fee <= max_fee).collect();
		ensure!(!affordable.is_empty(), Error::<T>::FeeTooLow);
		Ok(affordable)
	}

	/// Queues job `job_id` on `model` at `mode` for the next block's draw among `candidates`,
	/// if they have a free slot for it beside the jobs this block already queued for the same
	/// (model, tier): a job is accepted only if it can be drawn an executor, as the executors
	/// stand now.
	pub(crate) fn queue_for_assignment(
		job_id: JobId,
		model: ModelId,
		mode: VerificationMode,
		candidates: &[(T::AccountId, Balance, Balance)],
	) -> DispatchResult {
		PendingJobs::<T>::try_mutate(|pending| {
			let free_slots: u32 =
				candidates.iter().map(|(executor, _, _)| T::Executors::free_slots(executor)).sum();
			let queued = pending.iter().filter(|(_, m, md)| *m == model && *md == mode).count();
			ensure!(free_slots as usize > queued, Error::<T>::NoEligibleExecutor);
			pending.try_push((job_id, model, mode)).map_err(|_| Error::<T>::AssignmentQueueFull.into())
		})
	}

	/// Draws the executors of the jobs the previous block submitted (at the start of a block,
	/// so the parent hash is the sealed hash of the block that holds them). A job cancelled
	/// meanwhile is skipped; one for which nobody can be drawn any more fails and is refunded.
	/// Returns the weight used.
	pub(crate) fn assign_pending() -> Weight {
		let pending = PendingJobs::<T>::take();
		let parent_hash = frame_system::Pallet::<T>::parent_hash();
		let mut weight = T::DbWeight::get().reads_writes(1, 1);
		for (job_id, _, _) in pending {
			let Some(mut job) = Jobs::<T>::get(job_id) else { continue };
			weight.saturating_accrue(Self::draw_weight(job.mode));
			if job.status != JobStatus::Pending {
				continue;
			}
			match Self::draw(&parent_hash, job_id, &job) {
				Some((executor, executor_fee)) => Self::assign(job_id, job, executor, executor_fee),
				None => {
					let refund = Self::refund(&job);
					Self::close(job_id, &mut job, JobOutcome::Failed);
					Jobs::<T>::insert(job_id, job);
					Self::deposit_event(Event::AssignmentFailed { job: job_id, refund });
				},
			}
		}
		weight
	}

	/// The stake-weighted draw of job `job_id`'s executor among those it may be drawn to now,
	/// with its fee. The ticket is the first 16 bytes, little-endian, of
	/// `blake2_256(("verity/assign", parent_hash, job_id))` (SCALE), modulo the total stake; the
	/// executors are walked in the order the registry lists them.
	fn draw(parent_hash: &T::Hash, job_id: JobId, job: &Job<T>) -> Option<(T::AccountId, Balance)> {
		let terms = T::Models::terms_in(&job.model, job.mode, &job.asset)?;
		let affordable = Self::affordable(&job.model, job.mode, &job.input, job.max_fee, &terms).ok()?;
		let total_stake = affordable
			.iter()
			.fold(Balance::zero(), |sum, (_, stake, _)| sum.saturating_add(*stake));
		let seed = sp_io::hashing::blake2_256(&(ASSIGNMENT_DOMAIN, parent_hash, job_id).encode());
		let seed = u128::decode(&mut &seed[..]).unwrap_or_default();
		let mut ticket = if total_stake.is_zero() { 0 } else { seed % total_stake };
		for (executor, stake, fee) in affordable.iter() {
			if ticket < *stake {
				return Some((executor.clone(), *fee));
			}
			ticket -= stake;
		}
		// Only reached when every stake is zero.
		affordable.into_iter().next().map(|(executor, _, fee)| (executor, fee))
	}

	/// Records `executor` as the executor of pending job `job_id`.
	fn assign(job_id: JobId, mut job: Job<T>, executor: T::AccountId, executor_fee: Balance) {
		job.executor = Some(executor.clone());
		job.executor_fee = executor_fee;
		job.status = JobStatus::Assigned;
		job.updated_at = frame_system::Pallet::<T>::block_number();
		T::Executors::job_assigned(&executor);
		ExecutorJobs::<T>::insert(&executor, job_id, ());
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobAssigned { job: job_id, executor, executor_fee });
	}

	/// What drawing one job's executor costs at the start of the next block, charged to its
	/// submission. The most a draw costs is one that finds nobody: the benchmarked draw with the
	/// tier's eligibility checks, then a cancellation's work and the job's later prune.
	pub fn draw_weight(mode: VerificationMode) -> Weight {
		T::WeightInfo::assign_job()
			.saturating_add(Self::serve_weight(mode))
			.saturating_add(T::WeightInfo::cancel())
			.saturating_add(Self::prune_weight())
	}

	/// The most the draws at the start of one block cost: a full queue of the dearest tier's.
	pub fn most_draw_weight() -> Weight {
		let dearest = VerificationMode::ALL
			.iter()
			.map(|mode| Self::draw_weight(*mode))
			.fold(Weight::zero(), |most, weight| most.max(weight));
		dearest.saturating_mul(T::MaxAssignmentsPerBlock::get().into())
	}

	/// What a submission is charged beyond its benchmark: the tier's eligibility checks at
	/// submission and the next block's draw.
	pub fn submission_weight(mode: VerificationMode) -> Weight {
		Self::serve_weight(mode).saturating_add(Self::draw_weight(mode))
	}
}

/// The domain of the assignment seed.
pub const ASSIGNMENT_DOMAIN: &[u8; 13] = b"verity/assign";
