//! # Models pallet
//!
//! The registry of the models Verity serves.
//!
//! ## Terms
//! - **Model id**: the SHA-256 of the model's weights file. An executor refuses to serve a model
//!   whose file does not hash to the id, so the id pins the exact weights.
//! - **Tier prices**: what a job costs at each verification tier the model offers (signed, tee,
//!   zk), in the model's payment asset (the native token or a `pallet-assets` asset). A tier
//!   without a price is not offered.
//! - **Prices in other assets**: the owner may also price tiers in other assets (say, the
//!   stable asset), so that a job can be paid in them. Executors' fees are asked in the model's
//!   own asset; for a job in another asset they are converted at the ratio of the tier's two
//!   prices ([`ModelTerms::fee_in_asset`]), so a tier priced in another asset must also be
//!   priced in the model's own, both above zero. The owner sets that rate; executors who
//!   disagree with it can stop serving the model.
//! - **Royalty**: the owner's share of the price of every completed job.
//!
//! ## Usage
//! - [`Pallet::register_model`] creates a model and holds [`Config::ModelDeposit`] from the owner,
//!   so that storage is paid for.
//! - [`Pallet::update_model`] changes prices, royalty and size limits; jobs already submitted
//!   keep the terms they were submitted under. A model with a zk key keeps its limits: they are
//!   the exact lengths the key verifies.
//! - [`Pallet::set_asset_prices`] prices the model in another asset, or stops accepting it.
//! - [`Pallet::retire_model`] removes the model and releases the deposit. Open jobs finish under
//!   their recorded terms; the id may be registered again later.
//!
//! Other pallets read models through [`verity_primitives::inference::ModelProvider`]; the zk
//! verifier records a model's verifying key through
//! [`verity_primitives::inference::ModelKeyRegistry`] and is told of retirements through
//! [`Config::OnRetire`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{self, MutateHold},
};
use scale_info::TypeInfo;
use sp_runtime::{BoundedVec, Perbill};
pub use verity_primitives::inference::TierPrices;
use verity_primitives::{
	inference::{ModelId, ModelKeyRegistry, ModelObligations, ModelProvider, ModelTerms, OnModelRetired, VerificationMode},
	registry::ModelView,
	Balance, Hash,
};

/// Size limits of a model's input and output, in bytes. For a model with a zk key they are
/// exact lengths, fixed with the key.
#[derive(
	Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	Debug,
)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct IoLimits {
	/// Largest input accepted by the model.
	pub max_input_len: u32,
	/// Largest output the model produces.
	pub max_output_len: u32,
}

/// A registered model.
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
pub struct ModelInfo<T: Config> {
	/// Who registered the model: receives royalties, may update and retire it.
	pub owner: T::AccountId,
	/// Human-readable name.
	pub name: BoundedVec<u8, T::MaxNameLen>,
	/// Format of the weights file, e.g. `safetensors` or `verity-int8-mlp`.
	pub format: BoundedVec<u8, T::MaxNameLen>,
	/// Input and output size limits.
	pub limits: IoLimits,
	/// Asset in which jobs are paid.
	pub asset: T::AssetKind,
	/// Price per tier; the tiers with a price are the ones offered.
	pub prices: TierPrices,
	/// The owner's share of every completed job's price.
	pub royalty: Perbill,
	/// The zk verifying key of the model, once registered (zk tier).
	pub zk_verifying_key: Option<Hash>,
	/// The deposit held from the owner.
	pub deposit: Balance,
	/// Prices in other assets than `asset`; each tier priced here is priced in `asset` too.
	pub other_prices: BoundedVec<(T::AssetKind, TierPrices), T::MaxOtherAssets>,
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
	/// leaves only the currency to set.
	pub mod config_preludes {
		use super::*;
		use frame_support::{
			derive_impl, parameter_types,
			traits::{ConstU128, ConstU32},
		};

		parameter_types! {
			pub const TestMaxRoyalty: Perbill = Perbill::from_percent(50);
		}

		/// Small limits, a deposit of 100, royalties up to 50%, paid in `u32` assets.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type AssetKind = u32;
			type ModelDeposit = ConstU128<100>;
			type MaxNameLen = ConstU32<32>;
			type MaxOtherAssets = ConstU32<4>;
			type MaxInputLen = ConstU32<1024>;
			type MaxOutputLen = ConstU32<512>;
			type MaxRoyalty = TestMaxRoyalty;
			type OnRetire = ();
			type Obligations = ();
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The kind of asset a model is paid in (native token or an asset id).
		type AssetKind: Parameter + MaxEncodedLen + MaybeSerializeDeserialize;

		/// The native currency, from which registration deposits are held.
		#[pallet::no_default]
		type Currency: fungible::MutateHold<
				Self::AccountId,
				Balance = Balance,
				Reason = Self::RuntimeHoldReason,
			> + fungible::Mutate<Self::AccountId>;

		/// The overarching hold reason.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// Deposit held for each registered model.
		#[pallet::constant]
		type ModelDeposit: Get<Balance>;

		/// Longest model name and format string.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// Most assets besides its own a model may be priced in.
		#[pallet::constant]
		type MaxOtherAssets: Get<u32>;

		/// Largest input size a model may declare.
		#[pallet::constant]
		type MaxInputLen: Get<u32>;

		/// Largest output size a model may declare.
		#[pallet::constant]
		type MaxOutputLen: Get<u32>;

		/// Highest royalty a model may ask for.
		#[pallet::constant]
		type MaxRoyalty: Get<Perbill>;

		/// Told when a model is retired: every pallet that keeps per-model state (the zk
		/// verifier's key, the attestation pallet's enclave requirements) drops it.
		type OnRetire: OnModelRetired;

		/// Whether a model's results still wait for their challenge windows: such a model is not
		/// retired, so that what checks them stays.
		type Obligations: ModelObligations;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit of a registered model.
		ModelDeposit,
	}

	/// The registered models.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Blake2_128Concat, ModelId, ModelInfo<T>>;

	/// A model registered in the genesis state.
	#[derive(
		frame_support::CloneNoBound,
		frame_support::PartialEqNoBound,
		frame_support::DebugNoBound,
		serde::Serialize,
		serde::Deserialize,
	)]
	#[serde(bound(serialize = "T::AccountId: serde::Serialize, T::AssetKind: serde::Serialize"))]
	#[serde(bound(
		deserialize = "T::AccountId: serde::Deserialize<'de>, T::AssetKind: serde::Deserialize<'de>"
	))]
	pub struct GenesisModel<T: Config> {
		/// The model id.
		pub id: ModelId,
		/// The owner; the deposit is held from it.
		pub owner: T::AccountId,
		/// Name.
		pub name: alloc::string::String,
		/// Format.
		pub format: alloc::string::String,
		/// Size limits.
		pub limits: IoLimits,
		/// Payment asset.
		pub asset: T::AssetKind,
		/// Prices per tier.
		pub prices: TierPrices,
		/// Royalty.
		pub royalty: Perbill,
		/// Prices in other assets.
		#[serde(default)]
		pub other_prices: alloc::vec::Vec<(T::AssetKind, TierPrices)>,
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Models registered at genesis.
		pub models: alloc::vec::Vec<GenesisModel<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for model in &self.models {
				Pallet::<T>::do_register_model(
					model.owner.clone(),
					model.id,
					model.name.as_bytes().to_vec().try_into().expect("genesis model name fits"),
					model.format.as_bytes().to_vec().try_into().expect("genesis model format fits"),
					model.limits,
					model.asset.clone(),
					model.prices,
					model.royalty,
				)
				.expect("genesis models are valid");
				for (asset, prices) in &model.other_prices {
					Pallet::<T>::do_set_asset_prices(model.owner.clone(), model.id, asset.clone(), Some(*prices))
						.expect("genesis prices in other assets are valid");
				}
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was registered.
		ModelRegistered { model: ModelId, owner: T::AccountId },
		/// A model's prices, royalty or limits changed.
		ModelUpdated { model: ModelId },
		/// A model was retired; its deposit was released.
		ModelRetired { model: ModelId },
		/// A model's prices in another asset were set, or removed (`None`).
		AssetPricesSet { model: ModelId, asset: T::AssetKind, prices: Option<TierPrices> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A model with this id is already registered.
		ModelExists,
		/// No model with this id is registered.
		UnknownModel,
		/// Only the model's owner may do this.
		NotOwner,
		/// A model must offer at least one tier.
		NoTierOffered,
		/// The size limits are zero or above the chain's maximum.
		InvalidLimits,
		/// The royalty is above the chain's maximum.
		RoyaltyTooHigh,
		/// The owner cannot pay the registration deposit.
		InsufficientDeposit,
		/// The asset is the model's own: its prices are changed with `update_model`.
		AssetIsModelAsset,
		/// The model is priced in as many other assets as the chain allows.
		TooManyAssets,
		/// A tier priced in another asset must be priced in the model's own asset too, both
		/// above zero: the ratio of the two prices converts executors' fees.
		TierNotPricedInModelAsset,
		/// The model is not priced in that asset.
		AssetNotPriced,
		/// The model has a zk key: its size limits are the exact lengths the key verifies,
		/// fixed for the model's life with the key.
		LimitsFixedByZkKey,
		/// Results of the model are still provisional: it can be retired once their challenge
		/// windows have closed.
		ProvisionalResults,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxNameLen::get() > 0, "MaxNameLen must allow a name");
			assert!(T::MaxOutputLen::get() > 0, "MaxOutputLen must allow an output");
			assert!(
				T::MaxInputLen::get() <= verity_primitives::inference::MAX_INLINE_INPUT,
				"MaxInputLen above MAX_INLINE_INPUT: no job could carry such an input"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers a model. Holds [`Config::ModelDeposit`] from the caller, who becomes the
		/// owner.
		#[pallet::call_index(0)]
		pub fn register_model(
			origin: OriginFor<T>,
			model: ModelId,
			name: BoundedVec<u8, T::MaxNameLen>,
			format: BoundedVec<u8, T::MaxNameLen>,
			limits: IoLimits,
			asset: T::AssetKind,
			prices: TierPrices,
			royalty: Perbill,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_register_model(owner, model, name, format, limits, asset, prices, royalty)
		}

		/// Changes the prices, royalty and size limits of a model. Owner only.
		#[pallet::call_index(1)]
		pub fn update_model(
			origin: OriginFor<T>,
			model: ModelId,
			limits: IoLimits,
			prices: TierPrices,
			royalty: Perbill,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_model(who, model, limits, prices, royalty)
		}

		/// Removes a model and releases its deposit. Owner only.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::retire_model().saturating_add(T::OnRetire::model_retired_weight()))]
		pub fn retire_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_retire_model(who, model)
		}

		/// Prices a model in another asset than its own, so that jobs may be paid in it;
		/// `None` stops accepting the asset. Owner only. Jobs already submitted keep their terms.
		#[pallet::call_index(3)]
		pub fn set_asset_prices(
			origin: OriginFor<T>,
			model: ModelId,
			asset: T::AssetKind,
			prices: Option<TierPrices>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_asset_prices(who, model, asset, prices)
		}
	}
}

impl<T: Config> Pallet<T> {
	fn ensure_terms_valid(limits: &IoLimits, prices: &TierPrices, royalty: Perbill) -> DispatchResult {
		ensure!(prices.any(), Error::<T>::NoTierOffered);
		ensure!(
			limits.max_input_len > 0 &&
				limits.max_output_len > 0 &&
				limits.max_input_len <= T::MaxInputLen::get() &&
				limits.max_output_len <= T::MaxOutputLen::get(),
			Error::<T>::InvalidLimits
		);
		ensure!(royalty <= T::MaxRoyalty::get(), Error::<T>::RoyaltyTooHigh);
		Ok(())
	}

	/// Registers `model` for `owner`, holding the deposit.
	#[allow(clippy::too_many_arguments)]
	pub fn do_register_model(
		owner: T::AccountId,
		model: ModelId,
		name: BoundedVec<u8, T::MaxNameLen>,
		format: BoundedVec<u8, T::MaxNameLen>,
		limits: IoLimits,
		asset: T::AssetKind,
		prices: TierPrices,
		royalty: Perbill,
	) -> DispatchResult {
		ensure!(!Models::<T>::contains_key(model), Error::<T>::ModelExists);
		Self::ensure_terms_valid(&limits, &prices, royalty)?;
		let deposit = T::ModelDeposit::get();
		T::Currency::hold(&HoldReason::ModelDeposit.into(), &owner, deposit)
			.map_err(|_| Error::<T>::InsufficientDeposit)?;
		Models::<T>::insert(
			model,
			ModelInfo {
				owner: owner.clone(),
				name,
				format,
				limits,
				asset,
				prices,
				royalty,
				zk_verifying_key: None,
				deposit,
				other_prices: BoundedVec::new(),
			},
		);
		Self::deposit_event(Event::ModelRegistered { model, owner });
		Ok(())
	}

	/// Changes the terms of `model`, if `who` owns it.
	pub fn do_update_model(
		who: T::AccountId,
		model: ModelId,
		limits: IoLimits,
		prices: TierPrices,
		royalty: Perbill,
	) -> DispatchResult {
		Models::<T>::try_mutate(model, |info| {
			let info = info.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			Self::ensure_terms_valid(&limits, &prices, royalty)?;
			ensure!(info.zk_verifying_key.is_none() || limits == info.limits, Error::<T>::LimitsFixedByZkKey);
			ensure!(
				info.other_prices.iter().all(|(_, other)| Self::priced_within(other, &prices)),
				Error::<T>::TierNotPricedInModelAsset
			);
			info.limits = limits;
			info.prices = prices;
			info.royalty = royalty;
			Self::deposit_event(Event::ModelUpdated { model });
			Ok(())
		})
	}

	/// Whether every tier `other` prices is priced in `own` too, both above zero: the ratio of
	/// the two prices converts executors' fees.
	fn priced_within(other: &TierPrices, own: &TierPrices) -> bool {
		other.offered().all(|(mode, price)| price > 0 && own.get(mode).is_some_and(|own| own > 0))
	}

	/// Sets (or, with `None`, removes) the prices of `model` in `asset`, if `who` owns it.
	pub fn do_set_asset_prices(
		who: T::AccountId,
		model: ModelId,
		asset: T::AssetKind,
		prices: Option<TierPrices>,
	) -> DispatchResult {
		Models::<T>::try_mutate(model, |info| {
			let info = info.as_mut().ok_or(Error::<T>::UnknownModel)?;
			ensure!(info.owner == who, Error::<T>::NotOwner);
			ensure!(info.asset != asset, Error::<T>::AssetIsModelAsset);
			let position = info.other_prices.iter().position(|(other, _)| *other == asset);
			match (prices, position) {
				(Some(prices), position) => {
					ensure!(prices.any(), Error::<T>::NoTierOffered);
					ensure!(Self::priced_within(&prices, &info.prices), Error::<T>::TierNotPricedInModelAsset);
					match position {
						Some(index) => info.other_prices[index].1 = prices,
						None => info
							.other_prices
							.try_push((asset.clone(), prices))
							.map_err(|_| Error::<T>::TooManyAssets)?,
					}
				},
				(None, Some(index)) => {
					info.other_prices.remove(index);
				},
				(None, None) => return Err(Error::<T>::AssetNotPriced.into()),
			}
			Self::deposit_event(Event::AssetPricesSet { model, asset, prices });
			Ok(())
		})
	}

	/// Removes `model`, if `who` owns it, and releases its deposit.
	pub fn do_retire_model(who: T::AccountId, model: ModelId) -> DispatchResult {
		let info = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(info.owner == who, Error::<T>::NotOwner);
		ensure!(!T::Obligations::has_provisional_results(&model), Error::<T>::ProvisionalResults);
		T::Currency::release(
			&HoldReason::ModelDeposit.into(),
			&info.owner,
			info.deposit,
			frame_support::traits::tokens::Precision::BestEffort,
		)?;
		Models::<T>::remove(model);
		T::OnRetire::model_retired(&model);
		Self::deposit_event(Event::ModelRetired { model });
		Ok(())
	}

	/// Invariants:
	/// - every model offers at least one tier and has limits within the chain's maximums;
	/// - for each owner, the balance held for model deposits equals the sum of the deposits of
	///   the models it owns.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::traits::fungible::InspectHold;
		let mut per_owner = alloc::collections::BTreeMap::<T::AccountId, Balance>::new();
		for (_, info) in Models::<T>::iter() {
			ensure!(info.prices.any(), "a model offers no tier");
			for (index, (asset, prices)) in info.other_prices.iter().enumerate() {
				ensure!(*asset != info.asset, "a model priced twice in its own asset");
				ensure!(
					info.other_prices[..index].iter().all(|(other, _)| other != asset),
					"a model priced twice in one asset"
				);
				ensure!(prices.any() && Self::priced_within(prices, &info.prices), "a price in another asset without its own");
			}
			ensure!(
				info.limits.max_input_len <= T::MaxInputLen::get() &&
					info.limits.max_output_len <= T::MaxOutputLen::get(),
				"model limits above the maximum"
			);
			*per_owner.entry(info.owner).or_default() += info.deposit;
		}
		for (owner, deposits) in per_owner {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &owner) == deposits,
				"model deposits held differ from the deposits recorded"
			);
		}
		Ok(())
	}
}

impl<T: Config> ModelProvider<T::AccountId, T::AssetKind> for Pallet<T> {
	fn terms(
		model: &ModelId,
		mode: VerificationMode,
	) -> Option<ModelTerms<T::AccountId, T::AssetKind>> {
		Models::<T>::get(model).map(|info| {
			let asset = info.asset.clone();
			Self::terms_of(info, mode, asset)
		})
	}

	fn terms_in(
		model: &ModelId,
		mode: VerificationMode,
		asset: &T::AssetKind,
	) -> Option<ModelTerms<T::AccountId, T::AssetKind>> {
		Models::<T>::get(model).map(|info| Self::terms_of(info, mode, asset.clone()))
	}

	fn assets(model: &ModelId) -> alloc::vec::Vec<T::AssetKind> {
		Models::<T>::get(model)
			.map(|info| core::iter::once(info.asset).chain(info.other_prices.into_iter().map(|(asset, _)| asset)).collect())
			.unwrap_or_default()
	}
}

impl<T: Config> Pallet<T> {
	fn terms_of(info: ModelInfo<T>, mode: VerificationMode, asset: T::AssetKind) -> ModelTerms<T::AccountId, T::AssetKind> {
		let model_asset_price = info.prices.get(mode);
		let price = if asset == info.asset {
			model_asset_price
		} else {
			info.other_prices.iter().find(|(other, _)| *other == asset).and_then(|(_, prices)| prices.get(mode))
		};
		ModelTerms {
			owner: info.owner,
			asset,
			price,
			model_asset_price,
			royalty: info.royalty,
			max_input_len: info.limits.max_input_len,
			max_output_len: info.limits.max_output_len,
		}
	}
}

impl<T: Config> ModelKeyRegistry<T::AccountId> for Pallet<T> {
	fn owner(model: &ModelId) -> Option<T::AccountId> {
		Models::<T>::get(model).map(|info| info.owner)
	}

	fn record_zk_key(model: &ModelId, key_hash: Hash) -> DispatchResult {
		Models::<T>::try_mutate(model, |info| {
			let info = info.as_mut().ok_or(Error::<T>::UnknownModel)?;
			info.zk_verifying_key = Some(key_hash);
			Ok(())
		})
	}

	fn io_limits(model: &ModelId) -> Option<(u32, u32)> {
		Models::<T>::get(model).map(|info| (info.limits.max_input_len, info.limits.max_output_len))
	}
}

/// What [`verity_primitives::registry::ModelsApi`] reads.
impl<T: Config> Pallet<T> {
	/// A registered model, as the runtime API reports it.
	pub fn model_view(model: ModelId) -> Option<ModelView<T::AccountId, T::AssetKind>> {
		Models::<T>::get(model).map(|info| Self::view_of(model, info))
	}

	/// Every registered model.
	pub fn model_views() -> Vec<ModelView<T::AccountId, T::AssetKind>> {
		Models::<T>::iter().map(|(model, info)| Self::view_of(model, info)).collect()
	}

	fn view_of(id: ModelId, info: ModelInfo<T>) -> ModelView<T::AccountId, T::AssetKind> {
		ModelView {
			id,
			owner: info.owner,
			name: info.name.into_inner(),
			format: info.format.into_inner(),
			max_input_len: info.limits.max_input_len,
			max_output_len: info.limits.max_output_len,
			asset: info.asset,
			prices: info.prices,
			other_prices: info.other_prices.into_inner(),
			royalty: info.royalty,
			zk_verifying_key: info.zk_verifying_key,
		}
	}
}
