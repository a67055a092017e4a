//! Submits one job to a Verity node and prints its result: a developer's check that the chain,
//! its executor and the result's evidence work end to end.
//!
//! ```text
//! job digits-mlp --digit 3                 # a held-out digit of the vendored data set
//! job digits-mlp --digit 3 --tier zk       # the same, proved (Groth16) and verified on chain
//! job digits-mlp --digit 3 --tier tee      # the same, signed by an attested enclave key
//! job all-minilm-l6-v2 --text "A man is eating food."
//! job digits-mlp --hex 0x0007...           # raw input bytes
//! ```
//!
//! The model is named by its folder in the models directory; its id is the SHA-256 of the
//! weights file there, as on chain.

use std::{path::PathBuf, time::{Duration, Instant}};

use anyhow::{bail, Context};
use clap::Parser;
use sp_core::{sr25519, Pair};
use verity_executor::{
	chain::{AccountKey, Call, Chain, SubmitError},
	engine::{default_models_dir, embedding_from_bytes, folder_model_id},
};
use verity_primitives::inference::{JobInput, JobSpec, VerificationMode};

#[derive(Parser)]
struct Args {
	/// The model's folder in the models directory (`digits-mlp`, `all-minilm-l6-v2`).
	model: String,
	/// Input: the held-out digit with this index (digits-mlp).
	#[arg(long, group = "input")]
	digit: Option<usize>,
	/// Input: text (all-minilm-l6-v2).
	#[arg(long, group = "input")]
	text: Option<String>,
	/// Input: raw bytes in hex.
	#[arg(long, group = "input")]
	hex: Option<String>,
	#[arg(long, env = "VERITY_NODE_URL", default_value = "ws://127.0.0.1:9944")]
	node_url: String,
	/// Who pays.
	#[arg(long, default_value = "//Bob")]
	payer: String,
	/// The tier: `signed`, `tee` or `zk`.
	#[arg(long, default_value = "signed", value_parser = ["signed", "tee", "zk"])]
	tier: String,
	/// Most paid to the executor, in the smallest unit (default: the highest fee among the
	/// executors eligible now, from the chain's quote, so that any of them may be drawn).
	#[arg(long)]
	max_fee: Option<u128>,
	/// Blocks until the deadline.
	#[arg(long, default_value_t = 50)]
	deadline_blocks: u32,
	#[arg(long, env = "VERITY_MODELS_DIR")]
	models_dir: Option<PathBuf>,
}

/// A refusal prints as words (`Pallet.Error: its doc line`), never as a backtrace.
#[tokio::main]
async fn main() -> std::process::ExitCode {
	match run(Args::parse()).await {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error:#}");
			std::process::ExitCode::FAILURE
		},
	}
}

async fn run(args: Args) -> anyhow::Result<()> {
	let models_dir = args.models_dir.clone().unwrap_or_else(default_models_dir);
	let model = folder_model_id(&models_dir.join(&args.model))?;
	let input = match (&args.digit, &args.text, &args.hex) {
		(Some(index), _, _) => {
			let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
			let sample = held_out.get(*index).context("no such held-out digit")?;
			println!("digit #{index}: label {}", sample.label);
			sample.input_bytes()
		},
		(_, Some(text), _) => text.as_bytes().to_vec(),
		(_, _, Some(hex)) => hex::decode(hex.trim_start_matches("0x"))?,
		_ => bail!("give an input: --digit, --text or --hex"),
	};

	let chain = Chain::connect(&args.node_url).await?;
	let payer = AccountKey(sr25519::Pair::from_string(&args.payer, None).map_err(|e| anyhow::anyhow!("{e:?}"))?);
	let mode = match args.tier.as_str() {
		"zk" => VerificationMode::Zk,
		"tee" => VerificationMode::Tee,
		_ => VerificationMode::Signed,
	};
	let Some(quote) = chain.quote(model, mode).await? else {
		bail!("{} is not offered at the {} tier", args.model, args.tier)
	};
	let max_fee = match args.max_fee {
		Some(max_fee) => max_fee,
		None if quote.eligible_executors > 0 => quote.max_executor_fee,
		None => bail!("no executor can take {} at the {} tier now: none serves it, or all are busy", args.model, args.tier),
	};
	let spec = JobSpec {
		model,
		mode,
		input: JobInput::Inline(input.try_into().map_err(|_| anyhow::anyhow!("input too large"))?),
		max_price: quote.price,
		max_fee,
		deadline: chain.best_number().await? + args.deadline_blocks,
	};
	let started = Instant::now();
	let submitted = match chain.submit_one(Call::submit_jobs(&[spec]), &payer).await {
		Ok(submitted) => submitted,
		Err(SubmitError::Refused(refusal)) => bail!("the chain refused the job: {}", chain.explain_error(&refusal.error).await),
		Err(error) => return Err(error.into()),
	};
	let job = submitted.job().context("the transaction was included without submitting a job")?;
	println!("job {job} submitted in block {:?} (model {model:?})", submitted.block);

	let summary = loop {
		let summary = chain.job(job).await?.context("job disappeared")?;
		if !summary.status.is_open() {
			break summary;
		}
		if started.elapsed() > Duration::from_secs(args.deadline_blocks as u64 * 7) {
			bail!("job {job} still {:?}", summary.status);
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	};
	println!("job {job}: {:?} after {:.2} s", summary.status, started.elapsed().as_secs_f64());
	if summary.status.has_result() {
		let output = chain.result(job).await?.context("no output stored")?.output;
		if let Some(logits) = verity_mlp::logits_from_bytes(&output).filter(|l| l.len() == 10) {
			println!("logits {logits:?} -> digit {}", verity_mlp::argmax(&logits));
		} else if let Some(embedding) = embedding_from_bytes(&output) {
			println!("embedding ({} floats): {:?} ...", embedding.len(), &embedding[..embedding.len().min(6)]);
		}
	}
	Ok(())
}
