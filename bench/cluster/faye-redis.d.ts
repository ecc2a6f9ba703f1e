// faye-redis 0.2.0 ships no types: the bench only hands the engine constructor to Faye's NodeAdapter.
declare module 'faye-redis' {
  const Engine: unknown;
  export default Engine;
}
