//! Benchmarks of the attestation pallet. `register_enclave` and `verify_job_quote` verify a full
//! DCAP quote of the TEST ONLY PKI (made here, in the runtime, by `verity_tee::test_pki`) with
//! its collateral: the same checks, certificate chain and signatures as an Intel quote of the
//! same shape, run through the `verity_tee::dcap` host function as in a block.

use frame_benchmarking::v2::*;
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_core::H256;
use verity_primitives::inference::{ResultStatement, SigningKey};
use verity_tee::test_pki::{self, TestEnclave};

use crate::*;

/// 2026-11-22T00:00:00Z, inside the test collateral's validity.
const NOW: u64 = 1_795_305_600;
const ENCLAVE: TestEnclave = TestEnclave { mr_enclave: [0xe1; 32], mr_signer: [0x51; 32], isv_prod_id: 1, isv_svn: 1 };

fn keys() -> EnclaveKeys {
	EnclaveKeys { signing: SigningKey::Ed25519(sp_core::ed25519::Public::from_raw([3; 32])), encryption: [4; 32] }
}

/// A chain that trusts the test root and allows `ENCLAVE`, at `NOW`.
fn trusting_chain<T: Config>() {
	TrustedRoot::<T>::put(BoundedVec::try_from(test_pki::TEST_ROOT_CA_DER.to_vec()).unwrap());
	Pallet::<T>::do_set_policy(AttestationPolicy { accepted_advisories: BoundedVec::new(), validity_secs: 86_400 });
	Pallet::<T>::do_allow_measurement(AllowedMeasurement::SgxEnclave { mr_enclave: ENCLAVE.mr_enclave })
		.expect("an SGX entry is always allowed");
	T::BenchmarkHelper::set_time(NOW);
}

fn genesis_hash<T: Config>() -> H256 {
	H256::from_slice(frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero()).as_ref())
}

fn collateral<T: Config>() -> BoundedVec<u8, T::MaxCollateralLen> {
	test_pki::collateral().encode().try_into().unwrap()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_enclave() {
		trusting_chain::<T>();
		let executor = T::BenchmarkHelper::executor();
		let quote: BoundedVec<u8, T::MaxQuoteLen> =
			ENCLAVE.quote(&keys().report_data(genesis_hash::<T>(), &executor)).try_into().unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(executor.clone()), quote, collateral::<T>(), keys());

		assert_eq!(Enclaves::<T>::get(&executor).map(|enclave| enclave.keys), Some(keys()));
	}

	/// The per-job quote of a model that asks for one: what a tee result adds to
	/// `submit_result` at most.
	#[benchmark]
	fn verify_job_quote() {
		trusting_chain::<T>();
		let executor = T::BenchmarkHelper::executor();
		let quote = ENCLAVE.quote(&keys().report_data(genesis_hash::<T>(), &executor));
		Pallet::<T>::do_register_enclave(executor.clone(), quote.try_into().unwrap(), collateral::<T>(), keys())
			.unwrap();
		let enclave = Enclaves::<T>::get(&executor).unwrap();
		let statement = ResultStatement {
			genesis_hash: genesis_hash::<T>(),
			job_id: 1,
			model_id: Default::default(),
			input_hash: Default::default(),
			output_hash: Default::default(),
		};
		let report_data = statement_report_data(&statement);
		let quote = ENCLAVE.quote(&report_data);
		let result;

		#[block]
		{
			result = Pallet::<T>::verify_job_quote(&executor, &enclave, &quote, &report_data);
		}

		assert_eq!(result, Ok(()));
	}

	#[benchmark]
	fn set_trusted_root() {
		let root: BoundedVec<u8, T::MaxRootLen> = verity_tee::INTEL_SGX_ROOT_CA_DER.to_vec().try_into().unwrap();

		#[extrinsic_call]
		_(RawOrigin::Root, root);

		assert!(TrustedRoot::<T>::exists());
	}

	#[benchmark]
	fn set_policy() {
		let advisory: AdvisoryId = b"INTEL-SA-00000000000000000000000".to_vec().try_into().unwrap();
		let accepted_advisories = alloc::vec![advisory; T::MaxAdvisories::get() as usize].try_into().unwrap();

		#[extrinsic_call]
		_(RawOrigin::Root, AttestationPolicy { accepted_advisories, validity_secs: 86_400 });

		assert!(Policy::<T>::exists());
	}

	#[benchmark]
	fn allow_measurement() {
		let rule = AllowedMeasurement::Tdx { mr_td: [1; 48], rtmrs: [Some(verity_primitives::attestation::Rtmr([2; 48])); 4] };

		#[extrinsic_call]
		_(RawOrigin::Root, rule.clone());

		assert!(AllowedMeasurements::<T>::contains_key(rule.key()));
	}

	#[benchmark]
	fn revoke_measurement() {
		let rule = AllowedMeasurement::Tdx { mr_td: [1; 48], rtmrs: [Some(verity_primitives::attestation::Rtmr([2; 48])); 4] };
		Pallet::<T>::do_allow_measurement(rule.clone()).expect("RTMR 0 to 2 are pinned");

		#[extrinsic_call]
		_(RawOrigin::Root, rule.key());

		assert!(!AllowedMeasurements::<T>::contains_key(rule.key()));
	}

	#[benchmark]
	fn set_model_requirements() {
		let (model, owner) = T::BenchmarkHelper::model_owned_by();
		let measurements = (0..T::MaxModelMeasurements::get())
			.map(|i| MeasurementKey::Tdx([i as u8; 48]))
			.collect::<Vec<_>>()
			.try_into()
			.unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), model, Some(ModelRequirements { measurements, quote_per_job: true }));

		assert!(ModelEnclaveRequirements::<T>::contains_key(model));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::unchecked_ext(), crate::mock::Test);
}
