//! Prometheus metrics, served at `GET /metrics`.

use prometheus::{
	Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
	TextEncoder,
};

/// Every metric of the executor.
#[derive(Clone)]
pub struct Metrics {
	registry: Registry,
	/// Jobs that ended, by tier and outcome (`completed`, `failed`, `rejected`).
	pub jobs: IntCounterVec,
	/// Seconds from taking a job to its result being in a block, by tier.
	pub job_latency: HistogramVec,
	/// Seconds of model execution, by model.
	pub inference: HistogramVec,
	/// Transactions that did not make it into a block (each is retried).
	pub submission_failures: IntCounter,
	/// Jobs taken and not yet settled on chain.
	pub in_flight: IntGauge,
}

impl Metrics {
	/// Registers every metric.
	pub fn new() -> Self {
		let registry = Registry::new_custom(Some("verity_executor".into()), None).expect("valid prefix");
		let latency_buckets = vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0];
		let metrics = Self {
			jobs: IntCounterVec::new(Opts::new("jobs_total", "Jobs that ended, by tier and outcome"), &["tier", "outcome"])
				.expect("valid metric"),
			job_latency: HistogramVec::new(
				HistogramOpts::new("job_latency_seconds", "From taking a job to its result in a block")
					.buckets(latency_buckets),
				&["tier"],
			)
			.expect("valid metric"),
			inference: HistogramVec::new(
				HistogramOpts::new("inference_seconds", "Model execution time")
					.buckets(vec![0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
				&["model"],
			)
			.expect("valid metric"),
			submission_failures: IntCounter::new(
				"submission_failures_total",
				"Transactions that did not make it into a block",
			)
			.expect("valid metric"),
			in_flight: IntGauge::new("in_flight_jobs", "Jobs taken and not yet settled on chain").expect("valid metric"),
			registry,
		};
		for collector in [
			Box::new(metrics.jobs.clone()) as Box<dyn prometheus::core::Collector>,
			Box::new(metrics.job_latency.clone()),
			Box::new(metrics.inference.clone()),
			Box::new(metrics.submission_failures.clone()),
			Box::new(metrics.in_flight.clone()),
		] {
			metrics.registry.register(collector).expect("registered once");
		}
		metrics
	}

	/// The Prometheus text exposition of every metric.
	pub fn render(&self) -> String {
		let mut out = Vec::new();
		TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding");
		String::from_utf8(out).expect("the text format is UTF-8")
	}
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}
