import { registryApiContract } from './models.routes.contract.js';

registryApiContract('SQLite', () => ({}));
