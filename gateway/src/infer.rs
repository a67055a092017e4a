//! `POST /v1/models/{model}/infer`: the x402 flow for one inference.
//!
//! Unpaid, it answers 402 with an offer (`PAYMENT-REQUIRED`, and the same object as the body
//! for v1 clients). Paid (`PAYMENT-SIGNATURE`, or v1 `X-PAYMENT`), it checks the payment against
//! its offer and the runtime (`InferenceApi::check_paid_job`), submits `inference.submit_paid`,
//! waits for the job to close and answers 200 with the result, its evidence and the receipt
//! (`PAYMENT-RESPONSE` / `X-PAYMENT-RESPONSE`), or 402 with the reason.

use std::{
	collections::{HashMap, VecDeque},
	net::{IpAddr, SocketAddr},
	sync::{Arc, Mutex},
	time::Instant,
};

use axum::{
	body::Bytes,
	extract::{ConnectInfo, Path, RawQuery, State},
	http::{HeaderMap, HeaderValue, StatusCode},
	response::{IntoResponse, Response},
	Json,
};
use codec::Encode;
use serde::Deserialize;
use serde_json::{json, Value};
use verity_client::{
	answer::{hex0x, parse_tier, tier_name},
	chain::SubmitError,
};
use verity_primitives::{
	events::{CallError, Refusal},
	inference::{JobId, JobInput, JobSpec, JobStatus, ModelId, VerificationMode},
	BlockNumber,
	x402::{job_nonce, PaidJobRefusal, PaymentError},
};
use verity_x402::{
	decode_header, encode_header, format_account, format_asset, network_id, parse_hex32, payload_to_chain, PaymentPayload,
	PaymentPayloadV1, PaymentRequired, PaymentRequirements, ResourceInfo, SettleResponse, PAYMENT_REQUIRED_HEADER,
	ChainPayload, PAYMENT_RESPONSE_HEADER, PAYMENT_SIGNATURE_HEADER, X_PAYMENT_HEADER, X_PAYMENT_RESPONSE_HEADER, X402_VERSION,
};

use crate::{error, offers::Offer, too_many_requests, Gateway};

/// The refusal when every executor that could take the job stayed at capacity.
const EXECUTORS_BUSY: &str = "job_refused_Inference.NoEligibleExecutor";
/// How many answers to paid requests are kept for retries of the same payment.
const REMEMBERED_ANSWERS: usize = 16_384;

/// The request body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InferBody {
	/// The input as text (its UTF-8 bytes).
	input: Option<String>,
	/// The input as `0x` hex bytes.
	input_hex: Option<String>,
	/// The tier, if not in the query.
	tier: Option<String>,
}

/// The tier named in the query string (`?tier=zk`), if any.
fn query_tier(query: Option<&str>) -> Option<&str> {
	query?.split('&').find_map(|pair| pair.strip_prefix("tier="))
}

/// An answer to a paid request. Once the payment was submitted it is kept, so that a retry of
/// the same payment gets it again; a refusal before that is not (the payer may fix the cause,
/// say fund the account, and send the same payment again).
#[derive(Clone)]
struct Answer {
	status: StatusCode,
	headers: HeaderMap,
	body: Value,
	submitted: bool,
	/// The job, while its answer is not final (a 504, or the chain lost): a retry waits again.
	waiting: Option<Waiting>,
	/// When the answer was made.
	answered: Instant,
}

impl Answer {
	/// An answer made now, before anything was submitted.
	fn new(status: StatusCode, headers: HeaderMap, body: Value) -> Self {
		Self { status, headers, body, submitted: false, waiting: None, answered: Instant::now() }
	}
}

impl IntoResponse for Answer {
	fn into_response(self) -> Response {
		(self.status, self.headers, Json(self.body)).into_response()
	}
}

type AnswerSlot = Arc<tokio::sync::Mutex<Option<Answer>>>;

/// Answers by payment ([`payment_key`]): the same payment sent twice settles once and both
/// requests get the first's answer.
#[derive(Default)]
pub struct Payments {
	slots: Mutex<(HashMap<[u8; 32], AnswerSlot>, VecDeque<[u8; 32]>)>,
}

impl Payments {
	fn slot(&self, key: [u8; 32]) -> AnswerSlot {
		let mut guard = self.slots.lock().expect("not poisoned");
		let (slots, order) = &mut *guard;
		if let Some(slot) = slots.get(&key) {
			return slot.clone();
		}
		while order.len() >= REMEMBERED_ANSWERS {
			let Some(oldest) = order.pop_front() else { break };
			slots.remove(&oldest);
		}
		order.push_back(key);
		slots.entry(key).or_default().clone()
	}
}

/// Identifies a payment by the chain's own bytes, `(from, nonce)`: one payment sent in several
/// encodings (SS58 prefixes, `0x` ids, bare or typed signatures) is one payment, submitted once.
/// A payload that does not parse is keyed by its JSON (it is refused anyway). Another payload
/// under the same `(from, nonce)` gets the same answer; that reveals nothing, as the job and
/// its output are public on chain.
fn payment_key(gateway: &Gateway, payload: &PaymentPayload) -> [u8; 32] {
	match payload_to_chain(payload, &gateway.chain.genesis_hash()) {
		Ok(chain) => sp_crypto_hashing::blake2_256(&(chain.authorization.from, chain.authorization.nonce).encode()),
		Err(_) => sp_crypto_hashing::blake2_256(&serde_json::to_vec(&payload.payload).unwrap_or_default()),
	}
}

/// Whom unpaid requests are counted against: an IPv4 address, or an IPv6 address's /64 (one
/// host usually holds a whole /64).
fn client_network(address: IpAddr) -> IpAddr {
	match address {
		IpAddr::V4(_) => address,
		IpAddr::V6(v6) => {
			let mut segments = v6.segments();
			segments[4..].fill(0);
			IpAddr::V6(segments.into())
		},
	}
}

/// Which header a payment came in, so the answer uses the same version.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
	V1,
	V2,
}

/// The handler.
pub async fn infer(
	State(gateway): State<Arc<Gateway>>,
	ConnectInfo(client): ConnectInfo<SocketAddr>,
	Path(model): Path<String>,
	RawQuery(query): RawQuery,
	headers: HeaderMap,
	body: Bytes,
) -> Response {
	let request = match parse_request(&gateway, &model, query_tier(query.as_deref()), &body) {
		Ok(request) => request,
		Err(response) => return response,
	};
	let payment = match (headers.get(PAYMENT_SIGNATURE_HEADER), headers.get(X_PAYMENT_HEADER)) {
		(Some(header), _) => Some((Version::V2, header)),
		(None, Some(header)) => Some((Version::V1, header)),
		(None, None) => None,
	};
	let Some((version, header)) = payment else {
		if let Err(retry_after) = gateway.unpaid.admit(client_network(client.ip())) {
			gateway.metrics.requests.with_label_values(&["limited"]).inc();
			return too_many_requests(
				format!("{} unpaid requests a minute per client; pay an offer you have, or retry later", gateway.unpaid.limit()),
				retry_after,
			);
		}
		gateway.metrics.requests.with_label_values(&["offered"]).inc();
		return offer(&gateway, &model, request).await;
	};
	let Ok(_slot) = gateway.paid_slots.try_acquire() else {
		gateway.metrics.requests.with_label_values(&["busy"]).inc();
		return error(StatusCode::SERVICE_UNAVAILABLE, "too many paid requests in flight; retry the same payment shortly");
	};
	let header = header.to_str().unwrap_or_default();
	let payload = match decode_payment(&gateway, version, header) {
		Ok(payload) => payload,
		Err(message) => {
			gateway.metrics.requests.with_label_values(&["malformed"]).inc();
			return error(StatusCode::BAD_REQUEST, message);
		},
	};
	let started = Instant::now();
	let key = payment_key(&gateway, &payload);
	// The payment is served by a task of its own, holding the payment's slot: a client that
	// hangs up cancels nothing, and a retry of the same payment waits for the first. The retry
	// then gets the first's answer; if that said the job had no result yet, a retry that came
	// after it waits for the job again.
	let slot = gateway.payments.slot(key);
	let served = tokio::spawn({
		let gateway = gateway.clone();
		async move {
			let mut kept = slot.lock().await;
			let answer = match kept.as_ref() {
				Some(Answer { waiting: Some(waiting), answered, .. }) if *answered < started =>
					outcome(&gateway, waiting.clone(), version).await,
				Some(answer) => answer.clone(),
				None => paid(&gateway, request, payload, version).await,
			};
			if answer.submitted {
				*kept = Some(answer.clone());
			}
			answer
		}
	});
	let answer = match served.await {
		Ok(answer) => answer,
		Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("serving the payment failed: {e}; send it again")),
	};
	let outcome = if answer.status == StatusCode::OK { "paid" } else { "refused" };
	gateway.metrics.requests.with_label_values(&[outcome]).inc();
	gateway.metrics.paid_latency.observe(started.elapsed().as_secs_f64());
	answer.into_response()
}

/// A request, parsed: the model, tier and input.
struct InferRequest {
	model: ModelId,
	mode: VerificationMode,
	input: Vec<u8>,
}

fn parse_request(gateway: &Gateway, model: &str, query_tier: Option<&str>, body: &[u8]) -> Result<InferRequest, Response> {
	let model = match gateway.settings.aliases.get(model) {
		Some(id) => *id,
		None => parse_hex32(model)
			.map(ModelId::from)
			.ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no model {model:?}: name a served model or give its 0x id")))?,
	};
	let body: InferBody = if body.is_empty() {
		InferBody::default()
	} else {
		serde_json::from_slice(body).map_err(|e| error(StatusCode::BAD_REQUEST, format!("body: {e}")))?
	};
	let tier = query_tier.or(body.tier.as_deref()).unwrap_or("signed");
	let mode = parse_tier(tier)
		.ok_or_else(|| error(StatusCode::BAD_REQUEST, format!("unknown tier {tier:?}: signed, tee or zk")))?;
	let input = match (body.input, body.input_hex) {
		(Some(text), None) => text.into_bytes(),
		(None, Some(hex)) => verity_x402::parse_hex(&hex)
			.ok_or_else(|| error(StatusCode::BAD_REQUEST, "inputHex is not 0x-prefixed hex"))?,
		_ => return Err(error(StatusCode::BAD_REQUEST, "give exactly one of input (text) and inputHex")),
	};
	if input.len() > verity_primitives::inference::MAX_INLINE_INPUT as usize {
		return Err(error(
			StatusCode::PAYLOAD_TOO_LARGE,
			format!("input is {} bytes; at most {} go inline", input.len(), verity_primitives::inference::MAX_INLINE_INPUT),
		));
	}
	Ok(InferRequest { model, mode, input })
}

/// 402 with a fresh offer for `request`, at once, from one runtime call
/// (`InferenceApi::offers`): also while every executor that serves the model at the tier is
/// busy (the paid retry then waits for one to free up).
async fn offer(gateway: &Gateway, model_path: &str, request: InferRequest) -> Response {
	let InferRequest { model, mode, input } = request;
	let offers = match gateway.chain.offers(model).await {
		Ok(offers) => offers,
		Err(e) => return error(StatusCode::BAD_GATEWAY, format!("cannot reach the chain: {e}")),
	};
	// Until its first block a chain has no clock, and its runtime does not know its own genesis
	// hash yet: no payment could be checked (instant-sealed test chains only).
	if offers.at == 0 {
		return retry_later("the chain has not produced a block yet; retry shortly");
	}
	let best = offers.at;
	// The model's own asset first, then every other asset it is priced in at this tier.
	let at_tier: Vec<_> = offers.offers.into_iter().filter(|offer| offer.mode == mode).collect();
	if at_tier.is_empty() {
		return error(StatusCode::NOT_FOUND, format!("model {model:?} is not offered at the {} tier", tier_name(mode)));
	}
	let served: Vec<_> = at_tier.into_iter().filter(|offer| offer.serving_executors > 0).collect();
	if served.is_empty() {
		return error(
			StatusCode::SERVICE_UNAVAILABLE,
			format!("no executor serves model {model:?} at the {} tier now", tier_name(mode)),
		);
	}
	let genesis = gateway.chain.genesis_hash();
	let input = JobInput::Inline(input.try_into().expect("length checked"));
	let mut accepts = Vec::with_capacity(served.len());
	let mut offers = gateway.offers.lock().expect("not poisoned");
	if !offers.has_room(served.len()) {
		return retry_later("the gateway holds as many unpaid offers as it can; retry shortly");
	}
	for offer in served {
		// An amount past `u128::MAX` (a fee registered near it) is no offer: no one could pay it.
		let Some(escrow) = offer.price.checked_add(offer.max_fee) else { continue };
		let spec = JobSpec {
			model,
			mode,
			input: input.clone(),
			max_price: offer.price,
			max_fee: offer.max_fee,
			deadline: best + gateway.settings.deadline_blocks,
		};
		// A salt per offer: offers in two assets may have equal amounts, and so equal specs.
		let salt: [u8; 32] = rand::random();
		let nonce = job_nonce(&spec, &salt);
		let requirements = PaymentRequirements {
			scheme: "exact".into(),
			network: network_id(&genesis),
			amount: escrow.to_string(),
			asset: format_asset(&offer.asset),
			pay_to: format_account(&verity_x402::job_escrow_binding()),
			max_timeout_seconds: gateway.settings.offer_ttl.as_secs(),
			extra: Some(json!({
				"nonce": hex0x(&nonce),
				"genesisHash": format!("{genesis:?}"),
				"job": {
					"model": format!("{model:?}"),
					"tier": tier_name(mode),
					"maxPrice": spec.max_price.to_string(),
					"maxFee": spec.max_fee.to_string(),
					"deadline": spec.deadline,
					"salt": hex0x(&salt),
				},
			})),
		};
		offers.insert(nonce, &spec, salt, requirements.clone());
		accepts.push(requirements);
	}
	drop(offers);
	if accepts.is_empty() {
		return error(StatusCode::SERVICE_UNAVAILABLE, format!("no offer for model {model:?} has an amount that fits in u128"));
	}
	let required = PaymentRequired {
		x402_version: X402_VERSION,
		error: Some(format!("{PAYMENT_SIGNATURE_HEADER} header is required")),
		resource: resource(gateway, model_path),
		accepts,
		extensions: None,
	};
	let mut headers = HeaderMap::new();
	headers.insert(PAYMENT_REQUIRED_HEADER, HeaderValue::from_str(&encode_header(&required)).expect("base64"));
	(StatusCode::PAYMENT_REQUIRED, headers, Json(required)).into_response()
}

/// 503 with `Retry-After: 1` and `reason`: try the same request again shortly.
fn retry_later(reason: &str) -> Response {
	let mut response = error(StatusCode::SERVICE_UNAVAILABLE, reason.to_string());
	response.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from_static("1"));
	response
}

fn resource(gateway: &Gateway, model_path: &str) -> ResourceInfo {
	ResourceInfo {
		url: format!("{}/v1/models/{model_path}/infer", gateway.settings.public_url),
		description: "A verified inference".into(),
		mime_type: "application/json".into(),
	}
}

/// The v2 payload of a payment header; a v1 one is completed with its offer's requirements.
fn decode_payment(gateway: &Gateway, version: Version, header: &str) -> Result<PaymentPayload, String> {
	match version {
		Version::V2 => decode_header::<PaymentPayload>(header).map_err(|e| format!("{PAYMENT_SIGNATURE_HEADER}: {e}")),
		Version::V1 => {
			let v1: PaymentPayloadV1 = decode_header(header).map_err(|e| format!("{X_PAYMENT_HEADER}: {e}"))?;
			let nonce = parse_hex32(&v1.payload.authorization.nonce).ok_or("the authorization's nonce is not 32 bytes of 0x hex")?;
			let offer = gateway.offers.lock().expect("not poisoned").get(&nonce);
			// Without its offer the v1 payload cannot be completed; the check below refuses it.
			let mut accepted = offer.map(|offer| offer.requirements).unwrap_or(PaymentRequirements {
				scheme: v1.scheme.clone(),
				network: v1.network.clone(),
				amount: String::new(),
				asset: String::new(),
				pay_to: String::new(),
				max_timeout_seconds: 0,
				extra: None,
			});
			accepted.scheme = v1.scheme;
			accepted.network = v1.network;
			Ok(PaymentPayload { x402_version: X402_VERSION, resource: None, accepted, payload: v1.payload })
		},
	}
}

/// Settles a paid request and waits for its result.
async fn paid(gateway: &Gateway, request: InferRequest, payload: PaymentPayload, version: Version) -> Answer {
	let genesis = gateway.chain.genesis_hash();
	let network = network_id(&genesis);
	let payer = payload.payload.authorization.from.clone();
	let refuse = |reason: &str| refused(version, &network, Some(&payer), reason, None);
	if payload.accepted.network != network {
		return refuse(PaymentError::InvalidNetwork.reason());
	}
	let Some(nonce) = parse_hex32(&payload.payload.authorization.nonce) else {
		return refuse(PaymentError::InvalidPayload.reason());
	};
	let Some(offer) = gateway.offers.lock().expect("not poisoned").get(&nonce) else {
		return refuse("offer_unknown_or_expired");
	};
	if payload.accepted != offer.requirements {
		return refuse("accepted_does_not_match_offer");
	}
	let Some(spec) = offer.spec_for(request.model, request.mode, &request.input) else {
		return refuse("request_does_not_match_offer");
	};
	let chain_payload = match payload_to_chain(&payload, &genesis) {
		Ok(chain_payload) => chain_payload,
		Err(reason) => return refuse(reason.reason()),
	};
	// Every eligible executor may be at capacity: the payment is good, so wait for one to free
	// up (a job closes, in a new block) rather than refuse it, until the job timeout.
	let patience = Instant::now() + gateway.settings.job_timeout;
	let mut heads = gateway.follower.heads();
	let (submitted, job) = loop {
		let attempt = match gateway.chain.check_paid_job(&spec, &offer.salt, &chain_payload).await {
			Ok(Ok(())) => match gateway.relay.submit_paid(&spec, &offer.salt, &chain_payload).await {
				Ok(submitted) => match submitted.job() {
					Some(job) => break (submitted, job),
					None => Err("job_not_submitted".to_string()),
				},
				Err(SubmitError::Refused(CallError { refusal: Refusal::ExecutorsBusy, .. })) => Ok(()),
				Err(SubmitError::Refused(CallError { refusal: Refusal::Payment(reason), .. })) => Err(reason.reason().into()),
				Err(SubmitError::Refused(CallError { error, .. })) =>
					Err(format!("job_refused_{}", gateway.chain.error_name(&error).await)),
				Err(error) => Err(format!("transaction_failed: {error}")),
			},
			Ok(Err(PaidJobRefusal::ExecutorsBusy)) => Ok(()),
			Ok(Err(refusal)) => Err(refusal_reason(gateway, &refusal).await),
			Err(e) => return unavailable(format!("cannot reach the chain: {e}")),
		};
		if let Err(reason) = attempt {
			if reason == PaymentError::NonceUsed.reason() {
				// Someone may have copied the payment from the pool and got it in first: the payer
				// was charged for this very job (the nonce binds it), so answer with that job.
				match paid_elsewhere(gateway, &offer, &chain_payload, &payload).await {
					Ok(Some(waiting)) => return outcome(gateway, waiting, version).await,
					Ok(None) => {},
					Err(e) => return unavailable(format!("cannot reach the chain: {e}")),
				}
			}
			return refuse(&reason);
		}
		// Busy: try again at the next block, while patience lasts.
		let remaining = patience.saturating_duration_since(Instant::now());
		if remaining.is_zero() || tokio::time::timeout(remaining, heads.recv()).await.is_err() {
			return refuse(EXECUTORS_BUSY);
		}
	};
	tracing::info!(job, block = ?submitted.block, "paid job submitted");
	let receipt = SettleResponse {
		success: true,
		error_reason: None,
		transaction: format!("{:?}", submitted.transaction),
		network,
		payer: Some(payer),
		amount: Some(payload.accepted.amount.clone()),
		block_hash: Some(format!("{:?}", submitted.block)),
	};
	outcome(gateway, Waiting { job, deadline: offer.deadline, receipt }, version).await
}

/// The job an already used payment paid for, submitted by someone else since its offer was
/// made (a relayer retrying elsewhere, or a copy of the payment taken from the pool), as the
/// job to wait for with its receipt; `None` if the nonce was used otherwise.
async fn paid_elsewhere(
	gateway: &Gateway,
	offer: &Offer,
	chain_payload: &ChainPayload,
	payload: &PaymentPayload,
) -> anyhow::Result<Option<Waiting>> {
	let authorization = &chain_payload.authorization;
	let offered_at = offer.deadline.saturating_sub(gateway.settings.deadline_blocks);
	let Some((job, block, transaction)) = gateway.chain.paid_job(&authorization.from, &authorization.nonce, offered_at).await?
	else {
		return Ok(None);
	};
	tracing::info!(job, ?block, "the payment was submitted by someone else: answering with its job");
	let receipt = SettleResponse {
		success: true,
		error_reason: None,
		transaction: format!("{transaction:?}"),
		network: network_id(&gateway.chain.genesis_hash()),
		payer: Some(payload.payload.authorization.from.clone()),
		amount: Some(payload.accepted.amount.clone()),
		block_hash: Some(format!("{block:?}")),
	};
	Ok(Some(Waiting { job, deadline: offer.deadline, receipt }))
}

/// A paid job submitted on chain, whose answer is awaited.
#[derive(Clone)]
struct Waiting {
	job: JobId,
	deadline: BlockNumber,
	receipt: SettleResponse,
}

/// Waits, up to the job timeout, for a submitted job to close, and answers with its result or
/// its refund. An answer that is still waiting keeps the job, so that a retry of the same
/// payment waits again instead of getting the same 504.
async fn outcome(gateway: &Gateway, waiting: Waiting, version: Version) -> Answer {
	let Waiting { job: job_id, deadline, receipt } = &waiting;
	let still_waiting = |status, message: String| Answer {
		submitted: true,
		waiting: Some(waiting.clone()),
		..Answer::new(status, HeaderMap::new(), json!({ "error": message, "jobId": job_id.to_string(), "receipt": receipt }))
	};
	let closed = tokio::time::timeout(gateway.settings.job_timeout, gateway.follower.wait_closed(*job_id, |_| {})).await;
	match closed {
		Ok(Ok((job, block))) if job.status.has_result() => {
			tracing::info!(job = job_id, ?block, "job completed");
			let mut body = match gateway.chain.answer_at(*job_id, &job, block).await {
				Ok(body) => body,
				Err(e) => return still_waiting(StatusCode::BAD_GATEWAY, format!("job {job_id} completed but its result could not be read: {e}; send the same payment again")),
			};
			body["receipt"] = json!(receipt);
			let mut headers = HeaderMap::new();
			headers.insert(response_header(version), HeaderValue::from_str(&encode_header(receipt)).expect("base64"));
			Answer { submitted: true, ..Answer::new(StatusCode::OK, headers, body) }
		},
		Ok(Ok((job, block))) => {
			let reason = if job.status == JobStatus::Failed { "job_failed_refunded" } else { "job_expired_refunded" };
			tracing::warn!(job = job_id, ?block, reason, "paid job closed without a result");
			let mut answer = refused(version, &receipt.network, receipt.payer.as_deref(), reason, Some(&receipt.transaction));
			answer.submitted = true;
			answer.body["jobId"] = json!(job_id.to_string());
			answer.body["refund"] = json!({ "blockHash": format!("{block:?}") });
			answer
		},
		Ok(Err(e)) => still_waiting(
			StatusCode::BAD_GATEWAY,
			format!("lost the chain while waiting for job {job_id}: {e}; send the same payment again, or follow it with `verity job watch {job_id}`"),
		),
		Err(_) => still_waiting(
			StatusCode::GATEWAY_TIMEOUT,
			format!("job {job_id} has no result yet; send the same payment again to wait longer, or follow it with `verity job watch {job_id}`. If it gets none by its deadline, block {deadline}, the payment is refunded on chain."),
		),
	}
}

fn response_header(version: Version) -> &'static str {
	match version {
		Version::V2 => PAYMENT_RESPONSE_HEADER,
		Version::V1 => X_PAYMENT_RESPONSE_HEADER,
	}
}

/// 402 with a failed settlement response.
fn refused(version: Version, network: &str, payer: Option<&str>, reason: &str, transaction: Option<&str>) -> Answer {
	let response = SettleResponse {
		success: false,
		error_reason: Some(reason.into()),
		transaction: transaction.unwrap_or_default().into(),
		network: network.into(),
		payer: payer.map(Into::into),
		amount: None,
		block_hash: None,
	};
	let mut headers = HeaderMap::new();
	headers.insert(response_header(version), HeaderValue::from_str(&encode_header(&response)).expect("base64"));
	Answer::new(StatusCode::PAYMENT_REQUIRED, headers, json!({ "error": reason, "receipt": response }))
}

fn unavailable(message: String) -> Answer {
	Answer::new(StatusCode::BAD_GATEWAY, HeaderMap::new(), json!({ "error": message }))
}

/// The x402 reason of a refused job payment: the payment's, or the pallet error's name.
async fn refusal_reason(gateway: &Gateway, refusal: &PaidJobRefusal) -> String {
	match refusal {
		PaidJobRefusal::Payment(error) => error.reason().into(),
		PaidJobRefusal::Job(error) => format!("job_refused_{}", gateway.chain.error_name(error).await),
		PaidJobRefusal::ExecutorsBusy => EXECUTORS_BUSY.into(),
	}
}
