//! Keeping the desktop app small at idle (issue 6: the process tree's PSS, the app and WebKit's web and network
//! processes, at most 200 MB on the dashboard). `scripts/bench-desktop` measures it and shows where it goes.
//!
//! The web view shows one small local page: it needs no GPU compositor, no JIT, no back/forward page cache and
//! no browser-sized memory caches. What each setting saved, measured on the dashboard after 10 s idle under Xvfb
//! (Debian 12, WebKitGTK 2.50, software rendering), is noted where it is set.

use std::ffi::OsString;
use std::path::Path;

/// Environment variables the app sets for itself and its WebKit child processes, unless already set (so a user
/// can still override each, e.g. `WEBKIT_DISABLE_COMPOSITING_MODE=0` on a machine where compositing is wanted).
pub const WEBKIT_ENV: &[(&str, &str)] = &[
    // No accelerated compositing: the web process then paints into shared memory instead of keeping an EGL/GL
    // compositor with its textures and buffers (-85 MB PSS, most of it in WebKitWebProcess). The window is drawn as before; only WebKitWebDriver's
    // screenshot can hang in this mode (scripts/e2e then captures the X display).
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    // JavaScriptCore runs the UI's small bundle in its interpreter: no JIT code and compiler data (-8 MB in
    // WebKitWebProcess; the dashboard still draws in about 0.3 s after unlock).
    ("JSC_useJIT", "false"),
];

/// Set as well on a machine without a GPU render node (`/dev/dri/renderD*`), where GL is Mesa's software
/// renderer. Without them the app's own process initialises Mesa (and its LLVM) only to look for a GPU: GTK probes
/// GLX visuals, WebKit's UI process opens an EGL display to find the render node it hands to the web process and
/// to decide on its DMA-BUF renderer. With them only the web process loads Mesa (-23 MB PSS in the app's process,
/// -20 MB for the tree).
pub const NO_GPU_ENV: &[(&str, &str)] = &[
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    // "There is no render node": WebKit reads this instead of asking EGL. Nothing opens it, since there is no
    // compositing and no DMA-BUF renderer.
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/null"),
    ("GDK_GL", "disable"),
    // Mesa's simple software rasterizer instead of llvmpipe: WebKit's web process still opens an EGL display, but
    // without compositing it draws nothing with GL, so llvmpipe's rasterizer threads and JIT set-up are not
    // needed (-1 MB PSS in WebKitWebProcess; LLVM itself stays loaded, Mesa's driver links it). Left unset when
    // the user turns compositing back on (`WEBKIT_DISABLE_COMPOSITING_MODE=0`), where GL does the drawing.
    (SOFTWARE_GL, "softpipe"),
];

const SOFTWARE_GL: &str = "GALLIUM_DRIVER";

/// Whether `dri` (normally `/dev/dri`) holds a GPU render node.
pub fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// The variables of [`WEBKIT_ENV`] (and of [`NO_GPU_ENV`] without a GPU) that `current` (the environment) does
/// not set yet.
pub fn unset_webkit_env(
    current: impl Fn(&str) -> Option<OsString>,
    gpu: bool,
) -> Vec<(&'static str, &'static str)> {
    let no_gpu: &[(&str, &str)] = if gpu { &[] } else { NO_GPU_ENV };
    // WebKit composites unless the variable is set to something other than "0".
    let compositing = current("WEBKIT_DISABLE_COMPOSITING_MODE").is_some_and(|value| value == "0");
    WEBKIT_ENV
        .iter()
        .chain(no_gpu)
        .copied()
        .filter(|(name, _)| current(name).is_none())
        .filter(|(name, _)| !(compositing && *name == SOFTWARE_GL))
        .collect()
}

/// Sets the web view's environment ([`unset_webkit_env`]). Call first thing in `main`, before any thread or
/// WebKit process starts.
pub fn set_webkit_env() {
    let gpu = has_render_node(Path::new("/dev/dri"));
    for (name, value) in unset_webkit_env(|name| std::env::var_os(name), gpu) {
        // Sound here: nothing else runs yet, so no other thread reads the environment.
        std::env::set_var(name, value);
    }
}

/// How often the app hands memory freed since the last time back to the system.
pub const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Hands memory freed after bursts of work (a scan, a poll, a dashboard load) back to the system now and then,
/// so an idle app does not hold its busiest moment's memory: first `close_idle` (the store's idle database
/// connections but one, each with its schema and page cache, about 0.3 MB on a new vault and up to 64 MB on a
/// large history; 10 s after the dashboard's burst of commands 3 connections were open instead of 6), then
/// glibc's free memory, which it keeps in its per-thread arenas otherwise.
pub fn spawn_trimmer(close_idle: impl Fn() + Send + 'static) {
    let _ = std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(move || loop {
            std::thread::sleep(TRIM_EVERY);
            close_idle();
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            // SAFETY: malloc_trim only releases free memory of glibc's own arenas; it takes no pointers.
            unsafe {
                libc::malloc_trim(0);
            }
        });
}

/// Applies the web view's memory settings (called once the main window's web view exists).
#[cfg(target_os = "linux")]
pub fn tune_webview(webview: &webkit2gtk::WebView) {
    use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
    if let Some(context) = webview.context() {
        // The smallest memory cache: one local document, nothing to keep for other pages.
        context.set_cache_model(CacheModel::DocumentViewer);
    }
    if let Some(settings) = WebViewExt::settings(webview) {
        // The UI is a single page without navigation: no back/forward cache of whole pages.
        settings.set_enable_page_cache(false);
        // wry turns developer extras on in debug builds (devtools); the release app has no inspector.
        if !cfg!(debug_assertions) {
            settings.set_enable_developer_extras(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_the_user_set_is_left_alone() {
        let all = unset_webkit_env(|_| None, true);
        assert_eq!(all, WEBKIT_ENV);
        let user =
            |name: &str| (name == "WEBKIT_DISABLE_COMPOSITING_MODE").then(|| OsString::from("0"));
        let set = unset_webkit_env(user, true);
        assert_eq!(set.len(), WEBKIT_ENV.len() - 1);
        assert!(set
            .iter()
            .all(|(name, _)| *name != "WEBKIT_DISABLE_COMPOSITING_MODE"));
        assert!(set.contains(&("JSC_useJIT", "false")));
    }

    #[test]
    fn without_a_gpu_mesa_is_kept_out_of_the_app_process() {
        let set = unset_webkit_env(|_| None, false);
        assert_eq!(set.len(), WEBKIT_ENV.len() + NO_GPU_ENV.len());
        assert!(set.contains(&("GDK_GL", "disable")));
        assert!(set.contains(&("WEBKIT_DISABLE_DMABUF_RENDERER", "1")));
        let user = |name: &str| (name == "GDK_GL").then(|| OsString::from("always"));
        assert!(!unset_webkit_env(user, false)
            .iter()
            .any(|(name, _)| *name == "GDK_GL"));
    }

    #[test]
    fn softpipe_only_while_webkit_does_not_composite() {
        assert!(unset_webkit_env(|_| None, false).contains(&("GALLIUM_DRIVER", "softpipe")));
        let compositing =
            |name: &str| (name == "WEBKIT_DISABLE_COMPOSITING_MODE").then(|| OsString::from("0"));
        assert!(
            !unset_webkit_env(compositing, false)
                .iter()
                .any(|(name, _)| *name == "GALLIUM_DRIVER"),
            "GL composites the page then: llvmpipe is much faster at it than softpipe"
        );
    }

    #[test]
    fn a_render_node_means_a_gpu() {
        let dri = tempfile::tempdir().unwrap();
        assert!(!has_render_node(&dri.path().join("missing")));
        std::fs::write(dri.path().join("card0"), "").unwrap();
        assert!(!has_render_node(dri.path()));
        std::fs::write(dri.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dri.path()));
    }
}
