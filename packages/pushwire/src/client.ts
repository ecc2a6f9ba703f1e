export * from '@pushwire/client';
