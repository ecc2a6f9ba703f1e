// SessionProvider (Ratchet's Session\SessionProvider): the session id from a cookie of the opening
// request, the session loaded from a store and set on `conn.session` before the wrapped component opens;
// saved back when the connection closes (and whenever the component calls session.save()). A request
// without a valid, known session gets a NEW id (never one the client chose: no session fixation), sent
// as Set-Cookie on the 101 response.

import type { Awaitable, HttpComponent } from './component.js';
import { type Connection, kSetSession } from './connection.js';
import { type CookieOptions, serializeCookie } from './cookies.js';
import { HttpLayer } from './http-layer.js';
import type { HttpRequest } from './http-request.js';
import { reportUnhandled, toError } from './invoke.js';
import {
  MemorySessionStore,
  newSessionId,
  SESSION_ID_PATTERN,
  Session,
  type SessionData,
  type SessionStore,
} from './session.js';

export interface SessionProviderOptions {
  /** Cookie carrying the session id. Default 'PWSESSID'. */
  cookieName?: string;
  /** Issue a new session (and cookie) when there is none. Default true; false leaves conn.session undefined. */
  createIfMissing?: boolean;
  /** Attributes of the issued cookie. Default Path=/; HttpOnly; SameSite=Lax; Secure over TLS. */
  cookie?: CookieOptions;
  /** Save a changed session when its connection closes. Default true. */
  saveOnClose?: boolean;
}

export class SessionProvider extends HttpLayer {
  readonly component: HttpComponent;
  readonly store: SessionStore;
  readonly cookieName: string;
  readonly #create: boolean;
  readonly #cookie: CookieOptions;
  readonly #saveOnClose: boolean;

  constructor(
    component: HttpComponent,
    store: SessionStore = new MemorySessionStore(),
    options: SessionProviderOptions = {},
  ) {
    super();
    this.component = component;
    this.store = store;
    this.cookieName = options.cookieName ?? 'PWSESSID';
    serializeCookie(this.cookieName, 'x'); // validates the name now, not on the first connection
    this.#create = options.createIfMissing ?? true;
    this.#cookie = { path: '/', httpOnly: true, sameSite: 'Lax', ...options.cookie };
    this.#saveOnClose = options.saveOnClose ?? true;
  }

  async onOpen(conn: Connection, request: HttpRequest): Promise<void> {
    const id = request.cookies[this.cookieName];
    let session: Session | undefined;
    if (id !== undefined && SESSION_ID_PATTERN.test(id)) {
      const data = await this.#load(conn, id);
      if (data !== undefined) session = new Session(id, this.store, data, false);
    }
    if (session === undefined && this.#create) {
      session = new Session(newSessionId(), this.store, {}, true);
      request.setHeader(
        'Set-Cookie',
        serializeCookie(this.cookieName, session.id, { secure: conn.secure, ...this.#cookie }),
      );
    }
    conn[kSetSession](session);
    await this.openInner(conn, request, this.component);
  }

  /**
   * The store's answer. A failure (Redis down, a corrupt value) happens before any inner component has the
   * connection, so no onError down the chain hears it: it is published on `pushwire:components:error`
   * here, then rethrown so the HttpServer answers the upgrade 500.
   */
  async #load(conn: Connection, id: string): Promise<SessionData | undefined> {
    try {
      return await this.store.load(id);
    } catch (err) {
      const error = toError(err);
      reportUnhandled(conn, error);
      throw error;
    }
  }

  override onClose(conn: Connection): Awaitable {
    const session = conn.session;
    const closed = super.onClose(conn);
    if (!this.#saveOnClose || session === undefined) return closed;
    const save = async (): Promise<void> => {
      await closed;
      if (session.dirty) await session.save();
    };
    return save().catch((err: unknown) => reportUnhandled(conn, toError(err)));
  }
}
