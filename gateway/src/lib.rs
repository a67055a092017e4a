//! `verity-gateway`: the x402 front door for inference. See `docs/gateway.md`.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` | the web page: tier split over time, recent jobs and their checks, a paid-inference form |
//! | `POST /v1/models/{model}/infer` | an inference: 402 with the offer, or, paid, the verified result |
//! | `GET /v1/models`, `GET /v1/stats`, `GET /v1/jobs`, `GET /v1/jobs/{id}` | what the page shows (JSON) |
//! | `POST /dev/pay` | development chains only: the page's form, paid by a dev account |
//! | `POST /verify`, `GET /supported` | the x402 facilitator API, by the node's `x402_*` RPC |
//! | `POST /settle` | the same, for the resource servers this gateway is configured with only (`settlers`) |
//! | `GET /health` | the chain and the relayer account (JSON) |
//! | `GET /metrics` | Prometheus metrics |
//! | `GET /openapi.json` | the OpenAPI document of these routes |

pub mod infer;
pub mod metrics;
pub mod offers;
pub mod page;
pub mod rate;
pub mod relay;
pub mod settlers;

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
	extract::{DefaultBodyLimit, State},
	http::{header, HeaderMap, StatusCode},
	response::{IntoResponse, Response},
	routing::{get, post},
	Json, Router,
};
use serde_json::{json, Value};
use sp_core::crypto::Ss58Codec;
use verity_client::{chain::Chain, follow::Follower};
use verity_primitives::inference::ModelId;

use crate::{
	infer::Payments, metrics::Metrics, offers::Offers, page::RecentJobs, rate::RateLimit, relay::Relay, settlers::Settlers,
};

/// Largest request body: a 16 KiB inline input as hex, plus the envelope.
pub const MAX_BODY: usize = 40 * 1024;

/// What the gateway is configured with.
#[derive(Clone)]
pub struct Settings {
	/// Models by name, besides their `0x` ids.
	pub aliases: HashMap<String, ModelId>,
	/// How long a paid request waits for the job's verified result.
	pub job_timeout: Duration,
	/// How long an offer may be paid (`maxTimeoutSeconds`).
	pub offer_ttl: Duration,
	/// Blocks from the offer to the job's deadline.
	pub deadline_blocks: u32,
	/// Paid requests served at once; more get 503.
	pub max_concurrent: usize,
	/// The URL this gateway is reached at, for the `resource` of its offers.
	pub public_url: String,
	/// Dev accounts the page's form may pay with, by name; empty outside development chains.
	pub dev_payers: HashMap<String, sp_core::sr25519::Pair>,
	/// The resource servers `POST /settle` serves, as `(name, key)`; none: it serves no one.
	pub settlers: Vec<(String, String)>,
	/// Settlements each resource server may make per minute.
	pub settles_per_minute: u32,
	/// Unpaid requests (offers) each client may make per minute.
	pub unpaid_per_minute: u32,
}

/// The gateway's state, shared by its handlers.
pub struct Gateway {
	pub(crate) chain: Chain,
	pub(crate) follower: Follower,
	pub(crate) relay: Relay,
	pub(crate) offers: std::sync::Mutex<Offers>,
	pub(crate) payments: Payments,
	pub(crate) settings: Settings,
	pub(crate) metrics: Metrics,
	pub(crate) paid_slots: tokio::sync::Semaphore,
	pub(crate) recent: Arc<RecentJobs>,
	pub(crate) settlers: Settlers,
	/// Unpaid requests by client network: they cost the client nothing and the gateway an offer.
	pub(crate) unpaid: RateLimit<std::net::IpAddr>,
}

impl Gateway {
	/// A gateway over `chain` whose relayer is `relay`. Starts its one head subscription
	/// (shared by the page's recent jobs and the waiting paid requests), so it must be called
	/// inside a Tokio runtime.
	pub fn new(chain: Chain, relay: Relay, settings: Settings) -> Arc<Self> {
		let recent = Arc::new(RecentJobs::default());
		let follower = Follower::start(chain.clone());
		tokio::spawn(page::follow_completed_jobs(chain.clone(), follower.clone(), recent.clone()));
		Arc::new(Self {
			follower,
			recent,
			offers: std::sync::Mutex::new(Offers::new(65_536, settings.offer_ttl)),
			payments: Payments::default(),
			metrics: Metrics::new(),
			paid_slots: tokio::sync::Semaphore::new(settings.max_concurrent),
			settlers: Settlers::new(settings.settlers.clone(), settings.settles_per_minute),
			unpaid: RateLimit::per_minute(settings.unpaid_per_minute),
			chain,
			relay,
			settings,
		})
	}
}

/// The router. Serve it with its clients' addresses
/// (`into_make_service_with_connect_info::<SocketAddr>()`): unpaid requests are limited per
/// client.
pub fn router(gateway: Arc<Gateway>) -> Router {
	Router::new()
		.route("/", get(page::index))
		.route("/v1/models", get(page::models))
		.route("/v1/stats", get(page::stats))
		.route("/v1/jobs", get(page::jobs))
		.route("/v1/jobs/{id}", get(page::job))
		.route("/dev/pay", post(page::dev_pay))
		.route("/v1/models/{model}/infer", post(infer::infer))
		.route("/verify", post(facilitator_verify))
		.route("/settle", post(facilitator_settle))
		.route("/supported", get(facilitator_supported))
		.route("/health", get(health))
		.route("/metrics", get(metrics))
		.route("/openapi.json", get(openapi))
		.layer(DefaultBodyLimit::max(MAX_BODY))
		.with_state(gateway)
}

/// A JSON error body: `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
	(status, Json(json!({ "error": message.into() }))).into_response()
}

/// 429 with `Retry-After: retry_after` seconds.
pub(crate) fn too_many_requests(message: impl Into<String>, retry_after: u64) -> Response {
	let mut answer = error(StatusCode::TOO_MANY_REQUESTS, message);
	answer.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
	answer
}

async fn facilitator(gateway: &Gateway, method: &str, params: Vec<Value>) -> Response {
	match gateway.chain.rpc_request(method, params).await {
		Ok(answer) => Json(answer).into_response(),
		Err(e) => error(StatusCode::BAD_GATEWAY, format!("the node refused {method}: {e}")),
	}
}

async fn facilitator_verify(State(gateway): State<Arc<Gateway>>, Json(request): Json<Value>) -> Response {
	facilitator(&gateway, "x402_verify", vec![request]).await
}

/// Only for a configured resource server, within its rate: settling spends the facilitator's
/// fees ([`settlers`]).
async fn facilitator_settle(
	State(gateway): State<Arc<Gateway>>,
	headers: HeaderMap,
	Json(request): Json<Value>,
) -> Response {
	let settler = match gateway.settlers.admit(&headers) {
		Ok(settler) => settler,
		Err(refused) => return refused,
	};
	tracing::debug!(%settler, "settling");
	facilitator(&gateway, "x402_settle", vec![request]).await
}

async fn facilitator_supported(State(gateway): State<Arc<Gateway>>) -> Response {
	facilitator(&gateway, "x402_supported", vec![]).await
}

async fn health(State(gateway): State<Arc<Gateway>>) -> Json<Value> {
	Json(json!({
		"network": verity_x402::network_id(&gateway.chain.genesis_hash()),
		"relayer": gateway.relay.account().to_ss58check(),
		"models": gateway.settings.aliases.iter().map(|(name, id)| (name.clone(), json!(format!("{id:?}")))).collect::<serde_json::Map<_, _>>(),
	}))
}

async fn metrics(State(gateway): State<Arc<Gateway>>) -> Response {
	([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], gateway.metrics.render()).into_response()
}

async fn openapi() -> Response {
	([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json")).into_response()
}
