import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import { emit } from "@tauri-apps/api/event";
import { App, IDLE_LOCK_NOTICE, initialScreen, TRAY_LOCK_NOTICE } from "../src/app";
import { mockShell, mount, settle } from "./render";

const status = (exists: boolean, unlocked: boolean) => () => ({ exists, unlocked, dataDir: "/tmp/tv" });

describe("initialScreen", () => {
  it("asks for setup on an empty data directory", async () => {
    mockShell({ vault_status: status(false, false) });
    expect(await initialScreen()).toEqual({ kind: "setup" });
  });

  it("asks to unlock an existing vault", async () => {
    mockShell({ vault_status: status(true, false) });
    expect(await initialScreen()).toEqual({ kind: "locked" });
  });

  it("reports a store that cannot be opened", async () => {
    mockShell({
      vault_status: () => {
        throw { code: "internal", message: "the database was written by a newer Tallyvault" };
      },
    });
    expect(await initialScreen()).toEqual({
      kind: "failed",
      error: { code: "internal", message: "the database was written by a newer Tallyvault" },
    });
  });
});

describe("App", () => {
  it("goes to the unlock screen when the shell locks the vault for idleness", async () => {
    mockShell(
      {
        vault_status: status(true, true),
        list_credentials: () => [],
        audit_events: () => ({ events: [], nextBeforeSeq: null }),
        note_activity: () => null,
      },
      { shouldMockEvents: true },
    );
    const app = await mount(<App />);
    expect(app.textContent).toContain("Dashboard");
    await act(() => emit("vault-locked", { reason: "idle" }));
    await settle();
    expect(app.textContent).toContain("Unlock Tallyvault");
    expect(app.textContent).toContain(IDLE_LOCK_NOTICE);
  });

  it("says so when the vault was locked from the tray", async () => {
    mockShell({
      vault_status: status(true, true),
      list_credentials: () => [],
      audit_events: () => ({ events: [], nextBeforeSeq: null }),
      dashboard: () => {
        throw { code: "internal", message: "not needed here" };
      },
      note_activity: () => null,
    });
    const app = await mount(<App />);
    await act(() => emit("vault-locked", { reason: "tray" }));
    await settle();
    expect(app.textContent).toContain(TRAY_LOCK_NOTICE);
  });
});
