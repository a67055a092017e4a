//! A minimal runtime for the models pallet's unit tests.

use frame_support::derive_impl;
use sp_runtime::BuildStorage;

use verity_primitives::testing::CheckedExternalities;
use crate as pallet_models;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Models: pallet_models,
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

#[derive_impl(pallet_models::config_preludes::TestDefaultConfig)]
impl pallet_models::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Account 1 and 2 start with 1000 each; account 3 with less than a deposit.
pub fn new_test_ext() -> CheckedExternalities {
	CheckedExternalities::new(unchecked_ext(), check_invariants)
}

/// Every pallet's invariants, checked after each test.
fn check_invariants() {
	Models::do_try_state().unwrap();
}

/// The mock's genesis without the invariant check, for the benchmarks' test suite.
pub fn unchecked_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(1, 1000), (2, 1000), (3, 50)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
