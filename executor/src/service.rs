//! The executor's core: it takes jobs (from dispatches and from the chain), runs them with
//! bounded concurrency, and settles them on chain through one submission queue.
//!
//! - **Served once.** A job id is taken at most once, whichever way it arrives first; later
//!   dispatches of it (validator retries) and later sightings on chain are duplicates.
//! - **Never lost.** At every new best block (the process's one head subscription,
//!   [`Follower`]) the executor asks the chain for its open jobs, so a lost dispatch only delays
//!   a job.
//! - **One transaction in flight.** Results, failure reports, heartbeats and attestation
//!   renewals go through one [`Submitter`], which batches what waits into one
//!   `Utility::force_batch` and signs a dropped transaction again; each call's outcome is typed
//!   by the runtime that ran it.

use std::{
	collections::{HashMap, HashSet, VecDeque},
	sync::{
		atomic::{AtomicBool, AtomicU32, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant},
};

use codec::Decode;
use sp_core::{ed25519, Pair, H256};
use sp_crypto_hashing::blake2_256;
use tokio::sync::{watch, RwLock, Semaphore};
use verity_primitives::{
	dispatch::{Dispatch, DispatchKey, DispatchSignature},
	inference::{Evidence, JobId, JobInput, ModelId, ResultStatement, VerificationMode},
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
/// How often an unknown dispatcher key may trigger a refresh of the dispatcher set.
const DISPATCHER_REFRESH: Duration = Duration::from_secs(2);
/// Times a job is run again after the chain refused its result.
const MAX_REFUSALS: u32 = 2;

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
}

impl WorkItem {
	fn from_job(job: JobId, summary: Job) -> Self {
		Self {
			job,
			model: summary.model,
			mode: summary.mode,
			input: summary.input,
			input_hash: summary.input_hash,
			deadline: summary.deadline,
		}
	}
}

/// What happened to a job offered to the executor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intake {
	/// Taken: it will be run and settled.
	Accepted,
	/// Already taken (or already settled) earlier.
	Duplicate,
	/// The executor is shutting down and takes no new jobs.
	ShuttingDown,
}

/// Why a dispatch was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DispatchError {
	/// The body is not a dispatch.
	#[error("malformed dispatch: {0}")]
	Malformed(String),
	/// The dispatch is for another chain.
	#[error("dispatch is for another chain (genesis {0:?})")]
	WrongChain(H256),
	/// The job is assigned to another executor.
	#[error("job is assigned to another executor")]
	WrongExecutor,
	/// The input does not hash to the dispatched input hash.
	#[error("input does not match its hash")]
	InputMismatch,
	/// The signing key is not in the chain's dispatcher set.
	#[error("dispatcher key is not in the chain's dispatcher set")]
	UnknownDispatcher,
	/// The signature does not verify.
	#[error("bad dispatch signature")]
	BadSignature,
}

/// How a job ends from the executor's side.
enum Settlement {
	/// Submit this output, with this proof at the zk tier.
	Result(Vec<u8>, Option<Vec<u8>>),
	/// Report that the job cannot be run, with the reason.
	Failure(String),
}

/// A job seen one way (a dispatch, or its `JobSubmitted` event at a best head) and not yet the
/// other.
struct Sighting {
	at: Instant,
	best: BlockNumber,
	first: &'static str,
}

/// Sightings kept at most (a job seen only one way is forgotten when the map is full).
const MAX_SIGHTINGS: usize = 4096;

#[derive(Default)]
struct JobBook {
	active: HashSet<JobId>,
	finished: HashSet<JobId>,
	finished_order: VecDeque<JobId>,
	/// Results the chain refused, per job still open.
	refusals: HashMap<JobId, u32>,
}

impl JobBook {
	/// Forgets a job whose result the chain refused, so that the follower takes it again while
	/// the chain shows it open; after [`MAX_REFUSALS`] it is finished for good. (A dispatch can
	/// reach the executor before its own node has the job's block: the result is then refused
	/// as an unknown job, and the job must not be left to expire.)
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
	dispatchers: RwLock<(Option<Instant>, Vec<DispatchKey>)>,
	heartbeat_pending: AtomicBool,
	/// The number of the last best head followed.
	best_seen: AtomicU32,
	/// Jobs seen one way (dispatch or chain) and not yet the other: when, at which best head,
	/// and which way, for the push-versus-pull metrics.
	sightings: Mutex<HashMap<JobId, Sighting>>,
	shutdown: watch::Receiver<bool>,
	/// The attested enclave's keys, if this executor serves the tee tier.
	enclave: Option<Arc<Enclave>>,
	/// The metrics.
	pub metrics: Metrics,
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
			dispatchers: RwLock::new((None, Vec::new())),
			heartbeat_pending: AtomicBool::new(false),
			best_seen: AtomicU32::new(0),
			sightings: Mutex::default(),
			shutdown,
			enclave,
			metrics: Metrics::new(),
		});
		tokio::spawn(executor.clone().follow_loop());
		executor
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

	/// Offers a job. Runs it unless it was taken before.
	pub fn offer(self: &Arc<Self>, item: WorkItem) -> Intake {
		if self.shutting_down() {
			return Intake::ShuttingDown;
		}
		{
			let mut book = self.jobs.lock().expect("not poisoned");
			if book.active.contains(&item.job) || book.finished.contains(&item.job) {
				return Intake::Duplicate;
			}
			book.active.insert(item.job);
		}
		self.metrics.in_flight.inc();
		tracing::info!(job = item.job, model = ?item.model, tier = ?item.mode, "job taken");
		tokio::spawn(self.clone().run_job(item));
		Intake::Accepted
	}

	/// Checks a dispatch (its chain, executor, input and validator signature) and offers its
	/// job.
	pub async fn receive_dispatch(self: &Arc<Self>, body: &[u8]) -> Result<Intake, DispatchError> {
		let (dispatch, signature) = parse_dispatch(body)?;
		if dispatch.genesis_hash != self.chain.genesis_hash() {
			return Err(DispatchError::WrongChain(dispatch.genesis_hash));
		}
		if dispatch.executor != self.account {
			return Err(DispatchError::WrongExecutor);
		}
		if let JobInput::Inline(bytes) = &dispatch.input {
			if H256(blake2_256(bytes)) != dispatch.input_hash {
				return Err(DispatchError::InputMismatch);
			}
		}
		if !self.is_dispatcher(&dispatch.dispatcher).await {
			return Err(DispatchError::UnknownDispatcher);
		}
		let key = dispatch.dispatcher.clone().into_inner();
		let signature = signature.into_inner();
		if !ed25519::Pair::verify(&signature, dispatch.signing_payload(), &key) {
			return Err(DispatchError::BadSignature);
		}
		self.sighted(dispatch.job_id, "dispatch", self.best_seen.load(Ordering::SeqCst));
		Ok(self.offer(WorkItem {
			job: dispatch.job_id,
			model: dispatch.model,
			mode: dispatch.mode,
			input: dispatch.input,
			input_hash: dispatch.input_hash,
			deadline: dispatch.deadline,
		}))
	}

	/// Whether `key` is in the chain's dispatcher set, refreshing the cached set (at most every
	/// [`DISPATCHER_REFRESH`]) when it is not.
	async fn is_dispatcher(&self, key: &DispatchKey) -> bool {
		{
			let cached = self.dispatchers.read().await;
			if cached.1.contains(key) {
				return true;
			}
			if cached.0.is_some_and(|at| at.elapsed() < DISPATCHER_REFRESH) {
				return false;
			}
		}
		let mut cached = self.dispatchers.write().await;
		match self.chain.dispatchers().await {
			Ok(set) => *cached = (Some(Instant::now()), set),
			Err(e) => tracing::warn!(error = %e, "cannot read the dispatcher set"),
		}
		cached.1.contains(key)
	}

	async fn run_job(self: Arc<Self>, item: WorkItem) {
		let taken_at = Instant::now();
		let settlement = self.settle(&item).await;
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

	/// Submits a job's result or failure report and records what became of it.
	async fn settle_on_chain(&self, job: JobId, mode: VerificationMode, call: Call, taken_at: Instant) {
		let error = match self.submitter.submit(call).await {
			Ok(settled) => {
				let completed = settled.events.iter().any(|e| *e == ChainEvent::JobCompleted { job });
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
		self.metrics.submission_failures.inc();
		// Settled meanwhile (an earlier attempt made it after all), or closed (expired,
		// cancelled): nothing is left to do.
		let still_ours = matches!(
			self.chain.job(job).await,
			Ok(Some(summary)) if summary.status.is_open() && summary.executor == self.account
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

	/// Follows new best blocks: takes open jobs assigned to this executor that no dispatch
	/// delivered, and sends heartbeats before the registration goes stale.
	async fn follow_loop(self: Arc<Self>) {
		let heartbeat_timeout = self.chain.constant::<u32>("Executors", "HeartbeatTimeout").await.unwrap_or(600);
		let mut heads = self.follower.heads();
		loop {
			tokio::select! {
				head = heads.recv() => match head {
					Ok(head) => {
						self.best_seen.store(head.number, Ordering::SeqCst);
						for (_, event) in &head.events {
							if let ChainEvent::JobSubmitted { job, executor } = event {
								if *executor == self.account {
									self.sighted(*job, "chain", head.number);
								}
							}
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

	/// Notes that `job` was seen one way (`dispatch`, or `chain`) at best head `best`; once it has
	/// been seen both ways, measures by how much the first came before the second.
	fn sighted(&self, job: JobId, way: &'static str, best: BlockNumber) {
		let mut sightings = self.sightings.lock().expect("not poisoned");
		match sightings.remove(&job) {
			Some(first) if first.first != way => {
				let lead = first.at.elapsed().as_secs_f64();
				self.metrics.dispatch_lead.with_label_values(&[first.first]).observe(lead);
				let blocks = best.saturating_sub(first.best) as f64;
				self.metrics.dispatch_lead_blocks.with_label_values(&[first.first]).observe(blocks);
			},
			Some(first) => {
				sightings.insert(job, first);
			},
			None => {
				if sightings.len() >= MAX_SIGHTINGS {
					sightings.clear();
				}
				sightings.insert(job, Sighting { at: Instant::now(), best, first: way });
			},
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
							if self.offer(WorkItem::from_job(job, summary)) == Intake::Accepted {
								tracing::info!(job, "job found on chain (no dispatch received)");
							}
						},
						Ok(_) => {},
						Err(e) => tracing::warn!(job, error = %e, "cannot read job"),
					}
				}
			},
			Err(e) => tracing::warn!(error = %e, "cannot read open jobs"),
		}
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

#[derive(serde::Deserialize)]
struct DispatchBody {
	dispatch: String,
	signature: String,
}

fn hex_bytes(field: &str, value: &str) -> Result<Vec<u8>, DispatchError> {
	hex::decode(value.strip_prefix("0x").unwrap_or(value))
		.map_err(|e| DispatchError::Malformed(format!("{field}: {e}")))
}

/// Parses the dispatch body `{"dispatch":"0x<SCALE>","signature":"0x<64 bytes>"}`.
pub fn parse_dispatch(
	body: &[u8],
) -> Result<(Dispatch<AccountId, BlockNumber>, DispatchSignature), DispatchError> {
	let body: DispatchBody =
		serde_json::from_slice(body).map_err(|e| DispatchError::Malformed(e.to_string()))?;
	let bytes = hex_bytes("dispatch", &body.dispatch)?;
	let mut cursor = &bytes[..];
	let dispatch = Dispatch::decode(&mut cursor)
		.map_err(|e| DispatchError::Malformed(format!("dispatch: {e}")))?;
	if !cursor.is_empty() {
		return Err(DispatchError::Malformed("dispatch: trailing bytes".into()));
	}
	let signature = hex_bytes("signature", &body.signature)?;
	let signature = <[u8; 64]>::try_from(signature.as_slice())
		.map_err(|_| DispatchError::Malformed("signature: expected 64 bytes".into()))?;
	Ok((dispatch, DispatchSignature::from(ed25519::Signature::from_raw(signature))))
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;
	use verity_primitives::dispatch::DISPATCH_DOMAIN;

	fn message() -> Dispatch<AccountId, BlockNumber> {
		Dispatch {
			genesis_hash: H256::repeat_byte(1),
			job_id: 7,
			executor: AccountId::from([2; 32]),
			model: H256::repeat_byte(3),
			mode: VerificationMode::Signed,
			input: JobInput::Inline(vec![1, 2, 3].try_into().unwrap()),
			input_hash: H256(blake2_256(&[1, 2, 3])),
			deadline: 9,
			attempt: 1,
			dispatcher: DispatchKey::from(ed25519::Pair::from_seed(&[4; 32]).public()),
		}
	}

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

	#[test]
	fn a_dispatch_body_round_trips() {
		let pair = ed25519::Pair::from_seed(&[4; 32]);
		let message = message();
		let signature = pair.sign(&message.signing_payload());
		let body = message.http_body(&signature.into());
		let (parsed, parsed_signature) = parse_dispatch(&body).unwrap();
		assert_eq!(parsed, message);
		assert!(ed25519::Pair::verify(&parsed_signature.into_inner(), (DISPATCH_DOMAIN, &parsed).encode(), &pair.public()));
	}

	#[test]
	fn malformed_dispatch_bodies_are_refused_precisely() {
		let malformed = |body: &str| match parse_dispatch(body.as_bytes()) {
			Err(DispatchError::Malformed(reason)) => reason,
			other => panic!("{body}: {other:?}"),
		};
		assert!(malformed("").contains("EOF"));
		assert!(malformed(r#"{"dispatch":"0x00"}"#).contains("signature"));
		assert!(malformed(r#"{"dispatch":"zz","signature":"0x"}"#).starts_with("dispatch:"));
		assert!(malformed(r#"{"dispatch":"0x00","signature":"0x"}"#).starts_with("dispatch:"));
		let mut encoded = message().encode();
		encoded.push(0);
		let body = format!(r#"{{"dispatch":"0x{}","signature":"0x{}"}}"#, hex::encode(&encoded), "00".repeat(64));
		assert_eq!(malformed(&body), "dispatch: trailing bytes");
		let body = format!(r#"{{"dispatch":"0x{}","signature":"0x00"}}"#, hex::encode(message().encode()));
		assert_eq!(malformed(&body), "signature: expected 64 bytes");
	}
}
