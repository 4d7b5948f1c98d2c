import { afterEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";
import { CredentialsPage, REVEAL_SECONDS } from "../src/pages/credentials";
import { credential } from "./fixtures";
import { button, click, mockShell, mount, settle, type } from "./render";

const KEY = "sk-ant-api03-example";

afterEach(() => {
  vi.useRealTimers();
});

describe("CredentialsPage", () => {
  it("lists credentials without any secret", async () => {
    mockShell({ list_credentials: () => [credential(), credential({ id: 2, label: "ci-openai", provider: "openai" })] });
    const page = await mount(<CredentialsPage />);
    expect(page.textContent).toContain("work-anthropic");
    expect(page.textContent).toContain("OpenAI");
    expect(page.querySelector("code.secret")).toBeNull();
  });

  it("reveals a secret for a few seconds, then hides it", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const calls = mockShell({ list_credentials: () => [credential()], reveal_secret: () => ({ value: KEY }) });
    const page = await mount(<CredentialsPage />);
    await click(button(page, "Reveal work-anthropic"));
    expect(calls.find((c) => c.cmd === "reveal_secret")?.args).toEqual({ id: 1 });
    expect(page.querySelector("code.secret")?.textContent).toBe(KEY);
    await act(() => {
      vi.advanceTimersByTime(REVEAL_SECONDS * 1000);
    });
    expect(page.querySelector("code.secret")).toBeNull();
    expect(page.textContent).not.toContain(KEY);
  });

  it("copies through the shell and says when the clipboard is cleared", async () => {
    const calls = mockShell({ list_credentials: () => [credential()], copy_secret: () => ({ clearAfterSeconds: 10 }) });
    const page = await mount(<CredentialsPage />);
    await click(button(page, "Copy work-anthropic"));
    expect(calls.find((c) => c.cmd === "copy_secret")?.args).toEqual({ id: 1 });
    expect(page.textContent).toContain("cleared in 10 s");
    expect(page.textContent).not.toContain(KEY);
  });

  it("deletes only after confirmation", async () => {
    let list = [credential()];
    const calls = mockShell({
      list_credentials: () => list,
      delete_credential: () => {
        const removed = list[0];
        list = [];
        return removed;
      },
    });
    const page = await mount(<CredentialsPage />);
    await click(button(page, "Delete work-anthropic"));
    expect(page.querySelector("[role=alertdialog]")?.textContent).toContain("Delete work-anthropic?");
    await click(button(page, "Cancel"));
    expect(calls.some((c) => c.cmd === "delete_credential")).toBe(false);

    await click(button(page, "Delete work-anthropic"));
    const dialog = page.querySelector<HTMLElement>("[role=alertdialog]")!;
    await click(button(dialog, "Delete"));
    expect(calls.filter((c) => c.cmd === "delete_credential")).toEqual([{ cmd: "delete_credential", args: { id: 1 } }]);
    expect(page.textContent).toContain("No credentials yet");
  });

  it("adds a pasted key with the provider detected", async () => {
    const calls = mockShell({
      list_credentials: () => [],
      list_providers: () => ["openai", "anthropic", "other"],
      detect_provider: ({ secret }) => (String(secret).startsWith("sk-ant-") ? "anthropic" : null),
      add_credential: () => credential(),
    });
    const page = await mount(<CredentialsPage />);
    await click(button(page, "Add credential"));
    const form = page.querySelector<HTMLFormElement>("form")!;
    const [label, key] = [...form.querySelectorAll<HTMLInputElement>("input")];
    await type(label, "work-anthropic");
    await type(key, KEY);
    await act(() => new Promise((r) => setTimeout(r, 300)));
    await settle();
    expect(page.textContent).toContain("Detected provider: Anthropic");
    await click(button(form, "Add"));
    expect(calls.find((c) => c.cmd === "add_credential")?.args).toEqual({
      input: { label: "work-anthropic", secret: KEY, provider: null, note: null, expiresAt: null },
    });
    expect(page.textContent).toContain("Added work-anthropic (Anthropic)");
  });

  it("asks for the provider when the key's shape does not tell", async () => {
    mockShell({ list_credentials: () => [], list_providers: () => ["openai", "other"], detect_provider: () => null });
    const page = await mount(<CredentialsPage />);
    await click(button(page, "Add credential"));
    const form = page.querySelector<HTMLFormElement>("form")!;
    const [label, key] = [...form.querySelectorAll<HTMLInputElement>("input")];
    await type(label, "mystery");
    await type(key, "0123456789abcdef");
    await act(() => new Promise((r) => setTimeout(r, 300)));
    await settle();
    expect(page.textContent).toContain("cannot be detected");
    expect(button(form, "Add").disabled).toBe(true);
  });

  it("shows the import report: names and reasons", async () => {
    mockShell({
      list_credentials: () => [],
      import_env: () => ({
        imported: [{ line: 2, variable: "OPENAI_API_KEY", id: 3, label: "OPENAI_API_KEY", provider: "openai" }],
        skipped: [{ line: 3, variable: "DATABASE_URL", reason: "not a recognised provider key" }],
      }),
    });
    const page = await mount(<CredentialsPage />);
    await click(button(page, "Import .env file"));
    const input = page.querySelector<HTMLInputElement>("input[type=file]")!;
    const file = new File(["# keys\nOPENAI_API_KEY=sk-proj-abc\nDATABASE_URL=postgres://x\n"], ".env");
    Object.defineProperty(input, "files", { value: [file] });
    await act(() => {
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await settle();
    expect(page.textContent).toContain("Imported 1 key, skipped 1 line");
    expect(page.textContent).toContain("Line 3 (DATABASE_URL): not a recognised provider key");
  });
});
