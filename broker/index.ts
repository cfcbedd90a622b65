// Public entry point of the embedded broker.
export { createBroker, Server, type Broker, type BrokerOptions } from './server.ts';
