//! The JSON error every endpoint answers with: `{"code","message","message_ja","retryable"}`.
//! Free of HTTP: the router ([`crate::api`]) picks the status from the code.

use vax_domain::error::ErrorCode;
use vax_sync::http::ErrorBody;
use vax_sync::{RoleError, SyncError};

use crate::store::StoreError;

/// A refused request. A refused request changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The body.
    pub body: ErrorBody,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.body.code, self.body.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// An error with the given parts; retryable when the server itself is in trouble.
    pub fn new(code: ErrorCode, message: impl Into<String>, message_ja: impl Into<String>) -> Self {
        Self {
            body: ErrorBody {
                code,
                message: message.into(),
                message_ja: message_ja.into(),
                retryable: matches!(
                    code,
                    ErrorCode::StorageUnavailable
                        | ErrorCode::Internal
                        | ErrorCode::RateLimited
                        | ErrorCode::OpsBudgetExceeded
                        | ErrorCode::RequestTimeout
                ),
                op: None,
            },
        }
    }

    /// The same error naming the one op it is about (the device quarantines that op).
    pub fn with_op(mut self, op: Option<vax_sync::OpId>) -> Self {
        self.body.op = op;
        self
    }

    /// 401: HQ revoked the device holding this token.
    pub fn device_revoked() -> Self {
        Self::new(
            ErrorCode::DeviceRevoked,
            "this device was revoked by HQ; its token and its new records are refused",
            "この端末は本部により無効化されました。同期できません。本部に連絡してください。",
        )
    }

    /// 404: no enrolled device has this replica id.
    pub fn no_such_device(replica: &vax_sync::ReplicaId) -> Self {
        Self::new(
            ErrorCode::NoSuchEndpoint,
            format!("no device {replica} is enrolled"),
            "その端末は登録されていません。",
        )
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.body.code
    }

    /// 400 for a request body that is not what the endpoint takes.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::BadRequest,
            message,
            "要求の形式が正しくありません。",
        )
    }

    /// 401: no bearer token.
    pub fn missing_token() -> Self {
        Self::new(
            ErrorCode::MissingToken,
            "this endpoint needs an `Authorization: Bearer <token>` header from an enrolled device",
            "この端末は登録されていません（認証情報がありません）。本部に登録を依頼してください。",
        )
    }

    /// 401: a token no enrolled device holds.
    pub fn unknown_token() -> Self {
        Self::new(
            ErrorCode::UnknownToken,
            "the bearer token does not belong to an enrolled device",
            "この端末の認証情報は無効です。本部に再登録を依頼してください。",
        )
    }

    /// 403: an endpoint for HQ devices only.
    pub fn hq_only() -> Self {
        Self::new(
            ErrorCode::HqOnly,
            "only HQ devices may use this endpoint",
            "この操作は本部の端末だけが行えます。",
        )
    }

    /// 403: an endpoint for venue relays only.
    pub fn relay_only() -> Self {
        Self::new(
            ErrorCode::NotPermitted,
            "only venue relay devices may use this endpoint",
            "この操作は会場中継機だけが行えます。",
        )
    }

    /// 404: the enrollment code is unknown, used or expired (deliberately not told apart).
    pub fn enrollment_code_invalid() -> Self {
        Self::new(
            ErrorCode::EnrollmentCodeInvalid,
            "this enrollment code is unknown, already used or expired; ask HQ for a new one",
            "この登録コードは無効です（誤り・使用済み・期限切れ）。本部に新しいコードを依頼してください。",
        )
    }

    /// 404 for a path the server does not serve.
    pub fn no_such_endpoint() -> Self {
        Self::new(
            ErrorCode::NoSuchEndpoint,
            "no such endpoint",
            "そのような接続先はありません。",
        )
    }

    /// 413: the body is over the endpoint's limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            ErrorCode::TooLarge,
            format!("the request body is over the {limit}-byte limit"),
            "送信データが大きすぎます。",
        )
    }

    /// 429: the device syncs more often than its rate allows.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self::new(
            ErrorCode::RateLimited,
            format!("too many requests from this device; retry in {retry_after_seconds} s"),
            format!(
                "この端末からの要求が多すぎます。{retry_after_seconds}秒後に再度お試しください。"
            ),
        )
    }

    /// 429: the device sent more ops than its budget allows for now.
    pub fn ops_budget_exceeded(retry_after_seconds: u64) -> Self {
        Self::new(
            ErrorCode::OpsBudgetExceeded,
            format!(
                "this device sent more records than its budget allows; retry in {retry_after_seconds} s"
            ),
            format!(
                "この端末から短時間に送られた記録が多すぎます。{retry_after_seconds}秒後に自動で再送します。"
            ),
        )
    }

    /// 503: the request took longer than the server allows.
    pub fn request_timeout(limit: std::time::Duration) -> Self {
        Self::new(
            ErrorCode::RequestTimeout,
            format!(
                "the request took longer than {} s; try again later",
                limit.as_secs()
            ),
            "要求の処理が時間内に終わりませんでした。しばらくしてから再度お試しください。",
        )
    }

    /// 403: an op names another venue than the author's.
    pub fn wrong_venue(op: &vax_sync::OpId, venue: &str, enrolled: &str) -> Self {
        Self::new(
            ErrorCode::WrongVenue,
            format!("op {op} is for venue {venue}, but its author is enrolled at {enrolled}"),
            format!("会場 {enrolled} の端末が別の会場 {venue} の記録を送ろうとしました。"),
        )
        .with_op(Some(*op))
    }

    /// 403: a partial replica's op about a resident outside its municipalities (walk-ins'
    /// check-ins and doses excepted).
    pub fn wrong_scope(op: &vax_sync::OpId, resident_municipality: Option<&str>) -> Self {
        let theirs = resident_municipality.unwrap_or("unknown");
        let theirs_ja = resident_municipality.unwrap_or("不明");
        Self::new(
            ErrorCode::WrongScope,
            format!("op {op} changes a resident of municipality {theirs}, outside its author's enrolled municipalities; only a check-in or a dose of a walk-in may name such a resident"),
            format!("この端末の担当外の市町村（{theirs_ja}）の住民の記録を変更しようとしました。他市町村の方は受付・接種の記録のみできます。"),
        )
        .with_op(Some(*op))
    }

    /// 403: HQ of some municipalities asked for a code of another scope (or the whole ledger),
    /// or to revoke a device outside its municipalities.
    pub fn wrong_scope_enrollment(hq_scope: &[vax_domain::voucher::MunicipalityCode]) -> Self {
        let codes = hq_scope
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        Self::new(
            ErrorCode::WrongScope,
            format!("this HQ device holds municipalities {codes} only: it makes codes for and revokes devices of those municipalities and no other"),
            format!("この本部端末は担当の市町村（{codes}）の端末だけを登録・失効できます。"),
        )
    }

    /// 403: a venue's device voids a record the server does not hold.
    pub fn void_of_unknown_record(void: &vax_sync::OpId, target: &vax_sync::OpId) -> Self {
        Self::new(
            ErrorCode::NotPermitted,
            format!("void {void} names record {target}, which the server does not hold; a venue device voids only records it has received"),
            "この端末が、サーバーにない記録を取り消そうとしました。同期は拒否され、何も保存されていません。",
        )
        .with_op(Some(*void))
    }

    /// 403: this device may not look residents up online (`crate::scope::may_look_up`).
    pub fn lookup_not_permitted(message: &str, message_ja: &str) -> Self {
        Self::new(ErrorCode::NotPermitted, message, message_ja)
    }

    /// 403: a snapshot whose seal is not its sender's, does not verify, or does not name the
    /// data sent; nothing is stored.
    pub fn snapshot_refused(why: &str) -> Self {
        Self::new(
            ErrorCode::BadSignature,
            format!("snapshot refused: {why}; nothing was stored"),
            "スナップショットの署名を確認できませんでした。保存していません。",
        )
    }

    /// 403: an HQ device may file a snapshot of its own municipalities only (`scope`).
    pub fn snapshot_wrong_scope(scope: &str) -> Self {
        let (scope, scope_ja) = if scope.is_empty() {
            ("the whole ledger", "全市町村")
        } else {
            (scope, scope)
        };
        Self::new(
            ErrorCode::WrongScope,
            format!("this HQ device holds {scope}: its snapshot must be of exactly that"),
            format!(
                "この本部端末の担当（{scope_ja}）と異なる範囲のスナップショットは保存できません。"
            ),
        )
    }

    /// 404: no snapshot of the device's scope; its first sync runs op by op.
    pub fn no_snapshot() -> Self {
        Self::new(
            ErrorCode::NoSnapshot,
            "the server holds no snapshot of this device's municipalities; sync op by op",
            "この端末の担当範囲のスナップショットはありません。通常の同期で受け取ります。",
        )
    }

    /// 404: the server holds no record of this resident of this municipality.
    pub fn unknown_resident(municipality: &str) -> Self {
        Self::new(
            ErrorCode::UnknownResident,
            format!("the server holds no record of this voucher of municipality {municipality}"),
            format!(
                "サーバーに、この接種券（市町村コード {municipality}）の方の記録はありません。"
            ),
        )
    }

    /// 429: the device looked residents up more often than the server allows.
    pub fn lookups_limited(retry_after_seconds: u64) -> Self {
        Self::new(
            ErrorCode::RateLimited,
            format!("too many resident lookups from this device; try again in {retry_after_seconds} s"),
            format!("この端末からの住民照会が多すぎます。{retry_after_seconds}秒後に再度お試しください。"),
        )
    }

    /// 503: storage failed.
    pub fn storage(e: &StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        Self::new(
            ErrorCode::StorageUnavailable,
            format!("the server could not store or read data ({e}); try again later"),
            "サーバーの保存処理に失敗しました。しばらくしてから再度同期してください。",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConflictingOp(op) => SyncError::ConflictingOp { op }.into(),
            e => Self::storage(&e),
        }
    }
}

impl From<RoleError> for ApiError {
    fn from(e: RoleError) -> Self {
        let (code, op) = match e {
            RoleError::UnknownAuthor { op, .. } => (ErrorCode::UnknownAuthor, op),
            RoleError::NotPermitted { op, .. } => (ErrorCode::NotPermitted, op),
        };
        Self::new(
            code,
            e.to_string(),
            "この端末の役割では送れない記録が含まれています。同期は拒否され、何も保存されていません。",
        )
        .with_op(Some(op))
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        if let SyncError::Storage(inner) = &e {
            if let Some(StoreError::ConflictingOp(op)) = inner.downcast_ref::<StoreError>() {
                return SyncError::ConflictingOp { op: *op }.into();
            }
        }
        let (code, ja) = match &e {
            SyncError::TooLarge { .. } | SyncError::TooManyOps { .. } => {
                (ErrorCode::TooLarge, "送信データが大きすぎます。")
            }
            SyncError::Malformed(_) => (
                ErrorCode::MalformedMessage,
                "同期データの形式が正しくありません。",
            ),
            SyncError::UnsupportedProtocol { .. } => (
                ErrorCode::UnsupportedProtocol,
                "アプリとサーバーの同期方式の版が合いません。アプリを更新してください。",
            ),
            SyncError::WrongPeer { .. } => (
                ErrorCode::WrongSender,
                "同期データの送信元がこの端末の認証情報と一致しません。",
            ),
            SyncError::UnknownSigner { .. } => (
                ErrorCode::UnknownAuthor,
                "登録されていない端末の記録が含まれています。同期は拒否され、何も保存されていません。",
            ),
            SyncError::BadSignature { .. } | SyncError::Key(_) => (
                ErrorCode::BadSignature,
                "署名が正しくない記録が含まれています（改ざんまたは他の端末の名をかたる記録）。同期は拒否され、何も保存されていません。",
            ),
            SyncError::InvalidOp { .. } | SyncError::CounterJump { .. } => (
                ErrorCode::InvalidOp,
                "不正な記録が含まれています。同期は拒否され、何も保存されていません。",
            ),
            SyncError::ConflictingOp { .. } => (
                ErrorCode::ConflictingOp,
                "既にある記録と同じ番号で内容の異なる記録が送られました。本部に連絡してください。",
            ),
            SyncError::ClockAhead { .. } => (
                ErrorCode::ClockAhead,
                "この端末の時計が進みすぎています。時計を合わせてから再度同期してください。",
            ),
            SyncError::Storage(_) => {
                tracing::error!(error = %e, "storage failure");
                (
                    ErrorCode::StorageUnavailable,
                    "サーバーの保存処理に失敗しました。しばらくしてから再度同期してください。",
                )
            }
        };
        let mut err = Self::new(code, e.to_string(), ja).with_op(e.op());
        err.body.retryable = e.is_retryable();
        err
    }
}
