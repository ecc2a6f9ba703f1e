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
  /** Replaces the client count (chat) or the idle crowd (websocket), e.g. `--clients=10000` for heap figures;
   *  in the cost bench, keeps only the echo shapes with that many connections (`--clients=1000`). */
  clients?: number;
}
