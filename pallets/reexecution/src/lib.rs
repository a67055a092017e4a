//! # Re-execution pallet
//!
//! The first path of a challenge (`docs/inference.md`, "Challenges"): the runtime re-runs a
//! model itself and compares. It can for Verity's integer MLPs (`verity-mlp`), whose forward
//! pass is integer arithmetic with no rounding choice, so the runtime's `no_std` pass and the
//! executor's agree to the bit.
//!
//! - [`Pallet::store_model`]: anyone stores a model's file, `MAGIC ++ SCALE(QuantizedMlp)`: it
//!   must hash (SHA-256) to a registered model's id, decode as a well-formed MLP, produce outputs
//!   the model's output limit holds, and be at most [`Config::MaxModelLen`] bytes, which bounds
//!   what one re-run costs (`integrity_test`: within a quarter of a block). The storer holds
//!   [`Config::DepositPerByte`] per byte until the model is retired, when the file goes too.
//! - The pallet is the inference pallet's [`Reexecutor`]: a signed result of a stored model is
//!   provisional, and a challenge re-runs it here, charged by the model's parameter count.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{self, MutateHold},
		tokens::Precision,
	},
};
use scale_info::TypeInfo;
use sp_runtime::traits::Zero;
use verity_mlp::{MlpError, QuantizedMlp};
use verity_primitives::{
	inference::{ModelId, ModelKeyRegistry, OnModelRetired, ReexecutionOutcome, Reexecutor},
	Balance,
};

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers `model` with size limits `(input, output)`, owned by `owner` (funding it as
	/// needed), and funds `owner` for storage deposits.
	fn register_model(owner: &AccountId, model: &ModelId, limits: (u32, u32));
}

/// A model file as stored.
#[derive(
	frame_support::CloneNoBound,
	frame_support::PartialEqNoBound,
	frame_support::EqNoBound,
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	frame_support::DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct StoredModel<T: Config> {
	/// The file: `verity_mlp::MAGIC` then the SCALE-encoded network.
	pub file: BoundedVec<u8, T::MaxModelLen>,
	/// Its weights: the multiply-accumulates of one re-run, which its weight is charged by.
	pub parameters: u32,
	/// Who stored it and holds its deposit (`None` for a model stored at genesis).
	pub depositor: Option<T::AccountId>,
	/// The deposit held.
	pub deposit: Balance,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::pallet_prelude::*;

	/// The layout of this pallet's storage. Bump it whenever the layout changes, with a
	/// migration in the runtime's `Migrations` (the runtime's storage-layout test says when).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// A test configuration: `#[derive_impl(config_preludes::TestDefaultConfig)]` in a mock
	/// leaves the model registry and the currency to set.
	pub mod config_preludes {
		use super::*;
		use frame_support::{
			derive_impl,
			traits::{ConstU128, ConstU32},
		};

		/// Files of up to 64 KiB, a deposit of 1 per byte.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type MaxModelLen = ConstU32<{ 64 * 1024 }>;
			type DepositPerByte = ConstU128<1>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The model registry: which models exist, and their size limits.
		#[pallet::no_default]
		type Models: ModelKeyRegistry<Self::AccountId>;

		/// The native currency, in which storage deposits are held.
		#[pallet::no_default]
		type Currency: fungible::MutateHold<Self::AccountId, Balance = Balance, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// Longest model file: bounds storage and what one re-run costs.
		#[pallet::constant]
		type MaxModelLen: Get<u32>;

		/// Storage deposit per byte of a stored file.
		#[pallet::constant]
		type DepositPerByte: Get<Balance>;

		/// Weights of this pallet's call and of a re-run.
		type WeightInfo: WeightInfo;

		/// Registers models for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The storage deposit of a stored model file.
		ModelFile,
	}

	/// The stored model files, by model id.
	#[pallet::storage]
	pub type ModelFiles<T: Config> = StorageMap<_, Blake2_128Concat, ModelId, StoredModel<T>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Model files stored at genesis, with no deposit (their models must be registered in
		/// the models pallet's genesis).
		pub models: Vec<Vec<u8>>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for file in &self.models {
				let file = file.clone().try_into().expect("a genesis model file is within MaxModelLen");
				Pallet::<T>::store(None, file).expect("genesis model files are valid");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model's file was stored: its signed results are challengeable from now on.
		ModelStored { model: ModelId, parameters: u32, depositor: Option<T::AccountId>, deposit: Balance },
		/// A retired model's file was dropped and its deposit released.
		ModelRemoved { model: ModelId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No registered model has this file's SHA-256 as its id.
		UnknownModel,
		/// The model's file is already stored.
		AlreadyStored,
		/// The file is not a well-formed Verity MLP.
		NotAModel,
		/// The model's outputs are longer than its registered output limit.
		OutputsTooLong,
		/// The storer cannot hold the storage deposit.
		CannotPayDeposit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				<Pallet<T> as Reexecutor>::max_reexecute_weight()
					.all_lte(<T as frame_system::Config>::BlockWeights::get().max_block / 4),
				"re-running the largest model must fit in a quarter of a block"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Stores the file of a registered model (its SHA-256 is the model id), holding a
		/// deposit per byte until the model is retired. Anyone may: the hash binds the file.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::store_model(file.len() as u32))]
		pub fn store_model(origin: OriginFor<T>, file: BoundedVec<u8, T::MaxModelLen>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::store(Some(who), file)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Checks `file` and stores it for the model it hashes to, holding the deposit from
	/// `depositor` (none at genesis).
	pub fn store(depositor: Option<T::AccountId>, file: BoundedVec<u8, T::MaxModelLen>) -> DispatchResult {
		let model = ModelId::from(sp_io::hashing::sha2_256(&file));
		let (_, max_output_len) = T::Models::io_limits(&model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(!ModelFiles::<T>::contains_key(model), Error::<T>::AlreadyStored);
		let mlp = QuantizedMlp::from_bytes(&file).map_err(|_| Error::<T>::NotAModel)?;
		ensure!(mlp.output_len() as u64 <= u64::from(max_output_len), Error::<T>::OutputsTooLong);
		// At most `MaxModelLen` weights, each a byte of the file.
		let parameters = mlp.parameters() as u32;
		let deposit = if depositor.is_some() {
			T::DepositPerByte::get().saturating_mul(file.len() as Balance)
		} else {
			Zero::zero()
		};
		if let Some(who) = &depositor {
			if !deposit.is_zero() {
				T::Currency::hold(&HoldReason::ModelFile.into(), who, deposit)
					.map_err(|_| Error::<T>::CannotPayDeposit)?;
			}
		}
		ModelFiles::<T>::insert(model, StoredModel { file, parameters, depositor: depositor.clone(), deposit });
		Self::deposit_event(Event::ModelStored { model, parameters, depositor, deposit });
		Ok(())
	}

	/// Invariants: every stored file hashes to its model id, decodes as an MLP with its
	/// recorded parameter count, and belongs to a registered model; each depositor holds
	/// exactly the deposits of its files.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let mut deposits = BTreeMap::<T::AccountId, Balance>::new();
		for (model, stored) in ModelFiles::<T>::iter() {
			ensure!(ModelId::from(sp_io::hashing::sha2_256(&stored.file)) == model, "a file under another model's id");
			let mlp = QuantizedMlp::from_bytes(&stored.file).map_err(|_| "a stored file does not decode")?;
			ensure!(mlp.parameters() == u64::from(stored.parameters), "a wrong parameter count");
			ensure!(T::Models::io_limits(&model).is_some(), "a file of a model no longer registered");
			if let Some(who) = stored.depositor {
				*deposits.entry(who).or_default() += stored.deposit;
			}
		}
		for (who, expected) in deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::ModelFile.into(), &who);
			ensure!(held == expected, "a depositor's hold differs from its files' deposits");
		}
		Ok(())
	}
}

impl<T: Config> Reexecutor for Pallet<T> {
	fn can_reexecute(model: &ModelId) -> bool {
		ModelFiles::<T>::contains_key(model)
	}

	fn reexecute(model: &ModelId, input: &[u8]) -> Option<ReexecutionOutcome> {
		let stored = ModelFiles::<T>::get(model)?;
		// Checked when it was stored: a file that no longer decodes is a runtime bug, and the
		// result stays unchallengeable rather than judged by it.
		let mlp = QuantizedMlp::from_bytes(&stored.file).ok()?;
		Some(match mlp.run_bytes(input) {
			Ok(output) => ReexecutionOutcome::Output(output),
			Err(MlpError::InputLength { .. }) => ReexecutionOutcome::Refused,
			Err(_) => return None,
		})
	}

	/// The benchmarked re-run of as many parameters, and the read of the file.
	fn reexecute_weight(model: &ModelId) -> Weight {
		ModelFiles::<T>::get(model).map_or(Weight::zero(), |stored| {
			T::WeightInfo::reexecute(stored.parameters).saturating_add(T::DbWeight::get().reads(1))
		})
	}

	/// A file of `MaxModelLen` bytes has fewer weights than bytes.
	fn max_reexecute_weight() -> Weight {
		T::WeightInfo::reexecute(T::MaxModelLen::get()).saturating_add(T::DbWeight::get().reads(1))
	}
}

impl<T: Config> OnModelRetired for Pallet<T> {
	fn model_retired(model: &ModelId) {
		if let Some(stored) = ModelFiles::<T>::take(model) {
			if let Some(who) = &stored.depositor {
				let _ = T::Currency::release(&HoldReason::ModelFile.into(), who, stored.deposit, Precision::BestEffort);
			}
			Self::deposit_event(Event::ModelRemoved { model: *model });
		}
	}

	/// Takes the file (one read, one write) and releases the deposit (the depositor's holds and
	/// account).
	fn model_retired_weight() -> Weight {
		T::DbWeight::get()
			.reads_writes(3, 3)
			.saturating_add(Weight::from_parts(0, StoredModel::<T>::max_encoded_len() as u64))
	}
}
