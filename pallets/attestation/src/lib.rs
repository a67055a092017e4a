//! # Attestation pallet
//!
//! The `tee` tier's verifier: which enclaves the chain trusts, and the keys they attested.
//!
//! ## What governance sets
//! - [`TrustedRoot`]: the DER root CA quotes must chain to. The production preset carries
//!   Intel's SGX root CA; dev and test presets carry the **TEST ONLY** root of the repository's
//!   test PKI (`verity_tee::test_pki`), with which anyone can make quotes. A chain whose genesis
//!   marks it production ([`ProductionChain`], which no call changes) refuses that root, at
//!   genesis and in [`Pallet::set_trusted_root`]: this stops a mistake, not a malicious
//!   governance, which can upgrade the runtime.
//! - [`AllowedMeasurements`]: one entry per enclave build (SGX `MRENCLAVE`), signer product
//!   (`MRSIGNER` + product id + minimum security version) or trust domain (TDX `MRTD` + the
//!   RTMRs that matter, at least RTMR 0 to 2). Revoking an entry invalidates every key attested under it at once:
//!   each key records the entry's generation, and a re-allowed entry starts a new one.
//! - [`Policy`]: which TCB statuses pass (UpToDate always; the `…Needed` statuses only when
//!   every advisory they list is accepted; OutOfDate, Revoked and TD relaunch never) and how
//!   long an attestation lasts.
//!
//! ## What executors do
//! [`Pallet::register_enclave`]: a registered executor submits its enclave's DCAP quote, the
//! collateral, and the keys the enclave generated. The quote is verified at the chain's time
//! against the trusted root (natively, through the `verity_tee::dcap` host function), its TCB
//! status against the policy, its measurement against the allowlist, and its `report_data`
//! must commit to the keys, the executor and this chain ([`EnclaveKeys::report_data`]). The
//! keys are then stored with the measurement, TCB status and expiry; registering again
//! replaces them.
//!
//! ## Verification
//! The pallet implements [`TierVerifier`] for the inference pallet: a tee-tier result must be
//! signed by the executor's attested, unexpired, still-allowed enclave key; a model may narrow
//! the measurements that serve it and ask for a fresh quote per job binding the result
//! statement ([`Pallet::set_model_requirements`]). Only executors with such a key are assigned
//! tee jobs, and a sealed input goes only to the executor whose enclave holds its recipient key.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, traits::Time};
use scale_info::TypeInfo;
use sp_runtime::traits::Zero;
use verity_primitives::{
	attestation::{
		statement_report_data, AllowedMeasurement, AttestedEnclave, EnclaveKeys, EnclaveRequirements, MeasurementKey,
	},
	inference::{
		Evidence, ExecutorProvider, JobInput, ModelId, ModelKeyRegistry, OnExecutorRemoved, OnModelRetired,
		TierVerifier, VerificationContext, VerificationError,
	},
};
pub use verity_tee::{Measurement, QuoteError, TcbStatus, Verdict};

/// An Intel advisory id (`INTEL-SA-00615`).
pub type AdvisoryId = BoundedVec<u8, ConstU32<{ verity_tee::MAX_ADVISORY_ID_LEN as u32 }>>;

/// What passes the TCB check, and how long an attestation lasts.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxAdvisories))]
pub struct AttestationPolicy<MaxAdvisories: Get<u32>> {
	/// Advisories whose mitigation governance accepts: a `SWHardeningNeeded` or
	/// `ConfigurationNeeded` platform passes only if every advisory it lists is here.
	pub accepted_advisories: BoundedVec<AdvisoryId, MaxAdvisories>,
	/// How long an attestation lasts, in seconds; the executor renews before it ends.
	pub validity_secs: u64,
}

/// A model's requirements on the enclaves that serve it at the tee tier.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxMeasurements))]
pub struct ModelRequirements<MaxMeasurements: Get<u32>> {
	/// Allowlist entries that may serve the model; empty: any allowed measurement.
	pub measurements: BoundedVec<MeasurementKey, MaxMeasurements>,
	/// Whether every result carries a fresh quote whose `report_data` binds its statement.
	pub quote_per_job: bool,
}

/// An allowlist entry as stored.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Allowance {
	/// What it allows.
	pub rule: AllowedMeasurement,
	/// Keys attested under an earlier generation of the entry are not valid under this one.
	pub generation: u32,
}

/// An executor's attested enclave.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Enclave {
	/// The keys its quote bound.
	pub keys: EnclaveKeys,
	/// The allowlist entry its measurement matched.
	pub measurement: MeasurementKey,
	/// That entry's generation when it matched.
	pub generation: u32,
	/// The trust root's generation when it was attested: a new root invalidates the key.
	pub root_generation: u32,
	/// The quote's TCB status.
	pub tcb_status: TcbStatus,
	/// When the quote was verified (unix seconds).
	pub attested_at: u64,
	/// When the attestation ends (unix seconds).
	pub expires_at: u64,
}

/// Which trust root a genesis config names. The chain spec shows the variant's name, so a
/// chain that trusts the test PKI says so in its spec.
#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Serialize, serde::Deserialize)]
pub enum GenesisRoot {
	/// No root: the tee tier is unavailable.
	#[default]
	None,
	/// Intel's SGX root CA: quotes from genuine Intel platforms.
	IntelSgxRootCa,
	/// **TEST ONLY**: the repository's test PKI, with which anyone can make a quote. Dev and
	/// test chains only.
	#[serde(rename = "TEST ONLY: Verity test PKI root (not Intel; anyone can forge quotes)")]
	TestOnlyVerityTestPki,
}

impl GenesisRoot {
	/// The root's DER certificate.
	pub fn der(&self) -> Option<&'static [u8]> {
		match self {
			GenesisRoot::None => None,
			GenesisRoot::IntelSgxRootCa => Some(verity_tee::INTEL_SGX_ROOT_CA_DER),
			GenesisRoot::TestOnlyVerityTestPki => Some(verity_tee::TEST_ROOT_CA_DER),
		}
	}
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A registered executor (registered as needed).
	fn executor() -> AccountId;
	/// A registered model and its owner (registered as needed).
	fn model_owned_by() -> (ModelId, AccountId);
	/// Sets the chain's clock (unix seconds).
	fn set_time(now_secs: u64);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::pallet_prelude::*;

	/// The layout of this pallet's storage. Bump it whenever the layout changes, with a
	/// migration in the runtime's `Migrations` (the runtime's storage-layout test says when).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// A test configuration: `#[derive_impl(config_preludes::TestDefaultConfig)]` in a mock
	/// leaves governance, the registries and the clock to set.
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, traits::ConstU32};

		/// The chain's quote bound, 64 KiB of collateral, small lists.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxQuoteLen = ConstU32<{ verity_primitives::inference::MAX_QUOTE_LEN }>;
			type MaxCollateralLen = ConstU32<{ 64 * 1024 }>;
			type MaxRootLen = ConstU32<2048>;
			type MaxAdvisories = ConstU32<32>;
			type MaxModelMeasurements = ConstU32<4>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// Sets the trust root, the policy and the measurement allowlist.
		#[pallet::no_default]
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The executor registry: only registered executors attest enclaves.
		#[pallet::no_default]
		type Executors: ExecutorProvider<Self::AccountId>;

		/// The model registry: only a model's owner sets its requirements.
		#[pallet::no_default]
		type Models: ModelKeyRegistry<Self::AccountId>;

		/// The chain's clock (milliseconds).
		#[pallet::no_default]
		type Time: Time<Moment = u64>;

		/// Longest quote.
		#[pallet::constant]
		type MaxQuoteLen: Get<u32>;

		/// Longest SCALE-encoded collateral.
		#[pallet::constant]
		type MaxCollateralLen: Get<u32>;

		/// Longest root CA certificate.
		#[pallet::constant]
		type MaxRootLen: Get<u32>;

		/// Most accepted advisories.
		#[pallet::constant]
		type MaxAdvisories: Get<u32>;

		/// Most measurements a model may narrow its enclaves to.
		#[pallet::constant]
		type MaxModelMeasurements: Get<u32>;

		/// Weights of this pallet's calls and of a per-job quote check.
		type WeightInfo: WeightInfo;

		/// Registers executors and models for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The DER root CA that quotes must chain to; without one the tee tier is unavailable.
	#[pallet::storage]
	pub type TrustedRoot<T: Config> = StorageValue<_, BoundedVec<u8, T::MaxRootLen>>;

	/// Whether this is a production chain: set at genesis (or, for a chain launched before it
	/// existed, by [`migrations::v1`]) and by no call. A production chain refuses the TEST ONLY
	/// root.
	#[pallet::storage]
	pub type ProductionChain<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// How many times governance replaced the trust root; keys attested under an earlier root
	/// are not valid.
	#[pallet::storage]
	pub type RootGeneration<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The TCB policy and the attestation lifetime.
	#[pallet::storage]
	pub type Policy<T: Config> = StorageValue<_, AttestationPolicy<T::MaxAdvisories>, OptionQuery>;

	/// The measurement allowlist: one entry per enclave build, signer product or trust domain.
	#[pallet::storage]
	pub type AllowedMeasurements<T: Config> = StorageMap<_, Blake2_128Concat, MeasurementKey, Allowance>;

	/// The generation the next allowlist entry gets.
	#[pallet::storage]
	pub type NextGeneration<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// Each executor's attested enclave.
	#[pallet::storage]
	pub type Enclaves<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Enclave>;

	/// The collateral each enclave was attested with, against which its per-job quotes are
	/// checked (same platform, same TCB info).
	#[pallet::storage]
	pub type EnclaveCollateral<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<u8, T::MaxCollateralLen>>;

	/// Models' requirements on the enclaves that serve them.
	#[pallet::storage]
	pub type ModelEnclaveRequirements<T: Config> =
		StorageMap<_, Blake2_128Concat, ModelId, ModelRequirements<T::MaxModelMeasurements>>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The trust root.
		pub trusted_root: GenesisRoot,
		/// Accepted advisories.
		pub accepted_advisories: Vec<Vec<u8>>,
		/// How long an attestation lasts, in seconds.
		pub validity_secs: u64,
		/// The measurement allowlist.
		pub measurements: Vec<AllowedMeasurement>,
		/// A production chain: it refuses the TEST ONLY root, here and in `set_trusted_root`,
		/// for good (no call changes it).
		pub production: bool,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				!(self.production && self.trusted_root == GenesisRoot::TestOnlyVerityTestPki),
				"a production chain cannot trust the TEST ONLY root of the test PKI"
			);
			ProductionChain::<T>::put(self.production);
			if let Some(der) = self.trusted_root.der() {
				TrustedRoot::<T>::put(BoundedVec::try_from(der.to_vec()).expect("the genesis root fits MaxRootLen"));
			}
			let accepted_advisories = self
				.accepted_advisories
				.iter()
				.map(|id| AdvisoryId::try_from(id.clone()).expect("genesis advisory ids are short"))
				.collect::<Vec<_>>()
				.try_into()
				.expect("genesis advisories fit MaxAdvisories");
			Policy::<T>::put(AttestationPolicy { accepted_advisories, validity_secs: self.validity_secs });
			for rule in &self.measurements {
				Pallet::<T>::do_allow_measurement(rule.clone()).expect("genesis TDX entries pin RTMR 0 to 2");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The trust root was replaced; `root_hash` is BLAKE2-256 of its DER.
		TrustedRootSet { root_hash: [u8; 32] },
		/// The TCB policy or the attestation lifetime changed.
		PolicySet { accepted_advisories: u32, validity_secs: u64 },
		/// A measurement was allowed (or its entry replaced), starting `generation`.
		MeasurementAllowed { measurement: MeasurementKey, generation: u32 },
		/// A measurement was revoked: every key attested under it is invalid.
		MeasurementRevoked { measurement: MeasurementKey },
		/// An executor's enclave keys were attested (or renewed).
		EnclaveRegistered {
			executor: T::AccountId,
			measurement: MeasurementKey,
			tcb_status: TcbStatus,
			expires_at: u64,
		},
		/// A model's enclave requirements were set (`None`: removed, also when the model retires).
		ModelRequirementsSet { model: ModelId, requirements: Option<ModelRequirements<T::MaxModelMeasurements>> },
		/// A removed executor's enclave keys and collateral were dropped.
		EnclaveRemoved { executor: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only registered executors attest enclaves.
		NotExecutor,
		/// No trust root is set: the tee tier is unavailable on this chain.
		NoTrustedRoot,
		/// The quote does not parse.
		MalformedQuote,
		/// A quote version, TEE type, key type or QE vendor that is not supported.
		UnsupportedQuote,
		/// The collateral does not decode or parse.
		MalformedCollateral,
		/// A certificate chain of the quote or collateral does not end at the trusted root.
		UntrustedCertificateChain,
		/// A certificate of the quote or collateral is revoked.
		RevokedCertificate,
		/// The collateral or a certificate is expired (or not yet valid) at the chain's time.
		CollateralExpired,
		/// The TCB info's or QE identity's signature does not verify.
		BadCollateralSignature,
		/// The quoting enclave's report is not genuine or does not bind the attestation key.
		BadQeReport,
		/// The quote's signature does not verify.
		BadQuoteSignature,
		/// The platform matches no TCB level of the collateral.
		TcbMismatch,
		/// The platform's TCB is revoked.
		TcbRevoked,
		/// A debug enclave or an insecure TD configuration.
		InsecureEnclave,
		/// The quote was refused for another reason.
		QuoteRejected,
		/// The TCB status is not accepted (out of date, or a TD relaunch is advised).
		TcbNotAccepted,
		/// The platform needs mitigations for an advisory governance has not accepted.
		AdvisoryNotAccepted,
		/// The enclave's measurement is not on the allowlist.
		MeasurementNotAllowed,
		/// The quote's `report_data` does not commit to these keys, this executor and chain.
		ReportDataMismatch,
		/// No allowlist entry for this measurement.
		UnknownMeasurement,
		/// The root is not a DER certificate.
		InvalidRoot,
		/// No such model.
		UnknownModel,
		/// Only the model's owner sets its requirements.
		NotModelOwner,
		/// The chain's clock is not set.
		NoTime,
		/// This is a production chain: it cannot trust the TEST ONLY root of the test PKI.
		TestRootOnProductionChain,
		/// The platform lists as many advisories as the check keeps, or an id as long as it
		/// keeps: more may have been cut, so it is refused rather than judged on part of them.
		AdvisoriesCut,
		/// A TDX entry must pin RTMR 0 to 2 (firmware, boot loader and kernel, command line and
		/// initrd); one left open would accept any operating system.
		UnpinnedBootMeasurement,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				T::MaxQuoteLen::get() <= verity_primitives::inference::MAX_QUOTE_LEN,
				"MaxQuoteLen above MAX_QUOTE_LEN: a per-job quote of that size could not ride in evidence"
			);
			assert!(T::MaxRootLen::get() > 0, "MaxRootLen must allow a root certificate");
			assert!(T::MaxCollateralLen::get() > 0, "MaxCollateralLen must allow collateral");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Attests the calling executor's enclave: verifies `quote` with `collateral` (SCALE,
		/// `verity_tee::Collateral`) and stores `keys`, replacing earlier ones.
		#[pallet::call_index(0)]
				pub fn register_enclave(
			origin: OriginFor<T>,
			quote: BoundedVec<u8, T::MaxQuoteLen>,
			collateral: BoundedVec<u8, T::MaxCollateralLen>,
			keys: EnclaveKeys,
		) -> DispatchResult {
			let executor = ensure_signed(origin)?;
			Self::do_register_enclave(executor, quote, collateral, keys)
		}

		/// Replaces the trust root (governance).
		#[pallet::call_index(1)]
		pub fn set_trusted_root(origin: OriginFor<T>, root_der: BoundedVec<u8, T::MaxRootLen>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_trusted_root(root_der)
		}

		/// Replaces the TCB policy and the attestation lifetime (governance).
		#[pallet::call_index(2)]
		pub fn set_policy(origin: OriginFor<T>, policy: AttestationPolicy<T::MaxAdvisories>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_policy(policy);
			Ok(())
		}

		/// Allows a measurement, or replaces its entry (governance). A replaced entry starts a
		/// new generation: keys attested under the old one must attest again.
		#[pallet::call_index(3)]
		pub fn allow_measurement(origin: OriginFor<T>, rule: AllowedMeasurement) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_allow_measurement(rule)
		}

		/// Revokes a measurement (governance): every key attested under it stops being valid.
		#[pallet::call_index(4)]
		pub fn revoke_measurement(origin: OriginFor<T>, measurement: MeasurementKey) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_revoke_measurement(measurement)
		}

		/// Sets which measurements may serve `model` and whether its results carry a quote
		/// per job (`None` removes the requirements). Model owner only.
		#[pallet::call_index(5)]
		pub fn set_model_requirements(
			origin: OriginFor<T>,
			model: ModelId,
			requirements: Option<ModelRequirements<T::MaxModelMeasurements>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_model_requirements(who, model, requirements)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Verifies `quote` and stores `keys` as `executor`'s enclave.
	pub fn do_register_enclave(
		executor: T::AccountId,
		quote: BoundedVec<u8, T::MaxQuoteLen>,
		collateral: BoundedVec<u8, T::MaxCollateralLen>,
		keys: EnclaveKeys,
	) -> DispatchResult {
		ensure!(T::Executors::signing_key(&executor).is_some(), Error::<T>::NotExecutor);
		let now = Self::now_secs()?;
		let verdict = Self::verify_quote(&quote, &collateral, now)?;
		Self::check_tcb(&verdict)?;
		let (measurement, allowance) = Self::allowance_of(&verdict.measurement).ok_or(Error::<T>::MeasurementNotAllowed)?;
		let genesis_hash = frame_system::Pallet::<T>::block_hash(frame_system::pallet_prelude::BlockNumberFor::<T>::zero());
		let genesis_hash = sp_core::H256::from_slice(genesis_hash.as_ref());
		ensure!(verdict.report_data == keys.report_data(genesis_hash, &executor), Error::<T>::ReportDataMismatch);

		let validity = Policy::<T>::get().map_or(0, |policy| policy.validity_secs);
		let expires_at = now.saturating_add(validity);
		Enclaves::<T>::insert(
			&executor,
			Enclave {
				keys,
				measurement,
				generation: allowance.generation,
				root_generation: RootGeneration::<T>::get(),
				tcb_status: verdict.tcb_status,
				attested_at: now,
				expires_at,
			},
		);
		EnclaveCollateral::<T>::insert(&executor, collateral);
		Self::deposit_event(Event::EnclaveRegistered {
			executor,
			measurement,
			tcb_status: verdict.tcb_status,
			expires_at,
		});
		Ok(())
	}

	/// Replaces the trust root; every key attested under the old one stops being valid.
	pub fn do_set_trusted_root(root_der: BoundedVec<u8, T::MaxRootLen>) -> DispatchResult {
		// A DER certificate is a SEQUENCE; anything else cannot anchor a chain.
		ensure!(root_der.first() == Some(&0x30), Error::<T>::InvalidRoot);
		ensure!(!(ProductionChain::<T>::get() && is_test_root(&root_der)), Error::<T>::TestRootOnProductionChain);
		let root_hash = sp_io::hashing::blake2_256(&root_der);
		TrustedRoot::<T>::put(root_der);
		RootGeneration::<T>::mutate(|generation| *generation = generation.saturating_add(1));
		Self::deposit_event(Event::TrustedRootSet { root_hash });
		Ok(())
	}

	/// Replaces the policy.
	pub fn do_set_policy(policy: AttestationPolicy<T::MaxAdvisories>) {
		let (accepted_advisories, validity_secs) = (policy.accepted_advisories.len() as u32, policy.validity_secs);
		Policy::<T>::put(policy);
		Self::deposit_event(Event::PolicySet { accepted_advisories, validity_secs });
	}

	/// Allows `rule`'s measurement under a new generation.
	pub fn do_allow_measurement(rule: AllowedMeasurement) -> DispatchResult {
		// RTMR 0 to 2 measure the firmware, the boot loader and kernel, and the kernel's command
		// line and initrd: an entry that leaves one open accepts any operating system.
		if let AllowedMeasurement::Tdx { rtmrs, .. } = &rule {
			ensure!(rtmrs[..3].iter().all(Option::is_some), Error::<T>::UnpinnedBootMeasurement);
		}
		let measurement = rule.key();
		let generation = NextGeneration::<T>::mutate(|next| {
			let generation = *next;
			*next = next.saturating_add(1);
			generation
		});
		AllowedMeasurements::<T>::insert(measurement, Allowance { rule, generation });
		Self::deposit_event(Event::MeasurementAllowed { measurement, generation });
		Ok(())
	}

	/// Removes `measurement` from the allowlist.
	pub fn do_revoke_measurement(measurement: MeasurementKey) -> DispatchResult {
		AllowedMeasurements::<T>::take(measurement).ok_or(Error::<T>::UnknownMeasurement)?;
		Self::deposit_event(Event::MeasurementRevoked { measurement });
		Ok(())
	}

	/// Sets `model`'s requirements, if `who` owns it.
	pub fn do_set_model_requirements(
		who: T::AccountId,
		model: ModelId,
		requirements: Option<ModelRequirements<T::MaxModelMeasurements>>,
	) -> DispatchResult {
		let owner = T::Models::owner(&model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(owner == who, Error::<T>::NotModelOwner);
		ModelEnclaveRequirements::<T>::set(model, requirements.clone());
		Self::deposit_event(Event::ModelRequirementsSet { model, requirements });
		Ok(())
	}

	/// The chain's time in unix seconds.
	fn now_secs() -> Result<u64, Error<T>> {
		let now = T::Time::now() / 1_000;
		ensure!(now > 0, Error::<T>::NoTime);
		Ok(now)
	}

	/// Verifies `quote` against the trusted root at `now` (unix seconds).
	fn verify_quote(quote: &[u8], collateral: &[u8], now: u64) -> Result<Verdict, Error<T>> {
		let root = TrustedRoot::<T>::get().ok_or(Error::<T>::NoTrustedRoot)?;
		verity_tee::dcap::verify_quote(quote, collateral, &root, now).map_err(Error::<T>::from)
	}

	/// Whether `verdict`'s TCB status passes the policy.
	pub(crate) fn check_tcb(verdict: &Verdict) -> Result<(), Error<T>> {
		match verdict.tcb_status {
			TcbStatus::UpToDate => Ok(()),
			TcbStatus::SwHardeningNeeded |
			TcbStatus::ConfigurationNeeded |
			TcbStatus::ConfigurationAndSwHardeningNeeded => {
				let accepted = Policy::<T>::get().map(|policy| policy.accepted_advisories).unwrap_or_default();
				// A status that needs mitigations but names none cannot be judged.
				ensure!(!verdict.advisory_ids.is_empty(), Error::<T>::AdvisoryNotAccepted);
				// The check keeps at most `MAX_ADVISORIES` ids of at most `MAX_ADVISORY_ID_LEN`
				// bytes: a list at the cap, or an id at the length cap, may have been cut, and a
				// platform is not judged on part of its advisories.
				ensure!(
					verdict.advisory_ids.len() < verity_tee::MAX_ADVISORIES &&
						verdict.advisory_ids.iter().all(|id| id.len() < verity_tee::MAX_ADVISORY_ID_LEN),
					Error::<T>::AdvisoriesCut
				);
				ensure!(
					verdict.advisory_ids.iter().all(|id| accepted.iter().any(|ok| ok.as_slice() == id.as_slice())),
					Error::<T>::AdvisoryNotAccepted
				);
				Ok(())
			},
			TcbStatus::OutOfDate |
			TcbStatus::OutOfDateConfigurationNeeded |
			TcbStatus::Revoked |
			TcbStatus::TdRelaunchAdvised => Err(Error::<T>::TcbNotAccepted),
		}
	}

	/// The allowlist entry `measurement` matches, with its key.
	pub fn allowance_of(measurement: &Measurement) -> Option<(MeasurementKey, Allowance)> {
		let found = |key: MeasurementKey| AllowedMeasurements::<T>::get(key).map(|allowance| (key, allowance));
		match measurement {
			Measurement::Sgx { mr_enclave, mr_signer, isv_prod_id, isv_svn } =>
				found(MeasurementKey::SgxEnclave(*mr_enclave)).or_else(|| {
					found(MeasurementKey::SgxSigner(*mr_signer, *isv_prod_id)).filter(|(_, allowance)| {
						matches!(allowance.rule, AllowedMeasurement::SgxSigner { min_isv_svn, .. } if *isv_svn >= min_isv_svn)
					})
				}),
			Measurement::Tdx { mr_td, rtmrs } => found(MeasurementKey::Tdx(*mr_td)).filter(|(_, allowance)| {
				let AllowedMeasurement::Tdx { rtmrs: required, .. } = &allowance.rule else { return false };
				required.iter().zip(rtmrs).all(|(required, actual)| required.is_none_or(|required| &required.0 == actual))
			}),
		}
	}

	/// `executor`'s enclave, if its attestation is unexpired, under the current trust root, its
	/// measurement still allowed under the same generation, and the measurement may serve `model`.
	pub fn valid_enclave(executor: &T::AccountId, model: &ModelId) -> Option<Enclave> {
		let enclave = Enclaves::<T>::get(executor)?;
		let now = T::Time::now() / 1_000;
		let allowance = AllowedMeasurements::<T>::get(enclave.measurement)?;
		let serves_model = ModelEnclaveRequirements::<T>::get(model)
			.is_none_or(|required| required.measurements.is_empty() || required.measurements.contains(&enclave.measurement));
		let current = allowance.generation == enclave.generation && enclave.root_generation == RootGeneration::<T>::get();
		(now < enclave.expires_at && current && serves_model).then_some(enclave)
	}

	/// Checks a quote made for one job: verified against the enclave's collateral, passing the
	/// TCB policy, of the enclave's measurement, binding the statement.
	fn verify_job_quote(
		executor: &T::AccountId,
		enclave: &Enclave,
		quote: &[u8],
		expected_report_data: &[u8; 64],
	) -> Result<(), VerificationError> {
		let collateral = EnclaveCollateral::<T>::get(executor).ok_or(VerificationError::NoAttestedKey)?;
		let now = Self::now_secs().map_err(|_| VerificationError::BadQuote)?;
		let verdict = Self::verify_quote(quote, &collateral, now).map_err(|_| VerificationError::BadQuote)?;
		Self::check_tcb(&verdict).map_err(|_| VerificationError::BadQuote)?;
		let (measurement, _) = Self::allowance_of(&verdict.measurement).ok_or(VerificationError::BadQuote)?;
		ensure!(measurement == enclave.measurement, VerificationError::BadQuote);
		ensure!(&verdict.report_data == expected_report_data, VerificationError::BadQuote);
		Ok(())
	}

	/// Invariants: every allowlist entry is stored under its own key with a generation below
	/// the next one; every enclave has its collateral (and no collateral is orphaned), and an
	/// expiry after its attestation; the policy exists when a root does.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let next = NextGeneration::<T>::get();
		for (key, allowance) in AllowedMeasurements::<T>::iter() {
			ensure!(allowance.rule.key() == key, "an allowlist entry is stored under another key");
			ensure!(allowance.generation < next, "an allowlist entry has a future generation");
		}
		let mut enclaves = 0usize;
		for (executor, enclave) in Enclaves::<T>::iter() {
			ensure!(EnclaveCollateral::<T>::contains_key(&executor), "an enclave has no collateral");
			ensure!(enclave.expires_at >= enclave.attested_at, "an enclave expires before its attestation");
			ensure!(enclave.generation < next, "an enclave has a future generation");
			ensure!(enclave.root_generation <= RootGeneration::<T>::get(), "an enclave has a future root generation");
			enclaves += 1;
		}
		ensure!(EnclaveCollateral::<T>::iter_keys().count() == enclaves, "collateral without an enclave");
		ensure!(TrustedRoot::<T>::get().is_none() || Policy::<T>::get().is_some(), "a root without a policy");
		ensure!(
			!(ProductionChain::<T>::get() && TrustedRoot::<T>::get().is_some_and(|root| is_test_root(&root))),
			"a production chain trusts the TEST ONLY root"
		);
		Ok(())
	}
}

/// Whether `root_der` is the TEST ONLY root of the repository's test PKI (by its BLAKE2-256).
pub fn is_test_root(root_der: &[u8]) -> bool {
	sp_io::hashing::blake2_256(root_der) == sp_io::hashing::blake2_256(verity_tee::TEST_ROOT_CA_DER)
}

impl<T: Config> From<QuoteError> for Error<T> {
	fn from(error: QuoteError) -> Self {
		match error {
			QuoteError::MalformedQuote => Error::MalformedQuote,
			QuoteError::UnsupportedQuote => Error::UnsupportedQuote,
			QuoteError::MalformedCollateral => Error::MalformedCollateral,
			QuoteError::UntrustedCertificateChain => Error::UntrustedCertificateChain,
			QuoteError::RevokedCertificate => Error::RevokedCertificate,
			QuoteError::CollateralExpired => Error::CollateralExpired,
			QuoteError::BadCollateralSignature => Error::BadCollateralSignature,
			QuoteError::BadQeReport => Error::BadQeReport,
			QuoteError::BadQuoteSignature => Error::BadQuoteSignature,
			QuoteError::TcbMismatch => Error::TcbMismatch,
			QuoteError::TcbRevoked => Error::TcbRevoked,
			QuoteError::InsecureEnclave => Error::InsecureEnclave,
			QuoteError::Other => Error::QuoteRejected,
		}
	}
}

impl<T: Config> TierVerifier<T::AccountId> for Pallet<T> {
	fn is_available() -> bool {
		TrustedRoot::<T>::exists()
	}

	fn can_verify(_model: &ModelId, _input: &JobInput) -> Result<(), VerificationError> {
		Ok(())
	}

	fn can_serve(executor: &T::AccountId, model: &ModelId, input: &JobInput) -> bool {
		Self::valid_enclave(executor, model).is_some_and(|enclave| match input {
			JobInput::Sealed { recipient, .. } => &enclave.keys.encryption == recipient,
			_ => true,
		})
	}

	/// The enclave's measurement was revoked or re-allowed under a new generation, or the trust
	/// root replaced, since it was attested: acts of governance, not of the executor (a lapsed
	/// attestation or a changed model requirement, which the executor may cause by attesting
	/// another enclave, does not count).
	fn excuses_expiry(executor: &T::AccountId, _model: &ModelId) -> bool {
		Enclaves::<T>::get(executor).is_some_and(|enclave| {
			let allowed = AllowedMeasurements::<T>::get(enclave.measurement)
				.is_some_and(|allowance| allowance.generation == enclave.generation);
			!allowed || enclave.root_generation != RootGeneration::<T>::get()
		})
	}

	fn verify(context: &VerificationContext<T::AccountId>, evidence: &Evidence) -> Result<(), VerificationError> {
		let Evidence::Tee { signature, quote } = evidence else {
			return Err(VerificationError::WrongEvidence);
		};
		let model = &context.statement.model_id;
		let enclave = Self::valid_enclave(&context.executor, model).ok_or(VerificationError::NoAttestedKey)?;
		ensure!(
			enclave.keys.signing.verify(&context.statement.signing_payload(), signature),
			VerificationError::BadSignature
		);
		if ModelEnclaveRequirements::<T>::get(model).is_some_and(|required| required.quote_per_job) {
			let quote = quote.as_ref().ok_or(VerificationError::BadQuote)?;
			Self::verify_job_quote(&context.executor, &enclave, quote, &statement_report_data(&context.statement))?;
		}
		Ok(())
	}

	/// Three storage reads (the enclave, its allowlist entry, the model's requirements), whose
	/// cost is the database's; the comparisons are negligible.
	fn can_serve_weight() -> Weight {
		let proof = Enclave::max_encoded_len() +
			Allowance::max_encoded_len() +
			ModelRequirements::<T::MaxModelMeasurements>::max_encoded_len();
		T::DbWeight::get().reads(3).saturating_add(Weight::from_parts(0, proof as u64))
	}

	fn verify_weight() -> Weight {
		T::WeightInfo::verify_job_quote()
	}
}

/// A retired model's enclave requirements go with it: a model registered later under the same
/// id starts with none.
impl<T: Config> OnModelRetired for Pallet<T> {
	fn model_retired(model: &ModelId) {
		if ModelEnclaveRequirements::<T>::take(model).is_some() {
			Self::deposit_event(Event::ModelRequirementsSet { model: *model, requirements: None });
		}
	}

	/// Takes the requirements: one read, one write.
	fn model_retired_weight() -> Weight {
		T::DbWeight::get().reads_writes(1, 1).saturating_add(Weight::from_parts(
			0,
			ModelRequirements::<T::MaxModelMeasurements>::max_encoded_len() as u64,
		))
	}
}

/// A removed executor's enclave keys and collateral go with it: an account that registers again
/// attests again.
impl<T: Config> OnExecutorRemoved<T::AccountId> for Pallet<T> {
	fn executor_removed(executor: &T::AccountId) {
		let had_enclave = Enclaves::<T>::take(executor).is_some();
		EnclaveCollateral::<T>::remove(executor);
		if had_enclave {
			Self::deposit_event(Event::EnclaveRemoved { executor: executor.clone() });
		}
	}

	/// Takes the enclave (one read, one write) and removes its collateral (one write).
	fn executor_removed_weight() -> Weight {
		T::DbWeight::get()
			.reads_writes(1, 2)
			.saturating_add(Weight::from_parts(0, Enclave::max_encoded_len() as u64))
	}
}

/// What [`verity_primitives::attestation::AttestationApi`] reads.
impl<T: Config> Pallet<T> {
	/// The trust root (DER), if one is set.
	pub fn trusted_root() -> Option<Vec<u8>> {
		TrustedRoot::<T>::get().map(BoundedVec::into_inner)
	}

	/// `executor`'s attested enclave, as the runtime API reports it.
	pub fn attested_enclave(executor: T::AccountId) -> Option<AttestedEnclave> {
		Enclaves::<T>::get(executor).map(|enclave| AttestedEnclave {
			keys: enclave.keys,
			measurement: enclave.measurement,
			attested_at: enclave.attested_at,
			expires_at: enclave.expires_at,
		})
	}

	/// `model`'s enclave requirements (none set: the default).
	pub fn enclave_requirements(model: ModelId) -> EnclaveRequirements {
		ModelEnclaveRequirements::<T>::get(model)
			.map(|requirements| EnclaveRequirements {
				measurements: requirements.measurements.into_inner(),
				quote_per_job: requirements.quote_per_job,
			})
			.unwrap_or_default()
	}
}
