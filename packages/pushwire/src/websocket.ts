export * from '@pushwire/websocket';
