//! A Verity chain over the node's JSON-RPC with `subxt`: what the executor, the gateway and the
//! `verity` CLI read and submit.
//!
//! Every read is a runtime API call (`state_call`), decoded with the `verity-primitives` types
//! the runtime answers with: no storage key is computed here and no pallet struct mirrored, so
//! a storage-layout change is the runtime's business alone. A call is encoded one way: its
//! arguments with the `verity-primitives` types, its pallet and call index from the chain's
//! current metadata. What a transaction did comes from `EventsApi::extrinsic_outcome`, typed
//! by the runtime that ran it: no event or error is matched by name.

use codec::{Decode, Encode};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use subxt::{
	ext::scale_encode::{self, EncodeAsFields, FieldIter, TypeResolver},
	rpcs::{LegacyRpcMethods, RpcClient},
	tx::{Signer, TransactionStatus},
	utils::{AccountId32, MultiSignature},
	config::RpcConfigFor,
	OnlineClient, PolkadotConfig,
};
use scale_info::TypeDef;
use sp_runtime::DispatchError;
use verity_primitives::{
	attestation::{AttestedEnclave, EnclaveRequirements},
	events::{CallError, CallOutcome, ChainEvent, ExtrinsicOutcome, Refusal},
	inference::{
		Evidence, ExecutorSignature, JobId, JobResult, JobSpec, JobSummary, ModelId, Offers, Quote, SigningKey,
		TierPrices, TierStatsEntry, VerificationMode,
	},
	registry::{ExecutorView, HardwareClass, ModelView, Registration, Service},
	x402::{PaidJobRefusal, SchemeKind},
	AccountId, Balance, BlockNumber,
};
use verity_x402::{ChainAuthorization, ChainPayload};
use verity_zkml::verifier::PreparedKey;
use ark_bls12_381::Bls12_381;

/// The transaction format of a Verity chain, as subxt knows it.
pub type ChainConfig = PolkadotConfig;

/// The node's legacy JSON-RPC methods, for a Verity chain.
pub type RpcMethods = LegacyRpcMethods<RpcConfigFor<ChainConfig>>;

/// The asset of a job: the native token or a `pallet-assets` id.
pub use verity_x402::AssetKind;

/// A job as the `InferenceApi` reports it.
pub type Job = JobSummary<AccountId, AssetKind, BlockNumber>;

/// A registered model, as the chain reports it.
pub type Model = ModelView<AccountId, AssetKind>;

/// A registered executor, as the chain reports it.
pub type Executor = ExecutorView<AccountId, BlockNumber>;

/// An event a service acts on.
pub type Event = ChainEvent<AccountId>;

/// An account key (sr25519): signs transactions, and for an executor, signed-tier results.
#[derive(Clone)]
pub struct AccountKey(pub sr25519::Pair);

impl AccountKey {
	/// The account.
	pub fn account(&self) -> AccountId {
		AccountId::from(self.0.public())
	}

	/// SS58 form of the account, for logs.
	pub fn ss58(&self) -> String {
		self.0.public().to_ss58check()
	}

	/// The signed tier's evidence for a statement payload.
	pub fn sign_statement(&self, payload: &[u8]) -> Evidence {
		Evidence::Signed(ExecutorSignature::Sr25519(self.0.sign(payload)))
	}
}

impl Signer<ChainConfig> for AccountKey {
	fn account_id(&self) -> AccountId32 {
		AccountId32(self.0.public().0)
	}

	fn sign(&self, payload: &[u8]) -> MultiSignature {
		MultiSignature::Sr25519(self.0.sign(payload).0)
	}
}

/// Why a call did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
	/// The node refused the transaction or dropped it; it may be sent again.
	#[error("transaction not included: {0}")]
	NotIncluded(String),
	/// The connection or the encoding failed.
	#[error("{0}")]
	Client(String),
	/// The transaction was sent, and may be (or is) in a block, but what it did is not known
	/// (no inclusion in time, a lost watch, an unreadable outcome). It is never signed again,
	/// which could apply its calls twice: the caller looks at the chain.
	#[error("outcome unknown: {0}")]
	Unknown(String),
	/// The transaction was included, and the chain refused the call (its writes undone).
	#[error("refused on chain: {:?}", .0.error)]
	Refused(CallError),
}

/// How long a sent transaction may take to reach a best block.
const INCLUSION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// How many times an included transaction's outcome is read again before it is unknown.
const OUTCOME_READS: u32 = 3;

/// A connection to a Verity node.
#[derive(Clone)]
pub struct Chain {
	rpc_client: RpcClient,
	rpc: RpcMethods,
	client: OnlineClient<ChainConfig>,
	genesis_hash: H256,
}

fn client_error(e: impl std::fmt::Display) -> SubmitError {
	SubmitError::Client(e.to_string())
}

impl Chain {
	/// Connects to the node at `url` (`ws://` or `wss://`).
	pub async fn connect(url: &str) -> anyhow::Result<Self> {
		let rpc_client = RpcClient::from_insecure_url(url)
			.await
			.map_err(|e| anyhow::anyhow!("cannot reach the node at {url}: {e}"))?;
		let rpc = LegacyRpcMethods::new(rpc_client.clone());
		let client = OnlineClient::<ChainConfig>::from_rpc_client(rpc_client.clone()).await?;
		let genesis_hash = H256(client.genesis_hash().0);
		Ok(Self { rpc_client, rpc, client, genesis_hash })
	}

	/// The chain's genesis hash.
	pub fn genesis_hash(&self) -> H256 {
		self.genesis_hash
	}

	/// The raw RPC methods (subscriptions, heads).
	pub fn rpc(&self) -> &RpcMethods {
		&self.rpc
	}

	/// Any JSON-RPC method, with JSON parameters and answer (the node's `x402_*`, say).
	pub async fn rpc_request(&self, method: &str, params: Vec<serde_json::Value>) -> anyhow::Result<serde_json::Value> {
		let mut rpc_params = subxt::rpcs::client::RpcParams::new();
		for param in params {
			rpc_params.push(param)?;
		}
		Ok(self.rpc_client.request(method, rpc_params).await?)
	}

	async fn runtime_call<R: Decode>(&self, method: &str, args: &[u8]) -> anyhow::Result<R> {
		self.runtime_call_at(method, args, None).await
	}

	async fn runtime_call_at<R: Decode>(&self, method: &str, args: &[u8], at: Option<H256>) -> anyhow::Result<R> {
		let bytes = self.rpc.state_call(method, Some(args), at.map(|h| subxt::utils::H256(h.0))).await?;
		Ok(R::decode(&mut &bytes[..])?)
	}

	/// The best block's hash.
	pub async fn best_hash(&self) -> anyhow::Result<H256> {
		let hash = self.rpc.chain_get_block_hash(None).await?.ok_or_else(|| anyhow::anyhow!("no best block"))?;
		Ok(H256(hash.0))
	}

	/// Every way to pay for a job on `model` now, and the block they are for
	/// (`InferenceApi::offers`): one runtime call.
	pub async fn offers(&self, model: ModelId) -> anyhow::Result<Offers<AssetKind, BlockNumber>> {
		self.runtime_call("InferenceApi_offers", &model.encode()).await
	}

	/// What a job of `model` at `mode` costs now (`InferenceApi::quote`); `None` if not offered.
	pub async fn quote(&self, model: ModelId, mode: VerificationMode) -> anyhow::Result<Option<Quote<AssetKind>>> {
		self.runtime_call("InferenceApi_quote", &(model, mode).encode()).await
	}

	/// Whether `inference.submit_paid(spec, salt, payment)` would succeed now
	/// (`InferenceApi::check_paid_job`): the outer error is the connection's, the inner the
	/// runtime's refusal.
	pub async fn check_paid_job(
		&self,
		spec: &JobSpec<BlockNumber>,
		salt: &[u8; 32],
		payment: &ChainPayload,
	) -> anyhow::Result<Result<(), PaidJobRefusal>> {
		let args = (spec, salt, &payment.authorization, &payment.signature).encode();
		self.runtime_call("InferenceApi_check_paid_job", &args).await
	}

	/// A job at block `at`.
	pub async fn job_at(&self, job: JobId, at: H256) -> anyhow::Result<Option<Job>> {
		self.runtime_call_at("InferenceApi_job", &job.encode(), Some(at)).await
	}

	/// A completed job's output and evidence at block `at` (`InferenceApi::result`).
	pub async fn result_at(&self, job: JobId, at: H256) -> anyhow::Result<Option<JobResult>> {
		self.runtime_call_at("InferenceApi_result", &job.encode(), Some(at)).await
	}

	/// The verifying key registered for `model`'s zk tier (`ZkVerifierApi::verifying_key`).
	pub async fn zk_key(&self, model: ModelId) -> anyhow::Result<Option<PreparedKey<Bls12_381>>> {
		let Some(prepared) = self.runtime_call::<Option<Vec<u8>>>("ZkVerifierApi_verifying_key", &model.encode()).await?
		else {
			return Ok(None);
		};
		let prepared = PreparedKey::decode_trusted(&prepared)
			.map_err(|e| anyhow::anyhow!("the chain's verifying key of {model:?} does not decode: {e:?}"))?;
		Ok(Some(prepared))
	}

	/// `Pallet.Error` for a module error (from the runtime's metadata), else the error's debug form.
	pub async fn error_name(&self, error: &DispatchError) -> String {
		match self.module_error(error).await {
			Some((name, _)) => name,
			None => format!("{error:?}"),
		}
	}

	/// `Pallet.Error: its doc line` for a module error (from the runtime's metadata), else the
	/// error's debug form: what a person reads when the chain refuses a transaction.
	pub async fn explain_error(&self, error: &DispatchError) -> String {
		match self.module_error(error).await {
			Some((name, doc)) => format!("{name}: {doc}"),
			None => format!("{error:?}"),
		}
	}

	/// A submission that failed, as a person reads it: a refusal by its pallet error and doc
	/// line ([`Self::explain_error`]), anything else as it is.
	pub async fn explain_submit_error(&self, error: &SubmitError) -> String {
		match error {
			SubmitError::Refused(refusal) => self.explain_error(&refusal.error).await,
			other => other.to_string(),
		}
	}

	/// A module error's `Pallet.Error` and the first line of its docs, from the current metadata.
	/// A nested error (`Inference.Payment(NonceUsed)`, `Inference.Verification(BadProof)`) is
	/// named to its inner variant, whose doc line says more than the outer one.
	async fn module_error(&self, error: &DispatchError) -> Option<(String, String)> {
		let DispatchError::Module(module) = error else { return None };
		let at = self.client.at_current_block().await.ok()?;
		let metadata = at.metadata_ref();
		let pallet = metadata.pallet_by_error_index(module.index)?;
		let variant = pallet.error_variant_by_index(module.error[0])?;
		let mut name = format!("{}.{}", pallet.name(), variant.name);
		let mut docs = &variant.docs;
		if let [field] = &variant.fields[..] {
			let nested = metadata.types().resolve(field.ty.id).map(|ty| &ty.type_def);
			if let Some(TypeDef::Variant(nested)) = nested {
				if let Some(inner) = nested.variants.iter().find(|inner| inner.index == module.error[1]) {
					name = format!("{name}({})", inner.name);
					docs = &inner.docs;
				}
			}
		}
		let doc = docs.first().map(|line| line.trim().to_owned()).unwrap_or_default();
		Some((name, doc))
	}

	/// The best block's number.
	pub async fn best_number(&self) -> anyhow::Result<BlockNumber> {
		let header = self.rpc.chain_get_header(None).await?.ok_or_else(|| anyhow::anyhow!("no best header"))?;
		Ok(header.number as BlockNumber)
	}

	/// The open jobs assigned to `executor`, at the best block.
	pub async fn open_jobs(&self, executor: &AccountId) -> anyhow::Result<Vec<JobId>> {
		self.runtime_call("InferenceApi_open_jobs", &executor.encode()).await
	}

	/// The challenged results of `executor` waiting for its proof, at the best block.
	pub async fn proofs_due(&self, executor: &AccountId) -> anyhow::Result<Vec<JobId>> {
		self.runtime_call("InferenceApi_proofs_due", &executor.encode()).await
	}

	/// A job, at the best block.
	pub async fn job(&self, job: JobId) -> anyhow::Result<Option<Job>> {
		self.runtime_call("InferenceApi_job", &job.encode()).await
	}

	/// A completed job's output and evidence, at the best block.
	pub async fn result(&self, job: JobId) -> anyhow::Result<Option<JobResult>> {
		self.runtime_call("InferenceApi_result", &job.encode()).await
	}

	/// `executor`'s registration (`ExecutorsApi::executor`), at the best block.
	pub async fn executor(&self, executor: &AccountId) -> anyhow::Result<Option<Executor>> {
		self.runtime_call("ExecutorsApi_executor", &executor.encode()).await
	}

	/// The registered executors (`ExecutorsApi::executors`), at the best block.
	pub async fn executors(&self) -> anyhow::Result<Vec<Executor>> {
		self.runtime_call("ExecutorsApi_executors", &[]).await
	}

	/// A registered model (`ModelsApi::model`), at the best block.
	pub async fn model(&self, model: ModelId) -> anyhow::Result<Option<Model>> {
		self.runtime_call("ModelsApi_model", &model.encode()).await
	}

	/// The registered models (`ModelsApi::models`), at the best block.
	pub async fn models(&self) -> anyhow::Result<Vec<Model>> {
		self.runtime_call("ModelsApi_models", &[]).await
	}

	/// The tee tier's trust root (DER; `AttestationApi::trusted_root`), at the best block.
	pub async fn trusted_root(&self) -> anyhow::Result<Option<Vec<u8>>> {
		self.runtime_call("AttestationApi_trusted_root", &[]).await
	}

	/// `executor`'s attested enclave (`AttestationApi::enclave`), at the best block.
	pub async fn enclave(&self, executor: &AccountId) -> anyhow::Result<Option<AttestedEnclave>> {
		self.runtime_call("AttestationApi_enclave", &executor.encode()).await
	}

	/// `model`'s enclave requirements (`AttestationApi::enclave_requirements`), at the best block.
	pub async fn enclave_requirements(&self, model: ModelId) -> anyhow::Result<EnclaveRequirements> {
		self.runtime_call("AttestationApi_enclave_requirements", &model.encode()).await
	}

	/// The events of block `at` that services act on, each with its extrinsic's index
	/// (`EventsApi::events`).
	pub async fn events_at(&self, at: H256) -> anyhow::Result<Vec<(Option<u32>, Event)>> {
		self.runtime_call_at("EventsApi_events", &[], Some(at)).await
	}

	/// The job that `payer`'s job payment with `nonce` paid for, searching the best chain's
	/// blocks from `from` to the best: the job, the block and the transaction that submitted
	/// it. Whoever submitted it (a relayer, or someone who copied the payment from the pool
	/// and got it in first), the payer was charged for that job.
	pub async fn paid_job(
		&self,
		payer: &AccountId,
		nonce: &verity_primitives::x402::PaymentNonce,
		from: BlockNumber,
	) -> anyhow::Result<Option<(JobId, H256, H256)>> {
		let best = self.best_number().await?;
		for number in (from..=best).rev() {
			let block = self.block_hash(number).await?;
			let events = self.events_at(block).await?;
			let spent = events.iter().find_map(|(index, event)| match event {
				ChainEvent::PaymentSpentOnJob { payer: who, nonce: used } if who == payer && used == nonce => *index,
				_ => None,
			});
			let Some(index) = spent else { continue };
			let job = events.iter().find_map(|(at, event)| match event {
				ChainEvent::JobSubmitted { job, .. } if *at == Some(index) => Some(*job),
				_ => None,
			});
			let Some(job) = job else { continue };
			let transaction = *self
				.extrinsic_hashes(block)
				.await?
				.get(index as usize)
				.ok_or_else(|| anyhow::anyhow!("block {block:?} has no extrinsic {index}"))?;
			return Ok(Some((job, block, transaction)));
		}
		Ok(None)
	}

	/// A constant of the runtime's metadata.
	pub async fn constant<T: subxt::ext::scale_decode::DecodeAsType>(&self, pallet: &str, name: &str) -> anyhow::Result<T> {
		let at = self.client.at_current_block().await?;
		Ok(at.constants().entry(subxt::dynamic::constant::<T>(pallet, name))?)
	}

	/// The hash of block `number` of the best chain.
	pub async fn block_hash(&self, number: BlockNumber) -> anyhow::Result<H256> {
		let hash = self
			.rpc
			.chain_get_block_hash(Some(subxt::rpcs::methods::legacy::NumberOrHex::Number(number.into())))
			.await?
			.ok_or_else(|| anyhow::anyhow!("no block {number} on the best chain"))?;
		Ok(H256(hash.0))
	}

	/// The retained tier statistics up to now (`InferenceApi::recent_tier_stats`) and the
	/// bucket length in milliseconds.
	pub async fn tier_stats(&self) -> anyhow::Result<(u64, Vec<TierStatsEntry<AssetKind>>)> {
		self.runtime_call("InferenceApi_recent_tier_stats", &[]).await
	}

	/// Signs `calls` (one call, or a `Utility::force_batch` of several) with `key` and waits
	/// until the transaction is in a best block.
	///
	/// The nonce comes from `system_accountNextIndex`, which counts the transaction pool: the
	/// caller keeps at most one transaction of the key in flight, so nonces never collide.
	pub async fn submit(&self, calls: Vec<Call>, key: &AccountKey) -> Result<Included, SubmitError> {
		let mut tx = self.client.tx().await.map_err(client_error)?;
		let payload = match <[Call; 1]>::try_from(calls) {
			Ok([call]) => call.payload(),
			Err(calls) => {
				// `Vec<RuntimeCall>`: the count, then each call's pallet index, call index and arguments.
				let mut batch = codec::Compact(calls.len() as u32).encode();
				for call in calls {
					batch.extend(tx.call_data(&call.payload()).map_err(client_error)?);
				}
				subxt::dynamic::tx("Utility", "force_batch", CallArgs(batch))
			},
		};
		let nonce = self
			.rpc
			.system_account_next_index(&key.account_id())
			.await
			.map_err(client_error)?;
		let params = subxt::config::DefaultExtrinsicParamsBuilder::<ChainConfig>::new().nonce(nonce).build();
		let mut progress = tx
			.sign_and_submit_then_watch(&payload, key, params)
			.await
			.map_err(|e| SubmitError::NotIncluded(e.to_string()))?;
		// Once sent, a transaction may still be included however its watch ends: only the node
		// saying it is out of the pool lets it be signed again.
		let watch = async {
			while let Some(status) = progress.next().await {
				match status.map_err(|e| SubmitError::Unknown(format!("lost the transaction's status: {e}")))? {
					TransactionStatus::InBestBlock(in_block) | TransactionStatus::InFinalizedBlock(in_block) =>
						return Ok((H256(in_block.block_hash().0), H256(in_block.extrinsic_hash().0))),
					TransactionStatus::Invalid { message } |
					TransactionStatus::Dropped { message } |
					TransactionStatus::Error { message } => return Err(SubmitError::NotIncluded(message)),
					_ => {},
				}
			}
			Err(SubmitError::Unknown("the node closed the transaction's subscription".into()))
		};
		let (block, transaction) = tokio::time::timeout(INCLUSION_TIMEOUT, watch)
			.await
			.map_err(|_| SubmitError::Unknown(format!("not in a block after {INCLUSION_TIMEOUT:?}")))??;
		let mut attempts = 0;
		loop {
			match self.extrinsic_outcome(block, transaction).await {
				Ok(outcome) => return Ok(Included { block, transaction, outcome }),
				Err(error) if attempts >= OUTCOME_READS => {
					return Err(SubmitError::Unknown(format!("in block {block:?}, but its outcome cannot be read: {error}")))
				},
				Err(_) => attempts += 1,
			}
			tokio::time::sleep(std::time::Duration::from_millis(200)).await;
		}
	}

	/// Signs and submits one call with `key`, and waits until it is in a best block: its events,
	/// or [`SubmitError::Refused`] with the chain's reason. For calls a service submits again
	/// and again, use a [`crate::submitter::Submitter`].
	pub async fn submit_one(&self, call: Call, key: &AccountKey) -> Result<Submitted, SubmitError> {
		let included = self.submit(vec![call], key).await?;
		let outcome = included.outcomes(1).pop().expect("one outcome per call");
		outcome.map(|events| included.submitted(events)).map_err(SubmitError::Refused)
	}

	/// What `transaction` did in `block`: its index there from the block's body, then
	/// `EventsApi::extrinsic_outcome` at that block.
	async fn extrinsic_outcome(&self, block: H256, transaction: H256) -> anyhow::Result<ExtrinsicOutcome<AccountId>> {
		let index = self
			.extrinsic_hashes(block)
			.await?
			.iter()
			.position(|hash| *hash == transaction)
			.ok_or_else(|| anyhow::anyhow!("transaction {transaction:?} is not in block {block:?}"))?;
		let outcome: Option<ExtrinsicOutcome<AccountId>> =
			self.runtime_call_at("EventsApi_extrinsic_outcome", &(index as u32).encode(), Some(block)).await?;
		outcome.ok_or_else(|| anyhow::anyhow!("no outcome for extrinsic {index} of block {block:?}"))
	}

	/// The hashes (BLAKE2-256) of `block`'s extrinsics, in order: a transaction's hash as its
	/// submitter knows it.
	async fn extrinsic_hashes(&self, block: H256) -> anyhow::Result<Vec<H256>> {
		let body = self
			.rpc
			.chain_get_block(Some(subxt::utils::H256(block.0)))
			.await?
			.ok_or_else(|| anyhow::anyhow!("block {block:?} is gone"))?;
		Ok(body.block.extrinsics.iter().map(|extrinsic| H256(sp_crypto_hashing::blake2_256(&extrinsic.0))).collect())
	}

	/// Waits until `block` (of the best chain) is finalized, for at most `timeout`.
	pub async fn wait_finalized(&self, block: H256, timeout: std::time::Duration) -> anyhow::Result<()> {
		let header = self
			.rpc
			.chain_get_header(Some(subxt::utils::H256(block.0)))
			.await?
			.ok_or_else(|| anyhow::anyhow!("block {block:?} is gone"))?;
		let number = header.number as BlockNumber;
		let mut finalized = self.rpc.chain_subscribe_finalized_heads().await?;
		let wait = async {
			loop {
				let finalized_hash = self.rpc.chain_get_finalized_head().await?;
				let finalized_number = self
					.rpc
					.chain_get_header(Some(finalized_hash))
					.await?
					.map_or(0, |header| header.number as BlockNumber);
				if finalized_number >= number {
					anyhow::ensure!(self.block_hash(number).await? == block, "block {block:?} was not finalized: another was");
					return Ok(());
				}
				finalized.next().await.ok_or_else(|| anyhow::anyhow!("the finality subscription ended"))??;
			}
		};
		let waited: anyhow::Result<()> = tokio::time::timeout(timeout, wait)
			.await
			.map_err(|_| anyhow::anyhow!("block {block:?} was not finalized within {timeout:?}"))?;
		waited
	}
}

/// A transaction in a block.
#[derive(Clone, Debug)]
pub struct Included {
	/// The block.
	pub block: H256,
	/// The transaction's hash.
	pub transaction: H256,
	/// What it did, as the runtime that ran it says.
	pub outcome: ExtrinsicOutcome<AccountId>,
}

impl Included {
	/// What became of each of the transaction's `calls` calls (one, or the items of its
	/// `force_batch`): its events, or why it failed. A transaction that failed as a whole
	/// failed every call.
	pub fn outcomes(&self, calls: usize) -> Vec<CallOutcome<AccountId>> {
		match &self.outcome {
			ExtrinsicOutcome::Failed(error) => vec![Err(error.clone()); calls],
			ExtrinsicOutcome::Dispatched(items) => {
				let mut items = items.clone();
				items.resize_with(calls, || {
					Err(CallError { error: DispatchError::Other("no outcome for this call"), refusal: Refusal::Other })
				});
				items
			},
		}
	}

	/// A call of this transaction that took effect, with its events.
	pub fn submitted(&self, events: Vec<Event>) -> Submitted {
		Submitted { block: self.block, transaction: self.transaction, events }
	}
}

/// A call that took effect on chain.
#[derive(Clone, Debug)]
pub struct Submitted {
	/// The block it is in.
	pub block: H256,
	/// The transaction that carried it.
	pub transaction: H256,
	/// Its events.
	pub events: Vec<Event>,
}

impl Submitted {
	/// The job the call submitted, if it submitted one.
	pub fn job(&self) -> Option<JobId> {
		self.events.iter().find_map(|event| match event {
			ChainEvent::JobSubmitted { job, .. } => Some(*job),
			_ => None,
		})
	}
}

/// A call's arguments, SCALE-encoded with the runtime's own types (`verity-primitives`); the
/// metadata gives the call its pallet and call index.
#[derive(Clone, Debug)]
struct CallArgs(Vec<u8>);

impl EncodeAsFields for CallArgs {
	fn encode_as_fields_to<R: TypeResolver>(
		&self,
		_fields: &mut dyn FieldIter<'_, R::TypeId>,
		_types: &R,
		out: &mut Vec<u8>,
	) -> Result<(), scale_encode::Error> {
		out.extend_from_slice(&self.0);
		Ok(())
	}
}

/// One runtime call: its pallet and name, and its arguments.
#[derive(Clone, Debug)]
pub struct Call {
	/// Pallet name.
	pub pallet: &'static str,
	/// Call name.
	pub name: &'static str,
	args: CallArgs,
}

impl Call {
	fn new(pallet: &'static str, name: &'static str, args: impl Encode) -> Self {
		Self { pallet, name, args: CallArgs(args.encode()) }
	}

	fn payload(self) -> subxt::transactions::DynamicPayload<CallArgs> {
		subxt::dynamic::tx(self.pallet, self.name, self.args)
	}

	/// `Inference::submit_paid(spec, salt, authorization, signature)`.
	pub fn submit_paid(
		spec: &JobSpec<BlockNumber>,
		salt: &[u8; 32],
		authorization: &ChainAuthorization,
		signature: &sp_runtime::MultiSignature,
	) -> Self {
		Self::new("Inference", "submit_paid", (spec, salt, authorization, signature))
	}

	/// `X402::settle(authorization, signature)` for an `exact` payment, or
	/// `X402::settle_upto(authorization, signature, amount)` for an `upto` one.
	pub fn settle(payment: &ChainPayload, scheme: SchemeKind, amount: Balance) -> Self {
		let ChainPayload { authorization, signature } = payment;
		match scheme {
			SchemeKind::Exact => Self::new("X402", "settle", (authorization, signature)),
			SchemeKind::Upto =>
				Self::new("X402", "settle_upto", (authorization, signature, codec::Compact(amount))),
		}
	}

	/// `Models::register_model(model, name, format, limits, asset, prices, royalty)`.
	pub fn register_model(
		model: ModelId,
		name: &str,
		format: &str,
		(max_input_len, max_output_len): (u32, u32),
		asset: &AssetKind,
		prices: &TierPrices,
		royalty: sp_runtime::Perbill,
	) -> Self {
		let args = (model, name.as_bytes(), format.as_bytes(), max_input_len, max_output_len, asset, prices, royalty);
		Self::new("Models", "register_model", args)
	}

	/// `Models::set_asset_prices(model, asset, prices)`.
	pub fn set_asset_prices(model: ModelId, asset: &AssetKind, prices: Option<&TierPrices>) -> Self {
		Self::new("Models", "set_asset_prices", (model, asset, prices))
	}

	/// `Attestation::register_enclave(quote, collateral, keys)`.
	pub fn register_enclave(
		quote: &[u8],
		collateral: &verity_tee::Collateral,
		keys: &verity_primitives::attestation::EnclaveKeys,
	) -> Self {
		Self::new("Attestation", "register_enclave", (quote, collateral.encode(), keys))
	}

	/// `Inference::start_job(job)`.
	pub fn start_job(job: JobId) -> Self {
		Self::new("Inference", "start_job", job)
	}

	/// `Inference::submit_result(job, output, evidence)`.
	pub fn submit_result(job: JobId, output: &[u8], evidence: &Evidence) -> Self {
		Self::new("Inference", "submit_result", (job, output, evidence))
	}

	/// `Inference::report_failure(job, reason)`, the reason cut to what the chain keeps.
	pub fn report_failure(job: JobId, reason: &str) -> Self {
		let reason = &reason.as_bytes()[..reason.len().min(MAX_REASON_LEN)];
		Self::new("Inference", "report_failure", (job, reason))
	}

	/// `Inference::challenge(job, input)`: `input` only for a job whose input is by reference.
	pub fn challenge(job: JobId, input: Option<&[u8]>) -> Self {
		Self::new("Inference", "challenge", (job, input))
	}

	/// `Inference::answer_challenge(job, proof)`: the executor's zk proof of its challenged result.
	pub fn answer_challenge(job: JobId, proof: &[u8]) -> Self {
		Self::new("Inference", "answer_challenge", (job, proof))
	}

	/// `Reexecution::store_model(file)`.
	pub fn store_model(file: &[u8]) -> Self {
		Self::new("Reexecution", "store_model", file)
	}

	/// `Inference::submit_jobs(specs)`.
	pub fn submit_jobs(specs: &[JobSpec<BlockNumber>]) -> Self {
		Self::new("Inference", "submit_jobs", specs)
	}

	/// `Executors::heartbeat()`.
	pub fn heartbeat() -> Self {
		Self::new("Executors", "heartbeat", ())
	}

	/// `Executors::register_executor(registration)`, the results signed by `key`.
	pub fn register(
		endpoint: &str,
		key: &AccountKey,
		services: &[(ModelId, VerificationMode, Balance)],
		gpu: bool,
		capacity: u32,
		stake: Balance,
	) -> Self {
		let registration = Registration {
			endpoint: endpoint.as_bytes().to_vec(),
			signing_key: SigningKey::Sr25519(key.0.public()),
			services: services.iter().map(|&(model, mode, fee)| Service { model, mode, fee }).collect::<Vec<_>>(),
			hardware: if gpu { HardwareClass::Gpu } else { HardwareClass::Cpu },
			capacity,
			stake,
		};
		Self::new("Executors", "register_executor", registration)
	}
}

/// Longest failure reason the runtime keeps (`MaxReasonLen`).
pub const MAX_REASON_LEN: usize = 256;
