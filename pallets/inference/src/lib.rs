//! # Inference pallet
//!
//! Jobs: anyone buys an inference from a staked executor, pays into escrow, and gets a result
//! whose evidence the runtime checked at the verification tier the caller chose.
//!
//! ## Life of a job
//! ```text
//! submit_job / submit_jobs ──► Pending ──next block draws──► Assigned ──start_job──► Running ──submit_result──► Completed
//!                               │   └──nobody to draw──► Failed   │   │                 │ │
//!                               └──────cancel────┬────────────────┘   └─report_failure──┴─┼──► Failed
//!                                                ▼                                        │
//!                                            Cancelled        (signed tier, challengeable model)
//!        (deadline passes while Assigned or Running) ──► Expired                          ▼
//!                                    Provisional ──challenge window closes, or a challenge fails──► Completed
//!                                         └──────a challenge shows the output wrong──────────────► Overturned
//! ```
//! Every transition is in [`Pallet`]'s `do_*` functions (`lifecycle.rs`; expiry in
//! `maintenance.rs`; challenges in `challenges.rs`) and emits an event.
//!
//! ## Challenges
//! A signed-tier result of a model the chain can check is `Provisional` for
//! [`Config::ChallengePeriod`] blocks: its output is public at once, its escrow stays held.
//! Anyone may `challenge` it meanwhile, holding [`Config::ChallengeBond`]. The chain decides by
//! the first path the model allows: it re-runs the model itself ([`Config::Reexecutor`]) and
//! compares, at once; or, for a model with a zk key, it asks the executor for a proof of its
//! output within [`Config::ProofWindow`] blocks (`answer_challenge`). A wrong output (or no proof
//! in time) is `Overturned`: the payer is refunded and the executor slashed (`slashing.rs`), part
//! of it to the challenger; a right one is final at once and the bond goes to the executor.
//! Unchallenged, the result is paid out at the start of the block its window closes in
//! (`ResultsToFinalize`, FIFO).
//!
//! `submit_paid` is `submit_job` paid with an x402 payment authorization (checked and used up by
//! [`Config::Payments`]), so that an agent with no native token can buy through a relayer. How
//! an authorization is bound to its job is in `payment.rs`.
//!
//! ## Money
//! At submission, `price + max_fee` is put on hold from the payer, in the job's asset (the
//! model's own, or for `submit_paid` another asset the model is priced in, with executors'
//! fees converted at the model's prices): that is the job's escrow. On a verified result the escrow pays, from the hold:
//! - the model owner: `royalty × price`;
//! - the treasury: `protocol_fee × (price + executor_fee)`;
//! - the executor: the rest of `price + executor_fee`;
//!
//! and the unspent `max_fee − executor_fee` is released back to the payer (for a provisional
//! result, when it becomes final). A failure or a
//! cancellation releases the whole escrow; an expiry releases it and also slashes the executor's
//! stake, at most [`Config::ExpiryPenalty`] times the job's charge: to the payer up to the
//! charge, the rest to the treasury (`docs/inference.md` has the slashing table). A payout that cannot be made (a recipient that could not exist with so
//! little) is refunded to the payer instead, so no result is ever blocked by dust. The escrow
//! rules are in `escrow.rs`.
//!
//! Invariant (checked by [`Pallet::do_try_state`], in `invariants.rs`): for every payer and
//! asset, the balance held for escrow equals the sum of the escrow of that payer's open jobs in
//! that asset.
//!
//! ## Assignment
//! On chain and deterministic, but not predictable when the job is submitted: a job is
//! `Pending` in the block that holds it, and at the start of the next block one executor is
//! drawn among those eligible for (model, tier) whose fee is at most `max_fee`, with probability
//! proportional to its stake, seeded by that block's parent hash (the sealed hash of the
//! submission's block, which its author's signature makes unknowable before it is sealed) and
//! the job id. Every validator computes the same executor. At most
//! [`Config::MaxAssignmentsPerBlock`] jobs wait for a draw (else `AssignmentQueueFull`). The
//! draw is in `assignment.rs`; which executors a tier accepts, and each tier's verifier, in
//! `tiers.rs`.
//!
//! ## Bounded work
//! - the executors considered for a job are at most `MaxExecutorsPerService`;
//! - jobs expiring in one block are at most [`Config::MaxDeadlinesPerBlock`] (a deadline on a
//!   full block is refused with [`Error::DeadlineBlockFull`]); a job that closes early frees its
//!   place;
//! - closed jobs are pruned after [`Config::RetentionPeriod`] in FIFO order, as many per block
//!   as [`Config::MaxPruneWeight`] pays for; `integrity_test` checks that this is at least the
//!   most jobs a block can close, so the queue never falls behind;
//! - tier statistics keep [`Config::StatsRetention`] buckets.
//!
//! ## Storage deposits
//! State whose size a user chooses pays for itself: whoever submits a job (the payer, or the
//! relayer of `submit_paid`) holds [`Config::DepositPerByte`] for each byte of the job's record,
//! input included, and the executor holds it for each byte of the output and evidence it
//! stores. Both are held in the stake asset and released when the job is pruned.
//!
//! Expiry and pruning are in `maintenance.rs`.
//!
//! ## Where things are
//! - `lib.rs`: the job type, the config, storage, events, errors, hooks and calls (each
//!   call checks its origin and hands over to a `do_*` function);
//! - `lifecycle.rs`: submission and every transition of a job;
//! - `escrow.rs`: holding, releasing and paying out the escrow;
//! - `deposits.rs`: the storage deposits of jobs and results;
//! - `challenges.rs`: provisional results, their challenges and their finalization;
//! - `slashing.rs`: what a missed deadline or a wrong result costs the executor's stake, and who
//!   receives it;
//! - `payment.rs`: the x402 binding of `submit_paid` (also run, dry, by the `check_paid_job`
//!   runtime API);
//! - `tiers.rs`: the verification tiers, each with its verifier;
//! - `assignment.rs`: the choice of a job's executor;
//! - `maintenance.rs`: expiry (and its excuses), pruning and tier statistics;
//! - `queries.rs`: what the runtime API reads;
//! - `invariants.rs`: the checks of [`Pallet::do_try_state`];
//! - `migrations.rs`: the storage migrations;
//! - `benchmarking.rs`, `weights.rs`: the weights.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

mod assignment;
#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod challenges;
mod deposits;
mod escrow;
#[cfg(any(feature = "try-runtime", feature = "std", test))]
mod invariants;
mod lifecycle;
mod maintenance;
pub mod migrations;
#[cfg(test)]
mod mock;
mod payment;
mod queries;
mod queue;
mod slashing;
#[cfg(test)]
mod tests;
mod tiers;
pub mod weights;

// Shared by the pallet module (`use super::*`) and the impl modules (`use crate::*`).
use alloc::vec::Vec;
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungibles::{self, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
		Time,
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
		ExecutorObligations, ExecutorProvider, ModelObligations, JobId, JobInput, MAX_PROOF_LEN, ReexecutionOutcome, Reexecutor, JobOutcome, MAX_INLINE_INPUT, JobSpec, JobStatus, JobSummary, ModelId,
		ModelProvider, ModelTerms, Offer, Offers, Quote, ResultStatement, TierCounters, TierStatsEntry, TierVerifier,
		VerificationContext, VerificationError, VerificationMode, Evidence, JobResult,
	},
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
	/// Who runs it: `None` while the job is pending (and for a job whose draw found nobody).
	pub executor: Option<T::AccountId>,
	/// The last block at which a result is accepted.
	pub deadline: BlockNumberFor<T>,
	/// Where the job is.
	pub status: JobStatus,
	/// BLAKE2-256 of the output, once completed.
	pub output_hash: Option<Hash>,
	/// Block of the last transition.
	pub updated_at: BlockNumberFor<T>,
	/// Who holds [`Job::deposit`]: the submitter of the job (the payer, or a relayer).
	pub depositor: T::AccountId,
	/// The storage deposit of this record, held from `depositor` in the stake asset until the
	/// job is pruned.
	pub deposit: Balance,
	/// The storage deposit of the output and evidence, held from the executor in the stake
	/// asset until the job is pruned (zero until a result is accepted).
	pub result_deposit: Balance,
}

/// A challenge waiting for the executor's proof.
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
pub struct OpenChallenge<T: Config> {
	/// Who challenged; rewarded if no proof comes.
	pub challenger: T::AccountId,
	/// Its bond, held in the stake asset.
	pub bond: Balance,
	/// The block at whose start the result is overturned if no proof came.
	pub deadline: BlockNumberFor<T>,
}

impl<T: Config> Job<T> {
	/// What the job holds in escrow: `price + max_fee` while open or provisional, nothing once
	/// closed.
	pub fn escrow(&self) -> Balance {
		if self.status.holds_escrow() {
			self.price.saturating_add(self.max_fee)
		} else {
			Zero::zero()
		}
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::pallet_prelude::*;

	/// The layout of this pallet's storage. Bump it whenever the layout changes, with a
	/// migration in the runtime's `Migrations` (the runtime's storage-layout test says when).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(5);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// A test configuration: `#[derive_impl(config_preludes::TestDefaultConfig)]` in a mock
	/// leaves the funds, registries, payments, clock and accounts to set.
	pub mod config_preludes {
		use super::*;
		use frame_support::{
			derive_impl, parameter_types,
			traits::{ConstU128, ConstU32, ConstU64},
		};
		use verity_primitives::inference::{SignedVerifier, Unavailable};

		parameter_types! {
			pub const TestProtocolFee: Perbill = Perbill::from_percent(5);
			pub const TestChallengerShare: Perbill = Perbill::from_percent(50);
			/// A second of pruning: more than the default test block can close.
			pub const TestMaxPruneWeight: Weight =
				Weight::from_parts(frame_support::weights::constants::WEIGHT_REF_TIME_PER_SECOND, u64::MAX);
		}

		/// The signed tier only, a 5% protocol fee, small limits, daily statistics.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type SignedVerifier = SignedVerifier;
			type TeeVerifier = Unavailable;
			type ZkVerifier = Unavailable;
			type ProtocolFee = TestProtocolFee;
			type MaxOutputLen = ConstU32<256>;
			type MaxReasonLen = ConstU32<32>;
			type MaxBatch = ConstU32<8>;
			type MinJobDuration = ConstU64<3>;
			type MaxJobDuration = ConstU64<100>;
			type ExpiryPenalty = ConstU32<10>;
			type MaxDeadlinesPerBlock = ConstU32<4>;
			type MaxAssignmentsPerBlock = ConstU32<16>;
			type RetentionPeriod = ConstU64<20>;
			type MaxPruneWeight = TestMaxPruneWeight;
			type DepositPerByte = ConstU128<1>;
			type ChallengePeriod = ConstU64<5>;
			type ChallengeBond = ConstU128<50>;
			type LiePenalty = ConstU32<10>;
			type MinLieSlash = ConstU128<200>;
			type ChallengerShare = TestChallengerShare;
			type ProofWindow = ConstU64<3>;
			type MaxChallengesPerBlock = ConstU32<2>;
			type StatsBucket = ConstU64<86_400_000>;
			type StatsRetention = ConstU32<3>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The kind of asset jobs are paid in: the native token or an asset id.
		#[pallet::no_default]
		type AssetKind: Parameter + MaxEncodedLen + Ord;

		/// Where escrow is held: every payment asset, with holds.
		#[pallet::no_default]
		type Currency: fungibles::MutateHold<
			Self::AccountId,
			AssetId = Self::AssetKind,
			Balance = Balance,
			Reason = Self::RuntimeHoldReason,
		>;

		/// The overarching hold reason.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// The model registry.
		#[pallet::no_default]
		type Models: ModelProvider<Self::AccountId, Self::AssetKind>;

		/// The executor registry.
		#[pallet::no_default]
		type Executors: ExecutorProvider<Self::AccountId>;

		/// Verifies signed-tier evidence.
		#[pallet::no_default_bounds]
		type SignedVerifier: TierVerifier<Self::AccountId>;

		/// Verifies tee-tier evidence.
		#[pallet::no_default_bounds]
		type TeeVerifier: TierVerifier<Self::AccountId>;

		/// Verifies zk-tier evidence.
		#[pallet::no_default_bounds]
		type ZkVerifier: TierVerifier<Self::AccountId>;

		/// Re-runs the models it can in the runtime: a signed result of such a model is
		/// provisional, and a challenge is settled by re-running it.
		#[pallet::no_default]
		type Reexecutor: Reexecutor;

		/// Checks and uses up payment authorizations signed off chain (x402), for `submit_paid`.
		#[pallet::no_default]
		type Payments: PaymentAuthorizer<Self::AccountId, Self::AssetKind>;

		/// The escrow binding: the recipient (`payTo`) of every job payment. Funds are never
		/// sent to it; they are held on the payer as the job's escrow.
		#[pallet::constant]
		#[pallet::no_default]
		type EscrowBinding: Get<Self::AccountId>;

		/// The clock of the tier statistics (milliseconds since the epoch).
		#[pallet::no_default]
		type Time: Time<Moment = u64>;

		/// Receives the protocol fee.
		#[pallet::constant]
		#[pallet::no_default]
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

		/// Nearest deadline, in blocks from submission: what an executor needs to see a job,
		/// start it, run it and get its result in, with a block of margin (`docs/inference.md`
		/// derives it from the benchmarks).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinJobDuration: Get<BlockNumberFor<Self>>;

		/// Furthest deadline, in blocks from submission.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MaxJobDuration: Get<BlockNumberFor<Self>>;

		/// The most one missed deadline slashes, as a multiple of the job's charge valued in the
		/// stake asset (the executor registry bounds it by a share of the stake as well).
		#[pallet::constant]
		type ExpiryPenalty: Get<u32>;

		/// The asset executors stake in (the native token): the one expiry slashes are paid in.
		#[pallet::constant]
		#[pallet::no_default]
		type StakeAsset: Get<Self::AssetKind>;

		/// Most jobs that may expire in one block.
		#[pallet::constant]
		type MaxDeadlinesPerBlock: Get<u32>;

		/// Most jobs one block may submit, whose executors the next block draws at its start.
		#[pallet::constant]
		type MaxAssignmentsPerBlock: Get<u32>;

		/// Blocks a closed job is kept before it is pruned.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type RetentionPeriod: Get<BlockNumberFor<Self>>;

		/// The most weight one block spends pruning closed jobs (and, separately, old tier
		/// statistics). It must pay for at least [`Pallet::max_closes_per_block`] prunes, so that
		/// pruning keeps up with the highest close rate (`integrity_test` checks it).
		#[pallet::constant]
		type MaxPruneWeight: Get<Weight>;

		/// Storage deposit per byte of user-sized state (a job's record with its input; its
		/// output and evidence), held in the stake asset until the job is pruned.
		#[pallet::constant]
		type DepositPerByte: Get<Balance>;

		/// Blocks a challengeable signed result stays provisional: its challenge window.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type ChallengePeriod: Get<BlockNumberFor<Self>>;

		/// What a challenger holds in the stake asset while its challenge is settled, and
		/// loses to the executor if the result was right.
		#[pallet::constant]
		type ChallengeBond: Get<Balance>;

		/// A wrong result slashes this many times the job's charge (valued in the stake asset),
		/// and at least [`Config::MinLieSlash`].
		#[pallet::constant]
		type LiePenalty: Get<u32>;

		/// The least a wrong result slashes (in the stake asset), however cheap the job: it
		/// must make challenging a cheap job worth the bond (`integrity_test`).
		#[pallet::constant]
		type MinLieSlash: Get<Balance>;

		/// The challenger's share of a lie's slash, after the payer's compensation; the rest goes
		/// to the treasury, so that a liar challenging itself still loses.
		#[pallet::constant]
		type ChallengerShare: Get<Perbill>;

		/// Blocks an executor has to prove its challenged result (models with a zk key that the
		/// runtime cannot re-run); no proof by then overturns it.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type ProofWindow: Get<BlockNumberFor<Self>>;

		/// Most proof requests whose deadline falls in one block (a challenge beyond is refused
		/// with `ChallengeBlockFull`): bounds what expiring them costs a block.
		#[pallet::constant]
		type MaxChallengesPerBlock: Get<u32>;

		/// Length of a tier-statistics bucket, in milliseconds (a day by default).
		#[pallet::constant]
		type StatsBucket: Get<u64>;

		/// Buckets of tier statistics kept.
		#[pallet::constant]
		type StatsRetention: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets up models and executors for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		#[pallet::no_default]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The escrow of open jobs.
		JobEscrow,
		/// The storage deposits of jobs not yet pruned.
		StorageDeposit,
		/// The bond of a challenge being settled.
		ChallengeBond,
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

	/// The jobs submitted in this block, with their (model, tier), whose executors the next
	/// block draws at its start.
	#[pallet::storage]
	pub type PendingJobs<T: Config> = StorageValue<
		_,
		BoundedVec<(JobId, ModelId, VerificationMode), T::MaxAssignmentsPerBlock>,
		ValueQuery,
	>;

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

	/// Provisional results waiting for their challenge window to close, in the order they were
	/// accepted: position → (job, the block at whose start it becomes final).
	#[pallet::storage]
	pub type ResultsToFinalize<T: Config> =
		StorageMap<_, Twox64Concat, u64, (JobId, BlockNumberFor<T>)>;

	/// Positions of the first and one-past-the-last entries of [`ResultsToFinalize`].
	#[pallet::storage]
	pub type ResultsToFinalizeBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// The provisional results of each executor, which its stake answers for: it cannot
	/// withdraw while it has any.
	#[pallet::storage]
	pub type ProvisionalResults<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, JobId, ()>;

	/// Challenges waiting for the executor's proof, by job.
	#[pallet::storage]
	pub type Challenges<T: Config> = StorageMap<_, Twox64Concat, JobId, OpenChallenge<T>>;

	/// The challenges whose proof is due by each block: at its start, those still open are
	/// overturned.
	#[pallet::storage]
	pub type ChallengeDeadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, T::MaxChallengesPerBlock>,
		ValueQuery,
	>;

	/// How many provisional results each model has: a model with any is not retired.
	#[pallet::storage]
	pub type ProvisionalPerModel<T: Config> = StorageMap<_, Blake2_128Concat, ModelId, u32, ValueQuery>;

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

	#[pallet::event]
	#[pallet::generate_deposit(pub(crate) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was submitted and its escrow held; its executor is drawn at the start of the
		/// next block.
		JobSubmitted {
			job: JobId,
			payer: T::AccountId,
			model: ModelId,
			mode: VerificationMode,
			escrow: Balance,
			deadline: BlockNumberFor<T>,
		},
		/// The executor acknowledged the job.
		JobStarted { job: JobId, executor: T::AccountId },
		/// A verified result was accepted and the escrow paid out. `undelivered`: shares the
		/// executor or the owner could not take (below the asset's minimum balance), paid to
		/// the treasury instead (burned if it cannot take them either), never refunded.
		JobCompleted {
			job: JobId,
			executor: T::AccountId,
			output_hash: Hash,
			executor_paid: Balance,
			royalty: Balance,
			protocol_fee: Balance,
			undelivered: Balance,
			refund: Balance,
		},
		/// The executor could not run the job; the escrow went back to the payer.
		JobFailed { job: JobId, reason: BoundedVec<u8, T::MaxReasonLen>, refund: Balance },
		/// The deadline passed: the escrow went back to the payer, and the executor's stake was
		/// slashed: `compensation` to the payer, `forfeit` to the treasury (in the stake asset).
		JobExpired {
			job: JobId,
			executor: T::AccountId,
			refund: Balance,
			compensation: Balance,
			forfeit: Balance,
		},
		/// The payer cancelled the job; the escrow went back to the payer.
		JobCancelled { job: JobId, refund: Balance },
		/// A closed job was removed from storage.
		JobPruned { job: JobId },
		/// The executor of a pending job was drawn; it asks `executor_fee` (in the job's asset).
		JobAssigned { job: JobId, executor: T::AccountId, executor_fee: Balance },
		/// No executor could be drawn for a pending job (all that serve it left, filled up or
		/// raised their fee above `max_fee` since it was submitted): the escrow went back to
		/// the payer.
		AssignmentFailed { job: JobId, refund: Balance },
		/// A signed result was accepted, provisional: anyone may challenge it until block
		/// `final_at`, at whose start it is paid out (`JobCompleted`) if nobody overturned it.
		ResultProvisional { job: JobId, executor: T::AccountId, output_hash: Hash, final_at: BlockNumberFor<T> },
		/// A challenge showed a provisional result wrong: the escrow went back to the payer
		/// (`refund`), and the executor's stake was slashed (in the stake asset):
		/// `compensation` to the payer, `reward` to the challenger (whose bond was released),
		/// `forfeit` to the treasury.
		ResultOverturned {
			job: JobId,
			executor: T::AccountId,
			challenger: T::AccountId,
			refund: Balance,
			compensation: Balance,
			reward: Balance,
			forfeit: Balance,
		},
		/// A challenge found the provisional result right: the challenger's bond went to the
		/// executor, and the result is final at once (`JobCompleted` follows).
		ChallengeFailed { job: JobId, challenger: T::AccountId, bond: Balance },
		/// A challenge asks the executor to prove its output (a zk proof of `output =
		/// model(input)`) by block `deadline`; at that block's start, no proof overturns it.
		ProofRequested { job: JobId, executor: T::AccountId, challenger: T::AccountId, deadline: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such model.
		UnknownModel,
		/// The model does not offer this tier.
		TierNotOffered,
		/// No eligible executor asks a fee at most `max_fee`.
		FeeTooLow,
		/// No executor is eligible for this model and tier (or those that are have no slot left
		/// for the jobs this block already submitted for it).
		NoEligibleExecutor,
		/// The inline input is larger than the model accepts.
		InputTooLarge,
		/// The output is larger than the model produces.
		OutputTooLarge,
		/// The deadline is less than `MinJobDuration` blocks after the current block.
		DeadlineTooSoon,
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
		/// The evidence, or the job's input for its tier, is refused; the nested error says why.
		Verification(VerificationError),
		/// The payment authorization is refused; the nested error is its x402 reason.
		Payment(PaymentError),
		/// The job was not started in an earlier block: a result is accepted only once its job
		/// can no longer be cancelled.
		NotStarted,
		/// The model's price is above the spec's `max_price`: it changed since the quote.
		PriceAboveMax,
		/// The submitter (or, for a result, the executor) cannot hold the storage deposit in
		/// the stake asset.
		CannotPayDeposit,
		/// This block already holds as many jobs as the next block draws executors for; submit
		/// in a later block.
		AssignmentQueueFull,
		/// The job has no provisional result: none yet, or it is final or overturned.
		NotProvisional,
		/// The chain cannot re-run this job's model (or its input is sealed): its results are
		/// final at once and cannot be challenged.
		NotChallengeable,
		/// The job's input is passed by reference: the challenge must reveal it.
		InputNotRevealed,
		/// The revealed input does not hash to the job's input hash.
		WrongInput,
		/// The challenger cannot hold the challenge bond in the stake asset.
		CannotPayBond,
		/// The result is already challenged, waiting for the executor's proof.
		ChallengeUnderway,
		/// The job has no challenge waiting for a proof.
		NoChallenge,
		/// Too many proofs are already due at this challenge's deadline; challenge in the next
		/// block.
		ChallengeBlockFull,
	}

	impl<T: Config> From<VerificationError> for Error<T> {
		fn from(error: VerificationError) -> Self {
			Error::Verification(error)
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let drawn = Self::assign_pending();
			let unproven = Self::expire_challenges(now);
			let finalized = Self::finalize_results(now);
			let expired = Self::expire_jobs(now);
			let pruned = Self::prune_jobs(now);
			let stats = Self::prune_stats(Self::current_bucket());
			drawn
				.saturating_add(Self::expire_challenges_weight(unproven))
				.saturating_add(T::WeightInfo::finalize_results(finalized))
				.saturating_add(T::WeightInfo::expire_jobs(expired))
				.saturating_add(Self::excuse_weight().saturating_add(Self::prune_weight()).saturating_mul(expired.into()))
				.saturating_add(T::WeightInfo::prune_jobs(pruned))
				.saturating_add(T::WeightInfo::prune_stats(stats))
		}

		fn integrity_test() {
			assert!(T::MaxBatch::get() > 0, "MaxBatch must allow one job");
			assert!(
				T::MinJobDuration::get() >= 2u32.into() && T::MinJobDuration::get() <= T::MaxJobDuration::get(),
				"a job needs a block to start and a later one for its result"
			);
			assert!(T::StatsBucket::get() > 0, "StatsBucket must be positive");
			assert!(T::StatsRetention::get() > 0, "StatsRetention must keep a bucket");
			assert!(
				Self::prunes_per_block() >= Self::max_closes_per_block(),
				"MaxPruneWeight must prune at least as many jobs as a block can close"
			);
			assert!(
				Self::most_draw_weight().all_lte(
					<T as frame_system::Config>::BlockWeights::get().max_block / 3
				),
				"MaxAssignmentsPerBlock draws must fit in a third of a block"
			);
			assert!(
				T::ProtocolFee::get() <= Perbill::from_percent(50),
				"a protocol fee above 50% leaves too little for the executor"
			);
			assert!(
				T::ChallengePeriod::get() < T::RetentionPeriod::get(),
				"a provisional result must be final before its job is pruned"
			);
			assert!(
				T::ChallengerShare::get() * T::MinLieSlash::get() >= T::ChallengeBond::get(),
				"a successful challenge must earn at least its bond"
			);
			assert!(
				Self::finalization_weight().all_lte(<T as frame_system::Config>::BlockWeights::get().max_block / 2),
				"finalizing a block's worth of provisional results must fit in half a block"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Buys one inference: holds `price + max_fee` and the storage deposit; the next block
		/// draws its executor (charged here).
		#[pallet::call_index(0)]
		#[pallet::weight(
			T::WeightInfo::submit_job(spec.input.inline_len() as u32).saturating_add(Pallet::<T>::submission_weight(spec.mode))
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
					.saturating_add(Pallet::<T>::submission_weight(spec.mode))
			})
		)]
		pub fn submit_jobs(
			origin: OriginFor<T>,
			specs: BoundedVec<JobSpecOf<T>, T::MaxBatch>,
		) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_submit_jobs(payer, specs)
		}

		/// The assigned executor acknowledges the job; it can no longer be cancelled.
		#[pallet::call_index(2)]
		pub fn start_job(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let executor = ensure_signed(origin)?;
			Self::do_start_job(executor, job)
		}

		/// The assigned executor submits the output with the evidence the job's tier asks for,
		/// for a job it started in an earlier block. The evidence is verified; then the escrow
		/// pays out, or, for a provisional result, waits for its challenge window to close. Like
		/// every call that closes a job, it is charged the job's later prune, and its later
		/// finalization whatever its tier (so that a block finalizes no more than it accepts).
		#[pallet::call_index(3)]
		#[pallet::weight(
			T::WeightInfo::submit_result(output.len() as u32)
				.saturating_add(Pallet::<T>::verify_weight(evidence.mode()))
				.saturating_add(Pallet::<T>::finalize_weight())
				.saturating_add(Pallet::<T>::prune_weight())
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
		#[pallet::weight(T::WeightInfo::report_failure().saturating_add(Pallet::<T>::prune_weight()))]
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
		#[pallet::weight(T::WeightInfo::cancel().saturating_add(Pallet::<T>::prune_weight()))]
		pub fn cancel(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let payer = ensure_signed(origin)?;
			Self::do_cancel(payer, job)
		}

		/// Pays for one inference with an x402 payment authorization and submits it, in one
		/// step: the authorization's payer becomes the job's payer (refunds go to it), and the
		/// submitter, a relayer or facilitator, pays the transaction fee and holds the job's
		/// storage deposit until the job is pruned.
		///
		/// The authorization must be `exact`, to [`Config::EscrowBinding`], in an asset the
		/// model is priced in at the tier, for `price + max_fee` in that asset, with nonce
		/// `job_nonce(spec, salt)`.
		#[pallet::call_index(6)]
		#[pallet::weight(
			T::WeightInfo::submit_paid(spec.input.inline_len() as u32).saturating_add(Pallet::<T>::submission_weight(spec.mode))
		)]
		pub fn submit_paid(
			origin: OriginFor<T>,
			spec: JobSpecOf<T>,
			salt: [u8; 32],
			authorization: PaymentAuthorizationOf<T>,
			signature: PaymentSignatureOf<T>,
		) -> DispatchResult {
			let relayer = ensure_signed(origin)?;
			Self::do_submit_paid(Some(relayer), spec, salt, authorization, signature).map(|_| ())
		}

		/// Challenges the provisional result of `job`, holding [`Config::ChallengeBond`]: the
		/// runtime re-runs the model on the job's input (`input`: the input bytes, for a job
		/// whose input is passed by reference) and compares. A wrong output is overturned (the
		/// payer refunded, the executor slashed, the challenger rewarded); a right one is final at
		/// once and the bond goes to the executor. Charged the model's re-execution.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::challenge().saturating_add(T::Reexecutor::max_reexecute_weight()))]
		pub fn challenge(
			origin: OriginFor<T>,
			job: JobId,
			input: Option<BoundedVec<u8, ConstU32<MAX_INLINE_INPUT>>>,
		) -> DispatchResultWithPostInfo {
			let challenger = ensure_signed(origin)?;
			Self::do_challenge(challenger, job, input)
		}

		/// The executor of a challenged result proves it: `proof` is a zk proof that its stored
		/// output is the model's on the job's input, verified as the zk tier verifies. The
		/// challenge fails: the bond goes to the executor and the result is final at once.
		#[pallet::call_index(8)]
		#[pallet::weight(
			T::WeightInfo::challenge()
				.saturating_add(Pallet::<T>::finalize_weight())
				.saturating_add(Pallet::<T>::verify_weight(VerificationMode::Zk))
		)]
		pub fn answer_challenge(
			origin: OriginFor<T>,
			job: JobId,
			proof: BoundedVec<u8, ConstU32<MAX_PROOF_LEN>>,
		) -> DispatchResult {
			let executor = ensure_signed(origin)?;
			Self::do_answer_challenge(executor, job, proof)
		}
	}
}
