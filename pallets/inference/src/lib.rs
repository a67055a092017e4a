//! # Inference pallet
//!
//! Jobs: anyone buys an inference from a staked executor, pays into escrow, and gets a result
//! whose evidence the runtime checked at the verification tier the caller chose.
//!
//! ## Life of a job
//! ```text
//!  submit_job / submit_jobs ──► Assigned ──start_job──► Running
//!                                  │  │                   │  │
//!                        cancel ◄──┘  └──────┬────────────┘  │
//!                          │      submit_result│   report_failure
//!                          ▼                  ▼              ▼
//!                      Cancelled          Completed        Failed
//!          (deadline passes while Assigned or Running) ──► Expired
//! ```
//! Every transition is in [`Pallet`]'s `do_*` functions and emits an event.
//!
//! `submit_paid` is `submit_job` paid with an x402 payment authorization (checked and used up by
//! [`Config::Payments`]), so that an agent with no native token can buy through a relayer.
//!
//! ## Money
//! At submission, `price + max_fee` is put on hold from the payer, in the job's asset (the
//! model's own, or for `submit_paid` another asset the model is priced in, with executors'
//! fees converted at the model's prices): that is the job's escrow. On a verified result the escrow pays, from the hold:
//! - the model owner: `royalty × price`;
//! - the treasury: `protocol_fee × (price + executor_fee)`;
//! - the executor: the rest of `price + executor_fee`;
//!
//! and the unspent `max_fee − executor_fee` is released back to the payer. A failure or a
//! cancellation releases the whole escrow; an expiry releases it and also slashes the executor's
//! stake to the payer. A payout that cannot be made (a recipient that could not exist with so
//! little) is refunded to the payer instead, so no result is ever blocked by dust.
//!
//! Invariant (checked by [`Pallet::do_try_state`]): for every payer and asset, the balance held
//! for escrow equals the sum of the escrow of that payer's open jobs in that asset.
//!
//! ## Assignment
//! On chain and deterministic: among the executors eligible for (model, tier) whose fee is at
//! most `max_fee`, one is drawn with probability proportional to its stake, seeded by the
//! chain's randomness and the job id. Every validator computes the same executor.
//!
//! ## Bounded work
//! - the executors considered for a job are at most `MaxExecutorsPerService`;
//! - jobs expiring in one block are at most [`Config::MaxDeadlinesPerBlock`] (a deadline on a
//!   full block is refused with [`Error::DeadlineBlockFull`]);
//! - closed jobs are pruned after [`Config::RetentionPeriod`] in FIFO order, at most
//!   [`Config::MaxPrunesPerBlock`] per block;
//! - tier statistics keep [`Config::StatsRetention`] buckets.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod dispatch;
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
		fungibles::{self, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
		Randomness, Time,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};
use verity_primitives::{
	inference::{
		ExecutorProvider, JobId, JobInput, JobOutcome, MAX_INLINE_INPUT, JobSpec, JobStatus, JobSummary, ModelId,
		ModelProvider, ModelTerms, Quote, ResultStatement, TierCounters, TierStatsEntry, TierVerifier,
		VerificationContext, VerificationError, VerificationMode, Evidence,
	},
	dispatch::DispatchKey,
	x402::{job_nonce, PaymentAuthorization, PaymentAuthorizer, PaymentError},
	Balance, Hash,
};

/// A payment authorization of this runtime.
pub type PaymentAuthorizationOf<T> =
	PaymentAuthorization<<T as frame_system::Config>::AccountId, <T as Config>::AssetKind>;

/// The payer's signature of a [`PaymentAuthorizationOf`].
pub type PaymentSignatureOf<T> = <<T as Config>::Payments as PaymentAuthorizer<
	<T as frame_system::Config>::AccountId,
	<T as Config>::AssetKind,
>>::Signature;

/// A job request of this runtime.
pub type JobSpecOf<T> = JobSpec<BlockNumberFor<T>>;

/// A job, from submission until it is pruned.
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
pub struct Job<T: Config> {
	/// Who pays, and gets refunds and slashes.
	pub payer: T::AccountId,
	/// The model.
	pub model: ModelId,
	/// The tier.
	pub mode: VerificationMode,
	/// The input.
	pub input: JobInput,
	/// BLAKE2-256 of the input.
	pub input_hash: Hash,
	/// Largest output accepted (the model's limit when the job was submitted).
	pub max_output_len: u32,
	/// The asset the job is paid in.
	pub asset: T::AssetKind,
	/// The model's price, as it was at submission.
	pub price: Balance,
	/// The most the payer pays the executor.
	pub max_fee: Balance,
	/// What the assigned executor asks.
	pub executor_fee: Balance,
	/// Receives the royalty.
	pub owner: T::AccountId,
	/// The owner's share of the price.
	pub royalty: Perbill,
	/// Who runs it.
	pub executor: T::AccountId,
	/// The last block at which a result is accepted.
	pub deadline: BlockNumberFor<T>,
	/// Where the job is.
	pub status: JobStatus,
	/// BLAKE2-256 of the output, once completed.
	pub output_hash: Option<Hash>,
	/// Block of the last transition.
	pub updated_at: BlockNumberFor<T>,
}

impl<T: Config> Job<T> {
	/// What the job holds in escrow: `price + max_fee` while open, nothing once closed.
	pub fn escrow(&self) -> Balance {
		if self.status.is_open() {
			self.price.saturating_add(self.max_fee)
		} else {
			Zero::zero()
		}
	}
}

/// The payouts of a completed job.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
struct Payouts {
	executor: Balance,
	royalty: Balance,
	protocol: Balance,
	refund: Balance,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::pallet_prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The kind of asset jobs are paid in: the native token or an asset id.
		type AssetKind: Parameter + MaxEncodedLen + Ord;

		/// Where escrow is held: every payment asset, with holds.
		type Currency: fungibles::MutateHold<
			Self::AccountId,
			AssetId = Self::AssetKind,
			Balance = Balance,
			Reason = Self::RuntimeHoldReason,
		>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The model registry.
		type Models: ModelProvider<Self::AccountId, Self::AssetKind>;

		/// The executor registry.
		type Executors: ExecutorProvider<Self::AccountId>;

		/// Verifies signed-tier evidence.
		type SignedVerifier: TierVerifier<Self::AccountId>;

		/// Verifies tee-tier evidence.
		type TeeVerifier: TierVerifier<Self::AccountId>;

		/// Verifies zk-tier evidence.
		type ZkVerifier: TierVerifier<Self::AccountId>;

		/// Checks and uses up payment authorizations signed off chain (x402), for `submit_paid`.
		type Payments: PaymentAuthorizer<Self::AccountId, Self::AssetKind>;

		/// The escrow binding: the recipient (`payTo`) of every job payment. Funds are never
		/// sent to it; they are held on the payer as the job's escrow.
		#[pallet::constant]
		type EscrowBinding: Get<Self::AccountId>;

		/// Seeds the assignment of executors.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// The clock of the tier statistics (milliseconds since the epoch).
		type Time: Time<Moment = u64>;

		/// Receives the protocol fee.
		#[pallet::constant]
		type Treasury: Get<Self::AccountId>;

		/// Share of every completed job's charge that goes to the treasury.
		#[pallet::constant]
		type ProtocolFee: Get<Perbill>;

		/// Largest output.
		#[pallet::constant]
		type MaxOutputLen: Get<u32>;

		/// Longest failure reason.
		#[pallet::constant]
		type MaxReasonLen: Get<u32>;

		/// Most jobs in one `submit_jobs` batch.
		#[pallet::constant]
		type MaxBatch: Get<u32>;

		/// Furthest deadline, in blocks from submission.
		#[pallet::constant]
		type MaxJobDuration: Get<BlockNumberFor<Self>>;

		/// Most jobs that may expire in one block.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Blocks a closed job is kept before it is pruned.
		#[pallet::constant]
		type RetentionPeriod: Get<BlockNumberFor<Self>>;

		/// Most closed jobs pruned in one block.
		#[pallet::constant]
		type MaxPrunesPerBlock: Get<u32>;

		/// Length of a tier-statistics bucket, in milliseconds (a day by default).
		#[pallet::constant]
		type StatsBucket: Get<u64>;

		/// Buckets of tier statistics kept.
		#[pallet::constant]
		type StatsRetention: Get<u32>;

		/// Most validators in the dispatcher set.
		#[pallet::constant]
		type MaxDispatchers: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets up models and executors for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The escrow of open jobs.
		JobEscrow,
	}

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// The jobs, from submission until they are pruned.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, Job<T>>;

	/// The outputs of completed jobs, until they are pruned.
	#[pallet::storage]
	pub type Outputs<T: Config> =
		StorageMap<_, Twox64Concat, JobId, BoundedVec<u8, T::MaxOutputLen>>;

	/// The evidence of completed jobs' results, kept with their outputs, so that anyone can
	/// check a result against its tier without the transaction that submitted it.
	#[pallet::storage]
	pub type Evidences<T: Config> = StorageMap<_, Twox64Concat, JobId, Evidence>;

	/// The open jobs of each executor.
	#[pallet::storage]
	pub type ExecutorJobs<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, ()>;

	/// The jobs to expire at the start of each block (their deadline + 1).
	#[pallet::storage]
	pub type Deadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, T::MaxDeadlinesPerBlock>,
		ValueQuery,
	>;

	/// Closed jobs waiting to be pruned, in the order they closed: position → (job, closed at).
	#[pallet::storage]
	pub type PruneQueue<T: Config> =
		StorageMap<_, Twox64Concat, u64, (JobId, BlockNumberFor<T>)>;

	/// Positions of the first and one-past-the-last entries of [`PruneQueue`].
	#[pallet::storage]
	pub type PruneQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Tier statistics: (bucket, tier, asset) → counters.
	#[pallet::storage]
	pub type TierStats<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, u32>,
			NMapKey<Twox64Concat, VerificationMode>,
			NMapKey<Blake2_128Concat, T::AssetKind>,
		),
		TierCounters,
		ValueQuery,
	>;

	/// The oldest bucket of tier statistics not yet pruned.
	#[pallet::storage]
	pub type OldestStatsBucket<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The validators' dispatch keys: job `id` is dispatched by `Dispatchers[id % len]`, and
	/// executors accept dispatch messages signed by these keys only.
	#[pallet::storage]
	pub type Dispatchers<T: Config> =
		StorageValue<_, BoundedVec<DispatchKey, T::MaxDispatchers>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The initial dispatcher set (the validators' dispatch keys).
		pub dispatchers: Vec<DispatchKey>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let dispatchers: BoundedVec<_, T::MaxDispatchers> =
				self.dispatchers.clone().try_into().expect("at most MaxDispatchers dispatchers");
			Dispatchers::<T>::put(dispatchers);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was submitted, its escrow held, and an executor assigned.
		JobSubmitted {
			job: JobId,
			payer: T::AccountId,
			model: ModelId,
			mode: VerificationMode,
			executor: T::AccountId,
			escrow: Balance,
			deadline: BlockNumberFor<T>,
		},
		/// The executor acknowledged the job.
		JobStarted { job: JobId, executor: T::AccountId },
		/// A verified result was accepted and the escrow paid out.
		JobCompleted {
			job: JobId,
			executor: T::AccountId,
			output_hash: Hash,
			executor_paid: Balance,
			royalty: Balance,
			protocol_fee: Balance,
			refund: Balance,
		},
		/// The executor could not run the job; the escrow went back to the payer.
		JobFailed { job: JobId, reason: BoundedVec<u8, T::MaxReasonLen>, refund: Balance },
		/// The deadline passed: the escrow went back to the payer with a slash of the executor.
		JobExpired { job: JobId, executor: T::AccountId, refund: Balance, slashed: Balance },
		/// The payer cancelled the job; the escrow went back to the payer.
		JobCancelled { job: JobId, refund: Balance },
		/// A closed job was removed from storage.
		JobPruned { job: JobId },
		/// The dispatcher set changed.
		DispatchersSet { count: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such model.
		UnknownModel,
		/// The model does not offer this tier.
		TierNotOffered,
		/// The chain cannot verify this tier (yet).
		TierUnavailable,
		/// No eligible executor asks a fee at most `max_fee`.
		FeeTooLow,
		/// No executor is eligible for this model and tier.
		NoEligibleExecutor,
		/// The inline input is larger than the model accepts.
		InputTooLarge,
		/// The output is larger than the model produces.
		OutputTooLarge,
		/// The deadline is not after the current block.
		DeadlineInPast,
		/// The deadline is further than `MaxJobDuration`.
		DeadlineTooFar,
		/// Too many jobs already expire at this deadline; pick another.
		DeadlineBlockFull,
		/// The batch is empty.
		EmptyBatch,
		/// The payer cannot put price and fee on hold.
		InsufficientBalance,
		/// No such job (or it was pruned).
		UnknownJob,
		/// Only the assigned executor may do this.
		NotAssignedExecutor,
		/// Only the payer may do this.
		NotPayer,
		/// A result was already accepted for this job.
		ResultAlreadySubmitted,
		/// The job is closed (failed, expired or cancelled).
		JobNotOpen,
		/// The executor already started the job: it can no longer be cancelled.
		AlreadyStarted,
		/// The deadline has passed.
		LateResult,
		/// The evidence is for another tier than the job's.
		WrongEvidence,
		/// The signature does not verify.
		BadSignature,
		/// The executor has no valid attested enclave key.
		NoAttestedKey,
		/// The per-job quote is missing or does not bind the result.
		BadQuote,
		/// The zk proof does not verify.
		BadProof,
		/// The executor has no signing key on record.
		UnknownExecutorKey,
		/// The payment's nonce is not `job_nonce(spec, salt)`: it pays for another job.
		PaymentNotForJob,
		/// The payment's recipient is not the escrow binding.
		PaymentRecipientMismatch,
		/// The model is not priced at this tier in the payment's asset.
		PaymentAssetMismatch,
		/// The payment's value is not the job's escrow, `price + max_fee`.
		PaymentValueMismatch,
		/// The zk proof does not decode.
		MalformedProof,
		/// The model has no zk verifying key.
		NoVerifyingKey,
		/// The zk tier needs the input inline, not by reference.
		InputNotInline,
		/// A sealed (confidential) input needs the tee tier.
		SealedInputNeedsTee,
	}

	impl<T: Config> From<VerificationError> for Error<T> {
		fn from(error: VerificationError) -> Self {
			match error {
				VerificationError::TierUnavailable => Error::TierUnavailable,
				VerificationError::WrongEvidence => Error::WrongEvidence,
				VerificationError::BadSignature => Error::BadSignature,
				VerificationError::NoAttestedKey => Error::NoAttestedKey,
				VerificationError::BadQuote => Error::BadQuote,
				VerificationError::BadProof => Error::BadProof,
				VerificationError::MalformedProof => Error::MalformedProof,
				VerificationError::NoVerifyingKey => Error::NoVerifyingKey,
				VerificationError::InputNotInline => Error::InputNotInline,
				VerificationError::SealedInputNeedsTee => Error::SealedInputNeedsTee,
			}
		}
	}

	impl<T> Error<T> {
		/// The x402 reason of a refused job payment, where the error is about the payment.
		pub fn payment_error(&self) -> Option<PaymentError> {
			match self {
				Error::PaymentNotForJob => Some(PaymentError::InvalidPayload),
				Error::PaymentRecipientMismatch => Some(PaymentError::RecipientMismatch),
				Error::PaymentAssetMismatch => Some(PaymentError::AssetMismatch),
				Error::PaymentValueMismatch => Some(PaymentError::ValueMismatch),
				Error::InsufficientBalance => Some(PaymentError::InsufficientFunds),
				_ => None,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let expired = Self::expire_jobs(now);
			let pruned = Self::prune_jobs(now);
			let stats = Self::prune_stats(Self::current_bucket());
			T::WeightInfo::expire_jobs(expired)
				.saturating_add(T::WeightInfo::prune_jobs(pruned))
				.saturating_add(T::WeightInfo::prune_stats(stats))
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			Self::offchain_dispatch(now);
		}

		fn integrity_test() {
			assert!(T::MaxBatch::get() > 0, "MaxBatch must allow one job");
			assert!(T::StatsBucket::get() > 0, "StatsBucket must be positive");
			assert!(T::StatsRetention::get() > 0, "StatsRetention must keep a bucket");
			assert!(
				T::ProtocolFee::get() <= Perbill::from_percent(50),
				"a protocol fee above 50% leaves too little for the executor"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Buys one inference: holds `price + max_fee` and assigns an executor.
		#[pallet::call_index(0)]
		#[pallet::weight(
			T::WeightInfo::submit_job(spec.input.inline_len() as u32).saturating_add(Pallet::<T>::serve_weight(spec.mode))
		)]
		pub fn submit_job(origin: OriginFor<T>, spec: JobSpecOf<T>) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_submit_job(payer, spec).map(|_| ())
		}

		/// Buys several inferences at once, tiers mixed: all are submitted, or none.
		#[pallet::call_index(1)]
		#[pallet::weight(
			specs.iter().fold(Weight::zero(), |total, spec| {
				total
					.saturating_add(T::WeightInfo::submit_job(MAX_INLINE_INPUT))
					.saturating_add(Pallet::<T>::serve_weight(spec.mode))
			})
		)]
		pub fn submit_jobs(
			origin: OriginFor<T>,
			specs: BoundedVec<JobSpecOf<T>, T::MaxBatch>,
		) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			ensure!(!specs.is_empty(), Error::<T>::EmptyBatch);
			for spec in specs {
				Self::do_submit_job(payer.clone(), spec)?;
			}
			Ok(())
		}

		/// The assigned executor acknowledges the job; it can no longer be cancelled.
		#[pallet::call_index(2)]
		pub fn start_job(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let executor = ensure_signed(origin)?;
			Self::do_start_job(executor, job)
		}

		/// The assigned executor submits the output with the evidence the job's tier asks for.
		/// The evidence is verified; then the escrow pays out.
		#[pallet::call_index(3)]
		#[pallet::weight(
			T::WeightInfo::submit_result(output.len() as u32)
				.saturating_add(Pallet::<T>::verify_weight(evidence.mode()))
		)]
		pub fn submit_result(
			origin: OriginFor<T>,
			job: JobId,
			output: BoundedVec<u8, T::MaxOutputLen>,
			evidence: Evidence,
		) -> DispatchResult {
			let executor = ensure_signed(origin)?;
			Self::do_submit_result(executor, job, output, evidence)
		}

		/// The assigned executor reports that it cannot run the job (e.g. an input the model
		/// cannot take); the payer is refunded in full and the executor is not slashed.
		#[pallet::call_index(4)]
		pub fn report_failure(
			origin: OriginFor<T>,
			job: JobId,
			reason: BoundedVec<u8, T::MaxReasonLen>,
		) -> DispatchResult {
			let executor = ensure_signed(origin)?;
			Self::do_report_failure(executor, job, reason)
		}

		/// The payer cancels a job the executor has not started; the escrow is released.
		#[pallet::call_index(5)]
		pub fn cancel(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_cancel(payer, job)
		}

		/// Pays for one inference with an x402 payment authorization and submits it, in one
		/// step: the authorization's payer becomes the job's payer (refunds go to it), and the
		/// submitter, a relayer or facilitator, only pays the transaction fee.
		///
		/// The authorization must be `exact`, to [`Config::EscrowBinding`], in an asset the
		/// model is priced in at the tier, for `price + max_fee` in that asset, with nonce
		/// `job_nonce(spec, salt)`.
		#[pallet::call_index(6)]
		#[pallet::weight(
			T::WeightInfo::submit_paid(spec.input.inline_len() as u32).saturating_add(Pallet::<T>::serve_weight(spec.mode))
		)]
		pub fn submit_paid(
			origin: OriginFor<T>,
			spec: JobSpecOf<T>,
			salt: [u8; 32],
			authorization: PaymentAuthorizationOf<T>,
			signature: PaymentSignatureOf<T>,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_submit_paid(spec, salt, authorization, signature).map(|_| ())
		}

		/// Replaces the dispatcher set (root: it follows the validator set).
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::set_dispatchers(dispatchers.len() as u32))]
		pub fn set_dispatchers(
			origin: OriginFor<T>,
			dispatchers: BoundedVec<DispatchKey, T::MaxDispatchers>,
		) -> DispatchResult {
			ensure_root(origin)?;
			Self::do_set_dispatchers(dispatchers);
			Ok(())
		}
	}
}

/// Calls `$function` on the verifier of tier `$mode` (inside `impl<T: Config> Pallet<T>`).
macro_rules! on_tier {
	($mode:expr, $function:ident($($argument:expr),*)) => {
		match $mode {
			VerificationMode::Signed => T::SignedVerifier::$function($($argument),*),
			VerificationMode::Tee => T::TeeVerifier::$function($($argument),*),
			VerificationMode::Zk => T::ZkVerifier::$function($($argument),*),
		}
	};
}

impl<T: Config> Pallet<T> {
	/// Validates `spec`, holds its escrow from `payer` in the model's own asset, assigns an
	/// executor and records the job.
	pub fn do_submit_job(payer: T::AccountId, spec: JobSpecOf<T>) -> Result<JobId, DispatchError> {
		let terms = T::Models::terms(&spec.model, spec.mode).ok_or(Error::<T>::UnknownModel)?;
		Self::submit_on_terms(payer, spec, terms)
	}

	/// [`Self::do_submit_job`] with the model's terms in the asset the job is paid in.
	fn submit_on_terms(
		payer: T::AccountId,
		spec: JobSpecOf<T>,
		terms: ModelTerms<T::AccountId, T::AssetKind>,
	) -> Result<JobId, DispatchError> {
		let JobSpec { model, mode, input, max_fee, deadline } = spec;
		let now = frame_system::Pallet::<T>::block_number();

		let price = terms.price.ok_or(Error::<T>::TierNotOffered)?;
		ensure!(Self::tier_available(mode), Error::<T>::TierUnavailable);
		Self::can_verify(mode, &model, &input).map_err(Error::<T>::from)?;
		ensure!(input.inline_len() as u32 <= terms.max_input_len, Error::<T>::InputTooLarge);
		ensure!(deadline > now, Error::<T>::DeadlineInPast);
		ensure!(deadline <= now.saturating_add(T::MaxJobDuration::get()), Error::<T>::DeadlineTooFar);

		let job_id = NextJobId::<T>::get();
		let (executor, executor_fee) = Self::assign(job_id, &model, mode, &input, max_fee, &terms)?;

		Deadlines::<T>::try_mutate(Self::expiry_block(deadline), |jobs| jobs.try_push(job_id))
			.map_err(|_| Error::<T>::DeadlineBlockFull)?;
		let escrow = price.saturating_add(max_fee);
		T::Currency::hold(terms.asset.clone(), &HoldReason::JobEscrow.into(), &payer, escrow)
			.map_err(|_| Error::<T>::InsufficientBalance)?;

		T::Executors::job_assigned(&executor);
		ExecutorJobs::<T>::insert(&executor, job_id, ());
		NextJobId::<T>::put(job_id.saturating_add(1));
		Self::count(mode, &terms.asset, |c| c.submitted.saturating_inc());
		Jobs::<T>::insert(
			job_id,
			Job {
				payer: payer.clone(),
				model,
				mode,
				input_hash: input.hash(),
				input,
				max_output_len: terms.max_output_len.min(T::MaxOutputLen::get()),
				asset: terms.asset,
				price,
				max_fee,
				executor_fee,
				owner: terms.owner,
				royalty: terms.royalty,
				executor: executor.clone(),
				deadline,
				status: JobStatus::Assigned,
				output_hash: None,
				updated_at: now,
			},
		);
		Self::deposit_event(Event::JobSubmitted {
			job: job_id,
			payer,
			model,
			mode,
			executor,
			escrow,
			deadline,
		});
		Ok(job_id)
	}

	/// Replaces the dispatcher set.
	pub fn do_set_dispatchers(dispatchers: BoundedVec<DispatchKey, T::MaxDispatchers>) {
		let count = dispatchers.len() as u32;
		Dispatchers::<T>::put(dispatchers);
		Self::deposit_event(Event::DispatchersSet { count });
	}

	/// Checks that `authorization` pays exactly for `spec`, uses it up, and submits the job
	/// for its payer. Atomic within the calling extrinsic: a job that cannot be submitted leaves
	/// the authorization unused.
	pub fn do_submit_paid(
		spec: JobSpecOf<T>,
		salt: [u8; 32],
		authorization: PaymentAuthorizationOf<T>,
		signature: PaymentSignatureOf<T>,
	) -> Result<JobId, DispatchError> {
		ensure!(authorization.nonce == job_nonce(&spec, &salt), Error::<T>::PaymentNotForJob);
		ensure!(authorization.to == T::EscrowBinding::get(), Error::<T>::PaymentRecipientMismatch);
		let terms = T::Models::terms_in(&spec.model, spec.mode, &authorization.asset)
			.ok_or(Error::<T>::UnknownModel)?;
		let price = match (terms.price, terms.model_asset_price) {
			(Some(price), _) => price,
			(None, Some(_)) => return Err(Error::<T>::PaymentAssetMismatch.into()),
			(None, None) => return Err(Error::<T>::TierNotOffered.into()),
		};
		ensure!(
			authorization.value == price.saturating_add(spec.max_fee),
			Error::<T>::PaymentValueMismatch
		);
		T::Payments::consume(&authorization, &signature)?;
		Self::submit_on_terms(authorization.from.clone(), spec, terms)
	}

	/// The eligible executors of `model` at `mode` for `input` (the tier's verifier may narrow
	/// them: the tee tier to attested enclaves), with their stakes and their fees in the asset
	/// of `terms`.
	fn eligible_in(
		model: &ModelId,
		mode: VerificationMode,
		input: &JobInput,
		terms: &ModelTerms<T::AccountId, T::AssetKind>,
	) -> Vec<(T::AccountId, Balance, Balance)> {
		T::Executors::eligible(model, mode)
			.into_iter()
			.filter(|(executor, _, _)| Self::can_serve(mode, executor, model, input))
			.filter_map(|(executor, stake, fee)| Some((executor, stake, terms.fee_in_asset(fee)?)))
			.collect()
	}

	/// Draws the executor of job `job_id`: stake-weighted among the eligible executors whose
	/// fee (in the job's asset) is at most `max_fee`, seeded by the chain's randomness and the
	/// job id.
	fn assign(
		job_id: JobId,
		model: &ModelId,
		mode: VerificationMode,
		input: &JobInput,
		max_fee: Balance,
		terms: &ModelTerms<T::AccountId, T::AssetKind>,
	) -> Result<(T::AccountId, Balance), DispatchError> {
		let eligible = Self::eligible_in(model, mode, input, terms);
		ensure!(!eligible.is_empty(), Error::<T>::NoEligibleExecutor);
		let affordable: Vec<_> = eligible.into_iter().filter(|(_, _, fee)| *fee <= max_fee).collect();
		ensure!(!affordable.is_empty(), Error::<T>::FeeTooLow);

		let total_stake = affordable
			.iter()
			.fold(Balance::zero(), |sum, (_, stake, _)| sum.saturating_add(*stake));
		let (seed, _) = T::Randomness::random(&(b"verity/assign", job_id).encode());
		let seed = u128::decode(&mut seed.as_ref()).unwrap_or_default();
		let mut ticket = if total_stake.is_zero() { 0 } else { seed % total_stake };
		for (executor, stake, fee) in affordable.iter() {
			if ticket < *stake {
				return Ok((executor.clone(), *fee));
			}
			ticket -= stake;
		}
		// Only reached when every stake is zero.
		let (executor, _, fee) = affordable[0].clone();
		Ok((executor, fee))
	}

	fn tier_available(mode: VerificationMode) -> bool {
		on_tier!(mode, is_available())
	}

	fn can_verify(mode: VerificationMode, model: &ModelId, input: &JobInput) -> Result<(), VerificationError> {
		on_tier!(mode, can_verify(model, input))
	}

	fn can_serve(mode: VerificationMode, executor: &T::AccountId, model: &ModelId, input: &JobInput) -> bool {
		on_tier!(mode, can_serve(executor, model, input))
	}

	/// What the tier's eligibility check of every candidate executor costs beyond the
	/// `submit_job` benchmark (which measures the signed tier, whose check is free).
	pub fn serve_weight(mode: VerificationMode) -> Weight {
		on_tier!(mode, can_serve_weight()).saturating_mul(T::Executors::max_eligible().into())
	}

	/// What verifying evidence of tier `mode` costs beyond the `submit_result` benchmark.
	pub fn verify_weight(mode: VerificationMode) -> Weight {
		on_tier!(mode, verify_weight())
	}

	fn verify(
		mode: VerificationMode,
		context: &VerificationContext<T::AccountId>,
		evidence: &Evidence,
	) -> Result<(), VerificationError> {
		if evidence.mode() != mode {
			return Err(VerificationError::WrongEvidence);
		}
		on_tier!(mode, verify(context, evidence))
	}

	/// The block at whose start a job with `deadline` expires.
	fn expiry_block(deadline: BlockNumberFor<T>) -> BlockNumberFor<T> {
		deadline.saturating_add(1u32.into())
	}

	/// Loads an open job assigned to `executor`.
	fn open_job_of(executor: &T::AccountId, job_id: JobId) -> Result<Job<T>, DispatchError> {
		let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(&job.executor == executor, Error::<T>::NotAssignedExecutor);
		match job.status {
			JobStatus::Assigned | JobStatus::Running => Ok(job),
			JobStatus::Completed => Err(Error::<T>::ResultAlreadySubmitted.into()),
			_ => Err(Error::<T>::JobNotOpen.into()),
		}
	}

	/// Marks job `job_id` started by `executor`.
	pub fn do_start_job(executor: T::AccountId, job_id: JobId) -> DispatchResult {
		let mut job = Self::open_job_of(&executor, job_id)?;
		ensure!(job.status == JobStatus::Assigned, Error::<T>::AlreadyStarted);
		job.status = JobStatus::Running;
		job.updated_at = frame_system::Pallet::<T>::block_number();
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobStarted { job: job_id, executor });
		Ok(())
	}

	/// Verifies and accepts the result of job `job_id`, then pays out its escrow.
	pub fn do_submit_result(
		executor: T::AccountId,
		job_id: JobId,
		output: BoundedVec<u8, T::MaxOutputLen>,
		evidence: Evidence,
	) -> DispatchResult {
		let mut job = Self::open_job_of(&executor, job_id)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= job.deadline, Error::<T>::LateResult);
		ensure!(output.len() as u32 <= job.max_output_len, Error::<T>::OutputTooLarge);

		let executor_key =
			T::Executors::signing_key(&executor).ok_or(Error::<T>::UnknownExecutorKey)?;
		let output_hash = Hash::from(sp_io::hashing::blake2_256(&output));
		let context = VerificationContext {
			executor: executor.clone(),
			executor_key,
			statement: ResultStatement {
				genesis_hash: Self::genesis_hash(),
				job_id,
				model_id: job.model,
				input_hash: job.input_hash,
				output_hash,
			},
			input: &job.input,
			output: &output,
		};
		Self::verify(job.mode, &context, &evidence).map_err(Error::<T>::from)?;

		let payouts = Self::pay_out(&job);
		job.output_hash = Some(output_hash);
		let fees = payouts.executor.saturating_add(payouts.royalty).saturating_add(payouts.protocol);
		Self::close(job_id, &mut job, JobOutcome::Completed, fees);
		Outputs::<T>::insert(job_id, output);
		Evidences::<T>::insert(job_id, evidence);
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobCompleted {
			job: job_id,
			executor,
			output_hash,
			executor_paid: payouts.executor,
			royalty: payouts.royalty,
			protocol_fee: payouts.protocol,
			refund: payouts.refund,
		});
		Ok(())
	}

	/// Closes job `job_id` as failed at its executor's word and refunds the payer.
	pub fn do_report_failure(
		executor: T::AccountId,
		job_id: JobId,
		reason: BoundedVec<u8, T::MaxReasonLen>,
	) -> DispatchResult {
		let mut job = Self::open_job_of(&executor, job_id)?;
		let refund = Self::refund(&job);
		Self::close(job_id, &mut job, JobOutcome::Failed, 0);
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobFailed { job: job_id, reason, refund });
		Ok(())
	}

	/// Cancels job `job_id` for its payer, if not started, and refunds it.
	pub fn do_cancel(payer: T::AccountId, job_id: JobId) -> DispatchResult {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.payer == payer, Error::<T>::NotPayer);
		match job.status {
			JobStatus::Assigned => {},
			JobStatus::Running => return Err(Error::<T>::AlreadyStarted.into()),
			_ => return Err(Error::<T>::JobNotOpen.into()),
		}
		let refund = Self::refund(&job);
		Self::close(job_id, &mut job, JobOutcome::Cancelled, 0);
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobCancelled { job: job_id, refund });
		Ok(())
	}

	/// Expires the open jobs whose deadline was the previous block. Returns how many it looked
	/// at, for the weight.
	pub(crate) fn expire_jobs(now: BlockNumberFor<T>) -> u32 {
		let due = Deadlines::<T>::take(now);
		for job_id in due.iter() {
			let Some(mut job) = Jobs::<T>::get(job_id) else { continue };
			if !job.status.is_open() {
				continue;
			}
			let refund = Self::refund(&job);
			let slashed = T::Executors::slash(&job.executor, &job.payer);
			Self::close(*job_id, &mut job, JobOutcome::Expired, 0);
			let executor = job.executor.clone();
			Jobs::<T>::insert(job_id, job);
			Self::deposit_event(Event::JobExpired { job: *job_id, executor, refund, slashed });
		}
		due.len() as u32
	}

	/// Removes up to `MaxPrunesPerBlock` closed jobs whose retention period is over.
	pub(crate) fn prune_jobs(now: BlockNumberFor<T>) -> u32 {
		let (mut head, tail) = PruneQueueBounds::<T>::get();
		let mut pruned = 0;
		while head < tail && pruned < T::MaxPrunesPerBlock::get() {
			let Some((job_id, closed_at)) = PruneQueue::<T>::get(head) else { break };
			if closed_at.saturating_add(T::RetentionPeriod::get()) > now {
				break;
			}
			PruneQueue::<T>::remove(head);
			Jobs::<T>::remove(job_id);
			Outputs::<T>::remove(job_id);
			Evidences::<T>::remove(job_id);
			Self::deposit_event(Event::JobPruned { job: job_id });
			head += 1;
			pruned += 1;
		}
		if pruned > 0 {
			PruneQueueBounds::<T>::put((head, tail));
		}
		pruned
	}

	/// Removes tier statistics older than `StatsRetention` buckets before `current`, a bounded
	/// number of entries per block. Returns how many it removed.
	pub(crate) fn prune_stats(current: u32) -> u32 {
		let oldest = OldestStatsBucket::<T>::get();
		if current.saturating_sub(oldest) < T::StatsRetention::get() {
			return 0;
		}
		let limit = T::MaxPrunesPerBlock::get();
		let result = TierStats::<T>::clear_prefix((oldest,), limit, None);
		if result.maybe_cursor.is_none() {
			OldestStatsBucket::<T>::put(oldest.saturating_add(1));
		}
		result.unique
	}

	/// The one transition out of the open states: sets the final status, frees the executor's
	/// slot, drops the job from the executor's index, queues it for pruning and counts it in the
	/// tier statistics (with `fees_paid` for a completed job). The escrow is settled by the caller.
	fn close(job_id: JobId, job: &mut Job<T>, outcome: JobOutcome, fees_paid: Balance) {
		let now = frame_system::Pallet::<T>::block_number();
		job.status = match outcome {
			JobOutcome::Completed => JobStatus::Completed,
			JobOutcome::Failed => JobStatus::Failed,
			JobOutcome::Expired => JobStatus::Expired,
			JobOutcome::Cancelled => JobStatus::Cancelled,
		};
		job.updated_at = now;
		Self::count(job.mode, &job.asset, |c| {
			match outcome {
				JobOutcome::Completed => c.completed.saturating_inc(),
				JobOutcome::Failed => c.failed.saturating_inc(),
				JobOutcome::Expired => c.expired.saturating_inc(),
				JobOutcome::Cancelled => c.cancelled.saturating_inc(),
			}
			c.fees_paid.saturating_accrue(fees_paid);
		});
		T::Executors::job_ended(&job.executor, outcome);
		ExecutorJobs::<T>::remove(&job.executor, job_id);
		PruneQueueBounds::<T>::mutate(|(_, tail)| {
			PruneQueue::<T>::insert(*tail, (job_id, now));
			*tail = tail.saturating_add(1);
		});
	}

	/// Releases the whole escrow of `job` to its payer. Returns the amount.
	fn refund(job: &Job<T>) -> Balance {
		T::Currency::release(
			job.asset.clone(),
			&HoldReason::JobEscrow.into(),
			&job.payer,
			job.escrow(),
			Precision::BestEffort,
		)
		.unwrap_or_default()
	}

	/// Pays the escrow of a completed job: owner, treasury, executor; the rest goes back to the
	/// payer. A payout that cannot be made is refunded instead.
	fn pay_out(job: &Job<T>) -> Payouts {
		let charged = job.price.saturating_add(job.executor_fee);
		let royalty = job.royalty * job.price;
		let protocol = T::ProtocolFee::get() * charged;
		let executor_share = charged.saturating_sub(royalty).saturating_sub(protocol);

		let pay = |to: &T::AccountId, amount: Balance| -> Balance {
			if amount.is_zero() {
				return 0;
			}
			T::Currency::transfer_on_hold(
				job.asset.clone(),
				&HoldReason::JobEscrow.into(),
				&job.payer,
				to,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Force,
			)
			.unwrap_or_default()
		};
		let royalty = pay(&job.owner, royalty);
		let protocol = pay(&T::Treasury::get(), protocol);
		let executor = pay(&job.executor, executor_share);
		let left = job.escrow().saturating_sub(royalty).saturating_sub(protocol).saturating_sub(executor);
		let refund = T::Currency::release(
			job.asset.clone(),
			&HoldReason::JobEscrow.into(),
			&job.payer,
			left,
			Precision::BestEffort,
		)
		.unwrap_or_default();
		Payouts { executor, royalty, protocol, refund }
	}

	/// The chain's genesis hash, which result statements bind.
	pub fn genesis_hash() -> Hash {
		let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		Hash::from_slice(hash.as_ref())
	}

	/// The tier-statistics bucket of the current time.
	pub fn current_bucket() -> u32 {
		(T::Time::now() / T::StatsBucket::get()).try_into().unwrap_or(u32::MAX)
	}

	fn count(mode: VerificationMode, asset: &T::AssetKind, update: impl FnOnce(&mut TierCounters)) {
		TierStats::<T>::mutate((Self::current_bucket(), mode, asset), update);
	}

	/// [`verity_primitives::inference::InferenceApi::quote`].
	pub fn quote(model: ModelId, mode: VerificationMode) -> Option<Quote<T::AssetKind>> {
		Self::quote_on_terms(model, mode, T::Models::terms(&model, mode)?)
	}

	/// [`verity_primitives::inference::InferenceApi::quote_in`].
	pub fn quote_in(model: ModelId, mode: VerificationMode, asset: T::AssetKind) -> Option<Quote<T::AssetKind>> {
		Self::quote_on_terms(model, mode, T::Models::terms_in(&model, mode, &asset)?)
	}

	fn quote_on_terms(
		model: ModelId,
		mode: VerificationMode,
		terms: ModelTerms<T::AccountId, T::AssetKind>,
	) -> Option<Quote<T::AssetKind>> {
		let price = terms.price?;
		// Quotes are for inline inputs; a tier that could not verify the model's results is not
		// quoted (for example, a zk model without a verifying key).
		let inline = JobInput::Inline(Default::default());
		if !Self::tier_available(mode) || Self::can_verify(mode, &model, &inline).is_err() {
			return None;
		}
		let fees: Vec<Balance> =
			Self::eligible_in(&model, mode, &inline, &terms).into_iter().map(|(_, _, fee)| fee).collect();
		Some(Quote {
			asset: terms.asset,
			price,
			min_executor_fee: fees.iter().min().copied().unwrap_or_default(),
			max_executor_fee: fees.iter().max().copied().unwrap_or_default(),
			eligible_executors: fees.len() as u32,
		})
	}

	/// [`verity_primitives::inference::InferenceApi::job`].
	pub fn job_summary(
		job_id: JobId,
	) -> Option<JobSummary<T::AccountId, T::AssetKind, BlockNumberFor<T>>> {
		Jobs::<T>::get(job_id).map(|job| JobSummary {
			escrow: job.escrow(),
			payer: job.payer,
			executor: job.executor,
			model: job.model,
			mode: job.mode,
			status: job.status,
			asset: job.asset,
			price: job.price,
			executor_fee: job.executor_fee,
			input_hash: job.input_hash,
			input: job.input,
			output_hash: job.output_hash,
			deadline: job.deadline,
		})
	}

	/// [`verity_primitives::inference::InferenceApi::open_jobs`].
	pub fn open_jobs(executor: T::AccountId) -> Vec<JobId> {
		ExecutorJobs::<T>::iter_key_prefix(executor).collect()
	}

	/// [`verity_primitives::inference::InferenceApi::tier_stats`]: at most `StatsRetention`
	/// buckets.
	pub fn tier_stats(from: u32, to: u32) -> (u64, Vec<TierStatsEntry<T::AssetKind>>) {
		let from = from.max(to.saturating_sub(T::StatsRetention::get()));
		let mut entries = Vec::new();
		for bucket in from..=to {
			for ((mode, asset), counters) in TierStats::<T>::iter_prefix((bucket,)) {
				entries.push(TierStatsEntry { bucket, mode, asset, counters });
			}
		}
		(T::StatsBucket::get(), entries)
	}

	/// Invariants:
	/// - for each (payer, asset), the balance held for escrow equals the sum of the escrow of
	///   the payer's open jobs in that asset;
	/// - each open job is in its executor's index and in the deadline list of its expiry block,
	///   and every index entry is an open job of that executor;
	/// - no job id is at or above [`NextJobId`];
	/// - every closed job is in the prune queue.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::{BTreeMap, BTreeSet};
		use frame_support::traits::fungibles::InspectHold;
		let next = NextJobId::<T>::get();
		let mut escrow = BTreeMap::<(T::AccountId, T::AssetKind), Balance>::new();
		for (id, job) in Jobs::<T>::iter() {
			ensure!(id < next, "a job id at or above NextJobId");
			if job.status.is_open() {
				*escrow.entry((job.payer.clone(), job.asset.clone())).or_default() += job.escrow();
				ensure!(
					ExecutorJobs::<T>::contains_key(&job.executor, id),
					"an open job is missing from its executor's index"
				);
				ensure!(
					Deadlines::<T>::get(Self::expiry_block(job.deadline)).contains(&id),
					"an open job is missing from its deadline list"
				);
			}
		}
		for ((payer, asset), expected) in escrow {
			let held = T::Currency::balance_on_hold(asset, &HoldReason::JobEscrow.into(), &payer);
			ensure!(held == expected, "escrow held differs from the escrow of open jobs");
		}
		for id in Evidences::<T>::iter_keys() {
			ensure!(Outputs::<T>::contains_key(id), "evidence without the output it is for");
		}
		for (executor, id, ()) in ExecutorJobs::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("an executor index entry without a job")?;
			ensure!(job.executor == executor && job.status.is_open(), "a stale executor index entry");
		}
		let (head, tail) = PruneQueueBounds::<T>::get();
		let queued: BTreeSet<JobId> = (head..tail)
			.filter_map(|position| PruneQueue::<T>::get(position).map(|(id, _)| id))
			.collect();
		for (id, job) in Jobs::<T>::iter() {
			ensure!(
				job.status.is_open() || queued.contains(&id),
				"a closed job is not queued for pruning"
			);
		}
		Ok(())
	}
}
