//! Upkeep: expiring jobs past their deadline, pruning closed jobs and old tier statistics (all
//! from `on_initialize`) and counting the tier statistics.

use crate::{queue::PruneQueueOf, *};

/// The failure reason of a job whose expiry a governance act excused.
pub const EXCUSED_EXPIRY: &[u8] = b"excused: attestation invalidated by governance";

impl<T: Config> Pallet<T> {
	/// Expires the open jobs whose deadline was the previous block: each refunds its payer and
	/// slashes its executor, unless a governance act excuses the executor (then the job fails,
	/// with no slash). Returns how many it looked at, for the weight.
	pub(crate) fn expire_jobs(now: BlockNumberFor<T>) -> u32 {
		let due = Deadlines::<T>::take(now);
		for job_id in due.iter() {
			let Some(mut job) = Jobs::<T>::get(job_id) else { continue };
			if !job.status.is_open() {
				continue;
			}
			let refund = Self::refund(&job);
			// A job is drawn its executor the block after its submission, long before its
			// deadline: one still without an executor has nobody to slash.
			let executor = match job.executor.clone() {
				Some(executor) if !Self::excuses_expiry(job.mode, &executor, &job.model) => executor,
				_ => {
					Self::close(*job_id, &mut job, JobOutcome::Failed);
					Jobs::<T>::insert(job_id, job);
					let reason = BoundedVec::truncate_from(EXCUSED_EXPIRY.to_vec());
					Self::deposit_event(Event::JobFailed { job: *job_id, reason, refund });
					continue;
				},
			};
			let slash = Self::slash_for_expiry(&job, &executor);
			Self::close(*job_id, &mut job, JobOutcome::Expired);
			Jobs::<T>::insert(job_id, job);
			Self::deposit_event(Event::JobExpired {
				job: *job_id,
				executor,
				refund,
				compensation: slash.compensation,
				forfeit: slash.forfeit,
			});
		}
		due.len() as u32
	}

	/// Removes the closed jobs whose retention period is over, oldest first, as many as
	/// [`Self::prunes_per_block`] allows, and releases their storage deposits.
	pub(crate) fn prune_jobs(now: BlockNumberFor<T>) -> u32 {
		let due = |closed_at: &BlockNumberFor<T>| closed_at.saturating_add(T::RetentionPeriod::get()) <= now;
		PruneQueueOf::<T>::take_due(Self::prunes_per_block(), due, |job_id| {
			if let Some(job) = Jobs::<T>::take(job_id) {
				Self::release_deposits(&job);
			}
			Outputs::<T>::remove(job_id);
			Evidences::<T>::remove(job_id);
			Self::deposit_event(Event::JobPruned { job: job_id });
		})
	}

	/// Removes tier statistics older than `StatsRetention` buckets before `current`, a bounded
	/// number of entries per block. Returns how many it removed.
	pub(crate) fn prune_stats(current: u32) -> u32 {
		let oldest = OldestStatsBucket::<T>::get();
		if current.saturating_sub(oldest) < T::StatsRetention::get() {
			return 0;
		}
		let limit = Self::items_within_prune_weight(T::WeightInfo::prune_stats);
		let result = TierStats::<T>::clear_prefix((oldest,), limit, None);
		if result.maybe_cursor.is_none() {
			OldestStatsBucket::<T>::put(oldest.saturating_add(1));
		}
		result.unique
	}

	/// How many closed jobs one block prunes at most: as many as [`Config::MaxPruneWeight`] pays
	/// for at the benchmarked weight per job.
	pub fn prunes_per_block() -> u32 {
		Self::items_within_prune_weight(T::WeightInfo::prune_jobs)
	}

	/// The most items a prune whose weight for `n` items is `weight(n)` (linear, as benchmarked)
	/// removes within [`Config::MaxPruneWeight`].
	fn items_within_prune_weight(weight: impl Fn(u32) -> Weight) -> u32 {
		let base = weight(0);
		times_within(T::MaxPruneWeight::get().saturating_sub(base), weight(1).saturating_sub(base))
	}

	/// The weight of pruning one job, which every call or hook that closes a job is charged
	/// when it closes it: whoever ends a job pays for removing what it leaves.
	pub fn prune_weight() -> Weight {
		T::WeightInfo::prune_jobs(1).saturating_sub(T::WeightInfo::prune_jobs(0))
	}

	/// The most jobs one block can close: as many of the cheapest closing call (with its later
	/// prune and its extrinsic base weight) as the normal dispatch class holds, plus a full
	/// deadline list expiring at the block's start and a full queue of draws that find nobody.
	/// Pruning must keep up with this ([`Self::prunes_per_block`]).
	pub fn max_closes_per_block() -> u32 {
		let weights = <T as frame_system::Config>::BlockWeights::get();
		let normal = weights.get(frame_support::dispatch::DispatchClass::Normal);
		let cheapest_close = T::WeightInfo::cancel()
			.min(T::WeightInfo::report_failure())
			.min(T::WeightInfo::submit_result(0))
			.saturating_add(Self::prune_weight())
			.saturating_add(normal.base_extrinsic);
		times_within(normal.max_total.unwrap_or(weights.max_block), cheapest_close)
			.saturating_add(T::MaxDeadlinesPerBlock::get())
			.saturating_add(T::MaxAssignmentsPerBlock::get())
	}

	/// The tier-statistics bucket of the current time.
	pub fn current_bucket() -> u32 {
		(T::Time::now() / T::StatsBucket::get()).try_into().unwrap_or(u32::MAX)
	}

	pub(crate) fn count(mode: VerificationMode, asset: &T::AssetKind, update: impl FnOnce(&mut TierCounters)) {
		TierStats::<T>::mutate((Self::current_bucket(), mode, asset), update);
	}
}

/// How many times `each` fits in `budget`, in every weight component (at most `u32::MAX`).
pub(crate) fn times_within(budget: Weight, each: Weight) -> u32 {
	budget.checked_div_per_component(&each).unwrap_or(u64::MAX).try_into().unwrap_or(u32::MAX)
}
