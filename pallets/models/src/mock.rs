//! A minimal runtime for the models pallet's unit tests.

use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_runtime::{BuildStorage, Perbill};

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

parameter_types! {
	pub const ModelDeposit: u128 = 100;
	pub const MaxRoyalty: Perbill = Perbill::from_percent(50);
}

impl pallet_models::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type AssetKind = u32;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ModelDeposit = ModelDeposit;
	type MaxNameLen = ConstU32<32>;
	type MaxOtherAssets = ConstU32<4>;
	type MaxInputLen = ConstU32<1024>;
	type MaxOutputLen = ConstU32<512>;
	type MaxRoyalty = MaxRoyalty;
	type OnRetire = ();
	type WeightInfo = ();
}

/// Account 1 and 2 start with 1000 each; account 3 with less than a deposit.
pub fn new_test_ext() -> sp_io::TestExternalities {
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
