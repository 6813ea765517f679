export * from './broker';
export * from './cli';
export * from './cluster';
export * from './ports';
export * from './processes';
export * from './wait';
export * from './zk-client';
export * from './zookeeper';
