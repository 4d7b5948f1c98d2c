// A password-strength estimate for the setup page: rough entropy from length and character variety, minus
// the usual weaknesses (repeats, sequences, common words). It only advises; the vault's protection is the
// key derivation, and there is no recovery without the password.

export type StrengthLevel = 0 | 1 | 2 | 3 | 4;

export interface Strength {
  level: StrengthLevel;
  label: "too short" | "weak" | "fair" | "good" | "strong";
  /** Estimated bits of entropy, after penalties. */
  bits: number;
  hints: string[];
}

export const MIN_PASSWORD_LENGTH = 10;

const COMMON = [
  "password", "passwort", "123456", "qwerty", "azerty", "letmein", "welcome", "admin", "iloveyou",
  "monkey", "dragon", "secret", "tallyvault", "openai", "anthropic", "abc123", "111111",
];

const SEQUENCES = ["abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

function poolSize(password: string): number {
  let pool = 0;
  if (/[a-z]/.test(password)) pool += 26;
  if (/[A-Z]/.test(password)) pool += 26;
  if (/[0-9]/.test(password)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(password)) pool += 33;
  return pool;
}

/** Characters that add little: the second and later of a run, or the next step of a sequence. */
function predictableCharacters(password: string): number {
  const lower = password.toLowerCase();
  let predictable = 0;
  for (let i = 1; i < lower.length; i++) {
    const pair = lower.slice(i - 1, i + 1);
    if (lower[i] === lower[i - 1] || SEQUENCES.some((s) => s.includes(pair))) predictable++;
  }
  return predictable;
}

export function passwordStrength(password: string): Strength {
  const hints: string[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return {
      level: 0,
      label: "too short",
      bits: 0,
      hints: [`Use at least ${MIN_PASSWORD_LENGTH} characters; a few unrelated words work well.`],
    };
  }
  const lower = password.toLowerCase();
  const common = COMMON.filter((word) => lower.includes(word));
  const effectiveLength = Math.max(
    1,
    length - predictableCharacters(password) - common.reduce((n, w) => n + w.length - 1, 0),
  );
  const bits = Math.round(effectiveLength * Math.log2(Math.max(poolSize(password), 2)));
  if (common.length > 0) hints.push("Avoid common words and patterns such as “" + common[0] + "”.");
  if (predictableCharacters(password) > length / 3) hints.push("Avoid repeated characters and sequences.");
  if (poolSize(password) <= 26) hints.push("Longer is better: add another word, or mix in digits and symbols.");
  const level: StrengthLevel = bits < 40 ? 1 : bits < 60 ? 2 : bits < 80 ? 3 : 4;
  const label = (["too short", "weak", "fair", "good", "strong"] as const)[level];
  return { level, label, bits, hints };
}
