/** The result of one policy check: a value, or a whole-sentence reason for refusing. */
export type Check<T = void> = { ok: true; value: T } | { ok: false; reason: string };

export const pass = <T>(value: T): Check<T> => ({ ok: true, value });
export const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });
