//! The JSON form of a completed job: what the gateway answers a paid request with, what
//! `verity infer` prints, and what `verity verify` checks ([`crate::verify`]).
//!
//! Everything in it is read from the chain at one block, so anyone with a node can rebuild it.

use serde_json::{json, Value};
use sp_core::H256;
use verity_primitives::inference::{Evidence, ExecutorSignature, JobId, JobInput, VerificationMode};
use verity_x402::{format_account, format_asset};

use crate::verify::Verified;

use crate::chain::{Chain, Job};

/// The tier's name on the wire: `signed`, `tee` or `zk`.
pub fn tier_name(mode: VerificationMode) -> &'static str {
	match mode {
		VerificationMode::Signed => "signed",
		VerificationMode::Tee => "tee",
		VerificationMode::Zk => "zk",
	}
}

/// The inverse of [`tier_name`].
pub fn parse_tier(tier: &str) -> Option<VerificationMode> {
	VerificationMode::ALL.into_iter().find(|mode| tier_name(*mode) == tier)
}

/// `0x` + lowercase hex.
pub fn hex0x(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// The evidence as JSON, for a verifier that does not decode SCALE.
pub fn evidence_json(evidence: &Evidence) -> Value {
	let signature = |signature: &ExecutorSignature| match signature {
		ExecutorSignature::Sr25519(s) => json!({ "sr25519": hex0x(&s.0) }),
		ExecutorSignature::Ed25519(s) => json!({ "ed25519": hex0x(&s.0) }),
	};
	match evidence {
		Evidence::Signed(s) => json!({ "tier": "signed", "signature": signature(s) }),
		Evidence::Tee { signature: s, quote } =>
			json!({ "tier": "tee", "signature": signature(s), "quote": quote.as_ref().map(|q| hex0x(q)) }),
		Evidence::Zk { proof } => json!({ "tier": "zk", "proof": hex0x(proof) }),
	}
}

impl Chain {
	/// The keys on chain that `answer`'s evidence is checked against: the executor's registered
	/// signing key (signed tier), the model's verifying key and the exact lengths it covers (zk
	/// tier).
	pub async fn evidence_keys(&self, answer: &Value) -> anyhow::Result<crate::verify::Keys> {
		let mut keys = crate::verify::Keys::default();
		match answer["evidence"]["tier"].as_str() {
			Some("signed") => {
				let executor = verity_x402::parse_account(answer["executor"].as_str().unwrap_or_default())
					.map_err(|_| anyhow::anyhow!("the answer's `executor` is not an account"))?;
				let registration = self
					.executor(&executor)
					.await?
					.ok_or_else(|| anyhow::anyhow!("the executor is no longer registered on chain, so its key is unknown"))?;
				keys.signing_key = Some(registration.signing_key);
			},
			Some("tee") => {
				let executor = verity_x402::parse_account(answer["executor"].as_str().unwrap_or_default())
					.map_err(|_| anyhow::anyhow!("the answer's `executor` is not an account"))?;
				let enclave = self.enclave(&executor).await?.ok_or_else(|| {
					anyhow::anyhow!("the executor has no attested enclave on chain now, so its enclave key is unknown")
				})?;
				keys.enclave_key = Some(enclave.keys.signing);
			},
			Some("zk") => {
				let model = crate::verify::statement(answer)?.model_id;
				keys.zk_key = Some(
					self.zk_key(model).await?.ok_or_else(|| anyhow::anyhow!("the model has no verifying key on chain"))?,
				);
				let limits = self.model(model).await?.ok_or_else(|| anyhow::anyhow!("the model is not registered on chain"))?;
				keys.zk_lengths = Some((limits.max_input_len as usize, limits.max_output_len as usize));
			},
			_ => {},
		}
		Ok(keys)
	}

	/// Checks `answer` against this node's chain, taking nothing from whoever served it: the job
	/// it names is on this chain and completed, assigned to the executor it names, for its
	/// model, tier, input hash and output hash; then its evidence against the keys on chain. So
	/// a server that registered a key of its own cannot pass off an answer it made up: the job's
	/// record names the executor the chain drew and the output the chain accepted. The job must
	/// still be on chain (closed jobs are pruned after `RetentionPeriod`, a week on Verity).
	pub async fn check_answer(&self, answer: &Value) -> anyhow::Result<(Verified, Job)> {
		let statement = crate::verify::statement(answer)?;
		let id = statement.job_id;
		anyhow::ensure!(
			statement.genesis_hash == self.genesis_hash(),
			"the answer is for the chain {:?}, not the one the node follows ({:?})",
			statement.genesis_hash,
			self.genesis_hash()
		);
		let job = self
			.job(id)
			.await?
			.ok_or_else(|| anyhow::anyhow!("job {id} is not on chain: never submitted, or pruned after it closed"))?;
		anyhow::ensure!(
			job.status.has_result(),
			"job {id} is {:?} on chain, not Completed (or Provisional)",
			job.status
		);
		anyhow::ensure!(job.model == statement.model_id, "job {id} is for model {:?}, not the answer's", job.model);
		anyhow::ensure!(job.input_hash == statement.input_hash, "job {id} was on another input than the answer's");
		anyhow::ensure!(
			job.output_hash == Some(statement.output_hash),
			"the answer's output is not the one the chain accepted for job {id}"
		);
		let executor = verity_x402::parse_account(answer["executor"].as_str().unwrap_or_default())
			.map_err(|_| anyhow::anyhow!("the answer's `executor` is not an account"))?;
		// A completed job always has its executor.
		let ran = job.executor.as_ref().map(format_account).unwrap_or_default();
		anyhow::ensure!(
			Some(&executor) == job.executor.as_ref(),
			"job {id} was run by {ran}, not by the answer's executor {}",
			format_account(&executor)
		);
		let tier = answer["evidence"]["tier"].as_str().unwrap_or_default();
		anyhow::ensure!(tier == tier_name(job.mode), "job {id} is at the {} tier, and the evidence is {tier:?}", tier_name(job.mode));
		let keys = self.evidence_keys(answer).await?;
		Ok((crate::verify::verify(answer, &keys)?, job))
	}

	/// A closed job as JSON, read at `block`: for a completed job its output, hashes, evidence
	/// and the genesis hash, which is everything [`crate::verify::verify`] needs.
	pub async fn answer_at(&self, job_id: JobId, job: &Job, block: H256) -> anyhow::Result<Value> {
		let (output, evidence) = match self.result_at(job_id, block).await? {
			Some(result) => (Some(result.output), Some(result.evidence)),
			None => (None, None),
		};
		Ok(json!({
			"jobId": job_id.to_string(),
			"status": format!("{:?}", job.status),
			"model": format!("{:?}", job.model),
			"tier": tier_name(job.mode),
			"payer": format_account(&job.payer),
			// None until the block after the job's draws it (and for a job nobody could take).
			"executor": job.executor.as_ref().map(format_account),
			// A referenced input is not on chain: the answer names where it is. A sealed one is
			// confidential: only its commitment (`inputHash`) is shown.
			"input": match &job.input {
				JobInput::Inline(bytes) => json!(hex0x(bytes)),
				JobInput::Reference { .. } | JobInput::Sealed { .. } => Value::Null,
			},
			"inputUri": match &job.input {
				JobInput::Reference { uri, .. } => json!(String::from_utf8_lossy(uri)),
				JobInput::Inline(_) | JobInput::Sealed { .. } => Value::Null,
			},
			"inputHash": format!("{:?}", job.input_hash),
			"output": output.as_deref().map(hex0x),
			"outputHash": job.output_hash.map(|hash| format!("{hash:?}")),
			"genesisHash": format!("{:?}", self.genesis_hash()),
			"asset": format_asset(&job.asset),
			"price": job.price.to_string(),
			"executorFee": job.executor_fee.to_string(),
			// A provisional result is final at the start of this block unless a challenge
			// overturns it first (docs/inference.md, "Challenges"); null once final.
			"provisionalUntil": job.final_at,
			"evidence": evidence.as_ref().map(evidence_json),
			"blockHash": format!("{block:?}"),
		}))
	}
}
