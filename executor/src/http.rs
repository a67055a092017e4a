//! The executor's HTTP interface.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /health` | the account, the chain, the models served and the jobs in flight (JSON) |
//! | `GET /metrics` | Prometheus metrics |

use std::sync::Arc;

use axum::{
	extract::State,
	http::header,
	response::{IntoResponse, Response},
	routing::get,
	Json, Router,
};
use serde_json::json;
use sp_core::crypto::Ss58Codec;

use crate::service::Executor;

/// The router.
pub fn router(executor: Arc<Executor>) -> Router {
	Router::new()
		.route("/health", get(health))
		.route("/metrics", get(metrics))
		.with_state(executor)
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
