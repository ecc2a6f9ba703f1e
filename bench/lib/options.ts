// Options every suite takes (parsed from the command line by run.ts).
export interface BenchOptions {
  /** Short runs, fewer connections. */
  quick: boolean;
  /** Restricts the scenarios (websocket: `echo`, `crowd`; bayeux: `websocket`, `long-polling`, `client`). */
  only?: string[];
  /** Restricts the servers run (`ws`, `pushwire`, `bare`, `faye`). */
  servers?: string[];
  /** Replaces the chat suite's rising steps (deliveries/s), e.g. `--steps=20000` for a profile at one rate. */
  steps?: number[];
  /** Replaces the chat suite's client count (`--clients=1000`, e.g. for heap snapshots). */
  clients?: number;
}
