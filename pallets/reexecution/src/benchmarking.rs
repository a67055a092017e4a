//! Benchmarks of the re-execution pallet: storing a model file, and one re-run, each linear in
//! its size. The networks are 64 inputs, `h` hidden units and one output: the digits model's
//! shape, widened.

use alloc::{vec, vec::Vec};

use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use verity_mlp::{Activation, Layer};

use crate::*;

/// Bytes of file per hidden unit: 65 weights, a bias and room to spare, so that a network of
/// `n / BYTES_PER_UNIT` hidden units has a file of at most `n` bytes.
const BYTES_PER_UNIT: u32 = 70;
/// Weights per hidden unit: 64 in, 1 out.
const PARAMETERS_PER_UNIT: u32 = 65;

/// A network of `hidden` hidden units (at least one): `65 × hidden` parameters (the runtime's
/// benchmark helper re-runs the smallest in the inference pallet's `challenge` benchmark).
pub fn network(hidden: u32) -> QuantizedMlp {
	let hidden = hidden.clamp(1, verity_mlp::MAX_WIDTH);
	QuantizedMlp {
		layers: vec![
			Layer {
				inputs: 64,
				outputs: hidden,
				weights: (0..64 * hidden).map(|i| (i % 7) as i8 - 3).collect(),
				biases: vec![1; hidden as usize],
				activation: Activation::ReluShift { shift: 4 },
			},
			Layer {
				inputs: hidden,
				outputs: 1,
				weights: vec![1; hidden as usize],
				biases: vec![0],
				activation: Activation::Identity,
			},
		],
	}
}

/// Registers the model of `file` with the limits it needs.
fn registered<T: Config>(owner: &T::AccountId, file: &[u8]) -> ModelId {
	let model = ModelId::from(sp_io::hashing::sha2_256(file));
	T::BenchmarkHelper::register_model(owner, &model, (64, 4));
	model
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn store_model(n: Linear<{ BYTES_PER_UNIT }, { T::MaxModelLen::get() }>) {
		let owner: T::AccountId = whitelisted_caller();
		let file = network(n / BYTES_PER_UNIT).to_bytes();
		let model = registered::<T>(&owner, &file);
		let file: BoundedVec<u8, T::MaxModelLen> = file.try_into().unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), file);
		assert!(ModelFiles::<T>::contains_key(model));
	}

	/// Linear in the parameters (`p` rounded down to whole hidden units); charged for a stored
	/// model by its parameter count.
	#[benchmark]
	fn reexecute(p: Linear<{ PARAMETERS_PER_UNIT }, { T::MaxModelLen::get() / BYTES_PER_UNIT * PARAMETERS_PER_UNIT }>) {
		let owner: T::AccountId = whitelisted_caller();
		let file = network(p / PARAMETERS_PER_UNIT).to_bytes();
		let model = registered::<T>(&owner, &file);
		Pallet::<T>::store(None, file.try_into().unwrap()).unwrap();
		let input: Vec<u8> = (0..64u8).collect();
		let output;
		#[block]
		{
			output = <Pallet<T> as Reexecutor>::reexecute(&model, &input);
		}
		assert!(matches!(output, Some(ReexecutionOutcome::Output(_))));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::unchecked_ext(), crate::mock::Test);
}
