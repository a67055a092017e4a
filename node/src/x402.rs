//! x402 facilitator over the node's JSON-RPC: `x402_supported`, `x402_verify`, `x402_settle`.
//!
//! They take and return the x402 facilitator API's JSON (`paymentPayload`,
//! `paymentRequirements`; `isValid`/`invalidReason`/`payer`; the SettleResponse). Verification
//! is the runtime's (`X402Api::verify` at the best block), so the node and the chain can never
//! disagree on what is valid. Settlement signs `x402.settle` / `x402.settle_upto` with the
//! node's facilitator key (`--x402-facilitator`), which pays the transaction fee, and answers
//! once the transaction is in a block (or finalized, when asked). Settlements that arrive while
//! one transaction is in flight share the next one (`utility.force_batch`, see [`Settler`]).
//!
//! Settling the same payment twice settles once: a concurrent or later call with the same
//! request gets the first call's receipt while this node remembers it; any other request whose
//! (payer, nonce) is used on chain gets `duplicate_settlement`.
//!
//! `x402_settle` spends the facilitator's fees, so it is an unsafe RPC: served on a localhost
//! listener (or with `--rpc-methods unsafe`), refused on a public one. `x402_verify` and
//! `x402_supported` are safe.

use std::{
	collections::{HashMap, HashSet, VecDeque},
	sync::{Arc, Mutex},
	time::Duration,
};

use codec::{Decode, Encode};
use futures::StreamExt;
use jsonrpsee::{
	core::{async_trait, RpcResult},
	proc_macros::rpc,
	types::ErrorObjectOwned,
	Extensions,
};
use sc_client_api::StorageProvider;
use sc_transaction_pool_api::{InPoolTransaction, TransactionPool, TransactionSource, TransactionStatus};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{sr25519, Pair};
use sp_runtime::DispatchError;
use verity_primitives::{
	x402::{PaymentError, SchemeKind, X402Api},
	AccountId, Hash,
};
use verity_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use verity_x402::{
	format_account, network_id, payload_to_chain, requirements_to_chain, supported_response,
	ChainPayload, ChainRequirements, FacilitatorRequest, SettleResponse, SupportedResponse,
	VerifyResponse,
};

use sc_service::SpawnTaskHandle;
use tokio::sync::{mpsc, oneshot};

use crate::service::{FullClient, FullPool};

/// How long `x402_settle` waits for its transaction to be included (or finalized).
const SETTLE_TIMEOUT: Duration = Duration::from_secs(120);
/// How many times a settlement is signed and offered to the pool before giving up.
const SUBMIT_ATTEMPTS: u32 = 5;
/// How long to wait for the pool to catch up with the best block before counting its ready
/// transactions.
const POOL_VIEW_TIMEOUT: Duration = Duration::from_secs(2);
/// How many verified settlements may wait for a transaction; `x402_settle` waits for room.
const QUEUED_SETTLEMENTS: usize = 4096;
/// The most settlements one transaction carries.
const SETTLEMENTS_PER_TRANSACTION: usize = 128;
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
pub struct Facilitator {
	client: Arc<FullClient>,
	/// The facilitator key's account; `None` when this node only verifies.
	account: Option<AccountId>,
	/// Where `x402_settle` queues a verified settlement for the [`Settler`].
	settlements: Option<mpsc::Sender<Queued>>,
	receipts: Mutex<Receipts>,
}

impl Facilitator {
	/// A facilitator that settles with `key` (its [`Settler`] spawned on `spawner`); without a
	/// key it only verifies.
	pub fn new(
		client: Arc<FullClient>,
		pool: Arc<FullPool>,
		key: Option<sr25519::Pair>,
		spawner: &SpawnTaskHandle,
	) -> Self {
		let account = key.as_ref().map(|key| key.public().into());
		let settlements = key.map(|key| {
			let (sender, queue) = mpsc::channel(QUEUED_SETTLEMENTS);
			let settler = Settler { client: client.clone(), pool, key, spawner: spawner.clone() };
			spawner.spawn("x402-settler", Some("x402"), settler.run(queue));
			sender
		});
		Self { client, account, settlements, receipts: Default::default() }
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
			PaymentScheme::Upto { facilitator } if Some(facilitator) != self.account.as_ref() =>
				Err(PaymentError::FacilitatorMismatch),
			_ => Ok(()),
		}
	}

	/// The runtime's verdict at the best block, then [`Self::check_facilitator`]: the payer, or
	/// why the payment would not settle through this node now.
	fn verified(
		&self,
		payload: &ChainPayload,
		requirements: &ChainRequirements,
	) -> RpcResult<Result<AccountId, PaymentError>> {
		let best = self.client.info().best_hash;
		let verdict = self
			.client
			.runtime_api()
			.verify(best, payload.clone(), requirements.clone())
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

	/// The settling call of a verified payment, as the facilitator submits it.
	fn settle_call(payload: ChainPayload, requirements: &ChainRequirements) -> RuntimeCall {
		let ChainPayload { authorization, signature } = payload;
		RuntimeCall::X402(match requirements.scheme {
			SchemeKind::Exact => pallet_verity_x402::Call::settle { authorization, signature },
			SchemeKind::Upto => pallet_verity_x402::Call::settle_upto {
				authorization,
				signature,
				amount: requirements.amount,
			},
		})
	}

	/// Queues a verified settlement for the [`Settler`] and waits for its transaction.
	async fn queue(
		&self,
		payment: ChainPayload,
		requirements: &ChainRequirements,
		finalized: bool,
	) -> Result<(Hash, Hash), PaymentError> {
		let settlements = self.settlements.as_ref().expect("checked by the caller");
		let (done, answer) = oneshot::channel();
		let call = Self::settle_call(payment.clone(), requirements);
		settlements
			.send(Queued { call, payment, finalized, done })
			.await
			.map_err(|_| PaymentError::TransferFailed)?;
		answer.await.unwrap_or(Err(PaymentError::TransferFailed))
	}
}

/// A verified settlement waiting for the transaction that carries it.
struct Queued {
	/// `x402.settle` or `x402.settle_upto`.
	call: RuntimeCall,
	payment: ChainPayload,
	/// Answer once the transaction is finalized rather than in a block.
	finalized: bool,
	/// The extrinsic and block hashes, or why it did not settle.
	done: oneshot::Sender<Result<(Hash, Hash), PaymentError>>,
}

/// Signs and submits the facilitator's transactions: one at a time, each a
/// `utility.force_batch` of every settlement queued meanwhile.
///
/// One transaction in flight means its nonce is the chain's at the best block, so concurrent
/// settlements never race for nonces (a gap left by a dropped transaction would park every
/// later one in the pool's future queue, where a quiet chain never frees it). Batching keeps
/// the throughput: settlements that arrive while one transaction waits for its block share
/// the next, and each pays its own part of the weight. `force_batch` dispatches each settlement
/// on its own, so one that fails on chain (`ItemFailed`) leaves the others settled.
#[derive(Clone)]
struct Settler {
	client: Arc<FullClient>,
	pool: Arc<FullPool>,
	key: sr25519::Pair,
	spawner: SpawnTaskHandle,
}

impl Settler {
	async fn run(self, mut queue: mpsc::Receiver<Queued>) {
		while let Some(first) = queue.recv().await {
			let mut batch = vec![first];
			while batch.len() < SETTLEMENTS_PER_TRANSACTION {
				match queue.try_recv() {
					Ok(next) => batch.push(next),
					Err(_) => break,
				}
			}
			self.settle(batch).await;
		}
	}

	/// Settles `batch` in one transaction and answers each of its settlements.
	///
	/// A transaction the pool refuses, later drops as invalid, or queues as future (withdrawn,
	/// see below) was not included, so it is signed again with a fresh nonce, up to
	/// [`SUBMIT_ATTEMPTS`] times. A payment settled another way meanwhile fails on chain with
	/// `duplicate_settlement`, so it is never taken twice.
	async fn settle(&self, batch: Vec<Queued>) {
		let call = RuntimeCall::Utility(pallet_utility::Call::force_batch {
			calls: batch.iter().map(|queued| queued.call.clone()).collect(),
		});
		for attempt in 1..=SUBMIT_ATTEMPTS {
			let (transaction, mut watcher) = match self.offer(call.clone()).await {
				Ok(offered) => offered,
				Err(error) => {
					log::debug!(target: "x402", "settlement refused by the pool (attempt {attempt}): {error}");
					continue;
				},
			};
			match tokio::time::timeout(SETTLE_TIMEOUT, self.included(transaction, &mut watcher, false)).await {
				Ok(Some((block, index))) => {
					let (now, at_finality): (Vec<_>, Vec<_>) =
						batch.into_iter().partition(|queued| !queued.finalized);
					self.answer(now, transaction, block, index);
					if !at_finality.is_empty() {
						self.answer_at_finality(at_finality, transaction, watcher);
					}
					return;
				},
				Ok(None) =>
					log::debug!(target: "x402", "settlement {transaction:?} dropped (attempt {attempt})"),
				Err(_) => {
					// It may still be included later: signing it again could only collide.
					log::warn!(target: "x402", "settlement {transaction:?} was not included in time");
					return fail(batch);
				},
			}
		}
		log::warn!(target: "x402", "settlement not accepted after {SUBMIT_ATTEMPTS} attempts");
		fail(batch)
	}

	/// Follows `transaction` until it is in a block (or finalized): the block and its index
	/// there, or `None` once it is out of the pool.
	async fn included(
		&self,
		transaction: Hash,
		watcher: &mut Watcher,
		finalized: bool,
	) -> Option<(Hash, usize)> {
		while let Some(status) = watcher.next().await {
			match status {
				TransactionStatus::InBlock(at) if !finalized => return Some(at),
				TransactionStatus::Finalized(at) => return Some(at),
				TransactionStatus::Invalid | TransactionStatus::Dropped | TransactionStatus::Usurped(_) =>
					return None,
				// Its nonce is past the chain's: only another block could make it ready, and a
				// quiet chain may never make one. Withdraw it and sign again.
				TransactionStatus::Future => {
					let withdraw = [(transaction, None)].into_iter().collect();
					self.pool.report_invalid(None, withdraw).await;
					return None;
				},
				_ => {},
			}
		}
		None
	}

	/// Answers the settlements in `batch`, carried by `transaction` at `index` of `block`.
	fn answer(&self, batch: Vec<Queued>, transaction: Hash, block: Hash, index: usize) {
		if batch.is_empty() {
			return;
		}
		let payments: Vec<&ChainPayload> = batch.iter().map(|queued| &queued.payment).collect();
		let outcomes = self.outcomes(block, index as u32, &payments);
		for (queued, outcome) in batch.into_iter().zip(outcomes) {
			let _ = queued.done.send(outcome.map(|()| (transaction, block)));
		}
	}

	/// Answers `batch` once `transaction` is finalized, without holding up the next transaction:
	/// its nonce is already used at the best block.
	fn answer_at_finality(&self, batch: Vec<Queued>, transaction: Hash, mut watcher: Watcher) {
		let settler = self.clone();
		self.spawner.spawn("x402-finality", Some("x402"), async move {
			let finalized =
				tokio::time::timeout(SETTLE_TIMEOUT, settler.included(transaction, &mut watcher, true)).await;
			match finalized {
				Ok(Some((block, index))) => settler.answer(batch, transaction, block, index),
				_ => {
					log::warn!(target: "x402", "settlement {transaction:?} was not finalized in time");
					fail(batch)
				},
			}
		});
	}

	/// The facilitator's next transaction nonce: the chain's at `best`, past those of its
	/// transactions ready in the pool as maintained at `best` (one that timed out may still be).
	async fn next_nonce(&self, account: &AccountId, best: Hash) -> Result<u32, PaymentError> {
		let mut nonce = substrate_frame_rpc_system::AccountNonceApi::account_nonce(
			&*self.client.runtime_api(),
			best,
			account.clone(),
		)
		.map_err(|_| PaymentError::TransferFailed)?;
		let provided: HashSet<Vec<u8>> = self
			.pool
			.ready_at_with_timeout(best, POOL_VIEW_TIMEOUT)
			.await
			.filter_map(|transaction| transaction.provides().first().cloned())
			.collect();
		while provided.contains(&(account, nonce).encode()) {
			nonce += 1;
		}
		Ok(nonce)
	}

	/// Signs `call` with the next nonce and hands it to the pool.
	async fn offer(&self, call: RuntimeCall) -> Result<(Hash, Watcher), String> {
		let account: AccountId = self.key.public().into();
		let best = self.client.info().best_hash;
		let nonce = self.next_nonce(&account, best).await.map_err(|e| e.reason().to_string())?;
		// Signed for the runtime the chain runs, which may be newer than the one compiled in.
		let version =
			sp_api::Core::version(&*self.client.runtime_api(), best).map_err(|e| e.to_string())?;
		let extrinsic = verity_runtime::signing::sign_extrinsic_for_version(
			&self.key,
			call,
			nonce,
			self.client.info().genesis_hash,
			(version.spec_version, version.transaction_version),
		);
		let opaque = sp_runtime::OpaqueExtrinsic::decode(&mut &extrinsic.encode()[..])
			.map_err(|e| e.to_string())?;
		let transaction = self.pool.hash_of(&opaque);
		let watcher = self
			.pool
			.submit_and_watch(best, TransactionSource::External, opaque)
			.await
			.map_err(|e| e.to_string())?;
		Ok((transaction, watcher))
	}

	/// Whether each of `payments`, batched in extrinsic `index` of `block`, settled: from the
	/// batch's `ItemCompleted`/`ItemFailed` events, in order, or, where the events do not
	/// decode as this node's runtime's (after an upgrade), from whether each payment's nonce is
	/// used at that block.
	fn outcomes(&self, block: Hash, index: u32, payments: &[&ChainPayload]) -> Vec<Result<(), PaymentError>> {
		let storage = |key: Vec<u8>| {
			self.client.storage(block, &sp_core::storage::StorageKey(key)).ok().flatten()
		};
		let events_key =
			[sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat();
		let events = storage(events_key).and_then(|data| {
			Vec::<frame_system::EventRecord<RuntimeEvent, Hash>>::decode(&mut &data.0[..]).ok()
		});
		let mut outcomes = Vec::with_capacity(payments.len());
		for record in events.into_iter().flatten() {
			if record.phase != frame_system::Phase::ApplyExtrinsic(index) {
				continue;
			}
			match record.event {
				RuntimeEvent::Utility(pallet_utility::Event::ItemCompleted) => outcomes.push(Ok(())),
				RuntimeEvent::Utility(pallet_utility::Event::ItemFailed { error }) =>
					outcomes.push(Err(payment_error_of(error))),
				RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) =>
					return payments.iter().map(|_| Err(payment_error_of(dispatch_error))).collect(),
				_ => {},
			}
		}
		if outcomes.len() == payments.len() {
			return outcomes;
		}
		payments
			.iter()
			.map(|payment| {
				let used = pallet_verity_x402::UsedNonces::<Runtime>::hashed_key_for(
					&payment.authorization.from,
					payment.authorization.nonce,
				);
				storage(used).map(|_| ()).ok_or(PaymentError::TransferFailed)
			})
			.collect()
	}
}

type Watcher = std::pin::Pin<Box<sc_transaction_pool_api::TransactionStatusStreamFor<FullPool>>>;

/// Answers every settlement in `batch` with `transfer_failed`.
fn fail(batch: Vec<Queued>) {
	for queued in batch {
		let _ = queued.done.send(Err(PaymentError::TransferFailed));
	}
}

/// The x402 reason of a failed settlement.
fn payment_error_of(error: DispatchError) -> PaymentError {
	match verity_runtime::payment_error_of(&error) {
		// Settled by another transaction since it was verified.
		Some(PaymentError::NonceUsed) => PaymentError::DuplicateSettlement,
		Some(reason) => reason,
		None => PaymentError::TransferFailed,
	}
}

fn rpc_error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

#[async_trait]
impl X402ApiServer for Arc<Facilitator> {
	fn supported(&self) -> RpcResult<SupportedResponse> {
		let best = self.client.info().best_hash;
		let kinds = self
			.client
			.runtime_api()
			.supported(best)
			.map_err(|e| rpc_error(RUNTIME_ERROR, format!("runtime call failed: {e}")))?;
		Ok(supported_response(&self.genesis(), &kinds, self.account.as_ref()))
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
		if self.settlements.is_none() {
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
		let response = match self.queue(payload, &requirements, wait_for_finality.unwrap_or(false)).await {
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
