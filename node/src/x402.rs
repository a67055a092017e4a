//! x402 facilitator over the node's JSON-RPC: `x402_supported`, `x402_verify`, `x402_settle`.
//!
//! They take and return the x402 facilitator API's JSON (`paymentPayload`,
//! `paymentRequirements`; `isValid`/`invalidReason`/`payer`; the SettleResponse). Verification
//! is the runtime's (`X402Api::verify` at the best block), so the node and the chain can never
//! disagree on what is valid. Settlement signs `x402.settle` / `x402.settle_upto` with the
//! node's facilitator key (`--x402-facilitator`), which pays the transaction fee, and answers
//! once the transaction is in a block (or finalized, when asked).
//!
//! The settling half is a client of this node's own JSON-RPC, through the same
//! [`Submitter`] the executor and the gateway's relayer use (one transaction in flight,
//! settlements that arrive meanwhile batched into the next, each one's outcome typed by the
//! runtime that ran it: `docs/x402.md` says why). So the node knows no pallet's calls, events
//! or storage: it builds no `RuntimeCall` and decodes no `System::Events`.
//!
//! `x402_verify` answers whether `x402_settle` would settle the payment in the next block: the
//! runtime's `X402Api::verify_with_pending`, with this node's settlements in flight from the same
//! payer in the same asset counted as spent.
//!
//! Settling the same payment twice settles once: a concurrent or later call with the same
//! request gets the first call's receipt while this node remembers it; any other request whose
//! (payer, nonce) is used on chain gets `duplicate_settlement`.
//!
//! `x402_settle` spends the facilitator's fees, so it is an unsafe RPC: served on a localhost
//! listener (or with `--rpc-methods unsafe`), refused on a public one. `x402_verify` and
//! `x402_supported` are safe.

use std::{
	collections::{BTreeMap, HashMap, VecDeque},
	sync::{Arc, Mutex},
	time::Duration,
};

use codec::Encode;
use jsonrpsee::{
	core::{async_trait, RpcResult},
	proc_macros::rpc,
	types::ErrorObjectOwned,
	Extensions,
};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{sr25519, Pair};
use verity_client::{
	chain::{AccountKey, Call, Chain, SubmitError},
	submitter::Submitter,
};
use verity_primitives::{
	events::Refusal,
	x402::{PaymentError, X402Api},
	AccountId, Balance, Hash, OpaqueBlock as Block,
};
use verity_runtime::{AssetKind, Signature};
use verity_x402::{
	format_account, network_id, payload_to_chain, requirements_to_chain, supported_response,
	ChainPayload, ChainRequirements, FacilitatorRequest, SettleResponse, SupportedResponse,
	VerifyResponse,
};

/// How long `x402_settle` waits for its transaction to be finalized, when asked to.
const FINALITY_TIMEOUT: Duration = Duration::from_secs(120);
/// How many receipts the node remembers for idempotent retries.
const REMEMBERED_RECEIPTS: usize = 16_384;

/// JSON-RPC error code: the node has no facilitator key, so it cannot settle.
pub const NO_FACILITATOR: i32 = 4020;
/// JSON-RPC error code: the runtime could not be queried.
pub const RUNTIME_ERROR: i32 = 4021;

/// The `x402_*` methods.
#[rpc(server, namespace = "x402")]
pub trait X402Api {
	/// What this chain settles: x402 `GET /supported`.
	#[method(name = "supported")]
	fn supported(&self) -> RpcResult<SupportedResponse>;

	/// Whether a payment would settle now: x402 `POST /verify`. Nothing is written.
	#[method(name = "verify")]
	fn verify(&self, request: FacilitatorRequest) -> RpcResult<VerifyResponse>;

	/// Settles a payment: x402 `POST /settle`. Answers once the transaction is in a block, or
	/// finalized if `waitForFinality` is true. Unsafe: it spends the facilitator's fees.
	#[method(name = "settle", with_extensions)]
	async fn settle(
		&self,
		request: FacilitatorRequest,
		#[argument(rename = "waitForFinality")] wait_for_finality: Option<bool>,
	) -> RpcResult<SettleResponse>;
}

type ReceiptSlot = Arc<tokio::sync::Mutex<Option<SettleResponse>>>;

/// Identifies a settlement request: BLAKE2-256 of SCALE of (payload, requirements). Only the
/// very same request shares a receipt; another one with a used nonce is a duplicate.
type RequestKey = [u8; 32];

/// Receipts of settlements, oldest evicted first (never one a request is still waiting on).
#[derive(Default)]
struct Receipts {
	slots: HashMap<RequestKey, ReceiptSlot>,
	order: VecDeque<RequestKey>,
}

impl Receipts {
	fn get(&self, key: &RequestKey) -> Option<ReceiptSlot> {
		self.slots.get(key).cloned()
	}

	fn get_or_insert(&mut self, key: RequestKey) -> ReceiptSlot {
		if let Some(slot) = self.slots.get(&key) {
			return slot.clone();
		}
		let mut kept = 0;
		while self.order.len() >= REMEMBERED_RECEIPTS && kept < self.order.len() {
			let Some(oldest) = self.order.pop_front() else { break };
			if self.slots.get(&oldest).is_some_and(|slot| Arc::strong_count(slot) > 1) {
				// A request is still waiting on it: keep it.
				self.order.push_back(oldest);
				kept += 1;
			} else {
				self.slots.remove(&oldest);
			}
		}
		self.order.push_back(key);
		self.slots.entry(key).or_default().clone()
	}
}

/// The facilitator behind the `x402_*` methods.
pub struct Facilitator<C> {
	client: Arc<C>,
	/// The facilitator key; `None` when this node only verifies.
	key: Option<sr25519::Pair>,
	/// This node's own JSON-RPC endpoint, which settlements are submitted through.
	rpc_url: String,
	/// The connection to it and the facilitator key's submitter, made at the first settlement
	/// (the RPC server is not up while the facilitator is built), and made again after a
	/// settlement was not included (the connection may be what failed).
	settler: tokio::sync::Mutex<Option<(Chain, Submitter)>>,
	receipts: Mutex<Receipts>,
	/// What this node's settlements not yet in a block spend, by payer and asset.
	in_flight: Mutex<BTreeMap<(AccountId, AssetKind), Balance>>,
}

/// A settlement's amount counted in [`Facilitator::in_flight`] until it is dropped.
struct InFlight<'a> {
	in_flight: &'a Mutex<BTreeMap<(AccountId, AssetKind), Balance>>,
	key: (AccountId, AssetKind),
	amount: Balance,
}

impl<'a> InFlight<'a> {
	fn count(
		in_flight: &'a Mutex<BTreeMap<(AccountId, AssetKind), Balance>>,
		payment: &ChainPayload,
		amount: Balance,
	) -> Self {
		let key = (payment.authorization.from.clone(), payment.authorization.asset.clone());
		*in_flight.lock().expect("not poisoned").entry(key.clone()).or_default() += amount;
		Self { in_flight, key, amount }
	}
}

impl Drop for InFlight<'_> {
	fn drop(&mut self) {
		let mut in_flight = self.in_flight.lock().expect("not poisoned");
		if let Some(pending) = in_flight.get_mut(&self.key) {
			*pending = pending.saturating_sub(self.amount);
			if *pending == 0 {
				in_flight.remove(&self.key);
			}
		}
	}
}

impl<C> Facilitator<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: X402Api<Block, AccountId, AssetKind, Signature>,
{
	/// A facilitator that settles with `key` through the node's JSON-RPC at `rpc_url`; without
	/// a key it only verifies.
	pub fn new(client: Arc<C>, key: Option<sr25519::Pair>, rpc_url: String) -> Self {
		Self {
			client,
			key,
			rpc_url,
			settler: Default::default(),
			receipts: Default::default(),
			in_flight: Default::default(),
		}
	}

	fn account(&self) -> Option<AccountId> {
		self.key.as_ref().map(|key| key.public().into())
	}

	fn genesis(&self) -> Hash {
		self.client.info().genesis_hash
	}

	fn parse(&self, request: &FacilitatorRequest) -> Result<(ChainPayload, ChainRequirements), PaymentError> {
		if request.x402_version != verity_x402::X402_VERSION {
			return Err(PaymentError::InvalidPayload);
		}
		let genesis = self.genesis();
		let requirements = requirements_to_chain(&request.payment_requirements, &genesis)?;
		let payload = payload_to_chain(&request.payment_payload, &genesis)?;
		Ok((payload, requirements))
	}

	/// An `upto` payment settles only through the facilitator it names: this node's.
	fn check_facilitator(&self, payload: &ChainPayload) -> Result<(), PaymentError> {
		use verity_primitives::x402::PaymentScheme;
		match &payload.authorization.scheme {
			PaymentScheme::Upto { facilitator } if Some(facilitator) != self.account().as_ref() =>
				Err(PaymentError::FacilitatorMismatch),
			_ => Ok(()),
		}
	}

	/// The runtime's verdict at the best block, with this node's settlements in flight from the
	/// same payer in the same asset counted as spent, then [`Self::check_facilitator`]: the
	/// payer, or why the payment would not settle through this node in the next block.
	fn verified(
		&self,
		payload: &ChainPayload,
		requirements: &ChainRequirements,
	) -> RpcResult<Result<AccountId, PaymentError>> {
		let best = self.client.info().best_hash;
		let key = (payload.authorization.from.clone(), payload.authorization.asset.clone());
		let pending = self.in_flight.lock().expect("not poisoned").get(&key).copied().unwrap_or_default();
		let verdict = self
			.client
			.runtime_api()
			.verify_with_pending(best, payload.clone(), requirements.clone(), pending)
			.map_err(|e| rpc_error(RUNTIME_ERROR, format!("runtime call failed: {e}")))?;
		Ok(verdict.and_then(|payer| self.check_facilitator(payload).map(|()| payer)))
	}

	fn failure(&self, reason: PaymentError, payer: Option<String>) -> SettleResponse {
		SettleResponse {
			success: false,
			error_reason: Some(reason.reason().into()),
			transaction: String::new(),
			network: network_id(&self.genesis()),
			payer,
			amount: None,
			block_hash: None,
		}
	}

	/// The connection to this node's RPC and the facilitator key's submitter: made once, and
	/// again after a failure.
	async fn settler(&self) -> Result<(Chain, Submitter), String> {
		let mut settler = self.settler.lock().await;
		if let Some(settler) = settler.as_ref() {
			return Ok(settler.clone());
		}
		let key = self.key.clone().expect("checked by the caller");
		let chain = Chain::connect(&self.rpc_url).await.map_err(|e| e.to_string())?;
		let made = (chain.clone(), Submitter::start(chain, AccountKey(key)));
		*settler = Some(made.clone());
		Ok(made)
	}

	/// Settles a verified payment through the facilitator key's submitter: the transaction and
	/// the block it is in (finalized, if asked), or why it did not settle.
	async fn settle_verified(
		&self,
		payment: &ChainPayload,
		requirements: &ChainRequirements,
		finalized: bool,
	) -> Result<(Hash, Hash), PaymentError> {
		let (chain, submitter) = self.settler().await.map_err(|e| {
			log::warn!(target: "x402", "cannot reach this node's RPC at {}: {e}", self.rpc_url);
			PaymentError::TransferFailed
		})?;
		let call = Call::settle(payment, requirements.scheme, requirements.amount);
		let settled = match submitter.submit(call).await {
			Ok(settled) => settled,
			Err(SubmitError::Refused(refusal)) => {
				return Err(match refusal.refusal {
					// Settled by another transaction since it was verified.
					Refusal::Payment(PaymentError::NonceUsed) => PaymentError::DuplicateSettlement,
					Refusal::Payment(reason) => reason,
					_ => PaymentError::TransferFailed,
				})
			},
			Err(error) => {
				log::warn!(target: "x402", "settlement not included: {error}");
				*self.settler.lock().await = None;
				return Err(PaymentError::TransferFailed);
			},
		};
		if finalized {
			chain.wait_finalized(settled.block, FINALITY_TIMEOUT).await.map_err(|e| {
				log::warn!(target: "x402", "settlement {:?} not finalized: {e}", settled.transaction);
				PaymentError::TransferFailed
			})?;
		}
		Ok((settled.transaction, settled.block))
	}
}

fn rpc_error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

#[async_trait]
impl<C> X402ApiServer for Arc<Facilitator<C>>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: X402Api<Block, AccountId, AssetKind, Signature>,
{
	fn supported(&self) -> RpcResult<SupportedResponse> {
		let best = self.client.info().best_hash;
		let kinds = self
			.client
			.runtime_api()
			.supported(best)
			.map_err(|e| rpc_error(RUNTIME_ERROR, format!("runtime call failed: {e}")))?;
		Ok(supported_response(&self.genesis(), &kinds, self.account().as_ref()))
	}

	fn verify(&self, request: FacilitatorRequest) -> RpcResult<VerifyResponse> {
		let invalid = |reason: PaymentError, payer: Option<String>| VerifyResponse {
			is_valid: false,
			invalid_reason: Some(reason.reason().into()),
			payer,
		};
		let (payload, requirements) = match self.parse(&request) {
			Ok(parsed) => parsed,
			Err(reason) => return Ok(invalid(reason, None)),
		};
		let payer = format_account(&payload.authorization.from);
		Ok(match self.verified(&payload, &requirements)? {
			Ok(_) => VerifyResponse { is_valid: true, invalid_reason: None, payer: Some(payer) },
			Err(reason) => invalid(reason, Some(payer)),
		})
	}

	async fn settle(
		&self,
		ext: &Extensions,
		request: FacilitatorRequest,
		wait_for_finality: Option<bool>,
	) -> RpcResult<SettleResponse> {
		sc_rpc_api::check_if_safe(ext)?;
		if self.key.is_none() {
			return Err(rpc_error(NO_FACILITATOR, "this node has no facilitator key (--x402-facilitator)"));
		}
		let (payload, requirements) = match self.parse(&request) {
			Ok(parsed) => parsed,
			Err(reason) => return Ok(self.failure(reason, None)),
		};
		let payer = format_account(&payload.authorization.from);
		let key = sp_io::hashing::blake2_256(&(&payload, &requirements).encode());
		// The very same request, settled before: the same receipt.
		let known = self.receipts.lock().expect("not poisoned").get(&key);
		if let Some(slot) = known {
			if let Some(first) = slot.lock().await.as_ref() {
				return Ok(first.clone());
			}
		}
		match self.verified(&payload, &requirements)? {
			Ok(_) => {},
			Err(PaymentError::NonceUsed) =>
				return Ok(self.failure(PaymentError::DuplicateSettlement, Some(payer))),
			Err(reason) => return Ok(self.failure(reason, Some(payer))),
		}
		// Only verified requests take a slot. It is held until this settlement is over: a
		// concurrent identical request waits for, then shares, its receipt.
		let slot = self.receipts.lock().expect("not poisoned").get_or_insert(key);
		let mut receipt = slot.lock().await;
		if let Some(first) = receipt.as_ref() {
			return Ok(first.clone());
		}
		let counted = InFlight::count(&self.in_flight, &payload, requirements.amount);
		let settled = self.settle_verified(&payload, &requirements, wait_for_finality.unwrap_or(false)).await;
		drop(counted);
		let response = match settled {
			Ok((transaction, block)) => SettleResponse {
				success: true,
				error_reason: None,
				transaction: format!("{transaction:?}"),
				network: network_id(&self.genesis()),
				payer: Some(payer),
				amount: Some(requirements.amount.to_string()),
				block_hash: Some(format!("{block:?}")),
			},
			Err(reason) => self.failure(reason, Some(payer)),
		};
		if response.success {
			*receipt = Some(response.clone());
		}
		Ok(response)
	}
}
