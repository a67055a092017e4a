//! The pallet's invariants, checked by `try-runtime` (and by the tests).

use crate::*;

impl<T: Config> Pallet<T> {
	/// Invariants:
	/// - for each (payer, asset), the balance held for escrow equals the sum of the escrow of
	///   the payer's open jobs and provisional results in that asset;
	/// - every provisional result is in its executor's [`ProvisionalResults`] and queued once in
	///   [`ResultsToFinalize`], for the block its window closes in, and every entry of the index
	///   is a provisional result; each model's count of provisional results is right (and none
	///   is kept at zero);
	/// - every challenge waiting for a proof is of a provisional result and in the list of its
	///   deadline block, every list entry is such a challenge, and each challenger holds exactly
	///   the bonds of its open challenges;
	/// - each open job is in the deadline list of its expiry block; a pending job has no
	///   executor and waits in [`PendingJobs`], any other open job is in its executor's index;
	///   every index entry is an open job of that executor;
	/// - every deadline list holds only open jobs that expire in its block (a closed job freed
	///   its place), and no list is empty;
	/// - each executor's count of active jobs is its number of open jobs;
	/// - no job id is at or above [`NextJobId`];
	/// - every closed job is in the prune queue, and the queue holds at most what a block can
	///   close, for each block of the retention period and the current one;
	/// - for each account, the balance held as storage deposit equals the deposits of the jobs
	///   it submitted plus those of the results it stored, of jobs not yet pruned.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::{BTreeMap, BTreeSet};
		use frame_support::traits::fungibles::InspectHold;
		let next = NextJobId::<T>::get();
		let mut escrow = BTreeMap::<(T::AccountId, T::AssetKind), Balance>::new();
		let mut deposits = BTreeMap::<T::AccountId, Balance>::new();
		let pending = PendingJobs::<T>::get();
		let (first, end) = ResultsToFinalizeBounds::<T>::get();
		let mut finalizing = BTreeMap::<JobId, BlockNumberFor<T>>::new();
		for position in first..end {
			if let Some((id, final_at)) = ResultsToFinalize::<T>::get(position) {
				ensure!(finalizing.insert(id, final_at).is_none(), "a result queued twice for finalization");
			}
		}
		let mut per_model = BTreeMap::<ModelId, u32>::new();
		for (_, job) in Jobs::<T>::iter().filter(|(_, job)| job.status == JobStatus::Provisional) {
			*per_model.entry(job.model).or_default() += 1;
		}
		let counted: BTreeMap<ModelId, u32> = ProvisionalPerModel::<T>::iter().collect();
		ensure!(per_model == counted, "a model's count of provisional results is wrong");
		for (executor, id, ()) in ProvisionalResults::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("a provisional index entry without a job")?;
			ensure!(
				job.status == JobStatus::Provisional && job.executor.as_ref() == Some(&executor),
				"a stale provisional index entry"
			);
		}
		let mut bonds = BTreeMap::<T::AccountId, Balance>::new();
		for (id, challenge) in Challenges::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("a challenge of a missing job")?;
			ensure!(job.status == JobStatus::Provisional, "a challenge of a result no longer provisional");
			ensure!(ChallengeDeadlines::<T>::get(challenge.deadline).contains(&id), "a challenge missing from its deadline list");
			*bonds.entry(challenge.challenger).or_default() += challenge.bond;
		}
		for (_, due) in ChallengeDeadlines::<T>::iter() {
			ensure!(!due.is_empty(), "an empty challenge deadline list is kept");
			ensure!(due.iter().all(|id| Challenges::<T>::contains_key(id)), "a deadline list names a settled challenge");
		}
		for (challenger, expected) in bonds {
			let held = T::Currency::balance_on_hold(T::StakeAsset::get(), &HoldReason::ChallengeBond.into(), &challenger);
			ensure!(held == expected, "a challenger's bond held differs from its open challenges");
		}
		for (id, job) in Jobs::<T>::iter() {
			ensure!(id < next, "a job id at or above NextJobId");
			*deposits.entry(job.depositor.clone()).or_default() += job.deposit;
			if let Some(executor) = &job.executor {
				*deposits.entry(executor.clone()).or_default() += job.result_deposit;
			}
			if job.status.holds_escrow() {
				*escrow.entry((job.payer.clone(), job.asset.clone())).or_default() += job.escrow();
			}
			if job.status == JobStatus::Provisional {
				let executor = job.executor.as_ref().ok_or("a provisional result without an executor")?;
				ensure!(ProvisionalResults::<T>::contains_key(executor, id), "a provisional result missing from its executor's index");
				ensure!(
					finalizing.get(&id) == Some(&job.updated_at.saturating_add(T::ChallengePeriod::get())),
					"a provisional result not queued for the end of its window"
				);
				ensure!(Outputs::<T>::contains_key(id), "a provisional result without its output");
			}
			if job.status.is_open() {
				match &job.executor {
					None => ensure!(
						job.status == JobStatus::Pending && pending.iter().any(|(queued, _, _)| *queued == id),
						"an open job without an executor is not pending a draw"
					),
					Some(executor) => ensure!(
						job.status != JobStatus::Pending && ExecutorJobs::<T>::contains_key(executor, id),
						"an assigned job is missing from its executor's index"
					),
				}
				ensure!(
					Deadlines::<T>::get(Self::expiry_block(job.deadline)).contains(&id),
					"an open job is missing from its deadline list"
				);
			}
		}
		for ((payer, asset), expected) in escrow {
			let held = T::Currency::balance_on_hold(asset, &HoldReason::JobEscrow.into(), &payer);
			ensure!(held == expected, "escrow held differs from the escrow of open jobs");
		}
		for (who, expected) in deposits {
			let held = T::Currency::balance_on_hold(
				T::StakeAsset::get(),
				&HoldReason::StorageDeposit.into(),
				&who,
			);
			ensure!(held == expected, "storage deposit held differs from the deposits of kept jobs");
		}
		for id in Evidences::<T>::iter_keys() {
			ensure!(Outputs::<T>::contains_key(id), "evidence without the output it is for");
		}
		for (executor, id, ()) in ExecutorJobs::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("an executor index entry without a job")?;
			ensure!(
				job.executor.as_ref() == Some(&executor) && job.status.is_open(),
				"a stale executor index entry"
			);
		}
		for (block, due) in Deadlines::<T>::iter() {
			ensure!(!due.is_empty(), "an empty deadline list is kept");
			for id in due {
				let job = Jobs::<T>::get(id).ok_or("a deadline list names a missing job")?;
				ensure!(
					job.status.is_open() && Self::expiry_block(job.deadline) == block,
					"a deadline list holds a closed job, or one of another block"
				);
			}
		}
		let mut open_per_executor = BTreeMap::<T::AccountId, u32>::new();
		for (executor, _, ()) in ExecutorJobs::<T>::iter() {
			*open_per_executor.entry(executor).or_default() += 1;
		}
		let busy: BTreeMap<T::AccountId, u32> = T::Executors::busy_executors().into_iter().collect();
		ensure!(busy == open_per_executor, "an executor's active-job count differs from its open jobs");
		let (head, tail) = PruneQueueBounds::<T>::get();
		let retention: u64 = sp_runtime::SaturatedConversion::saturated_into(T::RetentionPeriod::get());
		ensure!(
			tail.saturating_sub(head) <=
				retention.saturating_add(1).saturating_mul(Self::max_closes_per_block().into()),
			"the prune queue holds more than a retention period of closes"
		);
		let queued: BTreeSet<JobId> = (head..tail)
			.filter_map(|position| PruneQueue::<T>::get(position).map(|(id, _)| id))
			.collect();
		for (id, job) in Jobs::<T>::iter() {
			ensure!(
				job.status.holds_escrow() || queued.contains(&id),
				"a closed job is not queued for pruning"
			);
		}
		Ok(())
	}
}
