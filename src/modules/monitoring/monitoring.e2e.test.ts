import { monitoringContract } from './monitoring.contract.js';

monitoringContract('SQLite', () => ({}));
