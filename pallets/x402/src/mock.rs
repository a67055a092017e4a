//! The x402 pallet's test runtime: real sr25519/ed25519/ecdsa accounts (`AccountId32`,
//! `MultiSignature`), native balances and `pallet-assets` behind one `fungibles` interface, and
//! `pallet-timestamp` as the clock.

use frame_support::{
	derive_impl, parameter_types,
	traits::{
		fungible::{NativeFromLeft, NativeOrWithId, UnionOf},
		AsEnsureOriginWithArg, ConstU128, ConstU64, Hooks,
	},
};
use frame_system::{EnsureRoot, EnsureSigned};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
	traits::{IdentifyAccount, IdentityLookup},
	AccountId32, BuildStorage, MultiSignature, MultiSigner,
};
use verity_primitives::x402::{PaymentAuthorization, PaymentScheme};

use verity_primitives::testing::CheckedExternalities;
use crate as pallet_x402;

pub type AccountId = AccountId32;
pub type AssetKind = NativeOrWithId<u32>;
type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Balances: pallet_balances,
		Assets: pallet_assets,
		X402: pallet_x402,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u128>;
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = ConstU64<1>;
	type WeightInfo = ();
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type ExistentialDeposit = ConstU128<10>;
	type AccountStore = System;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Balance = u128;
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type Freezer = ();
}

/// Native balances and assets as one `fungibles` implementation.
pub type Funds = UnionOf<Balances, Assets, NativeFromLeft, AssetKind, AccountId>;

parameter_types! {
	pub Escrow: AccountId = AccountId32::new([0xee; 32]);
	pub SupportedAssets: Vec<AssetKind> = vec![NativeOrWithId::Native, NativeOrWithId::WithId(USD)];
}

#[derive_impl(pallet_x402::config_preludes::TestDefaultConfig)]
impl pallet_x402::Config for Test {
	type AssetKind = AssetKind;
	type Currency = Funds;
	type Signature = MultiSignature;
	type Time = Timestamp;
	type JobEscrow = Escrow;
	type SupportedAssets = SupportedAssets;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

/// The stable asset of the tests.
pub const USD: u32 = 7;
/// The clock at the start of every test: 2026-11-22 00:00:00 UTC, in unix seconds.
pub const START: u64 = 1_795_305_600;
/// The genesis hash of the test chain (block 0's hash as frame-system records it).
pub const GENESIS: H256 = H256::repeat_byte(0x69);

pub fn pair(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{name}"), None).unwrap()
}

pub fn account(pair: &impl Pair<Public: Into<MultiSigner>>) -> AccountId {
	pair.public().into().into_account()
}

pub fn alice() -> AccountId {
	account(&pair("Alice"))
}
pub fn bob() -> AccountId {
	account(&pair("Bob"))
}
pub fn charlie() -> AccountId {
	account(&pair("Charlie"))
}
/// Has no funds at all.
pub fn broke() -> AccountId {
	account(&pair("Broke"))
}

/// Alice pays Bob 1_000 native, in a one-minute window open now, with nonce `[n; 32]`.
pub fn authorization(n: u8) -> PaymentAuthorization<AccountId, AssetKind> {
	PaymentAuthorization {
		network: GENESIS,
		scheme: PaymentScheme::Exact,
		asset: NativeOrWithId::Native,
		from: alice(),
		to: bob(),
		value: 1_000,
		valid_after: START - 600,
		valid_before: START + 60,
		nonce: [n; 32],
	}
}

/// `signer`'s sr25519 signature of the bare signing payload.
pub fn sign(
	signer: &sr25519::Pair,
	authorization: &PaymentAuthorization<AccountId, AssetKind>,
) -> MultiSignature {
	signer.sign(&authorization.signing_payload()).into()
}

/// Sets the clock to `seconds` (unix) and starts the next block, running `on_initialize`.
pub fn next_block_at(seconds: u64) {
	let next = System::block_number() + 1;
	System::set_block_number(next);
	pallet_timestamp::Now::<Test>::put(seconds * 1_000);
	X402::on_initialize(next);
}

pub fn set_time(seconds: u64) {
	pallet_timestamp::Now::<Test>::put(seconds * 1_000);
}

pub fn new_test_ext() -> CheckedExternalities {
	CheckedExternalities::new(unchecked_ext(), check_invariants)
}

/// Every pallet's invariants, checked after each test.
fn check_invariants() {
	X402::do_try_state().unwrap();
}

/// The mock's genesis without the invariant check, for the benchmarks' test suite.
pub fn unchecked_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(alice(), 1_000_000), (bob(), 1_000), (charlie(), 1_000)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_assets::GenesisConfig::<Test> {
		assets: vec![(USD, bob(), true, 5)],
		metadata: vec![],
		accounts: vec![(USD, alice(), 1_000_000)],
		next_asset_id: None,
		reserves: vec![],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(sp_keystore::KeystoreExt::new(sp_keystore::testing::MemoryKeystore::new()));
	ext.execute_with(|| {
		frame_system::BlockHash::<Test>::insert(0, GENESIS);
		System::set_block_number(1);
		set_time(START);
	});
	ext
}

/// Runs `test`, then checks the pallet's invariants.
pub fn run(test: impl FnOnce()) {
	new_test_ext().execute_with(test);
}

#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<Test> for BenchHelper {
	fn set_time(seconds: u64) {
		set_time(seconds);
	}

	fn asset() -> AssetKind {
		NativeOrWithId::Native
	}
}
