//! Benchmarks of the zk verifier: registering a key, and one proof verification on the
//! host-accelerated curve (the weight a zk result adds to `submit_result`), measured beside the
//! same verification in plain wasm (`verify_proof_without_host_calls`, for comparison only).
//!
//! Keys with `n` public inputs are the shipped digits key with its public-input bases rotated and
//! cycled to `n + 1`: well formed, and of the size and cost of a real key. The proof is made of the key's
//! own points, so it decodes and is rejected; a verification costs the same either way.

use alloc::{vec, vec::Vec};

use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

use crate::*;

/// The shipped digits model's verifying key (from a test-only seeded setup; see docs/zk.md).
const DIGITS_KEY: &[u8] = include_bytes!("../../../models/digits-mlp/zk/verifying.key");
const MODEL: ModelId = ModelId::repeat_byte(0x5a);

fn key_with_inputs(n: u32) -> VerifyingKey<Bls12_381> {
	let mut key = VerifyingKey::<Bls12_381>::decode(DIGITS_KEY).expect("the shipped key decodes");
	// Rotated by one, so that it is never the genesis digits key itself (refused as already
	// registered for another model).
	key.gamma_abc_g1 = key.gamma_abc_g1.iter().cycle().skip(1).take(n as usize + 1).cloned().collect();
	key
}

/// A key with `n` public inputs, a well-formed proof, and an input that makes `n` public inputs.
fn statement(n: u32) -> (VerifyingKey<Bls12_381>, Vec<u8>, Vec<u8>) {
	let key = key_with_inputs(n);
	let proof = Proof::<Bls12_381> { a: key.alpha_g1, b: key.beta_g2, c: key.gamma_abc_g1[0] }.encode();
	let input = vec![0x5a; n as usize * verifier::BYTES_PER_ELEMENT];
	(key, proof, input)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_key(n: Linear<2, { T::MaxPublicInputs::get() }>) {
		let owner: T::AccountId = whitelisted_caller();
		// Limits that pack into exactly `n` public inputs: n - 1 for the input, 1 for the output.
		T::BenchmarkHelper::register_model(&owner, &MODEL, (31 * (n - 1), 31));
		let key: BoundedVec<u8, MaxKeyLen<T>> = key_with_inputs(n).encode().try_into().unwrap();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), MODEL, key);

		assert_eq!(VerifyingKeys::<T>::get(MODEL).map(|stored| stored.public_inputs), Some(n));
	}

	#[benchmark]
	fn verify_proof(n: Linear<1, { T::MaxPublicInputs::get() }>) {
		let (key, proof, input) = statement(n);
		let stored = StoredKey::<T> {
			hash: Default::default(),
			public_inputs: n,
			key: PreparedKey::new(&key).encode_trusted().try_into().unwrap(),
		};
		let result;

		#[block]
		{
			result = Pallet::<T>::verify_proof(&stored, &input, &[], &proof);
		}

		assert_eq!(result, Err(VerificationError::BadProof));
	}

	/// The same steps as `verify_proof` over plain `ark-bls12-381`, all in wasm.
	#[benchmark]
	fn verify_proof_without_host_calls(n: Linear<1, { T::MaxPublicInputs::get() }>) {
		type Plain = ark_bls12_381::Bls12_381;
		let (key, proof, input) = statement(n);
		// The same bytes decode as either curve type: only the arithmetic differs.
		let key = PreparedKey::new(&key).encode_trusted();
		let result;

		#[block]
		{
			result = PreparedKey::<Plain>::decode_trusted(&key).and_then(|key| {
				verifier::verify(&key, &input, &[], &Proof::<Plain>::decode(&proof)?)
			});
		}

		assert_eq!(result, Err(VerifyError::ProofRejected));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::unchecked_ext(), crate::mock::Test);
}
