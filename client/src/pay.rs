//! The client side of x402 against any gateway: send the request, take the 402's offer, check
//! it, sign the payment, retry once, and return the answer with its settlement receipt.
//!
//! The gateway is not trusted. The payer's own node says which chain this is and what a job
//! costs; a Verity job offer must pay for exactly the job asked for (its nonce is recomputed
//! from the offered terms and the payer's own input), into the escrow binding, for no more
//! than the payer's cap; and the answer is checked against the chain before it is returned.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, header::HeaderMap, Request};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use sp_core::{sr25519, Pair, H256};
use verity_primitives::{
	inference::{JobInput, JobSpec, ModelId},
	x402::job_nonce,
	Balance, BlockNumber,
};
use verity_x402::{
	decode_header, encode_header, format_account, job_escrow_binding, network_id, parse_asset, parse_hex, parse_hex32,
	sign_payment, PaymentPayload, PaymentRequired, PaymentRequirements, PaymentTerms, SettleResponse,
	PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER, PAYMENT_SIGNATURE_HEADER,
};

use crate::{answer::parse_tier, chain::Chain, follow::Follower};

/// Seconds before now an authorization is valid from (clock skew between payer and chain).
const VALID_BEFORE_NOW: u64 = 600;

/// Without `--max-amount`, a job offer is paid up to this many times the payer's own node's
/// quote for the same model, tier and asset: enough for a price or fee that moved between the
/// quote and the offer, and nothing like what a greedy or dishonest gateway might ask.
pub const DEFAULT_CAP_MULTIPLE: Balance = 2;

/// How long the payer's node may lag the gateway's before the answer's job shows there closed.
const ANSWER_ON_CHAIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a paid request did not get its resource.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
	/// The gateway could not be reached or answered something that is not x402.
	#[error("{0}")]
	Transport(String),
	/// The gateway's 402 offers nothing this client can pay.
	#[error("no offer this client can pay: {0}")]
	NoOffer(String),
	/// The offer is not for what was asked: another chain, another job than its terms and the
	/// payer's input make, or a payment that would not go to that job's escrow. Nothing signed.
	#[error("the offer does not hold: {0}; nothing was signed")]
	Untrusted(String),
	/// The offer asks more than the payer's cap. Nothing signed.
	#[error("the offer asks {amount} of asset {asset}, above this payer's cap of {cap} ({why}); nothing was signed")]
	AboveCap {
		/// What the offer asks.
		amount: Balance,
		/// Its asset.
		asset: String,
		/// The cap.
		cap: Balance,
		/// Where the cap comes from.
		why: String,
	},
	/// The gateway answered 200, and the answer does not hold against the payer's own node.
	#[error("the gateway's answer does not hold against the chain: {0}")]
	Unverified(String),
	/// The gateway refused the payment; `reason` is its `errorReason`.
	#[error("payment refused: {reason}{}", hint(.reason))]
	Refused {
		/// x402 `errorReason`.
		reason: String,
		/// The whole answer.
		body: serde_json::Value,
	},
	/// The gateway answered with an error status after the payment.
	#[error("the gateway answered {status}: {body}")]
	Failed {
		/// HTTP status.
		status: u16,
		/// The body.
		body: serde_json::Value,
	},
}

/// What to do about a refusal, where the reason says.
fn hint(reason: &str) -> &'static str {
	match reason {
		"insufficient_funds" => " (the payer's balance of the offered asset is too low: fund the account, or pay with another)",
		r if r.ends_with("_valid_before") => " (the authorization expired: check the clock, and pay again)",
		r if r.ends_with("_valid_after") => " (the authorization is not valid yet: the payer's clock is ahead of the chain's)",
		r if r.ends_with("_signature") => " (the signature does not verify: the wrong key or a changed payload)",
		"invalid_network" => " (the payment names another chain)",
		"offer_unknown_or_expired" => " (the gateway no longer has this offer: request again for a fresh one)",
		"duplicate_settlement" => " (this payment was already settled)",
		_ => "",
	}
}

/// An HTTP(S) client.
pub type HttpClient = Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Full<Bytes>>;

/// An HTTP client for gateways: HTTPS with the system's roots, or plain HTTP.
pub fn http_client() -> Result<HttpClient, PayError> {
	let connector = hyper_rustls::HttpsConnectorBuilder::new()
		.with_provider_and_native_roots(rustls::crypto::ring::default_provider())
		.map_err(|e| PayError::Transport(format!("no TLS roots: {e}")))?
		.https_or_http()
		.enable_http1()
		.build();
	Ok(Client::builder(TokioExecutor::new()).build(connector))
}

/// POSTs JSON `body` with `headers`; the status, headers and body of the answer.
async fn post(
	http: &HttpClient,
	url: &str,
	headers: &[(&str, String)],
	body: &serde_json::Value,
	timeout: Duration,
) -> Result<(u16, HeaderMap, Bytes), PayError> {
	let transport = |e: &dyn std::fmt::Display| PayError::Transport(format!("{url}: {e}"));
	let mut request = Request::post(url).header("content-type", "application/json");
	for (name, value) in headers {
		request = request.header(*name, value);
	}
	let request = request.body(Full::new(Bytes::from(body.to_string()))).map_err(|e| transport(&e))?;
	let answer = tokio::time::timeout(timeout, async {
		let response = http.request(request).await.map_err(|e| transport(&e))?;
		let (parts, body) = response.into_parts();
		let body = body.collect().await.map_err(|e| transport(&e))?.to_bytes();
		Ok::<_, PayError>((parts.status.as_u16(), parts.headers, body))
	})
	.await
	.map_err(|_| transport(&format!("no answer within {timeout:?}")))??;
	Ok(answer)
}

/// A paid answer.
#[derive(Debug, Clone)]
pub struct Paid {
	/// The offer paid.
	pub offer: PaymentRequirements,
	/// The response body: for a job offer, an answer checked against the chain.
	pub body: serde_json::Value,
	/// The settlement receipt (`PAYMENT-RESPONSE`).
	pub receipt: Option<SettleResponse>,
}

/// Who pays, and what an offer is held to before it is signed.
pub struct Payer<'a> {
	/// The payer's key.
	pub key: &'a sr25519::Pair,
	/// The payer's own node: the chain, the quote and the answer's job are read there, never
	/// taken from the gateway.
	pub chain: &'a Chain,
	/// Pay only an offer in this asset (`native`, or an asset id).
	pub asset: Option<&'a str>,
	/// The most to pay, in the offer's asset; `None`: [`DEFAULT_CAP_MULTIPLE`] times the node's
	/// quote for a job offer (an offer that is not a job's needs a cap given).
	pub max_amount: Option<Balance>,
}

/// POSTs `body` to `url`; on 402, checks the first `exact` offer (in `payer.asset`, if given),
/// pays it and retries once. A 503 with `Retry-After` (the gateway's chain has no block yet) is
/// asked again after the time it names, until `timeout` has passed.
///
/// A Verity job offer (`extra.job`) is paid only if its nonce is the nonce of the job its terms
/// and `body`'s tier and input make, it pays the escrow binding exactly the job's price cap
/// plus fee cap, and that amount is within the cap. Its answer is returned only once the
/// payer's node shows that job completed, paid by this payer, with that output and evidence.
pub async fn pay(
	http: &HttpClient,
	url: &str,
	body: &serde_json::Value,
	payer: &Payer<'_>,
	timeout: Duration,
) -> Result<Paid, PayError> {
	let give_up = tokio::time::Instant::now() + timeout;
	let (status, headers, first) = loop {
		let answer = post(http, url, &[], body, timeout).await?;
		let retry_after = (answer.0 == 503)
			.then(|| answer.1.get("retry-after")?.to_str().ok()?.parse::<u64>().ok())
			.flatten()
			.map(Duration::from_secs);
		match retry_after {
			Some(wait) if tokio::time::Instant::now() + wait < give_up => tokio::time::sleep(wait).await,
			_ => break answer,
		}
	};
	if status != 402 {
		let reason = serde_json::from_slice::<serde_json::Value>(&first)
			.ok()
			.and_then(|body| body.get("error")?.as_str().map(|error| format!(": {error}")))
			.unwrap_or_default();
		return Err(PayError::Transport(format!("expected 402 Payment Required from {url}, got {status}{reason}")));
	}
	let required: PaymentRequired = match headers.get(PAYMENT_REQUIRED_HEADER) {
		Some(header) => decode_header(header.to_str().unwrap_or_default())
			.map_err(|e| PayError::Transport(format!("{PAYMENT_REQUIRED_HEADER}: {e}")))?,
		None => serde_json::from_slice(&first).map_err(|e| PayError::Transport(format!("{url}: the 402 body: {e}")))?,
	};
	let offer = required
		.accepts
		.iter()
		.find(|offer| offer.scheme == "exact" && payer.asset.is_none_or(|asset| offer.asset == asset))
		.cloned()
		.ok_or_else(|| PayError::NoOffer(serde_json::to_string(&required.accepts).unwrap_or_default()))?;
	let genesis = payer.chain.genesis_hash();
	let job = offered_job(&offer, body, &genesis)?;
	check_cap(&offer, job.as_ref(), payer).await?;
	let payment = sign_offer(payer.key, &offer, Some(required.resource.clone()), &genesis)?;
	let (status, headers, answer) =
		post(http, url, &[(PAYMENT_SIGNATURE_HEADER, encode_header(&payment))], body, timeout).await?;
	let receipt: Option<SettleResponse> = headers
		.get(PAYMENT_RESPONSE_HEADER)
		.and_then(|header| decode_header(header.to_str().ok()?).ok());
	let body: serde_json::Value = serde_json::from_slice(&answer).unwrap_or(serde_json::Value::Null);
	match (status, &receipt) {
		(200, _) => {
			if let Some(job) = &job {
				check_paid_answer(payer, job, &body).await.map_err(|e| PayError::Unverified(format!("{e:#}")))?;
			}
			Ok(Paid { offer, body, receipt })
		},
		(402, Some(SettleResponse { error_reason: Some(reason), .. })) =>
			Err(PayError::Refused { reason: reason.clone(), body }),
		_ => Err(PayError::Failed { status, body }),
	}
}

/// The job a Verity offer pays for, rebuilt from its `extra.job` terms and the tier and input
/// of `body`, once it is checked that the offer is for the chain with `genesis`, that its
/// nonce is that job's, that it pays the escrow binding (so only `inference.submit_paid` of
/// that job can spend it) and that its amount is the job's price cap plus fee cap. `None` for
/// an offer that is not a job's (no `extra.job`): it is checked for its chain only.
pub fn offered_job(
	offer: &PaymentRequirements,
	body: &serde_json::Value,
	genesis: &H256,
) -> Result<Option<JobSpec<BlockNumber>>, PayError> {
	let untrusted = |why: String| PayError::Untrusted(why);
	if offer.network != network_id(genesis) {
		return Err(untrusted(format!("it is for the network {}, and the payer's node follows {}", offer.network, network_id(genesis))));
	}
	let extra = offer.extra.as_ref();
	if let Some(named) = extra.and_then(|extra| extra.get("genesisHash")).and_then(|v| v.as_str()) {
		if parse_hex32(named).map(H256) != Some(*genesis) {
			return Err(untrusted(format!("it names the genesis hash {named}, and the payer's node's is {genesis:?}")));
		}
	}
	let Some(terms) = extra.and_then(|extra| extra.get("job")) else { return Ok(None) };
	let field = |name: &str| terms.get(name).and_then(|v| v.as_str()).ok_or_else(|| untrusted(format!("extra.job.{name} is missing")));
	let balance = |name: &str| field(name)?.parse::<Balance>().map_err(|_| untrusted(format!("extra.job.{name} is not an amount")));
	let model = ModelId::from(parse_hex32(field("model")?).ok_or_else(|| untrusted("extra.job.model is not a model id".into()))?);
	let salt = parse_hex32(field("salt")?).ok_or_else(|| untrusted("extra.job.salt is not 32 bytes of 0x hex".into()))?;
	let deadline = terms
		.get("deadline")
		.and_then(|v| v.as_u64())
		.and_then(|d| BlockNumber::try_from(d).ok())
		.ok_or_else(|| untrusted("extra.job.deadline is not a block number".into()))?;
	let asked_tier = body.get("tier").and_then(|v| v.as_str()).unwrap_or("signed");
	let mode = parse_tier(asked_tier).ok_or_else(|| untrusted(format!("the request's tier {asked_tier:?} is not a tier")))?;
	if field("tier")? != asked_tier {
		return Err(untrusted(format!("it is for the {} tier, and {asked_tier} was asked", field("tier")?)));
	}
	let input = match (body.get("input").and_then(|v| v.as_str()), body.get("inputHex").and_then(|v| v.as_str())) {
		(Some(text), None) => text.as_bytes().to_vec(),
		(None, Some(hex)) => parse_hex(hex).ok_or_else(|| untrusted("the request's inputHex is not hex".into()))?,
		_ => return Err(untrusted("the request carries no single input to bind the job to".into())),
	};
	let spec = JobSpec {
		model,
		mode,
		input: JobInput::Inline(input.try_into().map_err(|_| untrusted("the input is too large to go inline".into()))?),
		max_price: balance("maxPrice")?,
		max_fee: balance("maxFee")?,
		deadline,
	};
	let nonce = extra.and_then(|extra| extra.get("nonce")).and_then(|v| v.as_str()).and_then(parse_hex32);
	if nonce != Some(job_nonce(&spec, &salt)) {
		return Err(untrusted("extra.nonce is not the nonce of the job its terms and this input make".into()));
	}
	if verity_x402::parse_account(&offer.pay_to).ok() != Some(job_escrow_binding()) {
		return Err(untrusted(format!(
			"payTo is {}, not the job escrow binding {}",
			offer.pay_to,
			format_account(&job_escrow_binding())
		)));
	}
	let escrow = spec.max_price.checked_add(spec.max_fee);
	if escrow.map(|escrow| escrow.to_string()) != Some(offer.amount.clone()) {
		return Err(untrusted(format!("the amount {} is not maxPrice + maxFee of its job", offer.amount)));
	}
	Ok(Some(spec))
}

/// Refuses an offer above `payer.max_amount`, or, without one, above [`DEFAULT_CAP_MULTIPLE`]
/// times the payer's node's quote for the job's model, tier and asset.
async fn check_cap(offer: &PaymentRequirements, job: Option<&JobSpec<BlockNumber>>, payer: &Payer<'_>) -> Result<(), PayError> {
	let amount: Balance =
		offer.amount.parse().map_err(|_| PayError::NoOffer(format!("the amount {:?} is not a number", offer.amount)))?;
	let (cap, why) = match (payer.max_amount, job) {
		(Some(cap), _) => (cap, "--max-amount".to_string()),
		(None, None) => return Err(PayError::NoOffer("the offer is not a Verity job's, so there is no quote to cap it by: give --max-amount".into())),
		(None, Some(job)) => {
			let asset = parse_asset(&offer.asset).map_err(|_| PayError::NoOffer(format!("unknown asset {:?}", offer.asset)))?;
			let quoted = payer
				.chain
				.offers(job.model)
				.await
				.map_err(|e| PayError::Transport(format!("the payer's node: {e}")))?
				.offers
				.into_iter()
				.find(|quoted| quoted.mode == job.mode && quoted.asset == asset)
				.and_then(|quoted| quoted.price.checked_add(quoted.max_fee))
				.ok_or_else(|| PayError::Untrusted(format!("the payer's node quotes no such job (model {:?}, asset {})", job.model, offer.asset)))?;
			(quoted.saturating_mul(DEFAULT_CAP_MULTIPLE), format!("{DEFAULT_CAP_MULTIPLE} x the node's quote of {quoted}"))
		},
	};
	if amount > cap {
		return Err(PayError::AboveCap { amount, asset: offer.asset.clone(), cap, why });
	}
	Ok(())
}

/// Checks a paid job's answer against the payer's node: the answer holds against the chain
/// ([`Chain::check_answer`]), and the job it names is the one paid for, by this payer.
async fn check_paid_answer(payer: &Payer<'_>, spec: &JobSpec<BlockNumber>, answer: &serde_json::Value) -> anyhow::Result<()> {
	let job_id = crate::verify::statement(answer)?.job_id;
	// The gateway answers once its node saw the job complete; the payer's may be a block behind.
	let completed = payer.chain.job(job_id).await?.is_some_and(|job| job.status.has_result());
	if !completed {
		tokio::time::timeout(ANSWER_ON_CHAIN_TIMEOUT, Follower::start(payer.chain.clone()).wait_closed(job_id, |_| {}))
			.await
			.map_err(|_| anyhow::anyhow!("job {job_id} did not close on the payer's node within {ANSWER_ON_CHAIN_TIMEOUT:?}"))??;
	}
	let (_, job) = payer.chain.check_answer(answer).await?;
	let payer_account = sp_core::crypto::AccountId32::from(payer.key.public());
	anyhow::ensure!(job.payer == payer_account, "job {job_id} was paid by {}, not by this payer", format_account(&job.payer));
	anyhow::ensure!(
		job.model == spec.model && job.mode == spec.mode && job.input_hash == spec.input.hash(),
		"job {job_id} is not the job paid for (another model, tier or input)"
	);
	Ok(())
}

/// Signs a payment of `offer` on the chain with `genesis`: valid from 10 minutes ago for the
/// offer's `maxTimeoutSeconds`, under the nonce the offer names (`extra.nonce`, a job
/// payment's) or a random one.
pub fn sign_offer(
	payer: &sr25519::Pair,
	offer: &PaymentRequirements,
	resource: Option<verity_x402::ResourceInfo>,
	genesis: &H256,
) -> Result<PaymentPayload, PayError> {
	let extra = |field: &str| offer.extra.as_ref().and_then(|extra| extra.get(field)).and_then(|v| v.as_str());
	let nonce = match extra("nonce") {
		Some(nonce) => parse_hex32(nonce).ok_or_else(|| PayError::NoOffer("extra.nonce is not 32 bytes of 0x hex".into()))?,
		None => rand::random(),
	};
	let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs();
	let terms = PaymentTerms {
		valid_after: now.saturating_sub(VALID_BEFORE_NOW),
		valid_before: now + offer.max_timeout_seconds.max(60),
		nonce,
	};
	sign_payment(payer, offer, resource, &terms, genesis).map_err(|e| PayError::NoOffer(e.reason().into()))
}

#[cfg(test)]
mod tests {
	use serde_json::json;
	use verity_primitives::inference::VerificationMode;

	use super::*;

	const GENESIS: H256 = H256([7; 32]);
	const INPUT: &[u8] = b"a digit";

	/// An offer as an honest gateway makes it (gateway/src/infer.rs), for `INPUT` at the signed tier.
	fn honest_offer() -> PaymentRequirements {
		let spec = JobSpec {
			model: ModelId::repeat_byte(1),
			mode: VerificationMode::Signed,
			input: JobInput::Inline(INPUT.to_vec().try_into().unwrap()),
			max_price: 1_000,
			max_fee: 10,
			deadline: 40,
		};
		let salt = [3; 32];
		PaymentRequirements {
			scheme: "exact".into(),
			network: network_id(&GENESIS),
			amount: "1010".into(),
			asset: "native".into(),
			pay_to: format_account(&job_escrow_binding()),
			max_timeout_seconds: 300,
			extra: Some(json!({
				"nonce": crate::answer::hex0x(&job_nonce(&spec, &salt)),
				"genesisHash": format!("{GENESIS:?}"),
				"job": {
					"model": format!("{:?}", spec.model),
					"tier": "signed",
					"maxPrice": "1000",
					"maxFee": "10",
					"deadline": 40,
					"salt": crate::answer::hex0x(&salt),
				},
			})),
		}
	}

	fn request() -> serde_json::Value {
		json!({ "tier": "signed", "inputHex": crate::answer::hex0x(INPUT) })
	}

	fn refused(offer: &PaymentRequirements, body: &serde_json::Value) -> String {
		match offered_job(offer, body, &GENESIS) {
			Err(PayError::Untrusted(why)) => why,
			other => panic!("expected the offer refused, got {other:?}"),
		}
	}

	#[test]
	fn an_honest_job_offer_is_the_job_asked_for() {
		let spec = offered_job(&honest_offer(), &request(), &GENESIS).unwrap().expect("a job offer");
		assert_eq!((spec.max_price, spec.max_fee, spec.deadline), (1_000, 10, 40));
		assert_eq!(spec.input.hash(), H256(sp_crypto_hashing::blake2_256(INPUT)));
	}

	#[test]
	fn a_gateway_cannot_get_a_payment_signed_for_another_job_or_account_or_amount() {
		// The nonce of a job on another input: signing it would pay for a job the payer never asked.
		let other_input = json!({ "tier": "signed", "inputHex": crate::answer::hex0x(b"another input") });
		assert!(refused(&honest_offer(), &other_input).contains("extra.nonce"));
		// Terms changed under the nonce (a higher fee cap than the nonce binds).
		let mut offer = honest_offer();
		offer.extra.as_mut().unwrap()["job"]["maxFee"] = json!("11");
		offer.amount = "1011".into();
		assert!(refused(&offer, &request()).contains("extra.nonce"));
		// Paid to the gateway's own account instead of the escrow binding.
		let mut offer = honest_offer();
		offer.pay_to = format_account(&sp_core::crypto::AccountId32::new([9; 32]));
		assert!(refused(&offer, &request()).contains("payTo"));
		// More than the job's escrow.
		let mut offer = honest_offer();
		offer.amount = "1000000".into();
		assert!(refused(&offer, &request()).contains("maxPrice + maxFee"));
		// Another tier than asked.
		assert!(refused(&honest_offer(), &json!({ "tier": "zk", "inputHex": crate::answer::hex0x(INPUT) })).contains("tier"));
	}

	#[test]
	fn the_chain_is_the_payers_nodes_not_the_gateways() {
		let mut offer = honest_offer();
		offer.network = network_id(&H256([8; 32]));
		assert!(refused(&offer, &request()).contains("network"));
		let mut offer = honest_offer();
		offer.extra.as_mut().unwrap()["genesisHash"] = json!(format!("{:?}", H256([8; 32])));
		assert!(refused(&offer, &request()).contains("genesis hash"));
	}
}
