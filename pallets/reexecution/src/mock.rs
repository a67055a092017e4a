//! A minimal runtime for the re-execution pallet's unit tests: the models pallet (the real one)
//! and this pallet, with retirements wired to it as in the Verity runtime.

use frame_support::derive_impl;
use sp_runtime::{BuildStorage, Perbill};

use crate as pallet_reexecution;
use verity_primitives::{inference::ModelId, testing::CheckedExternalities};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Models: pallet_verity_models,
		Reexecution: pallet_reexecution,
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

#[derive_impl(pallet_verity_models::config_preludes::TestDefaultConfig)]
impl pallet_verity_models::Config for Test {
	type Currency = Balances;
	type OnRetire = Reexecution;
}

#[derive_impl(pallet_reexecution::config_preludes::TestDefaultConfig)]
impl pallet_reexecution::Config for Test {
	type Models = Models;
	type Currency = Balances;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = RegisterModel;
}

/// Registers `model` owned by `owner` with size limits `(input, output)`, signed tier.
pub fn register_model(owner: u64, model: ModelId, limits: (u32, u32)) {
	Models::do_register_model(
		owner,
		model,
		b"mlp".to_vec().try_into().unwrap(),
		b"verity-int8-mlp".to_vec().try_into().unwrap(),
		pallet_verity_models::IoLimits { max_input_len: limits.0, max_output_len: limits.1 },
		0,
		pallet_verity_models::TierPrices { signed: Some(1), tee: None, zk: None },
		Perbill::zero(),
	)
	.unwrap();
}

/// Registers models for the benchmarks through the models pallet.
#[cfg(feature = "runtime-benchmarks")]
pub struct RegisterModel;

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for RegisterModel {
	fn register_model(owner: &u64, model: &ModelId, limits: (u32, u32)) {
		use frame_support::traits::fungible::Mutate;
		Balances::set_balance(owner, 1_000_000);
		register_model(*owner, *model, limits);
	}
}

/// Accounts 1 and 2 start with 100_000 each.
pub fn new_test_ext() -> CheckedExternalities {
	CheckedExternalities::new(unchecked_ext(), check_invariants)
}

/// Every pallet's invariants, checked after each test.
fn check_invariants() {
	Reexecution::do_try_state().unwrap();
	Models::do_try_state().unwrap();
}

/// The mock's genesis without the invariant check, for the benchmarks' test suite.
pub fn unchecked_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(1, 100_000), (2, 100_000)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
