/** One-line description of an unknown thrown value, for error messages. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === 'object' && cause !== null && 'message' in cause) return String(cause.message);
  return String(cause);
}
