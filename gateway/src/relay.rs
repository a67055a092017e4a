//! The gateway's relayer: submits paid jobs (`inference.submit_paid`) with its own key, which
//! pays the transaction fees.
//!
//! One transaction is in flight at a time, so its nonce is always the chain's next; paid jobs
//! that arrive meanwhile share the next transaction (`utility.force_batch`), each dispatched on
//! its own, so one refused job does not hold back the others.

use tokio::sync::{mpsc, oneshot};
use verity_client::chain::{batch_outcomes, Call, Chain, AccountKey};
use verity_primitives::{
	inference::{JobId, JobSpec},
	AccountId, BlockNumber,
};
use verity_x402::ChainPayload;
use codec::Decode;
use sp_core::H256;

/// Paid jobs one transaction carries at most.
const JOBS_PER_TRANSACTION: usize = 64;
/// Paid jobs waiting for a transaction at most; more wait for room.
const QUEUED_JOBS: usize = 1024;
/// Times a transaction the node refused or dropped is signed again.
const SUBMIT_ATTEMPTS: u32 = 3;

/// A paid job on chain.
#[derive(Clone, Copy, Debug)]
pub struct Submitted {
	/// The job's id.
	pub job: JobId,
	/// The transaction that submitted it.
	pub transaction: H256,
	/// The block it is in.
	pub block: H256,
}

struct Queued {
	call: Call,
	done: oneshot::Sender<Result<Submitted, String>>,
}

/// The handle to the relayer task.
#[derive(Clone)]
pub struct Relay {
	queue: mpsc::Sender<Queued>,
	account: AccountId,
}

impl Relay {
	/// Starts the relayer for `key` on `chain`.
	pub fn start(chain: Chain, key: AccountKey) -> Self {
		let (queue, receiver) = mpsc::channel(QUEUED_JOBS);
		let account = key.account();
		tokio::spawn(run(chain, key, receiver));
		Self { queue, account }
	}

	/// The relayer's account, which pays the fees.
	pub fn account(&self) -> AccountId {
		self.account.clone()
	}

	/// Submits a paid job; the answer is the job, or the reason it was refused on chain.
	pub async fn submit_paid(
		&self,
		spec: JobSpec<BlockNumber>,
		salt: [u8; 32],
		payment: ChainPayload,
	) -> Result<Submitted, String> {
		let (done, answer) = oneshot::channel();
		let call = Call::submit_paid(&spec, &salt, &payment.authorization, &payment.signature);
		self.queue.send(Queued { call, done }).await.map_err(|_| "relayer_stopped".to_string())?;
		answer.await.unwrap_or_else(|_| Err("relayer_stopped".into()))
	}
}

async fn run(chain: Chain, key: AccountKey, mut queue: mpsc::Receiver<Queued>) {
	while let Some(first) = queue.recv().await {
		let mut batch = vec![first];
		while batch.len() < JOBS_PER_TRANSACTION {
			match queue.try_recv() {
				Ok(next) => batch.push(next),
				Err(_) => break,
			}
		}
		let calls: Vec<Call> = batch.iter().map(|queued| queued.call.clone()).collect();
		let mut last_error = String::new();
		let mut included = None;
		for attempt in 1..=SUBMIT_ATTEMPTS {
			match chain.submit(calls.clone(), &key).await {
				Ok(result) => {
					included = Some(result);
					break;
				},
				Err(e) => {
					tracing::warn!(attempt, error = %e, "paid jobs not included");
					last_error = e.to_string();
				},
			}
		}
		let Some(included) = included else {
			for queued in batch {
				let _ = queued.done.send(Err(format!("transaction_failed: {last_error}")));
			}
			continue;
		};
		let outcomes = batch_outcomes(&included.events, batch.len());
		for (queued, outcome) in batch.into_iter().zip(outcomes) {
			let answer = match outcome {
				Ok(events) => events
					.iter()
					.find(|e| e.pallet == "Inference" && e.name == "JobSubmitted")
					.and_then(|e| JobId::decode(&mut &e.fields[..]).ok())
					.map(|job| Submitted { job, transaction: included.transaction, block: included.block })
					.ok_or_else(|| "job_not_submitted".to_string()),
				Err(error) => Err(format!("job_refused_{}", chain.error_name(&error).await)),
			};
			let _ = queued.done.send(answer);
		}
	}
}
