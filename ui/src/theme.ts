// Light and dark themes: follow the system unless the user picked one (kept in localStorage, not a secret).

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "tallyvault.theme";

export function storedTheme(): ThemeChoice {
  const value = globalThis.localStorage?.getItem(KEY);
  return value === "light" || value === "dark" ? value : "system";
}

export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === "system") delete root.dataset.theme;
  else root.dataset.theme = choice;
}

export function chooseTheme(choice: ThemeChoice): void {
  if (choice === "system") globalThis.localStorage?.removeItem(KEY);
  else globalThis.localStorage?.setItem(KEY, choice);
  applyTheme(choice);
}

/** The theme on screen now: the user's choice, else the system's. Charts are drawn in its colours. */
export function effectiveTheme(): "light" | "dark" {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === "light" || chosen === "dark") return chosen;
  return globalThis.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}
