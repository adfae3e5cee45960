//! Calls and visits the call centre logs: how they came in and what they were about.

use serde::{Deserialize, Serialize};

/// How an inquiry came in.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum InquiryChannel {
    /// 電話 (the default: almost every inquiry is a call).
    #[default]
    Phone,
    /// 窓口: in person at a counter.
    Counter,
    /// 郵送.
    Mail,
    /// Web form or e-mail.
    Web,
}

impl InquiryChannel {
    /// Every channel, in menu order.
    pub const ALL: [InquiryChannel; 4] = [Self::Phone, Self::Counter, Self::Mail, Self::Web];

    /// The code stored in the ledger (the `inquiries.channel` column's check).
    pub fn code(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Counter => "counter",
            Self::Mail => "mail",
            Self::Web => "web",
        }
    }

    /// Reads a stored code back.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The Japanese label.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Phone => "電話",
            Self::Counter => "窓口",
            Self::Mail => "郵送",
            Self::Web => "Web",
        }
    }
}

/// What an inquiry was about: the call centre's fixed list, which the dashboards count by.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum InquiryTopic {
    /// 予約変更.
    Rebooking,
    /// 送迎.
    Transport,
    /// 副反応の相談.
    SideEffects,
    /// 接種券の再発行.
    VoucherReissue,
    /// 会場・持ち物.
    VenueAndItems,
    /// その他 (the default: inquiries logged before topics existed).
    #[default]
    Other,
}

impl InquiryTopic {
    /// Every topic, in menu and report order.
    pub const ALL: [InquiryTopic; 6] = [
        Self::Rebooking,
        Self::Transport,
        Self::SideEffects,
        Self::VoucherReissue,
        Self::VenueAndItems,
        Self::Other,
    ];

    /// The code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Self::Rebooking => "rebooking",
            Self::Transport => "transport",
            Self::SideEffects => "side_effects",
            Self::VoucherReissue => "voucher_reissue",
            Self::VenueAndItems => "venue_and_items",
            Self::Other => "other",
        }
    }

    /// Reads a stored code back. Rows written before topics were a fixed list held free
    /// text: those read as [`InquiryTopic::Other`].
    pub fn from_code(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|t| t.code() == code)
            .unwrap_or(Self::Other)
    }

    /// The Japanese label, as the call centre says it.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Rebooking => "予約変更",
            Self::Transport => "送迎",
            Self::SideEffects => "副反応の相談",
            Self::VoucherReissue => "接種券の再発行",
            Self::VenueAndItems => "会場・持ち物",
            Self::Other => "その他",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Rebooking => "Rebooking",
            Self::Transport => "Transport",
            Self::SideEffects => "Side effects",
            Self::VoucherReissue => "Voucher reissue",
            Self::VenueAndItems => "Venue and what to bring",
            Self::Other => "Other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_and_unknown_topics_are_other() {
        for c in InquiryChannel::ALL {
            assert_eq!(InquiryChannel::from_code(c.code()), Some(c));
        }
        assert_eq!(InquiryChannel::from_code("fax"), None);
        for t in InquiryTopic::ALL {
            assert_eq!(InquiryTopic::from_code(t.code()), t);
        }
        assert_eq!(InquiryTopic::from_code("日程"), InquiryTopic::Other);
    }

    #[test]
    fn the_six_topics_carry_the_call_centres_labels() {
        let labels: Vec<_> = InquiryTopic::ALL.iter().map(|t| t.label_ja()).collect();
        assert_eq!(
            labels,
            [
                "予約変更",
                "送迎",
                "副反応の相談",
                "接種券の再発行",
                "会場・持ち物",
                "その他"
            ]
        );
    }
}
