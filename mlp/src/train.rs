//! Deterministic training and quantization of the digits classifier.
//!
//! Everything is sequential f64 arithmetic driven by a fixed-seed generator, so the same source
//! produces the same model file byte for byte (`verity-mlp-train`, checked by a test against
//! the committed `models/digits-mlp/model.vmlp`).

use crate::{
	digits::{Sample, CLASSES, INPUT_SCALE, PIXELS},
	Activation, Layer, QuantizedMlp,
};

/// Training settings.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
	/// Hidden units.
	pub hidden: usize,
	/// Passes over the training set.
	pub epochs: usize,
	/// Samples per gradient step.
	pub batch: usize,
	/// Step size.
	pub learning_rate: f64,
	/// Momentum of the gradient steps.
	pub momentum: f64,
	/// Seed of the initialization and of the shuffles.
	pub seed: u64,
}

/// The settings of the shipped model.
pub const SHIPPED: Settings =
	Settings { hidden: 32, epochs: 60, batch: 16, learning_rate: 0.05, momentum: 0.9, seed: 2026 };

/// splitmix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
	fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	/// Uniform in [-1, 1).
	fn symmetric(&mut self) -> f64 {
		(self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
	}

	fn below(&mut self, n: usize) -> usize {
		(self.next_u64() % n as u64) as usize
	}
}

/// A float MLP with one hidden ReLU layer.
#[derive(Clone, Debug)]
pub struct FloatMlp {
	hidden: usize,
	w1: Vec<f64>,
	b1: Vec<f64>,
	w2: Vec<f64>,
	b2: Vec<f64>,
}

fn features(sample: &Sample) -> [f64; PIXELS] {
	sample.pixels.map(|p| f64::from(p) / 16.0)
}

impl FloatMlp {
	fn new(hidden: usize, rng: &mut Rng) -> Self {
		let a1 = (6.0 / (PIXELS + hidden) as f64).sqrt();
		let a2 = (6.0 / (hidden + CLASSES) as f64).sqrt();
		Self {
			hidden,
			w1: (0..hidden * PIXELS).map(|_| rng.symmetric() * a1).collect(),
			b1: vec![0.0; hidden],
			w2: (0..CLASSES * hidden).map(|_| rng.symmetric() * a2).collect(),
			b2: vec![0.0; CLASSES],
		}
	}

	/// A model of the same shape with every parameter zero (for gradients and momenta).
	fn zeros_like(&self) -> Self {
		Self {
			hidden: self.hidden,
			w1: vec![0.0; self.w1.len()],
			b1: vec![0.0; self.b1.len()],
			w2: vec![0.0; self.w2.len()],
			b2: vec![0.0; self.b2.len()],
		}
	}

	fn hidden_layer(&self, x: &[f64; PIXELS]) -> Vec<f64> {
		(0..self.hidden)
			.map(|h| {
				let z = self.b1[h] +
					self.w1[h * PIXELS..(h + 1) * PIXELS].iter().zip(x).map(|(w, v)| w * v).sum::<f64>();
				z.max(0.0)
			})
			.collect()
	}

	fn logits(&self, hidden: &[f64]) -> Vec<f64> {
		(0..CLASSES)
			.map(|c| {
				self.b2[c] +
					self.w2[c * self.hidden..(c + 1) * self.hidden]
						.iter()
						.zip(hidden)
						.map(|(w, v)| w * v)
						.sum::<f64>()
			})
			.collect()
	}

	/// The predicted digit.
	pub fn predict(&self, sample: &Sample) -> usize {
		let logits = self.logits(&self.hidden_layer(&features(sample)));
		(0..CLASSES).fold(0, |best, c| if logits[c] > logits[best] { c } else { best })
	}
}

/// Trains the float model on `train`.
pub fn train_float(train: &[Sample], settings: &Settings) -> FloatMlp {
	let mut rng = Rng(settings.seed);
	let mut model = FloatMlp::new(settings.hidden, &mut rng);
	let h = settings.hidden;
	let mut velocity = model.zeros_like();
	let mut order: Vec<usize> = (0..train.len()).collect();
	for _ in 0..settings.epochs {
		for i in (1..order.len()).rev() {
			order.swap(i, rng.below(i + 1));
		}
		for batch in order.chunks(settings.batch) {
			let mut grad = model.zeros_like();
			for &index in batch {
				let sample = &train[index];
				let x = features(sample);
				let hidden = model.hidden_layer(&x);
				let logits = model.logits(&hidden);
				let max = logits.iter().cloned().fold(f64::MIN, f64::max);
				let exps: Vec<f64> = logits.iter().map(|z| (z - max).exp()).collect();
				let sum: f64 = exps.iter().sum();
				// d(cross-entropy)/d(logit) = softmax - one_hot.
				let delta2: Vec<f64> = (0..CLASSES)
					.map(|c| exps[c] / sum - if c == sample.label as usize { 1.0 } else { 0.0 })
					.collect();
				for c in 0..CLASSES {
					grad.b2[c] += delta2[c];
					for j in 0..h {
						grad.w2[c * h + j] += delta2[c] * hidden[j];
					}
				}
				for j in 0..h {
					if hidden[j] <= 0.0 {
						continue;
					}
					let delta1: f64 = (0..CLASSES).map(|c| delta2[c] * model.w2[c * h + j]).sum();
					grad.b1[j] += delta1;
					for i in 0..PIXELS {
						grad.w1[j * PIXELS + i] += delta1 * x[i];
					}
				}
			}
			let scale = settings.learning_rate / batch.len() as f64;
			let step = |params: &mut Vec<f64>, velocity: &mut Vec<f64>, grad: &Vec<f64>| {
				for ((p, v), g) in params.iter_mut().zip(velocity.iter_mut()).zip(grad) {
					*v = settings.momentum * *v - scale * g;
					*p += *v;
				}
			};
			step(&mut model.w1, &mut velocity.w1, &grad.w1);
			step(&mut model.b1, &mut velocity.b1, &grad.b1);
			step(&mut model.w2, &mut velocity.w2, &grad.w2);
			step(&mut model.b2, &mut velocity.b2, &grad.b2);
		}
	}
	model
}

fn quantize_weights(weights: &[f64]) -> (Vec<i8>, f64) {
	let max = weights.iter().fold(0.0f64, |m, w| m.max(w.abs()));
	let scale = 127.0 / max;
	(weights.iter().map(|w| (w * scale).round() as i8).collect(), scale)
}

/// Quantizes a float model to int8, picking the hidden layer's power-of-two rescaling so that
/// the largest hidden activation seen on `calibration` fits in int8.
pub fn quantize(model: &FloatMlp, calibration: &[Sample]) -> QuantizedMlp {
	// Input: pixel / 16 in float is pixel · INPUT_SCALE in int8.
	let input_scale = 16.0 * f64::from(INPUT_SCALE);
	let (w1, w1_scale) = quantize_weights(&model.w1);
	let acc1_scale = input_scale * w1_scale;
	let max_hidden = calibration
		.iter()
		.flat_map(|s| model.hidden_layer(&features(s)))
		.fold(0.0f64, f64::max);
	let shift = (max_hidden * acc1_scale / 127.0).log2().ceil().max(0.0) as u8;
	let hidden_scale = acc1_scale / f64::from(1u32 << shift);
	let (w2, w2_scale) = quantize_weights(&model.w2);
	let round_all = |values: &[f64], scale: f64| -> Vec<i32> {
		values.iter().map(|v| (v * scale).round() as i32).collect()
	};
	QuantizedMlp {
		layers: vec![
			Layer {
				inputs: PIXELS as u32,
				outputs: model.hidden as u32,
				weights: w1,
				biases: round_all(&model.b1, acc1_scale),
				activation: Activation::ReluShift { shift },
			},
			Layer {
				inputs: model.hidden as u32,
				outputs: CLASSES as u32,
				weights: w2,
				biases: round_all(&model.b2, hidden_scale * w2_scale),
				activation: Activation::Identity,
			},
		],
	}
}

/// Fraction of `samples` the quantized model classifies correctly.
pub fn accuracy(model: &QuantizedMlp, samples: &[Sample]) -> f64 {
	let correct = samples
		.iter()
		.filter(|s| {
			let input: Vec<i8> = s.input_bytes().iter().map(|b| *b as i8).collect();
			crate::argmax(&model.forward(&input).expect("64 inputs")) == s.label as usize
		})
		.count();
	correct as f64 / samples.len() as f64
}

/// Fraction of `samples` the float model classifies correctly.
pub fn float_accuracy(model: &FloatMlp, samples: &[Sample]) -> f64 {
	samples.iter().filter(|s| model.predict(s) == s.label as usize).count() as f64 /
		samples.len() as f64
}

/// What training the shipped model produced.
pub struct Trained {
	/// The float model.
	pub float: FloatMlp,
	/// Its quantization: the shipped model.
	pub quantized: QuantizedMlp,
	/// Held-out accuracy of the float model.
	pub float_accuracy: f64,
	/// Held-out accuracy of the quantized model.
	pub quantized_accuracy: f64,
}

/// Trains and quantizes on the vendored data set's fixed split.
pub fn train_digits(settings: &Settings) -> Trained {
	let (train, held_out) = crate::digits::split(&crate::digits::load());
	let float = train_float(&train, settings);
	let quantized = quantize(&float, &train);
	Trained {
		float_accuracy: float_accuracy(&float, &held_out),
		quantized_accuracy: accuracy(&quantized, &held_out),
		float,
		quantized,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The committed model file is what the training command produces, byte for byte, and
	/// meets the accuracy bar on the held-out split.
	#[test]
	fn shipped_model_is_reproducible_and_accurate() {
		let trained = train_digits(&SHIPPED);
		let committed = include_bytes!("../../models/digits-mlp/model.vmlp");
		assert_eq!(trained.quantized.to_bytes(), committed.to_vec(), "run verity-mlp-train");
		assert!(trained.float_accuracy >= 0.90, "float accuracy {}", trained.float_accuracy);
		assert!(trained.quantized_accuracy >= 0.90, "quantized {}", trained.quantized_accuracy);
		assert!((trained.float_accuracy - trained.quantized_accuracy).abs() <= 0.01);
	}
}
