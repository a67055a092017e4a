//! A minimal runtime for the executors pallet's unit tests.

use frame_support::derive_impl;
use sp_core::{sr25519, H256};
use sp_runtime::{BuildStorage, Perbill};
use verity_primitives::{
	inference::{ModelId, ModelProvider, ModelTerms, SigningKey, VerificationMode},
	testing::CheckedExternalities,
};

use crate::{self as pallet_executors, HardwareClass, Registration, RegistrationOf, Service};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Executors: pallet_executors,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Model 1 offers signed and zk; model 2 offers signed only.
pub const MODEL_A: ModelId = H256::repeat_byte(1);
pub const MODEL_B: ModelId = H256::repeat_byte(2);

pub struct MockModels;
impl ModelProvider<u64, ()> for MockModels {
	fn terms(model: &ModelId, mode: VerificationMode) -> Option<ModelTerms<u64, ()>> {
		let benchmark_model = model.0[0] >= 0x10 && model.0.iter().all(|b| *b == model.0[0]);
		let price = if *model == MODEL_A && mode == VerificationMode::Signed {
			Some(10)
		} else if *model == MODEL_A && mode == VerificationMode::Zk {
			Some(30)
		} else if *model == MODEL_B && mode == VerificationMode::Signed {
			Some(5)
		} else if *model == MODEL_A || *model == MODEL_B {
			None
		} else if benchmark_model {
			// Models 0x10.. are the benchmarks' and offer every tier.
			Some(1)
		} else {
			return None;
		};
		Some(ModelTerms {
			owner: 100,
			asset: (),
			price,
			model_asset_price: price,
			royalty: Perbill::zero(),
			max_input_len: 64,
			max_output_len: 64,
		})
	}
}

#[derive_impl(pallet_executors::config_preludes::TestDefaultConfig)]
impl pallet_executors::Config for Test {
	type Currency = Balances;
	type Models = MockModels;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockModels;
}

/// Benchmarks ask for up to `MaxServices` models: the mock knows models `0x01..`, each offering
/// every tier.
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper for MockModels {
	fn model_offering(index: u32, _mode: VerificationMode) -> ModelId {
		H256::repeat_byte(0x10 + index as u8)
	}
}

/// A valid registration serving `services` with a stake of `stake`.
pub fn registration(services: &[(ModelId, VerificationMode, u128)], stake: u128) -> RegistrationOf<Test> {
	Registration {
		endpoint: b"https://executor.example.com/jobs".to_vec().try_into().unwrap(),
		signing_key: SigningKey::Sr25519(sr25519::Public::from_raw([7; 32])),
		services: services
			.iter()
			.map(|(model, mode, fee)| Service { model: *model, mode: *mode, fee: *fee })
			.collect::<Vec<_>>()
			.try_into()
			.unwrap(),
		hardware: HardwareClass::Gpu,
		capacity: 2,
		stake,
	}
}

/// Accounts 1 to 5 hold 1000 each; account 6 holds 50.
pub fn new_test_ext() -> CheckedExternalities {
	CheckedExternalities::new(unchecked_ext(), check_invariants)
}

/// Every pallet's invariants, checked after each test.
fn check_invariants() {
	Executors::do_try_state().unwrap();
}

/// The mock's genesis without the invariant check, for the benchmarks' test suite.
pub fn unchecked_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(1, 1000), (2, 1000), (3, 1000), (4, 1000), (5, 1000), (6, 50)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
