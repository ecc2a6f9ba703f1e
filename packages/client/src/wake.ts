// Browser signals that the network or the tab is back. Background tabs clamp timers (CometD issue #699), so
// a retry armed while hidden or offline may fire up to a minute late; these events run it at once.
// Outside a browser (no window/document) this does nothing.

export function onWake(fn: () => void): () => void {
  if (typeof window === 'undefined' || typeof document === 'undefined') return () => undefined;
  const online = (): void => fn();
  const visibility = (): void => {
    if (document.visibilityState === 'visible') fn();
  };
  window.addEventListener('online', online);
  document.addEventListener('visibilitychange', visibility);
  return () => {
    window.removeEventListener('online', online);
    document.removeEventListener('visibilitychange', visibility);
  };
}
