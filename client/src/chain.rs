//! A Verity chain over the node's JSON-RPC with `subxt`: what the executor, the gateway and the
//! `verity` CLI read and submit.
//!
//! Reads go through `state_call` (the `InferenceApi` runtime API) and `state_getStorage`, decoded
//! with the shared `verity-primitives` types. Transactions are built dynamically from the
//! runtime's metadata, so a runtime upgrade that keeps the calls' shapes needs no new executor.

use codec::{Decode, Encode};
use sp_core::{crypto::Ss58Codec, sr25519, Pair, H256};
use sp_crypto_hashing::{blake2_128, twox_128, twox_64};
use subxt::{
	dynamic::Value,
	ext::{
		scale_encode::{self, EncodeAsFields, FieldIter, TypeResolver},
		scale_value::Composite,
	},
	rpcs::{LegacyRpcMethods, RpcClient},
	tx::{Signer, TransactionStatus},
	utils::{AccountId32, MultiSignature},
	config::RpcConfigFor,
	OnlineClient, PolkadotConfig,
};
use sp_runtime::DispatchError;
use verity_primitives::{
	dispatch::DispatchKey,
	inference::{
		Evidence, ExecutorSignature, JobId, JobInput, JobSpec, JobSummary, ModelId, Offers, Quote, SigningKey,
		TierPrices, TierStatsEntry, VerificationMode,
	},
	x402::PaidJobRefusal,
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

/// An executor's attested enclave: the attestation pallet's `Enclave`, field by field.
#[derive(Clone, PartialEq, Eq, Decode, Debug)]
pub struct AttestedEnclave {
	/// The keys its quote bound.
	pub keys: verity_primitives::attestation::EnclaveKeys,
	/// The allowlist entry its measurement matched.
	pub measurement: verity_primitives::attestation::MeasurementKey,
	/// That entry's generation.
	pub generation: u32,
	/// The trust root's generation.
	pub root_generation: u32,
	/// The quote's TCB status.
	pub tcb_status: verity_tee::TcbStatus,
	/// When it was attested (unix seconds).
	pub attested_at: u64,
	/// When the attestation ends (unix seconds).
	pub expires_at: u64,
}

/// A model's requirements on its tee-tier enclaves (`Attestation::ModelEnclaveRequirements`).
#[derive(Clone, PartialEq, Eq, Decode, Debug, Default)]
pub struct ModelEnclaveRequirements {
	/// Measurements that may serve it; empty: any allowed one.
	pub measurements: Vec<verity_primitives::attestation::MeasurementKey>,
	/// Whether each result carries a fresh quote binding its statement.
	pub quote_per_job: bool,
}

/// An executor's on-chain record: the executors pallet's `ExecutorInfo`, field by field in its
/// storage order (`status` as `unbonding_until`, which encodes the same).
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
	/// `None` while active; once deregistered, the block from which the stake may be withdrawn.
	pub unbonding_until: Option<BlockNumber>,
	/// Jobs completed, failed and expired.
	pub stats: (u32, u32, u32),
}

/// A model's on-chain record (`Models::Models`), in its storage order.
#[derive(Clone, PartialEq, Eq, Decode, Debug)]
pub struct ModelRecord {
	/// The owner: receives royalties.
	pub owner: AccountId,
	/// Human-readable name.
	pub name: Vec<u8>,
	/// Format of the weights file.
	pub format: Vec<u8>,
	/// Largest input, in bytes.
	pub max_input_len: u32,
	/// Largest output, in bytes.
	pub max_output_len: u32,
	/// The asset jobs are paid in.
	pub asset: AssetKind,
	/// Price per tier.
	pub prices: TierPrices,
	/// The owner's share of each job's price.
	pub royalty: sp_runtime::Perbill,
	/// Hash of the zk verifying key, once registered.
	pub zk_verifying_key: Option<H256>,
	/// Deposit held from the owner.
	pub deposit: Balance,
	/// Prices in other assets than `asset`.
	pub other_prices: Vec<(AssetKind, TierPrices)>,
}

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
	rpc_client: RpcClient,
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

/// The key of `Inference::<item>` (a `Twox64Concat` map by job id) for `job`.
fn job_key(item: &str, job: JobId) -> Vec<u8> {
	let id = job.encode();
	[map_key("Inference", item), twox_64(&id).to_vec(), id].concat()
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

	async fn storage<R: Decode>(&self, key: &[u8]) -> anyhow::Result<Option<R>> {
		self.storage_at(key, None).await
	}

	async fn storage_at<R: Decode>(&self, key: &[u8], at: Option<H256>) -> anyhow::Result<Option<R>> {
		match self.rpc.state_get_storage(key, at.map(|h| subxt::utils::H256(h.0))).await? {
			Some(bytes) => Ok(Some(R::decode(&mut &bytes[..])?)),
			None => Ok(None),
		}
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

	/// A completed job's output at block `at`.
	pub async fn output_at(&self, job: JobId, at: H256) -> anyhow::Result<Option<Vec<u8>>> {
		self.storage_at(&job_key("Outputs", job), Some(at)).await
	}

	/// A completed job's evidence at block `at` (`Inference::Evidences`).
	pub async fn evidence_at(&self, job: JobId, at: H256) -> anyhow::Result<Option<Evidence>> {
		self.storage_at(&job_key("Evidences", job), Some(at)).await
	}

	/// The verifying key registered for `model`'s zk tier (`ZkVerifier::VerifyingKeys`).
	pub async fn zk_key(&self, model: ModelId) -> anyhow::Result<Option<PreparedKey<Bls12_381>>> {
		let key = [map_key("ZkVerifier", "VerifyingKeys"), blake2_128(&model.0).to_vec(), model.0.to_vec()].concat();
		// `StoredKey`: the key's hash, its public-input count, the prepared key.
		let Some((_, _, prepared)) = self.storage::<(H256, u32, Vec<u8>)>(&key).await? else { return Ok(None) };
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

	/// A module error's `Pallet.Error` and the first line of its docs, from the current metadata.
	async fn module_error(&self, error: &DispatchError) -> Option<(String, String)> {
		let DispatchError::Module(module) = error else { return None };
		let at = self.client.at_current_block().await.ok()?;
		let metadata = at.metadata_ref();
		let pallet = metadata.pallet_by_error_index(module.index)?;
		let variant = pallet.error_variant_by_index(module.error[0])?;
		let doc = variant.docs.first().map(|line| line.trim().to_owned()).unwrap_or_default();
		Some((format!("{}.{}", pallet.name(), variant.name), doc))
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
		self.storage(&job_key("Outputs", job)).await
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

	/// The tee tier's trust root (`Attestation::TrustedRoot`, DER), at the best block.
	pub async fn trusted_root(&self) -> anyhow::Result<Option<Vec<u8>>> {
		self.storage(&map_key("Attestation", "TrustedRoot")).await
	}

	/// `executor`'s attested enclave (`Attestation::Enclaves`), at the best block.
	pub async fn enclave(&self, executor: &AccountId) -> anyhow::Result<Option<AttestedEnclave>> {
		let account = executor.encode();
		self.storage(&[map_key("Attestation", "Enclaves"), blake2_128(&account).to_vec(), account].concat()).await
	}

	/// `model`'s enclave requirements, at the best block (none set: the default).
	pub async fn model_enclave_requirements(&self, model: ModelId) -> anyhow::Result<ModelEnclaveRequirements> {
		let key = [map_key("Attestation", "ModelEnclaveRequirements"), blake2_128(&model.0).to_vec(), model.0.to_vec()].concat();
		Ok(self.storage(&key).await?.unwrap_or_default())
	}

	/// Every entry of the `Blake2_128Concat` map `pallet::item` at the best block, with its key.
	async fn map_entries<K: Decode, V: Decode>(&self, pallet: &str, item: &str) -> anyhow::Result<Vec<(K, V)>> {
		const PAGE: u32 = 256;
		let prefix = map_key(pallet, item);
		let at = Some(subxt::utils::H256(self.best_hash().await?.0));
		let mut entries = Vec::new();
		let mut start: Option<Vec<u8>> = None;
		loop {
			let keys = self.rpc.state_get_keys_paged(&prefix, PAGE, start.as_deref(), at).await?;
			let Some(last) = keys.last() else { break };
			start = Some(last.clone());
			for change_set in self.rpc.state_query_storage_at(keys.iter().map(Vec::as_slice), at).await? {
				for (key, value) in change_set.changes {
					let Some(value) = value else { continue };
					// The key: the prefix, the BLAKE2-128 of the encoded key, the encoded key.
					let mut encoded_key = key.0.get(prefix.len() + 16..).unwrap_or_default();
					entries.push((K::decode(&mut encoded_key)?, V::decode(&mut &value.0[..])?));
				}
			}
			if keys.len() < PAGE as usize {
				break;
			}
		}
		Ok(entries)
	}

	/// The registered models, at the best block.
	pub async fn models(&self) -> anyhow::Result<Vec<(ModelId, ModelRecord)>> {
		self.map_entries("Models", "Models").await
	}

	/// The registered executors, at the best block.
	pub async fn executors(&self) -> anyhow::Result<Vec<(AccountId, Registration)>> {
		self.map_entries("Executors", "Executors").await
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

	/// The retained tier statistics (`InferenceApi::tier_stats`) and the bucket length in
	/// milliseconds. Buckets are counted from the chain's time (`Timestamp::Now`).
	pub async fn tier_stats(&self) -> anyhow::Result<(u64, Vec<TierStatsEntry<AssetKind>>)> {
		let bucket_ms: u64 = self.constant("Inference", "StatsBucket").await?;
		let now_ms: u64 = self.storage(&map_key("Timestamp", "Now")).await?.unwrap_or_default();
		let current = u32::try_from(now_ms / bucket_ms.max(1)).unwrap_or(u32::MAX);
		self.runtime_call("InferenceApi_tier_stats", &(0u32, current).encode()).await
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
				subxt::dynamic::tx("Utility", "force_batch", CallArgs::Encoded(batch))
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
					return Ok(Included {
						block: H256(in_block.block_hash().0),
						transaction: H256(in_block.extrinsic_hash().0),
						events,
					});
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

/// A transaction in a block.
#[derive(Clone, Debug)]
pub struct Included {
	/// The block.
	pub block: H256,
	/// The transaction's hash.
	pub transaction: H256,
	/// Its events, in order.
	pub events: Vec<TxEvent>,
}

/// What became of each of the `calls` calls of a transaction, from its `events`: the events
/// each emitted, or its error. For a batch (`force_batch`), each item's events end with its
/// `ItemCompleted`/`ItemFailed`; a single call's outcome is the extrinsic's.
pub fn batch_outcomes(events: &[TxEvent], calls: usize) -> Vec<Result<Vec<TxEvent>, DispatchError>> {
	let failed = |e: &TxEvent| DispatchError::decode(&mut &e.fields[..]).unwrap_or(DispatchError::Other("undecodable"));
	if let Some(extrinsic_failed) = events.iter().find(|e| e.pallet == "System" && e.name == "ExtrinsicFailed") {
		return (0..calls).map(|_| Err(failed(extrinsic_failed))).collect();
	}
	if calls == 1 {
		return vec![Ok(events.to_vec())];
	}
	let mut outcomes = Vec::with_capacity(calls);
	let mut item = Vec::new();
	for event in events {
		match (event.pallet.as_str(), event.name.as_str()) {
			("Utility", "ItemCompleted") => outcomes.push(Ok(std::mem::take(&mut item))),
			("Utility", "ItemFailed") => {
				item.clear();
				outcomes.push(Err(failed(event)));
			},
			_ => item.push(event.clone()),
		}
	}
	outcomes.resize_with(calls, || Err(DispatchError::Other("no outcome in the batch's events")));
	outcomes
}

/// A call's arguments: values the metadata encodes, or bytes already SCALE-encoded with the
/// runtime's own types (`verity-primitives`).
#[derive(Clone, Debug)]
enum CallArgs {
	Values(Composite<()>),
	Encoded(Vec<u8>),
}

impl EncodeAsFields for CallArgs {
	fn encode_as_fields_to<R: TypeResolver>(
		&self,
		fields: &mut dyn FieldIter<'_, R::TypeId>,
		types: &R,
		out: &mut Vec<u8>,
	) -> Result<(), scale_encode::Error> {
		match self {
			CallArgs::Values(values) => values.encode_as_fields_to(fields, types, out),
			CallArgs::Encoded(bytes) => {
				out.extend_from_slice(bytes);
				Ok(())
			},
		}
	}
}

/// One runtime call, built from its pallet, name and arguments.
#[derive(Clone, Debug)]
pub struct Call {
	/// Pallet name.
	pub pallet: &'static str,
	/// Call name.
	pub name: &'static str,
	args: CallArgs,
}

impl Call {
	fn values(pallet: &'static str, name: &'static str, args: Vec<Value>) -> Self {
		Self { pallet, name, args: CallArgs::Values(Composite::unnamed(args)) }
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
		let args = (spec, salt, authorization, signature).encode();
		Self { pallet: "Inference", name: "submit_paid", args: CallArgs::Encoded(args) }
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
		let args = (model, name.as_bytes(), format.as_bytes(), max_input_len, max_output_len, asset, prices, royalty).encode();
		Self { pallet: "Models", name: "register_model", args: CallArgs::Encoded(args) }
	}

	/// `Models::set_asset_prices(model, asset, prices)`.
	pub fn set_asset_prices(model: ModelId, asset: &AssetKind, prices: Option<&TierPrices>) -> Self {
		let args = (model, asset, prices).encode();
		Self { pallet: "Models", name: "set_asset_prices", args: CallArgs::Encoded(args) }
	}

	/// `Attestation::register_enclave(quote, collateral, keys)`.
	pub fn register_enclave(
		quote: &[u8],
		collateral: &verity_tee::Collateral,
		keys: &verity_primitives::attestation::EnclaveKeys,
	) -> Self {
		let args = (quote, collateral.encode(), keys).encode();
		Self { pallet: "Attestation", name: "register_enclave", args: CallArgs::Encoded(args) }
	}

	/// `Inference::submit_result(job, output, evidence)`.
	pub fn submit_result(job: JobId, output: &[u8], evidence: &Evidence) -> Self {
		Self::values("Inference", "submit_result", vec![Value::u128(job.into()), Value::from_bytes(output), evidence_value(evidence)])
	}

	/// `Inference::report_failure(job, reason)`.
	pub fn report_failure(job: JobId, reason: &str) -> Self {
		let reason = &reason.as_bytes()[..reason.len().min(MAX_REASON_LEN)];
		Self::values("Inference", "report_failure", vec![Value::u128(job.into()), Value::from_bytes(reason)])
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
				JobInput::Sealed { recipient, ciphertext, commitment } => Value::named_variant(
					"Sealed",
					[
						("recipient", Value::from_bytes(recipient)),
						("ciphertext", Value::from_bytes(ciphertext.as_slice())),
						("commitment", Value::from_bytes(commitment.0)),
					],
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
		Self::values("Inference", "submit_jobs", vec![Value::unnamed_composite(specs)])
	}

	/// `Executors::heartbeat()`.
	pub fn heartbeat() -> Self {
		Self::values("Executors", "heartbeat", vec![])
	}

	/// `Executors::register_executor(registration)`.
	pub fn register(
		endpoint: &str,
		key: &AccountKey,
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
		Self::values("Executors", "register_executor", vec![registration])
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
