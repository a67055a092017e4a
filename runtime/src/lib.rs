//! # Verity runtime
//!
//! The state transition function of the Verity chain, compiled to wasm and executed by
//! `verity-node`. It composes the FRAME system pallets (consensus, balances, fees, governance)
//! with `pallet-assets`, in which x402 payments can be made in a stable-value asset.
//!
//! - [`configs`]: the `Config` of every pallet.
//! - [`apis`]: the runtime APIs the node and clients call.
//! - [`genesis_config_presets`]: the `development`, `local_testnet` chain presets.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` does a lot of recursion and requires us to increase the limit.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarks;
pub mod configs;
pub mod events;
pub mod genesis_config_presets;
#[cfg(feature = "std")]
pub mod signing;

use sp_runtime::{generic, impl_opaque_keys};
use sp_version::{runtime_version, RuntimeVersion};

pub use frame_system::Call as SystemCall;
pub use pallet_assets::Call as AssetsCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;
pub use verity_primitives::{
	currency, stable_asset, AccountId, AssetId, Balance, BlockNumber, Hash, Moment, Nonce,
	Signature,
};

/// What a payment is made in: the native token, or a `pallet-assets` asset.
pub type AssetKind = frame_support::traits::fungible::NativeOrWithId<AssetId>;

/// Opaque types: what the node needs to know about blocks without knowing the runtime.
pub mod opaque {
	use super::*;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;
	pub use verity_primitives::{Header, OpaqueBlock as Block};

	impl_opaque_keys! {
		/// The keys a validator registers: Aura for authoring, GRANDPA for finality.
		pub struct SessionKeys {
			pub aura: Aura,
			pub grandpa: Grandpa,
		}
	}
}

/// The runtime version. `spec_version` must be bumped with every change of logic or storage
/// layout (101: the lifecycle hooks, storage versions, governance origins; 103: no push dispatch;
/// 104: payment and verification errors nested; 105: bounded expiry slash, start before
/// reveal, listed payment assets, price caps; 106: undeliverable payouts to the treasury,
/// zero-value payments refused, `verify` as settlement in the next block, zk lengths bound to
/// the key, no dev key in the production preset; 107: executors displaced from full services,
/// `Executors::evict`; 108: storage deposits, pruning bounded by weight; 109: executors drawn
/// in the next block; 110: provisional signed results, challenges; 111:
/// challenges in the tier statistics; 112: production chains refuse the TEST ONLY root, a cut
/// advisory list is refused, TDX allowlist entries pin RTMR 0 to 2), `transaction_version` with every change of a call's encoding (2:
/// `JobSpec.max_price`).
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("verity"),
	impl_name: alloc::borrow::Cow::Borrowed("verity"),
	authoring_version: 1,
	spec_version: 112,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 2,
	system_version: 1,
};

/// Target block time. Blocks are produced at most once per slot of this length.
pub const MILLISECS_PER_BLOCK: u64 = 6000;

/// The Aura slot duration. It cannot change once the chain has started.
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

/// Block-number time units.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
/// One hour in blocks.
pub const HOURS: BlockNumber = MINUTES * 60;
/// One day in blocks.
pub const DAYS: BlockNumber = HOURS * 24;

/// The address format for describing accounts.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = verity_primitives::Header;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The transaction extensions: the checks and payments every extrinsic goes through.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations, run at the first block of a new runtime. A layout change bumps the
/// pallet's `STORAGE_VERSION` and adds its migration here
/// (`frame_support::migrations::VersionedMigration`), which `runtime/tests/storage_layout.rs`
/// enforces. Inference 0 → 1 (spec 103): the dispatcher set is removed; 1 → 2 (spec 108):
/// jobs carry storage deposits; 2 → 3 (spec 109): a job's executor is optional (drawn the block
/// after submission), and the randomness pallet it no longer needs is removed with its storage;
/// 3 → 4 (spec 110): provisional results and challenges (nothing rewritten); 4 → 5 (spec 111):
/// tier statistics count challenges. Attestation 0 → 1 (spec 112): a chain that trusts Intel's
/// root is marked production (it refuses the TEST ONLY root from then on).
type Migrations = (
	pallet_verity_inference::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_verity_inference::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_verity_inference::migrations::v3::MigrateV2ToV3<Runtime>,
	pallet_verity_inference::migrations::v4::MigrateV3ToV4<Runtime>,
	pallet_verity_inference::migrations::v5::MigrateV4ToV5<Runtime>,
	pallet_verity_attestation::migrations::v1::MigrateV0ToV1<Runtime>,
	frame_support::migrations::RemovePallet<RandomnessCollectiveFlipName, <Runtime as frame_system::Config>::DbWeight>,
);

frame_support::parameter_types! {
	/// The storage prefix of the randomness pallet removed in spec 109 (it was at index 10).
	pub const RandomnessCollectiveFlipName: &'static str = "RandomnessCollectiveFlip";
}

/// Executive: dispatches calls to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Utility = pallet_utility;

	#[runtime::pallet_index(8)]
	pub type Assets = pallet_assets;

	#[runtime::pallet_index(9)]
	pub type AssetsHolder = pallet_assets_holder;

	#[runtime::pallet_index(20)]
	pub type Models = pallet_verity_models;

	#[runtime::pallet_index(21)]
	pub type Executors = pallet_verity_executors;

	#[runtime::pallet_index(22)]
	pub type Inference = pallet_verity_inference;

	#[runtime::pallet_index(23)]
	pub type X402 = pallet_verity_x402;

	#[runtime::pallet_index(24)]
	pub type ZkVerifier = pallet_verity_zk_verifier;

	#[runtime::pallet_index(25)]
	pub type Attestation = pallet_verity_attestation;

	#[runtime::pallet_index(26)]
	pub type Reexecution = pallet_verity_reexecution;
}

/// The x402 reason of a dispatch error, where it is about a payment: one of the x402 pallet's
/// errors, or the inference pallet's checks of a job payment. Typed through `RuntimeError`, so
/// no pallet index or error byte is compared here.
pub fn payment_error_of(error: &sp_runtime::DispatchError) -> Option<verity_primitives::x402::PaymentError> {
	match RuntimeError::from_dispatch_error(*error)? {
		RuntimeError::X402(error) => Some(error.payment_error()),
		RuntimeError::Inference(error) => error.payment_error(),
		_ => None,
	}
}
