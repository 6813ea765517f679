// Keep the jest output readable: the in-process pieces (embedded ZooKeeper launcher, harness)
// log warnings only. Broker processes have their own output, captured by the harness.
import { setLogLevel } from '../src/utils/logger';

setLogLevel(process.env.SAMSA_TEST_LOG_LEVEL ?? 'warn');
