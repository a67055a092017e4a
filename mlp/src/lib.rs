//! Verity's integer MLP: the model format of the `zk` and `signed` tiers' digits classifier.
//!
//! Every number in the forward pass is an integer: int8 weights and activations, i32
//! accumulators, power-of-two rescaling and ReLU. The pass is therefore bit-exact on every
//! machine, so the executor's result, the zk witness and anyone re-running the model agree to
//! the bit. See `docs/models.md`.
//!
//! A hidden layer computes, for each output `o`:
//!
//! ```text
//! acc[o] = bias[o] + Σ_i weight[o][i] · x[i]        (i32, cannot overflow: checked at load)
//! y[o]   = min(127, max(0, acc[o]) >> shift)         (int8)
//! ```
//!
//! The last layer outputs its accumulators (the logits) unchanged.
//!
//! The format and the forward pass are `no_std`, so that the runtime re-executes a challenged
//! result with the very code the executor ran (`docs/inference.md`, "Challenges"); the data set
//! and the training need `std`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "std")]
pub mod digits;
#[cfg(feature = "std")]
pub mod train;

use alloc::vec::Vec;
use codec::{Decode, Encode};
use sha2::{Digest, Sha256};

/// First bytes of a model file: the format's name and version.
pub const MAGIC: &[u8; 8] = b"VMLP\0\0\0\x01";

/// Largest layer width accepted from a file.
pub const MAX_WIDTH: u32 = 1024;
/// Most layers accepted from a file.
pub const MAX_LAYERS: usize = 8;

/// What a layer does with its accumulators.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, Debug)]
pub enum Activation {
	/// `min(127, max(0, acc) >> shift)`: ReLU, then rescaling by `2^-shift`, saturated to int8.
	ReluShift {
		/// The power-of-two rescaling.
		shift: u8,
	},
	/// The accumulators themselves (the last layer's logits).
	Identity,
}

/// One fully connected layer.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct Layer {
	/// Input width.
	pub inputs: u32,
	/// Output width.
	pub outputs: u32,
	/// Row-major, `outputs × inputs`.
	pub weights: Vec<i8>,
	/// One per output, at the scale of the accumulators.
	pub biases: Vec<i32>,
	/// What is done with the accumulators.
	pub activation: Activation,
}

/// A quantized multi-layer perceptron.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct QuantizedMlp {
	/// The layers, input first.
	pub layers: Vec<Layer>,
}

/// Why a model file or an input was refused.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MlpError {
	/// The file is not a Verity MLP (wrong magic or undecodable).
	NotAModel,
	/// The file decodes but describes an inconsistent or oversized network.
	Invalid(&'static str),
	/// The input has the wrong length.
	InputLength {
		/// What the model takes.
		expected: usize,
		/// What it got.
		got: usize,
	},
}

impl core::fmt::Display for MlpError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			MlpError::NotAModel => write!(f, "not a Verity MLP file"),
			MlpError::Invalid(why) => write!(f, "invalid MLP: {why}"),
			MlpError::InputLength { expected, got } =>
				write!(f, "input must be {expected} int8 values ({expected} bytes), got {got} bytes"),
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for MlpError {}

impl QuantizedMlp {
	/// Reads a model file, checking that the network is well formed.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, MlpError> {
		let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or(MlpError::NotAModel)?;
		let mut input = body;
		let model = Self::decode(&mut input).map_err(|_| MlpError::NotAModel)?;
		if !input.is_empty() {
			return Err(MlpError::NotAModel);
		}
		model.validate()?;
		Ok(model)
	}

	/// The model file: [`MAGIC`] then the SCALE encoding of the model.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = MAGIC.to_vec();
		self.encode_to(&mut out);
		out
	}

	/// The model's on-chain id: the SHA-256 of its file.
	pub fn id(&self) -> [u8; 32] {
		Sha256::digest(self.to_bytes()).into()
	}

	/// Input width.
	pub fn inputs(&self) -> usize {
		self.layers[0].inputs as usize
	}

	/// Output width.
	pub fn outputs(&self) -> usize {
		self.layers[self.layers.len() - 1].outputs as usize
	}

	/// The weights of every layer: the multiply-accumulates of one forward pass, which is what
	/// running the model costs.
	pub fn parameters(&self) -> u64 {
		self.layers.iter().map(|layer| layer.weights.len() as u64).sum()
	}

	/// The length of an output of [`Self::run_bytes`]: four bytes per logit.
	pub fn output_len(&self) -> usize {
		self.outputs() * 4
	}

	/// Checks shapes, sizes and that no accumulator can overflow an i32.
	pub fn validate(&self) -> Result<(), MlpError> {
		if self.layers.is_empty() || self.layers.len() > MAX_LAYERS {
			return Err(MlpError::Invalid("between 1 and 8 layers"));
		}
		for (index, layer) in self.layers.iter().enumerate() {
			let last = index + 1 == self.layers.len();
			if layer.inputs == 0 || layer.outputs == 0 || layer.inputs > MAX_WIDTH || layer.outputs > MAX_WIDTH {
				return Err(MlpError::Invalid("layer widths must be 1..=1024"));
			}
			if layer.weights.len() != (layer.inputs * layer.outputs) as usize ||
				layer.biases.len() != layer.outputs as usize
			{
				return Err(MlpError::Invalid("weights or biases do not match the layer's widths"));
			}
			if let Some(next) = self.layers.get(index + 1) {
				if next.inputs != layer.outputs {
					return Err(MlpError::Invalid("a layer's inputs must equal the previous outputs"));
				}
			}
			match layer.activation {
				Activation::Identity if !last =>
					return Err(MlpError::Invalid("only the last layer may be Identity")),
				Activation::ReluShift { .. } if last =>
					return Err(MlpError::Invalid("the last layer must output its logits")),
				Activation::ReluShift { shift } if shift > 31 =>
					return Err(MlpError::Invalid("shift must be at most 31")),
				_ => {},
			}
			// |acc| ≤ |bias| + inputs · 128 · 128 must fit an i32.
			let products = i64::from(layer.inputs) * 128 * 128;
			if layer.biases.iter().any(|b| i64::from(*b).abs() + products > i64::from(i32::MAX)) {
				return Err(MlpError::Invalid("a bias is large enough to overflow the accumulator"));
			}
		}
		Ok(())
	}

	/// The forward pass: int8 inputs to i32 logits. Bit-exact.
	pub fn forward(&self, input: &[i8]) -> Result<Vec<i32>, MlpError> {
		Ok(self.trace(input)?.pop().expect("at least one layer"))
	}

	/// The forward pass with every layer's accumulators, input first: what a zk witness needs.
	pub fn trace(&self, input: &[i8]) -> Result<Vec<Vec<i32>>, MlpError> {
		if input.len() != self.inputs() {
			return Err(MlpError::InputLength { expected: self.inputs(), got: input.len() });
		}
		let mut activations: Vec<i8> = input.to_vec();
		let mut trace = Vec::with_capacity(self.layers.len());
		for layer in &self.layers {
			let accumulators: Vec<i32> = layer
				.weights
				.chunks_exact(layer.inputs as usize)
				.zip(&layer.biases)
				.map(|(row, bias)| {
					row.iter()
						.zip(&activations)
						.fold(*bias, |acc, (w, x)| acc + i32::from(*w) * i32::from(*x))
				})
				.collect();
			if let Activation::ReluShift { shift } = layer.activation {
				activations = accumulators.iter().map(|acc| relu_shift(*acc, shift)).collect();
			}
			trace.push(accumulators);
		}
		Ok(trace)
	}

	/// Runs the model on raw job bytes (each byte one int8 input) and returns the logits as
	/// little-endian i32s: the output format of MLP jobs.
	pub fn run_bytes(&self, input: &[u8]) -> Result<Vec<u8>, MlpError> {
		let input: Vec<i8> = input.iter().map(|b| *b as i8).collect();
		Ok(self.forward(&input)?.iter().flat_map(|logit| logit.to_le_bytes()).collect())
	}
}

/// A hidden unit's output: ReLU, rescaling by `2^-shift`, saturation to int8.
pub fn relu_shift(accumulator: i32, shift: u8) -> i8 {
	(accumulator.max(0) >> shift).min(127) as i8
}

/// The index of the largest logit (the first, on ties).
pub fn argmax(logits: &[i32]) -> usize {
	logits
		.iter()
		.enumerate()
		.fold((0, i32::MIN), |best, (i, v)| if *v > best.1 { (i, *v) } else { best })
		.0
}

/// Decodes an MLP job's output bytes back to logits.
pub fn logits_from_bytes(bytes: &[u8]) -> Option<Vec<i32>> {
	if bytes.len() % 4 != 0 {
		return None;
	}
	Some(bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn tiny() -> QuantizedMlp {
		QuantizedMlp {
			layers: vec![
				Layer {
					inputs: 2,
					outputs: 2,
					weights: vec![1, 2, -3, 4],
					biases: vec![10, -100],
					activation: Activation::ReluShift { shift: 1 },
				},
				Layer {
					inputs: 2,
					outputs: 1,
					weights: vec![5, -6],
					biases: vec![7],
					activation: Activation::Identity,
				},
			],
		}
	}

	#[test]
	fn forward_is_the_documented_integer_arithmetic() {
		let model = tiny();
		// acc1 = [10 + 3 + 2·4, -100 - 9 + 16] = [21, -93] → [21 >> 1, 0] = [10, 0]
		// logit = 7 + 5·10 - 6·0 = 57
		assert_eq!(model.trace(&[3, 4]).unwrap(), vec![vec![21, -93], vec![57]]);
		assert_eq!(model.run_bytes(&[3, 4]).unwrap(), 57i32.to_le_bytes().to_vec());
		assert_eq!(relu_shift(1_000_000, 2), 127);
	}

	#[test]
	fn file_round_trips_and_bad_files_are_refused() {
		let model = tiny();
		let bytes = model.to_bytes();
		assert_eq!(QuantizedMlp::from_bytes(&bytes).unwrap(), model);
		assert_eq!(QuantizedMlp::from_bytes(&bytes[1..]), Err(MlpError::NotAModel));
		assert_eq!(QuantizedMlp::from_bytes(&bytes[..bytes.len() - 1]), Err(MlpError::NotAModel));
		let mut trailing = bytes.clone();
		trailing.push(0);
		assert_eq!(QuantizedMlp::from_bytes(&trailing), Err(MlpError::NotAModel));

		let mut wrong = model.clone();
		wrong.layers[1].inputs = 3;
		assert!(matches!(QuantizedMlp::from_bytes(&wrong.to_bytes()), Err(MlpError::Invalid(_))));
		let mut overflowing = model.clone();
		overflowing.layers[0].biases[0] = i32::MAX;
		assert!(matches!(overflowing.validate(), Err(MlpError::Invalid(_))));
		let mut hidden_identity = model;
		hidden_identity.layers[0].activation = Activation::Identity;
		assert!(matches!(hidden_identity.validate(), Err(MlpError::Invalid(_))));
	}

	#[test]
	fn wrong_input_length_is_a_precise_error() {
		assert_eq!(tiny().forward(&[1]), Err(MlpError::InputLength { expected: 2, got: 1 }));
		assert_eq!(tiny().run_bytes(&[1, 2, 3]), Err(MlpError::InputLength { expected: 2, got: 3 }));
	}
}
