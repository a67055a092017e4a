//! The scikit-learn digits data set (vendored in `mlp/data`, BSD-3-Clause): 1797 8×8 images of
//! handwritten digits, pixels 0..=16.

use std::io::Read;

/// Pixels per image.
pub const PIXELS: usize = 64;
/// Classes (the digits 0..=9).
pub const CLASSES: usize = 10;
/// A pixel (0..=16) becomes the int8 input `pixel · INPUT_SCALE` (0..=112).
pub const INPUT_SCALE: u8 = 7;

/// The vendored data set, gzipped CSV, compiled in so that the shipped model's training and its
/// tests need no file at run time.
pub const DATA_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

/// One image and its label.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sample {
	/// Row-major pixels, 0..=16.
	pub pixels: [u8; PIXELS],
	/// The digit.
	pub label: u8,
}

impl Sample {
	/// The model input of this image: the bytes an MLP job carries.
	pub fn input_bytes(&self) -> Vec<u8> {
		quantize_pixels(&self.pixels)
	}
}

/// Pixels 0..=16 to the int8 input bytes of the digits model.
pub fn quantize_pixels(pixels: &[u8]) -> Vec<u8> {
	pixels.iter().map(|p| p.min(&16) * INPUT_SCALE).collect()
}

/// Parses the gzipped CSV (64 pixel columns, then the label).
pub fn parse(gz: &[u8]) -> Result<Vec<Sample>, String> {
	let mut text = String::new();
	flate2::read::GzDecoder::new(gz)
		.read_to_string(&mut text)
		.map_err(|e| format!("digits data: {e}"))?;
	text.lines()
		.enumerate()
		.map(|(row, line)| {
			let values: Vec<u8> = line
				.split(',')
				.map(|v| v.trim().parse::<u8>())
				.collect::<Result<_, _>>()
				.map_err(|e| format!("digits row {row}: {e}"))?;
			if values.len() != PIXELS + 1 || values[PIXELS] as usize >= CLASSES {
				return Err(format!("digits row {row}: expected 64 pixels and a label 0..=9"));
			}
			let mut pixels = [0; PIXELS];
			pixels.copy_from_slice(&values[..PIXELS]);
			Ok(Sample { pixels, label: values[PIXELS] })
		})
		.collect()
}

/// The vendored data set.
pub fn load() -> Vec<Sample> {
	parse(DATA_GZ).expect("the vendored data set parses")
}

/// The fixed train / held-out split: every fifth sample (index ≡ 4 mod 5) is held out.
pub fn split(samples: &[Sample]) -> (Vec<Sample>, Vec<Sample>) {
	let (test, train): (Vec<_>, Vec<_>) =
		samples.iter().cloned().enumerate().partition(|(i, _)| i % 5 == 4);
	(train.into_iter().map(|(_, s)| s).collect(), test.into_iter().map(|(_, s)| s).collect())
}
