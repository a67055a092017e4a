//! The R1CS circuit of a [`QuantizedMlp`]: `output = model(input)`, with the model's weights and
//! biases as constants.
//!
//! - Every input is an int8: eight boolean witnesses, `x = Σ_{k<7} 2^k b_k − 128·b_7`.
//! - A hidden layer's accumulator is a linear combination of the previous activations (the
//!   weights are constants, so it costs no constraint). It is decomposed into 32 boolean
//!   witnesses in two's complement, which proves its sign and, below bit `shift`, the remainder
//!   of the power-of-two rescaling. With `q_low` the 7 bits from `shift` up and `t` the sum of
//!   the bits above them:
//!   `overflow = [t ≠ 0]` (two constraints: `t·inv = overflow`, `t·(1 − overflow) = 0`),
//!   `m = overflow·(127 − q_low)`, `y = (1 − sign)·(q_low + m)`; which is
//!   `min(127, max(0, acc) >> shift)`, the forward pass of `verity-mlp` exactly.
//! - The last layer's accumulators (the logits) are decomposed into 32 bits too: their bytes
//!   are the output bytes.
//! - Public inputs: the input bytes and then the output bytes, each packed little-endian 31 bytes
//!   to a field element ([`crate::verifier::pack`]).
//!
//! The witness comes from [`QuantizedMlp::trace`], the executor's own forward pass.

use ark_bls12_381::Fr;
use ark_ff::{AdditiveGroup, Field, PrimeField, Zero};
use ark_relations::gr1cs::{
	ConstraintSynthesizer, ConstraintSystemRef, LinearCombination, SynthesisError, Variable,
};
use verity_mlp::{Activation, QuantizedMlp};

use crate::verifier::BYTES_PER_ELEMENT;

/// A signed integer as a field element.
fn signed(value: i64) -> Fr {
	if value < 0 {
		-Fr::from(value.unsigned_abs())
	} else {
		Fr::from(value as u64)
	}
}

fn power_of_two(exponent: usize) -> Fr {
	Fr::from(2u64).pow([exponent as u64])
}

/// The statement `output = model(input)`. `input` is `None` while keys are generated.
pub struct MlpCircuit<'a> {
	/// The model: its weights are the circuit's constants.
	pub model: &'a QuantizedMlp,
	/// The input, when proving.
	pub input: Option<Vec<i8>>,
}

/// Allocates the two's-complement bits of `value` (`width` of them, unknown in setup) and
/// returns them least significant first; each is constrained boolean.
fn alloc_bits(
	cs: &ConstraintSystemRef<Fr>,
	value: Option<i64>,
	width: usize,
) -> Result<Vec<Variable>, SynthesisError> {
	(0..width)
		.map(|k| {
			let bit = cs.new_witness_variable(|| {
				let value = value.ok_or(SynthesisError::AssignmentMissing)?;
				Ok(Fr::from(((value as u64) >> k) & 1))
			})?;
			// bit · (1 − bit) = 0
			cs.enforce_r1cs_constraint(
				|| LinearCombination::from(bit),
				|| LinearCombination::from(Variable::One) - bit,
				LinearCombination::zero,
			)?;
			Ok(bit)
		})
		.collect()
}

/// `Σ_{k<width−1} 2^k b_k − 2^{width−1} b_{width−1}`: the signed value of two's-complement bits.
fn signed_value(bits: &[Variable]) -> LinearCombination<Fr> {
	let top = bits.len() - 1;
	let mut lc = LinearCombination::zero();
	for (k, bit) in bits.iter().enumerate() {
		let weight = power_of_two(k);
		lc = lc + (if k == top { -weight } else { weight }, *bit);
	}
	lc
}

/// Byte `index` of the little-endian two's-complement encoding whose bits are `bits` (the
/// unsigned value of those 8 bits), scaled by `scale`.
fn add_byte(lc: LinearCombination<Fr>, bits: &[Variable], scale: Fr) -> LinearCombination<Fr> {
	bits.iter().enumerate().fold(lc, |lc, (k, bit)| lc + (scale * power_of_two(k), *bit))
}

impl ConstraintSynthesizer<Fr> for MlpCircuit<'_> {
	fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
		let model = self.model;
		let trace = match &self.input {
			Some(input) => Some(model.trace(input).map_err(|_| SynthesisError::Unsatisfiable)?),
			None => None,
		};

		// The input: 8 bits per int8, packed into public elements byte by byte.
		let mut input_bits = Vec::with_capacity(model.inputs());
		for i in 0..model.inputs() {
			let value = self.input.as_ref().map(|x| i64::from(x[i]));
			input_bits.push(alloc_bits(&cs, value, 8)?);
		}
		let mut activations: Vec<LinearCombination<Fr>> =
			input_bits.iter().map(|bits| signed_value(bits)).collect();

		// (the bits of each byte, the byte values when proving): the input, then the output.
		let input_values = self.input.as_ref().map(|x| x.iter().map(|v| *v as u8).collect::<Vec<u8>>());
		let mut byte_streams = vec![(input_bits, input_values)];
		for (index, layer) in model.layers.iter().enumerate() {
			let mut next = Vec::with_capacity(layer.outputs as usize);
			let mut output_bytes = Vec::new();
			for o in 0..layer.outputs as usize {
				let row = &layer.weights[o * layer.inputs as usize..(o + 1) * layer.inputs as usize];
				let mut accumulator =
					LinearCombination::from((signed(layer.biases[o].into()), Variable::One));
				for (weight, activation) in row.iter().zip(&activations) {
					if *weight != 0 {
						accumulator = accumulator + (signed((*weight).into()), activation);
					}
				}
				let value = trace.as_ref().map(|t| i64::from(t[index][o]));
				let bits = alloc_bits(&cs, value, 32)?;
				// The accumulator is what its bits say.
				cs.enforce_r1cs_constraint(
					|| accumulator.clone() - signed_value(&bits),
					|| LinearCombination::from(Variable::One),
					LinearCombination::zero,
				)?;
				match layer.activation {
					Activation::ReluShift { shift } =>
						next.push(relu_shift(&cs, &bits, shift as usize, value)?),
					Activation::Identity => output_bytes.extend(bits.chunks(8).map(<[Variable]>::to_vec)),
				}
			}
			if layer.activation == Activation::Identity {
				let values = trace.as_ref().map(|t| t[index].iter().flat_map(|logit| logit.to_le_bytes()).collect());
				byte_streams.push((output_bytes, values));
			}
			activations = next;
		}

		// Public inputs: the input bytes, then the output bytes, 31 to an element.
		for (stream, values) in byte_streams {
			for (c, chunk) in stream.chunks(BYTES_PER_ELEMENT).enumerate() {
				let packed = chunk.iter().enumerate().fold(LinearCombination::zero(), |lc, (j, bits)| {
					add_byte(lc, bits, power_of_two(8 * j))
				});
				let public = cs.new_input_variable(|| {
					let values = values.as_ref().ok_or(SynthesisError::AssignmentMissing)?;
					let end = (c * BYTES_PER_ELEMENT + BYTES_PER_ELEMENT).min(values.len());
					Ok(Fr::from_le_bytes_mod_order(&values[c * BYTES_PER_ELEMENT..end]))
				})?;
				cs.enforce_r1cs_constraint(
					|| packed.clone() - public,
					|| LinearCombination::from(Variable::One),
					LinearCombination::zero,
				)?;
			}
		}
		Ok(())
	}
}

/// `min(127, max(0, acc) >> shift)` of the accumulator whose 32 bits are `bits`.
fn relu_shift(
	cs: &ConstraintSystemRef<Fr>,
	bits: &[Variable],
	shift: usize,
	accumulator: Option<i64>,
) -> Result<LinearCombination<Fr>, SynthesisError> {
	let sign = bits[31];
	let low_end = (shift + 7).min(31);
	let q_low = (shift..low_end)
		.fold(LinearCombination::zero(), |lc, k| lc + (power_of_two(k - shift), bits[k]));
	let high: Vec<Variable> = bits[low_end..31].to_vec();
	let value = |f: fn(i64, usize) -> Fr| accumulator.map(|acc| f(acc, shift));

	// overflow = [any bit above the 7 kept ones is set]
	let overflow = if high.is_empty() {
		LinearCombination::zero()
	} else {
		let t = high.iter().fold(LinearCombination::zero(), |lc, bit| lc + *bit);
		let high_sum = value(|acc, shift| {
			let low31 = (acc as u64) & 0x7fff_ffff;
			Fr::from(u64::from((low31 >> (shift + 7)).count_ones()))
		});
		let overflow = cs.new_witness_variable(|| {
			let t = high_sum.ok_or(SynthesisError::AssignmentMissing)?;
			Ok(if t.is_zero() { Fr::ZERO } else { Fr::ONE })
		})?;
		let inverse = cs.new_witness_variable(|| {
			let t = high_sum.ok_or(SynthesisError::AssignmentMissing)?;
			Ok(t.inverse().unwrap_or(Fr::ZERO))
		})?;
		cs.enforce_r1cs_constraint(|| t.clone(), || LinearCombination::from(inverse), || LinearCombination::from(overflow))?;
		cs.enforce_r1cs_constraint(
			|| t.clone(),
			|| LinearCombination::from(Variable::One) - overflow,
			LinearCombination::zero,
		)?;
		LinearCombination::from(overflow)
	};

	let q_low_value = value(|acc, shift| Fr::from(((acc as u64) & 0x7fff_ffff) >> shift & 0x7f));
	let overflow_value = accumulator.map(|acc| {
		let low31 = (acc as u64) & 0x7fff_ffff;
		low31 >> (shift + 7).min(31) != 0
	});
	// m = overflow · (127 − q_low)
	let m = cs.new_witness_variable(|| {
		let (q, o) = (q_low_value, overflow_value);
		let (q, o) = (q.ok_or(SynthesisError::AssignmentMissing)?, o.ok_or(SynthesisError::AssignmentMissing)?);
		Ok(if o { Fr::from(127u64) - q } else { Fr::ZERO })
	})?;
	cs.enforce_r1cs_constraint(
		|| overflow.clone(),
		|| LinearCombination::from((Fr::from(127u64), Variable::One)) - &q_low,
		|| LinearCombination::from(m),
	)?;
	// y = (1 − sign) · (q_low + m)
	let y = cs.new_witness_variable(|| {
		let acc = accumulator.ok_or(SynthesisError::AssignmentMissing)?;
		Ok(Fr::from(verity_mlp::relu_shift(acc as i32, shift as u8) as u64))
	})?;
	cs.enforce_r1cs_constraint(
		|| LinearCombination::from(Variable::One) - sign,
		|| q_low.clone() + m,
		|| LinearCombination::from(y),
	)?;
	Ok(LinearCombination::from(y))
}
