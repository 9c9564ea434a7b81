/** An AbortSignal that aborts when an Observable cell is invalidated (re-run or removed). */
export function signalFrom(invalidation: Promise<unknown>): AbortSignal {
  const controller = new AbortController();
  void invalidation.then(() => controller.abort());
  return controller.signal;
}
