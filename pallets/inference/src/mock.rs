//! The inference pallet's test runtime: the real models and executors pallets, native balances
//! and `pallet-assets` with holds, joined behind one `fungibles` interface as in the runtime.

use frame_support::{
	derive_impl, parameter_types,
	traits::{
		fungible::{NativeFromLeft, NativeOrWithId, UnionOf},
		AsEnsureOriginWithArg, ConstU128, ConstU32, ConstU64,
	},
};
use frame_system::{EnsureRoot, EnsureSigned};
use sp_core::{sr25519, Pair, H256};
use codec::Encode;
use sp_runtime::{traits::IdentityLookup, BuildStorage, Perbill};
use verity_primitives::{
	inference::{SigningKey, VerificationMode},
	testing::CheckedExternalities,
};

use crate as pallet_inference;

pub type AccountId = u64;
pub type AssetKind = NativeOrWithId<u32>;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Assets: pallet_assets,
		AssetsHolder: pallet_assets_holder,
		Models: pallet_verity_models,
		Executors: pallet_verity_executors,
		Inference: pallet_inference,
	}
);

parameter_types! {
	/// Small blocks (0.1 s), so that the test at the highest close rate closes few jobs a block.
	pub MockBlockWeights: frame_system::limits::BlockWeights =
		frame_system::limits::BlockWeights::with_sensible_defaults(
			frame_support::weights::Weight::from_parts(
				100 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_MILLIS,
				u64::MAX,
			),
			Perbill::from_percent(75),
		);
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type BlockWeights = MockBlockWeights;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Balance = u128;
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type Freezer = ();
	type Holder = AssetsHolder;
}

impl pallet_assets_holder::Config for Test {
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeEvent = RuntimeEvent;
}

/// Native balances and assets, with holds, as one `fungibles` implementation.
pub type Funds = UnionOf<Balances, AssetsHolder, NativeFromLeft, AssetKind, AccountId>;

#[derive_impl(pallet_verity_models::config_preludes::TestDefaultConfig)]
impl pallet_verity_models::Config for Test {
	type AssetKind = AssetKind;
	type Currency = Balances;
	type Obligations = Inference;
	type ModelDeposit = ConstU128<10>;
	type MaxInputLen = ConstU32<{ 16 * 1024 }>;
	type MaxOutputLen = ConstU32<256>;
}

parameter_types! {
	pub const TreasuryAccount: AccountId = TREASURY;
	pub static Now: u64 = 0;
	pub static ZkAvailable: bool = false;
	pub static ZkExcused: bool = false;
	/// The prelude's budget (a second) unless a test lowers it.
	pub static MockPruneWeight: frame_support::weights::Weight =
		<pallet_inference::config_preludes::TestMaxPruneWeight as frame_support::traits::Get<_>>::get();
	/// The prelude's storage deposit (1 per byte) unless a test raises it.
	pub static MockDepositPerByte: u128 = 1;
}

#[derive_impl(pallet_verity_executors::config_preludes::TestDefaultConfig)]
impl pallet_verity_executors::Config for Test {
	type Currency = Balances;
	type Models = Models;
	type AssetKind = AssetKind;
	type HeartbeatTimeout = ConstU64<1_000>;
	type MaxExecutorsPerService = ConstU32<4>;
	type Obligations = Inference;
	type MaxServices = ConstU32<8>;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

/// A clock the tests set.
pub struct TestTime;
impl frame_support::traits::Time for TestTime {
	type Moment = u64;
	fn now() -> u64 {
		Now::get()
	}
}

/// The zk tier as a switchable stand-in: available when a test says so, and then it accepts
/// exactly the proof `b"valid"` (and excuses expiries when a test says so). The real Groth16 verifier plugs in the same way.
pub struct TestZkVerifier;
impl verity_primitives::inference::TierVerifier<AccountId> for TestZkVerifier {
	fn is_available() -> bool {
		ZkAvailable::get()
	}
	fn excuses_expiry(_: &AccountId, _: &H256) -> bool {
		ZkExcused::get()
	}
	/// Only the models with a "key": the native one and the provable one.
	fn can_verify(model: &H256, _: &verity_primitives::inference::JobInput) -> Result<(), verity_primitives::inference::VerificationError> {
		if *model == NATIVE_MODEL || *model == PROVABLE_MODEL {
			Ok(())
		} else {
			Err(verity_primitives::inference::VerificationError::NoVerifyingKey)
		}
	}
	fn verify(
		_: &verity_primitives::inference::VerificationContext<AccountId>,
		evidence: &verity_primitives::inference::Evidence,
	) -> Result<(), verity_primitives::inference::VerificationError> {
		match evidence {
			verity_primitives::inference::Evidence::Zk { proof } if proof.as_slice() == b"valid" =>
				Ok(()),
			_ => Err(verity_primitives::inference::VerificationError::BadProof),
		}
	}
}

/// Re-runs [`REEXECUTABLE_MODEL`] (and the benchmarks' [`BENCH_REEXECUTABLE_MODEL`]), whose
/// output is its input with every byte incremented; it refuses an empty input.
pub struct TestReexecutor;
impl verity_primitives::inference::Reexecutor for TestReexecutor {
	fn can_reexecute(model: &H256) -> bool {
		*model == REEXECUTABLE_MODEL || *model == BENCH_REEXECUTABLE_MODEL
	}
	fn reexecute(model: &H256, input: &[u8]) -> Option<verity_primitives::inference::ReexecutionOutcome> {
		use verity_primitives::inference::ReexecutionOutcome;
		Self::can_reexecute(model).then(|| {
			if input.is_empty() {
				ReexecutionOutcome::Refused
			} else {
				ReexecutionOutcome::Output(reexecutable_output(input))
			}
		})
	}
	fn reexecute_weight(model: &H256) -> frame_support::weights::Weight {
		if Self::can_reexecute(model) { Self::max_reexecute_weight() } else { Default::default() }
	}
	fn max_reexecute_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000_000, 0)
	}
}

/// The right output of [`REEXECUTABLE_MODEL`] on `input`.
pub fn reexecutable_output(input: &[u8]) -> Vec<u8> {
	input.iter().map(|byte| byte.wrapping_add(1)).collect()
}

parameter_types! {
	pub const EscrowBinding: AccountId = ESCROW;
	pub const StakeAsset: AssetKind = NativeOrWithId::Native;
}

/// Stands in for the x402 pallet (tested on its own and, wired to this pallet, in the runtime's
/// tests): the "signature" is whether the authorization is valid, and used nonces are kept in
/// storage so that a failed extrinsic rolls their use back.
pub struct TestPayments;

impl TestPayments {
	fn key(authorization: &crate::PaymentAuthorizationOf<Test>) -> Vec<u8> {
		(b"test-payments", &authorization.from, authorization.nonce).encode()
	}

	pub fn used(authorization: &crate::PaymentAuthorizationOf<Test>) -> bool {
		frame_support::storage::unhashed::exists(&Self::key(authorization))
	}
}

impl verity_primitives::x402::PaymentAuthorizer<AccountId, AssetKind> for TestPayments {
	type Signature = bool;

	fn consume(
		authorization: &crate::PaymentAuthorizationOf<Test>,
		valid: &bool,
	) -> Result<(), verity_primitives::x402::PaymentError> {
		use verity_primitives::x402::PaymentError;
		if !valid {
			return Err(PaymentError::InvalidSignature);
		}
		if Self::used(authorization) {
			return Err(PaymentError::NonceUsed);
		}
		frame_support::storage::unhashed::put(&Self::key(authorization), &());
		Ok(())
	}
}

#[derive_impl(pallet_inference::config_preludes::TestDefaultConfig)]
impl pallet_inference::Config for Test {
	type AssetKind = AssetKind;
	type Currency = Funds;
	type Models = Models;
	type Executors = Executors;
	type ZkVerifier = TestZkVerifier;
	type Reexecutor = TestReexecutor;
	type Payments = TestPayments;
	type EscrowBinding = EscrowBinding;
	type Time = TestTime;
	type Treasury = TreasuryAccount;
	type StakeAsset = StakeAsset;
	type MaxPruneWeight = MockPruneWeight;
	type DepositPerByte = MockDepositPerByte;
	/// As many draws as fit in a third of the mock's small blocks.
	type MaxAssignmentsPerBlock = frame_support::traits::ConstU32<12>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

pub const PAYER: AccountId = 1;
pub const PAYER_2: AccountId = 2;
pub const OWNER: AccountId = 10;
pub const EXEC_A: AccountId = 20;
pub const EXEC_B: AccountId = 21;
pub const TREASURY: AccountId = 99;
/// The escrow binding of job payments.
pub const ESCROW: AccountId = 98;
/// Relays paid jobs; has only enough for its own needs (storage deposits).
pub const RELAYER: AccountId = 4;
/// A payer with neither native nor asset funds.
pub const BROKE: AccountId = 3;

/// The stable asset of the tests.
pub const USD: u32 = 7;
/// Model paid in the native token: signed at 100, zk at 300.
pub const NATIVE_MODEL: H256 = H256::repeat_byte(1);
/// Model paid in `USD`: signed at 1_000, tee at 2_000.
pub const USD_MODEL: H256 = H256::repeat_byte(2);
/// Model the runtime can re-run ([`TestReexecutor`]), paid in the native token: signed at 100.
pub const REEXECUTABLE_MODEL: H256 = H256::repeat_byte(3);
/// Model with a zk "key" (while `ZkAvailable`) that the runtime cannot re-run, paid in the
/// native token: signed at 100, zk at 300.
pub const PROVABLE_MODEL: H256 = H256::repeat_byte(4);
/// The benchmarks' re-runnable model, with their own executors.
pub const BENCH_REEXECUTABLE_MODEL: H256 = H256::repeat_byte(0x40);
/// Challenges results; has funds for bonds.
pub const CHALLENGER: AccountId = 6;

/// The sr25519 key executor `who` signs results with.
pub fn executor_pair(who: AccountId) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//executor{who}"), None).unwrap()
}

pub fn new_test_ext() -> CheckedExternalities {
	CheckedExternalities::new(unchecked_ext(), check_invariants)
}

/// Every pallet's invariants, checked after each test.
fn check_invariants() {
	Inference::do_try_state().unwrap();
	Executors::do_try_state().unwrap();
	Models::do_try_state().unwrap();
}

/// The mock's genesis (two models, two executors) without the invariant check, for the
/// benchmarks' test suite.
pub fn unchecked_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(PAYER, 1_000_000),
			(PAYER_2, 1_000_000),
			(OWNER, 1_000),
			(EXEC_A, 1_000_000),
			(EXEC_B, 1_000_000),
			(TREASURY, 1),
			(RELAYER, 10_000),
			(CHALLENGER, 10_000),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_assets::GenesisConfig::<Test> {
		assets: vec![(USD, OWNER, true, 1)],
		metadata: vec![],
		accounts: vec![(USD, PAYER, 1_000_000), (USD, PAYER_2, 1_000_000)],
		next_asset_id: None,
		reserves: vec![],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	// The benchmarks generate and use executor keys through the keystore.
	ext.register_extension(sp_keystore::KeystoreExt::new(sp_keystore::testing::MemoryKeystore::new()));
	ext.execute_with(|| {
		System::set_block_number(1);
		pallet_verity_executors::AllowPrivateEndpoints::<Test>::put(true);
		register_models();
		register_executor(EXEC_A, 100_000, &[(NATIVE_MODEL, VerificationMode::Signed, 10), (NATIVE_MODEL, VerificationMode::Zk, 50), (USD_MODEL, VerificationMode::Signed, 100), (REEXECUTABLE_MODEL, VerificationMode::Signed, 10), (PROVABLE_MODEL, VerificationMode::Signed, 10)]);
		register_executor(EXEC_B, 300_000, &[(NATIVE_MODEL, VerificationMode::Signed, 20), (USD_MODEL, VerificationMode::Signed, 100)]);
	});
	ext
}

fn register_models() {
	use pallet_verity_models::{IoLimits, TierPrices};
	let limits = IoLimits { max_input_len: 64, max_output_len: 32 };
	let models: [(H256, &[u8], AssetKind, TierPrices, u32); 4] = [
		(NATIVE_MODEL, b"native", NativeOrWithId::Native, TierPrices { signed: Some(100), tee: None, zk: Some(300) }, 10),
		(USD_MODEL, b"usd", NativeOrWithId::WithId(USD), TierPrices { signed: Some(1_000), tee: Some(2_000), zk: None }, 20),
		(PROVABLE_MODEL, b"provable", NativeOrWithId::Native, TierPrices { signed: Some(100), tee: None, zk: Some(300) }, 10),
		(REEXECUTABLE_MODEL, b"reexecutable", NativeOrWithId::Native, TierPrices { signed: Some(100), tee: None, zk: None }, 10),
	];
	for (id, name, asset, prices, royalty) in models {
		Models::do_register_model(
			OWNER,
			id,
			name.to_vec().try_into().unwrap(),
			b"mlp".to_vec().try_into().unwrap(),
			limits,
			asset,
			prices,
			Perbill::from_percent(royalty),
		)
		.unwrap();
	}
}

pub fn register_executor(who: AccountId, stake: u128, services: &[(H256, VerificationMode, u128)]) {
	use pallet_verity_executors::{HardwareClass, Registration, Service};
	Executors::do_register(
		who,
		Registration {
			endpoint: b"http://127.0.0.1:9955/jobs".to_vec().try_into().unwrap(),
			signing_key: SigningKey::Sr25519(executor_pair(who).public()),
			services: services
				.iter()
				.map(|(model, mode, fee)| Service { model: *model, mode: *mode, fee: *fee })
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
			hardware: HardwareClass::Cpu,
			capacity: 4,
			stake,
		},
	)
	.unwrap();
}

/// Benchmarks' setup in the mock: models 0x10.. in the native token, 0x30 in USD, one executor
/// per model.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;

/// Registers `model`, paid in `asset`, with every tier and the largest limits, once.
#[cfg(feature = "runtime-benchmarks")]
fn bench_model(model: H256, asset: AssetKind) -> H256 {
	if !pallet_verity_models::Models::<Test>::contains_key(model) {
		let _ = Balances::force_set_balance(frame_system::RawOrigin::Root.into(), OWNER, 1_000_000);
		Models::do_register_model(
			OWNER,
			model,
			b"bench".to_vec().try_into().unwrap(),
			b"mlp".to_vec().try_into().unwrap(),
			pallet_verity_models::IoLimits { max_input_len: 16 * 1024, max_output_len: 256 },
			asset,
			pallet_verity_models::TierPrices { signed: Some(100), tee: Some(100), zk: Some(100) },
			Perbill::from_percent(10),
		)
		.unwrap();
	}
	model
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_verity_executors::benchmarking::BenchmarkHelper for BenchHelper {
	fn model_offering(index: u32, _mode: VerificationMode) -> verity_primitives::inference::ModelId {
		bench_model(H256::repeat_byte(0x10 + index as u8), NativeOrWithId::Native)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<Test> for BenchHelper {
	fn model(payer: &AccountId) -> verity_primitives::inference::ModelId {
		let _ = Balances::force_set_balance(frame_system::RawOrigin::Root.into(), *payer, 1_000_000_000);
		<BenchHelper as pallet_verity_executors::benchmarking::BenchmarkHelper>::model_offering(0, VerificationMode::Signed)
	}

	fn stable_model(payer: &AccountId) -> verity_primitives::inference::ModelId {
		use frame_support::traits::fungibles::Mutate;
		// Native too, for the storage deposits.
		let _ = Balances::force_set_balance(frame_system::RawOrigin::Root.into(), *payer, 1_000_000_000);
		Assets::mint_into(USD, payer, 1_000_000_000).unwrap();
		bench_model(H256::repeat_byte(0x30), NativeOrWithId::WithId(USD))
	}

	fn fund_stake(who: &AccountId) {
		let _ = Balances::force_set_balance(frame_system::RawOrigin::Root.into(), *who, 1_000_000_000);
	}

	fn executor(executor: &AccountId, key: SigningKey, model: verity_primitives::inference::ModelId) {
		use pallet_verity_executors::{HardwareClass, Registration, Service};
		let _ = Balances::force_set_balance(frame_system::RawOrigin::Root.into(), *executor, 1_000_000);
		Executors::do_register(
			*executor,
			Registration {
				endpoint: b"https://executor.example.com/jobs".to_vec().try_into().unwrap(),
				signing_key: key,
				services: vec![Service { model, mode: VerificationMode::Signed, fee: 1 }].try_into().unwrap(),
				hardware: HardwareClass::Cpu,
				capacity: 8,
				stake: 100,
			},
		)
		.unwrap();
	}

	fn executors_per_service() -> u32 {
		4
	}

	fn asset_of(index: u32) -> AssetKind {
		NativeOrWithId::WithId(index)
	}

	fn payment_signer(_now: u64) -> AccountId {
		PAYER
	}

	fn sign_payment(_: &crate::PaymentAuthorizationOf<Test>) -> bool {
		true
	}

	fn rerunnable_model(payer: &AccountId) -> Option<(H256, Vec<u8>)> {
		let _ = Balances::force_set_balance(frame_system::RawOrigin::Root.into(), *payer, 1_000_000_000);
		Some((bench_model(BENCH_REEXECUTABLE_MODEL, NativeOrWithId::Native), vec![7; 64]))
	}
}
