//! The registries' shared vocabulary: what an executor registers with, and what the runtime
//! APIs report of a registered model or executor. Off-chain crates read the registries only
//! through [`ModelsApi`] and [`ExecutorsApi`], never through storage keys.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;

use crate::{
	inference::{ModelId, SigningKey, TierPrices, VerificationMode},
	Balance,
};

/// The class of hardware an executor runs on.
#[derive(
	Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	Debug, serde::Serialize, serde::Deserialize,
)]
pub enum HardwareClass {
	/// CPU only.
	Cpu,
	/// One or more GPUs.
	Gpu,
}

/// One (model, tier) an executor serves, and the fee it asks for a job of it, in the model's
/// payment asset.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	Debug, serde::Serialize, serde::Deserialize,
)]
pub struct Service {
	/// The model.
	pub model: ModelId,
	/// The tier.
	pub mode: VerificationMode,
	/// The executor's fee per job.
	pub fee: Balance,
}

/// The registration of an executor (`executors.register_executor`, or the genesis state). The
/// executors pallet bounds `Endpoint` and `Services` (`BoundedVec`); a client builds it with
/// `Vec`s, which encode the same.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	serde::Serialize, serde::Deserialize,
)]
pub struct Registration<Endpoint, Services> {
	/// The executor's public HTTP service (health, metrics): `http://` or `https://`.
	pub endpoint: Endpoint,
	/// The key that signs results.
	pub signing_key: SigningKey,
	/// The (model, tier) pairs served and their fees: a sequence of [`Service`].
	pub services: Services,
	/// Hardware class.
	pub hardware: HardwareClass,
	/// Jobs it runs at once.
	pub capacity: u32,
	/// Stake to put on hold.
	pub stake: Balance,
}

/// A registered model, as [`ModelsApi`] reports it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ModelView<AccountId, AssetKind> {
	/// The model's id (the SHA-256 of its weights).
	pub id: ModelId,
	/// Who registered it: receives royalties.
	pub owner: AccountId,
	/// Human-readable name (UTF-8).
	pub name: Vec<u8>,
	/// Format of the weights file.
	pub format: Vec<u8>,
	/// Largest input, in bytes.
	pub max_input_len: u32,
	/// Largest output, in bytes.
	pub max_output_len: u32,
	/// The asset jobs are paid in.
	pub asset: AssetKind,
	/// Price per tier in `asset`; the tiers with a price are offered.
	pub prices: TierPrices,
	/// Prices in other assets.
	pub other_prices: Vec<(AssetKind, TierPrices)>,
	/// The owner's share of every completed job's price.
	pub royalty: Perbill,
	/// Hash of the zk verifying key, once registered.
	pub zk_verifying_key: Option<H256>,
}

/// A registered executor, as [`ExecutorsApi`] reports it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ExecutorView<AccountId, BlockNumber> {
	/// The executor's account.
	pub account: AccountId,
	/// Stake on hold.
	pub stake: Balance,
	/// The executor's public HTTP service (health, metrics).
	pub endpoint: Vec<u8>,
	/// The key that signs signed-tier results.
	pub signing_key: SigningKey,
	/// The (model, tier) pairs served, with their fees.
	pub services: Vec<Service>,
	/// Hardware class.
	pub hardware: HardwareClass,
	/// Jobs it runs at once.
	pub capacity: u32,
	/// Jobs assigned and not yet ended.
	pub active_jobs: u32,
	/// Block of the last heartbeat (or of registration).
	pub last_heartbeat: BlockNumber,
	/// `None` while active; once deregistered, the block from which the stake may be withdrawn.
	pub unbonding_until: Option<BlockNumber>,
	/// Jobs completed with a verified result.
	pub completed: u32,
	/// Jobs the executor reported it could not run.
	pub failed: u32,
	/// Jobs whose deadline passed without a result.
	pub expired: u32,
}

sp_api::decl_runtime_apis! {
	/// The model registry.
	pub trait ModelsApi<AccountId, AssetKind> where
		AccountId: codec::Codec,
		AssetKind: codec::Codec,
	{
		/// One registered model.
		fn model(model: ModelId) -> Option<ModelView<AccountId, AssetKind>>;

		/// Every registered model (in storage order).
		fn models() -> Vec<ModelView<AccountId, AssetKind>>;
	}

	/// The executor registry.
	pub trait ExecutorsApi<AccountId, BlockNumber> where
		AccountId: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// One registered executor.
		fn executor(executor: AccountId) -> Option<ExecutorView<AccountId, BlockNumber>>;

		/// Every registered executor (in storage order).
		fn executors() -> Vec<ExecutorView<AccountId, BlockNumber>>;
	}
}
