import type { ComponentChildren } from "preact";

export type NoticeKind = "info" | "success" | "warning" | "error";

/** A message box; errors and warnings are announced at once, the rest politely. */
export function Notice(props: { kind: NoticeKind; children: ComponentChildren; onDismiss?: () => void }) {
  const urgent = props.kind === "error" || props.kind === "warning";
  return (
    <div class={`notice notice-${props.kind}`} role={urgent ? "alert" : "status"}>
      <div class="notice-body">{props.children}</div>
      {props.onDismiss && (
        <button type="button" class="link" onClick={props.onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
