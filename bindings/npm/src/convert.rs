//! Moving values across: plain objects out (through JSON, which the
//! module carries anyway), option objects in (read field by field, with an
//! error naming the field).

use js_sys::{Function, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::invalid;

/// A plain JavaScript object (or array, string, ...) with the value's JSON
/// shape.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    let json = serde_json::to_string(value).map_err(|e| invalid(e.to_string()))?;
    js_sys::JSON::parse(&json)
}

/// The options object (or `undefined`) a method was given.
pub(crate) struct Options {
    object: JsValue,
    what: &'static str,
}

impl Options {
    pub(crate) fn new(object: &JsValue, what: &'static str) -> Result<Options, JsValue> {
        if !(object.is_undefined() || object.is_null() || object.is_object()) {
            return Err(invalid(format!("{what} must be an object")));
        }
        Ok(Options {
            object: object.clone(),
            what,
        })
    }

    fn get(&self, key: &str) -> Option<JsValue> {
        if !self.object.is_object() {
            return None;
        }
        Reflect::get(&self.object, &key.into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    fn wrong(&self, key: &str, want: &str) -> JsValue {
        invalid(format!("{}.{key} must be {want}", self.what))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, JsValue> {
        self.get(key)
            .map(|v| v.as_string().ok_or_else(|| self.wrong(key, "a string")))
            .transpose()
    }

    pub(crate) fn number(&self, key: &str) -> Result<Option<f64>, JsValue> {
        self.get(key)
            .map(|v| {
                v.as_f64()
                    .filter(|n| n.is_finite() && *n >= 0.0 && n.fract() == 0.0)
                    .ok_or_else(|| self.wrong(key, "a whole number"))
            })
            .transpose()
    }

    pub(crate) fn function(&self, key: &str) -> Result<Option<Function>, JsValue> {
        self.get(key)
            .map(|v| {
                v.dyn_into::<Function>()
                    .map_err(|_| self.wrong(key, "a function"))
            })
            .transpose()
    }
}

/// Bytes given as a `Uint8Array` (or any typed array / ArrayBuffer) or a
/// string (UTF-8).
pub(crate) fn bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = value.as_string() {
        return Ok(s.into_bytes());
    }
    if value.is_instance_of::<Uint8Array>() || value.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(value).to_vec());
    }
    if js_sys::ArrayBuffer::is_view(value) {
        return Ok(Uint8Array::new_with_byte_offset_and_length(
            &Reflect::get(value, &"buffer".into())?,
            Reflect::get(value, &"byteOffset".into())?
                .as_f64()
                .unwrap_or(0.0) as u32,
            Reflect::get(value, &"byteLength".into())?
                .as_f64()
                .unwrap_or(0.0) as u32,
        )
        .to_vec());
    }
    Err(invalid(format!("{what} must be a string or a Uint8Array")))
}
