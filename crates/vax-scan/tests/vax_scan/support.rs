//! Synthetic camera frames with a voucher QR in them.

use image::{GrayImage, Luma};
use imageproc::geometric_transformations::{warp, Border, Interpolation, Projection};

/// The DOMAIN.md §2 example voucher line.
pub const VOUCHER: &str = "112620210000123456";

/// How the card sits in front of the camera.
#[derive(Debug, Clone, Copy)]
pub struct Shot {
    /// Rotation in degrees around the code's centre.
    pub rotate_deg: f32,
    /// Perspective: how much narrower the far edge is (0 = head-on, 0.3 = strong tilt).
    pub tilt: f32,
    /// Gaussian blur sigma in pixels (0 = sharp).
    pub blur: f32,
    /// Dark and light levels of the printed code after exposure.
    pub levels: (u8, u8),
    /// Module size in pixels.
    pub module_px: u32,
}

impl Shot {
    pub const CLEAN: Shot = Shot {
        rotate_deg: 0.0,
        tilt: 0.0,
        blur: 0.0,
        levels: (0, 255),
        module_px: 6,
    };
}

/// A 1280x720 grey "desk" frame with the QR of `payload` placed off-centre as `shot` says.
pub fn camera_frame(payload: &str, shot: Shot) -> GrayImage {
    let code = qrcode::QrCode::new(payload.as_bytes()).expect("an 18-digit payload fits a QR code");
    let qr = code
        .render::<Luma<u8>>()
        .module_dimensions(shot.module_px, shot.module_px)
        .quiet_zone(true)
        .build();
    let (qw, qh) = (qr.width() as f32, qr.height() as f32);
    // Background: a mid-grey desk with a gentle light gradient, like a real room.
    let mut frame = GrayImage::from_fn(1280, 720, |x, y| Luma([110 + ((x + y) / 40) as u8]));
    // Map the code's corners to a tilted, rotated quad centred at (700, 380).
    let (cx, cy) = (700.0f32, 380.0f32);
    let half_w = qw / 2.0;
    let half_h = qh / 2.0;
    let narrow = half_w * (1.0 - shot.tilt);
    let corners = [
        (-narrow, -half_h),
        (narrow, -half_h),
        (half_w, half_h),
        (-half_w, half_h),
    ];
    let (s, c) = shot.rotate_deg.to_radians().sin_cos();
    let to = corners.map(|(x, y)| (cx + x * c - y * s, cy + x * s + y * c));
    let from = [(0.0, 0.0), (qw, 0.0), (qw, qh), (0.0, qh)];
    let projection =
        Projection::from_control_points(from, to).expect("corners are in general position");
    // Warp the code into a frame-sized layer; outside the code stays "transparent" (1).
    let mut layer = GrayImage::from_pixel(1280, 720, Luma([1]));
    let mut padded = GrayImage::from_pixel(1280, 720, Luma([1]));
    image::imageops::replace(&mut padded, &qr, 0, 0);
    warp(
        &padded,
        projection,
        Interpolation::Bilinear,
        Border::Constant(Luma([1])),
    )
    .enumerate_pixels()
    .for_each(|(x, y, p)| layer.put_pixel(x, y, *p));
    let (dark, light) = shot.levels;
    for (x, y, p) in layer.enumerate_pixels() {
        if p[0] != 1 {
            let v = f32::from(p[0]) / 255.0;
            let level = f32::from(dark) + v * f32::from(light - dark);
            frame.put_pixel(x, y, Luma([level as u8]));
        }
    }
    if shot.blur > 0.0 {
        frame = imageproc::filter::gaussian_blur_f32(&frame, shot.blur);
    }
    frame
}

/// A frame of the empty desk: no code anywhere.
pub fn empty_frame() -> GrayImage {
    GrayImage::from_fn(1280, 720, |x, y| Luma([110 + ((x + y) / 40) as u8]))
}
