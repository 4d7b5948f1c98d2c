import { describe, expect, it, vi } from "vitest";
import { UnlockPage, unlockErrorMessage } from "../src/pages/unlock";
import { mockShell, mount, submit, type } from "./render";

describe("UnlockPage", () => {
  it("says plainly when the password is wrong, and clears the field", async () => {
    const calls = mockShell({
      unlock_vault: () => {
        throw { code: "wrong_password", message: "wrong password" };
      },
    });
    const onUnlocked = vi.fn();
    const page = await mount(<UnlockPage onUnlocked={onUnlocked} />);
    const input = page.querySelector<HTMLInputElement>("input[type=password]")!;
    await type(input, "not-it");
    await submit(page.querySelector("form")!);
    expect(calls).toEqual([{ cmd: "unlock_vault", args: { password: "not-it" } }]);
    expect(page.querySelector("[role=alert]")?.textContent).toContain("Wrong password");
    expect(input.value).toBe("");
    expect(onUnlocked).not.toHaveBeenCalled();
  });

  it("hands the unlock report (failed attempts, integrity warning) to the app", async () => {
    const outcome = { failedAttempts: ["2026-03-01T09:00:00.000Z"], integrityWarning: null };
    mockShell({ unlock_vault: () => outcome });
    const onUnlocked = vi.fn();
    const page = await mount(<UnlockPage onUnlocked={onUnlocked} />);
    await type(page.querySelector<HTMLInputElement>("input[type=password]")!, "right one");
    await submit(page.querySelector("form")!);
    expect(onUnlocked).toHaveBeenCalledWith(outcome);
  });

  it("names the product", async () => {
    mockShell({});
    const page = await mount(<UnlockPage onUnlocked={() => undefined} />);
    expect(page.textContent).toContain("Tallyvault");
  });

  it("passes other failures through as the shell worded them", () => {
    expect(unlockErrorMessage({ code: "internal", message: "database error: disk full" })).toBe(
      "database error: disk full",
    );
  });
});
