export * from '@pushwire/components';
