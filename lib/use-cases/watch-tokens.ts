/** Minting and checking watch tokens (lib/domain/watch-token.ts) with the stack's key and token lifetime. */
import { type WatchTokenClaims, mintWatchToken, verifyWatchToken } from "../domain/watch-token.ts";
import type { Clock } from "../ports.ts";

export class WatchTokens {
  readonly #secret: () => Promise<string>;
  readonly #ttlSeconds: number;
  readonly #clock: Clock;

  constructor(options: { secret: () => Promise<string>; ttlSeconds: number; clock: Clock }) {
    this.#secret = options.secret;
    this.#ttlSeconds = options.ttlSeconds;
    this.#clock = options.clock;
  }

  /** A token that lets its holder read `task` (and nothing else) for the configured lifetime. */
  async mint(task: { readonly id: string; readonly tenant: string }): Promise<string> {
    const expiresAt = Math.floor(this.#clock.now().getTime() / 1000) + this.#ttlSeconds;
    return mintWatchToken({ tenant: task.tenant, taskId: task.id, expiresAt }, await this.#secret());
  }

  async verify(token: string): Promise<{ claims: WatchTokenClaims } | { refused: string }> {
    return verifyWatchToken(token, await this.#secret(), this.#clock.now());
  }
}
