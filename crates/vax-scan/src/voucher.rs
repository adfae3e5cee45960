//! From decoded QR text to a voucher.

use vax_domain::voucher::{OcrLine, VoucherError, VoucherPayload};

/// Why a decoded QR text is not a voucher code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoucherReadError {
    /// The voucher QR holds exactly 18 ASCII digits (DOMAIN.md §2.1); anything else is some
    /// other QR code held up to the camera (a URL, a phone's ticket, ...).
    #[error("the QR code does not hold 18 ASCII digits (found {found} characters)")]
    NotEighteenDigits {
        /// Number of characters in the text.
        found: usize,
    },
    /// 18 digits, but not a valid voucher line (bad municipality check digit, dose 0, ...).
    #[error("the QR code is not a valid voucher line")]
    Invalid(#[from] VoucherError),
}

/// Parses the text of a voucher QR code.
///
/// Stricter than [`VoucherPayload::parse`], which also accepts typed input with blanks,
/// hyphens and full-width digits: a printed QR code holds exactly 18 ASCII digits, and a
/// camera that sees anything else is looking at a different code.
///
/// # Errors
/// [`VoucherReadError::NotEighteenDigits`] for any other shape,
/// [`VoucherReadError::Invalid`] when the digits fail the domain rules.
pub fn voucher_from_qr_text(text: &str) -> Result<OcrLine, VoucherReadError> {
    if text.len() != 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VoucherReadError::NotEighteenDigits {
            found: text.chars().count(),
        });
    }
    match VoucherPayload::parse(text)? {
        VoucherPayload::Line(line) => Ok(line),
        // Unreachable for 18 digits, but the domain type allows it; report the shape rather
        // than panic.
        VoucherPayload::NumberOnly(_) => Err(VoucherReadError::NotEighteenDigits { found: 10 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_domain_example() {
        let line = voucher_from_qr_text("112620210000123456").expect("DOMAIN.md example is valid");
        assert_eq!(line.to_digits(), "112620210000123456", "digits round-trip");
    }

    #[test]
    fn rejects_urls_and_blanks() {
        assert!(
            matches!(
                voucher_from_qr_text("https://example.org/"),
                Err(VoucherReadError::NotEighteenDigits { .. })
            ),
            "a URL is another QR code, not a voucher"
        );
        assert!(
            matches!(
                voucher_from_qr_text("1126202100 00123456"),
                Err(VoucherReadError::NotEighteenDigits { .. })
            ),
            "a printed QR never contains blanks"
        );
    }

    #[test]
    fn rejects_a_bad_municipality_check_digit() {
        assert!(
            matches!(
                voucher_from_qr_text("112620200000123456"),
                Err(VoucherReadError::Invalid(_))
            ),
            "262020 fails the municipality check digit (262021 is right)"
        );
    }
}
