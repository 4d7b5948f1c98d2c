// Mounting Preact components into jsdom and waiting for their effects and IPC calls to settle.
import { render, type ComponentChild } from "preact";
import { act } from "preact/test-utils";
import { mockIPC } from "@tauri-apps/api/mocks";

export type Call = { cmd: string; args: Record<string, unknown> };

/** Mocks the shell: `handlers[cmd]` answers a command (throw a {code, message} to fail); every call is recorded.
 * Events are mocked too (pages listen for the shell's), unless `options` says otherwise. */
export function mockShell(
  handlers: Record<string, (args: Record<string, unknown>) => unknown>,
  options?: { shouldMockEvents?: boolean },
): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const handler = handlers[cmd];
    if (!handler) throw { code: "internal", message: `unexpected command ${cmd}` };
    return handler(args);
  }, { shouldMockEvents: true, ...options });
  return calls;
}

/** Lets pending IPC promises and the renders they cause finish (microtasks only, so fake timers are fine). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await act(async () => {
      await Promise.resolve();
    });
  }
}

export async function mount(node: ComponentChild): Promise<HTMLElement> {
  const container = document.createElement("div");
  document.body.appendChild(container);
  await act(() => {
    render(node, container);
  });
  await settle();
  return container;
}

export function button(container: HTMLElement, name: string): HTMLButtonElement {
  const found = [...container.querySelectorAll("button")].find(
    (b) => b.textContent?.trim() === name || b.getAttribute("aria-label") === name,
  );
  if (!found) throw new Error(`no button named ${name}`);
  return found;
}

export async function click(element: HTMLElement): Promise<void> {
  await act(() => {
    element.click();
  });
  await settle();
}

export async function type(input: HTMLInputElement, value: string): Promise<void> {
  await act(() => {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await settle();
}

export async function submit(form: HTMLFormElement): Promise<void> {
  await act(() => {
    form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  });
  await settle();
}
