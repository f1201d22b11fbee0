//! Errors as JavaScript sees them: an `Error` named `OciregError` with a
//! stable `code` to branch on, and, when the registry answered, its HTTP
//! `status` and the `registryErrors` of its error body.

use js_sys::{Array, Reflect};
use ocireg_core::ops::TransportErrorKind;
use ocireg_core::VerifyError;
use ocireg_wasm::Error;
use wasm_bindgen::JsValue;

/// An `OciregError` with `code` and `message`.
pub(crate) fn error_with_code(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("OciregError");
    set(&error, "code", &code.into());
    error.into()
}

/// An `INVALID_INPUT` error for a bad argument.
pub(crate) fn invalid(message: impl AsRef<str>) -> JsValue {
    error_with_code("INVALID_INPUT", message.as_ref())
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property of a fresh Error cannot fail.
    let _ = Reflect::set(target, &key.into(), value);
}

/// The `code` of an error.
pub(crate) fn code(e: &Error) -> &'static str {
    use ocireg_core::Error as Core;
    match e {
        Error::Reference(_) => "INVALID_REFERENCE",
        Error::Manifest(_) | Error::Registry(Core::Manifest(_)) => "INVALID_MANIFEST",
        Error::InvalidInput { .. } | Error::Registry(Core::InvalidInput { .. }) => "INVALID_INPUT",
        Error::Registry(Core::Registry { status: 404, .. }) => "NOT_FOUND",
        Error::Registry(Core::Registry { .. }) => "REGISTRY_ERROR",
        Error::Registry(Core::Unauthorized { .. }) => "UNAUTHORIZED",
        Error::Registry(Core::Verify(VerifyError::SizeMismatch { .. })) => "SIZE_MISMATCH",
        Error::Registry(Core::Verify(_)) => "DIGEST_MISMATCH",
        Error::Registry(Core::TooLarge { .. } | Core::DescriptorTooLarge { .. }) => "TOO_LARGE",
        Error::Registry(Core::TooMany { .. }) => "TOO_MANY",
        Error::Registry(Core::Protocol { .. }) => "PROTOCOL_ERROR",
        Error::Registry(Core::Transport(t)) => match t.kind() {
            TransportErrorKind::Blocked => "BLOCKED",
            TransportErrorKind::Source => "SOURCE_ERROR",
            TransportErrorKind::BodyTooLarge => "TOO_LARGE",
            TransportErrorKind::Timeout => "TIMEOUT",
            _ => "NETWORK_ERROR",
        },
        _ => "ERROR",
    }
}

/// The JavaScript error for an error of the client.
pub(crate) fn to_js(e: &Error) -> JsValue {
    let error = error_with_code(code(e), &e.to_string());
    if let Error::Registry(ocireg_core::Error::Registry { status, errors, .. }) = e {
        set(&error, "status", &(*status).into());
        let list = Array::new();
        for entry in &errors.errors {
            let item = js_sys::Object::new();
            set(&item, "code", &entry.code.as_str().into());
            set(&item, "message", &entry.message.as_str().into());
            if !entry.detail.is_null() {
                if let Ok(detail) = crate::convert::to_js(&entry.detail) {
                    set(&item, "detail", &detail);
                }
            }
            list.push(&item);
        }
        set(&error, "registryErrors", &list);
    }
    if let Error::Registry(ocireg_core::Error::Unauthorized { scopes, .. }) = e {
        set(&error, "scopes", &scopes.as_str().into());
    }
    error
}
