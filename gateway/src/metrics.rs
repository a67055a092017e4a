//! Prometheus metrics, served at `GET /metrics`.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounterVec, Opts, Registry, TextEncoder};

/// Every metric of the gateway.
#[derive(Clone)]
pub struct Metrics {
	registry: Registry,
	/// Inference requests, by outcome (`offered`, `limited`, `paid`, `refused`, `malformed`, `busy`).
	pub requests: IntCounterVec,
	/// Seconds from a paid request to its answer.
	pub paid_latency: Histogram,
}

impl Metrics {
	/// Registers every metric.
	pub fn new() -> Self {
		let registry = Registry::new_custom(Some("verity_gateway".into()), None).expect("valid prefix");
		let metrics = Self {
			requests: IntCounterVec::new(Opts::new("requests_total", "Inference requests, by outcome"), &["outcome"])
				.expect("valid metric"),
			paid_latency: Histogram::with_opts(
				HistogramOpts::new("paid_latency_seconds", "From a paid request to its answer")
					.buckets(vec![0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0]),
			)
			.expect("valid metric"),
			registry,
		};
		metrics.registry.register(Box::new(metrics.requests.clone())).expect("registered once");
		metrics.registry.register(Box::new(metrics.paid_latency.clone())).expect("registered once");
		metrics
	}

	/// The text exposition format.
	pub fn render(&self) -> String {
		let mut out = Vec::new();
		TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("encodes");
		String::from_utf8(out).expect("utf-8")
	}
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}
