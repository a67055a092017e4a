//! The executor's core: it takes its jobs from the chain, runs them with bounded concurrency,
//! and settles them on chain through one submission queue.
//!
//! - **Pulled at start and at every best block.** When it starts, and at every new best block
//!   (the process's one head subscription, [`Follower`]), the executor asks the chain for its
//!   open jobs, so a job is taken at the first head that holds it and a missed head only delays
//!   it to the next.
//! - **Served once.** A job id is taken at most once; later sightings of it are duplicates.
//! - **Started before revealed.** A job is started on chain while its model runs, and its result
//!   sent only once the start is in a block: a result in the pool is public, and a started job
//!   can no longer be cancelled for a refund. A job too close to its deadline to be started and
//!   finished is reported failed at once rather than left to expire.
//! - **One transaction in flight.** Starts, results, failure reports, heartbeats and attestation
//!   renewals go through one [`Submitter`], which batches what waits into one
//!   `Utility::force_batch` and signs a dropped transaction again; each call's outcome is typed
//!   by the runtime that ran it.

use std::{
	collections::{HashMap, HashSet, VecDeque},
	sync::{
		atomic::{AtomicBool, Ordering},
		Arc, Mutex,
	},
	time::Instant,
};

use sp_core::H256;
use sp_crypto_hashing::blake2_256;
use tokio::sync::{watch, Semaphore};
use verity_primitives::{
	inference::{Evidence, JobId, JobInput, JobStatus, ModelId, ResultStatement, VerificationMode},
	AccountId, BlockNumber,
};

use verity_client::{follow::Follower, submitter::Submitter};
use verity_primitives::events::ChainEvent;

use crate::{
	attest::Enclave,
	chain::{AccountKey, Call, Chain, Job, SubmitError},
	engine::{EngineError, Engines},
	metrics::Metrics,
};

/// Finished job ids remembered to recognise late duplicates.
const FINISHED_MEMORY: usize = 8192;
/// Times a job is run in all when its result does not land while the chain shows it open.
const MAX_REFUSALS: u32 = 2;
/// Blocks a job needs after the best block it was seen at: one for its start, a later one for
/// its result (the runtime refuses a result in its start's block).
const BLOCKS_TO_FINISH: BlockNumber = 2;

/// A job to run.
#[derive(Clone, Debug)]
pub struct WorkItem {
	/// The job.
	pub job: JobId,
	/// The model.
	pub model: ModelId,
	/// The tier.
	pub mode: VerificationMode,
	/// The input.
	pub input: JobInput,
	/// BLAKE2-256 of the input, as the chain recorded it.
	pub input_hash: H256,
	/// The last block at which a result is accepted.
	pub deadline: BlockNumber,
	/// The best block the executor saw the job at.
	pub seen_at: BlockNumber,
}

impl WorkItem {
	fn from_job(job: JobId, summary: Job, seen_at: BlockNumber) -> Self {
		Self {
			job,
			model: summary.model,
			mode: summary.mode,
			input: summary.input,
			input_hash: summary.input_hash,
			deadline: summary.deadline,
			seen_at,
		}
	}
}

/// How a job ends from the executor's side.
enum Settlement {
	/// Submit this output, with this proof at the zk tier.
	Result(Vec<u8>, Option<Vec<u8>>),
	/// Report that the job cannot be run, with the reason.
	Failure(String),
}

#[derive(Default)]
struct JobBook {
	active: HashSet<JobId>,
	finished: HashSet<JobId>,
	finished_order: VecDeque<JobId>,
	/// Results the chain refused, per job still open.
	refusals: HashMap<JobId, u32>,
}

impl JobBook {
	/// Forgets a job whose result did not land (refused, or never included, e.g. across a
	/// re-org), so that the follower takes it again while the chain shows it open, rather than
	/// leave it to expire and cost the stake; after [`MAX_REFUSALS`] runs it is finished for good,
	/// so that a result the chain always refuses is not run without end.
	fn refused(&mut self, job: JobId) {
		let refusals = self.refusals.entry(job).or_default();
		*refusals += 1;
		if *refusals >= MAX_REFUSALS {
			self.refusals.remove(&job);
			self.finish(job);
		} else {
			self.active.remove(&job);
		}
	}

	fn finish(&mut self, job: JobId) {
		self.active.remove(&job);
		self.refusals.remove(&job);
		if self.finished.insert(job) {
			self.finished_order.push_back(job);
			if self.finished_order.len() > FINISHED_MEMORY {
				let oldest = self.finished_order.pop_front().expect("not empty");
				self.finished.remove(&oldest);
			}
		}
	}
}

/// The running executor, shared by its tasks and its HTTP handlers.
pub struct Executor {
	key: AccountKey,
	account: AccountId,
	chain: Chain,
	engines: Engines,
	jobs: Mutex<JobBook>,
	permits: Arc<Semaphore>,
	/// The prover's memory budget, one permit per MiB.
	prover_memory: Arc<Semaphore>,
	prover_budget_mib: u64,
	submitter: Submitter,
	follower: Follower,
	heartbeat_pending: AtomicBool,
	/// Challenged results being proved (or that could not be), so that each is tried once.
	proving: Mutex<HashSet<JobId>>,
	shutdown: watch::Receiver<bool>,
	/// The attested enclave's keys, if this executor serves the tee tier.
	enclave: Option<Arc<Enclave>>,
	/// The metrics.
	pub metrics: Metrics,
	/// TEST ONLY (cargo feature `dishonest`): how many signed-tier results in a million are
	/// falsified before they are signed.
	#[cfg(feature = "dishonest")]
	lies_per_million: std::sync::atomic::AtomicU32,
}

impl Executor {
	/// Starts the executor's background tasks: the submission queue and the chain follower.
	pub fn start(
		key: AccountKey,
		chain: Chain,
		engines: Engines,
		capacity: usize,
		prover_budget_mib: u64,
		enclave: Option<Arc<Enclave>>,
		shutdown: watch::Receiver<bool>,
	) -> Arc<Self> {
		let prover_budget_mib = prover_budget_mib.max(1);
		let executor = Arc::new(Self {
			account: key.account(),
			submitter: Submitter::start(chain.clone(), key.clone()),
			follower: Follower::start(chain.clone()),
			key,
			chain,
			engines,
			jobs: Mutex::default(),
			permits: Arc::new(Semaphore::new(capacity.max(1))),
			prover_memory: Arc::new(Semaphore::new(prover_budget_mib as usize)),
			prover_budget_mib,
			heartbeat_pending: AtomicBool::new(false),
			proving: Mutex::default(),
			shutdown,
			enclave,
			metrics: Metrics::new(),
			#[cfg(feature = "dishonest")]
			lies_per_million: Default::default(),
		});
		tokio::spawn(executor.clone().follow_loop());
		executor
	}

	/// TEST ONLY (cargo feature `dishonest`): falsify each signed-tier result from now on with
	/// `probability` (0 to 1), to test that challenges catch it.
	#[cfg(feature = "dishonest")]
	pub fn lie_with_probability(&self, probability: f64) {
		let per_million = (probability.clamp(0.0, 1.0) * 1_000_000.0) as u32;
		self.lies_per_million.store(per_million, Ordering::Relaxed);
		tracing::warn!(probability, "TEST ONLY: this executor falsifies signed-tier results");
	}

	/// TEST ONLY (cargo feature `dishonest`): `output` with its last byte flipped, with the set
	/// probability, if the job is at the signed tier (the other tiers' evidence would not verify).
	#[cfg(feature = "dishonest")]
	fn maybe_falsified(&self, job: JobId, mode: VerificationMode, mut output: Vec<u8>) -> Vec<u8> {
		let draw = rand_core::RngCore::next_u32(&mut rand_core::OsRng) % 1_000_000;
		if mode == VerificationMode::Signed && draw < self.lies_per_million.load(Ordering::Relaxed) {
			if let Some(last) = output.last_mut() {
				*last ^= 0x01;
				tracing::warn!(job, "TEST ONLY: falsified this result");
			}
		}
		output
	}

	/// The executor's account.
	pub fn account(&self) -> &AccountId {
		&self.account
	}

	/// The loaded engines.
	pub fn engines(&self) -> &Engines {
		&self.engines
	}

	/// Jobs taken and not yet settled.
	pub fn active_jobs(&self) -> usize {
		self.jobs.lock().expect("not poisoned").active.len()
	}

	fn shutting_down(&self) -> bool {
		*self.shutdown.borrow()
	}

	/// Renews the enclave attestation: through the one submitter, so that it never races the
	/// executor's other transactions for a nonce.
	pub fn renew_attestation(self: &Arc<Self>, call: Call) {
		let executor = self.clone();
		tokio::spawn(async move {
			match executor.submitter.submit(call).await {
				Ok(renewed) if renewed.events.iter().any(|e| matches!(e, ChainEvent::EnclaveRegistered { .. })) =>
					tracing::info!(block = ?renewed.block, "enclave attestation renewed"),
				Ok(renewed) => tracing::error!(block = ?renewed.block, "the enclave attestation's renewal registered nothing"),
				Err(error) => {
					let error = executor.chain.explain_submit_error(&error).await;
					tracing::error!(%error, "the enclave attestation was not renewed")
				},
			}
		});
	}

	/// Offers a job: runs it unless it was taken before or the executor is shutting down.
	fn offer(self: &Arc<Self>, item: WorkItem) {
		if self.shutting_down() {
			return;
		}
		{
			let mut book = self.jobs.lock().expect("not poisoned");
			if book.active.contains(&item.job) || book.finished.contains(&item.job) {
				return;
			}
			book.active.insert(item.job);
		}
		self.metrics.in_flight.inc();
		tracing::info!(job = item.job, model = ?item.model, tier = ?item.mode, "job taken");
		tokio::spawn(self.clone().run_job(item));
	}

	async fn run_job(self: Arc<Self>, item: WorkItem) {
		let taken_at = Instant::now();
		// A job that cannot be finished by its deadline is given back now, refunding its payer
		// at no cost to the stake, rather than left to expire.
		if item.deadline < item.seen_at.saturating_add(BLOCKS_TO_FINISH) {
			let reason = format!(
				"too late to finish: the deadline is block {}, and the job was seen at block {}",
				item.deadline, item.seen_at
			);
			tracing::warn!(job = item.job, %reason, "reporting failure");
			return self.settle_on_chain(item.job, item.mode, Call::report_failure(item.job, &reason), taken_at).await;
		}
		// Started while the model runs; the result is sent only once the start is in a block, so
		// that it is never public while the payer could still cancel for a refund.
		let (started, settlement) = tokio::join!(self.start_on_chain(&item), self.settle(&item));
		if let Err(error) = started {
			return self.not_settled(item.job, item.mode, error).await;
		}
		#[cfg(feature = "dishonest")]
		let settlement = match settlement {
			Settlement::Result(output, proof) => Settlement::Result(self.maybe_falsified(item.job, item.mode, output), proof),
			failure => failure,
		};
		let call = match settlement {
			Settlement::Result(output, proof) => match self.evidence(&item, &output, proof).await {
				Ok(evidence) => Call::submit_result(item.job, &output, &evidence),
				Err(e) => {
					tracing::warn!(job = item.job, error = %e, "no evidence for the result: reporting failure");
					Call::report_failure(item.job, &format!("no evidence: {e}"))
				},
			},
			Settlement::Failure(reason) => {
				tracing::warn!(job = item.job, %reason, "job cannot be run: reporting failure");
				Call::report_failure(item.job, &reason)
			},
		};
		self.settle_on_chain(item.job, item.mode, call, taken_at).await;
	}

	/// Starts `item` on chain, from when its payer can no longer cancel it, and waits until the
	/// start is in a best block. A job this executor started before (it restarted since) counts
	/// as started.
	async fn start_on_chain(&self, item: &WorkItem) -> Result<(), SubmitError> {
		let Err(error) = self.submitter.submit(Call::start_job(item.job)).await else { return Ok(()) };
		match self.chain.job(item.job).await {
			Ok(Some(summary)) if summary.status == JobStatus::Running && summary.executor.as_ref() == Some(&self.account) => Ok(()),
			_ => Err(error),
		}
	}

	/// Submits a job's result or failure report and records what became of it.
	async fn settle_on_chain(&self, job: JobId, mode: VerificationMode, call: Call, taken_at: Instant) {
		let error = match self.submitter.submit(call).await {
			Ok(settled) => {
				let completed = settled.events.iter().any(|e| {
					matches!(e, ChainEvent::JobCompleted { job: done } | ChainEvent::ResultProvisional { job: done } if *done == job)
				});
				if completed {
					tracing::info!(job, block = ?settled.block, "result accepted: job completed");
					self.finish(job, mode, "completed", Some(taken_at));
				} else {
					tracing::info!(job, block = ?settled.block, "failure report accepted: payer refunded");
					self.finish(job, mode, "failed", Some(taken_at));
				}
				return;
			},
			Err(error) => error,
		};
		self.not_settled(job, mode, error).await
	}

	/// A job's start, result or failure report did not land: records why, and takes the job
	/// again if the chain still shows it open and this executor's.
	async fn not_settled(&self, job: JobId, mode: VerificationMode, error: SubmitError) {
		self.metrics.submission_failures.inc();
		// Settled meanwhile (an earlier attempt made it after all), or closed (expired,
		// cancelled): nothing is left to do.
		let still_ours = matches!(
			self.chain.job(job).await,
			Ok(Some(summary)) if summary.status.is_open() && summary.executor.as_ref() == Some(&self.account)
		);
		if !still_ours {
			return self.finish(job, mode, "closed", None);
		}
		// Still open and ours: taken again (at most `MAX_REFUSALS` times) rather than left to
		// expire and cost the stake.
		let outcome = match error {
			SubmitError::Refused(_) => {
				let error = self.chain.explain_submit_error(&error).await;
				tracing::error!(job, %error, "the chain refused the result");
				"rejected"
			},
			_ => {
				tracing::error!(job, %error, "the result did not make it on chain");
				"abandoned"
			},
		};
		self.record(mode, outcome, None);
		self.jobs.lock().expect("not poisoned").refused(job);
	}

	/// The evidence of `output` at the job's tier: the zk proof, the enclave key's signature
	/// (with a quote binding the statement where the model asks for one), or the executor's.
	async fn evidence(&self, item: &WorkItem, output: &[u8], proof: Option<Vec<u8>>) -> anyhow::Result<Evidence> {
		if let Some(proof) = proof {
			return Ok(Evidence::Zk { proof: proof.try_into().map_err(|_| anyhow::anyhow!("proof too long"))? });
		}
		let statement = ResultStatement {
			genesis_hash: self.chain.genesis_hash(),
			job_id: item.job,
			model_id: item.model,
			input_hash: item.input_hash,
			output_hash: H256(blake2_256(output)),
		};
		match (item.mode, &self.enclave) {
			(VerificationMode::Tee, Some(enclave)) => {
				let quote_per_job = self.chain.enclave_requirements(item.model).await?.quote_per_job;
				let enclave = enclave.clone();
				tokio::task::spawn_blocking(move || enclave.evidence(&statement, quote_per_job)).await?
			},
			(VerificationMode::Tee, None) => anyhow::bail!("this executor has no attested enclave"),
			_ => Ok(self.key.sign_statement(&statement.signing_payload())),
		}
	}

	/// The job's input bytes: inline, or a sealed input opened by the enclave.
	fn input_of(&self, item: &WorkItem) -> Result<Vec<u8>, String> {
		let input = match &item.input {
			JobInput::Inline(input) => input.to_vec(),
			JobInput::Sealed { commitment, .. } => {
				if *commitment != item.input_hash {
					return Err("the sealed input's commitment is not the job's input hash".into());
				}
				let enclave = self.enclave.as_ref().ok_or("a sealed input needs an attested enclave")?;
				return verity_client::sealed::open(enclave.encryption_secret(), &item.input)
					.map_err(|e| format!("sealed input refused: {e}"));
			},
			JobInput::Reference { .. } => return Err("inputs by reference are not supported by this executor".into()),
		};
		if H256(blake2_256(&input)) != item.input_hash {
			return Err("input does not match its recorded hash".into());
		}
		Ok(input)
	}

	async fn settle(&self, item: &WorkItem) -> Settlement {
		let input = match self.input_of(item) {
			Ok(input) => input,
			Err(reason) => return Settlement::Failure(reason),
		};
		let Some(engine) = self.engines.get(&item.model).cloned() else {
			return Settlement::Failure(format!(
				"model {:?} is not loaded here: its weights file is missing or does not hash to the id",
				item.model
			));
		};
		// What a proof needs of the prover's memory budget, in MiB (zk tier only).
		let proving_mib = match item.mode {
			VerificationMode::Signed => None,
			VerificationMode::Zk => match engine.proving_memory() {
				Some(bytes) => Some(bytes.div_ceil(1 << 20).clamp(1, self.prover_budget_mib) as u32),
				None => return Settlement::Failure(EngineError::NoProver.to_string()),
			},
			VerificationMode::Tee if self.enclave.is_none() => {
				return Settlement::Failure("this executor has no attested enclave".into());
			},
			VerificationMode::Tee => None,
		};
		// Wait for a slot (and, to prove, for memory); a job still waiting when shutdown starts
		// is released, so that its payer is refunded now instead of at the deadline.
		let permits = async {
			let slot = self.permits.clone().acquire_owned().await.expect("never closed");
			let memory = match proving_mib {
				Some(mib) => Some(self.prover_memory.clone().acquire_many_owned(mib).await.expect("never closed")),
				None => None,
			};
			(slot, memory)
		};
		let permits = tokio::select! {
			permits = permits => permits,
			_ = until_shutdown(self.shutdown.clone()) => {
				return Settlement::Failure("executor shutting down: job released".into());
			},
		};
		let timer = self.metrics.inference.with_label_values(&[engine.name()]).start_timer();
		let outcome = tokio::task::spawn_blocking(move || {
			let _permits = permits;
			match proving_mib {
				Some(_) => engine.prove(&input).map(|(output, proof)| (output, Some(proof))),
				None => engine.run(&input).map(|output| (output, None)),
			}
		})
		.await;
		timer.observe_duration();
		match outcome {
			Ok(Ok((output, proof))) => Settlement::Result(output, proof),
			Ok(Err(EngineError::BadInput(reason))) => Settlement::Failure(reason),
			Ok(Err(e)) => Settlement::Failure(e.to_string()),
			Err(panic) => Settlement::Failure(format!("engine panicked: {panic}")),
		}
	}

	fn finish(&self, job: JobId, mode: VerificationMode, outcome: &str, taken_at: Option<Instant>) {
		self.record(mode, outcome, taken_at);
		self.jobs.lock().expect("not poisoned").finish(job);
	}

	/// Counts a settlement attempt's outcome in the metrics.
	fn record(&self, mode: VerificationMode, outcome: &str, taken_at: Option<Instant>) {
		let tier = tier_label(mode);
		self.metrics.jobs.with_label_values(&[tier, outcome]).inc();
		if let Some(taken_at) = taken_at {
			self.metrics.job_latency.with_label_values(&[tier]).observe(taken_at.elapsed().as_secs_f64());
		}
		self.metrics.in_flight.dec();
	}

	/// Follows new best blocks: takes the open jobs assigned to this executor, and sends
	/// heartbeats before the registration goes stale.
	async fn follow_loop(self: Arc<Self>) {
		// Subscribed before anything is read, so that no head announced from here on is missed.
		let mut heads = self.follower.heads();
		let heartbeat_timeout = self.chain.constant::<u32>("Executors", "HeartbeatTimeout").await.unwrap_or(600);
		// Jobs assigned before the first head this executor sees (while it was down, or while it
		// started): taken now rather than at the next block, which a quiet chain may not make.
		match self.chain.best_number().await {
			Ok(best) => self.poll_chain(best, heartbeat_timeout).await,
			Err(e) => tracing::warn!(error = %e, "cannot read the best block: open jobs wait for the next head"),
		}
		loop {
			tokio::select! {
				head = heads.recv() => match head {
					Ok(mut head) => {
						// Under fast blocks heads queue up while a poll runs: the newest best
						// head's open jobs include every older one's, so only it is read.
						while let Ok(newer) = heads.try_recv() {
							head = newer;
						}
						self.poll_chain(head.number, heartbeat_timeout).await
					},
					Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
					Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
				},
				_ = until_shutdown(self.shutdown.clone()) => return,
			}
		}
	}

	/// `head` is the number of the best block just announced.
	async fn poll_chain(self: &Arc<Self>, head: BlockNumber, heartbeat_timeout: BlockNumber) {
		match self.chain.open_jobs(&self.account).await {
			Ok(open) => {
				self.jobs.lock().expect("not poisoned").refusals.retain(|job, _| open.contains(job));
				for job in open {
					let known = {
						let book = self.jobs.lock().expect("not poisoned");
						book.active.contains(&job) || book.finished.contains(&job)
					};
					if known {
						continue;
					}
					match self.chain.job(job).await {
						Ok(Some(summary)) if summary.status.is_open() => {
							self.offer(WorkItem::from_job(job, summary, head));
						},
						Ok(_) => {},
						Err(e) => tracing::warn!(job, error = %e, "cannot read job"),
					}
				}
			},
			Err(e) => tracing::warn!(error = %e, "cannot read open jobs"),
		}
		self.answer_challenges().await;
		if self.heartbeat_pending.load(Ordering::SeqCst) {
			return;
		}
		if let Ok(Some(registration)) = self.chain.executor(&self.account).await {
			if head.saturating_sub(registration.last_heartbeat) >= heartbeat_timeout / 2 &&
				!self.heartbeat_pending.swap(true, Ordering::SeqCst)
			{
				let executor = self.clone();
				tokio::spawn(async move {
					match executor.submitter.submit(Call::heartbeat()).await {
						Ok(sent) => tracing::debug!(block = ?sent.block, "heartbeat included"),
						Err(error) => {
							let error = executor.chain.explain_submit_error(&error).await;
							tracing::warn!(%error, "heartbeat not included")
						},
					}
					executor.heartbeat_pending.store(false, Ordering::SeqCst);
				});
			}
		}
	}
}

impl Executor {
	/// Proves each of this executor's challenged results the chain asks a proof of (models with
	/// a zk key that the runtime cannot re-run), once each, in the background.
	async fn answer_challenges(self: &Arc<Self>) {
		let due = match self.chain.proofs_due(&self.account).await {
			Ok(due) => due,
			Err(e) => return tracing::warn!(error = %e, "cannot read the proofs due"),
		};
		let fresh: Vec<JobId> = {
			let mut proving = self.proving.lock().expect("not poisoned");
			proving.retain(|job| due.contains(job));
			due.into_iter().filter(|job| proving.insert(*job)).collect()
		};
		for job in fresh {
			let executor = self.clone();
			tokio::spawn(async move {
				match executor.answer_challenge(job).await {
					Ok(()) => tracing::info!(job, "challenge answered with a proof: the result is final"),
					Err(e) => tracing::warn!(job, error = %e, "challenge not answered"),
				}
			});
		}
	}

	/// Proves the stored output of challenged job `job` and submits the proof.
	async fn answer_challenge(&self, job: JobId) -> anyhow::Result<()> {
		let summary = self.chain.job(job).await?.ok_or_else(|| anyhow::anyhow!("job {job} is gone"))?;
		let stored = self.chain.result(job).await?.ok_or_else(|| anyhow::anyhow!("job {job} has no stored output"))?.output;
		let JobInput::Inline(input) = &summary.input else {
			anyhow::bail!("only an inline input can be proved");
		};
		let engine = self.engines.get(&summary.model).cloned().ok_or_else(|| anyhow::anyhow!("model not loaded here"))?;
		let bytes = engine.proving_memory().ok_or_else(|| anyhow::anyhow!("{}", EngineError::NoProver))?;
		let mib = bytes.div_ceil(1 << 20).clamp(1, self.prover_budget_mib) as u32;
		let memory = self.prover_memory.clone().acquire_many_owned(mib).await.expect("never closed");
		let input = input.to_vec();
		let (output, proof) = tokio::task::spawn_blocking(move || {
			let _memory = memory;
			engine.prove(&input)
		})
		.await?
		.map_err(|e| anyhow::anyhow!("proving failed: {e}"))?;
		anyhow::ensure!(output == stored, "the stored output is not what the model gives: it cannot be proved");
		self.submitter
			.submit(Call::answer_challenge(job, &proof))
			.await
			.map_err(|e| anyhow::anyhow!("the proof was not accepted: {e:?}"))?;
		Ok(())
	}
}

/// Resolves once shutdown has started.
pub async fn until_shutdown(mut shutdown: watch::Receiver<bool>) {
	let _ = shutdown.wait_for(|stop| *stop).await;
}

/// The metrics label of a tier.
pub fn tier_label(mode: VerificationMode) -> &'static str {
	match mode {
		VerificationMode::Signed => "signed",
		VerificationMode::Tee => "tee",
		VerificationMode::Zk => "zk",
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_refused_job_is_taken_again_a_bounded_number_of_times() {
		let mut book = JobBook::default();
		book.active.insert(1);
		book.refused(1);
		assert!(!book.active.contains(&1) && !book.finished.contains(&1), "free to be taken again");
		book.active.insert(1);
		book.refused(1);
		assert!(book.finished.contains(&1) && book.refusals.is_empty(), "finished after the second refusal");
	}
}
