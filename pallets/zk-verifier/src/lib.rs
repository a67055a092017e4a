//! # zk verifier pallet
//!
//! The `zk` tier's verifier: a registry of Groth16 (BLS12-381) verifying keys, one per model,
//! and the check that a proof shows `output = model(input)` (see `docs/zk.md`).
//!
//! ## Keys
//! - [`Pallet::register_key`]: the model's owner registers its key once, in arkworks' compressed
//!   encoding. The key is decoded with every point checked (on the curve, in the prime-order
//!   subgroup), its length (and so its public-input count) is bounded by [`Config::MaxPublicInputs`], and its hash
//!   is recorded in the model's entry in the models pallet.
//! - A key is fixed for the life of the model: replacing it would fail the zk jobs in flight
//!   (and slash their executors for no fault). Retiring the model drops the key.
//! - The model's size limits must be the exact input and output lengths the key verifies (they
//!   pack into its public-input count), and stay so: the models pallet refuses to change the
//!   limits of a model with a key. Packing 31 bytes to an element would otherwise leave
//!   trailing zero bytes unproven (an extra "verified" logit of zeros).
//! - A key already registered for another model is refused: the same setup randomness gives
//!   two models of the same shape the same key, and their proofs would be interchangeable.
//! - The key is stored prepared (`e(α, β)` computed once) and uncompressed, so that a
//!   verification decodes it without square roots or subgroup checks (it was checked once, at
//!   registration) and runs three pairings instead of four.
//!
//! ## Verification
//! The pallet implements [`TierVerifier`] for the inference pallet. The input and the output
//! must have exactly the model's lengths; the public inputs are the job's inline input and the
//! submitted output, packed 31 bytes to a field element; the
//! pairings and the multi-scalar multiplication run as `sp-crypto-ec-utils` host calls, which
//! the node registers.

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
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::*;
use scale_info::TypeInfo;
use sp_crypto_ec_utils::bls12_381::Bls12_381;
use verity_primitives::{
	inference::{
		Evidence, JobInput, ModelId, ModelKeyRegistry, OnModelRetired, TierVerifier,
		VerificationContext, VerificationError,
	},
	Hash,
};
use verity_zkml::verifier::{self, PreparedKey, Proof, VerifyError, VerifyingKey};

/// The longest stored (prepared, uncompressed) key with at most `T::MaxPublicInputs` public
/// inputs.
pub struct MaxStoredKeyLen<T>(core::marker::PhantomData<T>);

impl<T: Config> Get<u32> for MaxStoredKeyLen<T> {
	fn get() -> u32 {
		verifier::prepared_key_len(T::MaxPublicInputs::get() as usize) as u32
	}
}

/// The longest registrable (compressed) key with at most `T::MaxPublicInputs` public inputs.
pub struct MaxKeyLen<T>(core::marker::PhantomData<T>);

impl<T: Config> Get<u32> for MaxKeyLen<T> {
	fn get() -> u32 {
		verifier::compressed_key_len(T::MaxPublicInputs::get() as usize) as u32
	}
}

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Registers `model` with size limits `(input, output)`, owned by `owner` (funding it as
	/// needed).
	fn register_model(owner: &AccountId, model: &ModelId, limits: (u32, u32));
}

/// A model's verifying key as stored.
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
pub struct StoredKey<T: Config> {
	/// BLAKE2-256 of the registered (compressed) key: its id.
	pub hash: Hash,
	/// How many public inputs the key verifies.
	pub public_inputs: u32,
	/// The key, checked at registration, prepared and uncompressed ([`PreparedKey`]).
	pub key: BoundedVec<u8, MaxStoredKeyLen<T>>,
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
	/// leaves only the model registry to set.
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, traits::ConstU32};

		/// Keys of up to 8 public inputs.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxPublicInputs = ConstU32<8>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The model registry: who may register a model's key, and where it is recorded.
		#[pallet::no_default]
		type Models: ModelKeyRegistry<Self::AccountId>;

		/// Most public inputs a key may have; bounds key sizes and the verification weight.
		#[pallet::constant]
		type MaxPublicInputs: Get<u32>;

		/// Weights of this pallet's calls and of a verification.
		type WeightInfo: WeightInfo;

		/// Registers models for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Each model's verifying key.
	#[pallet::storage]
	pub type VerifyingKeys<T: Config> = StorageMap<_, Blake2_128Concat, ModelId, StoredKey<T>>;

	/// The model each registered key belongs to, by key hash.
	#[pallet::storage]
	pub type KeyModels<T: Config> = StorageMap<_, Identity, Hash, ModelId>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Keys registered at genesis: the model (which must be registered in the models
		/// pallet's genesis) and its compressed key.
		pub keys: Vec<(ModelId, Vec<u8>)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (model, key) in &self.keys {
				let key = key.clone().try_into().expect("genesis zk key is within MaxKeyLen");
				Pallet::<T>::store_key(*model, key).expect("genesis zk keys are valid");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model's verifying key was registered.
		KeyRegistered { model: ModelId, key_hash: Hash, public_inputs: u32 },
		/// A retired model's verifying key was dropped.
		KeyRemoved { model: ModelId, key_hash: Hash },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such model in the models pallet.
		UnknownModel,
		/// Only the model's owner may register its key.
		NotModelOwner,
		/// The model already has a key; keys are fixed for the life of a model.
		KeyAlreadyRegistered,
		/// This key is registered for another model (the same setup randomness was reused).
		KeyOfAnotherModel,
		/// The key does not decode: wrong length, a point off the curve or outside the
		/// prime-order subgroup, no public-input base, or trailing bytes.
		MalformedKey,
		/// The model's size limits do not pack into the key's public inputs (31 bytes to an
		/// element): a zk model's limits must be the exact input and output lengths its key
		/// verifies.
		LimitsDoNotMatchKey,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxPublicInputs::get() > 0, "MaxPublicInputs must allow an input");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers the Groth16 verifying key of `model` (compressed encoding). Owner only,
		/// once per model.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_key(T::MaxPublicInputs::get()))]
		pub fn register_key(
			origin: OriginFor<T>,
			model: ModelId,
			key: BoundedVec<u8, MaxKeyLen<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_key(who, model, key)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Registers `key` for `model`, if `who` owns it.
	pub fn do_register_key(who: T::AccountId, model: ModelId, key: BoundedVec<u8, MaxKeyLen<T>>) -> DispatchResult {
		let owner = T::Models::owner(&model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(owner == who, Error::<T>::NotModelOwner);
		Self::store_key(model, key)
	}

	/// Checks `key`, stores it for `model` and records it in the model's entry.
	fn store_key(model: ModelId, key: BoundedVec<u8, MaxKeyLen<T>>) -> DispatchResult {
		ensure!(!VerifyingKeys::<T>::contains_key(model), Error::<T>::KeyAlreadyRegistered);
		let key_hash = Hash::from(sp_io::hashing::blake2_256(&key));
		ensure!(!KeyModels::<T>::contains_key(key_hash), Error::<T>::KeyOfAnotherModel);
		let decoded = VerifyingKey::<Bls12_381>::decode(&key).map_err(|_| Error::<T>::MalformedKey)?;
		// `MaxKeyLen` bounds the public inputs, so the uncompressed key fits `MaxStoredKeyLen`.
		let public_inputs = decoded.public_inputs() as u32;
		let (input_len, output_len) = T::Models::io_limits(&model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(
			verifier::public_input_count(input_len as usize, output_len as usize) == public_inputs as usize,
			Error::<T>::LimitsDoNotMatchKey
		);
		let stored: BoundedVec<u8, MaxStoredKeyLen<T>> =
			PreparedKey::new(&decoded).encode_trusted().try_into().map_err(|_| Error::<T>::MalformedKey)?;

		T::Models::record_zk_key(&model, key_hash)?;
		VerifyingKeys::<T>::insert(model, StoredKey { hash: key_hash, public_inputs, key: stored });
		KeyModels::<T>::insert(key_hash, model);
		Self::deposit_event(Event::KeyRegistered { model, key_hash, public_inputs });
		Ok(())
	}

	/// Checks `proof` of `output = model(input)` against a stored key.
	pub fn verify_proof(
		key: &StoredKey<T>,
		input: &[u8],
		output: &[u8],
		proof: &[u8],
	) -> Result<(), VerificationError> {
		// Stored keys were checked at registration; one that no longer decodes is a runtime bug,
		// and no proof can verify against it.
		let key = PreparedKey::<Bls12_381>::decode_trusted(&key.key)
			.map_err(|_| VerificationError::NoVerifyingKey)?;
		let proof = Proof::<Bls12_381>::decode(proof).map_err(|_| VerificationError::MalformedProof)?;
		verifier::verify(&key, input, output, &proof).map_err(|error| match error {
			VerifyError::MalformedProof => VerificationError::MalformedProof,
			VerifyError::MalformedKey => VerificationError::NoVerifyingKey,
			VerifyError::WrongPublicInputCount | VerifyError::ProofRejected => VerificationError::BadProof,
		})
	}

	/// Invariants: every stored key decodes, has at most `MaxPublicInputs` public inputs, and
	/// is indexed by its hash under its model (and nothing else is indexed).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut keys = 0usize;
		for (model, stored) in VerifyingKeys::<T>::iter() {
			let key = PreparedKey::<Bls12_381>::decode_trusted(&stored.key)
				.map_err(|_| "a stored zk key does not decode")?;
			ensure!(key.public_inputs() as u32 == stored.public_inputs, "stored public-input count is wrong");
			ensure!(stored.public_inputs <= T::MaxPublicInputs::get(), "a zk key has too many public inputs");
			ensure!(KeyModels::<T>::get(stored.hash) == Some(model), "a zk key is not indexed under its model");
			keys += 1;
		}
		ensure!(KeyModels::<T>::iter().count() == keys, "the zk key index has entries without a key");
		Ok(())
	}
}

impl<T: Config> TierVerifier<T::AccountId> for Pallet<T> {
	fn is_available() -> bool {
		true
	}

	fn can_verify(model: &ModelId, input: &JobInput) -> Result<(), VerificationError> {
		let JobInput::Inline(input) = input else {
			return Err(VerificationError::InputNotInline);
		};
		ensure!(VerifyingKeys::<T>::contains_key(model), VerificationError::NoVerifyingKey);
		let (input_len, _) = Self::exact_lengths(model)?;
		ensure!(input.len() == input_len, VerificationError::WrongLength);
		Ok(())
	}

	fn verify(context: &VerificationContext<T::AccountId>, evidence: &Evidence) -> Result<(), VerificationError> {
		let Evidence::Zk { proof } = evidence else {
			return Err(VerificationError::WrongEvidence);
		};
		let JobInput::Inline(input) = context.input else {
			return Err(VerificationError::InputNotInline);
		};
		let model = context.statement.model_id;
		let key = VerifyingKeys::<T>::get(model).ok_or(VerificationError::NoVerifyingKey)?;
		// Packing leaves trailing zero bytes unproven: only the key's exact lengths verify.
		let (input_len, output_len) = Self::exact_lengths(&model)?;
		ensure!(input.len() == input_len && context.output.len() == output_len, VerificationError::WrongLength);
		Self::verify_proof(&key, input, context.output, proof)
	}

	/// The benchmarked verification, and the read of the model's exact lengths.
	fn verify_weight() -> Weight {
		T::WeightInfo::verify_proof(T::MaxPublicInputs::get()).saturating_add(T::DbWeight::get().reads(1))
	}
}

impl<T: Config> OnModelRetired for Pallet<T> {
	fn model_retired(model: &ModelId) {
		if let Some(stored) = VerifyingKeys::<T>::take(model) {
			KeyModels::<T>::remove(stored.hash);
			Self::deposit_event(Event::KeyRemoved { model: *model, key_hash: stored.hash });
		}
	}

	/// Takes the key (one read, one write) and removes its reverse entry (one write).
	fn model_retired_weight() -> Weight {
		T::DbWeight::get()
			.reads_writes(1, 2)
			.saturating_add(Weight::from_parts(0, StoredKey::<T>::max_encoded_len() as u64))
	}
}

impl<T: Config> Pallet<T> {
	/// The exact input and output lengths `model`'s key verifies: its size limits, which
	/// registration checked against the key and which cannot change while it has one.
	fn exact_lengths(model: &ModelId) -> Result<(usize, usize), VerificationError> {
		let (input_len, output_len) = T::Models::io_limits(model).ok_or(VerificationError::NoVerifyingKey)?;
		Ok((input_len as usize, output_len as usize))
	}

	/// [`verity_primitives::inference::ZkVerifierApi::verifying_key`]: `model`'s key, prepared.
	pub fn prepared_key(model: ModelId) -> Option<Vec<u8>> {
		VerifyingKeys::<T>::get(model).map(|stored| stored.key.into_inner())
	}
}
