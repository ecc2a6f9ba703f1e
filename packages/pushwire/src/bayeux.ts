export * from '@pushwire/bayeux';
