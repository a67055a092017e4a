//! `verity`: the Verity command line. See `docs/gateway.md`.
//!
//! ```text
//! verity pay http://127.0.0.1:8402/v1/models/digits-mlp/infer --input-hex 0x… --key //Bob
//! verity job status 3
//! verity job watch 3
//! verity verify answer.json                # the evidence, checked as the runtime did
//! ```

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::json;
use sp_core::{sr25519, Pair};
use verity_client::{
	chain::Chain,
	pay::{http_client, pay, PayError},
};
use verity_primitives::inference::{JobId, JobStatus};

#[derive(Parser)]
#[command(version, about = "The Verity command line: pay for verified inferences, follow jobs")]
struct Cli {
	/// The node's WebSocket RPC.
	#[arg(long, global = true, env = "VERITY_NODE_URL", default_value = "ws://127.0.0.1:9944")]
	node_url: String,
	/// Print JSON instead of text.
	#[arg(long, global = true)]
	json: bool,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Pays for a resource behind an x402 gateway and prints the answer and the receipt.
	Pay {
		/// The resource, e.g. `http://127.0.0.1:8402/v1/models/digits-mlp/infer`.
		url: String,
		/// The input as text.
		#[arg(long, group = "payload")]
		input: Option<String>,
		/// The input as 0x hex bytes.
		#[arg(long, group = "payload")]
		input_hex: Option<String>,
		/// The tier: signed, tee or zk.
		#[arg(long, default_value = "signed")]
		tier: String,
		/// The payer's key: a secret URI (`//Bob`), a mnemonic or a 0x seed.
		#[arg(long, env = "VERITY_KEY", hide_env_values = true)]
		key: String,
		/// Pay only an offer in this asset (`native`, or an asset id).
		#[arg(long)]
		asset: Option<String>,
	},
	/// Checks a paid inference's evidence, as the runtime did: the signature (signed tier) or
	/// the zk proof (zk tier) over the result statement rebuilt from the answer.
	Verify {
		/// The answer: the gateway's JSON body, or the output of `verity pay --json`.
		answer: std::path::PathBuf,
		/// The executor's sr25519 signing key (0x hex), instead of asking the node.
		#[arg(long)]
		signing_key: Option<String>,
		/// The model's verifying key file (compressed, as `verity-zkml keygen` writes it), instead
		/// of asking the node.
		#[arg(long)]
		verifying_key: Option<std::path::PathBuf>,
	},
	/// Jobs on chain.
	Job {
		#[command(subcommand)]
		command: JobCommand,
	},
}

#[derive(Subcommand)]
enum JobCommand {
	/// A job's state now.
	Status { job: JobId },
	/// Follows a job until it is closed.
	Watch { job: JobId },
}

fn key(suri: &str) -> anyhow::Result<sr25519::Pair> {
	sr25519::Pair::from_string(suri, None).map_err(|e| anyhow::anyhow!("invalid key {suri:?}: {e:?} (give a secret URI such as //Bob, a mnemonic or a 0x seed)"))
}

#[tokio::main]
async fn main() {
	let cli = Cli::parse();
	if let Err(e) = run(cli).await {
		eprintln!("error: {e:#}");
		std::process::exit(1);
	}
}

async fn run(cli: Cli) -> anyhow::Result<()> {
	match cli.command {
		Command::Pay { url, input, input_hex, tier, key: suri, asset } => {
			let payer = key(&suri)?;
			let mut body = json!({ "tier": tier });
			match (input, input_hex) {
				(Some(text), _) => body["input"] = json!(text),
				(_, Some(hex)) => body["inputHex"] = json!(hex),
				_ => anyhow::bail!("give the input: --input TEXT or --input-hex 0x…"),
			}
			let http = http_client()?;
			match pay(&http, &url, &body, &payer, asset.as_deref(), None, Duration::from_secs(600)).await {
				Ok(paid) => {
					if cli.json {
						println!("{}", json!({ "offer": paid.offer, "result": paid.body, "receipt": paid.receipt }));
					} else {
						println!("paid {} {} to {}", paid.offer.amount, paid.offer.asset, paid.offer.pay_to);
						if let Some(receipt) = &paid.receipt {
							println!("receipt: transaction {} in block {}", receipt.transaction, receipt.block_hash.as_deref().unwrap_or("?"));
						}
						println!("{}", serde_json::to_string_pretty(&paid.body)?);
					}
					Ok(())
				},
				Err(PayError::Refused { reason, body }) if cli.json => {
					println!("{}", json!({ "errorReason": reason, "answer": body }));
					std::process::exit(2)
				},
				Err(e) => Err(e.into()),
			}
		},
		Command::Verify { answer, signing_key, verifying_key } => {
			let text = std::fs::read_to_string(&answer).with_context(|| format!("reading {}", answer.display()))?;
			let mut answer: serde_json::Value =
				serde_json::from_str(&text).with_context(|| format!("{} is not JSON", answer.display()))?;
			if let Some(result) = answer.get("result") {
				answer = result.clone();
			}
			let keys = verification_keys(&cli.node_url, &answer, signing_key, verifying_key).await?;
			let verified = verity_client::verify::verify(&answer, &keys)?;
			if cli.json {
				println!("{}", json!({ "valid": true, "tier": verified.tier, "job": verified.statement.job_id.to_string() }));
			} else {
				println!(
					"valid: the {} evidence of job {} covers output {:?} of model {:?} on input {:?}",
					verified.tier,
					verified.statement.job_id,
					verified.statement.output_hash,
					verified.statement.model_id,
					verified.statement.input_hash
				);
			}
			Ok(())
		},
		Command::Job { command } => {
			let chain = Chain::connect(&cli.node_url).await?;
			match command {
				JobCommand::Status { job } => print_job(&chain, job, cli.json).await.map(|_| ()),
				JobCommand::Watch { job } => loop {
					let status = print_job(&chain, job, cli.json).await?;
					if !matches!(status, JobStatus::Assigned | JobStatus::Running) {
						return Ok(());
					}
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
			}
		},
	}
}

/// The keys to check `answer` against: the ones given, else the chain's.
async fn verification_keys(
	node_url: &str,
	answer: &serde_json::Value,
	signing_key: Option<String>,
	verifying_key: Option<std::path::PathBuf>,
) -> anyhow::Result<verity_client::verify::Keys> {
	use verity_primitives::inference::SigningKey;
	let tier = answer["evidence"]["tier"].as_str().unwrap_or_default();
	let mut keys = verity_client::verify::Keys::default();
	match (tier, signing_key, verifying_key) {
		("signed", Some(key), _) => {
			let bytes = verity_x402::parse_hex32(&key).context("--signing-key is not 32 bytes of 0x hex")?;
			keys.signing_key = Some(SigningKey::Sr25519(sp_core::sr25519::Public::from_raw(bytes)));
		},
		("zk", _, Some(path)) => {
			let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
			let key = verity_zkml::verifier::VerifyingKey::decode(&bytes)
				.map_err(|e| anyhow::anyhow!("{} is not a verifying key: {e:?}", path.display()))?;
			keys.zk_key = Some(verity_zkml::verifier::PreparedKey::new(&key));
		},
		("signed", None, _) => {
			let executor = verity_x402::parse_account(answer["executor"].as_str().unwrap_or_default())
				.map_err(|_| anyhow::anyhow!("the answer's `executor` is not an account"))?;
			let chain = Chain::connect(node_url).await.context("no --signing-key given, so the node is asked")?;
			let registration = chain
				.registration(&executor)
				.await?
				.context("the executor is not registered on chain: give its key with --signing-key")?;
			keys.signing_key = Some(registration.signing_key);
		},
		("zk", _, None) => {
			let model = verity_client::verify::statement(answer)?.model_id;
			let chain = Chain::connect(node_url).await.context("no --verifying-key given, so the node is asked")?;
			keys.zk_key =
				Some(chain.zk_key(model).await?.context("the model has no verifying key on chain: give it with --verifying-key")?);
		},
		_ => {},
	}
	Ok(keys)
}

async fn print_job(chain: &Chain, job: JobId, json: bool) -> anyhow::Result<JobStatus> {
	let summary = chain
		.job(job)
		.await?
		.with_context(|| format!("no job {job} on chain (never submitted, or pruned after it closed)"))?;
	if json {
		println!(
			"{}",
			json!({
				"job": job.to_string(),
				"status": format!("{:?}", summary.status),
				"model": format!("{:?}", summary.model),
				"tier": format!("{:?}", summary.mode),
				"executor": verity_x402::format_account(&summary.executor),
				"price": summary.price.to_string(),
				"escrow": summary.escrow.to_string(),
				"outputHash": summary.output_hash.map(|h| format!("{h:?}")),
				"deadline": summary.deadline,
			})
		);
	} else {
		println!(
			"job {job}: {:?} ({:?} tier), executor {}, escrow {}, deadline block {}",
			summary.status,
			summary.mode,
			verity_x402::format_account(&summary.executor),
			summary.escrow,
			summary.deadline
		);
	}
	Ok(summary.status)
}
