// Tells the shell the user is active, so auto-lock counts idle time from the last keypress or click rather
// than from the last vault operation. Throttled: one call per interval at most.
import { api } from "./api";

export const ACTIVITY_REPORT_INTERVAL_MS = 20_000;

export function createActivityReporter(report: () => Promise<unknown>, intervalMs: number, now = () => Date.now()) {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < intervalMs) return false;
    last = t;
    report().catch(() => undefined);
    return true;
  };
}

/** Starts reporting; returns a function that stops it. */
export function watchActivity(): () => void {
  const onActivity = createActivityReporter(api.noteActivity, ACTIVITY_REPORT_INTERVAL_MS);
  const events = ["keydown", "pointerdown", "wheel", "mousemove"] as const;
  for (const name of events) window.addEventListener(name, onActivity, { passive: true });
  return () => {
    for (const name of events) window.removeEventListener(name, onActivity);
  };
}
