//! `verity`: the Verity command line. See `docs/gateway.md`.
//!
//! ```text
//! verity pay http://127.0.0.1:8402/v1/models/digits-mlp/infer --input-hex 0x… --key //Bob
//! verity infer --model digits-mlp --tier zk --input-hex 0x… --key //Bob   # a direct extrinsic
//! verity models list
//! verity models register --weights model.safetensors --name my-model --format safetensors \
//!     --price signed=1000000000 --key //Alice
//! verity executors list
//! verity executors register --endpoint http://10.0.0.5:8500 --service my-model:signed:1000 \
//!     --stake 1000000000000000 --key //Ferdie
//! verity job status 3
//! verity job watch 3
//! verity verify answer.json                # the evidence, checked as the runtime did
//! ```

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::json;
use sp_core::{sr25519, Pair};
use verity_client::{
	answer::{parse_tier, tier_name},
	chain::{AccountKey, Call, Chain, Job, SubmitError, Submitted},
	follow::Follower,
	pay::{http_client, pay, PayError, Payer},
};
use verity_primitives::{
	inference::{JobId, JobInput, JobSpec, JobStatus, ModelId, TierPrices, VerificationMode, MAX_INLINE_INPUT},
	registry::HardwareClass,
	Balance,
};
use verity_x402::{format_account, format_asset, parse_asset, parse_hex32};

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
	/// Pays for a resource behind an x402 gateway and prints the answer and the receipt. The
	/// offer is checked against the payer's own node (`--node-url`) before it is signed, and the
	/// answer against the chain before it is printed.
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
		/// The most to pay, in the offer's asset's smallest unit. By default twice what the node
		/// (`--node-url`, the payer's own, never the gateway's) quotes for the same job.
		#[arg(long)]
		max_amount: Option<Balance>,
	},
	/// Checks a paid inference's evidence, as the runtime did: the signature (signed tier), the
	/// attested enclave key's signature (tee tier) or the zk proof (zk tier) over the result
	/// statement rebuilt from the answer.
	Verify {
		/// The answer: the gateway's JSON body, or the output of `verity pay --json`.
		answer: std::path::PathBuf,
		/// The executor's sr25519 signing key (0x hex), instead of asking the node.
		#[arg(long)]
		signing_key: Option<String>,
		/// The model's verifying key file (compressed, as `verity-zkml keygen` writes it), instead
		/// of asking the node.
		#[arg(long, requires = "zk_lengths")]
		verifying_key: Option<std::path::PathBuf>,
		/// With `--verifying-key`: the model's input and output lengths in bytes, `IN,OUT` (its
		/// size limits on chain). The key covers exactly these lengths.
		#[arg(long, value_parser = parse_lengths)]
		zk_lengths: Option<(usize, usize)>,
	},
	/// Runs an inference by a direct extrinsic (`inference.submit_jobs`), signed and paid by
	/// `--key`, and waits for its verified result.
	Infer {
		/// The model: its name on chain, or its 0x id.
		#[arg(long)]
		model: String,
		/// The tier: signed, tee or zk.
		#[arg(long, default_value = "signed")]
		tier: String,
		/// The input as text.
		#[arg(long, group = "payload")]
		input: Option<String>,
		/// The input as 0x hex bytes.
		#[arg(long, group = "payload")]
		input_hex: Option<String>,
		/// The payer's key: a secret URI (`//Bob`), a mnemonic or a 0x seed.
		#[arg(long, env = "VERITY_KEY", hide_env_values = true)]
		key: String,
		/// Blocks the executor has to deliver; after that the escrow is refunded.
		#[arg(long, default_value_t = 100)]
		deadline_blocks: u32,
	},
	/// Models on chain.
	Models {
		#[command(subcommand)]
		command: ModelsCommand,
	},
	/// Executors on chain.
	Executors {
		#[command(subcommand)]
		command: ExecutorsCommand,
	},
	/// Jobs on chain.
	Job {
		#[command(subcommand)]
		command: JobCommand,
	},
	/// Challenges a provisional (signed) result, holding the chain's challenge bond from
	/// `--key`: the runtime re-runs the model on the job's input. A wrong result is overturned
	/// (the payer refunded, the executor slashed, you rewarded); a right one costs you the bond
	/// and is final at once.
	Challenge {
		/// The job.
		job: JobId,
		/// The input as 0x hex bytes: only for a job whose input is passed by reference.
		#[arg(long)]
		input_hex: Option<String>,
		/// The challenger's key: it holds the bond.
		#[arg(long, env = "VERITY_KEY", hide_env_values = true)]
		key: String,
	},
}

#[derive(Subcommand)]
enum ModelsCommand {
	/// The registered models, their prices and limits.
	List,
	/// Stores a registered integer MLP's file on chain (its SHA-256 is the model id), so that
	/// the runtime can re-run it and its signed results can be challenged; the deposit is held
	/// from `--key`.
	StoreFile {
		/// The `.vmlp` file.
		#[arg(long)]
		file: PathBuf,
		/// Who stores it and holds its deposit.
		#[arg(long, env = "VERITY_KEY", hide_env_values = true)]
		key: String,
	},
	/// Registers a model; the deposit is held from `--key`, which becomes its owner.
	Register {
		/// The weights file: the model's id is its SHA-256, as executors compute it.
		#[arg(long, group = "model_id")]
		weights: Option<PathBuf>,
		/// The model's id (0x + 32 bytes), instead of `--weights`.
		#[arg(long, group = "model_id")]
		id: Option<String>,
		/// Human-readable name.
		#[arg(long)]
		name: String,
		/// Format of the weights: `safetensors` or `verity-int8-mlp`.
		#[arg(long)]
		format: String,
		/// Largest input, in bytes.
		#[arg(long, default_value_t = MAX_INLINE_INPUT)]
		max_input: u32,
		/// Largest output, in bytes.
		#[arg(long, default_value_t = 4096)]
		max_output: u32,
		/// The asset jobs are paid in: `native` or an asset id.
		#[arg(long, default_value = "native")]
		asset: String,
		/// A tier's price, `TIER=AMOUNT` in the asset's smallest unit; repeat for each tier offered.
		#[arg(long = "price", required = true)]
		prices: Vec<String>,
		/// The owner's share of each job's price, in percent.
		#[arg(long, default_value_t = 0)]
		royalty_percent: u32,
		/// The owner's key.
		#[arg(long, env = "VERITY_KEY", hide_env_values = true)]
		key: String,
	},
	/// Prices a model in another asset than its own, so jobs can be paid in it (executors'
	/// fees convert at the ratio of the prices); without `--price`, stops accepting the asset.
	Price {
		/// The model: its name on chain, or its 0x id.
		#[arg(long)]
		model: String,
		/// The other asset: an asset id (`1` is the stable asset on dev chains).
		#[arg(long)]
		asset: String,
		/// A tier's price in that asset, `TIER=AMOUNT`; repeat for each tier.
		#[arg(long = "price")]
		prices: Vec<String>,
		/// The owner's key.
		#[arg(long, env = "VERITY_KEY", hide_env_values = true)]
		key: String,
	},
}

#[derive(Subcommand)]
enum ExecutorsCommand {
	/// The registered executors: stake, services, capacity, record.
	List,
	/// Registers `--key` as an executor; its stake is bonded and it signs signed-tier results.
	Register {
		/// The executor's public HTTP endpoint (its health and metrics).
		#[arg(long)]
		endpoint: String,
		/// A service, `MODEL:TIER:FEE` (model by name or 0x id, fee per job in the model's
		/// asset); repeat for each.
		#[arg(long = "service", required = true)]
		services: Vec<String>,
		/// The executor runs models on a GPU.
		#[arg(long)]
		gpu: bool,
		/// Jobs it runs at once.
		#[arg(long, default_value_t = 4)]
		capacity: u32,
		/// Stake to bond, in the native token's smallest unit.
		#[arg(long)]
		stake: Balance,
		/// The executor's key.
		#[arg(long, env = "VERITY_KEY", hide_env_values = true)]
		key: String,
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

fn prices_json(prices: &TierPrices) -> serde_json::Map<String, serde_json::Value> {
	prices.offered().map(|(mode, price)| (tier_name(mode).to_string(), json!(price.to_string()))).collect()
}

fn prices_text(prices: &TierPrices) -> String {
	prices.offered().map(|(mode, price)| format!("{}={price}", tier_name(mode))).collect::<Vec<_>>().join(" ")
}

/// Tier prices from `TIER=AMOUNT` arguments.
fn parse_prices(prices: &[String]) -> anyhow::Result<TierPrices> {
	let mut tier_prices = TierPrices::default();
	for price in prices {
		let (tier_arg, amount) = price.split_once('=').with_context(|| format!("--price {price:?}: write TIER=AMOUNT"))?;
		let amount: Balance = amount.parse().with_context(|| format!("--price {price:?}: the amount is not a whole number"))?;
		match tier(tier_arg)? {
			VerificationMode::Signed => tier_prices.signed = Some(amount),
			VerificationMode::Tee => tier_prices.tee = Some(amount),
			VerificationMode::Zk => tier_prices.zk = Some(amount),
		}
	}
	Ok(tier_prices)
}

/// A model's id: the SHA-256 of its file, as executors and the re-execution pallet compute it.
fn model_id_of(file: &[u8]) -> ModelId {
	use sha2::Digest;
	ModelId::from(<[u8; 32]>::from(sha2::Sha256::digest(file)))
}

/// The input bytes from `--input TEXT` or `--input-hex 0x…`.
fn input_bytes(input: Option<String>, input_hex: Option<String>) -> anyhow::Result<Vec<u8>> {
	match (input, input_hex) {
		(Some(text), _) => Ok(text.into_bytes()),
		(_, Some(hex)) => verity_x402::parse_hex(&hex).context("--input-hex is not 0x-prefixed hex"),
		_ => anyhow::bail!("give the input: --input TEXT or --input-hex 0x…"),
	}
}

fn tier(tier: &str) -> anyhow::Result<VerificationMode> {
	parse_tier(tier).with_context(|| format!("unknown tier {tier:?}: signed, tee or zk"))
}

/// A model named by its on-chain name or its 0x id.
async fn model_id(chain: &Chain, model: &str) -> anyhow::Result<ModelId> {
	if let Some(id) = parse_hex32(model) {
		return Ok(ModelId::from(id));
	}
	let models = chain.models().await?;
	let mut named = models.iter().filter(|record| record.name == model.as_bytes());
	match (named.next(), named.next()) {
		(Some(record), None) => Ok(record.id),
		(Some(_), Some(_)) => anyhow::bail!("several models are named {model:?}: give the 0x id (see `verity models list`)"),
		(None, _) => anyhow::bail!("no model named {model:?} on chain (see `verity models list`)"),
	}
}

/// Signs and submits `call`; a refusal reads as the chain's error by name, with its doc line.
async fn submit(chain: &Chain, call: Call, signer: &sr25519::Pair) -> anyhow::Result<Submitted> {
	match chain.submit_one(call, &AccountKey(signer.clone())).await {
		Ok(submitted) => Ok(submitted),
		Err(SubmitError::NotIncluded(why)) if why.contains("Inability to pay") || why.contains("Payment") =>
			anyhow::bail!("the transaction was refused: {why}; the signer cannot pay the transaction fee, fund it first"),
		Err(SubmitError::Refused(refusal)) => anyhow::bail!("the chain refused it: {}", chain.explain_error(&refusal.error).await),
		Err(e) => Err(e.into()),
	}
}

async fn run(cli: Cli) -> anyhow::Result<()> {
	match cli.command {
		Command::Pay { url, input, input_hex, tier, key: suri, asset, max_amount } => {
			let payer = key(&suri)?;
			let body = json!({ "tier": tier, "inputHex": verity_client::answer::hex0x(&input_bytes(input, input_hex)?) });
			let http = http_client()?;
			let chain = Chain::connect(&cli.node_url)
				.await
				.context("the payer's own node says which chain this is and checks the answer (--node-url)")?;
			let payer = Payer { key: &payer, chain: &chain, asset: asset.as_deref(), max_amount };
			match pay(&http, &url, &body, &payer, Duration::from_secs(600)).await {
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
		Command::Verify { answer, signing_key, verifying_key, zk_lengths } => {
			let text = std::fs::read_to_string(&answer).with_context(|| format!("reading {}", answer.display()))?;
			let mut answer: serde_json::Value =
				serde_json::from_str(&text).with_context(|| format!("{} is not JSON", answer.display()))?;
			if let Some(result) = answer.get("result") {
				answer = result.clone();
			}
			// On chain, a provisional result is valid until a challenge overturns it (then the
			// chain's status fails the check); offline, the answer's own `provisionalUntil` says so.
			let (verified, on_chain, provisional_until) = match offline_keys(&answer, signing_key, verifying_key.zip(zk_lengths))? {
				Some(keys) => (verity_client::verify::verify(&answer, &keys)?, false, answer["provisionalUntil"].as_u64()),
				None => {
					let chain = Chain::connect(&cli.node_url)
						.await
						.context("no key given (--signing-key, --verifying-key), so the node is asked")?;
					let (verified, job) = chain.check_answer(&answer).await.context(
						"checked against the node's chain (give a key offline to check the evidence alone)",
					)?;
					(verified, true, job.final_at.map(u64::from))
				},
			};
			if cli.json {
				println!(
					"{}",
					json!({
						"valid": true,
						"onChain": on_chain,
						"tier": verified.tier,
						"job": verified.statement.job_id.to_string(),
						"provisionalUntil": provisional_until,
					})
				);
			} else {
				println!(
					"valid{}: the {} evidence of job {} covers output {:?} of model {:?} on input {:?}{}",
					if on_chain { " on chain" } else { " (evidence only: the chain was not asked)" },
					verified.tier,
					verified.statement.job_id,
					verified.statement.output_hash,
					verified.statement.model_id,
					verified.statement.input_hash,
					provisional_until
						.map(|block| format!("; provisional until block {block}: a challenge may still overturn it"))
						.unwrap_or_default()
				);
			}
			Ok(())
		},
		Command::Infer { model, tier: tier_arg, input, input_hex, key: suri, deadline_blocks } => {
			let payer = key(&suri)?;
			let input = input_bytes(input, input_hex)?;
			let mode = tier(&tier_arg)?;
			let chain = Chain::connect(&cli.node_url).await?;
			infer(&chain, &model, mode, input, &payer, deadline_blocks, cli.json).await
		},
		Command::Models { command: ModelsCommand::List } => {
			let chain = Chain::connect(&cli.node_url).await?;
			let models = chain.models().await?;
			if cli.json {
				let models: Vec<_> = models
					.iter()
					.map(|m| {
						json!({
							"id": format!("{:?}", m.id),
							"name": String::from_utf8_lossy(&m.name),
							"format": String::from_utf8_lossy(&m.format),
							"owner": format_account(&m.owner),
							"asset": format_asset(&m.asset),
							"prices": prices_json(&m.prices),
							"otherPrices": m.other_prices.iter().map(|(asset, prices)| (format_asset(asset), serde_json::Value::Object(prices_json(prices)))).collect::<serde_json::Map<_, _>>(),
							"royalty": format!("{:?}", m.royalty),
							"maxInputLen": m.max_input_len,
							"maxOutputLen": m.max_output_len,
							"zkVerifyingKey": m.zk_verifying_key.map(|key| format!("{key:?}")),
						})
					})
					.collect();
				println!("{}", serde_json::Value::Array(models));
				return Ok(());
			}
			if models.is_empty() {
				println!("no models registered; register one with `verity models register`");
			}
			for m in &models {
				let mut prices = format!("in {}: {}", format_asset(&m.asset), prices_text(&m.prices));
				for (asset, other) in &m.other_prices {
					prices += &format!("; in {}: {}", format_asset(asset), prices_text(other));
				}
				println!(
					"{} {:?} ({}), prices {prices}, input ≤{} B, output ≤{} B{}",
					String::from_utf8_lossy(&m.name),
					m.id,
					String::from_utf8_lossy(&m.format),
					m.max_input_len,
					m.max_output_len,
					if m.zk_verifying_key.is_some() { ", zk key registered" } else { "" },
				);
			}
			Ok(())
		},
		Command::Models {
			command: ModelsCommand::Register { weights, id, name, format, max_input, max_output, asset, prices, royalty_percent, key: suri },
		} => {
			let owner = key(&suri)?;
			let model = match (weights, id) {
				(Some(path), _) => model_id_of(&std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?),
				(_, Some(id)) => ModelId::from(parse_hex32(&id).context("--id is not 0x + 32 bytes of hex")?),
				_ => anyhow::bail!("name the model: --weights FILE (its id is the SHA-256) or --id 0x…"),
			};
			let asset = parse_asset(&asset).map_err(|_| anyhow::anyhow!("--asset {asset:?}: give `native` or an asset id"))?;
			let tier_prices = parse_prices(&prices)?;
			anyhow::ensure!(royalty_percent <= 100, "--royalty-percent is at most 100");
			let royalty = sp_runtime::Perbill::from_percent(royalty_percent);
			let chain = Chain::connect(&cli.node_url).await?;
			let max_name_len: u32 = chain.constant("Models", "MaxNameLen").await?;
			for (flag, text) in [("--name", &name), ("--format", &format)] {
				anyhow::ensure!(text.len() <= max_name_len as usize, "{flag} is {} bytes; the chain takes at most {max_name_len}", text.len());
			}
			let call = Call::register_model(model, &name, &format, (max_input, max_output), &asset, &tier_prices, royalty);
			let included = submit(&chain, call, &owner).await?;
			if cli.json {
				println!("{}", json!({ "model": format!("{model:?}"), "blockHash": format!("{:?}", included.block), "transaction": format!("{:?}", included.transaction) }));
			} else {
				println!("registered model {name} as {model:?} in block {:?}", included.block);
			}
			Ok(())
		},
		Command::Models { command: ModelsCommand::Price { model, asset, prices, key: suri } } => {
			let owner = key(&suri)?;
			let asset = parse_asset(&asset).map_err(|_| anyhow::anyhow!("--asset {asset:?}: give an asset id"))?;
			let prices = if prices.is_empty() { None } else { Some(parse_prices(&prices)?) };
			let chain = Chain::connect(&cli.node_url).await?;
			let model = model_id(&chain, &model).await?;
			let included = submit(&chain, Call::set_asset_prices(model, &asset, prices.as_ref()), &owner).await?;
			let what = match &prices {
				Some(prices) => format!("priced {model:?} in {}: {}", format_asset(&asset), prices_text(prices)),
				None => format!("{model:?} is no longer paid in {}", format_asset(&asset)),
			};
			if cli.json {
				println!("{}", json!({ "model": format!("{model:?}"), "asset": format_asset(&asset), "blockHash": format!("{:?}", included.block) }));
			} else {
				println!("{what} (block {:?})", included.block);
			}
			Ok(())
		},
		Command::Executors { command: ExecutorsCommand::List } => {
			let chain = Chain::connect(&cli.node_url).await?;
			let names: std::collections::HashMap<ModelId, String> = chain
				.models()
				.await?
				.into_iter()
				.map(|m| (m.id, String::from_utf8_lossy(&m.name).into_owned()))
				.collect();
			let model_name = |id: &ModelId| names.get(id).cloned().unwrap_or_else(|| format!("{id:?}"));
			let executors = chain.executors().await?;
			if cli.json {
				let executors: Vec<_> = executors
					.iter()
					.map(|r| {
						json!({
							"account": format_account(&r.account),
							"endpoint": String::from_utf8_lossy(&r.endpoint),
							"stake": r.stake.to_string(),
							"services": r.services.iter().map(|s| json!({ "model": format!("{:?}", s.model), "name": model_name(&s.model), "tier": tier_name(s.mode), "fee": s.fee.to_string() })).collect::<Vec<_>>(),
							"hardware": if r.hardware == HardwareClass::Gpu { "gpu" } else { "cpu" },
							"capacity": r.capacity,
							"activeJobs": r.active_jobs,
							"lastHeartbeat": r.last_heartbeat,
							"unbondingUntil": r.unbonding_until,
							"completed": r.completed,
							"failed": r.failed,
							"expired": r.expired,
						})
					})
					.collect();
				println!("{}", serde_json::Value::Array(executors));
				return Ok(());
			}
			if executors.is_empty() {
				println!("no executors registered; register one with `verity executors register`");
			}
			for r in &executors {
				let services: Vec<_> =
					r.services.iter().map(|s| format!("{}:{}:{}", model_name(&s.model), tier_name(s.mode), s.fee)).collect();
				let state = match r.unbonding_until {
					None => "active".to_string(),
					Some(until) => format!("unbonding until block {until}"),
				};
				println!(
					"{} {state}, stake {}, {} jobs of {} running, completed {} failed {} expired {}, services {}, endpoint {}",
					format_account(&r.account),
					r.stake,
					r.active_jobs,
					r.capacity,
					r.completed,
					r.failed,
					r.expired,
					services.join(" "),
					String::from_utf8_lossy(&r.endpoint),
				);
			}
			Ok(())
		},
		Command::Executors { command: ExecutorsCommand::Register { endpoint, services, gpu, capacity, stake, key: suri } } => {
			let executor = key(&suri)?;
			let chain = Chain::connect(&cli.node_url).await?;
			let mut served = Vec::with_capacity(services.len());
			for service in &services {
				let mut parts = service.rsplitn(3, ':');
				let (Some(fee), Some(tier_arg), Some(model)) = (parts.next(), parts.next(), parts.next()) else {
					anyhow::bail!("--service {service:?}: write MODEL:TIER:FEE");
				};
				let fee: Balance = fee.parse().with_context(|| format!("--service {service:?}: the fee is not a whole number"))?;
				served.push((model_id(&chain, model).await?, tier(tier_arg)?, fee));
			}
			let account_key = AccountKey(executor.clone());
			let call = Call::register(&endpoint, &account_key, &served, gpu, capacity, stake);
			let included = submit(&chain, call, &executor).await?;
			if cli.json {
				println!("{}", json!({ "executor": account_key.ss58(), "blockHash": format!("{:?}", included.block) }));
			} else {
				println!("registered executor {} in block {:?}", account_key.ss58(), included.block);
			}
			Ok(())
		},
		Command::Models { command: ModelsCommand::StoreFile { file, key: suri } } => {
			let storer = key(&suri)?;
			let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
			let chain = Chain::connect(&cli.node_url).await?;
			let included = submit(&chain, Call::store_model(&bytes), &storer).await?;
			println!("stored the file of model {:?} in block {:?}", model_id_of(&bytes), included.block);
			Ok(())
		},
		Command::Challenge { job, input_hex, key: suri } => {
			let challenger = key(&suri)?;
			let input = input_hex
				.map(|hex| verity_x402::parse_hex(&hex).context("--input-hex is not 0x-prefixed hex"))
				.transpose()?;
			let chain = Chain::connect(&cli.node_url).await?;
			submit(&chain, Call::challenge(job, input.as_deref()), &challenger).await?;
			print_job(&chain, job, cli.json).await.map(|_| ())
		},
		Command::Job { command } => {
			let chain = Chain::connect(&cli.node_url).await?;
			match command {
				JobCommand::Status { job } => print_job(&chain, job, cli.json).await.map(|_| ()),
				JobCommand::Watch { job } => {
					print_job(&chain, job, cli.json).await?;
					Follower::start(chain).wait_closed(job, |summary| show_job(job, summary, cli.json)).await.map(|_| ())
				},
			}
		},
	}
}

/// `verity infer`: submits one job, shows its progress on stderr, prints its answer.
async fn infer(
	chain: &Chain,
	model: &str,
	mode: VerificationMode,
	input: Vec<u8>,
	payer: &sr25519::Pair,
	deadline_blocks: u32,
	json_output: bool,
) -> anyhow::Result<()> {
	let model = model_id(chain, model).await?;
	let quote = chain
		.quote(model, mode)
		.await?
		.with_context(|| format!("model {model:?} is not offered at the {} tier (see `verity models list`)", tier_name(mode)))?;
	let input_len = input.len();
	let input = input
		.try_into()
		.map_err(|_| anyhow::anyhow!("the input is {input_len} bytes; at most {MAX_INLINE_INPUT} go inline"))?;
	let spec = JobSpec {
		model,
		mode,
		input: JobInput::Inline(input),
		max_price: quote.price,
		// The lowest fee asked: the draw is among the executors at or below it.
		max_fee: quote.min_executor_fee,
		deadline: chain.best_number().await?.saturating_add(deadline_blocks),
	};
	eprintln!(
		"submitting: price {} + fee up to {} in {}, {} executor(s) eligible",
		quote.price,
		quote.max_executor_fee,
		format_asset(&quote.asset),
		quote.eligible_executors
	);
	let included = submit(chain, Call::submit_jobs(&[spec]), payer).await?;
	let job: JobId = included.job().context("the transaction was included without submitting a job")?;
	eprintln!("job {job} submitted in block {:?}", included.block);
	let started = std::time::Instant::now();
	let (summary, block) = Follower::start(chain.clone())
		.wait_closed(job, |summary: &Job| {
			eprintln!("  {:>5.1} s  {:?} (executor {})", started.elapsed().as_secs_f64(), summary.status, executor_name(&summary.executor));
		})
		.await?;
	if !summary.status.has_result() {
		anyhow::bail!(
			"job {job} closed {:?} in block {block:?} without a result; the escrow was refunded",
			summary.status
		);
	}
	let answer = chain.answer_at(job, &summary, block).await?;
	if json_output {
		println!("{answer}");
	} else {
		println!("{}", serde_json::to_string_pretty(&answer)?);
	}
	Ok(())
}

/// `IN,OUT`: a zk model's input and output lengths in bytes.
fn parse_lengths(text: &str) -> Result<(usize, usize), String> {
	let (input, output) = text.split_once(',').ok_or("expected IN,OUT, e.g. 64,40")?;
	let parse = |n: &str| n.trim().parse::<usize>().map_err(|e| format!("{n:?}: {e}"));
	Ok((parse(input)?, parse(output)?))
}

/// The keys given to check `answer` offline, if any: then only the evidence is checked, not
/// that the chain accepted the job.
fn offline_keys(
	answer: &serde_json::Value,
	signing_key: Option<String>,
	verifying_key: Option<(std::path::PathBuf, (usize, usize))>,
) -> anyhow::Result<Option<verity_client::verify::Keys>> {
	use verity_primitives::inference::SigningKey;
	let mut keys = verity_client::verify::Keys::default();
	match (answer["evidence"]["tier"].as_str().unwrap_or_default(), signing_key, verifying_key) {
		("signed", Some(key), _) => {
			let bytes = verity_x402::parse_hex32(&key).context("--signing-key is not 32 bytes of 0x hex")?;
			keys.signing_key = Some(SigningKey::Sr25519(sp_core::sr25519::Public::from_raw(bytes)));
		},
		("zk", _, Some((path, lengths))) => {
			let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
			let key = verity_zkml::verifier::VerifyingKey::decode(&bytes)
				.map_err(|e| anyhow::anyhow!("{} is not a verifying key: {e:?}", path.display()))?;
			keys.zk_key = Some(verity_zkml::verifier::PreparedKey::new(&key));
			keys.zk_lengths = Some(lengths);
		},
		_ => return Ok(None),
	}
	Ok(Some(keys))
}

async fn print_job(chain: &Chain, job: JobId, json: bool) -> anyhow::Result<JobStatus> {
	let summary = chain
		.job(job)
		.await?
		.with_context(|| format!("no job {job} on chain (never submitted, or pruned after it closed)"))?;
	show_job(job, &summary, json);
	Ok(summary.status)
}

/// A job's executor for people: none until the block after the job's draws it.
fn executor_name(executor: &Option<sp_runtime::AccountId32>) -> String {
	executor.as_ref().map_or_else(|| "not drawn yet".into(), format_account)
}

fn show_job(job: JobId, summary: &Job, json: bool) {
	if json {
		println!(
			"{}",
			json!({
				"job": job.to_string(),
				"status": format!("{:?}", summary.status),
				"model": format!("{:?}", summary.model),
				"tier": format!("{:?}", summary.mode),
				"executor": summary.executor.as_ref().map(format_account),
				"price": summary.price.to_string(),
				"escrow": summary.escrow.to_string(),
				"outputHash": summary.output_hash.map(|h| format!("{h:?}")),
				"deadline": summary.deadline,
				"provisionalUntil": summary.final_at,
			})
		);
	} else {
		let provisional =
			summary.final_at.map(|block| format!(", provisional until block {block} (challengeable)")).unwrap_or_default();
		println!(
			"job {job}: {:?} ({:?} tier), executor {}, escrow {}, deadline block {}{provisional}",
			summary.status,
			summary.mode,
			executor_name(&summary.executor),
			summary.escrow,
			summary.deadline
		);
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn the_command_line_is_well_formed() {
		<super::Cli as clap::CommandFactory>::command().debug_assert();
	}
}
