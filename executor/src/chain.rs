//! The executor's view of the chain, over the node's JSON-RPC with `subxt`.
//!
//! Reads go through `state_call` (the `InferenceApi` runtime API) and `state_getStorage`, decoded
//! with the shared `verity-primitives` types. Transactions are built dynamically from the
//! runtime's metadata, so a runtime upgrade that keeps the calls' shapes needs no new executor.

use codec::{Decode, Encode};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use sp_crypto_hashing::{blake2_128, twox_128, twox_64};
use subxt::{
	dynamic::Value,
	ext::scale_value::Composite,
	rpcs::{LegacyRpcMethods, RpcClient},
	tx::{Signer, TransactionStatus},
	utils::{AccountId32, MultiSignature},
	config::RpcConfigFor,
	OnlineClient, PolkadotConfig,
};
use verity_primitives::{
	dispatch::DispatchKey,
	inference::{
		Evidence, ExecutorSignature, JobId, JobInput, JobSpec, JobSummary, ModelId, SigningKey,
		VerificationMode,
	},
	AccountId, Balance, BlockNumber,
};

/// The transaction format of a Verity chain, as subxt knows it.
pub type ChainConfig = PolkadotConfig;

/// The node's legacy JSON-RPC methods, for a Verity chain.
pub type RpcMethods = LegacyRpcMethods<RpcConfigFor<ChainConfig>>;

/// The asset of a job, as the runtime encodes `NativeOrWithId<AssetId>`.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, Debug)]
pub enum AssetKind {
	/// The native token.
	Native,
	/// A `pallet-assets` asset.
	WithId(u32),
}

/// A job as the `InferenceApi` reports it.
pub type Job = JobSummary<AccountId, AssetKind, BlockNumber>;

/// An executor's on-chain record, as far as the executor needs it: the leading fields of the
/// executors pallet's `ExecutorInfo`, in their storage order.
#[derive(Clone, PartialEq, Eq, Decode, Debug)]
pub struct Registration {
	/// Stake bonded.
	pub stake: Balance,
	/// Where validators dispatch jobs to.
	pub endpoint: Vec<u8>,
	/// The key that signs results.
	pub signing_key: SigningKey,
	/// `(model, tier, fee)` served.
	pub services: Vec<(ModelId, VerificationMode, Balance)>,
	/// CPU or GPU.
	pub hardware: u8,
	/// Concurrent jobs it accepts.
	pub capacity: u32,
	/// Jobs assigned now.
	pub active_jobs: u32,
	/// Block of the last heartbeat.
	pub last_heartbeat: BlockNumber,
}

/// The executor's account key: signs transactions and, for the signed tier, results.
#[derive(Clone)]
pub struct ExecutorKey(pub sr25519::Pair);

impl ExecutorKey {
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

impl Signer<ChainConfig> for ExecutorKey {
	fn account_id(&self) -> AccountId32 {
		AccountId32(self.0.public().0)
	}

	fn sign(&self, payload: &[u8]) -> MultiSignature {
		MultiSignature::Sr25519(self.0.sign(payload).0)
	}
}

/// Why a transaction did not make it into a block.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
	/// The node refused it or dropped it; it may be sent again.
	#[error("transaction not included: {0}")]
	NotIncluded(String),
	/// The connection or the encoding failed.
	#[error("{0}")]
	Client(String),
}

/// An event of an included transaction.
#[derive(Clone, Debug)]
pub struct TxEvent {
	/// Pallet name.
	pub pallet: String,
	/// Event name.
	pub name: String,
	/// SCALE-encoded fields.
	pub fields: Vec<u8>,
}

/// A connection to a Verity node.
#[derive(Clone)]
pub struct Chain {
	rpc: RpcMethods,
	client: OnlineClient<ChainConfig>,
	genesis_hash: H256,
}

fn client_error(e: impl std::fmt::Display) -> SubmitError {
	SubmitError::Client(e.to_string())
}

fn map_key(pallet: &str, item: &str) -> Vec<u8> {
	[twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat()
}

impl Chain {
	/// Connects to the node at `url` (`ws://` or `wss://`).
	pub async fn connect(url: &str) -> anyhow::Result<Self> {
		let rpc_client = RpcClient::from_insecure_url(url)
			.await
			.map_err(|e| anyhow::anyhow!("cannot reach the node at {url}: {e}"))?;
		let rpc = LegacyRpcMethods::new(rpc_client.clone());
		let client = OnlineClient::<ChainConfig>::from_rpc_client(rpc_client).await?;
		let genesis_hash = H256(client.genesis_hash().0);
		Ok(Self { rpc, client, genesis_hash })
	}

	/// The chain's genesis hash.
	pub fn genesis_hash(&self) -> H256 {
		self.genesis_hash
	}

	/// The raw RPC methods (subscriptions, heads).
	pub fn rpc(&self) -> &RpcMethods {
		&self.rpc
	}

	async fn runtime_call<R: Decode>(&self, method: &str, args: &[u8]) -> anyhow::Result<R> {
		let bytes = self.rpc.state_call(method, Some(args), None).await?;
		Ok(R::decode(&mut &bytes[..])?)
	}

	async fn storage<R: Decode>(&self, key: &[u8]) -> anyhow::Result<Option<R>> {
		match self.rpc.state_get_storage(key, None).await? {
			Some(bytes) => Ok(Some(R::decode(&mut &bytes[..])?)),
			None => Ok(None),
		}
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

	/// A job, at the best block.
	pub async fn job(&self, job: JobId) -> anyhow::Result<Option<Job>> {
		self.runtime_call("InferenceApi_job", &job.encode()).await
	}

	/// A completed job's output (`Inference::Outputs`), at the best block.
	pub async fn output(&self, job: JobId) -> anyhow::Result<Option<Vec<u8>>> {
		let id = job.encode();
		let key = [map_key("Inference", "Outputs"), twox_64(&id).to_vec(), id].concat();
		self.storage(&key).await
	}

	/// The validators' dispatch keys (`Inference::Dispatchers`), at the best block.
	pub async fn dispatchers(&self) -> anyhow::Result<Vec<DispatchKey>> {
		Ok(self.storage(&map_key("Inference", "Dispatchers")).await?.unwrap_or_default())
	}

	/// `executor`'s registration (`Executors::Executors`), at the best block.
	pub async fn registration(&self, executor: &AccountId) -> anyhow::Result<Option<Registration>> {
		let account = executor.encode();
		let key = [map_key("Executors", "Executors"), blake2_128(&account).to_vec(), account]
			.concat();
		self.storage(&key).await
	}

	/// The inference pallet's events in block `number` of the best chain, with the job each is
	/// about: `(event name, job id)`.
	pub async fn job_events(&self, number: BlockNumber) -> anyhow::Result<Vec<(String, JobId)>> {
		let events = self.client.at_block(number).await?.events().fetch().await?;
		Ok(events
			.iter()
			.filter_map(Result::ok)
			.filter(|e| e.pallet_name() == "Inference")
			.filter_map(|e| Some((e.event_name().to_owned(), JobId::decode(&mut e.field_bytes()).ok()?)))
			.collect())
	}

	/// A `u32` constant of the runtime's metadata.
	pub async fn constant_u32(&self, pallet: &str, name: &str) -> anyhow::Result<u32> {
		let at = self.client.at_current_block().await?;
		Ok(at.constants().entry(subxt::dynamic::constant::<u32>(pallet, name))?)
	}

	/// Signs `calls` (one call, or a `Utility::force_batch` of several) with `key` and waits
	/// until the transaction is in a best block. Returns the block and the transaction's events.
	///
	/// The nonce comes from `system_accountNextIndex`, which counts the transaction pool: the
	/// caller keeps at most one transaction of the key in flight, so nonces never collide.
	pub async fn submit(&self, calls: Vec<Call>, key: &ExecutorKey) -> Result<(H256, Vec<TxEvent>), SubmitError> {
		let payload = match <[Call; 1]>::try_from(calls) {
			Ok([call]) => subxt::dynamic::tx(call.pallet, call.name, Composite::unnamed(call.args)),
			Err(calls) => subxt::dynamic::tx(
				"Utility",
				"force_batch",
				Composite::unnamed([Value::unnamed_composite(calls.into_iter().map(Call::into_value))]),
			),
		};
		let nonce = self
			.rpc
			.system_account_next_index(&key.account_id())
			.await
			.map_err(client_error)?;
		let params = subxt::config::DefaultExtrinsicParamsBuilder::<ChainConfig>::new().nonce(nonce).build();
		let mut progress = self
			.client
			.tx()
			.await
			.map_err(client_error)?
			.sign_and_submit_then_watch(&payload, key, params)
			.await
			.map_err(|e| SubmitError::NotIncluded(e.to_string()))?;
		while let Some(status) = progress.next().await {
			match status.map_err(|e| SubmitError::NotIncluded(e.to_string()))? {
				TransactionStatus::InBestBlock(in_block) | TransactionStatus::InFinalizedBlock(in_block) => {
					let events = in_block.fetch_events().await.map_err(client_error)?;
					let events = events
						.iter()
						.filter_map(Result::ok)
						.map(|e| TxEvent {
							pallet: e.pallet_name().to_owned(),
							name: e.event_name().to_owned(),
							fields: e.field_bytes().to_vec(),
						})
						.collect();
					return Ok((H256(in_block.block_hash().0), events));
				},
				TransactionStatus::Invalid { message } |
				TransactionStatus::Dropped { message } |
				TransactionStatus::Error { message } => return Err(SubmitError::NotIncluded(message)),
				_ => {},
			}
		}
		Err(SubmitError::NotIncluded("the node closed the transaction's subscription".into()))
	}
}

/// One runtime call, built from its pallet, name and arguments.
#[derive(Clone, Debug)]
pub struct Call {
	/// Pallet name.
	pub pallet: &'static str,
	/// Call name.
	pub name: &'static str,
	/// Arguments, in order.
	pub args: Vec<Value>,
}

impl Call {
	fn into_value(self) -> Value {
		Value::unnamed_variant(self.pallet, [Value::unnamed_variant(self.name, self.args)])
	}

	/// `Inference::submit_result(job, output, evidence)`.
	pub fn submit_result(job: JobId, output: &[u8], evidence: &Evidence) -> Self {
		Self { pallet: "Inference", name: "submit_result", args: vec![Value::u128(job.into()), Value::from_bytes(output), evidence_value(evidence)] }
	}

	/// `Inference::report_failure(job, reason)`.
	pub fn report_failure(job: JobId, reason: &str) -> Self {
		let reason = &reason.as_bytes()[..reason.len().min(MAX_REASON_LEN)];
		Self { pallet: "Inference", name: "report_failure", args: vec![Value::u128(job.into()), Value::from_bytes(reason)] }
	}

	/// `Inference::submit_jobs(specs)`.
	pub fn submit_jobs(specs: &[JobSpec<BlockNumber>]) -> Self {
		let specs = specs.iter().map(|spec| {
			let input = match &spec.input {
				JobInput::Inline(bytes) => Value::unnamed_variant("Inline", [Value::from_bytes(bytes.as_slice())]),
				JobInput::Reference { hash, uri } => Value::named_variant(
					"Reference",
					[("hash", Value::from_bytes(hash.0)), ("uri", Value::from_bytes(uri.as_slice()))],
				),
			};
			Value::named_composite([
				("model", Value::from_bytes(spec.model.0)),
				("mode", mode_value(spec.mode)),
				("input", input),
				("max_fee", Value::u128(spec.max_fee)),
				("deadline", Value::u128(spec.deadline.into())),
			])
		});
		Self { pallet: "Inference", name: "submit_jobs", args: vec![Value::unnamed_composite(specs)] }
	}

	/// `Executors::heartbeat()`.
	pub fn heartbeat() -> Self {
		Self { pallet: "Executors", name: "heartbeat", args: vec![] }
	}

	/// `Executors::register_executor(registration)`.
	pub fn register(
		endpoint: &str,
		key: &ExecutorKey,
		services: &[(ModelId, VerificationMode, Balance)],
		gpu: bool,
		capacity: u32,
		stake: Balance,
	) -> Self {
		let services = services.iter().map(|(model, mode, fee)| {
			Value::named_composite([
				("model", Value::from_bytes(model.0)),
				("mode", mode_value(*mode)),
				("fee", Value::u128(*fee)),
			])
		});
		let registration = Value::named_composite([
			("endpoint", Value::from_bytes(endpoint.as_bytes())),
			("signing_key", Value::unnamed_variant("Sr25519", [Value::from_bytes(key.0.public().0)])),
			("services", Value::unnamed_composite(services)),
			("hardware", Value::unnamed_variant(if gpu { "Gpu" } else { "Cpu" }, [])),
			("capacity", Value::u128(capacity.into())),
			("stake", Value::u128(stake)),
		]);
		Self { pallet: "Executors", name: "register_executor", args: vec![registration] }
	}
}

/// Longest failure reason the runtime keeps (`MaxReasonLen`).
pub const MAX_REASON_LEN: usize = 256;

fn mode_value(mode: VerificationMode) -> Value {
	let name = match mode {
		VerificationMode::Signed => "Signed",
		VerificationMode::Tee => "Tee",
		VerificationMode::Zk => "Zk",
	};
	Value::unnamed_variant(name, [])
}

fn signature_value(signature: &ExecutorSignature) -> Value {
	match signature {
		ExecutorSignature::Sr25519(s) => Value::unnamed_variant("Sr25519", [Value::from_bytes(s.0)]),
		ExecutorSignature::Ed25519(s) => Value::unnamed_variant("Ed25519", [Value::from_bytes(s.0)]),
	}
}

fn evidence_value(evidence: &Evidence) -> Value {
	match evidence {
		Evidence::Signed(signature) => Value::unnamed_variant("Signed", [signature_value(signature)]),
		Evidence::Tee { signature, quote } => Value::named_variant(
			"Tee",
			[
				("signature", signature_value(signature)),
				(
					"quote",
					match quote {
						Some(q) => Value::unnamed_variant("Some", [Value::from_bytes(q.as_slice())]),
						None => Value::unnamed_variant("None", []),
					},
				),
			],
		),
		Evidence::Zk { proof } => Value::named_variant("Zk", [("proof", Value::from_bytes(proof.as_slice()))]),
	}
}
