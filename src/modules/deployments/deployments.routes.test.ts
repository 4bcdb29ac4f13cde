import { deploymentsApiContract } from './deployments.routes.contract.js';

deploymentsApiContract('SQLite', () => ({}));
