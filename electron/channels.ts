/** The window's two IPC channels; the preload and the main process both import them, nothing else. */
export const CALL_CHANNEL = 'agent:call';
export const EVENT_CHANNEL = 'agent:event';
