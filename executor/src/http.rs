//! The executor's HTTP interface.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /jobs` | a validator's signed dispatch: 202 taken, 200 duplicate, 400 malformed, 403 not from a dispatcher, 422 not for this executor or chain, 503 shutting down |
//! | `GET /health` | the account, the chain, the models served and the jobs in flight (JSON) |
//! | `GET /metrics` | Prometheus metrics |

use std::sync::Arc;

use axum::{
	body::Bytes,
	extract::{DefaultBodyLimit, State},
	http::{header, StatusCode},
	response::{IntoResponse, Response},
	routing::{get, post},
	Json, Router,
};
use serde_json::json;
use sp_core::crypto::Ss58Codec;

use crate::service::{DispatchError, Executor, Intake};

/// Largest dispatch body accepted: a 16 KiB inline input is 32 KiB of hex, plus the envelope.
pub const MAX_DISPATCH_BODY: usize = 40 * 1024;

/// The router.
pub fn router(executor: Arc<Executor>) -> Router {
	Router::new()
		.route("/jobs", post(receive_job))
		.route("/health", get(health))
		.route("/metrics", get(metrics))
		.layer(DefaultBodyLimit::max(MAX_DISPATCH_BODY))
		.with_state(executor)
}

async fn receive_job(State(executor): State<Arc<Executor>>, body: Bytes) -> Response {
	let (status, result, body) = match executor.receive_dispatch(&body).await {
		Ok(Intake::Accepted) => (StatusCode::ACCEPTED, "accepted", json!({ "status": "accepted" })),
		Ok(Intake::Duplicate) => (StatusCode::OK, "duplicate", json!({ "status": "duplicate" })),
		Ok(Intake::ShuttingDown) => (
			StatusCode::SERVICE_UNAVAILABLE,
			"refused",
			json!({ "error": "the executor is shutting down" }),
		),
		Err(e) => {
			let status = match e {
				DispatchError::Malformed(_) => StatusCode::BAD_REQUEST,
				DispatchError::UnknownDispatcher | DispatchError::BadSignature => StatusCode::FORBIDDEN,
				DispatchError::WrongChain(_) | DispatchError::WrongExecutor | DispatchError::InputMismatch =>
					StatusCode::UNPROCESSABLE_ENTITY,
			};
			tracing::warn!(error = %e, "dispatch refused");
			(status, "refused", json!({ "error": e.to_string() }))
		},
	};
	executor.metrics.dispatches.with_label_values(&[result]).inc();
	(status, Json(body)).into_response()
}

async fn health(State(executor): State<Arc<Executor>>) -> Json<serde_json::Value> {
	let models: Vec<_> = executor
		.engines()
		.values()
		.map(|e| json!({ "name": e.name(), "id": format!("{:?}", e.model_id()), "format": e.format() }))
		.collect();
	Json(json!({
		"account": executor.account().to_ss58check(),
		"models": models,
		"active_jobs": executor.active_jobs(),
	}))
}

async fn metrics(State(executor): State<Arc<Executor>>) -> Response {
	([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], executor.metrics.render()).into_response()
}
