export * from '@pushwire/redis';
