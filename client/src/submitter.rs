//! One account's transactions, one at a time: the executor's results, the gateway relayer's
//! paid jobs and the node facilitator's settlements all go through a [`Submitter`].
//!
//! One transaction in flight means its nonce is the chain's next, so concurrent calls never
//! race for nonces (a gap left by a dropped transaction would park every later one in the
//! pool's future queue, where a quiet chain never frees it). Calls that arrive while one
//! transaction waits for its block share the next one (`utility.force_batch`, which dispatches
//! each on its own, so one refused call does not hold back the others). A transaction the node
//! refuses or drops is signed again with a fresh nonce, up to [`SUBMIT_ATTEMPTS`] times with a
//! growing pause. One that was sent and whose fate is not known ([`SubmitError::Unknown`]: not
//! in a block within two minutes, say) is never signed again, which could apply its calls twice.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use verity_primitives::AccountId;

use crate::chain::{AccountKey, Call, Chain, SubmitError, Submitted};

/// How many times a transaction is signed and sent before its calls are answered
/// [`SubmitError::NotIncluded`].
pub const SUBMIT_ATTEMPTS: u32 = 5;
/// The pause before the second attempt; it doubles for each later one.
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(500);
/// How many calls wait for a transaction at most; more wait for room.
const QUEUED_CALLS: usize = 4096;
/// The most calls one transaction carries (the runtime's batch limit is higher).
pub const CALLS_PER_TRANSACTION: usize = 64;

struct Queued {
	call: Call,
	done: oneshot::Sender<Result<Submitted, SubmitError>>,
}

/// The handle to one account's submission task.
#[derive(Clone)]
pub struct Submitter {
	queue: mpsc::Sender<Queued>,
	account: AccountId,
}

impl Submitter {
	/// Starts submitting for `key` on `chain` (a task on the current tokio runtime).
	pub fn start(chain: Chain, key: AccountKey) -> Self {
		let (queue, receiver) = mpsc::channel(QUEUED_CALLS);
		let account = key.account();
		tokio::spawn(run(chain, key, receiver));
		Self { queue, account }
	}

	/// The account that signs, and pays the fees.
	pub fn account(&self) -> &AccountId {
		&self.account
	}

	/// Submits `call` and waits until it is in a best block: its events, or why not.
	pub async fn submit(&self, call: Call) -> Result<Submitted, SubmitError> {
		let (done, answer) = oneshot::channel();
		let stopped = || SubmitError::Client("the submitter stopped".into());
		self.queue.send(Queued { call, done }).await.map_err(|_| stopped())?;
		answer.await.unwrap_or_else(|_| Err(stopped()))
	}
}

async fn run(chain: Chain, key: AccountKey, mut queue: mpsc::Receiver<Queued>) {
	while let Some(first) = queue.recv().await {
		let mut batch = vec![first];
		while batch.len() < CALLS_PER_TRANSACTION {
			match queue.try_recv() {
				Ok(next) => batch.push(next),
				Err(_) => break,
			}
		}
		submit_batch(&chain, &key, batch).await;
	}
}

/// Submits `batch` in one transaction and answers each of its calls.
async fn submit_batch(chain: &Chain, key: &AccountKey, batch: Vec<Queued>) {
	let calls: Vec<Call> = batch.iter().map(|queued| queued.call.clone()).collect();
	let mut pause = FIRST_RETRY_PAUSE;
	let mut last_error = None;
	for attempt in 1..=SUBMIT_ATTEMPTS {
		match chain.submit(calls.clone(), key).await {
			Ok(included) => {
				let outcomes = included.outcomes(batch.len());
				for (queued, outcome) in batch.into_iter().zip(outcomes) {
					let answer = outcome.map(|events| included.submitted(events)).map_err(SubmitError::Refused);
					let _ = queued.done.send(answer);
				}
				return;
			},
			Err(SubmitError::Unknown(why)) => {
				tracing::warn!(calls = calls.len(), %why, "transaction sent, outcome unknown");
				for queued in batch {
					let _ = queued.done.send(Err(SubmitError::Unknown(why.clone())));
				}
				return;
			},
			Err(error) => {
				tracing::warn!(attempt, calls = calls.len(), %error, "transaction not included");
				last_error = Some(error.to_string());
			},
		}
		if attempt < SUBMIT_ATTEMPTS {
			tokio::time::sleep(pause).await;
			pause *= 2;
		}
	}
	let why = last_error.unwrap_or_default();
	for queued in batch {
		let _ = queued.done.send(Err(SubmitError::NotIncluded(why.clone())));
	}
}
