//! Benchmarks of the executors pallet.

use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use sp_core::sr25519;

use crate::*;

/// Sets up what the benchmarks need from outside this pallet.
pub trait BenchmarkHelper {
	/// Registers model `index` so that it offers `mode`, and returns its id.
	fn model_offering(index: u32, mode: VerificationMode) -> ModelId;
}

fn funded<T: Config>(seed: u32) -> T::AccountId {
	let who: T::AccountId = account("executor", seed, 0);
	// Enough for the stake many times over, without overflowing total issuance when many
	// accounts are funded.
	T::Currency::set_balance(&who, T::MinStake::get().saturating_mul(100));
	who
}

fn registration_with<T: Config>(services: u32) -> RegistrationOf<T> {
	let services: Vec<Service> = (0..services)
		.map(|i| Service {
			model: T::BenchmarkHelper::model_offering(i, VerificationMode::Signed),
			mode: VerificationMode::Signed,
			fee: 1_000,
		})
		.collect();
	let mut endpoint = b"https://executor.example.com/".to_vec();
	endpoint.resize(T::MaxEndpointLen::get() as usize, b'a');
	Registration {
		endpoint: endpoint.try_into().unwrap(),
		signing_key: SigningKey::Sr25519(sr25519::Public::from_raw([7; 32])),
		services: services.try_into().unwrap(),
		hardware: HardwareClass::Gpu,
		capacity: T::MaxCapacity::get(),
		stake: T::MinStake::get(),
	}
}

/// Fills every service index the executor will join, but one place, so that each push and
/// each later removal works on the longest list.
fn crowd_services<T: Config>(services: u32) {
	for seed in 1..T::MaxExecutorsPerService::get() {
		let other = funded::<T>(1_000 + seed);
		let mut registration = registration_with::<T>(services);
		registration.capacity = 1;
		Pallet::<T>::do_register(other, registration).unwrap();
	}
}

/// Fills each of the first `services` service indexes with its own executors at the minimum
/// stake, so that a newcomer staking more scans every whole list and displaces a different
/// executor from each.
fn fill_services<T: Config>(services: u32) {
	let registration = registration_with::<T>(services);
	for (index, service) in registration.services.iter().enumerate() {
		for seed in 0..T::MaxExecutorsPerService::get() {
			let other = funded::<T>(10_000 * (index as u32 + 1) + seed);
			let mut own = registration_with::<T>(0);
			own.services = alloc::vec![service.clone()].try_into().unwrap();
			own.capacity = 1;
			Pallet::<T>::do_register(other, own).unwrap();
		}
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_executor(s: Linear<1, { T::MaxServices::get() }>) {
		crowd_services::<T>(s);
		let who = funded::<T>(0);
		let registration = registration_with::<T>(s);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), registration);
		assert!(Executors::<T>::contains_key(&who));
	}

	#[benchmark]
	fn register_executor_displacing(s: Linear<1, { T::MaxServices::get() }>) {
		fill_services::<T>(s);
		let who = funded::<T>(0);
		let mut registration = registration_with::<T>(s);
		registration.stake = T::MinStake::get() + 1;
		#[block]
		{
			Pallet::<T>::register_executor(RawOrigin::Signed(who.clone()).into(), registration).unwrap();
		}
		assert_eq!(Executors::<T>::get(&who).unwrap().services.len() as u32, s);
	}

	#[benchmark]
	fn evict(s: Linear<1, { T::MaxServices::get() }>) {
		crowd_services::<T>(s);
		let who = funded::<T>(0);
		Pallet::<T>::do_register(who.clone(), registration_with::<T>(s)).unwrap();
		let stale = frame_system::Pallet::<T>::block_number() + T::HeartbeatTimeout::get() + 1u32.into();
		frame_system::Pallet::<T>::set_block_number(stale);
		let stranger = funded::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(stranger), who.clone());
		assert!(matches!(Executors::<T>::get(&who).unwrap().status, ExecutorStatus::Unbonding { .. }));
	}

	#[benchmark]
	fn heartbeat() {
		let who = funded::<T>(0);
		Pallet::<T>::do_register(who.clone(), registration_with::<T>(1)).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(who));
	}

	#[benchmark]
	fn deregister(s: Linear<1, { T::MaxServices::get() }>) {
		crowd_services::<T>(s);
		let who = funded::<T>(0);
		Pallet::<T>::do_register(who.clone(), registration_with::<T>(s)).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(matches!(Executors::<T>::get(&who).unwrap().status, ExecutorStatus::Unbonding { .. }));
	}

	#[benchmark]
	fn withdraw() {
		let who = funded::<T>(0);
		Pallet::<T>::do_register(who.clone(), registration_with::<T>(1)).unwrap();
		Pallet::<T>::do_deregister(who.clone()).unwrap();
		let later = frame_system::Pallet::<T>::block_number() + T::UnbondingPeriod::get();
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Executors::<T>::contains_key(&who));
	}

	#[benchmark]
	fn set_endpoint_policy() {
		#[extrinsic_call]
		_(RawOrigin::Root, true);
		assert!(AllowPrivateEndpoints::<T>::get());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::unchecked_ext(), crate::mock::Test);
}
