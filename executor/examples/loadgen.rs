//! End-to-end load: submits signed-tier jobs from several payers and measures, from the chain's
//! own events, jobs completed per second and the latency from submission to `JobCompleted`.
//! `scripts/bench.sh` runs it against a dev node and an executor.
//!
//! Each payer keeps one transaction in flight (a `submit_jobs` batch). A batch the chain refuses
//! because every executor is at capacity is sent again after 100 ms, so the load adapts to the
//! executors' registered capacity. Latency is measured from just before the accepted batch was
//! signed to the first best block whose events hold the job's
//! `JobCompleted`.

use std::{
	collections::HashMap,
	path::PathBuf,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use clap::Parser;
use sp_core::{sr25519, Pair};
use verity_executor::{
	chain::{AccountKey, Call, Chain, SubmitError},
	engine::{default_models_dir, folder_model_id},
};
use verity_primitives::{
	events::ChainEvent,
	inference::{JobId, JobInput, JobSpec, VerificationMode},
};

#[derive(Parser)]
struct Args {
	/// The model's folder in the models directory.
	#[arg(long, default_value = "digits-mlp")]
	model: String,
	/// Jobs to run in all.
	#[arg(long, default_value_t = 100)]
	jobs: usize,
	/// Jobs per `submit_jobs` transaction.
	#[arg(long, default_value_t = 1)]
	batch: usize,
	/// Paying accounts, each with one transaction in flight.
	#[arg(long, value_delimiter = ',', default_value = "//Bob,//Charlie,//Dave,//Eve")]
	payers: Vec<String>,
	#[arg(long, env = "VERITY_NODE_URL", default_value = "ws://127.0.0.1:9944")]
	node_url: String,
	#[arg(long, env = "VERITY_MODELS_DIR")]
	models_dir: Option<PathBuf>,
	/// Give up after this many seconds.
	#[arg(long, default_value_t = 600)]
	timeout: u64,
}

fn inputs(model: &str, count: usize) -> Vec<Vec<u8>> {
	if model.starts_with("digits") {
		let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
		(0..count).map(|i| held_out[i % held_out.len()].input_bytes()).collect()
	} else {
		(0..count).map(|i| format!("Benchmark sentence number {i} for the sentence encoder.").into_bytes()).collect()
	}
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
	sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
	let args = Args::parse();
	let models_dir = args.models_dir.clone().unwrap_or_else(default_models_dir);
	let model = folder_model_id(&models_dir.join(&args.model))?;
	let chain = Chain::connect(&args.node_url).await?;

	// Completion times, from the chain's events at each new best block.
	let completed: Arc<Mutex<HashMap<JobId, Instant>>> = Arc::default();
	let mut heads = chain.rpc().chain_subscribe_new_heads().await?;
	let watcher = {
		let (chain, completed) = (chain.clone(), completed.clone());
		tokio::spawn(async move {
			// A block's completions are timed when its head is announced; reading its events
			// happens on the side, so a slow read does not delay the next head.
			while let Some(Ok(head)) = heads.next().await {
				let seen = Instant::now();
				let (chain, completed) = (chain.clone(), completed.clone());
				tokio::spawn(async move {
					let Ok(hash) = chain.block_hash(head.number as u32).await else { return };
					let Ok(events) = chain.events_at(hash).await else { return };
					let mut completed = completed.lock().unwrap();
					for (_, event) in events {
						if let ChainEvent::JobCompleted { job } | ChainEvent::ResultProvisional { job } = event {
							completed.entry(job).or_insert(seen);
						}
					}
				});
			}
		})
	};

	let all_inputs = inputs(&args.model, args.jobs);
	let price = chain
		.quote(model, VerificationMode::Signed)
		.await?
		.ok_or_else(|| anyhow::anyhow!("the model is not offered at the signed tier"))?
		.price;
	let per_payer = args.jobs.div_ceil(args.payers.len());
	let start = Instant::now();
	let mut tasks = Vec::new();
	for (index, payer) in args.payers.iter().enumerate() {
		let key = AccountKey(sr25519::Pair::from_string(payer, None).map_err(|e| anyhow::anyhow!("{e:?}"))?);
		let mine: Vec<Vec<u8>> = all_inputs.iter().skip(index * per_payer).take(per_payer).cloned().collect();
		let (chain, batch) = (chain.clone(), args.batch);
		tasks.push(tokio::spawn(async move {
			let mut submitted: Vec<(JobId, Instant)> = Vec::new();
			for inputs in mine.chunks(batch) {
				let deadline = chain.best_number().await? + 1_000;
				let specs: Vec<_> = inputs
					.iter()
					.map(|input| JobSpec {
						model,
						mode: VerificationMode::Signed,
						input: JobInput::Inline(input.clone().try_into().expect("small input")),
						max_price: price,
						max_fee: 1_000_000_000,
						deadline,
					})
					.collect();
				// The chain refuses a batch when the executors are at capacity
				// (`NoEligibleExecutor`): back off and send it again.
				loop {
					let sent = Instant::now();
					let accepted: Vec<JobId> = match chain.submit_one(Call::submit_jobs(&specs), &key).await {
						Ok(submitted) => submitted.events.iter().filter_map(ChainEvent::job).collect(),
						Err(SubmitError::Refused(_)) => Vec::new(),
						Err(error) => return Err(error.into()),
					};
					if accepted.is_empty() {
						tokio::time::sleep(Duration::from_millis(100)).await;
						continue;
					}
					submitted.extend(accepted.into_iter().map(|job| (job, sent)));
					break;
				}
			}
			anyhow::Ok(submitted)
		}));
	}
	let mut submitted = Vec::new();
	for task in tasks {
		submitted.extend(task.await??);
	}
	println!("submitted {} jobs in {:.1} s", submitted.len(), start.elapsed().as_secs_f64());

	let deadline = start + Duration::from_secs(args.timeout);
	loop {
		let done = submitted.iter().filter(|(job, _)| completed.lock().unwrap().contains_key(job)).count();
		if done == submitted.len() || Instant::now() > deadline {
			break;
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
	watcher.abort();
	let completed = completed.lock().unwrap();
	let mut latencies: Vec<f64> = submitted
		.iter()
		.filter_map(|(job, sent)| completed.get(job).map(|done| done.duration_since(*sent).as_secs_f64()))
		.collect();
	anyhow::ensure!(!latencies.is_empty(), "no job completed");
	latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
	let last = submitted.iter().filter_map(|(job, _)| completed.get(job)).max().unwrap();
	let elapsed = last.duration_since(start).as_secs_f64();
	println!(
		"model={} jobs={} completed={} elapsed_s={:.2} jobs_per_s={:.2} p50_s={:.3} p95_s={:.3}",
		args.model,
		submitted.len(),
		latencies.len(),
		elapsed,
		latencies.len() as f64 / elapsed,
		percentile(&latencies, 0.50),
		percentile(&latencies, 0.95),
	);
	Ok(())
}
