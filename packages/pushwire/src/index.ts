// The umbrella package: everything users need from one install.
export * from '@pushwire/websocket';
