//! Japanese line breaking (禁則処理, after JIS X 4051): where a line of running text may end.
//!
//! Japanese text may break between any two characters except that some characters must not
//! begin a line (行頭禁則: closing brackets, 、。, small kana, the long vowel mark ー, iteration
//! marks …) and some must not end one (行末禁則: opening brackets). When the character that
//! would start the next line is one of the former, the last character of the line is carried
//! over with it (追い出し), so every line stays within the width (no hanging punctuation
//! past a box's border). A word of Latin letters or digits is kept whole when it fits on a
//! line of its own.

/// Characters that must not begin a line.
pub(crate) fn no_line_start(c: char) -> bool {
    matches!(
        c,
        // Closing brackets and quotes.
        '）' | ')' | '」' | '』' | '】' | '〕' | '〉' | '》' | '］' | ']' | '｝' | '}' | '〙' | '〗' | '’' | '”'
        // Punctuation.
        | '、' | '。' | '，' | '．' | ',' | '.' | '・' | '：' | '；' | ':' | ';' | '？' | '！' | '?' | '!' | '‼' | '⁇'
        // The long vowel mark, iteration marks, small kana.
        | 'ー' | 'ｰ' | '〜' | '～' | '々' | '〻' | 'ゝ' | 'ゞ' | 'ヽ' | 'ヾ'
        | 'ぁ' | 'ぃ' | 'ぅ' | 'ぇ' | 'ぉ' | 'っ' | 'ゃ' | 'ゅ' | 'ょ' | 'ゎ' | 'ゕ' | 'ゖ'
        | 'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ッ' | 'ャ' | 'ュ' | 'ョ' | 'ヮ' | 'ヵ' | 'ヶ'
        | 'ｧ' | 'ｨ' | 'ｩ' | 'ｪ' | 'ｫ' | 'ｯ' | 'ｬ' | 'ｭ' | 'ｮ'
        // Units and marks that follow a number.
        | '％' | '%' | '℃' | '°'
    )
}

/// Characters that must not end a line.
pub(crate) fn no_line_end(c: char) -> bool {
    matches!(
        c,
        '（' | '('
            | '「'
            | '『'
            | '【'
            | '〔'
            | '〈'
            | '《'
            | '［'
            | '['
            | '｛'
            | '{'
            | '〘'
            | '〖'
            | '‘'
            | '“'
    )
}

/// Parts of a word that must not be split (Latin letters, digits and what joins them).
fn in_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '@' | '_' | '/' | '+' | '\'')
}

/// Whether a break is allowed between `before` and `after`.
fn may_break(before: char, after: char) -> bool {
    let inside_word = in_word(before) && in_word(after);
    !(no_line_start(after) || no_line_end(before) || inside_word)
}

/// Breaks `text` into lines no wider than `max_w` (in the unit of `width`), breaking only
/// where [`may_break`] allows. A line that cannot be broken anywhere within the width (one
/// long word) is broken at the width, as a last resort. Line breaks in `text` are kept.
pub(crate) fn break_lines(text: &str, max_w: f32, width: impl Fn(char) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let chars: Vec<char> = paragraph.trim_end_matches('\r').chars().collect();
        let mut start = 0;
        while start < chars.len() {
            let mut used = 0.0;
            let mut end = start;
            while end < chars.len() && (end == start || used + width(chars[end]) <= max_w) {
                used += width(chars[end]);
                end += 1;
            }
            if end < chars.len() {
                // Carry characters over to the next line until the break is allowed; with
                // no allowed break on the line, break at the width.
                if let Some(cut) = (start + 1..=end)
                    .rev()
                    .find(|&k| may_break(chars[k - 1], chars[k]))
                {
                    end = cut;
                }
            }
            lines.push(chars[start..end].iter().collect());
            start = end;
        }
    }
    lines.retain(|l: &String| !l.is_empty());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character one unit wide: lines of at most `n` characters.
    fn lines(text: &str, n: usize) -> Vec<String> {
        break_lines(text, n as f32, |_| 1.0)
    }

    #[test]
    fn the_long_vowel_mark_never_starts_a_line() {
        // Six a line would put ー at the start of the second line: セ moves down with it.
        assert_eq!(
            lines("コールセンターへお電話ください。", 6),
            ["コールセン", "ターへお電話", "ください。"]
        );
    }

    #[test]
    fn punctuation_and_closing_brackets_never_start_a_line() {
        assert_eq!(
            lines("ご迷惑をおかけ、申し訳", 7),
            ["ご迷惑をおか", "け、申し訳"]
        );
        assert_eq!(
            lines("お問い合わせ先（コール）へ", 6),
            ["お問い合わせ", "先（コール）", "へ"]
        );
        assert_eq!(lines("取り消しました。", 7), ["取り消しまし", "た。"]);
        // A run of them (」。) moves down with the character before it.
        assert_eq!(lines("「中止」。次に", 3), ["「中", "止」。", "次に"]);
    }

    #[test]
    fn small_kana_and_iteration_marks_never_start_a_line() {
        assert_eq!(lines("接種券ッ", 3), ["接種", "券ッ"]);
        assert_eq!(lines("あいうっ", 3), ["あい", "うっ"]);
        assert_eq!(lines("いろいろ時々", 5), ["いろいろ", "時々"]);
        // No allowed break within the width at all: broken at the width (last resort).
        assert_eq!(lines("ちょっと", 2), ["ちょ", "っと"]);
    }

    #[test]
    fn an_opening_bracket_never_ends_a_line() {
        assert_eq!(lines("下記の（コール", 4), ["下記の", "（コール"]);
    }

    #[test]
    fn latin_words_and_numbers_stay_whole_when_they_fit() {
        assert_eq!(
            lines("電話 0773-62-0000 まで", 14),
            ["電話 ", "0773-62-0000 ま", "で"]
        );
        assert_eq!(lines("abcdefgh", 3), ["abc", "def", "gh"], "too long: cut");
    }

    #[test]
    fn short_text_and_line_breaks() {
        assert_eq!(lines("", 5), Vec::<String>::new());
        assert_eq!(lines("接種", 5), ["接種"]);
        assert_eq!(lines("一行目\n二行目", 5), ["一行目", "二行目"]);
    }

    #[test]
    fn lines_stay_within_the_width_and_keep_every_character() {
        let text = "新型コロナワクチンの次の接種予約を取り消しましたので、お知らせします。ご迷惑をおかけして申し訳ありません。（コールセンター）へ「ー」";
        // Its longest run without an allowed break is three characters (ター）, 「ー」).
        for n in 4..20 {
            let out = lines(text, n);
            assert_eq!(out.concat(), text, "width {n}");
            for (i, l) in out.iter().enumerate() {
                assert!(l.chars().count() <= n, "width {n}: {l}");
                if i > 0 {
                    let first = l.chars().next().unwrap();
                    let last = out[i - 1].chars().last().unwrap();
                    assert!(may_break(last, first), "width {n}: {last}|{first}");
                }
            }
        }
    }
}
