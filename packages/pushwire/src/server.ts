export * from '@pushwire/server';
