//! The node's JSON-RPC methods beyond the standard `system`, `chain`, `state` and `author`
//! ones that `sc-service` installs.

use std::sync::Arc;

use futures::channel::mpsc;
use jsonrpsee::RpcModule;
use sc_consensus_manual_seal::{
	rpc::{ManualSeal, ManualSealApiServer},
	EngineCommand,
};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};
use verity_primitives::{AccountId, Balance, Hash, Nonce, OpaqueBlock as Block};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// Where `engine_createBlock` sends its commands, when the node seals on demand.
	pub manual_seal: Option<mpsc::Sender<EngineCommand<Hash>>>,
	/// The x402 facilitator behind `x402_*`.
	pub x402: Arc<crate::x402::Facilitator<C>>,
}

/// Builds the RPC module: `system_accountNextIndex`, `payment_*`, `x402_*`, and in manual-seal
/// mode `engine_createBlock` / `engine_finalizeBlock`.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>
		+ pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>
		+ BlockBuilder<Block>
		+ verity_primitives::x402::X402Api<Block, AccountId, verity_runtime::AssetKind, verity_runtime::Signature>,
	P: TransactionPool + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, manual_seal, x402 } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client).into_rpc())?;
	module.merge(crate::x402::X402ApiServer::into_rpc(x402))?;
	if let Some(sink) = manual_seal {
		module.merge(ManualSeal::new(sink).into_rpc())?;
	}

	Ok(module)
}
