// Options every suite takes (parsed from the command line by run.ts).
export interface BenchOptions {
  /** Short runs, fewer connections. */
  quick: boolean;
  /** Restricts the scenarios (websocket: `echo`, `crowd`; bayeux: `websocket`, `long-polling`, `client`). */
  only?: string[];
  /** Restricts the servers run (`ws`, `pushwire`, `bare`, `faye`). */
  servers?: string[];
}
