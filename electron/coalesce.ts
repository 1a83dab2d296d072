/** Runs `fn` at most once every `ms`, however often it is asked for: a burst of changes costs one update. */
export function coalesce(ms: number, fn: () => void): { request(): void; cancel(): void } {
  let timer: NodeJS.Timeout | null = null;
  return {
    request() {
      timer ??= setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
