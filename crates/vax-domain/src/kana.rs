//! Kana search keys.
//!
//! Reception staff type a name the way it comes: hiragana from an IME, full-width katakana,
//! or half-width katakana pasted from an old municipal system. All of them must find the
//! same resident, so both the stored reading and the query are folded to one key.

use unicode_normalization::UnicodeNormalization;

/// Folds a reading to its search key: NFKC (half-width katakana become full-width, voiced
/// marks combine), hiragana become katakana, and every kind of blank is removed.
///
/// ```
/// use vax_domain::kana::search_key;
/// assert_eq!(search_key("やまだ はなこ"), "ヤマダハナコ");
/// assert_eq!(search_key("ﾔﾏﾀﾞ ﾊﾅｺ"), "ヤマダハナコ");
/// assert_eq!(search_key("ヤマダ　ハナコ"), "ヤマダハナコ");
/// ```
pub fn search_key(reading: &str) -> String {
    reading
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .map(hiragana_to_katakana)
        .collect()
}

/// Normalises a reading for storage: full-width katakana with one ASCII space between
/// family and given name, as printed on letters and manifests.
pub fn display_reading(reading: &str) -> String {
    let folded: String = reading.nfkc().map(hiragana_to_katakana).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether every character is katakana (incl. ー and ・) or a blank, after folding; used to
/// reject a reading column that holds kanji or Latin letters by mistake.
pub fn is_reading(reading: &str) -> bool {
    let key = search_key(reading);
    !key.is_empty()
        && key
            .chars()
            .all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | 'ヽ' | 'ヾ'))
}

fn hiragana_to_katakana(c: char) -> char {
    match c {
        // ぁ..ゖ and the iteration marks ゝゞ map onto the katakana block at a fixed offset.
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::hiragana("すずき いちろう", "スズキイチロウ")]
    #[case::half_width_with_voiced_marks("ｽｽﾞｷ ｲﾁﾛｳ", "スズキイチロウ")]
    #[case::full_width_space("スズキ　イチロウ", "スズキイチロウ")]
    #[case::long_vowel_mark("ゆーこ", "ユーコ")]
    #[case::mixed("ｻﾄウ よしこ", "サトウヨシコ")]
    fn every_way_of_typing_a_reading_gives_the_same_key(#[case] typed: &str, #[case] key: &str) {
        assert_eq!(search_key(typed), key, "{typed:?} must fold to {key:?}");
    }

    #[test]
    fn display_reading_keeps_one_space_between_family_and_given_name() {
        assert_eq!(display_reading("ﾀﾅｶ　  はなこ"), "タナカ ハナコ");
    }

    #[test]
    fn kanji_and_latin_are_not_readings() {
        assert!(is_reading("タナカ ハナコ"), "katakana is a reading");
        assert!(is_reading("たなか"), "hiragana is a reading");
        assert!(!is_reading("田中 花子"), "kanji is not a reading");
        assert!(!is_reading("Tanaka"), "Latin is not a reading");
        assert!(!is_reading("  "), "blank is not a reading");
    }
}
