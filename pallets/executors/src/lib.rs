//! # Executors pallet
//!
//! The registry of the executors that run inference jobs.
//!
//! ## Terms
//! - **Executor**: an account that runs models off chain and submits results. It registers an
//!   endpoint URL (its public HTTP service: health and metrics), a result-signing key, the
//!   (model, tier) pairs it serves with the fee it asks for each, a hardware class and a
//!   capacity (jobs at once).
//! - **Stake**: at least [`Config::MinStake`], put on hold at registration. A missed deadline
//!   slashes at most [`Config::ExpirySlash`] of it; the inference pallet decides how much (bounded
//!   by the job's charge) and to whom (`docs/inference.md`, the slashing table).
//! - **Eligible**: registered for the pair, not unbonding, heartbeat within
//!   [`Config::HeartbeatTimeout`] blocks, stake at least the minimum, and a free slot.
//! - **Serving**: active, stake at least the minimum, heartbeat within
//!   [`Config::HeartbeatTimeout`] blocks. An executor that is not serving holds its places in
//!   the service index for nothing: anyone may evict it ([`Pallet::evict`]), and a newcomer takes
//!   its place in a full service.
//!
//! ## Usage
//! - [`Pallet::register_executor`], then [`Pallet::heartbeat`] at least every
//!   [`Config::HeartbeatTimeout`] blocks. Registering for a full (model, tier) takes the place
//!   of its weakest entry: one that is not serving, else the lowest stake if the newcomer's is
//!   higher; otherwise the registration fails with `ServiceFull`. So a crowd of sybils at the
//!   minimum stake cannot hold a service against an executor that stakes more.
//! - [`Pallet::deregister`] stops new assignments at once; [`Pallet::withdraw`] releases the stake
//!   once [`Config::UnbondingPeriod`] has passed and no job is open.
//!
//! ## Design
//! For each (model, tier) an index lists its executors in one bounded vector
//! ([`Config::MaxExecutorsPerService`]), so choosing an executor for a job costs a bounded
//! amount, however many executors the chain has. The inference pallet reaches this pallet
//! through [`verity_primitives::inference::ExecutorProvider`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod endpoint;
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
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{Saturating, Zero},
	BoundedVec, Perbill,
};
use verity_primitives::{
	inference::{
		ExecutorObligations, ExecutorProvider, JobOutcome, ModelId, ModelProvider, OnExecutorRemoved, SigningKey,
		VerificationMode,
	},
	registry::ExecutorView,
	Balance,
};

pub use verity_primitives::registry::{HardwareClass, Service};

/// Where an executor is in its life cycle.
#[derive(
	Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum ExecutorStatus<BlockNumber> {
	/// Takes jobs.
	Active,
	/// Deregistered: takes no new jobs; the stake may be withdrawn from block `until` on.
	Unbonding {
		/// First block at which [`Pallet::withdraw`] succeeds.
		until: BlockNumber,
	},
}

/// What an executor has done.
#[derive(
	Clone, Copy, PartialEq, Eq, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ExecutorStats {
	/// Jobs completed with a verified result (less those a challenge overturned).
	pub completed: u32,
	/// Jobs the executor reported it could not run.
	pub failed: u32,
	/// Jobs whose deadline passed without a result.
	pub expired: u32,
}

/// A registered executor.
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
pub struct ExecutorInfo<T: Config> {
	/// Stake on hold.
	pub stake: Balance,
	/// The executor's public HTTP service (health, metrics).
	pub endpoint: BoundedVec<u8, T::MaxEndpointLen>,
	/// The key that signs signed-tier results.
	pub signing_key: SigningKey,
	/// The (model, tier) pairs served, with their fees.
	pub services: BoundedVec<Service, T::MaxServices>,
	/// Hardware class.
	pub hardware: HardwareClass,
	/// Jobs it runs at once.
	pub capacity: u32,
	/// Jobs assigned and not yet ended.
	pub active_jobs: u32,
	/// Block of the last heartbeat (or of registration).
	pub last_heartbeat: BlockNumberFor<T>,
	/// Life-cycle status.
	pub status: ExecutorStatus<BlockNumberFor<T>>,
	/// Statistics.
	pub stats: ExecutorStats,
}

pub use verity_primitives::registry::Registration;

/// A [`Registration`] with this runtime's bounds.
pub type RegistrationOf<T> =
	Registration<BoundedVec<u8, <T as Config>::MaxEndpointLen>, BoundedVec<Service, <T as Config>::MaxServices>>;

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
	/// leaves the currency, the model registry and governance to set.
	pub mod config_preludes {
		use super::*;
		use frame_support::{
			derive_impl, parameter_types,
			traits::{ConstU128, ConstU32, ConstU64},
		};

		parameter_types! {
			pub const TestExpirySlash: Perbill = Perbill::from_percent(10);
		}

		/// A stake of at least 100, 10 blocks of unbonding, 20 of heartbeat timeout, small limits.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type AssetKind = ();
			type MinStake = ConstU128<100>;
			type ExpirySlash = TestExpirySlash;
			type UnbondingPeriod = ConstU64<10>;
			type HeartbeatTimeout = ConstU64<20>;
			type MaxEndpointLen = ConstU32<64>;
			type MaxServices = ConstU32<4>;
			type MaxExecutorsPerService = ConstU32<3>;
			type MaxCapacity = ConstU32<8>;
			type OnRemove = ();
			type Obligations = ();
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The native currency, in which stake is held.
		#[pallet::no_default]
		type Currency: fungible::MutateHold<
				Self::AccountId,
				Balance = Balance,
				Reason = Self::RuntimeHoldReason,
			> + fungible::Mutate<Self::AccountId>;

		/// The overarching hold reason.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// Sets the endpoint policy (root on the Verity runtimes).
		#[pallet::no_default]
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The model registry, to check that served models and tiers exist.
		#[pallet::no_default]
		type Models: ModelProvider<Self::AccountId, Self::AssetKind>;

		/// What the inference pallet says an executor's stake still answers for: a stake is
		/// withdrawn only once every challenge window of its results has closed.
		type Obligations: ExecutorObligations<Self::AccountId>;

		/// The kind of asset models are paid in.
		type AssetKind;

		/// Smallest stake an executor may register with, and keep to stay eligible.
		#[pallet::constant]
		type MinStake: Get<Balance>;

		/// Most of its stake an executor loses when a job of it expires (a share); the inference
		/// pallet bounds it further by the job's charge and splits it between payer and treasury.
		#[pallet::constant]
		type ExpirySlash: Get<Perbill>;

		/// Blocks between deregistration and withdrawal of the stake.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Blocks after its last heartbeat during which an executor stays eligible.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type HeartbeatTimeout: Get<BlockNumberFor<Self>>;

		/// Longest endpoint URL.
		#[pallet::constant]
		type MaxEndpointLen: Get<u32>;

		/// Most (model, tier) pairs one executor may serve.
		#[pallet::constant]
		type MaxServices: Get<u32>;

		/// Most executors one (model, tier) pair may have.
		#[pallet::constant]
		type MaxExecutorsPerService: Get<u32>;

		/// Largest capacity an executor may declare.
		#[pallet::constant]
		type MaxCapacity: Get<u32>;

		/// Told when an executor is removed (its stake withdrawn): every pallet that keeps
		/// per-executor state (the attestation pallet's enclave keys) drops it.
		#[pallet::no_default_bounds]
		type OnRemove: OnExecutorRemoved<Self::AccountId>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Sets up models for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: benchmarking::BenchmarkHelper;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The stake of a registered executor.
		ExecutorStake,
	}

	/// The registered executors.
	#[pallet::storage]
	pub type Executors<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ExecutorInfo<T>>;

	/// For each (model, tier), the executors that serve it and the fee each asks.
	#[pallet::storage]
	pub type ServiceIndex<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		(ModelId, VerificationMode),
		BoundedVec<(T::AccountId, Balance), T::MaxExecutorsPerService>,
		ValueQuery,
	>;

	/// Whether endpoints may point at loopback, private or link-local hosts. Off on a public
	/// network (SSRF protection of the clients that follow registered endpoints); dev and local
	/// test chains turn it on.
	#[pallet::storage]
	pub type AllowPrivateEndpoints<T: Config> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Whether endpoints may point at private hosts (dev chains only).
		pub allow_private_endpoints: bool,
		/// Executors registered at genesis; their stake is held from their accounts.
		pub executors: Vec<(T::AccountId, RegistrationOf<T>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			AllowPrivateEndpoints::<T>::put(self.allow_private_endpoints);
			for (who, registration) in &self.executors {
				let displaced = Pallet::<T>::do_register(who.clone(), registration.clone())
					.expect("genesis executors are valid");
				assert_eq!(displaced, 0, "genesis executors fit their services");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An executor registered and put `stake` on hold.
		ExecutorRegistered { executor: T::AccountId, stake: Balance },
		/// An executor is alive.
		Heartbeat { executor: T::AccountId },
		/// An executor deregistered; it may withdraw its stake from block `until` on.
		ExecutorDeregistered { executor: T::AccountId, until: BlockNumberFor<T> },
		/// An executor withdrew its stake and left the registry.
		StakeWithdrawn { executor: T::AccountId, stake: Balance },
		/// An executor lost `amount` of stake to `beneficiary`.
		ExecutorSlashed { executor: T::AccountId, beneficiary: T::AccountId, amount: Balance },
		/// Governance changed whether endpoints may point at private hosts.
		EndpointPolicySet { allow_private: bool },
		/// `executor` lost its place serving (model, tier) to the newcomer `by`: it was not
		/// serving, or staked the least of a full service and less than `by`.
		ExecutorDisplaced { executor: T::AccountId, by: T::AccountId, model: ModelId, mode: VerificationMode },
		/// `by` evicted `executor`, which was not serving (stale heartbeat or stake below the
		/// minimum): it is deregistered and may withdraw its stake from block `until` on.
		ExecutorEvicted { executor: T::AccountId, by: T::AccountId, until: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a registered executor.
		AlreadyRegistered,
		/// The account is not a registered executor.
		NotRegistered,
		/// The stake is below the chain's minimum.
		StakeTooLow,
		/// The account cannot put the stake on hold.
		InsufficientBalance,
		/// The endpoint is not an `http://` or `https://` URL.
		EndpointScheme,
		/// The endpoint URL is malformed.
		EndpointMalformed,
		/// The endpoint points at a loopback, private or link-local host.
		EndpointPrivate,
		/// An executor must serve at least one (model, tier).
		NoServices,
		/// A (model, tier) appears twice.
		DuplicateService,
		/// A served model does not exist, or does not offer the tier.
		UnknownService,
		/// This (model, tier) already has as many executors as the chain allows, all serving,
		/// none with less stake than the newcomer's.
		ServiceFull,
		/// Capacity must be between 1 and the chain's maximum.
		InvalidCapacity,
		/// The executor is unbonding and cannot do this.
		Unbonding,
		/// The executor has not deregistered.
		NotUnbonding,
		/// The unbonding period has not passed yet.
		StillUnbonding,
		/// The executor still has open jobs.
		OpenJobs,
		/// Results of the executor are still provisional: its stake answers for them until
		/// their challenge windows close.
		ProvisionalResults,
		/// The executor is serving (fresh heartbeat, stake at least the minimum): only one that
		/// is not can be evicted.
		StillServing,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinStake::get() > 0, "MinStake must be positive: stake answers for results");
			assert!(T::MaxCapacity::get() > 0, "MaxCapacity must allow one job");
			assert!(T::MaxServices::get() > 0, "MaxServices must allow one service");
			assert!(T::MaxExecutorsPerService::get() > 0, "MaxExecutorsPerService must allow one executor");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as an executor and puts `registration.stake` on hold. In a full
		/// service it takes the place of the weakest entry (see the pallet's docs).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_executor_displacing(registration.services.len() as u32))]
		pub fn register_executor(
			origin: OriginFor<T>,
			registration: RegistrationOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let services = registration.services.len() as u32;
			let displaced = Self::do_register(who, registration)?;
			// Only a full service is scanned, and a scan that succeeds displaces someone.
			Ok((displaced == 0).then(|| T::WeightInfo::register_executor(services)).into())
		}

		/// Tells the chain the executor is alive; without it for
		/// [`Config::HeartbeatTimeout`] blocks, it gets no new jobs.
		#[pallet::call_index(1)]
		pub fn heartbeat(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_heartbeat(who)
		}

		/// Stops new assignments and starts the unbonding period.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::deregister(T::MaxServices::get()))]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister(who)
		}

		/// Releases the stake and removes the executor, once unbonded with no open job.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw().saturating_add(T::OnRemove::executor_removed_weight()))]
		pub fn withdraw(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw(who)
		}

		/// Sets whether new endpoints may point at private hosts. Governance only; registered
		/// endpoints are not re-checked.
		#[pallet::call_index(4)]
		pub fn set_endpoint_policy(origin: OriginFor<T>, allow_private: bool) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_endpoint_policy(allow_private);
			Ok(())
		}

		/// Deregisters `executor` if it is not serving (its heartbeat is older than
		/// [`Config::HeartbeatTimeout`] or its stake below the minimum), freeing its places in
		/// the service index. Anyone may call it; the executor keeps its stake and its open jobs.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::evict(T::MaxServices::get()))]
		pub fn evict(origin: OriginFor<T>, executor: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_evict(who, executor)
		}
	}
}

impl<T: Config> Pallet<T> {
	fn check_endpoint(endpoint: &[u8]) -> DispatchResult {
		endpoint::validate(endpoint, AllowPrivateEndpoints::<T>::get()).map_err(|e| match e {
			endpoint::EndpointError::Scheme => Error::<T>::EndpointScheme,
			endpoint::EndpointError::Malformed => Error::<T>::EndpointMalformed,
			endpoint::EndpointError::PrivateHost => Error::<T>::EndpointPrivate,
		})?;
		Ok(())
	}

	/// Registers `who` with `registration`; how many places it took from other executors.
	pub fn do_register(who: T::AccountId, registration: RegistrationOf<T>) -> Result<u32, DispatchError> {
		let Registration { endpoint, signing_key, services, hardware, capacity, stake } =
			registration;
		let now = frame_system::Pallet::<T>::block_number();
		let mut displaced = Vec::new();
		ensure!(!Executors::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(stake >= T::MinStake::get(), Error::<T>::StakeTooLow);
		ensure!(capacity > 0 && capacity <= T::MaxCapacity::get(), Error::<T>::InvalidCapacity);
		Self::check_endpoint(&endpoint)?;
		ensure!(!services.is_empty(), Error::<T>::NoServices);
		for (i, service) in services.iter().enumerate() {
			ensure!(
				!services[..i].iter().any(|s| s.model == service.model && s.mode == service.mode),
				Error::<T>::DuplicateService
			);
			let offered = T::Models::terms(&service.model, service.mode)
				.is_some_and(|terms| terms.price.is_some());
			ensure!(offered, Error::<T>::UnknownService);
			ServiceIndex::<T>::try_mutate((service.model, service.mode), |list| {
				if list.is_full() {
					let weakest = Self::weakest(list, stake, now).ok_or(Error::<T>::ServiceFull)?;
					displaced.push((list.remove(weakest).0, service.model, service.mode));
				}
				list.try_push((who.clone(), service.fee)).map_err(|_| Error::<T>::ServiceFull)
			})?;
		}
		T::Currency::hold(&HoldReason::ExecutorStake.into(), &who, stake)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		Executors::<T>::insert(
			&who,
			ExecutorInfo {
				stake,
				endpoint,
				signing_key,
				services,
				hardware,
				capacity,
				active_jobs: 0,
				last_heartbeat: now,
				status: ExecutorStatus::Active,
				stats: ExecutorStats::default(),
			},
		);
		let count = displaced.len() as u32;
		for (executor, model, mode) in displaced {
			Executors::<T>::mutate(&executor, |info| {
				if let Some(info) = info {
					info.services.retain(|s| s.model != model || s.mode != mode);
				}
			});
			Self::deposit_event(Event::ExecutorDisplaced { executor, by: who.clone(), model, mode });
		}
		Self::deposit_event(Event::ExecutorRegistered { executor: who, stake });
		Ok(count)
	}

	/// The place in a full service `list` a newcomer staking `stake` takes: the first entry
	/// that is not serving, else the lowest stake (the earliest of equals) if below `stake`.
	/// Reads every entry: at most [`Config::MaxExecutorsPerService`].
	fn weakest(
		list: &[(T::AccountId, Balance)],
		stake: Balance,
		now: BlockNumberFor<T>,
	) -> Option<usize> {
		let mut lowest: Option<(usize, Balance)> = None;
		for (index, (account, _)) in list.iter().enumerate() {
			let Some(info) = Executors::<T>::get(account) else { return Some(index) };
			if !Self::is_serving(&info, now) {
				return Some(index);
			}
			if lowest.is_none_or(|(_, least)| info.stake < least) {
				lowest = Some((index, info.stake));
			}
		}
		lowest.filter(|(_, least)| *least < stake).map(|(index, _)| index)
	}

	/// Records a heartbeat of `who`.
	pub fn do_heartbeat(who: T::AccountId) -> DispatchResult {
		Executors::<T>::try_mutate(&who, |info| {
			let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(info.status == ExecutorStatus::Active, Error::<T>::Unbonding);
			info.last_heartbeat = frame_system::Pallet::<T>::block_number();
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(Event::Heartbeat { executor: who });
		Ok(())
	}

	/// Takes `who` out of every service index and starts its unbonding period.
	pub fn do_deregister(who: T::AccountId) -> DispatchResult {
		let until = Self::unbond(&who)?;
		Self::deposit_event(Event::ExecutorDeregistered { executor: who, until });
		Ok(())
	}

	/// Deregisters `executor`, which must not be serving, on behalf of `by`.
	pub fn do_evict(by: T::AccountId, executor: T::AccountId) -> DispatchResult {
		let info = Executors::<T>::get(&executor).ok_or(Error::<T>::NotRegistered)?;
		ensure!(info.status == ExecutorStatus::Active, Error::<T>::Unbonding);
		ensure!(!Self::is_serving(&info, frame_system::Pallet::<T>::block_number()), Error::<T>::StillServing);
		let until = Self::unbond(&executor)?;
		Self::deposit_event(Event::ExecutorEvicted { executor, by, until });
		Ok(())
	}

	/// Takes `who` out of every service index and starts its unbonding period; its end.
	fn unbond(who: &T::AccountId) -> Result<BlockNumberFor<T>, DispatchError> {
		Executors::<T>::try_mutate(who, |info| {
			let info = info.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(info.status == ExecutorStatus::Active, Error::<T>::Unbonding);
			let until =
				frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
			info.status = ExecutorStatus::Unbonding { until };
			for service in info.services.iter() {
				ServiceIndex::<T>::mutate_exists((service.model, service.mode), |list| {
					if let Some(entries) = list {
						entries.retain(|(account, _)| account != who);
						if entries.is_empty() {
							*list = None;
						}
					}
				});
			}
			Ok::<_, DispatchError>(until)
		})
	}

	/// Sets whether new endpoints may point at private hosts.
	pub fn do_set_endpoint_policy(allow_private: bool) {
		AllowPrivateEndpoints::<T>::put(allow_private);
		Self::deposit_event(Event::EndpointPolicySet { allow_private });
	}

	/// Releases the stake of `who` and forgets it.
	pub fn do_withdraw(who: T::AccountId) -> DispatchResult {
		let info = Executors::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		let ExecutorStatus::Unbonding { until } = info.status else {
			return Err(Error::<T>::NotUnbonding.into());
		};
		ensure!(frame_system::Pallet::<T>::block_number() >= until, Error::<T>::StillUnbonding);
		ensure!(info.active_jobs == 0, Error::<T>::OpenJobs);
		ensure!(!T::Obligations::has_obligations(&who), Error::<T>::ProvisionalResults);
		let released = T::Currency::release_all(
			&HoldReason::ExecutorStake.into(),
			&who,
			Precision::BestEffort,
		)?;
		Executors::<T>::remove(&who);
		T::OnRemove::executor_removed(&who);
		Self::deposit_event(Event::StakeWithdrawn { executor: who, stake: released });
		Ok(())
	}

	/// Whether `info` may take a new job now.
	fn is_eligible(info: &ExecutorInfo<T>, now: BlockNumberFor<T>) -> bool {
		Self::is_serving(info, now) && info.active_jobs < info.capacity
	}

	/// Whether `info` serves its services now, busy or not: active, staked, heartbeat fresh.
	fn is_serving(info: &ExecutorInfo<T>, now: BlockNumberFor<T>) -> bool {
		info.status == ExecutorStatus::Active &&
			info.stake >= T::MinStake::get() &&
			now.saturating_sub(info.last_heartbeat) <= T::HeartbeatTimeout::get()
	}

	/// Invariants:
	/// - each executor's recorded stake equals what is held from it for stake;
	/// - `active_jobs` never exceeds capacity;
	/// - every service index entry points at an active executor that lists the service, and
	///   every service of an active executor is indexed.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::traits::fungible::InspectHold;
		for (who, info) in Executors::<T>::iter() {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ExecutorStake.into(), &who) == info.stake,
				"executor stake held differs from the stake recorded"
			);
			ensure!(info.active_jobs <= info.capacity, "more jobs than capacity");
			if info.status == ExecutorStatus::Active {
				for service in info.services.iter() {
					ensure!(
						ServiceIndex::<T>::get((service.model, service.mode))
							.iter()
							.any(|(account, fee)| account == &who && *fee == service.fee),
						"an active executor's service is not indexed"
					);
				}
			}
		}
		for ((model, mode), entries) in ServiceIndex::<T>::iter() {
			for (account, _) in entries {
				let info = Executors::<T>::get(&account).ok_or("indexed executor unknown")?;
				ensure!(info.status == ExecutorStatus::Active, "indexed executor not active");
				ensure!(
					info.services.iter().any(|s| s.model == model && s.mode == mode),
					"indexed executor does not list the service"
				);
			}
		}
		Ok(())
	}
}

impl<T: Config> ExecutorProvider<T::AccountId> for Pallet<T> {
	fn max_eligible() -> u32 {
		T::MaxExecutorsPerService::get()
	}

	fn eligible(model: &ModelId, mode: VerificationMode) -> Vec<(T::AccountId, Balance, Balance)> {
		let now = frame_system::Pallet::<T>::block_number();
		ServiceIndex::<T>::get((*model, mode))
			.into_iter()
			.filter_map(|(who, fee)| {
				let info = Executors::<T>::get(&who)?;
				Self::is_eligible(&info, now).then_some((who, info.stake, fee))
			})
			.collect()
	}

	fn serving(model: &ModelId, mode: VerificationMode) -> Vec<(T::AccountId, Balance)> {
		let now = frame_system::Pallet::<T>::block_number();
		ServiceIndex::<T>::get((*model, mode))
			.into_iter()
			.filter(|(who, _)| Executors::<T>::get(who).is_some_and(|info| Self::is_serving(&info, now)))
			.collect()
	}

	fn signing_key(executor: &T::AccountId) -> Option<SigningKey> {
		Executors::<T>::get(executor).map(|info| info.signing_key)
	}

	fn free_slots(executor: &T::AccountId) -> u32 {
		Executors::<T>::get(executor).map_or(0, |info| info.capacity.saturating_sub(info.active_jobs))
	}

	fn job_assigned(executor: &T::AccountId) {
		Executors::<T>::mutate(executor, |info| {
			if let Some(info) = info {
				info.active_jobs.saturating_inc();
			}
		});
	}

	fn result_overturned(executor: &T::AccountId) {
		Executors::<T>::mutate(executor, |info| {
			if let Some(info) = info {
				info.stats.completed.saturating_dec();
			}
		});
	}

	fn job_ended(executor: &T::AccountId, outcome: JobOutcome) {
		Executors::<T>::mutate(executor, |info| {
			if let Some(info) = info {
				info.active_jobs.saturating_dec();
				match outcome {
					JobOutcome::Completed => info.stats.completed.saturating_inc(),
					JobOutcome::Failed => info.stats.failed.saturating_inc(),
					JobOutcome::Expired => info.stats.expired.saturating_inc(),
					JobOutcome::Cancelled => {},
				}
			}
		});
	}

	fn slashable(executor: &T::AccountId) -> Balance {
		Executors::<T>::get(executor).map_or(0, |info| T::ExpirySlash::get() * info.stake)
	}

	fn slash(executor: &T::AccountId, beneficiary: &T::AccountId, amount: Balance) -> Balance {
		if amount.is_zero() {
			return 0;
		}
		let Some(mut info) = Executors::<T>::get(executor) else { return 0 };
		let moved = T::Currency::transfer_on_hold(
			&HoldReason::ExecutorStake.into(),
			executor,
			beneficiary,
			amount,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)
		.unwrap_or_default();
		info.stake = info.stake.saturating_sub(moved);
		Executors::<T>::insert(executor, info);
		if moved > 0 {
			Self::deposit_event(Event::ExecutorSlashed {
				executor: executor.clone(),
				beneficiary: beneficiary.clone(),
				amount: moved,
			});
		}
		moved
	}

	fn busy_executors() -> Vec<(T::AccountId, u32)> {
		Executors::<T>::iter()
			.filter(|(_, info)| info.active_jobs > 0)
			.map(|(executor, info)| (executor, info.active_jobs))
			.collect()
	}
}

/// What [`verity_primitives::registry::ExecutorsApi`] reads.
impl<T: Config> Pallet<T> {
	/// A registered executor, as the runtime API reports it.
	pub fn executor_view(executor: T::AccountId) -> Option<ExecutorView<T::AccountId, BlockNumberFor<T>>> {
		Executors::<T>::get(&executor).map(|info| Self::view_of(executor, info))
	}

	/// Every registered executor.
	pub fn executor_views() -> Vec<ExecutorView<T::AccountId, BlockNumberFor<T>>> {
		Executors::<T>::iter().map(|(executor, info)| Self::view_of(executor, info)).collect()
	}

	fn view_of(account: T::AccountId, info: ExecutorInfo<T>) -> ExecutorView<T::AccountId, BlockNumberFor<T>> {
		ExecutorView {
			account,
			stake: info.stake,
			endpoint: info.endpoint.into_inner(),
			signing_key: info.signing_key,
			services: info.services.into_inner(),
			hardware: info.hardware,
			capacity: info.capacity,
			active_jobs: info.active_jobs,
			last_heartbeat: info.last_heartbeat,
			unbonding_until: match info.status {
				ExecutorStatus::Active => None,
				ExecutorStatus::Unbonding { until } => Some(until),
			},
			completed: info.stats.completed,
			failed: info.stats.failed,
			expired: info.stats.expired,
		}
	}
}
