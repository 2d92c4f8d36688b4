//! What a panic leaves behind: its message in the console, and a trap the loader turns into
//! `rd-error` and an error state.
//!
//! The release build aborts on panic (no unwinding code in the wasm): after the hook, the wasm
//! traps (`unreachable`), and the trap reaches JavaScript as a `WebAssembly.RuntimeError`, from
//! the loader's call into the wasm or, for a timer, an event handler or a future, at the
//! window's `error` and `unhandledrejection` events. The loader (`pkg-template/element.js`,
//! `isTrap`) catches it there and shows every element's error state with `rd-error`: the
//! instance cannot be trusted or called again. The same path serves the size build, whose
//! immediate abort traps without running any hook, and any fault of the wasm that is not a
//! panic. So the hook only says what happened, in the console.

/// Installs the hook (once per page).
///
/// The hook formats nothing: it logs the panic's message as the panic carries it (a literal,
/// or the text `panic!` already formatted), without its location. Formatting the
/// `PanicHookInfo` and calling std's default hook, which writes to a standard error that wasm32
/// does not have, cost 2.8 KB gzip (BENCHMARKS.md). In debug builds (the browser tests) the
/// hook that was there before, the test harness's, still runs afterwards so a test sees its
/// panics. With the size toolchain's immediate abort no hook ever runs, so it is empty there.
///
/// Installed through Yew: a Yew app replaces any panic hook not set with
/// `yew::set_custom_panic_hook` when it first renders (with `console_error_panic_hook`, which
/// formats the panic and a stack trace: bytes for nothing here).
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(panic = "immediate-abort")]
        yew::set_custom_panic_hook(Box::new(|_| {}));
        #[cfg(not(panic = "immediate-abort"))]
        {
            #[cfg(debug_assertions)]
            let previous = std::panic::take_hook();
            yew::set_custom_panic_hook(Box::new(move |info| {
                let message = info.payload_as_str().unwrap_or("panic");
                web_sys::console::error_1(&wasm_bindgen::JsValue::from_str(message));
                #[cfg(debug_assertions)]
                previous(info);
            }));
        }
    });
}
