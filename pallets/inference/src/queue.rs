//! A first-in, first-out queue of jobs in storage, each with a block number: entries at
//! positions `head..tail` of a map, the bounds in a value, so that pushing and taking from the
//! front are one write each, whatever the queue's length. Closed jobs wait in one to be pruned
//! ([`PruneQueue`]), provisional results in another to be paid out ([`ResultsToFinalize`]).

use crate::*;
use frame_support::storage::{StorageMap, StorageValue};

/// The queue whose entries, each a job and a `Block`, are in `Entries` and whose bounds are in
/// `Bounds`.
pub(crate) struct JobQueue<Block, Entries, Bounds>(core::marker::PhantomData<(Block, Entries, Bounds)>);

/// Closed jobs, with the block they closed in.
pub(crate) type PruneQueueOf<T> = JobQueue<BlockNumberFor<T>, PruneQueue<T>, PruneQueueBounds<T>>;
/// Provisional results, with the block at whose start they become final.
pub(crate) type ResultsToFinalizeOf<T> =
	JobQueue<BlockNumberFor<T>, ResultsToFinalize<T>, ResultsToFinalizeBounds<T>>;

impl<Block, Entries, Bounds> JobQueue<Block, Entries, Bounds>
where
	Block: codec::FullCodec,
	Entries: StorageMap<u64, (JobId, Block), Query = Option<(JobId, Block)>>,
	Bounds: StorageValue<(u64, u64), Query = (u64, u64)>,
{
	/// Appends `job_id` with `block`.
	pub(crate) fn push(job_id: JobId, block: Block) {
		Bounds::mutate(|(_, tail)| {
			Entries::insert(*tail, (job_id, block));
			*tail = tail.saturating_add(1);
		});
	}

	/// Takes entries from the front while their block is `due`, at most `limit`, handing each
	/// job to `take`. Returns how many it took.
	pub(crate) fn take_due(limit: u32, due: impl Fn(&Block) -> bool, mut take: impl FnMut(JobId)) -> u32 {
		let (mut head, tail) = Bounds::get();
		let mut taken = 0;
		while head < tail && taken < limit {
			let Some((job_id, block)) = Entries::get(head) else { break };
			if !due(&block) {
				break;
			}
			Entries::remove(head);
			take(job_id);
			head += 1;
			taken += 1;
		}
		if taken > 0 {
			// `take` may have pushed to a queue: only the head is this loop's.
			Bounds::mutate(|(first, _)| *first = head);
		}
		taken
	}
}
