/**
 * The one error type services throw; the HTTP layer turns it into the spec's
 * `{"errcode": "M_…", "error": "…"}` body with the matching status.
 */
export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const forbidden = (msg: string) => new MatrixError(403, 'M_FORBIDDEN', msg);
export const notFound = (msg: string) => new MatrixError(404, 'M_NOT_FOUND', msg);
export const badJson = (msg: string) => new MatrixError(400, 'M_BAD_JSON', msg);
export const invalidParam = (msg: string) => new MatrixError(400, 'M_INVALID_PARAM', msg);
export const missingParam = (msg: string) => new MatrixError(400, 'M_MISSING_PARAM', msg);
export const unknownError = (msg: string) => new MatrixError(400, 'M_UNKNOWN', msg);
export const limitExceeded = (retryAfterMs: number) =>
  new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', { retry_after_ms: retryAfterMs });
/** The database cannot be reached: the client should retry, nothing was written. */
export const storageUnavailable = () => new MatrixError(503, 'M_UNKNOWN', 'The database is unavailable; retry later', { retry_after_ms: 1000 });
