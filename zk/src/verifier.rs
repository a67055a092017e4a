//! Groth16 verification of `output = model(input)`, without the standard library and generic over
//! the pairing engine: the runtime runs it over `sp-crypto-ec-utils`' BLS12-381 (whose pairings
//! and multi-scalar multiplications are host calls), the executor and the client over plain
//! `ark-bls12-381`. The encodings are arkworks' canonical ones, byte for byte those of
//! `ark-groth16`'s `VerifyingKey` and `Proof`.

use alloc::vec::Vec;

use ark_ec::{
	pairing::{Pairing, PairingOutput},
	AffineRepr, CurveGroup, VariableBaseMSM,
};
use ark_ff::PrimeField;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Valid, Validate};

/// Bytes packed into one public field element (fewer than the field's 32, so any value fits).
pub const BYTES_PER_ELEMENT: usize = 31;

/// Size of a proof: two G1 points and one G2 point of BLS12-381, uncompressed. Proofs travel
/// uncompressed because decompressing takes a square root per point, which the runtime would
/// compute in wasm for every result; 192 more bytes of call data are cheaper.
pub const PROOF_LEN: usize = 96 + 192 + 96;

/// Size of a compressed BLS12-381 verifying key with `public_inputs` public inputs.
pub const fn compressed_key_len(public_inputs: usize) -> usize {
	48 + 3 * 96 + 8 + (public_inputs + 1) * 48
}

/// Size of the stored encoding of the same key prepared for verification ([`PreparedKey`]).
pub const fn prepared_key_len(public_inputs: usize) -> usize {
	576 + 2 * 192 + 8 + (public_inputs + 1) * 96
}

/// A model's Groth16 verifying key (the layout of `ark_groth16::VerifyingKey`).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct VerifyingKey<E: Pairing> {
	/// `α` in G1.
	pub alpha_g1: E::G1Affine,
	/// `β` in G2.
	pub beta_g2: E::G2Affine,
	/// `γ` in G2.
	pub gamma_g2: E::G2Affine,
	/// `δ` in G2.
	pub delta_g2: E::G2Affine,
	/// The public inputs' bases, `γ⁻¹(β·u_i + α·v_i + w_i)`; one more than the public inputs.
	pub gamma_abc_g1: Vec<E::G1Affine>,
}

/// A Groth16 proof (the layout of `ark_groth16::Proof`).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof<E: Pairing> {
	/// `A` in G1.
	pub a: E::G1Affine,
	/// `B` in G2.
	pub b: E::G2Affine,
	/// `C` in G1.
	pub c: E::G1Affine,
}

/// Why a key or a proof was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
	/// The key does not decode: wrong length, a point off the curve or outside the prime-order
	/// subgroup, no public-input base, or trailing bytes.
	MalformedKey,
	/// The proof does not decode: wrong length, a point off the curve or outside the
	/// prime-order subgroup, or trailing bytes.
	MalformedProof,
	/// The key is for another number of public inputs than the input and output give.
	WrongPublicInputCount,
	/// The proof is well formed and does not verify: another input, output or model.
	ProofRejected,
}

impl<E: Pairing> VerifyingKey<E> {
	/// Decodes a compressed key from an untrusted source, checking every point.
	pub fn decode(bytes: &[u8]) -> Result<Self, VerifyError> {
		let key: Self = decode_exact(bytes, Compress::Yes, Validate::Yes).ok_or(VerifyError::MalformedKey)?;
		if key.gamma_abc_g1.is_empty() {
			return Err(VerifyError::MalformedKey);
		}
		Ok(key)
	}

	/// The compressed encoding, as [`Self::decode`] reads it.
	pub fn encode(&self) -> Vec<u8> {
		serialize(self, Compress::Yes)
	}

	/// How many public inputs the key verifies.
	pub fn public_inputs(&self) -> usize {
		self.gamma_abc_g1.len().saturating_sub(1)
	}
}

/// A verifying key made ready for many verifications: `e(α, β)` computed once, `γ` and `δ`
/// negated, the public-input bases as they are (the layout of `ark_groth16`'s prepared key).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PreparedKey<E: Pairing> {
	/// `e(α, β)`, the side of the check that does not depend on the proof.
	pub alpha_beta: PairingOutput<E>,
	/// `−γ` in G2.
	pub gamma_neg_g2: E::G2Affine,
	/// `−δ` in G2.
	pub delta_neg_g2: E::G2Affine,
	/// The public inputs' bases.
	pub gamma_abc_g1: Vec<E::G1Affine>,
}

impl<E: Pairing> PreparedKey<E> {
	/// Prepares a (checked) key: one pairing.
	pub fn new(key: &VerifyingKey<E>) -> Self {
		Self {
			alpha_beta: E::pairing(key.alpha_g1, key.beta_g2),
			gamma_neg_g2: (-key.gamma_g2.into_group()).into_affine(),
			delta_neg_g2: (-key.delta_g2.into_group()).into_affine(),
			gamma_abc_g1: key.gamma_abc_g1.clone(),
		}
	}

	/// The uncompressed encoding, decoded without square roots by [`Self::decode_trusted`].
	pub fn encode_trusted(&self) -> Vec<u8> {
		serialize(self, Compress::No)
	}

	/// Decodes what [`Self::encode_trusted`] wrote, **without checking the points**: only for
	/// bytes written from a key [`VerifyingKey::decode`] accepted (the runtime stores keys so,
	/// to spare every verification the curve and subgroup checks).
	pub fn decode_trusted(bytes: &[u8]) -> Result<Self, VerifyError> {
		decode_exact(bytes, Compress::No, Validate::No).ok_or(VerifyError::MalformedKey)
	}

	/// How many public inputs the key verifies.
	pub fn public_inputs(&self) -> usize {
		self.gamma_abc_g1.len().saturating_sub(1)
	}
}

impl<E: Pairing> Proof<E> {
	/// Decodes a proof from an untrusted source (uncompressed, [`PROOF_LEN`] bytes), checking
	/// that every point is on its curve and in the prime-order subgroup, and that the bytes are
	/// the proof's one canonical encoding.
	///
	/// Arkworks' BLS12-381 decoding of an uncompressed point checks its subgroup *assuming* it
	/// is on the curve, so the points are decoded unchecked and then checked for both
	/// (`Valid::check`, once).
	pub fn decode(bytes: &[u8]) -> Result<Self, VerifyError> {
		let proof: Self = decode_exact(bytes, Compress::No, Validate::No).ok_or(VerifyError::MalformedProof)?;
		proof.check().map_err(|_| VerifyError::MalformedProof)?;
		(proof.encode() == bytes).then_some(proof).ok_or(VerifyError::MalformedProof)
	}

	/// The encoding [`Self::decode`] reads.
	pub fn encode(&self) -> Vec<u8> {
		serialize(self, Compress::No)
	}
}

/// Arkworks' canonical encoding of `value`, compressed or not.
pub(crate) fn serialize<T: CanonicalSerialize>(value: &T, compress: Compress) -> Vec<u8> {
	let mut out = Vec::with_capacity(value.serialized_size(compress));
	value.serialize_with_mode(&mut out, compress).expect("writing to a Vec cannot fail");
	out
}

/// Decodes `T` from exactly `bytes` (no byte left over).
pub(crate) fn decode_exact<T: CanonicalDeserialize>(mut bytes: &[u8], compress: Compress, validate: Validate) -> Option<T> {
	let value = T::deserialize_with_mode(&mut bytes, compress, validate).ok()?;
	bytes.is_empty().then_some(value)
}

/// Packs bytes little-endian, [`BYTES_PER_ELEMENT`] to a field element.
pub fn pack<F: PrimeField>(bytes: &[u8]) -> Vec<F> {
	bytes.chunks(BYTES_PER_ELEMENT).map(F::from_le_bytes_mod_order).collect()
}

/// The public inputs of `output = model(input)`: the packed input bytes, then the packed output
/// bytes.
pub fn public_inputs<F: PrimeField>(input: &[u8], output: &[u8]) -> Vec<F> {
	let mut inputs = pack::<F>(input);
	inputs.extend(pack::<F>(output));
	inputs
}

/// How many public inputs an input and an output of these lengths make.
pub const fn public_input_count(input_len: usize, output_len: usize) -> usize {
	input_len.div_ceil(BYTES_PER_ELEMENT) + output_len.div_ceil(BYTES_PER_ELEMENT)
}

/// Checks `proof` against `key` for `output = model(input)`: one multi-Miller loop of three
/// pairs and one final exponentiation, `e(A, B) · e(Σ xᵢ·ICᵢ, −γ) · e(C, −δ) = e(α, β)`.
/// Packing ignores trailing zero bytes, so the caller checks that `input` and `output` have the
/// exact lengths the key was made for (the model's size limits), as the runtime does.
pub fn verify<E: Pairing>(
	key: &PreparedKey<E>,
	input: &[u8],
	output: &[u8],
	proof: &Proof<E>,
) -> Result<(), VerifyError> {
	let inputs: Vec<E::ScalarField> = public_inputs(input, output);
	if key.gamma_abc_g1.len() != inputs.len() + 1 {
		return Err(VerifyError::WrongPublicInputCount);
	}
	let weighted = E::G1::msm(&key.gamma_abc_g1[1..], &inputs).map_err(|_| VerifyError::WrongPublicInputCount)?;
	let prepared_inputs = (weighted + key.gamma_abc_g1[0]).into_affine();
	let product = E::multi_miller_loop(
		[proof.a, prepared_inputs, proof.c],
		[proof.b, key.gamma_neg_g2, key.delta_neg_g2],
	);
	match E::final_exponentiation(product) {
		Some(result) if result == key.alpha_beta => Ok(()),
		_ => Err(VerifyError::ProofRejected),
	}
}
