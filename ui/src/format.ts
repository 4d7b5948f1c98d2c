// Display helpers shared by the pages.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * An RFC 3339 time in local time as the English UI writes it, or "—": "Nov 28, 2026, 11:40 PM", what
 * `toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" })` gives in the web view. Written by hand:
 * Intl's date, number and collation formats keep about 2.5 MB of ICU data and code in the web process (issue 6).
 */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const hours = date.getHours();
  const minutes = String(date.getMinutes()).padStart(2, "0");
  const day = `${MONTHS[date.getMonth()]} ${date.getDate()}, ${date.getFullYear()}`;
  return `${day}, ${hours % 12 || 12}:${minutes} ${hours < 12 ? "AM" : "PM"}`;
}

const PROVIDER_NAMES: Record<string, string> = {
  openai: "OpenAI",
  anthropic: "Anthropic",
  openrouter: "OpenRouter",
  groq: "Groq",
  xai: "xAI",
  google: "Google",
  deepseek: "DeepSeek",
  mistral: "Mistral",
  other: "Other",
};

export function providerName(id: string): string {
  return PROVIDER_NAMES[id] ?? id;
}

/** Whole days from `now` until a `YYYY-MM-DD` date (negative when past), or null when unset or unreadable. */
export function daysUntil(date: string | null, now: Date): number | null {
  if (!date) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!match) return null;
  const target = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((target - today) / 86_400_000);
}

/** "1 credential", "2 credentials". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
