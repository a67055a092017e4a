//! Key setup, proving, and native verification over `ark-bls12-381` (the `prover` feature).

use ark_bls12_381::Bls12_381;
use ark_groth16::Groth16;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_std::rand::{rngs::StdRng, RngCore, SeedableRng};
use verity_mlp::QuantizedMlp;

use crate::{circuit::MlpCircuit, verifier};

/// A model's Groth16 proving key.
pub type ProvingKey = ark_groth16::ProvingKey<Bls12_381>;
/// A model's Groth16 verifying key.
pub type VerifyingKey = ark_groth16::VerifyingKey<Bls12_381>;
/// A Groth16 proof.
pub type Proof = ark_groth16::Proof<Bls12_381>;

/// Why proving or verifying failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZkError {
	/// The verifying or proving key does not decode (or is not on the curve, or not in the
	/// prime-order subgroup).
	MalformedKey,
	/// The proof does not decode (wrong length, not on the curve, trailing bytes).
	MalformedProof,
	/// The key is for a statement with another number of public inputs.
	WrongPublicInputCount,
	/// The proof is well formed and does not verify: another input, output or model.
	ProofRejected,
	/// The model cannot take this input.
	BadInput(String),
	/// The circuit could not be built or proved.
	Synthesis(String),
}

impl core::fmt::Display for ZkError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			ZkError::MalformedKey => write!(f, "malformed key"),
			ZkError::MalformedProof => write!(f, "malformed proof"),
			ZkError::WrongPublicInputCount => write!(f, "the key is for another number of public inputs"),
			ZkError::ProofRejected => write!(f, "the proof does not verify"),
			ZkError::BadInput(why) => write!(f, "bad input: {why}"),
			ZkError::Synthesis(why) => write!(f, "proving failed: {why}"),
		}
	}
}

impl std::error::Error for ZkError {}

impl From<verifier::VerifyError> for ZkError {
	fn from(error: verifier::VerifyError) -> Self {
		match error {
			verifier::VerifyError::MalformedKey => ZkError::MalformedKey,
			verifier::VerifyError::MalformedProof => ZkError::MalformedProof,
			verifier::VerifyError::WrongPublicInputCount => ZkError::WrongPublicInputCount,
			verifier::VerifyError::ProofRejected => ZkError::ProofRejected,
		}
	}
}

/// Generates a model's keys from `rng`. Whoever knows the randomness can forge proofs: see
/// `docs/zk.md` for how production keys must be made.
pub fn setup_with_rng<R: RngCore>(model: &QuantizedMlp, rng: &mut R) -> Result<(ProvingKey, VerifyingKey), ZkError> {
	let pk = Groth16::<Bls12_381>::generate_random_parameters_with_reduction(MlpCircuit { model, input: None }, rng)
		.map_err(|e| ZkError::Synthesis(e.to_string()))?;
	let vk = pk.vk.clone();
	Ok((pk, vk))
}

/// Generates a model's keys from a fixed seed: reproducible, and therefore **for tests and
/// development chains only** (anyone with the seed can forge proofs).
pub fn setup_from_seed(model: &QuantizedMlp, seed: u64) -> Result<(ProvingKey, VerifyingKey), ZkError> {
	setup_with_rng(model, &mut StdRng::seed_from_u64(seed))
}

/// Runs the model on `input` and proves it: the output bytes and the proof, in the encoding the
/// chain takes ([`crate::PROOF_LEN`] bytes, uncompressed).
pub fn prove(pk: &ProvingKey, model: &QuantizedMlp, input: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ZkError> {
	let output = model.run_bytes(input).map_err(|e| ZkError::BadInput(e.to_string()))?;
	let circuit = MlpCircuit { model, input: Some(input.iter().map(|b| *b as i8).collect()) };
	// Fresh randomness per proof: it is what hides the witness.
	let mut rng = StdRng::from_entropy();
	let proof = Groth16::<Bls12_381>::create_random_proof_with_reduction(circuit, pk, &mut rng)
		.map_err(|e| ZkError::Synthesis(e.to_string()))?;
	let proof = verifier::Proof::<Bls12_381> { a: proof.a, b: proof.b, c: proof.c };
	Ok((output, proof.encode()))
}

/// Verifies that `proof` shows `output = model(input)` for the model whose verifying key is
/// `key` (compressed), natively. Never panics. The caller checks the lengths, as for
/// [`verifier::verify`].
pub fn verify(key: &[u8], input: &[u8], output: &[u8], proof: &[u8]) -> Result<(), ZkError> {
	let key = verifier::PreparedKey::new(&verifier::VerifyingKey::<Bls12_381>::decode(key)?);
	let proof = verifier::Proof::<Bls12_381>::decode(proof)?;
	Ok(verifier::verify(&key, input, output, &proof)?)
}

/// Compressed canonical encoding.
pub fn encode<T: CanonicalSerialize>(value: &T) -> Vec<u8> {
	verifier::serialize(value, Compress::Yes)
}

/// Decodes a compressed canonical encoding, checking curve and subgroup membership, and that no
/// byte is left over.
pub fn decode<T: CanonicalDeserialize>(bytes: &[u8]) -> Option<T> {
	verifier::decode_exact(bytes, Compress::Yes, Validate::Yes)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{circuit::MlpCircuit, PROOF_LEN};
	use ark_bls12_381::Fr;
	use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

	fn digits_model() -> QuantizedMlp {
		QuantizedMlp::from_bytes(include_bytes!("../../models/digits-mlp/model.vmlp")).unwrap()
	}

	fn held_out() -> Vec<verity_mlp::digits::Sample> {
		verity_mlp::digits::split(&verity_mlp::digits::load()).1
	}

	#[test]
	fn the_circuit_is_satisfied_by_the_forward_pass_on_every_held_out_digit() {
		let model = digits_model();
		for sample in held_out() {
			let cs = ConstraintSystem::<Fr>::new_ref();
			let input = sample.input_bytes().iter().map(|b| *b as i8).collect();
			MlpCircuit { model: &model, input: Some(input) }.generate_constraints(cs.clone()).unwrap();
			assert!(cs.is_satisfied().unwrap());
			assert_eq!(cs.num_instance_variables(), 1 + 3 + 2, "one, 3 input and 2 output elements");
		}
	}

	#[test]
	fn saturation_and_negative_accumulators_are_proved_exactly() {
		// Inputs at the int8 extremes drive hidden units into the clamp and below zero.
		let model = digits_model();
		for input in [vec![127i8; 64], vec![-128i8; 64], (0..64).map(|i| if i % 2 == 0 { 127 } else { -128 }).collect()] {
			let cs = ConstraintSystem::<Fr>::new_ref();
			MlpCircuit { model: &model, input: Some(input) }.generate_constraints(cs.clone()).unwrap();
			assert!(cs.is_satisfied().unwrap());
		}
	}

	#[test]
	fn an_honest_proof_verifies_and_every_tampering_is_refused_precisely() {
		let model = digits_model();
		let (pk, vk) = setup_from_seed(&model, 7).unwrap();
		let key = encode(&vk);
		let sample = &held_out()[0];
		let input = sample.input_bytes();
		let (output, proof) = prove(&pk, &model, &input).unwrap();
		assert_eq!(proof.len(), PROOF_LEN);
		assert_eq!(verity_mlp::argmax(&verity_mlp::logits_from_bytes(&output).unwrap()), sample.label as usize);
		assert_eq!(verify(&key, &input, &output, &proof), Ok(()));

		// Another input, another output.
		let other_input = held_out()[1].input_bytes();
		assert_eq!(verify(&key, &other_input, &output, &proof), Err(ZkError::ProofRejected));
		let mut other_output = output.clone();
		other_output[0] ^= 1;
		assert_eq!(verify(&key, &input, &other_output, &proof), Err(ZkError::ProofRejected));

		// Another model's key: the same shape, one weight changed, its own setup.
		let mut other_model = model.clone();
		other_model.layers[0].weights[0] = other_model.layers[0].weights[0].wrapping_add(1);
		let (_, other_vk) = setup_from_seed(&other_model, 8).unwrap();
		assert_eq!(verify(&encode(&other_vk), &input, &output, &proof), Err(ZkError::ProofRejected));
		// The hazard docs/zk.md warns about: the verifying key holds only the public-input part
		// of the circuit, so the same setup randomness gives two models of the same shape the
		// same verifying key, and their proofs become interchangeable.
		let (_, same_randomness) = setup_from_seed(&other_model, 7).unwrap();
		assert_eq!(encode(&same_randomness), key);

		// Flipped and truncated proofs, trailing bytes.
		for position in [0, 47, 100, PROOF_LEN - 1] {
			let mut flipped = proof.clone();
			flipped[position] ^= 0x01;
			assert!(matches!(
				verify(&key, &input, &output, &flipped),
				Err(ZkError::MalformedProof | ZkError::ProofRejected)
			));
		}
		assert_eq!(verify(&key, &input, &output, &proof[..PROOF_LEN - 1]), Err(ZkError::MalformedProof));
		let mut trailing = proof.clone();
		trailing.push(0);
		assert_eq!(verify(&key, &input, &output, &trailing), Err(ZkError::MalformedProof));

		// Malformed keys: truncated, garbage, and a key for another number of public inputs.
		assert_eq!(verify(&key[..key.len() - 1], &input, &output, &proof), Err(ZkError::MalformedKey));
		assert_eq!(verify(&[0xff; 64], &input, &output, &proof), Err(ZkError::MalformedKey));
		assert_eq!(verify(&key, &input[..31], &output, &proof), Err(ZkError::WrongPublicInputCount));
	}

	/// Item 21 of the hardening issue: proof points off their curve, and non-canonical
	/// encodings of a point (the identity with coordinates, or flag bits an uncompressed point
	/// does not carry), are malformed, in the runtime (which decodes with this code) as natively.
	#[test]
	fn off_curve_and_non_canonical_proof_points_are_refused() {
		use ark_bls12_381::{Bls12_381, G1Affine, G2Affine};
		use ark_ff::Field;
		let model = digits_model();
		let (pk, vk) = setup_from_seed(&model, 7).unwrap();
		let key = encode(&vk);
		let input = held_out()[0].input_bytes();
		let (output, proof) = prove(&pk, &model, &input).unwrap();
		let honest = verifier::Proof::<Bls12_381>::decode(&proof).unwrap();
		let malformed = |proof: &[u8]| verify(&key, &input, &output, proof) == Err(ZkError::MalformedProof);

		// A on another curve y² = x³ + b': the same x, y + 1.
		let off_a = verifier::Proof { a: G1Affine::new_unchecked(honest.a.x, honest.a.y + <ark_bls12_381::Fq as Field>::ONE), ..honest.clone() };
		assert!(!off_a.a.is_on_curve());
		assert!(malformed(&off_a.encode()), "A off the curve");
		let off_b = verifier::Proof {
			b: G2Affine::new_unchecked(honest.b.x, honest.b.y + <ark_bls12_381::Fq2 as Field>::ONE),
			..honest.clone()
		};
		assert!(!off_b.b.is_on_curve());
		assert!(malformed(&off_b.encode()), "B off the curve");
		// The identity as C: canonically all zero with the infinity flag (it then fails the
		// pairing check); with a coordinate bit, or the sort flag, it is malformed.
		let identity_c = verifier::Proof { c: G1Affine::identity(), ..honest.clone() }.encode();
		assert_eq!(verify(&key, &input, &output, &identity_c), Err(ZkError::ProofRejected));
		let c_at = 96 + 192;
		assert_eq!(identity_c[c_at], 0x40, "the infinity flag");
		for (offset, byte) in [(0, 0x60), (47, 0x01), (95, 0x01)] {
			let mut non_canonical = identity_c.clone();
			non_canonical[c_at + offset] |= byte;
			assert!(malformed(&non_canonical), "identity with byte {offset} |= {byte:#x}");
		}
		// A coordinate at or above the field modulus.
		let mut above_modulus = proof.clone();
		above_modulus[1..48].fill(0xff);
		assert!(malformed(&above_modulus));
	}

	#[test]
	fn keys_from_the_same_seed_are_the_same() {
		let model = digits_model();
		let (_, a) = setup_from_seed(&model, 1).unwrap();
		let (_, b) = setup_from_seed(&model, 1).unwrap();
		assert_eq!(encode(&a), encode(&b));
		assert_eq!(prove(&setup_from_seed(&model, 1).unwrap().0, &model, &[0; 3]), Err(ZkError::BadInput(
			"input must be 64 int8 values (64 bytes), got 3 bytes".into()
		)));
	}
}
