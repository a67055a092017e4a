//! The `Config` of every pallet in the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{AsEnsureOriginWithArg, ConstBool, ConstU128, ConstU32, ConstU64, ConstU8,
		VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_MILLIS, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use frame_system::{limits::{BlockLength, BlockWeights}, EnsureRoot, EnsureSigned};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{AccountIdConversion, One},
	Perbill,
};
use sp_version::RuntimeVersion;

use crate::{
	currency::{EXISTENTIAL_DEPOSIT, MICRO_UNIT, MILLI_UNIT, UNIT},
	AccountId, AssetId, AssetKind, AssetsHolder, Aura, Balance, Balances, Block, Executors, Hash,
	BlockNumber, Inference, Models, Moment, Reexecution, Nonce, OriginCaller, Timestamp, DAYS, HOURS, MINUTES,
	PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
	RuntimeOrigin, RuntimeTask, System, SLOT_DURATION, VERSION, X402, ZkVerifier, Attestation,
};
use alloc::vec::Vec;

/// Share of a block's weight and length that normal (non-operational) extrinsics may use.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: u32 = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per six-second block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks, of which normal extrinsics may fill 75%.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	/// The generic Substrate SS58 prefix: addresses start with `5`.
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores state in ParityDB, so its measured weights apply.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	// No session pallet and no staking: equivocations are not reported on chain (yet).
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	type Moment = Moment;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees are withdrawn in the native token and burned (no treasury cut yet).
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	/// One planck per picosecond of weight and per byte.
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const AssetDeposit: Balance = 10 * UNIT;
	pub const AssetAccountDeposit: Balance = 10 * MILLI_UNIT;
	pub const MetadataDepositBase: Balance = UNIT;
	pub const MetadataDepositPerByte: Balance = 10 * MILLI_UNIT;
	pub const ApprovalDeposit: Balance = 10 * MILLI_UNIT;
}

impl pallet_assets::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type RemoveItemsLimit = ConstU32<1000>;
	type AssetId = AssetId;
	type AssetIdParameter = codec::Compact<AssetId>;
	type ReserveData = ();
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type AssetDeposit = AssetDeposit;
	type AssetAccountDeposit = AssetAccountDeposit;
	type MetadataDepositBase = MetadataDepositBase;
	type MetadataDepositPerByte = MetadataDepositPerByte;
	type ApprovalDeposit = ApprovalDeposit;
	type StringLimit = ConstU32<50>;
	type Freezer = ();
	type Holder = AssetsHolder;
	type Extra = ();
	type CallbackHandle = ();
	type AssetIdAllocator = ();
	type WeightInfo = pallet_assets::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

impl pallet_assets_holder::Config for Runtime {
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeEvent = RuntimeEvent;
}

/// Seeds the assignment of executors. Collective flip mixes the last 81 block hashes: a block
/// author can bias it by withholding a block, which is tolerable here because assignment is
/// stake-weighted among executors that all staked for the same service (see docs/inference.md).

/// Native balances and `pallet-assets` assets, with holds, behind one `fungibles` interface.
pub type PaymentFunds = frame_support::traits::fungible::UnionOf<
	Balances,
	AssetsHolder,
	frame_support::traits::fungible::NativeFromLeft,
	AssetKind,
	AccountId,
>;

/// Native balances and `pallet-assets` assets behind one `fungibles` interface, for transfers.
pub type TransferFunds = frame_support::traits::fungible::UnionOf<
	Balances,
	crate::Assets,
	frame_support::traits::fungible::NativeFromLeft,
	AssetKind,
	AccountId,
>;

parameter_types! {
	pub const ModelDeposit: Balance = 10 * UNIT;
	pub const MaxRoyalty: Perbill = Perbill::from_percent(50);
}

impl pallet_verity_models::Config for Runtime {
	type AssetKind = AssetKind;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ModelDeposit = ModelDeposit;
	type MaxNameLen = ConstU32<64>;
	/// Assets a model may be priced in besides its own: the stable asset, with room for more.
	type MaxOtherAssets = ConstU32<4>;
	type MaxInputLen = ConstU32<{ 16 * 1024 }>;
	type MaxOutputLen = ConstU32<{ 8 * 1024 }>;
	type MaxRoyalty = MaxRoyalty;
	/// Every pallet that keeps per-model state.
	type OnRetire = (ZkVerifier, Attestation, Reexecution);
	/// A model with provisional results is not retired: what checks them stays.
	type Obligations = Inference;
	type WeightInfo = pallet_verity_models::weights::SubstrateWeight<Runtime>;
}

/// zk tier: Groth16 verifying keys per model, verified over the BLS12-381 host calls. 16 public
/// inputs cover 248 bytes of input and output together (the digits model uses 5).
impl pallet_verity_zk_verifier::Config for Runtime {
	type Models = Models;
	type MaxPublicInputs = ConstU32<16>;
	type WeightInfo = pallet_verity_zk_verifier::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::VerityBenchmarkHelper;
}

/// tee tier: the DCAP trust root, measurement allowlist and TCB policy (root/sudo), and the
/// executors' attested enclave keys. Quotes are verified natively by the `verity_tee::dcap`
/// host function, which the node registers.
impl pallet_verity_attestation::Config for Runtime {
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type Executors = Executors;
	type Models = Models;
	type Time = Timestamp;
	type MaxQuoteLen = ConstU32<{ verity_primitives::inference::MAX_QUOTE_LEN }>;
	/// Intel's collateral for a TDX platform is about 15 KiB (SCALE); twice that for growth. Each
	/// enclave's collateral is kept for its per-job quotes, so this bounds their proof size.
	type MaxCollateralLen = ConstU32<{ 32 * 1024 }>;
	type MaxRootLen = ConstU32<2048>;
	type MaxAdvisories = ConstU32<32>;
	type MaxModelMeasurements = ConstU32<8>;
	type WeightInfo = pallet_verity_attestation::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::VerityBenchmarkHelper;
}

parameter_types! {
	pub const MinExecutorStake: Balance = 1_000 * UNIT;
	pub const ExpirySlash: Perbill = Perbill::from_percent(10);
}

parameter_types! {
	/// A stored model file holds 0.0001 VRT per byte (the 2.5 KiB digits model about 0.26 VRT)
	/// until the model is retired.
	pub const ModelFileDepositPerByte: Balance = 100 * MICRO_UNIT;
}

impl pallet_verity_reexecution::Config for Runtime {
	type Models = Models;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// 64 KiB of file: a re-run of the largest takes a few milliseconds (docs/benchmarks.md),
	/// `integrity_test` checks it fits in a quarter of a block.
	type MaxModelLen = ConstU32<{ 64 * 1024 }>;
	type DepositPerByte = ModelFileDepositPerByte;
	type WeightInfo = pallet_verity_reexecution::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::VerityBenchmarkHelper;
}

impl pallet_verity_executors::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type AssetKind = AssetKind;
	type MinStake = MinExecutorStake;
	type ExpirySlash = ExpirySlash;
	type UnbondingPeriod = ConstU32<HOURS>;
	type HeartbeatTimeout = ConstU32<HOURS>;
	type MaxEndpointLen = ConstU32<256>;
	type MaxServices = ConstU32<16>;
	type MaxExecutorsPerService = ConstU32<64>;
	type MaxCapacity = ConstU32<64>;
	/// Every pallet that keeps per-executor state.
	type OnRemove = Attestation;
	/// A stake is withdrawn only once every challenge window of its results has closed.
	type Obligations = Inference;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type WeightInfo = pallet_verity_executors::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::VerityBenchmarkHelper;
}

parameter_types! {
	/// The `payTo` of every job payment (docs/x402.md): an address no one holds a key for. Job
	/// payments are held on the payer as escrow; the x402 pallet refuses transfers to it.
	pub JobEscrowBinding: AccountId =
		frame_support::PalletId(*b"vrty/esc").into_account_truncating();
	/// The assets x402 payments are settled in: the native token and the stable asset.
	pub X402Assets: Vec<AssetKind> = alloc::vec![
		AssetKind::Native,
		AssetKind::WithId(verity_primitives::stable_asset::ID),
	];
}

/// x402 settlement. Authorizations may be open for at most a day, so used nonces are kept at most
/// a day before they are pruned.
impl pallet_verity_x402::Config for Runtime {
	type AssetKind = AssetKind;
	type Currency = TransferFunds;
	type Signature = crate::Signature;
	type Time = Timestamp;
	type JobEscrow = JobEscrowBinding;
	type SupportedAssets = X402Assets;
	type MaxValidity = ConstU64<{ 24 * 60 * 60 }>;
	// Two 6-second slots: a verified payment settles in the next block even if one slot is
	// missed.
	type SettlementMargin = ConstU64<12>;
	/// Above the most settlements a block holds (about 2,700 at the measured `settle` weight;
	/// `runtime/tests/x402.rs` checks it), so that pruning keeps up: at most about 0.41 s of a block.
	type MaxPrunesPerBlock = ConstU32<3072>;
	type WeightInfo = pallet_verity_x402::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::VerityBenchmarkHelper;
}

parameter_types! {
	pub const ProtocolFee: Perbill = Perbill::from_percent(2);
	/// The treasury: receives protocol fees. Endowed at genesis so that it exists.
	pub TreasuryAccount: AccountId =
		frame_support::PalletId(*b"vrty/trs").into_account_truncating();
	/// Executors stake the native token.
	pub const NativeAsset: AssetKind = AssetKind::Native;
	/// Up to 0.8 s of a block's 2 s prunes closed jobs: about 1,730 at the measured weight,
	/// above the most a block can close (about 1,310, each close charged its later prune, failed
	/// draws included; `integrity_test` checks it). Only jobs whose retention is over are
	/// pruned, so a block spends this only 7 days after as many jobs closed.
	pub const MaxPruneWeight: Weight = Weight::from_parts(800 * WEIGHT_REF_TIME_PER_MILLIS, u64::MAX);
	/// A job's record (about 250 bytes with an empty input) holds 0.00025 VRT for its 7 days;
	/// a 16 KiB input about 0.016 VRT (docs/inference.md, "Storage deposits").
	pub const JobDepositPerByte: Balance = MICRO_UNIT;
	/// docs/inference.md, "Challenges": a challenger risks 1 VRT; a wrong result costs its
	/// executor at least 10 VRT (1% of the least stake), half of it (after the payer's
	/// compensation) to the challenger.
	pub const ChallengeBond: Balance = UNIT;
	pub const MinLieSlash: Balance = 10 * UNIT;
	pub const ChallengerShare: Perbill = Perbill::from_percent(50);
}

/// Blocks an executor has to prove a challenged result: two minutes of 6-second blocks (a digits
/// proof takes about 0.05 s, docs/benchmarks.md).
pub const PROOF_WINDOW: BlockNumber = 2 * MINUTES;

impl pallet_verity_inference::Config for Runtime {
	type AssetKind = AssetKind;
	type Currency = PaymentFunds;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Executors = Executors;
	type SignedVerifier = verity_primitives::inference::SignedVerifier;
	type TeeVerifier = Attestation;
	type ZkVerifier = ZkVerifier;
	/// The integer MLPs whose files are stored on chain: their signed results are provisional.
	type Reexecutor = Reexecution;
	type Payments = X402;
	type EscrowBinding = JobEscrowBinding;
	type Time = Timestamp;
	type Treasury = TreasuryAccount;
	type ProtocolFee = ProtocolFee;
	type MaxOutputLen = ConstU32<{ 8 * 1024 }>;
	type MaxReasonLen = ConstU32<256>;
	type MaxBatch = ConstU32<16>;
	/// See, for the derivation from the benchmarks, "The minimum job duration" in
	/// docs/inference.md: a block to draw the executor, one to start, one for the result, one
	/// of margin.
	type MinJobDuration = ConstU32<4>;
	type MaxJobDuration = ConstU32<DAYS>;
	/// A missed deadline costs at most ten times the job's charge (docs/inference.md, the
	/// slashing table).
	type ExpiryPenalty = ConstU32<10>;
	type StakeAsset = NativeAsset;
	type MaxDeadlinesPerBlock = ConstU32<128>;
	/// Jobs a block may submit (as many as may share a deadline; more wait a block with
	/// `AssignmentQueueFull`): the next block's draws then take at most about 0.5 s, all of
	/// them tee jobs none of which finds an executor (`integrity_test` checks it stays within a
	/// third of a block).
	type MaxAssignmentsPerBlock = ConstU32<128>;
	type RetentionPeriod = ConstU32<{ 7 * DAYS }>;
	type MaxPruneWeight = MaxPruneWeight;
	type DepositPerByte = JobDepositPerByte;
	/// Ten minutes of 6-second blocks.
	type ChallengePeriod = ConstU32<{ 10 * MINUTES }>;
	type ChallengeBond = ChallengeBond;
	/// A wrong result costs ten times its charge, at least `MinLieSlash`.
	type LiePenalty = ConstU32<10>;
	type MinLieSlash = MinLieSlash;
	type ChallengerShare = ChallengerShare;
	type ProofWindow = ConstU32<PROOF_WINDOW>;
	type MaxChallengesPerBlock = ConstU32<64>;
	type StatsBucket = ConstU64<86_400_000>;
	type StatsRetention = ConstU32<90>;
	type WeightInfo = pallet_verity_inference::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::VerityBenchmarkHelper;
}
