/** Polls `check` until it is true or `timeoutMs` passes (then throws `message`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, message = 'condition not met'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${message} (after ${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
