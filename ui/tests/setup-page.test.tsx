import { describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";
import { SetupPage } from "../src/pages/setup";
import { button, mockShell, mount, settle, submit, type } from "./render";

const STRONG = "Copper-Lantern-Violin-Marsh-42";

async function check(box: HTMLInputElement) {
  await act(() => {
    box.click();
  });
  await settle();
}

describe("SetupPage", () => {
  it("warns that there is no recovery", async () => {
    mockShell({});
    const page = await mount(<SetupPage dataDir="/home/a/.local/share/tallyvault" onCreated={() => undefined} />);
    expect(page.textContent).toContain("There is no recovery");
    expect(page.textContent).toContain("Tallyvault");
  });

  it("creates the vault only with a fair password, typed twice, and the warning acknowledged", async () => {
    const calls = mockShell({ create_vault: () => null });
    const onCreated = vi.fn();
    const page = await mount(<SetupPage dataDir="/tmp/v" onCreated={onCreated} />);
    const [first, second] = [...page.querySelectorAll<HTMLInputElement>("input[type=password]")];
    const create = button(page, "Create vault");

    await type(first, "password123");
    expect(page.querySelector("meter")?.getAttribute("value")).toBe("1");
    expect(create.disabled).toBe(true);

    await type(first, STRONG);
    await type(second, STRONG + "x");
    expect(page.textContent).toContain("The two passwords differ");
    await type(second, STRONG);
    expect(create.disabled).toBe(true);
    await check(page.querySelector<HTMLInputElement>("input[type=checkbox]")!);
    expect(create.disabled).toBe(false);

    await submit(page.querySelector("form")!);
    expect(calls).toEqual([{ cmd: "create_vault", args: { password: STRONG } }]);
    expect(onCreated).toHaveBeenCalledOnce();
  });
});
