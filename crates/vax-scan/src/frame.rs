//! Frames as the pipeline sees them: pixels plus the moment they were captured.

use std::borrow::Cow;
use std::time::Duration;

use image::{GrayImage, RgbImage};

/// The pixels of one frame. Cameras deliver RGB; recorded test frames are often grayscale
/// already, so both are kept as they come and converted only when a decoder needs luma.
#[derive(Debug, Clone, PartialEq)]
pub enum FramePixels {
    /// 8-bit grayscale.
    Luma(GrayImage),
    /// 8-bit RGB.
    Rgb(RgbImage),
}

/// One captured frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The picture.
    pub pixels: FramePixels,
    /// Capture time, measured from an origin chosen by the source (for a camera, the moment it
    /// was opened). Only differences between timestamps of one source are meaningful.
    pub timestamp: Duration,
}

impl Frame {
    /// A grayscale frame.
    pub fn luma(image: GrayImage, timestamp: Duration) -> Self {
        Self {
            pixels: FramePixels::Luma(image),
            timestamp,
        }
    }

    /// An RGB frame.
    pub fn rgb(image: RgbImage, timestamp: Duration) -> Self {
        Self {
            pixels: FramePixels::Rgb(image),
            timestamp,
        }
    }

    /// Width and height in pixels.
    pub fn dimensions(&self) -> (u32, u32) {
        match &self.pixels {
            FramePixels::Luma(img) => img.dimensions(),
            FramePixels::Rgb(img) => img.dimensions(),
        }
    }

    /// The frame as grayscale, borrowed when it already is (the common case in tests and
    /// benchmarks, where a copy per frame would show up in the timings).
    pub fn to_luma(&self) -> Cow<'_, GrayImage> {
        match &self.pixels {
            FramePixels::Luma(img) => Cow::Borrowed(img),
            FramePixels::Rgb(img) => {
                Cow::Owned(image::DynamicImage::ImageRgb8(img.clone()).into_luma8())
            }
        }
    }
}
