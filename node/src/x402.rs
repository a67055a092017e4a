//! x402 facilitator over the node's JSON-RPC: `x402_supported`, `x402_verify`, `x402_settle`.
//!
//! They take and return the x402 facilitator API's JSON (`paymentPayload`,
//! `paymentRequirements`; `isValid`/`invalidReason`/`payer`; the SettleResponse). Verification
//! is the runtime's (`X402Api::verify` at the best block), so the node and the chain can never
//! disagree on what is valid. Settlement signs `x402.settle` / `x402.settle_upto` with the
//! node's facilitator key (`--x402-facilitator`), which pays the transaction fee, and answers
//! once the transaction is in a block (or finalized, when asked).
//!
//! Settling the same payment twice settles once: concurrent and later calls with the same
//! (payer, nonce) get the first call's receipt while this node remembers it, and
//! `duplicate_settlement` once the nonce is only known to be used on chain.

use std::{
	collections::{HashMap, VecDeque},
	sync::{Arc, Mutex},
	time::Duration,
};

use codec::{Decode, Encode};
use futures::StreamExt;
use jsonrpsee::{
	core::{async_trait, RpcResult},
	proc_macros::rpc,
	types::ErrorObjectOwned,
};
use sc_client_api::StorageProvider;
use sc_transaction_pool_api::{TransactionPool, TransactionSource, TransactionStatus};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::{sr25519, Pair};
use sp_runtime::{DispatchError, ModuleError};
use verity_primitives::{
	x402::{PaymentError, PaymentNonce, SchemeKind, X402Api},
	AccountId, Hash,
};
use verity_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use verity_x402::{
	format_account, network_id, payload_to_chain, requirements_to_chain, supported_response,
	ChainPayload, ChainRequirements, FacilitatorRequest, SettleResponse, SupportedResponse,
	VerifyResponse,
};

use crate::service::{FullClient, FullPool};

/// How long `x402_settle` waits for its transaction to be included (or finalized).
const SETTLE_TIMEOUT: Duration = Duration::from_secs(120);
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
	/// finalized if `wait_for_finality` is true.
	#[method(name = "settle")]
	async fn settle(
		&self,
		request: FacilitatorRequest,
		wait_for_finality: Option<bool>,
	) -> RpcResult<SettleResponse>;
}

type ReceiptSlot = Arc<tokio::sync::Mutex<Option<SettleResponse>>>;

/// Receipts of settlements by (payer, nonce), oldest evicted first.
#[derive(Default)]
struct Receipts {
	slots: HashMap<(AccountId, PaymentNonce), ReceiptSlot>,
	order: VecDeque<(AccountId, PaymentNonce)>,
}

impl Receipts {
	fn slot(&mut self, key: (AccountId, PaymentNonce)) -> ReceiptSlot {
		if let Some(slot) = self.slots.get(&key) {
			return slot.clone();
		}
		if self.order.len() >= REMEMBERED_RECEIPTS {
			if let Some(oldest) = self.order.pop_front() {
				self.slots.remove(&oldest);
			}
		}
		self.order.push_back(key.clone());
		self.slots.entry(key).or_default().clone()
	}
}

/// The facilitator behind the `x402_*` methods.
pub struct Facilitator {
	client: Arc<FullClient>,
	pool: Arc<FullPool>,
	key: Option<sr25519::Pair>,
	/// The facilitator account's next transaction nonce, as this node has used it.
	next_nonce: tokio::sync::Mutex<Option<u32>>,
	receipts: Mutex<Receipts>,
}

impl Facilitator {
	/// A facilitator that settles with `key`; without one it only verifies.
	pub fn new(client: Arc<FullClient>, pool: Arc<FullPool>, key: Option<sr25519::Pair>) -> Self {
		Self { client, pool, key, next_nonce: Default::default(), receipts: Default::default() }
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

	fn runtime_verify(
		&self,
		payload: &ChainPayload,
		requirements: &ChainRequirements,
	) -> RpcResult<Result<AccountId, PaymentError>> {
		let best = self.client.info().best_hash;
		self.client
			.runtime_api()
			.verify(best, payload.clone(), requirements.clone())
			.map_err(|e| rpc_error(RUNTIME_ERROR, format!("runtime call failed: {e}")))
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

	/// The settling call, as the facilitator submits it.
	fn settle_call(
		&self,
		payload: ChainPayload,
		requirements: &ChainRequirements,
	) -> Result<RuntimeCall, PaymentError> {
		use verity_primitives::x402::PaymentScheme;
		let ChainPayload { authorization, signature } = payload;
		Ok(match requirements.scheme {
			SchemeKind::Exact => RuntimeCall::X402(pallet_verity_x402::Call::settle { authorization, signature }),
			SchemeKind::Upto => {
				let PaymentScheme::Upto { facilitator } = &authorization.scheme else {
					return Err(PaymentError::InvalidScheme);
				};
				if Some(facilitator) != self.account().as_ref() {
					return Err(PaymentError::FacilitatorMismatch);
				}
				RuntimeCall::X402(pallet_verity_x402::Call::settle_upto {
					authorization,
					signature,
					amount: requirements.amount,
				})
			},
		})
	}

	/// Signs `call` with the facilitator key, submits it and waits for it to be in a block (or
	/// finalized). Returns the transaction and block hashes, or why it failed.
	async fn submit(&self, call: RuntimeCall, finalized: bool) -> Result<(Hash, Hash), PaymentError> {
		let key = self.key.as_ref().expect("checked by the caller");
		let account: AccountId = key.public().into();
		let (transaction, mut watcher) = {
			// One nonce at a time: concurrent settlements get consecutive nonces.
			let mut next = self.next_nonce.lock().await;
			let best = self.client.info().best_hash;
			let on_chain = substrate_frame_rpc_system::AccountNonceApi::account_nonce(
				&*self.client.runtime_api(),
				best,
				account,
			)
			.map_err(|_| PaymentError::TransferFailed)?;
			let nonce = next.map_or(on_chain, |next| next.max(on_chain));
			let extrinsic = verity_runtime::signing::sign_extrinsic(key, call, nonce, self.genesis());
			let opaque = sp_runtime::OpaqueExtrinsic::decode(&mut &extrinsic.encode()[..])
				.map_err(|_| PaymentError::InvalidPayload)?;
			let transaction = self.pool.hash_of(&opaque);
			match self.pool.submit_and_watch(best, TransactionSource::External, opaque).await {
				Ok(watcher) => {
					*next = Some(nonce + 1);
					(transaction, watcher)
				},
				Err(error) => {
					log::warn!(target: "x402", "settlement refused by the pool: {error}");
					*next = None;
					return Err(PaymentError::TransferFailed);
				},
			}
		};
		let outcome = tokio::time::timeout(SETTLE_TIMEOUT, async {
			while let Some(status) = watcher.next().await {
				match status {
					TransactionStatus::InBlock((block, index)) if !finalized => return Ok((block, index)),
					TransactionStatus::Finalized((block, index)) => return Ok((block, index)),
					TransactionStatus::Invalid |
					TransactionStatus::Dropped |
					TransactionStatus::Usurped(_) |
					TransactionStatus::FinalityTimeout(_) => return Err(()),
					_ => {},
				}
			}
			Err(())
		})
		.await;
		let Ok(Ok((block, index))) = outcome else {
			// The nonce may now be unused: count afresh from the chain next time.
			*self.next_nonce.lock().await = None;
			return Err(PaymentError::TransferFailed);
		};
		self.dispatch_outcome(block, index as u32)?;
		Ok((transaction, block))
	}

	/// Whether extrinsic `index` of `block` succeeded, from the block's events.
	fn dispatch_outcome(&self, block: Hash, index: u32) -> Result<(), PaymentError> {
		let key = sp_core::storage::StorageKey(
			[sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"Events")].concat(),
		);
		let events = self
			.client
			.storage(block, &key)
			.ok()
			.flatten()
			.and_then(|data| {
				Vec::<frame_system::EventRecord<RuntimeEvent, Hash>>::decode(&mut &data.0[..]).ok()
			})
			.unwrap_or_default();
		for record in events {
			if record.phase != frame_system::Phase::ApplyExtrinsic(index) {
				continue;
			}
			match record.event {
				RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. }) => return Ok(()),
				RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) =>
					return Err(payment_error_of(dispatch_error)),
				_ => {},
			}
		}
		Err(PaymentError::TransferFailed)
	}
}

/// The x402 reason of a failed settlement.
fn payment_error_of(error: DispatchError) -> PaymentError {
	use frame_support::traits::PalletInfoAccess;
	match error {
		DispatchError::Module(ModuleError { index, error, .. })
			if index as usize == verity_runtime::X402::index() =>
			pallet_verity_x402::Error::<Runtime>::decode(&mut &error[..])
				.map(|error| error.payment_error())
				.unwrap_or(PaymentError::TransferFailed),
		_ => PaymentError::TransferFailed,
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
		Ok(match self.runtime_verify(&payload, &requirements)? {
			Ok(_) => VerifyResponse { is_valid: true, invalid_reason: None, payer: Some(payer) },
			Err(reason) => invalid(reason, Some(payer)),
		})
	}

	async fn settle(
		&self,
		request: FacilitatorRequest,
		wait_for_finality: Option<bool>,
	) -> RpcResult<SettleResponse> {
		if self.key.is_none() {
			return Err(rpc_error(NO_FACILITATOR, "this node has no facilitator key (--x402-facilitator)"));
		}
		let (payload, requirements) = match self.parse(&request) {
			Ok(parsed) => parsed,
			Err(reason) => return Ok(self.failure(reason, None)),
		};
		let payer = format_account(&payload.authorization.from);
		let slot = self
			.receipts
			.lock()
			.expect("not poisoned")
			.slot((payload.authorization.from.clone(), payload.authorization.nonce));
		// Held until this settlement is over: a concurrent retry waits for, then shares, it.
		let mut receipt = slot.lock().await;
		if let Some(first) = receipt.as_ref() {
			return Ok(first.clone());
		}
		match self.runtime_verify(&payload, &requirements)? {
			Ok(_) => {},
			Err(PaymentError::NonceUsed) =>
				return Ok(self.failure(PaymentError::DuplicateSettlement, Some(payer))),
			Err(reason) => return Ok(self.failure(reason, Some(payer))),
		}
		let call = match self.settle_call(payload, &requirements) {
			Ok(call) => call,
			Err(reason) => return Ok(self.failure(reason, Some(payer))),
		};
		let response = match self.submit(call, wait_for_finality.unwrap_or(false)).await {
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
