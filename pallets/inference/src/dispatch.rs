//! The off-chain worker that dispatches jobs to their executors (see `docs/dispatch.md`).
//!
//! Each job has exactly one dispatcher: `Dispatchers[job_id % len]`. The validator holding that
//! key in its keystore POSTs the signed [`Dispatch`] message to the executor's registered
//! endpoint, with an HTTP deadline, and retries with exponential backoff until it gets a 2xx or
//! the job's deadline passes.
//!
//! Nothing is written to chain state here: an off-chain worker runs on a copy of the block's
//! state and everything it writes there is thrown away. Its memory between runs is the node's
//! persistent local storage, which every run of the worker on this node shares (across blocks
//! and forks), and which compare-and-set makes safe when two runs overlap.

use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	offchain::{
		http,
		storage::{MutateStorageError, StorageRetrievalError, StorageValueRef},
		Duration,
	},
	RuntimeAppPublic,
};
use verity_primitives::{
	dispatch::{Dispatch, DispatchKey},
	inference::{ExecutorProvider, JobId},
};

use crate::{Config, Dispatchers, Job, Jobs, NextJobId, Pallet};

/// How long one POST may take, connection to last byte.
pub const HTTP_TIMEOUT_MS: u64 = 3_000;
/// The first retry waits this long; each next one twice as long, up to [`MAX_BACKOFF_MS`].
pub const FIRST_BACKOFF_MS: u64 = 2_000;
/// The longest wait between two attempts.
pub const MAX_BACKOFF_MS: u64 = 60_000;
/// The most bytes of an executor's response that are read (and then ignored).
pub const MAX_RESPONSE_BYTES: usize = 1_024;
/// The most new jobs one run looks at; the rest wait for the next run.
pub const MAX_NEW_PER_RUN: u64 = 64;
/// The most jobs waiting for a retry; beyond it the oldest are given up (the executor still
/// finds them by following the chain).
pub const MAX_PENDING: usize = 256;

const CURSOR_KEY: &[u8] = b"verity/dispatch/cursor";
const PENDING_KEY: &[u8] = b"verity/dispatch/pending";

/// This node's record of one job's dispatch, in persistent local storage.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, Debug, Default)]
pub struct DispatchState {
	/// Attempts made so far.
	pub attempts: u32,
	/// Not before this time (ms since the epoch, the node's clock) for the next attempt.
	pub next_at: u64,
	/// The executor acknowledged it (2xx): no more attempts.
	pub delivered: bool,
}

/// What became of a job in one run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
	/// Delivered now.
	Delivered,
	/// Tried and failed, or its backoff has not passed: try again later.
	Retry,
	/// Nothing more to do here: delivered earlier, closed, past its deadline, or another
	/// validator's to dispatch.
	Done,
}

impl<T: Config> Pallet<T> {
	/// The off-chain worker's entry point: dispatches new jobs and retries pending ones.
	pub fn offchain_dispatch(now: BlockNumberFor<T>) {
		let dispatchers = Dispatchers::<T>::get();
		let local = DispatchKey::all();
		if !dispatchers.iter().any(|key| local.contains(key)) {
			return;
		}
		let mut jobs = Self::take_pending();
		jobs.extend(Self::take_new());
		jobs.sort_unstable();
		jobs.dedup();
		let retry: Vec<JobId> = jobs
			.into_iter()
			.filter(|job| Self::dispatch_job(*job, now, &dispatchers, &local) == Outcome::Retry)
			.collect();
		Self::keep_pending(retry);
	}

	/// The validator that dispatches `job_id`.
	pub fn dispatcher_of(job_id: JobId, dispatchers: &[DispatchKey]) -> Option<&DispatchKey> {
		(!dispatchers.is_empty()).then(|| &dispatchers[(job_id % dispatchers.len() as u64) as usize])
	}

	/// Dispatches `job_id` if it is this node's to dispatch, open, and due.
	pub(crate) fn dispatch_job(
		job_id: JobId,
		now: BlockNumberFor<T>,
		dispatchers: &[DispatchKey],
		local: &[DispatchKey],
	) -> Outcome {
		let Some(job) = Jobs::<T>::get(job_id) else { return Outcome::Done };
		if !job.status.is_open() || now > job.deadline {
			return Outcome::Done;
		}
		let Some(dispatcher) = Self::dispatcher_of(job_id, dispatchers).filter(|k| local.contains(k))
		else {
			return Outcome::Done;
		};
		// Keyed by the job's content too: after a re-org the same id may be another job.
		let key = (b"verity/dispatch/job", job_id, job.input_hash, &job.executor, job.deadline)
			.using_encoded(sp_io::hashing::blake2_256);
		let clock = sp_io::offchain::timestamp().unix_millis();
		// Claim the attempt atomically: of two overlapping runs, one makes it.
		let claim = StorageValueRef::persistent(&key).mutate(
			|state: Result<Option<DispatchState>, StorageRetrievalError>| {
				let state = state.ok().flatten().unwrap_or_default();
				if state.delivered || state.next_at > clock {
					return Err(());
				}
				let backoff = FIRST_BACKOFF_MS
					.saturating_mul(1u64 << state.attempts.min(16))
					.min(MAX_BACKOFF_MS);
				Ok(DispatchState {
					attempts: state.attempts + 1,
					next_at: clock.saturating_add(backoff),
					delivered: false,
				})
			},
		);
		let state = match claim {
			Ok(state) => state,
			Err(MutateStorageError::ValueFunctionFailed(())) =>
				return if Self::delivered(&key) { Outcome::Done } else { Outcome::Retry },
			Err(MutateStorageError::ConcurrentModification(_)) => return Outcome::Retry,
		};
		match Self::post(job_id, &job, dispatcher, state.attempts) {
			Ok(()) => {
				StorageValueRef::persistent(&key).set(&DispatchState { delivered: true, ..state });
				Outcome::Delivered
			},
			Err(why) => {
				log::warn!(
					target: "runtime::inference",
					"dispatch of job {job_id} (attempt {}) failed: {why}",
					state.attempts
				);
				Outcome::Retry
			},
		}
	}

	fn delivered(key: &[u8]) -> bool {
		StorageValueRef::persistent(key)
			.get::<DispatchState>()
			.ok()
			.flatten()
			.is_some_and(|state| state.delivered)
	}

	/// POSTs the signed dispatch message of `job` to its executor's endpoint: nothing else is
	/// ever sent, a redirect is a failure (the HTTP client follows none), and at most
	/// [`MAX_RESPONSE_BYTES`] of the answer are read.
	fn post(job_id: JobId, job: &Job<T>, dispatcher: &DispatchKey, attempt: u32) -> Result<(), &'static str> {
		let endpoint = T::Executors::endpoint(&job.executor).ok_or("executor deregistered")?;
		let url = core::str::from_utf8(&endpoint).map_err(|_| "endpoint is not UTF-8")?;
		let message = Dispatch {
			genesis_hash: Self::genesis_hash(),
			job_id,
			executor: job.executor.clone(),
			model: job.model,
			mode: job.mode,
			input: job.input.clone(),
			input_hash: job.input_hash,
			deadline: job.deadline,
			attempt,
			dispatcher: dispatcher.clone(),
		};
		let signature = dispatcher.sign(&message.signing_payload()).ok_or("dispatch key not in keystore")?;
		let deadline = sp_io::offchain::timestamp().add(Duration::from_millis(HTTP_TIMEOUT_MS));
		let pending = http::Request::post(url, alloc::vec![message.http_body(&signature)])
			.add_header("Content-Type", "application/json")
			.deadline(deadline)
			.send()
			.map_err(|_| "request could not be sent")?;
		let response = pending
			.try_wait(deadline)
			.map_err(|_| "no answer before the deadline")?
			.map_err(|_| "HTTP error")?;
		// Read (and drop) a bounded prefix of the answer, so a hostile endpoint cannot make the
		// worker read without end.
		let mut body = response.body();
		body.deadline(deadline);
		let mut read = 0;
		while read < MAX_RESPONSE_BYTES && body.next().is_some() {
			read += 1;
		}
		if (200..300).contains(&response.code) {
			Ok(())
		} else {
			Err("executor answered with a non-2xx status")
		}
	}

	/// New jobs since the last run: at most [`MAX_NEW_PER_RUN`], starting where the last run
	/// stopped (or, on a node's first run, at the most recent ones).
	fn take_new() -> Vec<JobId> {
		let next = NextJobId::<T>::get();
		let cursor = StorageValueRef::persistent(CURSOR_KEY);
		let from = cursor
			.get::<JobId>()
			.ok()
			.flatten()
			.filter(|from| *from <= next)
			.unwrap_or(next.saturating_sub(MAX_NEW_PER_RUN));
		let to = next.min(from.saturating_add(MAX_NEW_PER_RUN));
		cursor.set(&to);
		(from..to).collect()
	}

	fn take_pending() -> Vec<JobId> {
		let mut pending = StorageValueRef::persistent(PENDING_KEY);
		let jobs = pending.get::<Vec<JobId>>().ok().flatten().unwrap_or_default();
		pending.clear();
		jobs
	}

	/// Adds `jobs` to those waiting for a retry (merged, so that an overlapping run's are kept).
	fn keep_pending(jobs: Vec<JobId>) {
		let pending = StorageValueRef::persistent(PENDING_KEY);
		let mut all = pending.get::<Vec<JobId>>().ok().flatten().unwrap_or_default();
		all.extend(jobs);
		all.sort_unstable();
		all.dedup();
		if all.len() > MAX_PENDING {
			all.drain(..all.len() - MAX_PENDING);
		}
		pending.set(&all);
	}
}
