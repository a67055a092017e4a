//! The web page at `/` and the read-only JSON it is drawn from:
//!
//! - `GET /v1/models`: the models on chain, their names here and each tier's quote;
//! - `GET /v1/stats`: the chain's tier statistics (`InferenceApi::tier_stats`), with its counts
//!   of challenges and their outcomes;
//! - `GET /v1/jobs`: the jobs completed lately, newest first, each in the form `verity verify`
//!   checks; `GET /v1/jobs/{id}` one of them, with the gateway's own check of its evidence;
//! - `POST /dev/pay`: on a development chain only, a paid inference for the page's form, paid
//!   by a dev account through this gateway's own x402 flow.

use std::{
	collections::VecDeque,
	sync::{Arc, Mutex},
	time::Duration,
};

use axum::{
	extract::{Path, State},
	http::StatusCode,
	response::{Html, IntoResponse, Response},
	Json,
};
use serde::Deserialize;
use serde_json::{json, Value};
use sp_core::{sr25519, Pair};
use sp_core::H256;
use verity_client::{
	answer::{hex0x, tier_name},
	chain::{Chain, Event},
	follow::Follower,
	verify::verify,
};
use verity_primitives::{
	events::ChainEvent,
	inference::{JobId, VerificationMode},
};
use verity_x402::{format_account, format_asset, parse_hex32};

use crate::{error, Gateway};

/// Completed jobs the page lists.
const RECENT_JOBS: usize = 100;
/// Samples of the tier statistics the page's charts draw.
const TIER_SAMPLES: usize = 2_000;
/// Blocks looked back at when the gateway starts.
const BACKFILL_BLOCKS: u32 = 200;

/// What the page shows of the chain's recent activity, gathered by
/// [`follow_completed_jobs`].
#[derive(Default)]
pub struct RecentJobs {
	/// Completed jobs as their answers (`verity_client::answer`), newest first.
	jobs: Mutex<VecDeque<Value>>,
	/// The retained tier statistics, sampled whenever they changed.
	tier_samples: Mutex<VecDeque<StatsSample>>,
}

/// The retained tier statistics summed at one time.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct StatsSample {
	/// Unix milliseconds.
	at: u64,
	/// Completed jobs per tier (signed, tee, zk).
	completed: [u32; 3],
	/// Challenges accepted, and those whose result was upheld or overturned, over every tier.
	challenged: u32,
	upheld: u32,
	overturned: u32,
}

impl RecentJobs {
	fn push(&self, answer: Value) {
		let mut jobs = self.jobs.lock().expect("not poisoned");
		if jobs.iter().any(|known| known["jobId"] == answer["jobId"]) {
			return;
		}
		if jobs.len() == RECENT_JOBS {
			jobs.pop_back();
		}
		jobs.push_front(answer);
	}

	fn list(&self) -> Vec<Value> {
		self.jobs.lock().expect("not poisoned").iter().cloned().collect()
	}

	fn get(&self, job: JobId) -> Option<Value> {
		let id = job.to_string();
		self.jobs.lock().expect("not poisoned").iter().find(|answer| answer["jobId"] == id.as_str()).cloned()
	}

	fn sample(&self, sample: StatsSample) {
		let mut samples = self.tier_samples.lock().expect("not poisoned");
		if samples.back().is_some_and(|last| StatsSample { at: sample.at, ..*last } == sample) {
			return;
		}
		if samples.len() == TIER_SAMPLES {
			samples.pop_front();
		}
		samples.push_back(sample);
	}
}

/// Follows the best chain (the gateway's one head subscription): records each job completed
/// in it, and samples the tier statistics at each block (kept when they changed: a challenge
/// changes them without completing a job). At start it looks back
/// [`BACKFILL_BLOCKS`] blocks. Runs until the process ends.
pub async fn follow_completed_jobs(chain: Chain, follower: Follower, recent: Arc<RecentJobs>) {
	let mut heads = follower.heads();
	if let Err(e) = backfill(&chain, &recent).await {
		tracing::warn!("reading recent completed jobs: {e}");
	}
	loop {
		let head = match heads.recv().await {
			Ok(head) => head,
			Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
				tracing::warn!(missed, "the page missed blocks");
				continue;
			},
			Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
		};
		if let Err(e) = record_completed(&chain, &recent, head.hash, &head.events).await {
			tracing::warn!("following completed jobs: {e}");
		}
		if let Err(e) = sample_tier_stats(&chain, &recent).await {
			tracing::warn!("sampling the tier statistics: {e}");
		}
	}
}

/// Records the completed jobs of the last [`BACKFILL_BLOCKS`] blocks, and a first sample.
async fn backfill(chain: &Chain, recent: &RecentJobs) -> anyhow::Result<()> {
	let best = chain.best_number().await?;
	for number in best.saturating_sub(BACKFILL_BLOCKS).max(1)..=best {
		let block = chain.block_hash(number).await?;
		let events = chain.events_at(block).await?;
		record_completed(chain, recent, block, &events).await?;
	}
	sample_tier_stats(chain, recent).await
}

/// Records the jobs `events` of `block` completed.
async fn record_completed(chain: &Chain, recent: &RecentJobs, block: H256, events: &[(Option<u32>, Event)]) -> anyhow::Result<()> {
	let completed: Vec<JobId> = events
		.iter()
		.filter_map(|(_, event)| match event {
			ChainEvent::JobCompleted { job } | ChainEvent::ResultProvisional { job } => Some(*job),
			_ => None,
		})
		.collect();
	for job in completed {
		if let Some(summary) = chain.job_at(job, block).await? {
			recent.push(chain.answer_at(job, &summary, block).await?);
		}
	}
	Ok(())
}

async fn sample_tier_stats(chain: &Chain, recent: &RecentJobs) -> anyhow::Result<()> {
	let (_, entries) = chain.tier_stats().await?;
	let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
	let mut sample = StatsSample { at: now.as_millis() as u64, ..Default::default() };
	for entry in entries {
		let tier = VerificationMode::ALL.iter().position(|mode| *mode == entry.mode).unwrap_or_default();
		let counters = entry.counters;
		sample.completed[tier] = sample.completed[tier].saturating_add(counters.completed);
		sample.challenged = sample.challenged.saturating_add(counters.challenged);
		sample.upheld = sample.upheld.saturating_add(counters.upheld);
		sample.overturned = sample.overturned.saturating_add(counters.overturned);
	}
	recent.sample(sample);
	Ok(())
}

/// `GET /`.
pub async fn index() -> Html<&'static str> {
	Html(include_str!("page.html"))
}

/// `GET /v1/models`.
pub async fn models(State(gateway): State<Arc<Gateway>>) -> Response {
	let models = match gateway.chain.models().await {
		Ok(models) => models,
		Err(e) => return error(StatusCode::BAD_GATEWAY, format!("cannot reach the chain: {e}")),
	};
	let mut listed = Vec::with_capacity(models.len());
	for model in models {
		let id = model.id;
		let mut tiers = serde_json::Map::new();
		for mode in VerificationMode::ALL {
			if let Ok(Some(quote)) = gateway.chain.quote(id, mode).await {
				tiers.insert(
					tier_name(mode).into(),
					json!({
						"price": quote.price.to_string(),
						"maxFee": quote.max_executor_fee.to_string(),
						"eligibleExecutors": quote.eligible_executors,
					}),
				);
			}
		}
		let alias = gateway.settings.aliases.iter().find(|(_, alias_id)| **alias_id == id).map(|(name, _)| name.clone());
		listed.push(json!({
			"id": format!("{id:?}"),
			"name": String::from_utf8_lossy(&model.name),
			"path": alias.unwrap_or_else(|| format!("{id:?}")),
			"asset": format_asset(&model.asset),
			"maxInputLen": model.max_input_len,
			"tiers": tiers,
		}));
	}
	Json(json!({ "models": listed, "devPayers": gateway.settings.dev_payers.keys().collect::<Vec<_>>() })).into_response()
}

/// `GET /v1/stats`: the retained buckets of tier statistics, and the completed jobs per tier
/// and the challenges and their outcomes sampled since the gateway started.
pub async fn stats(State(gateway): State<Arc<Gateway>>) -> Response {
	let samples: Vec<Value> = gateway
		.recent
		.tier_samples
		.lock()
		.expect("not poisoned")
		.iter()
		.map(|sample| {
			let [signed, tee, zk] = sample.completed;
			json!({
				"t": sample.at,
				"signed": signed,
				"tee": tee,
				"zk": zk,
				"challenged": sample.challenged,
				"upheld": sample.upheld,
				"overturned": sample.overturned,
			})
		})
		.collect();
	match gateway.chain.tier_stats().await {
		Ok((bucket_ms, entries)) => Json(json!({
			"samples": samples,
			"bucketMs": bucket_ms,
			"entries": entries.iter().map(|entry| json!({
				"bucket": entry.bucket,
				"tier": tier_name(entry.mode),
				"asset": format_asset(&entry.asset),
				"submitted": entry.counters.submitted,
				"completed": entry.counters.completed,
				"failed": entry.counters.failed,
				"expired": entry.counters.expired,
				"cancelled": entry.counters.cancelled,
				"feesPaid": entry.counters.fees_paid.to_string(),
				"challenged": entry.counters.challenged,
				"upheld": entry.counters.upheld,
				"overturned": entry.counters.overturned,
			})).collect::<Vec<_>>(),
		}))
		.into_response(),
		Err(e) => error(StatusCode::BAD_GATEWAY, format!("cannot reach the chain: {e}")),
	}
}

/// `GET /v1/jobs`.
pub async fn jobs(State(gateway): State<Arc<Gateway>>) -> Json<Value> {
	Json(json!({ "jobs": gateway.recent.list() }))
}

/// `GET /v1/jobs/{id}`: the job's answer and the gateway's check of its evidence against the
/// keys on chain (the same check as `verity verify`).
pub async fn job(State(gateway): State<Arc<Gateway>>, Path(job): Path<JobId>) -> Response {
	let answer = match gateway.recent.get(job) {
		Some(answer) => answer,
		None => match closed_job(&gateway.chain, job).await {
			Ok(Some(answer)) => answer,
			Ok(None) => return error(StatusCode::NOT_FOUND, format!("job {job} is not completed on chain (or was pruned)")),
			Err(e) => return error(StatusCode::BAD_GATEWAY, format!("cannot reach the chain: {e}")),
		},
	};
	// `valid` is null when the evidence cannot be checked (the executor deregistered, say):
	// unverifiable is not invalid.
	let check = match gateway.chain.evidence_keys(&answer).await {
		Ok(keys) => match verify(&answer, &keys) {
			Ok(verified) => json!({ "valid": true, "tier": verified.tier }),
			Err(e) => json!({ "valid": false, "error": e.to_string() }),
		},
		Err(e) => json!({ "valid": null, "error": format!("cannot be checked: {e}") }),
	};
	Json(json!({ "answer": answer, "check": check })).into_response()
}

async fn closed_job(chain: &Chain, job: JobId) -> anyhow::Result<Option<Value>> {
	let block = chain.best_hash().await?;
	match chain.job_at(job, block).await? {
		Some(summary) if summary.status.has_result() => Ok(Some(chain.answer_at(job, &summary, block).await?)),
		_ => Ok(None),
	}
}

/// The form's request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevPay {
	/// The model's path: its name here or its 0x id.
	model: String,
	/// signed, tee or zk.
	tier: String,
	/// The input as text…
	input: Option<String>,
	/// …or as 0x hex bytes.
	input_hex: Option<String>,
	/// The dev account that pays, e.g. `//Bob`.
	payer: String,
}

/// `POST /dev/pay`: the page's form. The dev account's key signs the payment here, in the
/// gateway, and the request goes through this gateway's own x402 flow over HTTP, exactly as an
/// agent's would. Served only on development chains (see `main.rs`).
pub async fn dev_pay(State(gateway): State<Arc<Gateway>>, Json(request): Json<DevPay>) -> Response {
	let Some(payer) = gateway.settings.dev_payers.get(&request.payer).cloned() else {
		return error(
			StatusCode::FORBIDDEN,
			format!("{:?} is not a dev payer of this gateway (start it with --dev-payer on a development chain)", request.payer),
		);
	};
	let http = match verity_client::pay::http_client() {
		Ok(http) => http,
		Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
	};
	// Only a served name or a model id goes into the URL, which the gateway then calls.
	if !gateway.settings.aliases.contains_key(&request.model) && parse_hex32(&request.model).is_none() {
		return error(StatusCode::NOT_FOUND, format!("no model {:?}: name a served model or give its 0x id", request.model));
	}
	let url = format!("{}/v1/models/{}/infer", gateway.settings.public_url, request.model);
	let input_hex = match (request.input, request.input_hex) {
		(Some(text), None) => hex0x(text.as_bytes()),
		(None, Some(hex)) => hex,
		_ => return error(StatusCode::BAD_REQUEST, "give exactly one of input (text) and inputHex"),
	};
	let body = json!({ "tier": request.tier, "inputHex": input_hex });
	let timeout = gateway.settings.job_timeout + Duration::from_secs(30);
	let payer_checks = verity_client::pay::Payer { key: &payer, chain: &gateway.chain, asset: None, max_amount: None };
	match verity_client::pay::pay(&http, &url, &body, &payer_checks, timeout).await {
		Ok(paid) => Json(json!({
			"payer": format_account(&sp_core::crypto::AccountId32::from(payer.public())),
			"offer": paid.offer,
			"answer": paid.body,
			"receipt": paid.receipt,
		}))
		.into_response(),
		Err(e) => error(StatusCode::PAYMENT_REQUIRED, e.to_string()),
	}
}

/// Dev accounts by name (`//Alice` … `//Ferdie`), for `--dev-payer`.
pub fn dev_payer(name: &str) -> Result<(String, sr25519::Pair), String> {
	const DEV_NAMES: [&str; 6] = ["//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie"];
	if !DEV_NAMES.contains(&name) {
		return Err(format!("{name:?} is not a dev account: one of {}", DEV_NAMES.join(", ")));
	}
	let pair = sr25519::Pair::from_string(name, None).map_err(|e| format!("{e:?}"))?;
	Ok((name.to_string(), pair))
}
