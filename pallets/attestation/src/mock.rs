//! A minimal runtime for the attestation pallet's unit tests: the clock, and stand-ins for the
//! executor and model registries (executors 1 to 3 are registered; model `MODEL` is owned by 1).

use frame_support::derive_impl;
use sp_runtime::BuildStorage;
use verity_primitives::{
	attestation::AllowedMeasurement,
	inference::{ExecutorProvider, JobOutcome, ModelId, ModelKeyRegistry, SigningKey, VerificationMode},
	Balance, Hash,
};

use verity_primitives::testing::CheckedExternalities;
use crate as pallet_attestation;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Timestamp: pallet_timestamp,
		Attestation: pallet_attestation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = frame_support::traits::ConstU64<1>;
	type WeightInfo = ();
}

/// The model every test uses, owned by account 1.
pub const MODEL: ModelId = ModelId::repeat_byte(0x11);

/// Executors 1 to 3 are registered (with a placeholder key: only registration matters here).
pub struct Executors;

impl ExecutorProvider<u64> for Executors {
	fn eligible(_: &ModelId, _: VerificationMode) -> Vec<(u64, Balance, Balance)> {
		Vec::new()
	}
	fn max_eligible() -> u32 {
		0
	}
	fn signing_key(executor: &u64) -> Option<SigningKey> {
		(1..=3).contains(executor).then(|| SigningKey::Ed25519(Default::default()))
	}
	fn free_slots(_: &u64) -> u32 {
		0
	}
	fn job_assigned(_: &u64) {}
	fn job_ended(_: &u64, _: JobOutcome) {}
	fn slashable(_: &u64) -> Balance {
		0
	}
	fn slash(_: &u64, _: &u64, _: Balance) -> Balance {
		0
	}
	fn busy_executors() -> Vec<(u64, u32)> {
		Vec::new()
	}
}

/// `MODEL` is registered, owned by 1.
pub struct Models;

impl ModelKeyRegistry<u64> for Models {
	fn owner(model: &ModelId) -> Option<u64> {
		(*model == MODEL).then_some(1)
	}
	fn record_zk_key(_: &ModelId, _: Hash) -> sp_runtime::DispatchResult {
		Ok(())
	}
	fn io_limits(model: &ModelId) -> Option<(u32, u32)> {
		(*model == MODEL).then_some((64, 40))
	}
}

/// The quote bound of the mock (the chain's).
pub type MaxQuoteLen = <Test as pallet_attestation::Config>::MaxQuoteLen;

#[derive_impl(pallet_attestation::config_preludes::TestDefaultConfig)]
impl pallet_attestation::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type Executors = Executors;
	type Models = Models;
	type Time = Timestamp;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkHelper;
}

/// The benchmarks' registries are the mock's: executors 1 to 3, `MODEL` owned by 1.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for BenchmarkHelper {
	fn executor() -> u64 {
		1
	}
	fn model_owned_by() -> (ModelId, u64) {
		(MODEL, 1)
	}
	fn set_time(now_secs: u64) {
		pallet_timestamp::Now::<Test>::put(now_secs * 1_000);
	}
}

/// 2026-11-22T00:00:00Z.
pub const NOW: u64 = 1_795_305_600;
/// How long attestations last in the tests: one day.
pub const VALIDITY: u64 = 86_400;

/// The test enclave the tests attest, allowed by its `MRENCLAVE`.
pub const ENCLAVE: verity_tee::test_pki::TestEnclave =
	verity_tee::test_pki::TestEnclave { mr_enclave: [7; 32], mr_signer: [9; 32], isv_prod_id: 3, isv_svn: 2 };

/// A chain that trusts the TEST ONLY root, allows `ENCLAVE`, at `NOW`.
pub fn new_test_ext() -> CheckedExternalities {
	ext(pallet_attestation::GenesisRoot::TestOnlyVerityTestPki)
}

/// [`new_test_ext`] without the invariant check, for the benchmarks' test suite.
pub fn unchecked_ext() -> sp_io::TestExternalities {
	new_test_ext().into_inner()
}

/// Every pallet's invariants, checked after each test.
fn check_invariants() {
	Attestation::do_try_state().unwrap();
}

/// A chain with `root`, allowing `ENCLAVE`, at `NOW`.
pub fn ext(root: pallet_attestation::GenesisRoot) -> CheckedExternalities {
	chain(root, false)
}

/// A chain with `root`, allowing `ENCLAVE`, at `NOW`, marked production or not.
pub fn chain(root: pallet_attestation::GenesisRoot, production: bool) -> CheckedExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_attestation::GenesisConfig::<Test> {
		trusted_root: root,
		accepted_advisories: Vec::new(),
		validity_secs: VALIDITY,
		measurements: vec![AllowedMeasurement::SgxEnclave { mr_enclave: ENCLAVE.mr_enclave }],
		production,
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		pallet_timestamp::Now::<Test>::put(NOW * 1_000);
	});
	CheckedExternalities::new(ext, check_invariants)
}
