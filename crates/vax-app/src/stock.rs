//! Dose stock at the venue (issue 14): the venue manager records deliveries, thawing,
//! opened vials, waste, transfers, count corrections and quarantines as replicated stock
//! events; the manager's screen shows stock by lot and vial clock, the day's progress and the
//! leftover forecast; the day closes only when the counts balance.
//!
//! Every clock and per-vial figure comes from the product data through
//! [`vax_domain::stock`]; this module checks the action against the stock on hand, writes
//! the event with its op in one transaction, and reads the state back through the same fold.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::product::{Catalogue, SyringeKind};
use vax_domain::stock::{
    clock_colour, leftover_forecast, lot_states, no_show_rate, opened_vial, thawed_use_by,
    ClockColour, ClockError, Imbalance, LeftoverForecast, LotState, SealedState, StockChange,
    WasteReason,
};
use vax_ledger::{EventKind, Ledger, LedgerError, VenueStock};
use vax_sync::{StockEvent, VenueCode};

use crate::audit::{self, About, AuditAction};
use crate::desk::{DeskError, Enrollment};

mod close;
mod cold_chain;
mod handoff;
mod hq;
mod logger;
mod report;
mod standby;
mod view;

pub use close::{close_day, CloseOut, ClosedLot, LotCount, UnbalancedLot};
pub use cold_chain::{
    import_logger, import_logger_file, ColdChainCheck, ColdChainError, LoggerFile,
};
pub use handoff::{quarantine_impacts, QuarantineImpact, DEFAULT_DAYS_TO_REPLACE};
pub(crate) use hq::doses_per_vial;
pub use hq::{hq_stock_view, DeliveryNeed, HqStockView, VenueStockRow, WasteRow};
pub use logger::{parse_logger_csv, LoggerLog};
pub use report::{
    daily_stock_report, report_bytes, report_csv, save_report, StockReportRow, REPORT_HEADER,
};
pub use standby::{log_standby_call, standby_list, StandbyCallView, StandbyEntry};
pub use view::{manager_view, FridgeRow, LotRow, ManagerView, VialRow};

/// Doses of a freshly opened vial the venue accepts to throw away when it opens one late in
/// the day: the forecast advises opening only if enough people come to use the rest. Two of
/// six (a third) is the policy the manager's screen explains; a venue that wants no waste at
/// all calls standby residents instead.
pub const ACCEPTABLE_WASTE_DOSES: u32 = 2;

/// The syringes a venue draws with when nothing else is known: low-dead-space syringes were
/// sent to every municipality from the week of 2021-05-10 (DOMAIN.md §4).
pub const DEFAULT_SYRINGE: SyringeKind = SyringeKind::LowDeadSpace;

/// Why a stock action did not happen.
#[derive(Debug, Error)]
pub enum StockError {
    /// Enrollment, role or venue problems.
    #[error(transparent)]
    Desk(#[from] DeskError),
    /// A field is missing or malformed.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// The product data gives no clock for this action.
    #[error(transparent)]
    Clock(#[from] ClockError),
    /// The action takes more than is on hand.
    #[error("{product} {lot}: {wanted} {unit} asked, {on_hand} on hand")]
    NotEnoughStock {
        /// Product.
        product: String,
        /// Lot.
        lot: String,
        /// What the action takes.
        wanted: i64,
        /// What the ledger holds.
        on_hand: i64,
        /// `vials (frozen)`, `vials (fridge)` or `doses`.
        unit: &'static str,
    },
    /// No open vial with doses and no sealed vial to open.
    #[error("{product} {lot}: no vial with doses left and none thawed to open")]
    NoVialLeft {
        /// Product.
        product: String,
        /// Lot.
        lot: String,
    },
    /// A vial that is not open at this venue.
    #[error("vial {0} is not open at this venue")]
    UnknownVial(String),
    /// The counts do not balance: the day does not close.
    #[error("stock does not balance: {}", describe(.lots))]
    Unbalanced {
        /// Every lot whose count differs, with the numbers.
        lots: Vec<UnbalancedLot>,
    },
    /// The ledger failed; nothing was written.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A report file could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

fn describe(lots: &[UnbalancedLot]) -> String {
    lots.iter()
        .map(|l| {
            format!(
                "{} {}: ledger {} frozen + {} fridge, counted {} + {}",
                l.product,
                l.lot,
                l.expected_frozen,
                l.expected_fridge,
                l.counted_frozen,
                l.counted_fridge
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl UserFacing for StockError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Desk(e) => e.code(),
            Self::Invalid { .. } | Self::UnknownVial(_) => ErrorCode::InvalidInput,
            Self::Clock(_) => ErrorCode::Eligibility,
            Self::NotEnoughStock { .. } => ErrorCode::NotEnoughStock,
            Self::NoVialLeft { .. } => ErrorCode::NoVialLeft,
            Self::Unbalanced { .. } => ErrorCode::StockUnbalanced,
            Self::Ledger(e) => e.code(),
            Self::Write { .. } => ErrorCode::Internal,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Desk(e) => e.message_ja(),
            Self::Invalid { field, problem } => format!("{field}: {problem}"),
            Self::Clock(ClockError::NotFrozen(p)) => {
                format!("{p}は冷凍保管の製品ではないため解凍できません")
            }
            Self::Clock(e) => format!("製品データに該当する規則がありません（{e}）"),
            Self::NotEnoughStock {
                product,
                lot,
                wanted,
                on_hand,
                unit,
            } => {
                let unit = match *unit {
                    "doses" => "回分",
                    "vials (frozen)" => "本（冷凍）",
                    _ => "本（冷蔵）",
                };
                format!("{product} {lot}: {wanted}{unit}を指定しましたが、在庫は{on_hand}{unit}です")
            }
            Self::NoVialLeft { product, lot } => format!(
                "{product} {lot}: 残量のある開封済みバイアルも、開封できる解凍済みバイアルもありません"
            ),
            Self::UnknownVial(v) => format!("バイアル{v}はこの会場で開封されていません"),
            Self::Unbalanced { lots } => format!(
                "在庫数が合わないため締められません: {}",
                lots.iter()
                    .map(|l| format!(
                        "{} {}: 台帳 冷凍{}本・冷蔵{}本、実数 冷凍{}本・冷蔵{}本",
                        l.product,
                        l.lot,
                        l.expected_frozen,
                        l.expected_fridge,
                        l.counted_frozen,
                        l.counted_fridge
                    ))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            Self::Ledger(e) => e.message_ja(),
            Self::Write { path, reason } => format!("{path} に書き込めません: {reason}"),
        }
    }
}

/// One thing the manager records. Clocks are never typed in: they come from the product
/// data at the instant the action is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StockAction {
    /// A delivery (or a transfer in from another venue).
    Receive {
        /// Product code.
        product: String,
        /// Lot number as printed.
        lot: String,
        /// How many vials.
        vials: u32,
        /// The manufacturer's expiry date.
        expires_on: NaiveDate,
        /// A wholesaler, or the sending venue's code.
        from: String,
        /// For thawed vials transferred in a cool box: the end of the thawed clock the
        /// sender shows.
        thawed_use_by: Option<NaiveDateTime>,
    },
    /// Frozen vials to the fridge.
    Thaw {
        /// Product code.
        product: String,
        /// Lot number.
        lot: String,
        /// How many vials.
        vials: u32,
    },
    /// One vial diluted or punctured.
    Open {
        /// Product code.
        product: String,
        /// Lot number.
        lot: String,
        /// The syringes in use (decides the doses per vial).
        syringe: SyringeKind,
    },
    /// Sealed vials thrown away.
    WasteVials {
        /// Product code.
        product: String,
        /// Lot number.
        lot: String,
        /// How many.
        vials: u32,
        /// Freezer or fridge.
        from: SealedState,
        /// Why.
        reason: WasteReason,
    },
    /// Doses of an open vial thrown away.
    WasteDoses {
        /// The vial's id.
        vial: String,
        /// How many.
        doses: u32,
        /// Why.
        reason: WasteReason,
    },
    /// Sealed vials sent to another venue.
    TransferOut {
        /// Product code.
        product: String,
        /// Lot number.
        lot: String,
        /// How many.
        vials: u32,
        /// Freezer or fridge.
        from: SealedState,
        /// The receiving venue's code.
        to: String,
    },
    /// A physical count that differs from the ledger.
    Correct {
        /// Product code.
        product: String,
        /// Lot number.
        lot: String,
        /// Vials to add (positive) or remove (negative).
        vials: i32,
        /// Which count.
        state: SealedState,
        /// Why.
        reason: String,
    },
    /// A temperature excursion or recall: the lot stops everywhere.
    Quarantine {
        /// Product code.
        product: String,
        /// Lot number.
        lot: String,
        /// What happened.
        reason: String,
    },
    /// A mistaken stock record withdrawn.
    Void {
        /// The record's id.
        uid: String,
        /// Why.
        reason: String,
    },
}

impl StockAction {
    /// What the audit trail says of this action: which one, the lot, the count.
    fn audit_detail(&self) -> String {
        match self {
            Self::Receive {
                product,
                lot,
                vials,
                from,
                ..
            } => format!("delivery {product} {lot} +{vials} vials from {from}"),
            Self::Thaw {
                product,
                lot,
                vials,
            } => format!("thaw {product} {lot} {vials} vials"),
            Self::Open { product, lot, .. } => format!("open {product} {lot} 1 vial"),
            Self::WasteVials {
                product,
                lot,
                vials,
                reason,
                ..
            } => format!("waste {product} {lot} {vials} vials ({reason:?})"),
            Self::WasteDoses {
                vial,
                doses,
                reason,
            } => format!("waste vial {vial} {doses} doses ({reason:?})"),
            Self::TransferOut {
                product,
                lot,
                vials,
                to,
                ..
            } => format!("transfer {product} {lot} {vials} vials to {to}"),
            Self::Correct {
                product,
                lot,
                vials,
                reason,
                ..
            } => format!("correction {product} {lot} {vials:+} vials: {reason}"),
            Self::Quarantine {
                product,
                lot,
                reason,
            } => format!("quarantine {product} {lot}: {reason}"),
            Self::Void { uid, reason } => format!("void {uid}: {reason}"),
        }
    }
}

/// What a recorded action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StockRecorded {
    /// The stock event's id (a vial's id for `open`).
    pub uid: String,
    /// The clock it started, if any.
    pub use_by: Option<NaiveDateTime>,
}

pub(crate) fn check_role(enrollment: &Enrollment, may: bool) -> Result<(), StockError> {
    if may {
        Ok(())
    } else {
        Err(DeskError::RoleMayNot {
            role: enrollment.role,
            action: "record stock",
        }
        .into())
    }
}

/// Lot numbers as the booth stores them: 1–20 letters, digits or hyphens, upper-case.
pub(crate) fn lot_number(lot: &str) -> Result<String, StockError> {
    let lot = lot.trim().to_uppercase();
    let ok =
        (1..=20).contains(&lot.len()) && lot.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(lot)
    } else {
        Err(StockError::Invalid {
            field: "lot / ロット番号",
            problem: "1-20 letters, digits or hyphens / 英数字とハイフン1〜20文字",
        })
    }
}

fn text(value: &str, field: &'static str) -> Result<String, StockError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 200 {
        return Err(StockError::Invalid {
            field,
            problem: "1-200 characters / 1〜200文字",
        });
    }
    Ok(v.to_owned())
}

fn positive(n: u32, field: &'static str) -> Result<(), StockError> {
    if n == 0 {
        return Err(StockError::Invalid {
            field,
            problem: "at least 1 / 1以上",
        });
    }
    Ok(())
}

/// The state of every lot at the enrolled venue at `now`.
pub fn venue_lots(
    ledger: &Ledger,
    venue_code: &str,
    now: DateTime<FixedOffset>,
) -> Result<Vec<LotState>, StockError> {
    let reader = ledger.reader();
    let venue = reader.venue(venue_code)?;
    let VenueStock { records, doses } = reader.venue_stock(venue.id, venue_code, &now)?;
    Ok(lot_states(
        Catalogue::builtin(),
        &records,
        &doses,
        now.naive_local(),
    ))
}

fn lot_of<'a>(lots: &'a [LotState], product: &str, lot: &str) -> Option<&'a LotState> {
    lots.iter().find(|l| l.product == product && l.lot == lot)
}

fn not_enough(
    l: Option<&LotState>,
    product: &str,
    lot: &str,
    wanted: i64,
    unit: &'static str,
) -> StockError {
    let on_hand = l.map_or(0, |l| match unit {
        "vials (frozen)" => l.frozen,
        "vials (fridge)" => l.fridge_vials(),
        _ => 0,
    });
    StockError::NotEnoughStock {
        product: product.to_owned(),
        lot: lot.to_owned(),
        wanted,
        on_hand,
        unit,
    }
}

fn take_sealed(
    lots: &[LotState],
    product: &str,
    lot: &str,
    vials: i64,
    from: SealedState,
) -> Result<(), StockError> {
    let l = lot_of(lots, product, lot);
    let (on_hand, unit) = match from {
        SealedState::Frozen => (l.map_or(0, |l| l.frozen), "vials (frozen)"),
        SealedState::Fridge => (l.map_or(0, LotState::fridge_vials), "vials (fridge)"),
    };
    if vials > on_hand {
        return Err(not_enough(l, product, lot, vials, unit));
    }
    Ok(())
}

/// The event an action records, checked against the stock at `now`.
fn event_for(
    action: &StockAction,
    lots: &[LotState],
    now: NaiveDateTime,
) -> Result<(String, String, StockChange), StockError> {
    let catalogue = Catalogue::builtin();
    let product_known = |p: &str| {
        catalogue
            .product(p)
            .map(|_| ())
            .map_err(|e| StockError::Clock(e.into()))
    };
    Ok(match action {
        StockAction::Receive {
            product,
            lot,
            vials,
            expires_on,
            from,
            thawed_use_by,
        } => {
            product_known(product)?;
            positive(*vials, "vials / 本数")?;
            (
                product.clone(),
                lot_number(lot)?,
                StockChange::Received {
                    vials: *vials,
                    expires_on: *expires_on,
                    from: text(from, "from / 納入元")?,
                    thawed_use_by: *thawed_use_by,
                },
            )
        }
        StockAction::Thaw {
            product,
            lot,
            vials,
        } => {
            let lot = lot_number(lot)?;
            positive(*vials, "vials / 本数")?;
            let expires_on = lot_of(lots, product, &lot)
                .and_then(|l| l.expires_on)
                .unwrap_or(NaiveDate::MAX);
            // A product kept cold is refused for what it is, not for its empty freezer.
            let use_by = thawed_use_by(catalogue, product, now, expires_on)?;
            take_sealed(lots, product, &lot, i64::from(*vials), SealedState::Frozen)?;
            (
                product.clone(),
                lot,
                StockChange::Thawed {
                    vials: *vials,
                    use_by,
                },
            )
        }
        StockAction::Open {
            product,
            lot,
            syringe,
        } => {
            let lot = lot_number(lot)?;
            let change = open_change(lots, product, &lot, *syringe, now)?;
            (product.clone(), lot, change)
        }
        StockAction::WasteVials {
            product,
            lot,
            vials,
            from,
            reason,
        } => {
            let lot = lot_number(lot)?;
            positive(*vials, "vials / 本数")?;
            take_sealed(lots, product, &lot, i64::from(*vials), *from)?;
            (
                product.clone(),
                lot,
                StockChange::VialsWasted {
                    vials: *vials,
                    from: *from,
                    reason: *reason,
                },
            )
        }
        StockAction::WasteDoses {
            vial,
            doses,
            reason,
        } => {
            positive(*doses, "doses / 回数")?;
            let (l, v) = lots
                .iter()
                .find_map(|l| l.vials.iter().find(|v| &v.id == vial).map(|v| (l, v)))
                .ok_or_else(|| StockError::UnknownVial(vial.clone()))?;
            if *doses > v.left() {
                return Err(StockError::NotEnoughStock {
                    product: l.product.clone(),
                    lot: l.lot.clone(),
                    wanted: i64::from(*doses),
                    on_hand: i64::from(v.left()),
                    unit: "doses",
                });
            }
            (
                l.product.clone(),
                l.lot.clone(),
                StockChange::DosesWasted {
                    vial: vial.clone(),
                    doses: *doses,
                    reason: *reason,
                },
            )
        }
        StockAction::TransferOut {
            product,
            lot,
            vials,
            from,
            to,
        } => {
            let lot = lot_number(lot)?;
            positive(*vials, "vials / 本数")?;
            take_sealed(lots, product, &lot, i64::from(*vials), *from)?;
            (
                product.clone(),
                lot,
                StockChange::TransferredOut {
                    vials: *vials,
                    from: *from,
                    to: text(to, "to / 移送先")?,
                },
            )
        }
        StockAction::Correct {
            product,
            lot,
            vials,
            state,
            reason,
        } => {
            let lot = lot_number(lot)?;
            if *vials == 0 {
                return Err(StockError::Invalid {
                    field: "vials / 本数",
                    problem: "a correction changes the count / 0以外",
                });
            }
            if *vials < 0 {
                take_sealed(lots, product, &lot, -i64::from(*vials), *state)?;
            }
            (
                product.clone(),
                lot,
                StockChange::Corrected {
                    vials: *vials,
                    state: *state,
                    reason: text(reason, "reason / 理由")?,
                },
            )
        }
        StockAction::Quarantine {
            product,
            lot,
            reason,
        } => {
            product_known(product)?;
            (
                product.clone(),
                lot_number(lot)?,
                StockChange::Quarantined {
                    reason: text(reason, "reason / 理由")?,
                },
            )
        }
        StockAction::Void { .. } => unreachable!("voids are handled before"),
    })
}

/// The `opened` event of the next vial of a lot at `now`: from the fridge batch with the
/// earliest running clock, with the in-use clock of the product data.
pub(crate) fn open_change(
    lots: &[LotState],
    product: &str,
    lot: &str,
    syringe: SyringeKind,
    now: NaiveDateTime,
) -> Result<StockChange, StockError> {
    let state = lot_of(lots, product, lot);
    let batch =
        state
            .and_then(|l| l.next_fridge_vial(now))
            .ok_or_else(|| StockError::NoVialLeft {
                product: product.to_owned(),
                lot: lot.to_owned(),
            })?;
    let expires_on = state.and_then(|l| l.expires_on).unwrap_or(NaiveDate::MAX);
    let (use_by, doses) = opened_vial(
        Catalogue::builtin(),
        product,
        now,
        syringe,
        batch.use_by,
        expires_on,
    )?;
    Ok(StockChange::Opened {
        use_by,
        doses,
        syringe,
    })
}

/// Records one stock action at the enrolled venue, checked against the stock on hand.
pub fn record_stock(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    action: &StockAction,
    now: DateTime<FixedOffset>,
) -> Result<StockRecorded, StockError> {
    let may = match action {
        StockAction::Open { .. } => enrollment.role.may_open_vials(),
        _ => enrollment.role.may_record_stock(),
    };
    check_role(enrollment, may)?;
    let actor = audit::actor(&ledger.reader(), enrollment, now).map_err(DeskError::from)?;
    let about = |uid: &str| {
        About {
            record: Some(uid.to_owned()),
            ..About::default()
        }
        .detail(action.audit_detail())
    };
    if let StockAction::Void { uid, reason } = action {
        let reason = text(reason, "reason / 理由")?;
        let mut tx = ledger.transaction()?;
        tx.void_event(EventKind::Stock, uid, &reason, &now)?;
        audit::record(&mut tx, &actor, AuditAction::Void, &about(uid), now)?;
        tx.commit()?;
        return Ok(StockRecorded {
            uid: uid.clone(),
            use_by: None,
        });
    }
    let lots = venue_lots(ledger, &enrollment.venue_code, now)?;
    let (product, lot, change) = event_for(action, &lots, now.naive_local())?;
    let use_by = match &change {
        StockChange::Thawed { use_by, .. } | StockChange::Opened { use_by, .. } => Some(*use_by),
        _ => None,
    };
    let mut tx = ledger.transaction()?;
    let uid = tx.record_stock(
        &StockEvent {
            venue: VenueCode::new(&enrollment.venue_code),
            product,
            lot,
            at: now.naive_local(),
            change,
        },
        &now,
    )?;
    audit::record(&mut tx, &actor, AuditAction::Stock, &about(&uid), now)?;
    tx.commit()?;
    Ok(StockRecorded { uid, use_by })
}

/// The colour of a clock of the product's own length.
pub(crate) fn colour_of(
    product: &str,
    hours: impl Fn(&vax_domain::product::DosingRules) -> Option<u32>,
    use_by: NaiveDateTime,
    now: NaiveDateTime,
) -> ClockColour {
    let total = Catalogue::builtin()
        .product(product)
        .ok()
        .and_then(|p| p.rules_on(now.date()).ok())
        .and_then(hours)
        .map_or(Duration::hours(6), |h| Duration::hours(i64::from(h)));
    clock_colour(total, use_by, now)
}

/// Renders an imbalance for the close-out error.
pub(crate) fn imbalance_text(i: &Imbalance) -> String {
    match i {
        Imbalance::NegativeSealed { frozen, fridge } => {
            format!("negative sealed count (frozen {frozen}, fridge {fridge})")
        }
        Imbalance::OverdrawnVial {
            vial,
            doses,
            given,
            wasted,
        } => format!("vial {vial}: {given} given + {wasted} wasted > {doses} doses"),
    }
}

/// The leftover forecast of a venue at `now`, from today's progress and the no-show rate of
/// today's finished bands and the past 7 days (a booking whose dose was not given, as the
/// dashboard counts no-shows: someone who came but was not vaccinated drew no dose). The
/// manager's screen and HQ's dashboard both call this, so they show the same figure.
pub(crate) fn forecast(
    ledger: &Ledger,
    venue_id: i64,
    lots: &[LotState],
    now: DateTime<FixedOffset>,
) -> Result<LeftoverForecast, LedgerError> {
    let today = now.date_naive();
    let reader = ledger.reader();
    let (past_booked, past_came) = reader.attendance(venue_id, today - Duration::days(7), today)?;
    let (mut booked, mut came) = (past_booked, past_came);
    let mut still_booked = 0;
    let mut waiting = 0;
    for b in reader.band_attendance(venue_id, today)? {
        if b.end <= now.time() {
            booked += b.booked;
            came += b.dosed;
        } else {
            still_booked += b.booked.saturating_sub(b.checked_in);
        }
        waiting += b.checked_in.saturating_sub(b.dosed);
    }
    let rate = no_show_rate(booked, came).unwrap_or(0.0);
    let at = now.naive_local();
    let open: u32 = lots
        .iter()
        .filter(|l| l.quarantined.is_none())
        .map(|l| l.doses_in_open_vials(at))
        .sum();
    // Residents checked in and not yet dosed will draw from the open vials for certain.
    let doses_open = open.saturating_sub(waiting);
    let next = lots
        .iter()
        .filter(|l| l.quarantined.is_none())
        .filter_map(|l| l.next_fridge_vial(at).map(|_| l))
        .find_map(|l| {
            let rules = Catalogue::builtin()
                .product(&l.product)
                .ok()?
                .rules_on(today)
                .ok()?;
            Some(rules.doses_per_vial(DEFAULT_SYRINGE))
        });
    Ok(leftover_forecast(
        still_booked,
        rate,
        doses_open,
        next,
        ACCEPTABLE_WASTE_DOSES,
    ))
}
