//! The error of the SigV4-signed protocols Coffer answers itself (IAM, STS, S3 Control; KMS
//! renames it): a status, AWS's code and a message, and the one place IAM domain errors
//! become wire errors. A leaf: every adapter may use it, it uses none of them.

use coffer_iam::IamError;
use http::StatusCode;

/// A failure answered in the query protocol's error XML.
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    pub(crate) fn parts(self) -> (StatusCode, &'static str, String) {
        (self.status, self.code, self.message)
    }
}

/// The one place IAM domain errors become wire errors.
impl From<IamError> for ApiError {
    fn from(e: IamError) -> Self {
        let msg = e.to_string();
        let (status, code) = match e {
            IamError::NoSuchEntity(_) => (StatusCode::NOT_FOUND, "NoSuchEntity"),
            IamError::EntityAlreadyExists(_) => (StatusCode::CONFLICT, "EntityAlreadyExists"),
            IamError::DeleteConflict(_) => (StatusCode::CONFLICT, "DeleteConflict"),
            IamError::LimitExceeded(_) => (StatusCode::CONFLICT, "LimitExceeded"),
            IamError::MalformedPolicyDocument(_) => {
                (StatusCode::BAD_REQUEST, "MalformedPolicyDocument")
            }
            IamError::InvalidInput(_) => (StatusCode::BAD_REQUEST, "ValidationError"),
            IamError::InvalidAuthenticationCode(_) => {
                (StatusCode::FORBIDDEN, "InvalidAuthenticationCode")
            }
            IamError::AccessDenied(_) => (StatusCode::FORBIDDEN, "AccessDenied"),
            IamError::Corrupt | IamError::Random | IamError::Store(_) => {
                tracing::error!(error = %msg, "IAM internal error");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServiceFailure",
                    "An internal error occurred.",
                );
            }
        };
        Self {
            status,
            code,
            message: msg,
        }
    }
}
