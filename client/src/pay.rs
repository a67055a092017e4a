//! The client side of x402 against any gateway: send the request, take the 402's offer, sign
//! the payment, retry once, and return the answer with its settlement receipt.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, header::HeaderMap, Request};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use sp_core::{sr25519, H256};
use verity_x402::{
	decode_header, encode_header, network_id, parse_hex32, sign_payment, PaymentPayload, PaymentRequired, PaymentRequirements,
	PaymentTerms, SettleResponse, PAYMENT_REQUIRED_HEADER, PAYMENT_RESPONSE_HEADER, PAYMENT_SIGNATURE_HEADER,
};

/// Seconds before now an authorization is valid from (clock skew between payer and chain).
const VALID_BEFORE_NOW: u64 = 600;

/// Why a paid request did not get its resource.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
	/// The gateway could not be reached or answered something that is not x402.
	#[error("{0}")]
	Transport(String),
	/// The gateway's 402 offers nothing this client can pay.
	#[error("no offer this client can pay: {0}")]
	NoOffer(String),
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
	/// The response body.
	pub body: serde_json::Value,
	/// The settlement receipt (`PAYMENT-RESPONSE`).
	pub receipt: Option<SettleResponse>,
}

/// POSTs `body` to `url`; on 402, pays the first `exact` offer (in `asset`, if given) as
/// `payer` and retries once. `genesis` is the chain's genesis hash where the offer does not
/// carry it (`extra.genesisHash`). A 503 with `Retry-After` (the gateway's chain has no block
/// yet) is asked again after the time it names, until `timeout` has passed.
pub async fn pay(
	http: &HttpClient,
	url: &str,
	body: &serde_json::Value,
	payer: &sr25519::Pair,
	asset: Option<&str>,
	genesis: Option<H256>,
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
		.find(|offer| offer.scheme == "exact" && asset.is_none_or(|asset| offer.asset == asset))
		.cloned()
		.ok_or_else(|| PayError::NoOffer(serde_json::to_string(&required.accepts).unwrap_or_default()))?;
	let payment = sign_offer(payer, &offer, Some(required.resource.clone()), genesis)?;
	let (status, headers, answer) =
		post(http, url, &[(PAYMENT_SIGNATURE_HEADER, encode_header(&payment))], body, timeout).await?;
	let receipt: Option<SettleResponse> = headers
		.get(PAYMENT_RESPONSE_HEADER)
		.and_then(|header| decode_header(header.to_str().ok()?).ok());
	let body: serde_json::Value = serde_json::from_slice(&answer).unwrap_or(serde_json::Value::Null);
	match (status, &receipt) {
		(200, _) => Ok(Paid { offer, body, receipt }),
		(402, Some(SettleResponse { error_reason: Some(reason), .. })) =>
			Err(PayError::Refused { reason: reason.clone(), body }),
		_ => Err(PayError::Failed { status, body }),
	}
}

/// Signs a payment of `offer`: valid from 10 minutes ago for the offer's `maxTimeoutSeconds`,
/// under the nonce the offer names (`extra.nonce`, a job payment's) or a random one.
pub fn sign_offer(
	payer: &sr25519::Pair,
	offer: &PaymentRequirements,
	resource: Option<verity_x402::ResourceInfo>,
	genesis: Option<H256>,
) -> Result<PaymentPayload, PayError> {
	let extra = |field: &str| offer.extra.as_ref().and_then(|extra| extra.get(field)).and_then(|v| v.as_str());
	let genesis = extra("genesisHash")
		.and_then(parse_hex32)
		.map(H256)
		.or(genesis)
		.ok_or_else(|| PayError::NoOffer("the offer does not name its chain's genesis hash; give the node URL".into()))?;
	if network_id(&genesis) != offer.network {
		return Err(PayError::NoOffer(format!("the offer is for {}, not the chain {genesis:?}", offer.network)));
	}
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
	sign_payment(payer, offer, resource, &terms, &genesis).map_err(|e| PayError::NoOffer(e.reason().into()))
}
