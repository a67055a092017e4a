//! Offline verification of a result's evidence: what `verity verify` runs.
//!
//! The input is a gateway's answer (the JSON body of a paid inference): the job, the model, the
//! input and output with their hashes, the genesis hash and the evidence. The check is the
//! runtime's own: the [`ResultStatement`] is rebuilt from those fields, then
//! - signed tier: the statement's signature by the executor's registered key;
//! - tee tier: the statement's signature by the executor's attested enclave key (the chain
//!   verified the enclave's quote when the key was registered, and any per-job quote when it
//!   accepted the result);
//! - zk tier: the Groth16 proof of `output = model(input)` against the model's verifying key,
//!   with input and output of exactly the lengths the key was registered for.
//!
//! The keys come from the chain, or from the caller when there is no node to ask.

use ark_bls12_381::Bls12_381;
use serde_json::Value;
use sp_core::H256;
use verity_primitives::inference::{ExecutorSignature, JobId, ResultStatement, SigningKey};
use verity_zkml::verifier::{self, PreparedKey, Proof};

/// Why evidence does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
	/// A field is missing or malformed.
	#[error("the answer's `{0}` is missing or malformed")]
	Field(&'static str),
	/// `outputHash` is not BLAKE2-256 of `output` (or `inputHash` of `input`).
	#[error("`{0}` is not the BLAKE2-256 of the {1}: the {1} was changed")]
	HashMismatch(&'static str, &'static str),
	/// The signature does not verify against the executor's key.
	#[error("the signature does not verify against the executor's signing key {0}")]
	BadSignature(String),
	/// The proof does not verify against the model's key.
	#[error("the zk proof does not verify against the model's verifying key: {0}")]
	BadProof(String),
	/// The input or output is not the exact length the model's key verifies. Packing ignores
	/// trailing zero bytes, so a proof alone would also cover a padded or truncated output.
	#[error("the {0} is {1} bytes; the model's verifying key covers exactly {2}")]
	WrongLength(&'static str, usize, usize),
	/// The tier's evidence cannot be checked here yet.
	#[error("{0} evidence cannot be checked offline yet")]
	Unsupported(String),
}

/// What a verified answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
	/// The tier whose evidence held.
	pub tier: String,
	/// The statement it covers.
	pub statement: ResultStatement,
}

/// The keys the evidence is checked against.
#[derive(Default)]
pub struct Keys {
	/// The executor's registered signing key (signed tier).
	pub signing_key: Option<SigningKey>,
	/// The executor's attested enclave signing key (tee tier).
	pub enclave_key: Option<SigningKey>,
	/// The model's verifying key (zk tier).
	pub zk_key: Option<PreparedKey<Bls12_381>>,
	/// The exact input and output lengths the key verifies: the model's size limits (zk tier).
	pub zk_lengths: Option<(usize, usize)>,
}

fn bytes(answer: &Value, field: &'static str) -> Result<Vec<u8>, VerifyError> {
	let text = answer.get(field).and_then(Value::as_str).ok_or(VerifyError::Field(field))?;
	verity_x402::parse_hex(text).ok_or(VerifyError::Field(field))
}

fn hash(answer: &Value, field: &'static str) -> Result<H256, VerifyError> {
	let text = answer.get(field).and_then(Value::as_str).ok_or(VerifyError::Field(field))?;
	verity_x402::parse_hex32(text).map(H256).ok_or(VerifyError::Field(field))
}

/// The statement the answer's evidence must cover, after checking the hashes it carries.
pub fn statement(answer: &Value) -> Result<ResultStatement, VerifyError> {
	let output = bytes(answer, "output")?;
	let output_hash = hash(answer, "outputHash")?;
	if H256(sp_crypto_hashing::blake2_256(&output)) != output_hash {
		return Err(VerifyError::HashMismatch("outputHash", "output"));
	}
	let input_hash = hash(answer, "inputHash")?;
	if let Ok(input) = bytes(answer, "input") {
		if H256(sp_crypto_hashing::blake2_256(&input)) != input_hash {
			return Err(VerifyError::HashMismatch("inputHash", "input"));
		}
	}
	let job_id: JobId = answer
		.get("jobId")
		.and_then(Value::as_str)
		.and_then(|id| id.parse().ok())
		.ok_or(VerifyError::Field("jobId"))?;
	Ok(ResultStatement {
		genesis_hash: hash(answer, "genesisHash")?,
		job_id,
		model_id: hash(answer, "model")?,
		input_hash,
		output_hash,
	})
}

/// The evidence's signature, from its JSON form (`{"sr25519": "0x…"}` or `{"ed25519": "0x…"}`).
fn signature(evidence: &Value) -> Result<ExecutorSignature, VerifyError> {
	let signature = evidence.get("signature").ok_or(VerifyError::Field("evidence.signature"))?;
	let decode = |text: &Value| -> Option<[u8; 64]> {
		verity_x402::parse_hex(text.as_str()?)?.try_into().ok()
	};
	if let Some(bytes) = signature.get("sr25519").and_then(decode) {
		return Ok(ExecutorSignature::Sr25519(sp_core::sr25519::Signature::from_raw(bytes)));
	}
	if let Some(bytes) = signature.get("ed25519").and_then(decode) {
		return Ok(ExecutorSignature::Ed25519(sp_core::ed25519::Signature::from_raw(bytes)));
	}
	Err(VerifyError::Field("evidence.signature"))
}

/// Checks a gateway answer's evidence against `keys`.
pub fn verify(answer: &Value, keys: &Keys) -> Result<Verified, VerifyError> {
	let statement = statement(answer)?;
	let evidence = answer.get("evidence").ok_or(VerifyError::Field("evidence"))?;
	let tier = evidence.get("tier").and_then(Value::as_str).ok_or(VerifyError::Field("evidence.tier"))?;
	match tier {
		"signed" | "tee" => {
			let key = if tier == "signed" { &keys.signing_key } else { &keys.enclave_key };
			let key = key.as_ref().ok_or(VerifyError::Field("the executor's signing key"))?;
			if !key.verify(&statement.signing_payload(), &signature(evidence)?) {
				return Err(VerifyError::BadSignature(format!("{key:?}")));
			}
		},
		"zk" => {
			let key = keys.zk_key.as_ref().ok_or(VerifyError::Field("the model's verifying key"))?;
			let (input_len, output_len) = keys.zk_lengths.ok_or(VerifyError::Field("the model's input and output lengths"))?;
			let input = bytes(answer, "input")?;
			let output = bytes(answer, "output")?;
			if input.len() != input_len {
				return Err(VerifyError::WrongLength("input", input.len(), input_len));
			}
			if output.len() != output_len {
				return Err(VerifyError::WrongLength("output", output.len(), output_len));
			}
			let proof = Proof::<Bls12_381>::decode(&bytes(evidence, "proof")?)
				.map_err(|e| VerifyError::BadProof(format!("{e:?}")))?;
			verifier::verify(key, &input, &output, &proof).map_err(|e| VerifyError::BadProof(format!("{e:?}")))?;
		},
		other => return Err(VerifyError::Unsupported(other.to_string())),
	}
	Ok(Verified { tier: tier.to_string(), statement })
}
