import type { ApiErrorBody } from './types';

/** ApiError is what every failed API call throws: the HTTP status, the server's sentence
 * and, for validation errors, the field it names. */
export class ApiError extends Error {
  readonly status: number;
  readonly field?: string;

  constructor(status: number, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = field;
  }
}

export const API_PREFIX = '/api/v1';

type Listener = (err: ApiError) => void;
const unauthorizedListeners = new Set<Listener>();

/** onUnauthorized registers a callback for 401 answers (the session expired). */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

/** api calls `/api/v1<path>` with the session cookie, sends `body` as JSON and returns the
 * decoded JSON answer (undefined for an empty one). Errors throw ApiError. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    signal,
  };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(API_PREFIX + path, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server cannot be reached.');
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const b = (data ?? {}) as Partial<ApiErrorBody>;
    const err = new ApiError(res.status, b.error || res.statusText || `HTTP ${res.status}`, b.field);
    if (res.status === 401 && !path.startsWith('/auth/login')) {
      unauthorizedListeners.forEach((fn) => fn(err));
    }
    throw err;
  }
  return data as T;
}

/** errorMessage gives a sentence for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
